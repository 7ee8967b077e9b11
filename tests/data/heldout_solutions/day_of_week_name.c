#include <stdio.h>

int main(void) {
    static const char *const names[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};
    int d;
    if (scanf("%d", &d) != 1 || d < 1 || d > 7) {
        return 1;
    }
    printf("%s\n", names[d - 1]);
    return 0;
}
