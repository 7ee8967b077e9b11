#include <stdio.h>
#include <string.h>

int main(void) {
    char s[256];
    int k;
    if (fgets(s, sizeof s, stdin) == NULL || sscanf(s, "%d", &k) != 1) {
        return 1;
    }
    if (fgets(s, sizeof s, stdin) == NULL) {
        return 1;
    }
    s[strcspn(s, "\n")] = '\0';
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (s[i] >= 'a' && s[i] <= 'z') {
            s[i] = (char)('a' + (s[i] - 'a' + k) % 26);
        } else if (s[i] >= 'A' && s[i] <= 'Z') {
            s[i] = (char)('A' + (s[i] - 'A' + k) % 26);
        }
    }
    printf("%s\n", s);
    return 0;
}
