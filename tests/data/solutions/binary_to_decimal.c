#include <stdio.h>

int main(void) {
    char s[64];
    if (scanf("%63s", s) != 1) {
        return 1;
    }
    long long value = 0;
    for (size_t i = 0; s[i] != '\0'; i++) {
        value = value * 2 + (s[i] - '0');
    }
    printf("%lld\n", value);
    return 0;
}
