#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    const char *digits = "0123456789ABCDEF";
    char buf[16];
    int len = 0;
    do {
        buf[len++] = digits[n % 16];
        n /= 16;
    } while (n > 0);
    while (len > 0) {
        putchar(buf[--len]);
    }
    putchar('\n');
    return 0;
}
