#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    int a[100];
    for (int i = 0; i < n; i++) {
        if (scanf("%d", &a[i]) != 1) {
            return 1;
        }
    }
    int out = 0;
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++) {
            if (a[j] == a[i]) {
                seen = 1;
                break;
            }
        }
        if (!seen) {
            printf(out > 0 ? " %d" : "%d", a[i]);
            out++;
        }
    }
    putchar('\n');
    return 0;
}
