#include <stdio.h>

int main(void) {
    char word[128];
    if (scanf("%127s", word) != 1) {
        return 1;
    }
    for (int i = 0; word[i] != '\0'; i++) {
        putchar(word[i]);
        putchar(word[i]);
    }
    putchar('\n');
    return 0;
}
