#include <stdio.h>
#include <string.h>

int main(void) {
    char s[256];
    if (fgets(s, sizeof s, stdin) == NULL) {
        return 1;
    }
    s[strcspn(s, "\n")] = '\0';
    printf("%zu\n", strlen(s));
    return 0;
}
