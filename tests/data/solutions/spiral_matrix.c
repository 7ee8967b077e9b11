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
    int top = 0, bottom = r - 1, left = 0, right = c - 1;
    int count = 0;
    while (top <= bottom && left <= right) {
        for (int j = left; j <= right; j++) {
            printf(count++ ? " %d" : "%d", m[top][j]);
        }
        top++;
        for (int i = top; i <= bottom; i++) {
            printf(count++ ? " %d" : "%d", m[i][right]);
        }
        right--;
        if (top <= bottom) {
            for (int j = right; j >= left; j--) {
                printf(count++ ? " %d" : "%d", m[bottom][j]);
            }
            bottom--;
        }
        if (left <= right) {
            for (int i = bottom; i >= top; i--) {
                printf(count++ ? " %d" : "%d", m[i][left]);
            }
            left++;
        }
    }
    putchar('\n');
    return 0;
}
