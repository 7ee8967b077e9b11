#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    static int a[1000];
    for (int i = 0; i < n; i++) {
        if (scanf("%d", &a[i]) != 1) {
            return 1;
        }
    }
    long long best = a[0], cur = 0;
    for (int i = 0; i < n; i++) {
        cur = cur > 0 ? cur + a[i] : a[i];
        if (cur > best) {
            best = cur;
        }
    }
    printf("%lld\n", best);
    return 0;
}
