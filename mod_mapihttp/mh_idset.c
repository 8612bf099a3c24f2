/*
 * mh_idset.c - GLOBSET decoding and encoding, serialized IDSETs with
 * REPLGUIDs (MS-OXCFXICS 2.2.2.4 to 2.2.2.6, 3.1.5.4.3).
 */
#include "mh_idset.h"

#include <string.h>

#define CMD_END 0x00
#define CMD_PUSH_MAX 0x06
#define CMD_BITMASK 0x42
#define CMD_POP 0x50
#define CMD_RANGE 0x52

/* The common byte stack: the bytes, and how many each Push added. */
typedef struct bstack {
    uint8_t b[6];
    unsigned len;
    unsigned pushes[6];
    unsigned npush;
} bstack;

/* The stack's bytes followed by `n` more from p, as a GLOBCNT. */
static uint64_t globcnt(const bstack *s, const unsigned char *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < s->len; i++)
        v = (v << 8) | s->b[i];
    for (unsigned i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* A growing list of ranges (not kept without a pool). */
typedef struct rlist {
    apr_pool_t *pool;
    mh_globrange *r;
    uint32_t n, cap;
} rlist;

static void add(rlist *l, uint64_t low, uint64_t high)
{
    if (!l->pool)
        return;
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? 2 * l->cap : 8;
        mh_globrange *nr = apr_palloc(l->pool, cap * sizeof(*nr));
        if (l->n)
            memcpy(nr, l->r, l->n * sizeof(*nr));
        l->r = nr;
        l->cap = cap;
    }
    l->r[l->n].low = low;
    l->r[l->n].high = high;
    l->n++;
}

static int bad(mh_rd *rd)
{
    rd->err = 1;
    return -1;
}

int mh_globset_read(mh_rd *rd, apr_pool_t *pool, mh_globrange **r_r, uint32_t *n_r)
{
    bstack s;
    memset(&s, 0, sizeof(s));
    rlist l = {pool, NULL, 0, 0};
    for (;;) {
        uint8_t cmd = mh_rd_u8(rd);
        if (rd->err)
            return -1;
        if (cmd == CMD_END) {
            /* 3.1.5.4.3.1.5: only with an empty stack */
            if (s.len)
                return bad(rd);
            break;
        }
        if (cmd <= CMD_PUSH_MAX) {
            /* 2.2.2.6.1: at most six bytes on the stack */
            if (s.len + cmd > 6)
                return bad(rd);
            const unsigned char *p = mh_rd_bytes(rd, cmd);
            if (!p)
                return -1;
            if (s.len + cmd == 6) {
                /* a sixth byte: a singleton, its bytes go again at once
                 * (3.1.5.4.3.1.1) */
                uint64_t v = globcnt(&s, p, cmd);
                add(&l, v, v);
                continue;
            }
            memcpy(s.b + s.len, p, cmd);
            s.len += cmd;
            s.pushes[s.npush++] = cmd;
            continue;
        }
        switch (cmd) {
        case CMD_POP:
            /* 3.1.5.4.3.1.2: not on an empty stack */
            if (!s.npush)
                return bad(rd);
            s.len -= s.pushes[--s.npush];
            break;
        case CMD_BITMASK: {
            /* 3.1.5.4.3.2.3: exactly five bytes on the stack */
            uint8_t start = mh_rd_u8(rd), mask = mh_rd_u8(rd);
            if (rd->err)
                return -1;
            if (s.len != 5)
                return bad(rd);
            /* StartingValue, then StartingValue + 1 + b for each bit b */
            unsigned lo = start, hi = start;
            for (unsigned b = 0; b < 8; b++) {
                if (!(mask & (1u << b)))
                    continue;
                unsigned v = start + 1u + b;
                if (v > 0xFF)
                    return bad(rd);
                if (v == hi + 1) {
                    hi = v;
                } else {
                    add(&l, globcnt(&s, (unsigned char[]){(unsigned char)lo}, 1),
                        globcnt(&s, (unsigned char[]){(unsigned char)hi}, 1));
                    lo = hi = v;
                }
            }
            add(&l, globcnt(&s, (unsigned char[]){(unsigned char)lo}, 1),
                globcnt(&s, (unsigned char[]){(unsigned char)hi}, 1));
            break;
        }
        case CMD_RANGE: {
            /* 2.2.2.6.4: LowValue and HighValue of 6 - stack bytes each */
            unsigned n = 6 - s.len;
            const unsigned char *lo = mh_rd_bytes(rd, n);
            const unsigned char *hi = mh_rd_bytes(rd, n);
            if (!lo || !hi)
                return -1;
            uint64_t a = globcnt(&s, lo, n), b = globcnt(&s, hi, n);
            if (a > b)
                return bad(rd);
            add(&l, a, b);
            break;
        }
        default:
            return bad(rd);
        }
    }
    if (r_r)
        *r_r = l.r;
    if (n_r)
        *n_r = l.n;
    return 0;
}

static void put_bytes(mh_wr *wr, uint64_t v, unsigned from, unsigned to)
{
    for (unsigned i = from; i < to; i++)
        mh_wr_u8(wr, (uint8_t)(v >> (8 * (5 - i))));
}

void mh_globset_write(mh_wr *wr, const mh_globrange *r, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint64_t lo = r[i].low & MH_GLOBCNT_MAX, hi = r[i].high & MH_GLOBCNT_MAX;
        if (lo == hi) {
            mh_wr_u8(wr, 6);
            put_bytes(wr, lo, 0, 6);
            continue;
        }
        /* the high-order bytes both share go on the stack (at most 5:
         * they differ somewhere) */
        unsigned common = 0;
        while (common < 5 && ((lo >> (8 * (5 - common))) & 0xFF) ==
                                 ((hi >> (8 * (5 - common))) & 0xFF))
            common++;
        if (common) {
            mh_wr_u8(wr, (uint8_t)common);
            put_bytes(wr, lo, 0, common);
        }
        mh_wr_u8(wr, CMD_RANGE);
        put_bytes(wr, lo, common, 6);
        put_bytes(wr, hi, common, 6);
        if (common)
            mh_wr_u8(wr, CMD_POP);
    }
    mh_wr_u8(wr, CMD_END);
}

int mh_idset_guid_valid(const void *data, size_t len)
{
    mh_rd rd;
    mh_rd_init(&rd, data, len);
    while (mh_rd_left(&rd) > 0) {
        if (!mh_rd_bytes(&rd, 16) || mh_globset_read(&rd, NULL, NULL, NULL) != 0)
            return 0;
    }
    return !rd.err;
}
