#include <stdio.h>
#include <string.h>

int main(void) {
    char a[102], b[102], out[103];
    if (scanf("%101s %101s", a, b) != 2) {
        return 1;
    }
    int i = (int)strlen(a) - 1, j = (int)strlen(b) - 1;
    int len = 0, carry = 0;
    while (i >= 0 || j >= 0 || carry > 0) {
        int sum = carry;
        if (i >= 0) {
            sum += a[i--] - '0';
        }
        if (j >= 0) {
            sum += b[j--] - '0';
        }
        out[len++] = (char)('0' + sum % 10);
        carry = sum / 10;
    }
    while (len > 0) {
        putchar(out[--len]);
    }
    putchar('\n');
    return 0;
}
