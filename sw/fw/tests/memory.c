/* Loads and stores of every width (l.lbz/lbs/lhz/lhs/lwz, l.sb/sh/sw) at every offset,
 * big-endian byte order, struct copies (memcpy) and a byte-wise checksum. */
#include "fw.h"

struct rec {
    unsigned char b;
    short h;
    int w;
    signed char sb;
    unsigned short uh;
};

static unsigned buf[16];
static struct rec recs[4];
static const char text[] = "OpenRISC on an RRAM chip";

int main(void)
{
    unsigned h = 0;
    volatile unsigned char *p8 = (volatile unsigned char *)buf;
    volatile unsigned short *p16 = (volatile unsigned short *)buf;
    for (int i = 0; i < 16; i++)
        p8[i] = (unsigned char)(0x81 + 13 * i);
    for (int i = 0; i < 8; i++)
        h = h * 31 + p16[i] + (short)p16[i];
    for (int i = 0; i < 4; i++)
        h = h * 31 + buf[i];             /* big-endian: byte 0 is bits 31:24 */
    for (int i = 0; i < 16; i++)
        h = h * 31 + (signed char)p8[i];
    p16[9] = 0xbeef;
    p16[10] = 0x1234;
    h = h * 31 + buf[4] + buf[5];
    buf[6] = 0xdeadbeef;
    h = h * 31 + p8[24] + p8[25] + p8[26] + p8[27] + p16[12] + (short)p16[13];
    for (int i = 0; i < 4; i++) {
        recs[i].b = 200 + i;
        recs[i].h = -300 * i;
        recs[i].w = 0x10001 * i;
        recs[i].sb = -5 * i;
        recs[i].uh = 60000 + i;
    }
    struct rec copy[4];
    memcpy(copy, recs, sizeof(copy));
    for (int i = 0; i < 4; i++)
        h = h * 31 + copy[i].b + copy[i].h + copy[i].w + copy[i].sb + copy[i].uh;
    for (const char *s = text; *s; s++)
        h = h * 33 + *s;
    uart_puthex(h);
    uart_putc('\n');
    return h;
}
