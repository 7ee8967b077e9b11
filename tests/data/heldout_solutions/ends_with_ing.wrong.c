#include <stdio.h>
#include <string.h>

/* Wrong: checks whether the word contains ing anywhere. */
int main(void) {
    char word[128];
    if (scanf("%127s", word) != 1) {
        return 1;
    }
    printf("%s\n", strstr(word, "ing") != NULL ? "yes" : "no");
    return 0;
}
