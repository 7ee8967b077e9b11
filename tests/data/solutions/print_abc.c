#include <stdio.h>

int main(void) {
    printf("ABC\n");
    return 0;
}
