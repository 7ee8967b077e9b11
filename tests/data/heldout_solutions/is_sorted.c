#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    int previous = 0, sorted = 1;
    for (int i = 0; i < n; i++) {
        int x;
        if (scanf("%d", &x) != 1) {
            return 1;
        }
        if (i > 0 && x < previous) {
            sorted = 0;
        }
        previous = x;
    }
    printf("%s\n", sorted ? "yes" : "no");
    return 0;
}
