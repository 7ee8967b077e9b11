#include <stdio.h>

int main(void) {
    int r, c;
    if (scanf("%d %d", &r, &c) != 2) {
        return 1;
    }
    int m[10][10];
    for (int i = 0; i < r; i++) {
        for (int j = 0; j < c; j++) {
            if (scanf("%d", &m[i][j]) != 1) {
                return 1;
            }
        }
    }
    for (int j = 0; j < c; j++) {
        for (int i = 0; i < r; i++) {
            printf(i + 1 < r ? "%d " : "%d\n", m[i][j]);
        }
    }
    return 0;
}
