#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    int largest = 0;
    do {
        if (n % 10 > largest) {
            largest = n % 10;
        }
        n /= 10;
    } while (n > 0);
    printf("%d\n", largest);
    return 0;
}
