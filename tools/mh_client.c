/*
 * mh_client.c - MAPI/HTTP client: HTTP/1.1 over TCP or TLS.
 */
#include "mh_client.h"
#include "mh_nspi_wire.h"
#include "mh_wire.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <apr_base64.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

struct mh_client {
    apr_pool_t *pool;
    mh_client_opts opts;
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    char err[256];
    /* bytes read and not yet used: rlen of them at rbuf, inside the buffer
     * base of bcap bytes (consumed bytes are skipped, not moved: the
     * unread ones move to the front only when the end is reached) */
    unsigned char *base, *rbuf;
    size_t rlen, bcap;
    int line_too_long;  /* read_line gave up: no CRLF within LINE_MAX_BYTES */
};

/* A status, header, chunk-size or trailer line longer than this is refused
 * (a broken or hostile server must not make the client grow without end). */
#define LINE_MAX_BYTES (64 * 1024)
#define DEFAULT_MAX_RESPONSE ((size_t)64 * 1024 * 1024)

const char *mh_client_error(const mh_client *c)
{
    return c->err;
}

static apr_status_t set_err(mh_client *c, apr_status_t rv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static apr_status_t set_err(mh_client *c, apr_status_t rv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof(c->err), fmt, ap);
    va_end(ap);
    return rv;
}

void mh_client_disconnect(mh_client *c)
{
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    c->rlen = 0;
    c->rbuf = c->base;
}

static apr_status_t client_cleanup(void *data)
{
    mh_client *c = data;
    mh_client_disconnect(c);
    if (c->ctx)
        SSL_CTX_free(c->ctx);
    c->ctx = NULL;
    return APR_SUCCESS;
}

mh_client *mh_client_create(apr_pool_t *pool, const mh_client_opts *opts)
{
    mh_client *c = apr_pcalloc(pool, sizeof(*c));
    c->pool = pool;
    c->opts = *opts;
    if (!c->opts.timeout)
        c->opts.timeout = apr_time_from_sec(30);
    c->fd = -1;
    c->bcap = 65536;
    c->base = c->rbuf = apr_palloc(pool, c->bcap);
    apr_pool_cleanup_register(pool, c, client_cleanup, apr_pool_cleanup_null);
    return c;
}

/* The Host header's value: an IPv6 address literal goes in brackets
 * (RFC 7230 5.4, RFC 3986 3.2.2). */
static const char *host_header(const mh_client *c, apr_pool_t *pool)
{
    const char *h = c->opts.host ? c->opts.host : "";
    if (strchr(h, ':') && h[0] != '[')
        return apr_psprintf(pool, "[%s]:%d", h, c->opts.port);
    return apr_psprintf(pool, "%s:%d", h, c->opts.port);
}

void mh_client_attach_fd(mh_client *c, int fd)
{
    mh_client_disconnect(c);
    c->fd = fd;
}

