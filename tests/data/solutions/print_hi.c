#include <stdio.h>

int main(void) {
    printf("Hi\n");
    return 0;
}
