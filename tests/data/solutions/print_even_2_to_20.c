#include <stdio.h>

int main(void) {
    for (int i = 2; i <= 20; i += 2) {
        printf("%d\n", i);
    }
    return 0;
}