static apr_status_t do_connect(mh_client *c)
{
    struct addrinfo hints = {0}, *res = NULL;
    char port[16];
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof(port), "%d", c->opts.port);
    int gai = getaddrinfo(c->opts.host, port, &hints, &res);
    if (gai != 0)
        return set_err(c, APR_EGENERAL, "resolve %s: %s", c->opts.host, gai_strerror(gai));
    c->fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (c->fd < 0) {
        freeaddrinfo(res);
        return set_err(c, APR_FROM_OS_ERROR(errno), "socket: %s", strerror(errno));
    }
    struct timeval tv;
    tv.tv_sec = (time_t)apr_time_sec(c->opts.timeout);
    tv.tv_usec = (suseconds_t)apr_time_usec(c->opts.timeout);
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(c->fd, res->ai_addr, res->ai_addrlen) != 0) {
        int e = errno;
        freeaddrinfo(res);
        close(c->fd);
        c->fd = -1;
        return set_err(c, APR_FROM_OS_ERROR(e), "connect %s:%d: %s", c->opts.host,
                       c->opts.port, strerror(e));
    }
    freeaddrinfo(res);
    c->rlen = 0;
    if (!c->opts.tls)
        return APR_SUCCESS;
    if (!c->ctx) {
        c->ctx = SSL_CTX_new(TLS_client_method());
        if (!c->ctx)
            return set_err(c, APR_EGENERAL, "SSL_CTX_new failed");
        if (c->opts.tls_ca_file) {
            SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
            if (SSL_CTX_load_verify_locations(c->ctx, c->opts.tls_ca_file, NULL) != 1)
                return set_err(c, APR_EGENERAL, "cannot load CA file %s",
                               c->opts.tls_ca_file);
        } else if (c->opts.tls_verify_system) {
            SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
            if (SSL_CTX_set_default_verify_paths(c->ctx) != 1)
                return set_err(c, APR_EGENERAL, "cannot load the system's CA certificates");
        } else {
            SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
        }
    }
    c->ssl = SSL_new(c->ctx);
    SSL_set_fd(c->ssl, c->fd);
    const char *sni = c->opts.tls_sni ? c->opts.tls_sni : c->opts.host;
    SSL_set_tlsext_host_name(c->ssl, sni);
    if (c->opts.tls_ca_file || c->opts.tls_verify_system)
        SSL_set1_host(c->ssl, sni);
    if (SSL_connect(c->ssl) != 1) {
        unsigned long e = ERR_get_error();
        char buf[160];
        ERR_error_string_n(e, buf, sizeof(buf));
        long vr = SSL_get_verify_result(c->ssl);
        const char *why = vr != X509_V_OK ? X509_verify_cert_error_string(vr) : NULL;
        mh_client_disconnect(c);
        return set_err(c, APR_EGENERAL, "TLS handshake with %s:%d failed: %s%s%s",
                       c->opts.host, c->opts.port, buf, why ? "; certificate: " : "",
                       why ? why : "");
    }
    return APR_SUCCESS;
}

static apr_status_t write_all(mh_client *c, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n;
        if (c->ssl)
            n = SSL_write(c->ssl, p, (int)len);
        else
            n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return set_err(c, APR_EGENERAL, "write failed: %s",
                           n < 0 ? strerror(errno) : "connection closed");
        p += n;
        len -= (size_t)n;
    }
    return APR_SUCCESS;
}

apr_status_t mh_client_connect(mh_client *c)
{
    return c->fd < 0 ? do_connect(c) : APR_SUCCESS;
}

apr_status_t mh_client_send_raw(mh_client *c, const void *data, size_t len)
{
    apr_status_t rv;
    if (c->fd < 0 && (rv = do_connect(c)) != APR_SUCCESS)
        return rv;
    return write_all(c, data, len);
}

/* Reads more bytes into the buffer; 0 on EOF, -1 on error/timeout. */
static ssize_t fill(mh_client *c)
{
    if ((size_t)(c->rbuf - c->base) + c->rlen == c->bcap) {
        /* no room after the data: move it to the front, or grow */
        if (c->rbuf != c->base) {
            memmove(c->base, c->rbuf, c->rlen);
        } else {
            size_t ncap = c->bcap * 2;
            unsigned char *nb = apr_palloc(c->pool, ncap);
            memcpy(nb, c->rbuf, c->rlen);
            c->base = nb;
            c->bcap = ncap;
        }
        c->rbuf = c->base;
    }
    size_t room = c->bcap - (size_t)(c->rbuf - c->base) - c->rlen;
    ssize_t n;
    if (c->ssl) {
        n = SSL_read(c->ssl, c->rbuf + c->rlen, room > INT_MAX ? INT_MAX : (int)room);
        if (n <= 0) {
            int e = SSL_get_error(c->ssl, (int)n);
            if (e == SSL_ERROR_ZERO_RETURN ||
                (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0))
                return 0;
            return e == SSL_ERROR_SYSCALL && errno == 0 ? 0 : -1;
        }
    } else {
        n = recv(c->fd, c->rbuf + c->rlen, room, 0);
        if (n < 0)
            return -1;
    }
    c->rlen += (size_t)n;
    return n;
}

