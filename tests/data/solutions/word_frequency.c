#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_words(const void *a, const void *b) {
    return strcmp((const char *)a, (const char *)b);
}

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    static char words[100][31];
    for (int i = 0; i < n; i++) {
        if (scanf("%30s", words[i]) != 1) {
            return 1;
        }
    }
    qsort(words, (size_t)n, sizeof words[0], cmp_words);
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && strcmp(words[j], words[i]) == 0) {
            j++;
        }
        printf("%s %d\n", words[i], j - i);
        i = j;
    }
    return 0;
}
