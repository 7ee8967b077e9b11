#include <stdio.h>

/* Wrong: prints a prompt before the answer. */
int main(void) {
    int n;
    printf("Enter a number: ");
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    long long sum = 0;
    for (int i = 1; i <= n; i += 2) {
        sum += i;
    }
    printf("%lld\n", sum);
    return 0;
}
