#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            int edge = i == 0 || i == n - 1 || j == 0 || j == n - 1;
            putchar(edge ? '*' : ' ');
        }
        putchar('\n');
    }
    return 0;
}
