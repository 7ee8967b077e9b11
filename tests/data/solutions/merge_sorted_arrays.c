#include <stdio.h>

int main(void) {
    int n, m;
    int a[100], b[100];
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    for (int i = 0; i < n; i++) {
        if (scanf("%d", &a[i]) != 1) {
            return 1;
        }
    }
    if (scanf("%d", &m) != 1) {
        return 1;
    }
    for (int i = 0; i < m; i++) {
        if (scanf("%d", &b[i]) != 1) {
            return 1;
        }
    }
    int i = 0, j = 0, k = 0;
    while (i < n || j < m) {
        int x;
        if (j >= m || (i < n && a[i] <= b[j])) {
            x = a[i++];
        } else {
            x = b[j++];
        }
        printf(k++ > 0 ? " %d" : "%d", x);
    }
    putchar('\n');
    return 0;
}
