#include <stdio.h>

int main(void)
{
    puts("Hello from an adjutant buildroot");
    return 0;
}
