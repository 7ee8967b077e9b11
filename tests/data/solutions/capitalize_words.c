#include <ctype.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    char s[256];
    if (fgets(s, sizeof s, stdin) == NULL) {
        return 1;
    }
    s[strcspn(s, "\n")] = '\0';
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (i == 0 || s[i - 1] == ' ') {
            s[i] = (char)toupper((unsigned char)s[i]);
        }
    }
    printf("%s\n", s);
    return 0;
}
