#include <stdio.h>

int main(void) {
    int n;
    char word[64];
    if (scanf("%d %63s", &n, word) != 2) {
        return 1;
    }
    for (int i = 0; i < n; i++) {
        printf("%s\n", word);
    }
    return 0;
}
