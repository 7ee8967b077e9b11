#include <stdio.h>

int main(void) {
    printf("one\n");
    printf("two\n");
    printf("three\n");
    return 0;
}
