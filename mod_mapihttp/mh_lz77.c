/*
 * mh_lz77.c - MS-XCA Plain LZ77 (= MS-OXCRPC DIRECT2) codec.
 */
#include "mh_lz77.h"
#include "mh_wire.h"

#include <stdint.h>
#include <string.h>

static inline void copy8(unsigned char *dst, const unsigned char *src)
{
    uint64_t w;
    memcpy(&w, src, 8);
    memcpy(dst, &w, 8);
}

static inline void copy16(unsigned char *dst, const unsigned char *src)
{
    copy8(dst, src);
    copy8(dst + 8, src + 8);
}

int mh_lz77_decompress(const unsigned char *in, size_t in_len, unsigned char *out,
                       size_t out_len)
{
    size_t ip = 0, op = 0;
    uint32_t flags = 0;
    unsigned flag_count = 0;
    size_t half_byte_pos = 0; /* 0: no shared length nibble pending */

    for (;;) {
        if (flag_count == 0) {
            if (ip == in_len && op == out_len)
                return 0; /* ended on a flag-word boundary, unterminated */
            if (in_len - ip < 4)
                return -1;
            flags = mh_get_u32(in + ip);
            ip += 4;
            flag_count = 32;
        }
        flag_count--;
        if ((flags & (1u << flag_count)) == 0) {
            /* a run of literals: this flag bit and the zero bits after it */
            uint32_t rest = flag_count ? flags & ((1u << flag_count) - 1) : 0;
            size_t run = rest ? flag_count - (31u - (unsigned)__builtin_clz(rest))
                              : (size_t)flag_count + 1;
            if (run > 1 && run <= 16 && in_len - ip >= 16 && out_len - op >= 16) {
                /* two words, the bytes past the run rewritten later */
                copy16(out + op, in + ip);
                ip += run;
                op += run;
                flag_count -= (unsigned)(run - 1);
                continue;
            }
            if (run > 1 && run <= in_len - ip && run <= out_len - op) {
                memcpy(out + op, in + ip, run);
                ip += run;
                op += run;
                flag_count -= (unsigned)(run - 1);
                continue;
            }
            if (ip >= in_len || op >= out_len)
                return -1;
            out[op++] = in[ip++];
            continue;
        }
        if (ip == in_len) /* a match flag with no input left marks the end */
            return op == out_len ? 0 : -1;
        if (in_len - ip < 2)
            return -1;
        uint32_t token = mh_get_u16(in + ip);
        ip += 2;
        size_t length = token & 7;
        size_t offset = (token >> 3) + 1;
        if (length == 7) {
            if (half_byte_pos == 0) {
                if (ip >= in_len)
                    return -1;
                length = in[ip] & 15;
                half_byte_pos = ip++;
            } else {
                length = in[half_byte_pos] >> 4;
                half_byte_pos = 0;
            }
            if (length == 15) {
                if (ip >= in_len)
                    return -1;
                length = in[ip++];
                if (length == 255) {
                    if (in_len - ip < 2)
                        return -1;
                    length = mh_get_u16(in + ip);
                    ip += 2;
                    if (length == 0) {
                        if (in_len - ip < 4)
                            return -1;
                        length = mh_get_u32(in + ip);
                        ip += 4;
                    }
                    if (length > out_len) /* before any arithmetic can wrap */
                        return -1;
                    if (length < 15 + 7)
                        return -1;
                    length -= 15 + 7;
                }
                length += 15;
            }
            length += 7;
        }
        length += 3;
        if (offset > op || length > out_len - op)
            return -1;
        if (offset >= 8 && length <= 16 && out_len - op >= 16) {
            /* a short match in two words (the second read after the first
             * write: an overlap at distance 8-15 reads what it must);
             * bytes past the match are rewritten later */
            copy8(out + op, out + op - offset);
            copy8(out + op + 8, out + op + 8 - offset);
            op += length;
        } else if (offset >= length) {
            memcpy(out + op, out + op - offset, length);
            op += length;
        } else if (offset >= 8) {
            /* overlapping, but eight bytes back at least: each piece is
             * written before it is read */
            size_t i = 0;
            for (; length - i >= 8; i += 8)
                memcpy(out + op + i, out + op + i - offset, 8);
            for (; i < length; i++)
                out[op + i] = out[op + i - offset];
            op += length;
        } else {
            /* byte by byte: the match repeats its last few bytes */
            for (size_t i = 0; i < length; i++, op++)
                out[op] = out[op - offset];
        }
    }
}

size_t mh_lz77_bound(size_t n)
{
    /* every 32 literals cost a 4-byte flag word, plus the closing word */
    return n + 4 * (n / 32 + 2);
}

/*
 * Greedy compressor with a small hash table of 4-byte prefixes (3-byte
 * matches are rare finds that the 4-byte hash misses; hashing 4 bytes
 * avoids most false candidates and read one word: fewer instructions and,
 * on ROP responses, smaller output).  The output format needs: flag words
 * placed before the elements they describe, and the length nibbles shared
 * between consecutive long matches.
 *
 * The table is the call's, on the stack, sized to the input (at most 4096
 * entries) and cleared per call.  Its entries are 16-bit (position + 1,
 * modulo 2^16; 0 is empty): 8 KB at most, so the clearing writes it into
 * the L1 cache and the random lookups that follow hit it.  (4096 entries
 * rather than 8192: the stack of whichever httpd thread runs is cold, and
 * half the table to clear cost 0.5 % more output on the bench's 8 KB
 * list-view response, 3030-3041 -> 3049-3056 bytes.)  (A per-thread
 * table of 32-bit entries, never cleared, took fewer instructions but
 * missed the cache under httpd, where dozens of threads take turns: it
 * was 11 % of all CPU samples of bench/run-rop.sh.)  Beyond 64 KB of
 * input a 16-bit entry may name a position 64 KB further back; every
 * candidate is checked byte for byte, so such a one only costs a look.
 */
