#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    for (int i = 2; i <= n; i += 2) {
        printf(i + 2 <= n ? "%d " : "%d\n", i);
    }
    return 0;
}
