#include <stdio.h>
#include <string.h>

int main(void) {
    char a[101], b[101];
    if (scanf("%100s %100s", a, b) != 2) {
        return 1;
    }
    static int d[101][101];
    int n = (int)strlen(a);
    int m = (int)strlen(b);
    for (int i = 0; i <= n; i++) {
        for (int j = 0; j <= m; j++) {
            if (i == 0) {
                d[i][j] = j;
            } else if (j == 0) {
                d[i][j] = i;
            } else {
                int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
                if (d[i - 1][j] + 1 < best) {
                    best = d[i - 1][j] + 1;
                }
                if (d[i][j - 1] + 1 < best) {
                    best = d[i][j - 1] + 1;
                }
                d[i][j] = best;
            }
        }
    }
    printf("%d\n", d[n][m]);
    return 0;
}
