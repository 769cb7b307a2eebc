/* SR[CY] and SR[OV] after add, sub and multiply, as the architecture defines them. Where
 * QEMU 7.2 agrees (add, l.mul, l.sub's CY) the trace compares them; from the symbol
 * `qemu_differs` on (l.sub's OV, l.mulu's CY: docs/cpu.md) the program checks the core by
 * itself and returns 0 when every flag was as the architecture says. */
#include "fw.h"

#define CY 0x400u
#define OV 0x800u

#define FLAGS(op)                                                                  \
    static unsigned flags_##op(unsigned a, unsigned b)                             \
    {                                                                              \
        unsigned r, sr;                                                            \
        __asm__ volatile("l." #op " %0, %2, %3\n\tl.mfspr %1, r0, 17"              \
                         : "=&r"(r), "=r"(sr) : "r"(a), "r"(b) : "memory");        \
        return sr & (CY | OV);                                                     \
    }

FLAGS(add)
FLAGS(sub)
FLAGS(mul)
FLAGS(mulu)

static volatile unsigned v[] = {0x7fffffff, 1, 0xffffffff, 5, 0xfffffffd, 0x80000000, 3,
                                0x10000};

int main(void)
{
    unsigned bad = 0, h = 0;
    /* QEMU and the architecture agree on these: the trace compares the flags */
    h = h * 31 + flags_add(v[0], v[1]);     /* OV */
    h = h * 31 + flags_add(v[2], v[1]);     /* CY */
    h = h * 31 + flags_sub(v[6], v[3]);     /* 3 - 5: CY (borrow), no OV */
    h = h * 31 + flags_mul(v[7], v[7]);     /* 2^32: OV */
    h = h * 31 + flags_mul(v[2], v[2]);     /* 1: neither */
    uart_puthex(h);
    __asm__ volatile(".global qemu_differs\nqemu_differs:" ::: "memory");
    bad |= (flags_sub(v[3], v[4]) != CY) << 0;          /* 5 - (-3) = 8: borrow, no OV */
    bad |= (flags_sub(v[5], v[3]) != OV) << 1;          /* INT_MIN - 5: OV, no borrow */
    /* l.mulu writes only CY (OV is still the last l.sub's) */
    bad |= ((flags_mulu(v[2], v[1]) & CY) != 0) << 2;   /* 0xffffffff * 1 fits */
    bad |= ((flags_mulu(v[2], v[2]) & CY) != CY) << 3;  /* does not fit */
    bad |= ((flags_mulu(v[7], v[7]) & CY) != CY) << 4;  /* 2^32 */
    return bad;
}
