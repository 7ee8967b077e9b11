#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    unsigned int a = 0, b = 1;
    for (int i = 0; i < n; i++) {
        unsigned int t = a + b;
        a = b;
        b = t;
    }
    printf("%u\n", a);
    return 0;
}
