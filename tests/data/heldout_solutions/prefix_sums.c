#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    int total = 0;
    for (int i = 0; i < n; i++) {
        int x;
        if (scanf("%d", &x) != 1) {
            return 1;
        }
        total += x;
        printf(i == 0 ? "%d" : " %d", total);
    }
    printf("\n");
    return 0;
}
