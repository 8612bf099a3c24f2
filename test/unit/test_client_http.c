/*
 * test_client_http.c - the HTTP response reader of the client library
 * (tools/mh_client.c), which the probe and the tests point at servers that
 * may be broken or hostile: well-formed responses in each framing, and
 * limits (body size, line length, header count) that end in an error
 * instead of unbounded memory.  Responses come through a socketpair.
 */
#include "mh_client.h"
#include "mh_test.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <apr_strings.h>

static apr_pool_t *pool;

/* Reads `bytes` (then end of stream) as a response; the status, and the
 * response or the client's error. */
static apr_status_t feed(const void *bytes, size_t len, size_t max, mh_response **r,
                         const char **err)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return APR_EGENERAL;
    /* a writer thread is not needed: the buffer of a socketpair holds the
     * largest input here (SO_SNDBUF raised to be sure) */
    int sz = 4 * 1024 * 1024;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(sv[1], (const char *)bytes + off, len - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(sv[1]);
    mh_client_opts o;
    memset(&o, 0, sizeof(o));
    o.host = "socketpair";
    o.max_response = max;
    mh_client *c = mh_client_create(pool, &o);
    mh_client_attach_fd(c, sv[0]);
    *r = NULL;
    apr_status_t rv = mh_client_read_response(c, pool, 0, r);
    *err = apr_pstrdup(pool, mh_client_error(c));
    mh_client_disconnect(c);
    return rv;
}

static void test_framings(void)
{
    mh_response *r;
    const char *err;
    const char cl[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    REQUIRE(feed(cl, sizeof(cl) - 1, 0, &r, &err) == APR_SUCCESS);
    CHECK_EQ_U(r->status, 200);
    CHECK_MEM(r->body, r->body_len, "hello", 5);
    const char ch[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "3\r\nhel\r\n2\r\nlo\r\n0\r\nX-Trailer: 1\r\n\r\n";
    REQUIRE(feed(ch, sizeof(ch) - 1, 0, &r, &err) == APR_SUCCESS);
    CHECK(r->chunked);
    CHECK_MEM(r->body, r->body_len, "hello", 5);
    const char eof[] = "HTTP/1.0 200 OK\r\n\r\nuntil close";
    REQUIRE(feed(eof, sizeof(eof) - 1, 0, &r, &err) == APR_SUCCESS);
    CHECK_MEM(r->body, r->body_len, "until close", 11);
    /* exactly at the limit is allowed */
    REQUIRE(feed(cl, sizeof(cl) - 1, 5, &r, &err) == APR_SUCCESS);
    REQUIRE(feed(ch, sizeof(ch) - 1, 5, &r, &err) == APR_SUCCESS);
}

static void test_limits(void)
{
    mh_response *r;
    const char *err;
    const char cl[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
    CHECK(feed(cl, sizeof(cl) - 1, 10, &r, &err) != APR_SUCCESS);
    CHECK(strstr(err, "more than 10") != NULL);
    /* a chunk size no memory could hold */
    const char huge[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "FFFFFFFFFFFFFFF\r\nabc";
    CHECK(feed(huge, sizeof(huge) - 1, 0, &r, &err) != APR_SUCCESS);
    CHECK(strstr(err, "larger than") != NULL);
    /* chunks adding up to more than the limit */
    const char two[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "4\r\nabcd\r\n4\r\nefgh\r\n0\r\n\r\n";
    CHECK(feed(two, sizeof(two) - 1, 6, &r, &err) != APR_SUCCESS);
    CHECK(strstr(err, "larger than 6") != NULL);
    const char eof[] = "HTTP/1.0 200 OK\r\n\r\n0123456789abcdef";
    CHECK(feed(eof, sizeof(eof) - 1, 10, &r, &err) != APR_SUCCESS);
    CHECK(strstr(err, "larger than 10") != NULL);
    const char *bad_cl[] = {"12abc", "-1", "", "99999999999999999999999"};
    for (size_t i = 0; i < 4; i++) {
        const char *resp =
            apr_psprintf(pool, "HTTP/1.1 200 OK\r\nContent-Length: %s\r\n\r\nxx", bad_cl[i]);
        CHECK(feed(resp, strlen(resp), 0, &r, &err) != APR_SUCCESS);
        CHECK(strstr(err, "Content-Length") != NULL);
    }
    /* a header line without end */
    size_t n = 200000;
    char *endless = apr_palloc(pool, n);
    memcpy(endless, "HTTP/1.1 200 OK\r\nX-Long: ", 25);
    memset(endless + 25, 'a', n - 25);
    CHECK(feed(endless, n, 0, &r, &err) != APR_SUCCESS);
    CHECK(strstr(err, "header line longer") != NULL);
    /* a status line without end */
    memset(endless, 'H', n);
    CHECK(feed(endless, n, 0, &r, &err) != APR_SUCCESS);
    CHECK(strstr(err, "status line") != NULL);
    /* too many header lines */
    char *many = apr_pstrdup(pool, "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i < 1100; i++)
        many = apr_pstrcat(pool, many, "X-A: b\r\n", NULL);
    many = apr_pstrcat(pool, many, "Content-Length: 0\r\n\r\n", NULL);
    CHECK(feed(many, strlen(many), 0, &r, &err) != APR_SUCCESS);
    CHECK(strstr(err, "1000 header lines") != NULL);
}

/* The Host header names the server as RFC 7230 5.4 wants: an IPv6
 * address literal in brackets. */
static void test_host_header(void)
{
    const char *hosts[] = {"127.0.0.1", "::1", "mail.example.com", "2001:db8::25"};
    const char *want[] = {"Host: 127.0.0.1:8443\r\n", "Host: [::1]:8443\r\n",
                          "Host: mail.example.com:8443\r\n", "Host: [2001:db8::25]:8443\r\n"};
    for (int i = 0; i < 4; i++) {
        mh_client_opts o;
        memset(&o, 0, sizeof(o));
        o.host = hosts[i];
        o.port = 8443;
        mh_client *c = mh_client_create(pool, &o);
        mh_mapi *m = mh_mapi_create(pool, c, "/mapi/emsmdb/", "u", "p");
        size_t n;
        const char *req = mh_mapi_build(m, pool, "PING", "", 0, &n);
        CHECK(req && strstr(req, want[i]) != NULL);
    }
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&pool, NULL);
    RUN(test_framings);
    RUN(test_limits);
    RUN(test_host_header);
    return MH_TEST_DONE();
}