static void consume(mh_client *c, size_t n)
{
    c->rbuf += n;
    c->rlen -= n;
    if (c->rlen == 0)
        c->rbuf = c->base;
}

/* Finds "\r\n" in the buffer from `from`; returns its offset or -1. */
static long find_crlf(const mh_client *c, size_t from)
{
    for (size_t i = from; i + 1 < c->rlen; i++)
        if (c->rbuf[i] == '\r' && c->rbuf[i + 1] == '\n')
            return (long)i;
    return -1;
}

/* Reads until a full line is buffered; returns its length (without CRLF). */
static long read_line(mh_client *c)
{
    c->line_too_long = 0;
    for (;;) {
        long at = find_crlf(c, 0);
        if (at >= 0)
            return at;
        if (c->rlen > LINE_MAX_BYTES) {
            c->line_too_long = 1;
            return -1;
        }
        ssize_t n = fill(c);
        if (n <= 0)
            return -1;
    }
}

/* Incremental inner-stream parse: meta-tag lines get their arrival time. */
typedef struct inner_state {
    int phase;      /* 0 meta lines, 1 additional headers, 2 payload */
    size_t scanned; /* bytes of the entity already looked at */
} inner_state;

static void inner_feed(apr_pool_t *pool, mh_response *r, inner_state *is,
                       const unsigned char *ent, size_t len, apr_time_t now)
{
    while (is->phase < 2) {
        const unsigned char *line = ent + is->scanned;
        size_t avail = len - is->scanned, i;
        for (i = 0; i + 1 < avail; i++)
            if (line[i] == '\r' && line[i + 1] == '\n')
                break;
        if (i + 1 >= avail)
            return; /* incomplete line */
        char *s = apr_pstrmemdup(pool, (const char *)line, i);
        is->scanned += i + 2;
        if (is->phase == 0) {
            mh_meta_tag *m = apr_array_push(r->meta);
            m->tag = s;
            m->at = now;
            if (strcmp(s, "DONE") == 0)
                is->phase = 1;
        } else if (i == 0) {
            is->phase = 2;
            r->inner_ok = 1;
        } else {
            char *colon = strchr(s, ':');
            if (colon) {
                *colon = 0;
                const char *v = colon + 1;
                while (*v == ' ')
                    v++;
                apr_table_add(r->additional, s, v);
            }
        }
    }
}

void mh_parse_inner_stream(apr_pool_t *pool, mh_response *r)
{
    inner_state is = {0, 0};
    r->meta = apr_array_make(pool, 4, sizeof(mh_meta_tag));
    r->additional = apr_table_make(pool, 4);
    r->inner_ok = 0;
    inner_feed(pool, r, &is, r->body, r->body_len, r->done_at);
    if (r->inner_ok) {
        r->payload = r->body + is.scanned;
        r->payload_len = r->body_len - is.scanned;
    }
}

