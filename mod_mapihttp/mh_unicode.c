/*
 * mh_unicode.c - UTF-8 <-> UTF-16LE.
 */
#include "mh_unicode.h"
#include "mapihttp/fold.h"

#include <string.h>

#include <stdint.h>

/* Decodes one UTF-8 sequence at *p (before end); advances *p. */
static inline uint32_t utf8_next(const unsigned char **pp, const unsigned char *end)
{
    size_t n;
    uint32_t c = mh_utf8_decode(*pp, (size_t)(end - *pp), &n);
    *pp += n;
    return c;
}

void mh_wr_utf16z(mh_wr *wr, const char *s)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
    /* no UTF-8 sequence takes more UTF-16 bytes than its own length (4
     * bytes: a surrogate pair), so room for all is reserved once and what
     * is left over given back */
    size_t max = 2 * (size_t)(end - p) + 2;
    unsigned char *o = mh_wr_reserve(wr, max), *start = o;
    while (p < end) {
        /* eight ASCII characters at a time (most names and subjects) */
        uint64_t w;
        if (end - p >= 8 && (memcpy(&w, p, 8), (w & 0x8080808080808080ull) == 0)) {
            for (int i = 0; i < 8; i++) {
                o[2 * i] = p[i];
                o[2 * i + 1] = 0;
            }
            p += 8;
            o += 16;
            continue;
        }
        uint32_t c = *p < 0x80 ? *p++ : utf8_next(&p, end);
        if (c >= 0x10000) {
            c -= 0x10000;
            mh_put_u16(o, (uint16_t)(0xD800 | (c >> 10)));
            mh_put_u16(o + 2, (uint16_t)(0xDC00 | (c & 0x3FF)));
            o += 4;
        } else {
            mh_put_u16(o, (uint16_t)c);
            o += 2;
        }
    }
    mh_put_u16(o, 0);
    o += 2;
    wr->len -= max - (size_t)(o - start);
}

/* Writes c as UTF-8 at o; returns the byte after it. */
static inline unsigned char *put_utf8(unsigned char *o, uint32_t c)
{
    return o + mh_utf8_encode(c, o);
}

const char *mh_rd_utf16z(mh_rd *rd, size_t max_units, apr_pool_t *pool)
{
    /* find the terminator first, so nothing is allocated for junk */
    size_t units = 0, avail = mh_rd_left(rd) / 2;
    const unsigned char *p = rd->p;
    while (units < avail && units <= max_units && mh_get_u16(p + 2 * units) != 0)
        units++;
    if (units >= avail || units > max_units) {
        rd->err = 1;
        return NULL;
    }
    /* every unit gives at most three UTF-8 bytes (a surrogate pair, two
     * units, gives four): room for all at once, ASCII copied straight */
    unsigned char *o = apr_palloc(pool, 3 * units + 1), *start = o;
    for (size_t i = 0; i < units; i++) {
        uint32_t c = mh_get_u16(p + 2 * i);
        if (c < 0x80) {
            *o++ = (unsigned char)c;
            continue;
        }
        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < units) {
            uint32_t lo = mh_get_u16(p + 2 * (i + 1));
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                i++;
            } else {
                c = 0xFFFD;
            }
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            c = 0xFFFD;
        }
        o = put_utf8(o, c);
    }
    *o = 0;
    rd->p += 2 * (units + 1);
    return (const char *)start;
}
