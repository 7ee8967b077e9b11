#include <stdio.h>

int main(void) {
    int cents;
    if (scanf("%d", &cents) != 1) {
        return 1;
    }
    printf("%d.%02d\n", cents / 100, cents % 100);
    return 0;
}
