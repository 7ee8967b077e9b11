#include <stdio.h>

int main(void) {
    char c;
    if (scanf(" %c", &c) != 1) {
        return 1;
    }
    printf("%c\n", c == 'z' ? 'a' : c + 1);
    return 0;
}
