#include <stdio.h>

int main(void) {
    long long n;
    if (scanf("%lld", &n) != 1) {
        return 1;
    }
    printf("%lld\n", (n + 5) / 10 * 10);
    return 0;
}
