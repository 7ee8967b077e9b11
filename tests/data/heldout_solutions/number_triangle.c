#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    for (int i = 1; i <= n; i++) {
        for (int j = 1; j <= i; j++) {
            printf(j == 1 ? "%d" : " %d", j);
        }
        printf("\n");
    }
    return 0;
}
