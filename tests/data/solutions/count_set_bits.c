#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    int count = 0;
    while (n > 0) {
        count += n & 1;
        n >>= 1;
    }
    printf("%d\n", count);
    return 0;
}
