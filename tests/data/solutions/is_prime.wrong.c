#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    int prime = 1;
    for (int d = 2; (long long)d * d <= n; d++) {
        if (n % d == 0) {
            prime = 0;
            break;
        }
    }
    printf("%s\n", prime ? "prime" : "not prime");
    return 0;
}
