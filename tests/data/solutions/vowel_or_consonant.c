#include <stdio.h>

int main(void) {
    char c;
    if (scanf(" %c", &c) != 1) {
        return 1;
    }
    if (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u') {
        printf("vowel\n");
    } else {
        printf("consonant\n");
    }
    return 0;
}
