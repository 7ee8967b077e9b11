#include <stdio.h>

/* Wrong: always adds one, even when b divides a. */
int main(void) {
    long long a, b;
    if (scanf("%lld %lld", &a, &b) != 2) {
        return 1;
    }
    printf("%lld\n", a / b + 1);
    return 0;
}
