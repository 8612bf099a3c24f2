/* libFuzzer target: auxiliary buffers (mh_aux.c).  The input is parsed as
 * an rgbAuxIn as received, and its plain bytes are also wrapped in a valid
 * RPC_HEADER_EXT (plain, XORed, compressed) so that the AUX_HEADER block
 * parser is reached however the header bytes mutate.  The summary of every
 * parse is rendered too, and client version parsing gets the input as a
 * string. */
#include "mh_aux.h"
#include "mh_rpcext.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_one(const unsigned char *buf, size_t len, apr_pool_t *pool)
{
    mh_aux_info info;
    const char *why = NULL;
    int r = mh_aux_parse(buf, len, pool, &info, &why);
    if (r != 0 && !why)
        abort(); /* a failure always says why */
    if (info.n_reports > MH_AUX_MAX_REPORTS ||
        info.unknown + info.malformed > info.blocks)
        abort();
    const char *s = mh_aux_summary(&info, pool);
    if (!s || strchr(s, '\n') || strchr(s, '\r'))
        abort(); /* one log line, whatever the client sent */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *pool;
    if (!pool) {
        apr_initialize();
        apr_pool_create(&pool, NULL);
    }
    parse_one(data, size, pool);
    if (size <= MH_RPCEXT_MAX_PAYLOAD) {
        for (int mode = 0; mode < 3; mode++) {
            mh_wr wr;
            mh_wr_init(&wr, pool, size + 16);
            mh_rpcext_append(&wr, data, size, mode == 2, mode == 1, 1);
            parse_one(wr.buf, wr.len, pool);
        }
    }
    char *str = malloc(size + 1);
    memcpy(str, data, size);
    str[size] = '\0';
    uint16_t ver[4];
    if (mh_client_version_parse(str, ver) != 0 &&
        (ver[0] | ver[1] | ver[2] | ver[3]) != 0)
        abort();
    free(str);
    apr_pool_clear(pool);
    return 0;
}
