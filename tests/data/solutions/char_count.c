#include <stdio.h>

int main(void) {
    char w[101];
    if (scanf("%100s", w) != 1) {
        return 1;
    }
    char c;
    if (scanf(" %c", &c) != 1) {
        return 1;
    }
    int count = 0;
    for (size_t i = 0; w[i] != '\0'; i++) {
        if (w[i] == c) {
            count++;
        }
    }
    printf("%d\n", count);
    return 0;
}
