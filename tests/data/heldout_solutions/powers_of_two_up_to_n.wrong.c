#include <stdio.h>

/* Wrong (off by one): stops before a power of two equal to n. */
int main(void) {
    long long n;
    if (scanf("%lld", &n) != 1) {
        return 1;
    }
    printf("1");
    for (long long p = 2; p < n; p *= 2) {
        printf(" %lld", p);
    }
    printf("\n");
    return 0;
}
