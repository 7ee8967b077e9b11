#include <stdio.h>

int main(void) {
    int r, c;
    if (scanf("%d %d", &r, &c) != 2) {
        return 1;
    }
    int a[10][10], b[10][10];
    for (int i = 0; i < r; i++) {
        for (int j = 0; j < c; j++) {
            if (scanf("%d", &a[i][j]) != 1) {
                return 1;
            }
        }
    }
    for (int i = 0; i < r; i++) {
        for (int j = 0; j < c; j++) {
            if (scanf("%d", &b[i][j]) != 1) {
                return 1;
            }
        }
    }
    for (int i = 0; i < r; i++) {
        for (int j = 0; j < c; j++) {
            printf(j + 1 < c ? "%d " : "%d\n", a[i][j] + b[i][j]);
        }
    }
    return 0;
}
