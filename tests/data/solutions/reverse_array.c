#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    int a[100];
    for (int i = 0; i < n; i++) {
        if (scanf("%d", &a[i]) != 1) {
            return 1;
        }
    }
    for (int i = n - 1; i >= 0; i--) {
        printf(i > 0 ? "%d " : "%d\n", a[i]);
    }
    return 0;
}
