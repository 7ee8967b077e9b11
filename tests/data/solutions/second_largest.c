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
    int max = a[0];
    for (int i = 1; i < n; i++) {
        if (a[i] > max) {
            max = a[i];
        }
    }
    int second = 0;
    int found = 0;
    for (int i = 0; i < n; i++) {
        if (a[i] != max && (!found || a[i] > second)) {
            second = a[i];
            found = 1;
        }
    }
    printf("%d\n", second);
    return 0;
}
