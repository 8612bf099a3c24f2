/* libFuzzer target: the address book bodies (mh_nspi_wire.c).  The first
 * byte picks the request type (its low 5 bits, modulo the 19 NSPI types)
 * and the direction (bit 7: a response body, as the probe reads them); the
 * rest is the body.
 *
 * Besides not crashing, a body that parses must survive a round trip: the
 * parsed structure builds a body that parses again, and building that
 * second parse gives the same bytes (the first rebuild may differ from
 * the input: strings normalised, 0x1 flags written as errors ...). */
#include "mh_nspi_wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_TYPES (MH_RT_GETADDRESSBOOKURL - MH_RT_BIND + 1)

static void round_trip(mh_reqtype rt, int resp, const void *parsed, apr_pool_t *pool)
{
    mh_wr w1, w2;
    const char *why;
    void *again = apr_palloc(pool, resp ? sizeof(mh_nspi_resp) : sizeof(mh_nspi_req));
    mh_wr_init(&w1, pool, 256);
    mh_wr_init(&w2, pool, 256);
    if (resp) {
        mh_nspi_build_resp(rt, &w1, parsed);
        if (mh_nspi_parse_resp(rt, w1.buf, w1.len, pool, again, &why) != MH_BODY_OK)
            abort();
        mh_nspi_build_resp(rt, &w2, again);
    } else {
        mh_nspi_build_req(rt, &w1, parsed);
        if (mh_nspi_parse_req(rt, w1.buf, w1.len, pool, again, &why) != MH_BODY_OK)
            abort();
        mh_nspi_build_req(rt, &w2, again);
    }
    /* the second rebuild is the first one */
    mh_wr w3;
    mh_wr_init(&w3, pool, 256);
    void *third = apr_palloc(pool, resp ? sizeof(mh_nspi_resp) : sizeof(mh_nspi_req));
    if (resp) {
        if (mh_nspi_parse_resp(rt, w2.buf, w2.len, pool, third, &why) != MH_BODY_OK)
            abort();
        mh_nspi_build_resp(rt, &w3, third);
    } else {
        if (mh_nspi_parse_req(rt, w2.buf, w2.len, pool, third, &why) != MH_BODY_OK)
            abort();
        mh_nspi_build_req(rt, &w3, third);
    }
    if (w2.len != w3.len || memcmp(w2.buf, w3.buf, w2.len) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *pool;
    if (!pool) {
        apr_initialize();
        apr_pool_create(&pool, NULL);
    }
    if (size < 1)
        return 0;
    mh_reqtype rt = (mh_reqtype)(MH_RT_BIND + (data[0] & 0x1F) % N_TYPES);
    int resp = (data[0] & 0x80) != 0;
    const char *why = NULL;
    if (resp) {
        mh_nspi_resp r;
        if (mh_nspi_parse_resp(rt, data + 1, size - 1, pool, &r, &why) == MH_BODY_OK)
            round_trip(rt, 1, &r, pool);
        else if (!why)
            abort(); /* every failure says why */
    } else {
        mh_nspi_req r;
        if (mh_nspi_parse_req(rt, data + 1, size - 1, pool, &r, &why) == MH_BODY_OK)
            round_trip(rt, 0, &r, pool);
        else if (!why)
            abort();
    }
    apr_pool_clear(pool);
    return 0;
}
