/*
 * mh_rpcext.c - MS-OXCRPC extended buffers (RPC_HEADER_EXT).
 */
#include "mh_rpcext.h"
#include "mh_lz77.h"

#include <string.h>
#include <apr_strings.h>

static void xor_a5(unsigned char *p, size_t n)
{
    size_t i = 0;
    for (; n - i >= 8; i += 8) { /* eight bytes at a time */
        uint64_t w;
        memcpy(&w, p + i, 8);
        w ^= 0xA5A5A5A5A5A5A5A5ull;
        memcpy(p + i, &w, 8);
    }
    for (; i < n; i++)
        p[i] ^= 0xA5;
}

int mh_rpcext_parse(const unsigned char *buf, size_t len, int single,
                    apr_pool_t *pool, mh_rpcext_payload **payloads_r,
                    size_t *count_r, const char **why_r)
{
    /* room for a few buffers, grown by doubling up to the limit (most
     * requests have one: 96 zeroed entries were 2 KB of fresh memory) */
    size_t cap = 4;
    mh_rpcext_payload *pl = apr_palloc(pool, cap * sizeof(*pl));
    size_t n = 0;
    mh_rd rd;
    mh_rd_init(&rd, buf, len);
    for (;;) {
        if (n == MH_RPCEXT_MAX_BUFFERS) {
            *why_r = "too many extended buffers";
            return -1;
        }
        if (mh_rd_left(&rd) < MH_RPCEXT_HEADER_LEN) {
            *why_r = "truncated RPC_HEADER_EXT";
            return -1;
        }
        uint16_t version = mh_rd_u16(&rd);
        uint16_t flags = mh_rd_u16(&rd);
        uint16_t size = mh_rd_u16(&rd);
        uint16_t size_actual = mh_rd_u16(&rd);
        if (version != 0) {
            *why_r = "RPC_HEADER_EXT Version is not 0";
            return -1;
        }
        if (flags & ~(MH_RPCEXT_COMPRESSED | MH_RPCEXT_XORMAGIC | MH_RPCEXT_LAST)) {
            *why_r = "RPC_HEADER_EXT has unknown flags";
            return -1;
        }
        if (size_actual > MH_RPCEXT_MAX_PAYLOAD) {
            *why_r = "payload larger than 32 KB";
            return -1;
        }
        if (flags & MH_RPCEXT_COMPRESSED) {
            if (size >= size_actual) {
                *why_r = "compressed payload not smaller than SizeActual";
                return -1;
            }
        } else if (size != size_actual) {
            *why_r = "Size differs from SizeActual without compression";
            return -1;
        }
        const unsigned char *wire = mh_rd_bytes(&rd, size);
        if (!wire) {
            *why_r = "payload runs past the buffer";
            return -1;
        }
        if (n == cap) {
            mh_rpcext_payload *more = apr_palloc(pool, 2 * cap * sizeof(*pl));
            memcpy(more, pl, n * sizeof(*pl));
            pl = more;
            cap *= 2;
        }
        unsigned char *plain = apr_palloc(pool, size_actual ? size_actual : 1);
        if (flags & MH_RPCEXT_COMPRESSED) {
            const unsigned char *src = wire;
            if (flags & MH_RPCEXT_XORMAGIC) {
                unsigned char *tmp = apr_pmemdup(pool, wire, size);
                xor_a5(tmp, size);
                src = tmp;
            }
            if (mh_lz77_decompress(src, size, plain, size_actual) != 0) {
                *why_r = "LZ77 payload does not decompress to SizeActual";
                return -1;
            }
        } else {
            memcpy(plain, wire, size);
            if (flags & MH_RPCEXT_XORMAGIC)
                xor_a5(plain, size);
        }
        pl[n].data = plain;
        pl[n].len = size_actual;
        pl[n].flags = flags;
        n++;
        int last = (flags & MH_RPCEXT_LAST) != 0;
        if (last != (mh_rd_left(&rd) == 0)) {
            *why_r = last ? "bytes follow the buffer marked Last"
                          : "no buffer is marked Last";
            return -1;
        }
        if (last)
            break;
        if (single) {
            *why_r = "more than one extended buffer";
            return -1;
        }
    }
    *payloads_r = pl;
    *count_r = n;
    return 0;
}

void mh_rpcext_append(mh_wr *wr, const unsigned char *payload, size_t len,
                      int compress, int obfuscate, int last)
{
    size_t hdr = wr->len;
    uint16_t flags = last ? MH_RPCEXT_LAST : 0;
    mh_wr_reserve(wr, MH_RPCEXT_HEADER_LEN);
    size_t body = wr->len;
    size_t wire_len = len;
    if (compress && len > 16) {
        unsigned char *dst = mh_wr_reserve(wr, mh_lz77_bound(len));
        size_t clen = mh_lz77_compress(payload, len, dst);
        if (clen < len) {
            flags |= MH_RPCEXT_COMPRESSED;
            wire_len = clen;
        }
        wr->len = body; /* give back the reservation; re-add what is used */
    }
    if (flags & MH_RPCEXT_COMPRESSED)
        wr->len += wire_len; /* compressed bytes already in place */
    else
        mh_wr_bytes(wr, payload, len);
    if (obfuscate) {
        flags |= MH_RPCEXT_XORMAGIC;
        xor_a5(wr->buf + body, wire_len);
    }
    mh_put_u16(wr->buf + hdr, 0);
    mh_put_u16(wr->buf + hdr + 2, flags);
    mh_put_u16(wr->buf + hdr + 4, (uint16_t)wire_len);
    mh_put_u16(wr->buf + hdr + 6, (uint16_t)len);
}
