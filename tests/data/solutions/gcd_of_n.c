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
    int g = a[0];
    for (int i = 1; i < n; i++) {
        int x = a[i];
        while (x != 0) {
            int t = g % x;
            g = x;
            x = t;
        }
    }
    printf("%d\n", g);
    return 0;
}
