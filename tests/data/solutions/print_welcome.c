#include <stdio.h>

int main(void) {
    printf("Welcome to C!\n");
    return 0;
}
