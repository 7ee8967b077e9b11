#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    int sum = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            int x;
            if (scanf("%d", &x) != 1) {
                return 1;
            }
            if (i == j) {
                sum += x;
            }
        }
    }
    printf("%d\n", sum);
    return 0;
}
