#include <stdio.h>
#include <string.h>

int main(void) {
    char word[128];
    if (scanf("%127s", word) != 1) {
        return 1;
    }
    size_t len = strlen(word);
    int yes = len >= 3 && strcmp(word + len - 3, "ing") == 0;
    printf("%s\n", yes ? "yes" : "no");
    return 0;
}
