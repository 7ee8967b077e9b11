#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    int row[16] = {1};
    for (int i = 0; i < n; i++) {
        for (int j = i; j > 0; j--) {
            row[j] += row[j - 1];
        }
        for (int j = 0; j <= i; j++) {
            printf(j < i ? "%d " : "%d\n", row[j]);
        }
    }
    return 0;
}
