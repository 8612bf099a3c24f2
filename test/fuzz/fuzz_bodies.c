/* libFuzzer target: the mailbox endpoint's request body parsers
 * (mh_bodies.c; the address book ones are fuzz_nspi.c).  The first byte
 * picks the request type; the rest is the body. */
#include "mh_bodies.h"

#include <stdint.h>
#include <apr_general.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *pool;
    if (!pool) {
        apr_initialize();
        apr_pool_create(&pool, NULL);
    }
    if (size < 1)
        return 0;
    const char *why;
    const uint8_t *body = data + 1;
    size_t len = size - 1;
    mh_aux_in aux;
    switch (data[0] % 4) {
    case 0: {
        mh_connect_req r;
        (void)mh_parse_connect(body, len, pool, &r, &why);
        break;
    }
    case 1: {
        mh_execute_req r;
        (void)mh_parse_execute(body, len, pool, &r, &why);
        break;
    }
    case 2:
        (void)mh_parse_disconnect(body, len, &aux, &why);
        break;
    default: {
        uint32_t flags;
        (void)mh_parse_notification_wait(body, len, &flags, &aux, &why);
        break;
    }
    }
    apr_pool_clear(pool);
    return 0;
}
