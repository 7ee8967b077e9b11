#include <stdio.h>

int main(void) {
    int a = 2;
    int b = 3;
    printf("%d\n", a + b);
    return 0;
}
