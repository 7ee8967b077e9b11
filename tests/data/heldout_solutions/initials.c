#include <ctype.h>
#include <stdio.h>

int main(void) {
    char word[256];
    while (scanf("%255s", word) == 1) {
        putchar(toupper((unsigned char)word[0]));
    }
    putchar('\n');
    return 0;
}
