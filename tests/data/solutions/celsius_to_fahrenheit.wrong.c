#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    printf("%.1f\n", (double)(n * 9 / 5 + 32));
    return 0;
}