apr_status_t mh_client_read_response(mh_client *c, apr_pool_t *pool, int head,
                                     mh_response **resp_r)
{
    mh_response *r = apr_pcalloc(pool, sizeof(*r));
    r->headers = apr_table_make(pool, 16);
    r->meta = apr_array_make(pool, 4, sizeof(mh_meta_tag));
    r->additional = apr_table_make(pool, 4);
    size_t max = c->opts.max_response ? c->opts.max_response : DEFAULT_MAX_RESPONSE;
    long n = read_line(c);
    if (n < 0 && c->line_too_long)
        return set_err(c, APR_EGENERAL, "no HTTP status line within %d bytes", LINE_MAX_BYTES);
    if (n < 0)
        return set_err(c, APR_EOF, "no response (connection closed or timed out)");
    r->first_byte_at = apr_time_now();
    char *status_line = apr_pstrmemdup(pool, (const char *)c->rbuf, (size_t)n);
    consume(c, (size_t)n + 2);
    if (strncmp(status_line, "HTTP/1.", 7) != 0 || strlen(status_line) < 12)
        return set_err(c, APR_EGENERAL, "bad status line: %s", status_line);
    r->status = atoi(status_line + 9);
    r->reason = status_line + 13 <= status_line + strlen(status_line) ? status_line + 13 : "";
    for (;;) {
        n = read_line(c);
        if (n < 0 && c->line_too_long)
            return set_err(c, APR_EGENERAL, "a header line longer than %d bytes", LINE_MAX_BYTES);
        if (n < 0)
            return set_err(c, APR_EOF, "connection closed inside the headers");
        if (apr_table_elts(r->headers)->nelts >= 1000)
            return set_err(c, APR_EGENERAL, "more than 1000 header lines");
        if (n == 0) {
            consume(c, 2);
            break;
        }
        char *h = apr_pstrmemdup(pool, (const char *)c->rbuf, (size_t)n);
        consume(c, (size_t)n + 2);
        char *colon = strchr(h, ':');
        if (!colon)
            return set_err(c, APR_EGENERAL, "bad header line: %s", h);
        *colon = 0;
        const char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        apr_table_add(r->headers, h, v);
    }
    const char *te = apr_table_get(r->headers, "Transfer-Encoding");
    const char *cl = apr_table_get(r->headers, "Content-Length");
    const char *conn = apr_table_get(r->headers, "Connection");
    r->chunked = te && strcasecmp(te, "chunked") == 0;
    const char *ctype = apr_table_get(r->headers, "Content-Type");
    int inner = ctype && strncasecmp(ctype, "application/mapi-http", 21) == 0;
    inner_state is = {0, 0};

    size_t cap = 4096, len = 0;
    unsigned char *ent = apr_palloc(pool, cap);
#define APPEND(src, k)                                                 \
    do {                                                               \
        if (len + (k) > cap) {                                         \
            while (len + (k) > cap)                                    \
                cap *= 2;                                              \
            unsigned char *ne = apr_palloc(pool, cap);                 \
            memcpy(ne, ent, len);                                      \
            ent = ne;                                                  \
        }                                                              \
        memcpy(ent + len, (src), (k));                                 \
        len += (k);                                                    \
        if (inner)                                                     \
            inner_feed(pool, r, &is, ent, len, apr_time_now());        \
    } while (0)

    if (head || r->status == 204 || r->status == 304) {
        /* no body */
    } else if (r->chunked) {
        for (;;) {
            n = read_line(c);
            if (n < 0 && c->line_too_long)
                return set_err(c, APR_EGENERAL, "a chunk-size line longer than %d bytes",
                               LINE_MAX_BYTES);
            if (n < 0)
                return set_err(c, APR_EOF, "connection closed inside a chunk size");
            char *sz = apr_pstrmemdup(pool, (const char *)c->rbuf, (size_t)n);
            consume(c, (size_t)n + 2);
            char *end;
            unsigned long k = strtoul(sz, &end, 16);
            if (end == sz)
                return set_err(c, APR_EGENERAL, "bad chunk size: %s", sz);
            if (k > max - len)
                return set_err(c, APR_EGENERAL, "response body larger than %" APR_SIZE_T_FMT
                               " bytes (chunk of %lu after %" APR_SIZE_T_FMT ")", max, k, len);
            if (k == 0) {
                /* trailers until the empty line */
                for (;;) {
                    n = read_line(c);
                    if (n < 0)
                        return set_err(c, c->line_too_long ? APR_EGENERAL : APR_EOF,
                                       c->line_too_long ? "a trailer line too long"
                                                        : "connection closed in trailers");
                    consume(c, (size_t)n + 2);
                    if (n == 0)
                        break;
                }
                break;
            }
            while (c->rlen < k + 2) {
                if (fill(c) <= 0)
                    return set_err(c, APR_EOF, "connection closed inside a chunk");
            }
            APPEND(c->rbuf, k);
            consume(c, k + 2);
        }
    } else if (cl) {
        char *cl_end;
        errno = 0;
        unsigned long long cl_v = strtoull(cl, &cl_end, 10);
        if (cl_end == cl || *cl_end || errno || *cl == '-')
            return set_err(c, APR_EGENERAL, "bad Content-Length: %s", cl);
        if (cl_v > max)
            return set_err(c, APR_EGENERAL, "response body of %llu bytes, more than %"
                           APR_SIZE_T_FMT, cl_v, max);
        size_t want = (size_t)cl_v;
        while (c->rlen < want) {
            size_t have = c->rlen;
            if (have) {
                APPEND(c->rbuf, have);
                consume(c, have);
                want -= have;
            }
            if (want && fill(c) <= 0)
                return set_err(c, APR_EOF, "connection closed inside the body");
        }
        APPEND(c->rbuf, want);
        consume(c, want);
    } else {
        /* until the server closes */
        for (;;) {
            if (c->rlen) {
                size_t have = c->rlen;
                if (have > max - len)
                    return set_err(c, APR_EGENERAL, "response body larger than %"
                                   APR_SIZE_T_FMT " bytes", max);
                APPEND(c->rbuf, have);
                consume(c, have);
            }
            ssize_t k = fill(c);
            if (k <= 0)
                break;
        }
        r->closed = 1;
    }
#undef APPEND
    r->body = ent;
    r->body_len = len;
    r->done_at = apr_time_now();
    if (inner && is.phase == 2) {
        r->payload = ent + is.scanned;
        r->payload_len = len - is.scanned;
    }
    if ((conn && strcasecmp(conn, "close") == 0) || r->closed) {
        r->closed = 1;
        mh_client_disconnect(c);
    }
    *resp_r = r;
    return APR_SUCCESS;
}

