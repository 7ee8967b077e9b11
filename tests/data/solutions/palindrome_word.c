#include <stdio.h>
#include <string.h>

int main(void) {
    char w[101];
    if (scanf("%100s", w) != 1) {
        return 1;
    }
    int len = (int)strlen(w);
    int ok = 1;
    for (int i = 0; i < len / 2; i++) {
        if (w[i] != w[len - 1 - i]) {
            ok = 0;
        }
    }
    printf("%s\n", ok ? "yes" : "no");
    return 0;
}
