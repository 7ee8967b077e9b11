#include <stdio.h>

int main(void) {
    char a[101], b[101];
    if (scanf("%100s %100s", a, b) != 2) {
        return 1;
    }
    int count[26] = {0};
    for (size_t i = 0; a[i] != '\0'; i++) {
        count[a[i] - 'a']++;
    }
    for (size_t i = 0; b[i] != '\0'; i++) {
        count[b[i] - 'a']--;
    }
    int ok = 1;
    for (int i = 0; i < 26; i++) {
        if (count[i] != 0) {
            ok = 0;
        }
    }
    printf("%s\n", ok ? "yes" : "no");
    return 0;
}
