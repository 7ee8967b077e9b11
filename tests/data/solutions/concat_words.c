#include <stdio.h>

int main(void) {
    char a[101], b[101];
    if (scanf("%100s %100s", a, b) != 2) {
        return 1;
    }
    printf("%s%s\n", a, b);
    return 0;
}
