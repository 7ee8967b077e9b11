#include <stdio.h>
#include <string.h>

int main(void) {
    char s[256];
    if (fgets(s, sizeof s, stdin) == NULL) {
        return 1;
    }
    s[strcspn(s, "\n")] = '\0';
    int count = 0;
    int in_word = 0;
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (s[i] == ' ') {
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            count++;
        }
    }
    printf("%d\n", count);
    return 0;
}