typedef struct hdr_ctx {
    apr_pool_t *pool;
    char *out;
} hdr_ctx;

static int add_hdr(void *baton, const char *k, const char *v)
{
    hdr_ctx *h = baton;
    h->out = apr_pstrcat(h->pool, h->out, k, ": ", v, "\r\n", NULL);
    return 1;
}

apr_status_t mh_client_request(mh_client *c, apr_pool_t *pool, const char *method,
                               const char *path, apr_table_t *headers, const void *body,
                               size_t body_len, mh_response **resp_r)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        int fresh = c->fd < 0;
        apr_status_t rv;
        if (fresh && (rv = do_connect(c)) != APR_SUCCESS)
            return rv;
        hdr_ctx h = {pool, apr_psprintf(pool, "%s %s HTTP/1.1\r\n", method, path)};
        if (!headers || !apr_table_get(headers, "Host"))
            h.out = apr_psprintf(pool, "%sHost: %s\r\n", h.out, host_header(c, pool));
        if (!headers || (!apr_table_get(headers, "Content-Length") &&
                         !apr_table_get(headers, "Transfer-Encoding")))
            h.out = apr_psprintf(pool, "%sContent-Length: %" APR_SIZE_T_FMT "\r\n", h.out, body_len);
        if (headers)
            apr_table_do(add_hdr, &h, headers, NULL);
        h.out = apr_pstrcat(pool, h.out, "\r\n", NULL);
        apr_time_t sent = apr_time_now();
        size_t hlen = strlen(h.out);
        if (body_len && body_len <= 65536) {
            /* head and a small body in one write, as one segment: a body
             * sent apart costs the server a second wakeup */
            char *all = apr_palloc(pool, hlen + body_len);
            memcpy(all, h.out, hlen);
            memcpy(all + hlen, body, body_len);
            rv = write_all(c, all, hlen + body_len);
        } else {
            rv = write_all(c, h.out, hlen);
            if (rv == APR_SUCCESS && body_len)
                rv = write_all(c, body, body_len);
        }
        if (rv == APR_SUCCESS) {
            rv = mh_client_read_response(c, pool, strcmp(method, "HEAD") == 0, resp_r);
            if (rv == APR_SUCCESS) {
                (*resp_r)->sent_at = sent;
                return rv;
            }
        }
        /* a kept-alive connection the server had closed: retry once */
        mh_client_disconnect(c);
        if (fresh)
            return rv;
    }
    return APR_EGENERAL;
}

