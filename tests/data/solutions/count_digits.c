#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    int count = 1;
    while (n >= 10) {
        count++;
        n /= 10;
    }
    printf("%d\n", count);
    return 0;
}
