#include <stdio.h>

int main(void) {
    int x, y;
    if (scanf("%d %d", &x, &y) != 2) {
        return 1;
    }
    int q;
    if (x > 0) {
        q = y > 0 ? 1 : 4;
    } else {
        q = y > 0 ? 2 : 3;
    }
    printf("%d\n", q);
    return 0;
}
