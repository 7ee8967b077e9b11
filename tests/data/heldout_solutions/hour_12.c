#include <stdio.h>

int main(void) {
    int h;
    if (scanf("%d", &h) != 1) {
        return 1;
    }
    int shown = h % 12 == 0 ? 12 : h % 12;
    printf("%d %s\n", shown, h < 12 ? "AM" : "PM");
    return 0;
}
