#include <stdio.h>

int main(void) {
    for (int i = 1; i <= 5; i++) {
        printf(i < 5 ? "%d " : "%d\n", i);
    }
    return 0;
}
