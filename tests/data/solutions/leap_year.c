#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    if ((n % 4 == 0 && n % 100 != 0) || n % 400 == 0) {
        printf("yes\n");
    } else {
        printf("no\n");
    }
    return 0;
}
