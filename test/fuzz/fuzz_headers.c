/* libFuzzer target: the MAPI/HTTP header and cookie parsers (mh_http.c). */
#include "mh_http.h"

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
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = 0;
    (void)mh_valid_request_id(s);
    (void)mh_valid_client_info(s);
    (void)mh_valid_content_type(s);
    (void)mh_endpoint_from_path(s);
    (void)mh_reqtype_lookup(MH_EP_EMSMDB, (const char *)data, size);
    (void)mh_reqtype_lookup(MH_EP_NSPI, s, strlen(s));
    int dup;
    (void)mh_cookie_get(s, "MapiContext", pool, &dup);
    (void)mh_cookie_get(s, "NspiSequence", pool, NULL);
    free(s);
    apr_pool_clear(pool);
    return 0;
}
