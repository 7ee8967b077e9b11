#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    char bits[40];
    int len = 0;
    do {
        bits[len++] = (char)('0' + n % 2);
        n /= 2;
    } while (n > 0);
    for (int i = len - 1; i >= 0; i--) {
        putchar(bits[i]);
    }
    putchar('\n');
    return 0;
}
