#include <stdio.h>
#include <string.h>

int main(void) {
    char word[128];
    if (scanf("%127s", word) != 1) {
        return 1;
    }
    printf("%c %c\n", word[0], word[strlen(word) - 1]);
    return 0;
}
