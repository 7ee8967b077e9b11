#include <stdio.h>

int main(void) {
    int chickens, cows;
    if (scanf("%d %d", &chickens, &cows) != 2) {
        return 1;
    }
    printf("%d\n", 2 * chickens + 4 * cows);
    return 0;
}
