#include <stdio.h>

int main(void) {
    int a, b, c;
    if (scanf("%d %d %d", &a, &b, &c) != 3) {
        return 1;
    }
    int middle;
    if ((a > b && a < c) || (a < b && a > c)) {
        middle = a;
    } else if ((b > a && b < c) || (b < a && b > c)) {
        middle = b;
    } else {
        middle = c;
    }
    printf("%d\n", middle);
    return 0;
}
