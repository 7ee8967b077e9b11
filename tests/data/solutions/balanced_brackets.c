#include <stdio.h>

int main(void) {
    static char s[1002];
    static char stack[1002];
    if (scanf("%1001s", s) != 1) {
        return 1;
    }
    int top = 0;
    int ok = 1;
    for (size_t i = 0; s[i] != '\0' && ok; i++) {
        char c = s[i];
        if (c == '(' || c == '[' || c == '{') {
            stack[top++] = c;
        } else {
            char open = c == ')' ? '(' : c == ']' ? '[' : '{';
            if (top == 0 || stack[top - 1] != open) {
                ok = 0;
            } else {
                top--;
            }
        }
    }
    printf("%s\n", ok && top == 0 ? "balanced" : "not balanced");
    return 0;
}
