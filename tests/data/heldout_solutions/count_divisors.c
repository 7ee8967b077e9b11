#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    int count = 0;
    for (int d = 1; d <= n; d++) {
        if (n % d == 0) {
            count++;
        }
    }
    printf("%d\n", count);
    return 0;
}
