#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    while (n % 2 == 0) {
        n /= 2;
    }
    printf("%s\n", n == 1 ? "yes" : "no");
    return 0;
}
