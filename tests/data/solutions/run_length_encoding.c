#include <stdio.h>
#include <string.h>

int main(void) {
    char w[101];
    if (scanf("%100s", w) != 1) {
        return 1;
    }
    size_t i = 0;
    while (w[i] != '\0') {
        size_t j = i;
        while (w[j] == w[i]) {
            j++;
        }
        printf("%c%zu", w[i], j - i);
        i = j;
    }
    putchar('\n');
    return 0;
}
