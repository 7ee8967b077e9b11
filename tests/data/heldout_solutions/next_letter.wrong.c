#include <stdio.h>

/* Wrong: does not wrap around from z to a. */
int main(void) {
    char c;
    if (scanf(" %c", &c) != 1) {
        return 1;
    }
    printf("%c\n", c + 1);
    return 0;
}
