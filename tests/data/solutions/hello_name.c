#include <stdio.h>

int main(void) {
    char name[51];
    if (scanf("%50s", name) != 1) {
        return 1;
    }
    printf("Hello, %s!\n", name);
    return 0;
}