#define HASH_BITS 12
#define WINDOW 8192
#define MIN_MATCH 3

/* Matches longer than INSERT_ALL_MAX index only their last INSERT_ENDS
 * positions (after their first, which the search itself indexed), as
 * zlib's fast levels do.  With 2 and 1, only the last position of a match
 * is indexed: on the bench's 8 KB list-view response that costs 3 % of
 * output (2949 -> 3039 bytes) and saves 22 % of the compressor's
 * instructions (bench/README.md). */
#define INSERT_ALL_MAX 2
#define INSERT_ENDS 1

static uint32_t hash4(const unsigned char *p, unsigned bits)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return (v * 2654435761u) >> (32 - bits);
}

/* How many bytes from a and b are equal, at most max (a before b). */
static size_t match_len(const unsigned char *a, const unsigned char *b, size_t max)
{
    size_t n = 0;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* eight bytes at a time: the first differing byte is the lowest set
     * byte of the XOR */
    while (max - n >= 8) {
        uint64_t x, y;
        memcpy(&x, a + n, 8);
        memcpy(&y, b + n, 8);
        if (x != y)
            return n + (size_t)(__builtin_ctzll(x ^ y) >> 3);
        n += 8;
    }
#endif
    while (n < max && a[n] == b[n])
        n++;
    return n;
}

/* The position a table entry names, as seen from ip: the last position
 * before ip whose low 16 bits are v - 1; ip (none) for an empty entry. */
static inline size_t entry_pos(uint16_t v, size_t ip)
{
    if (v == 0)
        return ip;
    size_t cand = (ip & ~(size_t)0xFFFF) | (size_t)(v - 1);
    if (cand >= ip)
        cand = cand >= 0x10000 ? cand - 0x10000 : ip;
    return cand;
}

size_t mh_lz77_compress(const unsigned char *in, size_t in_len, unsigned char *out)
{
    /* position + 1 (mod 2^16) of the last 4-byte prefix with each hash */
    uint16_t head[1 << HASH_BITS];
    size_t ip = 0, op = 4, flag_pos = 0, half_byte_pos = 0;
    uint32_t flags = 0;
    unsigned flag_count = 0;

    /* a table no larger than the input needs (small buffers are common) */
    unsigned bits = 8;
    while (bits < HASH_BITS && ((size_t)1 << bits) < in_len)
        bits++;
    memset(head, 0, sizeof(head[0]) << bits);

    while (ip < in_len) {
        size_t best_len = 0, best_off = 0;
        if (in_len - ip >= 4) {
            uint32_t h = hash4(in + ip, bits);
            size_t cand = entry_pos(head[h], ip);
            head[h] = (uint16_t)(ip + 1);
            if (cand < ip && ip - cand <= WINDOW) {
                size_t n = match_len(in + cand, in + ip, in_len - ip);
                if (n >= MIN_MATCH) {
                    best_len = n;
                    best_off = ip - cand;
                }
            }
        }
        if (best_len == 0) {
            out[op++] = in[ip++];
            flags <<= 1;
        } else {
            /* (matches longer than 65535 + 3 are split) */
            if (best_len > 65535 + 3)
                best_len = 65535 + 3;
            size_t l = best_len - 3;
            uint16_t token = (uint16_t)(((best_off - 1) << 3) | (l < 7 ? l : 7));
            mh_put_u16(out + op, token);
            op += 2;
            if (l >= 7) {
                size_t rest = l - 7;
                unsigned nibble = rest < 15 ? (unsigned)rest : 15;
                if (half_byte_pos == 0) {
                    half_byte_pos = op;
                    out[op++] = (unsigned char)nibble;
                } else {
                    out[half_byte_pos] |= (unsigned char)(nibble << 4);
                    half_byte_pos = 0;
                }
                if (rest >= 15) {
                    rest -= 15;
                    if (rest < 255) {
                        out[op++] = (unsigned char)rest;
                    } else {
                        out[op++] = 255;
                        mh_put_u16(out + op, (uint16_t)l);
                        op += 2;
                    }
                }
            }
            /* index the positions the match covers: all of a short one, the
             * first and last few of a long one */
            for (size_t k = 1; k < best_len; k++) {
                if (best_len > INSERT_ALL_MAX && k == INSERT_ENDS)
                    k = best_len - INSERT_ENDS;
                if (ip + k + 4 > in_len)
                    break; /* (after the jump too) a prefix must be whole */
                head[hash4(in + ip + k, bits)] = (uint16_t)(ip + k + 1);
            }
            ip += best_len;
            flags = (flags << 1) | 1;
        }
        if (++flag_count == 32) {
            mh_put_u32(out + flag_pos, flags);
            flag_pos = op;
            op += 4;
            flags = 0;
            flag_count = 0;
        }
    }
    /* pad the last flag word with 1 bits: the first one ends the stream */
    if (flag_count == 0)
        flags = 0xFFFFFFFFu;
    else
        flags = (flags << (32 - flag_count)) | ((1u << (32 - flag_count)) - 1);
    mh_put_u32(out + flag_pos, flags);
    return op;
}
