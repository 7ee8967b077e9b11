#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    char g;
    if (n >= 90) {
        g = 'A';
    } else if (n >= 80) {
        g = 'B';
    } else if (n >= 70) {
        g = 'C';
    } else if (n >= 60) {
        g = 'D';
    } else {
        g = 'F';
    }
    printf("%c\n", g);
    return 0;
}
