#include <stdio.h>

int main(void) {
    int w, h;
    if (scanf("%d %d", &w, &h) != 2) {
        return 1;
    }
    printf("%d\n", 2 * (w + h));
    return 0;
}
