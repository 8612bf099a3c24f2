/*
 * mh_lz77.h - MS-OXCRPC section 3.1.4.1.1.2 compression: LZ77 with the
 * DIRECT2 encoding, which is bit for bit MS-XCA section 2.3/2.4 "Plain
 * LZ77" (flag words read from the most significant bit, 13-bit offsets,
 * lengths extended through a shared nibble, a byte and a 16-bit word).
 */
#ifndef MH_LZ77_H
#define MH_LZ77_H

#include <stddef.h>

/*
 * Decompresses `in` into `out`, which holds exactly `out_len` bytes (the
 * RPC_HEADER_EXT SizeActual).  Returns 0 when the stream decodes to exactly
 * out_len bytes, -1 on any malformed or over-long input.  Never reads or
 * writes outside the two buffers.
 */
int mh_lz77_decompress(const unsigned char *in, size_t in_len,
                       unsigned char *out, size_t out_len);

/* Worst-case compressed size of n input bytes (all literals). */
size_t mh_lz77_bound(size_t n);

/*
 * Compresses `in` (in_len below 2^31: callers pass one extended buffer,
 * at most 64 KB) into `out` (at least mh_lz77_bound(in_len) bytes) and
 * returns the compressed length.  Deterministic: the output depends on the
 * input alone, and the MS-XCA section 3.1 examples come out byte for byte.
 * Thread-safe: the match table is on the caller's stack (16 KB at most).
 */
size_t mh_lz77_compress(const unsigned char *in, size_t in_len,
                        unsigned char *out);

#endif
