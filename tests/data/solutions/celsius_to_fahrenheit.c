#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    printf("%.1f\n", n * 9.0 / 5.0 + 32.0);
    return 0;
}
