#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    long long r = 0;
    int m = n;
    while (m > 0) {
        r = r * 10 + m % 10;
        m /= 10;
    }
    printf("%s\n", r == n ? "yes" : "no");
    return 0;
}
