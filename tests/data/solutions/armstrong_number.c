#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    int digits = 0;
    for (int m = n; m > 0; m /= 10) {
        digits++;
    }
    if (digits == 0) {
        digits = 1;
    }
    long long sum = 0;
    for (int m = n; m > 0; m /= 10) {
        long long p = 1;
        for (int i = 0; i < digits; i++) {
            p *= m % 10;
        }
        sum += p;
    }
    printf("%s\n", sum == n ? "yes" : "no");
    return 0;
}
