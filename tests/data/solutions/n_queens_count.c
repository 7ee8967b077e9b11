#include <stdio.h>

static int col_used[10], diag1[20], diag2[20];

static int solve(int row, int n) {
    if (row == n) {
        return 1;
    }
    int count = 0;
    for (int c = 0; c < n; c++) {
        if (!col_used[c] && !diag1[row + c] && !diag2[row - c + n]) {
            col_used[c] = diag1[row + c] = diag2[row - c + n] = 1;
            count += solve(row + 1, n);
            col_used[c] = diag1[row + c] = diag2[row - c + n] = 0;
        }
    }
    return count;
}

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    printf("%d\n", solve(0, n));
    return 0;
}
