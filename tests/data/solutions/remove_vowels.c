#include <stdio.h>
#include <string.h>

int main(void) {
    char s[256];
    if (fgets(s, sizeof s, stdin) == NULL) {
        return 1;
    }
    s[strcspn(s, "\n")] = '\0';
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (strchr("aeiouAEIOU", s[i]) == NULL) {
            putchar(s[i]);
        }
    }
    putchar('\n');
    return 0;
}
