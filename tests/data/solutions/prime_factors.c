#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    int first = 1;
    for (int d = 2; (long long)d * d <= n; d++) {
        while (n % d == 0) {
            printf(first ? "%d" : " %d", d);
            first = 0;
            n /= d;
        }
    }
    if (n > 1) {
        printf(first ? "%d" : " %d", n);
    }
    putchar('\n');
    return 0;
}
