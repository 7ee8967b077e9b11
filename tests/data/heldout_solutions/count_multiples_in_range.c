#include <stdio.h>

int main(void) {
    int a, b, k;
    if (scanf("%d %d %d", &a, &b, &k) != 3) {
        return 1;
    }
    int count = 0;
    for (int i = a; i <= b; i++) {
        if (i % k == 0) {
            count++;
        }
    }
    printf("%d\n", count);
    return 0;
}
