#include <stdio.h>

int main(void) {
    int amount;
    if (scanf("%d", &amount) != 1) {
        return 1;
    }
    static const int coins[] = {25, 10, 5, 1};
    int count = 0;
    for (int i = 0; i < 4; i++) {
        count += amount / coins[i];
        amount %= coins[i];
    }
    printf("%d\n", count);
    return 0;
}
