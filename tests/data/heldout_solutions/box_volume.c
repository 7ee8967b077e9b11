#include <stdio.h>

int main(void) {
    long long l, w, h;
    if (scanf("%lld %lld %lld", &l, &w, &h) != 3) {
        return 1;
    }
    printf("%lld\n", l * w * h);
    return 0;
}
