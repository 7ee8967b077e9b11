#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    while (n >= 10) {
        n /= 10;
    }
    printf("%d\n", n);
    return 0;
}
