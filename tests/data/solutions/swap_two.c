#include <stdio.h>

int main(void) {
    int a, b;
    if (scanf("%d %d", &a, &b) != 2) {
        return 1;
    }
    int t = a;
    a = b;
    b = t;
    printf("%d %d\n", a, b);
    return 0;
}
