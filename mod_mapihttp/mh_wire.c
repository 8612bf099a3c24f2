/*
 * mh_wire.c - bounds-checked little-endian reader and pool-backed writer.
 */
#include "mh_wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>

void mh_rd_copy(mh_rd *rd, void *dst, size_t n)
{
    const unsigned char *src = mh_rd_bytes(rd, n);
    if (src)
        memcpy(dst, src, n);
    else
        memset(dst, 0, n);
}

const char *mh_rd_asciiz(mh_rd *rd, size_t max_len, apr_pool_t *pool)
{
    if (rd->err)
        return NULL;
    size_t avail = (size_t)(rd->end - rd->p);
    size_t scan = avail < max_len + 1 ? avail : max_len + 1;
    const unsigned char *nul = memchr(rd->p, 0, scan);
    if (!nul) {
        rd->err = 1;
        return NULL;
    }
    size_t n = (size_t)(nul - rd->p);
    char *s = apr_pstrmemdup(pool, (const char *)rd->p, n);
    rd->p = nul + 1;
    return s;
}

void mh_wr_init(mh_wr *wr, apr_pool_t *pool, size_t initial_cap)
{
    wr->pool = pool;
    wr->cap = initial_cap ? initial_cap : 64;
    wr->buf = apr_palloc(pool, wr->cap);
    wr->len = 0;
}

unsigned char *mh_wr_grow(mh_wr *wr, size_t n)
{
    if (wr->cap - wr->len < n) {
        if (n > SIZE_MAX / 4 - wr->len)
            abort(); /* no buffer here comes near this: a bug */
        size_t ncap = wr->cap * 2;
        while (ncap - wr->len < n)
            ncap *= 2;
        unsigned char *nbuf = apr_palloc(wr->pool, ncap);
        memcpy(nbuf, wr->buf, wr->len);
        wr->buf = nbuf;
        wr->cap = ncap;
    }
    unsigned char *r = wr->buf + wr->len;
    wr->len += n;
    return r;
}

void mh_wr_ensure(mh_wr *wr, size_t n)
{
    if (wr->cap - wr->len >= n)
        return;
    if (n > SIZE_MAX / 4 - wr->len)
        abort(); /* as mh_wr_grow */
    size_t ncap = wr->len + n;
    unsigned char *nbuf = apr_palloc(wr->pool, ncap);
    memcpy(nbuf, wr->buf, wr->len);
    wr->buf = nbuf;
    wr->cap = ncap;
}

void mh_wr_bytes(mh_wr *wr, const void *data, size_t n)
{
    if (n)
        memcpy(mh_wr_reserve(wr, n), data, n);
}

void mh_wr_asciiz(mh_wr *wr, const char *s)
{
    mh_wr_bytes(wr, s, strlen(s) + 1);
}

void mh_wr_put_u16_at(mh_wr *wr, size_t off, uint16_t v)
{
    mh_put_u16(wr->buf + off, v);
}

void mh_wr_put_u32_at(mh_wr *wr, size_t off, uint32_t v)
{
    mh_put_u32(wr->buf + off, v);
}

void mh_hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int mh_hex_decode(const char *in, size_t in_len, unsigned char *out, size_t n)
{
    if (in_len != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)((hi << 4) | lo);
    }
    return 0;
}
