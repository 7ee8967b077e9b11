#include <stdio.h>

/* Wrong: reads one word instead of the whole line. */
int main(void) {
    char word[256] = "";
    if (scanf("%255s", word) != 1) {
        word[0] = '\0';
    }
    printf("[%s]\n", word);
    return 0;
}
