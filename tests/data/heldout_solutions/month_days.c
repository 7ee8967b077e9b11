#include <stdio.h>

int main(void) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int m;
    if (scanf("%d", &m) != 1 || m < 1 || m > 12) {
        return 1;
    }
    printf("%d\n", days[m - 1]);
    return 0;
}
