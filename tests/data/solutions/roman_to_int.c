#include <stdio.h>

static int value(char c) {
    switch (c) {
    case 'I': return 1;
    case 'V': return 5;
    case 'X': return 10;
    case 'L': return 50;
    case 'C': return 100;
    case 'D': return 500;
    case 'M': return 1000;
    default: return 0;
    }
}

int main(void) {
    char s[32];
    if (scanf("%31s", s) != 1) {
        return 1;
    }
    int total = 0;
    for (size_t i = 0; s[i] != '\0'; i++) {
        int v = value(s[i]);
        if (s[i + 1] != '\0' && value(s[i + 1]) > v) {
            total -= v;
        } else {
            total += v;
        }
    }
    printf("%d\n", total);
    return 0;
}
