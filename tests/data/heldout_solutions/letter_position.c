#include <stdio.h>

int main(void) {
    char c;
    if (scanf(" %c", &c) != 1) {
        return 1;
    }
    printf("%d\n", c - 'a' + 1);
    return 0;
}
