#include <stdio.h>

/* Wrong: midnight and noon come out as 0 instead of 12. */
int main(void) {
    int h;
    if (scanf("%d", &h) != 1) {
        return 1;
    }
    printf("%d %s\n", h % 12, h < 12 ? "AM" : "PM");
    return 0;
}
