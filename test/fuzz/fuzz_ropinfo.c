/* libFuzzer target: ROP request headers and body skippers (mh_ropinfo.c).
 * The input is read as a ROP input list: header, skip, repeat until the
 * bytes run out or a ROP fails.  Every ROP that parses also gets its
 * failure response written, which must start with its RopId. */
#include "mh_ropinfo.h"

#include <stdint.h>
#include <stdlib.h>
#include <apr_general.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *pool;
    if (!pool) {
        apr_initialize();
        apr_pool_create(&pool, NULL);
    }
    mh_rd rd;
    mh_rd_init(&rd, data, size);
    while (mh_rd_left(&rd) > 0) {
        const unsigned char *start = rd.p;
        mh_ropheader h;
        if (mh_rd_ropheader(&rd, &h) < 0)
            break;
        if (h.info->skip(&rd) < 0) {
            if (!rd.err) /* a failing skipper must say so */
                abort();
            break;
        }
        if (rd.p < start || rd.p > rd.end)
            abort();
        mh_wr wr;
        mh_wr_init(&wr, pool, 64);
        uint32_t ec = (uint32_t)h.logon_id << 8 | h.in_idx;
        if (mh_rop_write_failure(&wr, h.id, h.resp_idx, ec ? ec : 0x80004005u, h.dest_idx) == 0) {
            if (wr.len < 6 || (wr.buf[0] != h.id && !(h.id == 0x1F && wr.buf[0] == 0x20)))
                abort();
        } else if (!(h.info->flags & MH_ROPF_NO_RESPONSE)) {
            abort();
        }
    }
    apr_pool_clear(pool);
    return 0;
}
