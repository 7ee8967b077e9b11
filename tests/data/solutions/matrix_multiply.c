#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    int a[10][10], b[10][10];
    for (int i = 0; i < n * n; i++) {
        if (scanf("%d", &a[i / n][i % n]) != 1) {
            return 1;
        }
    }
    for (int i = 0; i < n * n; i++) {
        if (scanf("%d", &b[i / n][i % n]) != 1) {
            return 1;
        }
    }
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            int sum = 0;
            for (int k = 0; k < n; k++) {
                sum += a[i][k] * b[k][j];
            }
            printf(j + 1 < n ? "%d " : "%d\n", sum);
        }
    }
    return 0;
}
