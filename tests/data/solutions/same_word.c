#include <stdio.h>
#include <string.h>

int main(void) {
    char a[101], b[101];
    if (scanf("%100s %100s", a, b) != 2) {
        return 1;
    }
    printf("%s\n", strcmp(a, b) == 0 ? "same" : "different");
    return 0;
}
