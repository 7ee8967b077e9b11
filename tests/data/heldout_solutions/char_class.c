#include <stdio.h>

int main(void) {
    char c;
    if (scanf(" %c", &c) != 1) {
        return 1;
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        printf("letter\n");
    } else if (c >= '0' && c <= '9') {
        printf("digit\n");
    } else {
        printf("other\n");
    }
    return 0;
}
