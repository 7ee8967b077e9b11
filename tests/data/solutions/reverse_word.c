#include <stdio.h>
#include <string.h>

int main(void) {
    char w[101];
    if (scanf("%100s", w) != 1) {
        return 1;
    }
    for (int i = (int)strlen(w) - 1; i >= 0; i--) {
        putchar(w[i]);
    }
    putchar('\n');
    return 0;
}
