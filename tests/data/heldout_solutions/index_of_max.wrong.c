#include <stdio.h>

/* Wrong: a repeated maximum gives the position of its last appearance. */
int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 1;
    }
    int best = 0, best_index = 0;
    for (int i = 0; i < n; i++) {
        int x;
        if (scanf("%d", &x) != 1) {
            return 1;
        }
        if (i == 0 || x >= best) {
            best = x;
            best_index = i;
        }
    }
    printf("%d\n", best_index);
    return 0;
}
