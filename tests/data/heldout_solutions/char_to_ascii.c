#include <stdio.h>

int main(void) {
    char c;
    if (scanf(" %c", &c) != 1) {
        return 1;
    }
    printf("%d\n", c);
    return 0;
}
