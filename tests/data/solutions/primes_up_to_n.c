#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    static char composite[10001];
    int first = 1;
    for (int i = 2; i <= n; i++) {
        if (composite[i]) {
            continue;
        }
        printf(first ? "%d" : " %d", i);
        first = 0;
        for (int j = i * i; j <= n; j += i) {
            composite[j] = 1;
        }
    }
    putchar('\n');
    return 0;
}
