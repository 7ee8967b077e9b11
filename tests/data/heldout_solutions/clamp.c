#include <stdio.h>

int main(void) {
    int x, low, high;
    if (scanf("%d %d %d", &x, &low, &high) != 3) {
        return 1;
    }
    if (x < low) {
        x = low;
    } else if (x > high) {
        x = high;
    }
    printf("%d\n", x);
    return 0;
}
