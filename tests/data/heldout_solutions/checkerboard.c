#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            putchar((i + j) % 2 == 0 ? '#' : '.');
        }
        putchar('\n');
    }
    return 0;
}
