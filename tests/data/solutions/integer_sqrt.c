#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    long long r = 0;
    while ((r + 1) * (r + 1) <= n) {
        r++;
    }
    printf("%lld\n", r);
    return 0;
}
