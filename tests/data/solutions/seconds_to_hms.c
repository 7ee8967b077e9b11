#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    printf("%d:%02d:%02d\n", n / 3600, n / 60 % 60, n % 60);
    return 0;
}