int mh_response_code(const mh_response *r)
{
    const char *v = apr_table_get(r->headers, "X-ResponseCode");
    return v ? atoi(v) : -1;
}

/* ---------------------------------------------------------- cookie jar */

typedef struct jar_cookie {
    const char *name, *value, *path, *attrs;
} jar_cookie;

struct mh_cookie_jar {
    apr_pool_t *pool;
    apr_array_header_t *cookies; /* jar_cookie */
};

mh_cookie_jar *mh_cookie_jar_create(apr_pool_t *pool)
{
    mh_cookie_jar *j = apr_pcalloc(pool, sizeof(*j));
    j->pool = pool;
    j->cookies = apr_array_make(pool, 4, sizeof(jar_cookie));
    return j;
}

void mh_cookie_jar_clear(mh_cookie_jar *jar)
{
    apr_array_clear(jar->cookies);
}

void mh_cookie_jar_set(mh_cookie_jar *jar, const char *name, const char *value,
                       const char *path)
{
    jar_cookie *ck = (jar_cookie *)jar->cookies->elts;
    for (int i = 0; i < jar->cookies->nelts; i++) {
        if (strcmp(ck[i].name, name) == 0 && strcmp(ck[i].path, path) == 0) {
            ck[i].value = apr_pstrdup(jar->pool, value);
            return;
        }
    }
    jar_cookie *n = apr_array_push(jar->cookies);
    n->name = apr_pstrdup(jar->pool, name);
    n->value = apr_pstrdup(jar->pool, value);
    n->path = apr_pstrdup(jar->pool, path);
    n->attrs = "";
}

static int take_set_cookie(void *baton, const char *k, const char *v)
{
    mh_cookie_jar *jar = baton;
    char *s = apr_pstrdup(jar->pool, v);
    char *semi = strchr(s, ';');
    const char *attrs = "";
    if (semi) {
        *semi = 0;
        attrs = apr_pstrdup(jar->pool, semi + 1);
    }
    char *eq = strchr(s, '=');
    if (!eq)
        return 1;
    *eq = 0;
    const char *path = "/";
    /* find Path= among the attributes */
    char *a = apr_pstrdup(jar->pool, attrs), *state = NULL;
    for (char *tok = apr_strtok(a, ";", &state); tok; tok = apr_strtok(NULL, ";", &state)) {
        while (*tok == ' ')
            tok++;
        if (strncasecmp(tok, "Path=", 5) == 0)
            path = tok + 5;
    }
    mh_cookie_jar_set(jar, s, eq + 1, path);
    jar_cookie *ck = (jar_cookie *)jar->cookies->elts;
    for (int i = 0; i < jar->cookies->nelts; i++)
        if (strcmp(ck[i].name, s) == 0 && strcmp(ck[i].path, path) == 0)
            ck[i].attrs = attrs;
    return 1;
}

void mh_cookie_jar_update(mh_cookie_jar *jar, const mh_response *resp)
{
    apr_table_do(take_set_cookie, jar, resp->headers, "Set-Cookie", NULL);
}

/* RFC 6265 5.1.4 path-match. */
static int path_match(const char *req_path, const char *cookie_path)
{
    size_t n = strlen(cookie_path);
    if (strncmp(req_path, cookie_path, n) != 0)
        return 0;
    if (req_path[n] == '\0' || req_path[n] == '?')
        return 1;
    return cookie_path[n - 1] == '/' || req_path[n] == '/';
}

const char *mh_cookie_jar_header(mh_cookie_jar *jar, apr_pool_t *pool, const char *path)
{
    const char *out = NULL;
    jar_cookie *ck = (jar_cookie *)jar->cookies->elts;
    for (int i = 0; i < jar->cookies->nelts; i++) {
        if (!path_match(path, ck[i].path))
            continue;
        const char *pair = apr_pstrcat(pool, ck[i].name, "=", ck[i].value, NULL);
        out = out ? apr_pstrcat(pool, out, "; ", pair, NULL) : pair;
    }
    return out;
}

