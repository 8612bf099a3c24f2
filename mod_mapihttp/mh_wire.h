/*
 * mh_wire.h - bounds-checked little-endian reader and pool-backed writer.
 *
 * Every parser of client bytes goes through mh_rd: a read past the end sets
 * the reader's error flag and yields zeros, so a parser can read a whole
 * structure and check `rd.err` once at the end without ever touching memory
 * it does not own.  Counts and lengths read from the wire must be checked
 * with mh_rd_need() (or the helpers that do) before anything is allocated
 * for them.
 */
#ifndef MH_WIRE_H
#define MH_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>

typedef struct mh_rd {
    const unsigned char *p;   /* next byte */
    const unsigned char *end; /* one past the last byte */
    int err;                  /* sticky: set on any short read or bad value */
} mh_rd;

static inline void mh_rd_init(mh_rd *rd, const void *buf, size_t len)
{
    /* an absent body arrives as NULL: arithmetic on NULL is undefined */
    static const unsigned char empty[1];
    rd->p = buf ? (const unsigned char *)buf : empty;
    rd->end = rd->p + (buf ? len : 0);
    rd->err = 0;
}

static inline size_t mh_rd_left(const mh_rd *rd)
{
    return rd->err ? 0 : (size_t)(rd->end - rd->p);
}

/* True when n more bytes are available; otherwise marks the reader failed. */
static inline int mh_rd_need(mh_rd *rd, size_t n)
{
    if (rd->err || (size_t)(rd->end - rd->p) < n) {
        rd->err = 1;
        return 0;
    }
    return 1;
}

/* Little-endian integers; 0 and err on short input.  (Inline, as the
 * writers: decoders call them for every field, and a call cost as much as
 * the read.) */
static inline uint8_t mh_rd_u8(mh_rd *rd)
{
    if (!mh_rd_need(rd, 1))
        return 0;
    return *rd->p++;
}

static inline uint16_t mh_rd_u16(mh_rd *rd)
{
    if (!mh_rd_need(rd, 2))
        return 0;
    uint16_t v = (uint16_t)(rd->p[0] | (rd->p[1] << 8));
    rd->p += 2;
    return v;
}

static inline uint32_t mh_rd_u32(mh_rd *rd)
{
    if (!mh_rd_need(rd, 4))
        return 0;
    uint32_t v = (uint32_t)rd->p[0] | ((uint32_t)rd->p[1] << 8) | ((uint32_t)rd->p[2] << 16) |
                 ((uint32_t)rd->p[3] << 24);
    rd->p += 4;
    return v;
}

static inline uint64_t mh_rd_u64(mh_rd *rd)
{
    if (!mh_rd_need(rd, 8))
        return 0;
    uint64_t lo = mh_rd_u32(rd);
    uint64_t hi = mh_rd_u32(rd);
    return lo | (hi << 32);
}

/* Points at the next n bytes and skips them (NULL and err on short input). */
static inline const unsigned char *mh_rd_bytes(mh_rd *rd, size_t n)
{
    if (!mh_rd_need(rd, n))
        return NULL;
    const unsigned char *r = rd->p;
    rd->p += n;
    return r;
}
/* Copies n bytes into dst (zeros and err on short input). */
void mh_rd_copy(mh_rd *rd, void *dst, size_t n);
/*
 * An ASCIIZ string of at most max_len characters (not counting the NUL).
 * Returns a pool copy; NULL and err when no NUL is found in range.
 */
const char *mh_rd_asciiz(mh_rd *rd, size_t max_len, apr_pool_t *pool);
/* Marks the reader failed unless every byte was consumed. */
static inline void mh_rd_expect_end(mh_rd *rd)
{
    if (rd->p != rd->end)
        rd->err = 1;
}

/* Growable output buffer in a pool.  Allocation failure aborts via APR. */
typedef struct mh_wr {
    apr_pool_t *pool;
    unsigned char *buf;
    size_t len;
    size_t cap;
} mh_wr;

void mh_wr_init(mh_wr *wr, apr_pool_t *pool, size_t initial_cap);
/* mh_wr_reserve when the buffer must grow first. */
unsigned char *mh_wr_grow(mh_wr *wr, size_t n);
/* Makes room for n more bytes at once (nothing is written): a writer that
 * will take about n bytes grows once instead of doubling through copies
 * that each touch fresh memory. */
void mh_wr_ensure(mh_wr *wr, size_t n);
/* Reserves n bytes at the end and returns a pointer to them.  (The
 * writers are inline: encoders call them for every field.) */
static inline unsigned char *mh_wr_reserve(mh_wr *wr, size_t n)
{
    if (wr->cap - wr->len < n)
        return mh_wr_grow(wr, n);
    unsigned char *r = wr->buf + wr->len;
    wr->len += n;
    return r;
}
static inline void mh_wr_u8(mh_wr *wr, uint8_t v)
{
    *mh_wr_reserve(wr, 1) = v;
}
static inline void mh_wr_u16(mh_wr *wr, uint16_t v)
{
    unsigned char *p = mh_wr_reserve(wr, 2);
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static inline void mh_wr_u32(mh_wr *wr, uint32_t v)
{
    unsigned char *p = mh_wr_reserve(wr, 4);
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static inline void mh_wr_u64(mh_wr *wr, uint64_t v)
{
    unsigned char *p = mh_wr_reserve(wr, 8);
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
void mh_wr_bytes(mh_wr *wr, const void *data, size_t n);
/* Writes s and its NUL. */
void mh_wr_asciiz(mh_wr *wr, const char *s);
/* Overwrites a value written earlier at offset off (e.g. a size). */
void mh_wr_put_u16_at(mh_wr *wr, size_t off, uint16_t v);
void mh_wr_put_u32_at(mh_wr *wr, size_t off, uint32_t v);

/* Plain little-endian stores and loads for fixed buffers. */
static inline void mh_put_u16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static inline void mh_put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}
static inline uint16_t mh_get_u16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t mh_get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}
static inline void mh_put_u32_be(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}
static inline uint32_t mh_get_u32_be(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void mh_put_u64_be(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)v;
        v >>= 8;
    }
}
static inline uint64_t mh_get_u64_be(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Lower-case hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void mh_hex_encode(const unsigned char *in, size_t n, char *out);
/* Parses exactly 2n hex digits (either case); 0 on success, -1 otherwise. */
int mh_hex_decode(const char *in, size_t in_len, unsigned char *out, size_t n);

#endif
