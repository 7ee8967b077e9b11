#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    int digits[100] = {1};
    int len = 1;
    for (int k = 2; k <= n; k++) {
        int carry = 0;
        for (int i = 0; i < len; i++) {
            int v = digits[i] * k + carry;
            digits[i] = v % 10;
            carry = v / 10;
        }
        while (carry > 0) {
            digits[len++] = carry % 10;
            carry /= 10;
        }
    }
    for (int i = len - 1; i >= 0; i--) {
        putchar('0' + digits[i]);
    }
    putchar('\n');
    return 0;
}
