#include <stdio.h>

int main(void) {
    int a, b;
    if (scanf("%d %d", &a, &b) != 2) {
        return 1;
    }
    printf("%s\n", a % b == 0 ? "yes" : "no");
    return 0;
}
