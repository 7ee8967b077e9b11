#include <stdio.h>
#include <string.h>

int main(void) {
    char s[256];
    if (fgets(s, sizeof s, stdin) == NULL) {
        return 1;
    }
    s[strcspn(s, "\n")] = '\0';
    size_t best_start = 0, best_len = 0, i = 0;
    while (s[i] != '\0') {
        size_t start = i;
        while (s[i] != '\0' && s[i] != ' ') {
            i++;
        }
        if (i - start > best_len) {
            best_start = start;
            best_len = i - start;
        }
        if (s[i] == ' ') {
            i++;
        }
    }
    printf("%.*s\n", (int)best_len, s + best_start);
    return 0;
}
