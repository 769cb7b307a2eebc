/* Branches and delay slots, calls, recursion, a switch (jump table: l.jr) and calls
 * through function pointers (l.jalr). */
#include "fw.h"

static int __attribute__((noinline)) fib(int n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static int __attribute__((noinline)) ack(int m, int n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

static int __attribute__((noinline)) classify(int x)
{
    switch (x & 7) {
    case 0: return x * 3;
    case 1: return x ^ 0x55;
    case 2: return -x;
    case 3: return x >> 1;
    case 4: return x + 100;
    case 5: return x & 0xf0;
    case 6: return 7 - x;
    default: return 0;
    }
}

static int add1(int x) { return x + 1; }
static int dbl(int x) { return x * 2; }
static int neg(int x) { return -x; }
static int (*const ops[])(int) = {add1, dbl, neg};

int main(void)
{
    unsigned h = fib(10);
    h = h * 31 + ack(2, 2);
    for (int i = 0; i < 24; i++)
        h = h * 31 + classify(i * 7 - 40);
    volatile int sel = 0;
    for (int i = 0; i < 9; i++, sel = (sel + 1) % 3)
        h = h * 31 + ops[sel](i);
    int acc = 0;
    for (int i = 0; i < 20; i++) {
        if (i % 3 == 0)
            continue;
        if (acc > 50)
            break;
        acc += i;
    }
    h = h * 31 + acc;
    uart_puthex(h);
    uart_putc('\n');
    return h;
}
