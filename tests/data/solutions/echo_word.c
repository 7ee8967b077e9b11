#include <stdio.h>

int main(void) {
    char word[101];
    if (scanf("%100s", word) != 1) {
        return 1;
    }
    printf("%s\n", word);
    return 0;
}
