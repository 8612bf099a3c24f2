/*
 * libFuzzer target: the HTTP response reader of the client library
 * (tools/mh_client.c: status line, headers, Content-Length / chunked /
 * until-close bodies, the MAPI/HTTP inner stream), what mapihttp-probe and
 * bench-rop read from servers they do not trust.  The input is the byte
 * stream of the connection (through a socketpair), read with a 64 KB body
 * limit.  Aborts when a response that was accepted breaks its promises.
 */
#include "mh_client.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <apr_general.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    if (size > 512 * 1024)
        return 0; /* more than the socketpair buffer */
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        abort();
    int sz = 1024 * 1024;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(sv[1], data + off, size - off);
        if (n <= 0)
            abort();
        off += (size_t)n;
    }
    close(sv[1]);
    apr_pool_t *pool;
    apr_pool_create(&pool, root);
    mh_client_opts o;
    memset(&o, 0, sizeof(o));
    o.host = "fuzz";
    o.max_response = 64 * 1024;
    mh_client *c = mh_client_create(pool, &o);
    mh_client_attach_fd(c, sv[0]);
    mh_response *r = NULL;
    /* up to three responses on the connection, as a keep-alive client reads */
    for (int i = 0; i < 3; i++) {
        if (mh_client_read_response(c, pool, 0, &r) != APR_SUCCESS) {
            if (!*mh_client_error(c))
                abort(); /* an error always says what went wrong */
            break;
        }
        if (!r || r->body_len > o.max_response || (r->body_len && !r->body) || !r->headers)
            abort();
        if (r->payload_len > r->body_len)
            abort();
        mh_parse_inner_stream(pool, r);
    }
    mh_client_disconnect(c);
    apr_pool_destroy(pool);
    return 0;
}
