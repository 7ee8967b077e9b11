#include <stdio.h>

/* Wrong: prints the two numbers on separate lines. */
int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    printf("%d\n%d\n", n - 1, n + 1);
    return 0;
}
