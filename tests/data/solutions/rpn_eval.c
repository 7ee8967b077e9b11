#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    long long stack[128];
    int top = 0;
    char tok[64];
    while (scanf("%63s", tok) == 1) {
        if (strcmp(tok, "+") == 0 || strcmp(tok, "-") == 0 ||
            strcmp(tok, "*") == 0) {
            if (top < 2) {
                return 1;
            }
            long long b = stack[--top];
            long long a = stack[--top];
            if (tok[0] == '+') {
                stack[top++] = a + b;
            } else if (tok[0] == '-') {
                stack[top++] = a - b;
            } else {
                stack[top++] = a * b;
            }
        } else {
            stack[top++] = atoll(tok);
        }
    }
    if (top != 1) {
        return 1;
    }
    printf("%lld\n", stack[0]);
    return 0;
}
