#include <stdio.h>
#include <string.h>

int main(void) {
    char word[128];
    if (scanf("%127s", word) != 1) {
        return 1;
    }
    printf("%c\n", word[strlen(word) / 2]);
    return 0;
}
