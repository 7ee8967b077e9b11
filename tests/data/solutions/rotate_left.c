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
    int k;
    if (scanf("%d", &k) != 1) {
        return 1;
    }
    for (int i = 0; i < n; i++) {
        printf(i + 1 < n ? "%d " : "%d\n", a[(i + k) % n]);
    }
    return 0;
}
