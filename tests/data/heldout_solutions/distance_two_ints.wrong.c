#include <stdio.h>

/* Wrong: prints a - b, which is negative when b is the larger. */
int main(void) {
    int a, b;
    if (scanf("%d %d", &a, &b) != 2) {
        return 1;
    }
    printf("%d\n", a - b);
    return 0;
}
