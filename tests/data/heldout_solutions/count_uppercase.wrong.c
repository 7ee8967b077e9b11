#include <stdio.h>

/* Wrong: reads only the first word of the line. */
int main(void) {
    char word[256];
    int count = 0;
    if (scanf("%255s", word) == 1) {
        for (int i = 0; word[i] != '\0'; i++) {
            if (word[i] >= 'A' && word[i] <= 'Z') {
                count++;
            }
        }
    }
    printf("%d\n", count);
    return 0;
}
