#include <stdio.h>

int main(void) {
    printf("Hello\n");
    printf("World\n");
    return 0;
}
