#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    char prefix[101], w[101];
    if (scanf("%100s", prefix) != 1) {
        return 1;
    }
    for (int i = 1; i < n; i++) {
        if (scanf("%100s", w) != 1) {
            return 1;
        }
        size_t j = 0;
        while (prefix[j] != '\0' && prefix[j] == w[j]) {
            j++;
        }
        prefix[j] = '\0';
    }
    printf("%s\n", prefix[0] != '\0' ? prefix : "(none)");
    return 0;
}
