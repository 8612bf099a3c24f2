/* libFuzzer target: extended buffers (RPC_HEADER_EXT, XOR) and LZ77
 * decompression (mh_rpcext.c, mh_lz77.c).  The first two bytes give the
 * decompressed size for the direct LZ77 call; the rest is parsed both as
 * a list of extended buffers and as an LZ77 stream. */
#include "mh_lz77.h"
#include "mh_rpcext.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *pool;
    if (!pool) {
        apr_initialize();
        apr_pool_create(&pool, NULL);
    }
    if (size < 2)
        return 0;
    size_t out_len = (size_t)(data[0] | (data[1] << 8));
    const uint8_t *in = data + 2;
    size_t in_len = size - 2;
    mh_rpcext_payload *pl;
    size_t n;
    const char *why;
    (void)mh_rpcext_parse(in, in_len, 0, pool, &pl, &n, &why);
    (void)mh_rpcext_parse(in, in_len, 1, pool, &pl, &n, &why);
    unsigned char *out = malloc(out_len ? out_len : 1);
    if (mh_lz77_decompress(in, in_len, out, out_len) == 0) {
        /* what decodes must round-trip through our compressor */
        unsigned char *comp = malloc(mh_lz77_bound(out_len));
        unsigned char *back = malloc(out_len ? out_len : 1);
        size_t cn = mh_lz77_compress(out, out_len, comp);
        if (mh_lz77_decompress(comp, cn, back, out_len) != 0 ||
            (out_len && memcmp(back, out, out_len) != 0))
            abort();
        free(comp);
        free(back);
    }
    free(out);
    apr_pool_clear(pool);
    return 0;
}