const char *mh_cookie_jar_get(mh_cookie_jar *jar, const char *name, const char **attrs_r)
{
    jar_cookie *ck = (jar_cookie *)jar->cookies->elts;
    for (int i = 0; i < jar->cookies->nelts; i++) {
        if (strcmp(ck[i].name, name) == 0) {
            if (attrs_r)
                *attrs_r = ck[i].attrs;
            return ck[i].value;
        }
    }
    return NULL;
}

/* ----------------------------------------------------- MAPI/HTTP calls */

static void random_guid(char out[40])
{
    unsigned char b[16];
    apr_generate_random_bytes(b, sizeof(b));
    snprintf(out, 40, "{%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X}",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

mh_mapi *mh_mapi_create(apr_pool_t *pool, mh_client *conn, const char *path,
                        const char *user, const char *password)
{
    mh_mapi *m = apr_pcalloc(pool, sizeof(*m));
    m->conn = conn;
    m->pool = pool;
    m->path = apr_pstrdup(pool, path);
    m->user = user ? apr_pstrdup(pool, user) : NULL;
    m->password = password ? apr_pstrdup(pool, password) : NULL;
    m->jar = mh_cookie_jar_create(pool);
    random_guid(m->request_guid);
    random_guid(m->client_guid);
    m->client_app = "Outlook/16.0.17928.20114";
    return m;
}

static apr_table_t *mapi_headers(mh_mapi *m, apr_pool_t *pool, const char *request_type)
{
    apr_table_t *h = apr_table_make(pool, 8);
    apr_table_set(h, "Content-Type", "application/mapi-http");
    apr_table_set(h, "X-RequestType", request_type);
    apr_table_set(h, "X-RequestId",
                  apr_psprintf(pool, "%s:%lu", m->request_guid, ++m->counter));
    apr_table_set(h, "X-ClientInfo", apr_psprintf(pool, "%s:1", m->client_guid));
    apr_table_set(h, "X-ClientApplication", m->client_app);
    if (m->user) {
        const char *cred = apr_pstrcat(pool, m->user, ":", m->password ? m->password : "", NULL);
        char *enc = apr_palloc(pool, (apr_size_t)apr_base64_encode_len((int)strlen(cred)));
        apr_base64_encode(enc, cred, (int)strlen(cred));
        apr_table_set(h, "Authorization", apr_pstrcat(pool, "Basic ", enc, NULL));
    }
    const char *ck = mh_cookie_jar_header(m->jar, pool, m->path);
    if (ck)
        apr_table_set(h, "Cookie", ck);
    return h;
}

const char *mh_mapi_build(mh_mapi *m, apr_pool_t *pool, const char *request_type,
                          const void *body, size_t body_len, size_t *len_r)
{
    apr_table_t *h = mapi_headers(m, pool, request_type);
    hdr_ctx hc = {pool, apr_psprintf(pool, "POST %s HTTP/1.1\r\nHost: %s\r\n"
                                           "Content-Length: %" APR_SIZE_T_FMT "\r\n",
                                     m->path, host_header(m->conn, pool), body_len)};
    apr_table_do(add_hdr, &hc, h, NULL);
    hc.out = apr_pstrcat(pool, hc.out, "\r\n", NULL);
    size_t hl = strlen(hc.out);
    char *req = apr_palloc(pool, hl + body_len + 1);
    memcpy(req, hc.out, hl);
    if (body_len)
        memcpy(req + hl, body, body_len);
    req[hl + body_len] = 0;
    *len_r = hl + body_len;
    return req;
}

apr_status_t mh_mapi_call(mh_mapi *m, apr_pool_t *pool, const char *request_type,
                          const void *body, size_t body_len, mh_response **resp_r)
{
    apr_table_t *h = mapi_headers(m, pool, request_type);
    apr_status_t rv = mh_client_request(m->conn, pool, "POST", m->path, h, body, body_len, resp_r);
    if (rv == APR_SUCCESS)
        mh_cookie_jar_update(m->jar, *resp_r);
    return rv;
}

const unsigned char *mh_mapi_connect_body(apr_pool_t *pool, const char *user_dn,
                                          uint32_t aux_len, size_t *len_r)
{
    mh_wr wr;
    mh_wr_init(&wr, pool, 64 + aux_len);
    mh_wr_asciiz(&wr, user_dn ? user_dn : "");
    mh_wr_u32(&wr, 0);     /* Flags */
    mh_wr_u32(&wr, 1252);  /* DefaultCodePage */
    mh_wr_u32(&wr, 0x409); /* LcidSort */
    mh_wr_u32(&wr, 0x409); /* LcidString */
    mh_wr_u32(&wr, aux_len);
    for (uint32_t i = 0; i < aux_len; i++)
        mh_wr_u8(&wr, 0);
    *len_r = wr.len;
    return wr.buf;
}

/* ------------------------------------------------------ address book */

int mh_nspi_call(mh_mapi *m, apr_pool_t *pool, int rt, const char *type_name,
                 const union mh_nspi_req *req, union mh_nspi_resp *resp, mh_response **raw_r,
                 const char **why_r)
{
    mh_wr wr;
    mh_wr_init(&wr, pool, 256);
    mh_nspi_build_req((mh_reqtype)rt, &wr, req);
    mh_response *r = NULL;
    *why_r = NULL;
    if (raw_r)
        *raw_r = NULL;
    if (mh_mapi_call(m, pool, type_name, wr.buf, wr.len, &r) != APR_SUCCESS || !r) {
        *why_r = mh_client_error(m->conn);
        return -1;
    }
    if (raw_r)
        *raw_r = r;
    int code = mh_response_code(r);
    if (code != 0)
        return code;
    if (!r->inner_ok) {
        *why_r = "the inner response stream did not parse";
        return -1;
    }
    if (mh_nspi_parse_resp((mh_reqtype)rt, r->payload, r->payload_len, pool, resp, why_r) !=
        MH_BODY_OK)
        return -1;
    return 0;
}


const char *mh_nspi_error_name(uint32_t code)
{
    static const struct {
        uint32_t code;
        const char *name;
    } names[] = {
        {MH_NSPI_SUCCESS, "Success"},
        {MH_NSPI_UNBIND_SUCCESS, "UnbindSuccess"},
        {MH_NSPI_UNBIND_FAILURE, "UnbindFailure"},
        {MH_NSPI_ERRORS_RETURNED, "ErrorsReturned"},
        {MH_NSPI_GENERAL_FAILURE, "GeneralFailure"},
        {MH_NSPI_NOT_SUPPORTED, "NotSupported"},
        {MH_NSPI_INVALID_OBJECT, "InvalidObject"},
        {MH_NSPI_OUT_OF_RESOURCES, "OutOfResources"},
        {MH_NSPI_NOT_FOUND, "NotFound"},
        {MH_NSPI_LOGON_FAILED, "LogonFailed"},
        {MH_NSPI_TOO_COMPLEX, "TooComplex"},
        {MH_NSPI_INVALID_CODEPAGE, "InvalidCodepage"},
        {MH_NSPI_INVALID_LOCALE, "InvalidLocale"},
        {MH_NSPI_TOO_BIG, "TooBig"},
        {MH_NSPI_TABLE_TOO_BIG, "TableTooBig"},
        {MH_NSPI_INVALID_BOOKMARK, "InvalidBookmark"},
        {MH_NSPI_AMBIGUOUS_RECIPIENT, "AmbiguousRecipient"},
        {MH_NSPI_ACCESS_DENIED, "AccessDenied"},
        {MH_NSPI_NOT_ENOUGH_MEMORY, "NotEnoughMemory"},
        {MH_NSPI_INVALID_PARAMETER, "InvalidParameter"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].code == code)
            return names[i].name;
    return NULL;
}
