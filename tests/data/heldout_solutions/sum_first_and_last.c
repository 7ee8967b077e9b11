#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    int first = 0, last = 0;
    for (int i = 0; i < n; i++) {
        if (scanf("%d", &last) != 1) {
            return 1;
        }
        if (i == 0) {
            first = last;
        }
    }
    printf("%d\n", first + last);
    return 0;
}
