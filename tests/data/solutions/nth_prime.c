#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    int count = 0;
    int p = 1;
    while (count < n) {
        p++;
        int prime = 1;
        for (int d = 2; d * d <= p; d++) {
            if (p % d == 0) {
                prime = 0;
                break;
            }
        }
        count += prime;
    }
    printf("%d\n", p);
    return 0;
}
