/*
 * mh_rpcext.h - MS-OXCRPC extended buffers: RPC_HEADER_EXT (section
 * 2.2.2.1) and its payload handling (section 3.1.4.2.1): XorMagic
 * obfuscation (3.1.4.1.1.3, every payload byte XOR 0xA5) and LZ77
 * compression (3.1.4.1.1.2).  Used for the Execute RopBuffer and for every
 * AuxiliaryBuffer.
 */
#ifndef MH_RPCEXT_H
#define MH_RPCEXT_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>

#include "mh_wire.h"

#define MH_RPCEXT_HEADER_LEN 8
#define MH_RPCEXT_COMPRESSED 0x0001
#define MH_RPCEXT_XORMAGIC 0x0002
#define MH_RPCEXT_LAST 0x0004
/* One payload never exceeds 32 KB (section 3.1.4.2.1). */
#define MH_RPCEXT_MAX_PAYLOAD 0x8000
/* Most extended buffers one request may carry (the packed-response limit
 * of section 3.1.4.2.1.2.2; also bounds what decompression can allocate). */
#define MH_RPCEXT_MAX_BUFFERS 96

typedef struct mh_rpcext_payload {
    const unsigned char *data; /* decoded (plain) payload */
    size_t len;
    uint16_t flags;            /* the header's flags, as received */
} mh_rpcext_payload;

/*
 * Parses `len` bytes holding one or more [RPC_HEADER_EXT][payload] pairs,
 * undoing XorMagic and compression.  `single` requires exactly one pair (the
 * auxiliary buffers).  The last pair, and only it, must have Last set.
 * Returns 0, or -1 with *why_r naming the fault.
 */
int mh_rpcext_parse(const unsigned char *buf, size_t len, int single,
                    apr_pool_t *pool, mh_rpcext_payload **payloads_r,
                    size_t *count_r, const char **why_r);

/*
 * Appends one [RPC_HEADER_EXT][payload] pair to wr.  With `compress` the
 * payload is LZ77-compressed when that makes it smaller; with `obfuscate`
 * it is XORed with 0xA5 (after compression, as the spec orders).  `last`
 * sets the Last flag.  len must not exceed MH_RPCEXT_MAX_PAYLOAD.
 */
void mh_rpcext_append(mh_wr *wr, const unsigned char *payload, size_t len,
                      int compress, int obfuscate, int last);

#endif
