#include <stdio.h>
#include <string.h>

int main(void) {
    char word[256], last[256] = "";
    while (scanf("%255s", word) == 1) {
        strcpy(last, word);
    }
    printf("%s\n", last);
    return 0;
}
