#include <stdio.h>

/* Wrong: prints the square, not the cube. */
int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    printf("%d\n", n * n);
    return 0;
}
