#include <stdio.h>

/* Wrong: no leading spaces, so the pyramid is not centered. */
int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    for (int i = 1; i <= n; i++) {
        for (int j = 0; j < 2 * i - 1; j++) {
            putchar('*');
        }
        putchar('\n');
    }
    return 0;
}
