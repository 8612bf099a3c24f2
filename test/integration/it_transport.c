/*
 * it_transport.c - the MAPI/HTTP transport over a real httpd
 * (MS-OXCMAPIHTTP 2.2 and 3.2): request checks and their X-ResponseCode,
 * the response envelope, session contexts shared by every process, the
 * NotificationWait long poll.
 *
 *   it_transport --mpm event|prefork   the transport suite on that MPM
 *   it_transport --mpm prefork --per-request-process
 *   it_transport --mpm event|prefork --restart
 *   it_transport --expiry              idle expiry (MPM independent)
 *   it_transport --config              configuration errors, conf.d files
 */
#include "harness.h"
#include "mh_bodies.h"
#include "mh_nspi_wire.h"
#include "mh_client.h"
#include "mh_rpcext.h"
#include "mh_session.h"
#include "mh_test.h"
#include "mh_aux.h"
#include "mh_unicode.h"
#include "mh_wire.h"

#include "config.h"

#include <apr_date.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <signal.h>
#include <unistd.h>

static apr_pool_t *pool;      /* the current test's; cleared after it */
static apr_pool_t *root_pool; /* the server's */
static mh_httpd *H;

#define TEST(fn) MH_IT_TEST(fn, pool, root_pool)

#define EMSMDB "/mapi/emsmdb/?MailboxId=0c5e2a3b-aaaa-bbbb-cccc-0123456789ab@example.com"
#define NSPI "/mapi/nspi/?MailboxId=0c5e2a3b-aaaa-bbbb-cccc-0123456789ab@example.com"

/* ------------------------------------------------------------- helpers */

static mh_client *client(void)
{
    return mh_httpd_client(H, pool, H->port, 0);
}

static mh_mapi *mapi(const char *path, const char *user, const char *password)
{
    return mh_mapi_create(pool, client(), path, user, password);
}

static mh_response *call(mh_mapi *m, const char *type, const void *body, size_t len)
{
    mh_response *r = NULL;
    if (mh_mapi_call(m, pool, type, body, len, &r) != APR_SUCCESS) {
        printf("# %s failed: %s\n", type, mh_client_error(m->conn));
        return NULL;
    }
    return r;
}

static const unsigned char *connect_body(size_t *len, uint32_t aux_len)
{
    return mh_mapi_connect_body(pool, "/o=Example/ou=Exchange Administrative Group "
                                      "(FYDIBOHF23SPDLT)/cn=Recipients/cn=ada",
                                aux_len, len);
}

static const unsigned char *bind_body(size_t *len)
{
    mh_wr wr;
    mh_wr_init(&wr, pool, 64);
    mh_wr_u32(&wr, 0);
    mh_wr_u8(&wr, 1);
    mh_stat st = {0, 0, 0, 0, 0, 0, 1252, 0x409, 0x409};
    mh_wr_stat(&wr, &st);
    mh_wr_u32(&wr, 0);
    *len = wr.len;
    return wr.buf;
}

/* An Execute body holding one extended buffer with `payload`. */
static const unsigned char *execute_body(size_t *len, uint32_t flags, const unsigned char *payload,
                                         size_t plen, int compress, int xor,
                                         uint32_t max_rop_out)
{
    mh_wr rops, wr;
    mh_wr_init(&rops, pool, 64);
    mh_rpcext_append(&rops, payload, plen, compress, xor, 1);
    mh_wr_init(&wr, pool, 64);
    mh_wr_u32(&wr, flags);
    mh_wr_u32(&wr, (uint32_t)rops.len);
    mh_wr_bytes(&wr, rops.buf, rops.len);
    mh_wr_u32(&wr, max_rop_out);
    mh_wr_u32(&wr, 0);
    *len = wr.len;
    return wr.buf;
}

/* RopSize 2 (no ROPs) and a handle table of n entries. */
static const unsigned char *empty_rops(size_t *len, int n)
{
    mh_wr wr;
    mh_wr_init(&wr, pool, 64);
    mh_wr_u16(&wr, 2);
    for (int i = 0; i < n; i++)
        mh_wr_u32(&wr, i == 0 ? 0x00000001u : 0xFFFFFFFFu);
    *len = wr.len;
    return wr.buf;
}

static const unsigned char *wait_body(size_t *len)
{
    static const unsigned char b[8] = {0};
    *len = sizeof(b);
    return b;
}

static mh_mapi *connected(const char *path)
{
    size_t n;
    const unsigned char *b = connect_body(&n, 0);
    mh_mapi *m = mapi(path, MH_TEST_USER, MH_TEST_PASSWORD);
    mh_response *r = call(m, "Connect", b, n);
    if (!r || mh_response_code(r) != 0) {
        printf("# Connect failed: %d\n", r ? mh_response_code(r) : -1);
        return NULL;
    }
    return m;
}

/* A GetProps body: the display name of MId 0x10 in the GAL. */
static const unsigned char *getprops_body(size_t *len)
{
    mh_wr wr;
    mh_wr_init(&wr, pool, 64);
    mh_nspi_getprops_req req;
    memset(&req, 0, sizeof(req));
    static mh_proptag tag = 0x3001001F;
    req.has_state = 1;
    req.state.code_page = 1252;
    req.state.current_rec = 0x10;
    req.has_tags = 1;
    req.tags.n = 1;
    req.tags.tags = &tag;
    mh_nspi_build_getprops_req(&wr, &req);
    *len = wr.len;
    return wr.buf;
}

static mh_mapi *bound(void)
{
    size_t n;
    const unsigned char *b = bind_body(&n);
    mh_mapi *m = mapi(NSPI, MH_TEST_USER, MH_TEST_PASSWORD);
    mh_response *r = call(m, "Bind", b, n);
    if (!r || mh_response_code(r) != 0)
        return NULL;
    return m;
}

/* Opens the server's session store from this process. */
static mh_session_store *store(void)
{
    mh_session_store_config cfg;
    mh_session_store_config_default(&cfg);
    cfg.path = H->store_path;
    mh_session_store *st = NULL;
    const char *err = NULL;
    if (mh_session_store_open(&cfg, 0, pool, &st, &err) != APR_SUCCESS) {
        printf("# cannot open the session store: %s\n", err);
        return NULL;
    }
    return st;
}

static int context_id(mh_mapi *m, const char *name, unsigned char id[16])
{
    const char *v = mh_cookie_jar_get(m->jar, name, NULL);
    return v && mh_hex_decode(v, strlen(v), id, 16) == 0;
}

static apr_status_t opaque_decode(const void *b, size_t n, apr_pool_t *p, void **s)
{
    *s = apr_pmemdup(p, b, n ? n : 1);
    return APR_SUCCESS;
}
static apr_status_t opaque_encode(const void *s, apr_pool_t *p, const void **b, size_t *n)
{
    return APR_ENOTIMPL;
}
static const mh_state_codec opaque = {opaque_decode, opaque_encode};

/* Posts an event for m's mailbox context, as another process would. */
static int post_event(mh_mapi *m)
{
    mh_session_store *st = store();
    unsigned char id[16];
    int ok = st && context_id(m, "MapiContext", id) && mh_session_post_event(st, id) == MH_SS_OK;
    if (st)
        mh_session_store_close(st);
    return ok;
}

/* Sends a NotificationWait for m on a connection of its own and returns
 * that connection; mh_client_read_response() collects the answer. */
static mh_client *start_wait(mh_mapi *m)
{
    static const unsigned char body[8] = {0};
    size_t ql;
    const char *q = mh_mapi_build(m, pool, "NotificationWait", body, sizeof(body), &ql);
    mh_client *c = client();
    if (mh_client_send_raw(c, q, ql) != APR_SUCCESS) {
        printf("# could not send NotificationWait: %s\n", mh_client_error(c));
        return NULL;
    }
    return c;
}

static uint32_t u32_at(const mh_response *r, size_t off)
{
    return r->payload_len >= off + 4 ? mh_get_u32(r->payload + off) : 0xDEADBEEFu;
}

/* Checks the common shape of a successful (X-ResponseCode 0) response. */
static void check_success_envelope(mh_response *r, mh_mapi *m, const char *type)
{
    CHECK_EQ_U(r->status, 200);
    CHECK_EQ_U(mh_response_code(r), 0);
    CHECK_STR(apr_table_get(r->headers, "Content-Type"), "application/mapi-http");
    CHECK_STR(apr_table_get(r->headers, "X-RequestType"), type);
    CHECK(apr_table_get(r->headers, "X-RequestId") != NULL);
    CHECK(apr_table_get(r->headers, "X-ClientInfo") != NULL);
    const char *sa = apr_table_get(r->headers, "X-ServerApplication");
    CHECK(sa && strncmp(sa, "Exchange/15.", 12) == 0);
    CHECK(apr_table_get(r->headers, "X-ExpirationInfo") != NULL);
    CHECK(apr_table_get(r->headers, "X-PendingPeriod") != NULL);
    CHECK(r->inner_ok);
    CHECK(r->meta->nelts >= 2);
    if (r->meta->nelts >= 2) {
        mh_meta_tag *t = (mh_meta_tag *)r->meta->elts;
        CHECK_STR(t[0].tag, "PROCESSING");
        CHECK_STR(t[r->meta->nelts - 1].tag, "DONE");
    }
    const char *el = apr_table_get(r->additional, "X-ElapsedTime");
    const char *st = apr_table_get(r->additional, "X-StartTime");
    CHECK(el && apr_atoi64(el) >= 0);
    CHECK(st && apr_date_parse_rfc(st) != APR_DATE_BAD);
    CHECK_STR(apr_table_get(r->additional, "X-ResponseCode"), "0");
}

static void check_failure(mh_response *r, int code)
{
    REQUIRE(r);
    CHECK_EQ_U(r->status, 200);
    CHECK_EQ_U(mh_response_code(r), code);
    const char *ct = apr_table_get(r->headers, "Content-Type");
    CHECK(ct && strncmp(ct, "text/html", 9) == 0);
    CHECK(apr_table_get(r->headers, "Content-Length") != NULL);
    CHECK(apr_table_get(r->headers, "Set-Cookie") == NULL);
    CHECK(r->body_len > 0 && strstr((const char *)r->body, "X-ResponseCode") != NULL);
}

/* A request with hand-made headers (for the header checks). */
static apr_table_t *headers(const char *type, int auth)
{
    apr_table_t *h = apr_table_make(pool, 8);
    if (type)
        apr_table_set(h, "X-RequestType", type);
    apr_table_set(h, "X-RequestId", "{E2EA6C1C-E61B-49E9-9CFB-38184F907552}:123456");
    apr_table_set(h, "X-ClientInfo", "{2EF33C39-49C8-421C-B876-CDF7F2AC3AA0}:123");
    apr_table_set(h, "X-ClientApplication", "Outlook/16.0.17928.20114");
    apr_table_set(h, "Content-Type", "application/mapi-http");
    if (auth)
        apr_table_set(h, "Authorization", "Basic YWRhOnNlY3JldC1hZGE="); /* ada:secret-ada */
    return h;
}

static mh_response *raw(int port, const char *method, const char *path, apr_table_t *h,
                        const void *body, size_t len)
{
    mh_client *c = mh_httpd_client(H, pool, port, 0);
    mh_response *r = NULL;
    if (mh_client_request(c, pool, method, path, h, body, len, &r) != APR_SUCCESS)
        printf("# request failed: %s\n", mh_client_error(c));
    mh_client_disconnect(c);
    return r;
}

/* ---------------------------------------------------- request checks */

static void test_anonymous_gets_401(void)
{
    mh_response *r = raw(H->port, "POST", EMSMDB, headers("PING", 0), NULL, 0);
    REQUIRE(r);
    CHECK_EQ_U(r->status, 401);
    const char *wa = apr_table_get(r->headers, "WWW-Authenticate");
    CHECK(wa && strncmp(wa, "Basic", 5) == 0);
    /* wrong password: challenged again */
    apr_table_t *h = headers("PING", 0);
    apr_table_set(h, "Authorization", "Basic YWRhOndyb25n"); /* ada:wrong */
    r = raw(H->port, "POST", EMSMDB, h, NULL, 0);
    REQUIRE(r);
    CHECK_EQ_U(r->status, 401);
    mh_httpd_expect(H, "AH01617"); /* mod_auth_basic: password mismatch */
}

static void test_no_auth_configured_gets_8(void)
{
    size_t n;
    const unsigned char *b = connect_body(&n, 0);
    check_failure(raw(H->noauth_port, "POST", EMSMDB, headers("Connect", 0), b, n), 8);
}

static void test_not_post_gets_2(void)
{
    check_failure(raw(H->port, "GET", EMSMDB, headers("PING", 1), NULL, 0), 2);
    check_failure(raw(H->port, "PUT", "/mapi/nspi", headers("PING", 1), NULL, 0), 2);
}

static void test_unknown_path_gets_3(void)
{
    check_failure(raw(H->port, "POST", "/mapi/foo", headers("PING", 1), NULL, 0), 3);
    check_failure(raw(H->port, "POST", "/mapi/emsmdbx", headers("PING", 1), NULL, 0), 3);
    check_failure(raw(H->port, "POST", "/mapi/emsmdb/x", headers("PING", 1), NULL, 0), 3);
    check_failure(raw(H->port, "POST", "/mapi", headers("PING", 1), NULL, 0), 3);
}

static void test_missing_headers_get_7(void)
{
    const char *names[] = {"X-RequestType", "X-RequestId", "X-ClientInfo", "Content-Type"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        apr_table_t *h = headers("PING", 1);
        apr_table_unset(h, names[i]);
        mh_response *r = raw(H->port, "POST", EMSMDB, h, NULL, 0);
        check_failure(r, 7);
        if (r)
            CHECK(strstr((const char *)r->body, names[i]) != NULL);
    }
}

static void test_malformed_headers_get_4(void)
{
    /* an X-ClientApplication longer than a session keeps */
    apr_table_t *h = headers("PING", 1);
    char *app = apr_palloc(pool, 2001);
    memset(app, 'a', 2000);
    app[2000] = 0;
    apr_table_set(h, "X-ClientApplication", app);
    check_failure(raw(H->port, "POST", EMSMDB, h, NULL, 0), 4);
    h = headers("PING", 1);
    apr_table_set(h, "X-RequestId", "not-a-guid:1");
    check_failure(raw(H->port, "POST", EMSMDB, h, NULL, 0), 4);
    h = headers("PING", 1);
    apr_table_set(h, "X-ClientInfo", "{2EF33C39-49C8-421C-B876-CDF7F2AC3AA0}");
    check_failure(raw(H->port, "POST", EMSMDB, h, NULL, 0), 4);
    h = headers("PING", 1);
    apr_table_set(h, "Content-Type", "text/plain");
    check_failure(raw(H->port, "POST", EMSMDB, h, NULL, 0), 4);
    /* the echoed headers come back unchanged even on failure */
    mh_response *r = raw(H->port, "POST", EMSMDB, h, NULL, 0);
    REQUIRE(r);
    CHECK_STR(apr_table_get(r->headers, "X-RequestId"),
              "{E2EA6C1C-E61B-49E9-9CFB-38184F907552}:123456");
    CHECK_STR(apr_table_get(r->headers, "X-ClientInfo"),
              "{2EF33C39-49C8-421C-B876-CDF7F2AC3AA0}:123");
    CHECK_STR(apr_table_get(r->headers, "X-RequestType"), "PING");
}

static void test_request_type_checks_get_5(void)
{
    check_failure(raw(H->port, "POST", EMSMDB, headers("Frobnicate", 1), NULL, 0), 5);
    check_failure(raw(H->port, "POST", EMSMDB, headers("Bind", 1), NULL, 0), 5);
    check_failure(raw(H->port, "POST", NSPI, headers("Connect", 1), NULL, 0), 5);
    check_failure(raw(H->port, "POST", NSPI, headers("Execute", 1), NULL, 0), 5);
    /* compared case-insensitively: BIND is Bind */
    size_t n;
    const unsigned char *b = bind_body(&n);
    mh_response *r = raw(H->port, "POST", NSPI, headers("BIND", 1), b, n);
    REQUIRE(r);
    CHECK_EQ_U(mh_response_code(r), 0);
    CHECK_STR(apr_table_get(r->headers, "X-RequestType"), "BIND");
}

static void test_too_large_gets_9(void)
{
    /* MapiHttpMaxRequestBody is 65536 in this configuration */
    size_t n = 70000;
    unsigned char *b = apr_pcalloc(pool, n);
    check_failure(raw(H->port, "POST", EMSMDB, headers("Connect", 1), b, n), 9);
    /* a chunked body is cut off while it is read */
    mh_client *c = mh_httpd_client(H, pool, H->port, 0);
    const char *head = "POST /mapi/emsmdb HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                       "X-RequestType: Connect\r\n"
                       "X-RequestId: {E2EA6C1C-E61B-49E9-9CFB-38184F907552}:1\r\n"
                       "X-ClientInfo: {2EF33C39-49C8-421C-B876-CDF7F2AC3AA0}:1\r\n"
                       "Content-Type: application/mapi-http\r\n"
                       "Authorization: Basic YWRhOnNlY3JldC1hZGE=\r\n\r\n";
    REQUIRE(mh_client_send_raw(c, head, strlen(head)) == APR_SUCCESS);
    char chunk_head[32];
    for (int i = 0; i < 5; i++) {
        snprintf(chunk_head, sizeof(chunk_head), "%x\r\n", 20000);
        if (mh_client_send_raw(c, chunk_head, strlen(chunk_head)) != APR_SUCCESS ||
            mh_client_send_raw(c, b, 20000) != APR_SUCCESS ||
            mh_client_send_raw(c, "\r\n", 2) != APR_SUCCESS)
            break; /* the server may stop reading and close */
    }
    mh_client_send_raw(c, "0\r\n\r\n", 5);
    mh_response *r = NULL;
    REQUIRE(mh_client_read_response(c, pool, 0, &r) == APR_SUCCESS);
    check_failure(r, 9);
    /* exactly the limit, chunked, is read (and then found unparsable) */
    c = mh_httpd_client(H, pool, H->port, 0);
    REQUIRE(mh_client_send_raw(c, head, strlen(head)) == APR_SUCCESS);
    for (int i = 0; i < 4; i++) {
        snprintf(chunk_head, sizeof(chunk_head), "%x\r\n", 16384);
        REQUIRE(mh_client_send_raw(c, chunk_head, strlen(chunk_head)) == APR_SUCCESS &&
                mh_client_send_raw(c, b, 16384) == APR_SUCCESS &&
                mh_client_send_raw(c, "\r\n", 2) == APR_SUCCESS);
    }
    REQUIRE(mh_client_send_raw(c, "0\r\n\r\n", 5) == APR_SUCCESS);
    REQUIRE(mh_client_read_response(c, pool, 0, &r) == APR_SUCCESS);
    check_failure(r, 12);
}

static void test_cookie_checks(void)
{
    size_t n;
    const unsigned char *eb = execute_body(&n, 0, empty_rops(&n, 0), 2, 0, 0, 0x8000);
    const unsigned char *body = eb;
    size_t blen = 8 + 10 + 8;
    (void)n;
    /* no cookie at all; a body refused on the headers is not read: the
     * connection closes after the answer */
    mh_response *r = raw(H->port, "POST", EMSMDB, headers("Execute", 1), body, blen);
    check_failure(r, 13);
    CHECK(r && r->closed);
    r = raw(H->port, "POST", EMSMDB, headers("PING", 1), NULL, 0);
    check_failure(r, 13);
    CHECK(r && !r->closed);
    /* a context cookie that is not ours */
    apr_table_t *h = headers("Execute", 1);
    apr_table_set(h, "Cookie", "MapiContext=garbage; MapiSequence=garbage");
    check_failure(raw(H->port, "POST", EMSMDB, h, body, blen), 6);
    /* well formed but unknown */
    h = headers("Execute", 1);
    apr_table_set(h, "Cookie", "MapiContext=00112233445566778899aabbccddeeff; "
                               "MapiSequence=00112233445566778899aabbccddeeff");
    check_failure(raw(H->port, "POST", EMSMDB, h, body, blen), 10);
    h = headers("PING", 1);
    apr_table_set(h, "Cookie", "MapiContext=00112233445566778899aabbccddeeff");
    check_failure(raw(H->port, "POST", EMSMDB, h, NULL, 0), 10);
    /* of two context cookies the first counts (the more specific Path) */
    mh_mapi *m = connected(EMSMDB);
    REQUIRE(m);
    const char *ctx = mh_cookie_jar_get(m->jar, "MapiContext", NULL);
    REQUIRE(ctx);
    h = headers("PING", 1);
    apr_table_set(h, "Cookie", apr_pstrcat(pool, "MapiContext=", ctx, "; MapiContext=garbage",
                                           NULL));
    r = raw(H->port, "POST", EMSMDB, h, NULL, 0);
    REQUIRE(r);
    CHECK_EQ_U(mh_response_code(r), 0);
    h = headers("PING", 1);
    apr_table_set(h, "Cookie", apr_pstrcat(pool, "MapiContext=garbage; MapiContext=", ctx,
                                           NULL));
    check_failure(raw(H->port, "POST", EMSMDB, h, NULL, 0), 6);
}

/* -------------------------------------------------------------- Connect */

static void test_connect_response(void)
{
    size_t n;
    const unsigned char *b = connect_body(&n, 0);
    mh_mapi *m = mapi(EMSMDB, MH_TEST_USER, MH_TEST_PASSWORD);
    mh_response *r = call(m, "Connect", b, n);
    REQUIRE(r);
    check_success_envelope(r, m, "Connect");
    CHECK(r->chunked); /* streamed, as the spec's examples are (2.2.7) */
    CHECK_STR(apr_table_get(r->headers, "X-ExpirationInfo"), "900000");
    CHECK_STR(apr_table_get(r->headers, "X-PendingPeriod"), "1000");
    char rid[80];
    snprintf(rid, sizeof(rid), "%s:%lu", m->request_guid, m->counter);
    CHECK_STR(apr_table_get(r->headers, "X-RequestId"), rid);
    /* both cookies, HttpOnly, scoped to the endpoint, not Secure over http */
    const char *attrs = NULL, *ctx = mh_cookie_jar_get(m->jar, "MapiContext", &attrs);
    CHECK(ctx && strlen(ctx) == 32);
    CHECK(attrs && strstr(attrs, "Path=/mapi/emsmdb") && strstr(attrs, "HttpOnly"));
    CHECK(attrs && !strstr(attrs, "Secure"));
    const char *seq = mh_cookie_jar_get(m->jar, "MapiSequence", NULL);
    CHECK(seq && strlen(seq) == 32 && strcmp(seq, ctx) != 0);
    /* the body (2.2.4.1.2) */
    mh_rd rd;
    mh_rd_init(&rd, r->payload, r->payload_len);
    CHECK_EQ_U(mh_rd_u32(&rd), 0);     /* StatusCode */
    CHECK_EQ_U(mh_rd_u32(&rd), 0);     /* ErrorCode */
    CHECK_EQ_U(mh_rd_u32(&rd), 60000); /* PollsMax */
    CHECK_EQ_U(mh_rd_u32(&rd), 6);     /* RetryCount */
    CHECK_EQ_U(mh_rd_u32(&rd), 10000); /* RetryDelay */
    CHECK_STR(mh_rd_asciiz(&rd, 1024, pool), "");
    CHECK_STR(mh_rd_utf16z(&rd, 1024, pool), MH_TEST_USER);
    /* the auxiliary blocks a client expects (MS-OXCRPC 3.1.4.1.2.1): no
     * public folders, client control, the session for its logs */
    uint32_t aux_len = mh_rd_u32(&rd);
    const unsigned char *aux = mh_rd_bytes(&rd, aux_len);
    CHECK(!rd.err && mh_rd_left(&rd) == 0);
    mh_aux_info info;
    const char *why = NULL;
    CHECK(aux_len > 8 && aux && mh_aux_parse(aux, aux_len, pool, &info, &why) == 0);
    if (aux_len > 8 && aux) {
        CHECK(info.has_exorginfo && info.org_flags == 0);
        CHECK(info.has_client_control);
        CHECK(info.has_server_session_info && strcmp(info.server_session_info, ctx) == 0);
    }
}

static void test_connect_paths(void)
{
    const char *paths[] = {"/mapi/emsmdb", "/mapi/emsmdb/", "/mapi/emsmdb?MailboxId=x@y",
                           "/mapi/emsmdb/?a=1&b=2"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        mh_mapi *m = connected(paths[i]);
        CHECK(m != NULL);
        if (!m)
            continue;
        mh_response *r = call(m, "PING", NULL, 0);
        CHECK(r && mh_response_code(r) == 0);
    }
    /* the cookie path matches the endpoint with and without its slash */
    mh_mapi *m = connected("/mapi/emsmdb");
    REQUIRE(m);
    m->path = "/mapi/emsmdb/";
    mh_response *r = call(m, "PING", NULL, 0);
    CHECK(r && mh_response_code(r) == 0);
}

static void test_connect_bad_bodies(void)
{
    size_t n;
    const unsigned char *b = connect_body(&n, 0);
    /* truncated at every field boundary, and one byte too many */
    const size_t cuts[] = {0, 5, n - 21, n - 17, n - 5, n - 1};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        mh_mapi *m = mapi(EMSMDB, MH_TEST_USER, MH_TEST_PASSWORD);
        check_failure(call(m, "Connect", b, cuts[i]), 12);
    }
    unsigned char *more = apr_pcalloc(pool, n + 1);
    memcpy(more, b, n);
    mh_mapi *m = mapi(EMSMDB, MH_TEST_USER, MH_TEST_PASSWORD);
    check_failure(call(m, "Connect", more, n + 1), 12);
    /* an auxiliary buffer beyond 0x1008: a Connect failure body, no context */
    b = connect_body(&n, 0x1009);
    m = mapi(EMSMDB, MH_TEST_USER, MH_TEST_PASSWORD);
    mh_response *r = call(m, "Connect", b, n);
    REQUIRE(r);
    CHECK_EQ_U(mh_response_code(r), 0);
    CHECK_EQ_U(u32_at(r, 0), MH_RPC_X_BAD_STUB_DATA);
    CHECK_EQ_U(u32_at(r, 4), 0);
    CHECK_EQ_U(r->payload_len, 8);
    CHECK(mh_cookie_jar_get(m->jar, "MapiContext", NULL) == NULL);
}

static void test_reconnect(void)
{
    mh_mapi *m = connected(EMSMDB);
    REQUIRE(m);
    const char *old_ctx = apr_pstrdup(pool, mh_cookie_jar_get(m->jar, "MapiContext", NULL));
    const char *old_seq = apr_pstrdup(pool, mh_cookie_jar_get(m->jar, "MapiSequence", NULL));
    /* Connect again carrying the old cookies, with a stale sequence even */
    mh_cookie_jar_set(m->jar, "MapiSequence", "ffffffffffffffffffffffffffffffff", "/mapi/emsmdb");
    size_t n;
    const unsigned char *b = connect_body(&n, 0);
    mh_response *r = call(m, "Connect", b, n);
    REQUIRE(r);
    CHECK_EQ_U(mh_response_code(r), 0);
    const char *new_ctx = mh_cookie_jar_get(m->jar, "MapiContext", NULL);
    CHECK(new_ctx && strcmp(new_ctx, old_ctx) != 0);
    /* the old context is gone */
    mh_mapi *old = mapi(EMSMDB, MH_TEST_USER, MH_TEST_PASSWORD);
    mh_cookie_jar_set(old->jar, "MapiContext", old_ctx, "/mapi/emsmdb");
    mh_cookie_jar_set(old->jar, "MapiSequence", old_seq, "/mapi/emsmdb");
    check_failure(call(old, "PING", NULL, 0), 10);
    /* the new one works */
    r = call(m, "PING", NULL, 0);
    CHECK(r && mh_response_code(r) == 0);
}

static void test_context_bound_to_user(void)
{
    mh_mapi *m = connected(EMSMDB);
    REQUIRE(m);
    mh_mapi *other = mapi(EMSMDB, MH_TEST_USER2, MH_TEST_PASSWORD2);
    mh_cookie_jar_set(other->jar, "MapiContext", mh_cookie_jar_get(m->jar, "MapiContext", NULL),
                      "/mapi/emsmdb");
    mh_cookie_jar_set(other->jar, "MapiSequence",
                      mh_cookie_jar_get(m->jar, "MapiSequence", NULL), "/mapi/emsmdb");
    check_failure(call(other, "PING", NULL, 0), 10);
    size_t n;
    const unsigned char *e = execute_body(&n, 0, empty_rops(&n, 0), 2, 0, 0, 0x8000);
    check_failure(call(other, "Execute", e, 26), 10);
    /* bob's Connect carrying ada's cookies does not destroy ada's context */
    const unsigned char *b = connect_body(&n, 0);
    mh_response *r = call(other, "Connect", b, n);
    CHECK(r && mh_response_code(r) == 0);
    r = call(m, "PING", NULL, 0);
    CHECK(r && mh_response_code(r) == 0);
}

static void test_sessions_per_user_cap(void)
{
    /* MapiHttpSessionsPerUser 4 here: bob's fifth context evicts his oldest */
    mh_mapi *ms[5];
    size_t n;
    const unsigned char *b = connect_body(&n, 0);
    for (int i = 0; i < 5; i++) {
        ms[i] = mapi(EMSMDB, MH_TEST_USER2, MH_TEST_PASSWORD2);
        mh_response *r = call(ms[i], "Connect", b, n);
        REQUIRE(r && mh_response_code(r) == 0);
        usleep(5000);
    }
    /* the context bob made in test_context_bound_to_user plus these five:
     * only the four most recent survive */
    check_failure(call(ms[0], "PING", NULL, 0), 10);
    for (int i = 1; i < 5; i++) {
        mh_response *r = call(ms[i], "PING", NULL, 0);
        CHECK(r && mh_response_code(r) == 0);
    }
    /* ada is not affected */
    mh_mapi *a = connected(EMSMDB);
    CHECK(a != NULL);
}

/* -------------------------------------------------------------- Execute */

static void parse_execute(mh_response *r, uint32_t *error_code, const unsigned char **payload,
                          size_t *plen, uint16_t *flags)
{
    mh_rd rd;
    mh_rd_init(&rd, r->payload, r->payload_len);
    uint32_t status = mh_rd_u32(&rd);
    CHECK_EQ_U(status, 0);
    *error_code = mh_rd_u32(&rd);
    CHECK_EQ_U(mh_rd_u32(&rd), 0); /* Flags */
    uint32_t size = mh_rd_u32(&rd);
    const unsigned char *rb = mh_rd_bytes(&rd, size);
    CHECK_EQ_U(mh_rd_u32(&rd), 0); /* AuxiliaryBufferSize */
    CHECK(!rd.err && mh_rd_left(&rd) == 0);
    *payload = NULL;
    *plen = 0;
    if (!rb || size == 0)
        return;
    mh_rpcext_payload *pl;
    size_t count;
    const char *why;
    if (mh_rpcext_parse(rb, size, 0, pool, &pl, &count, &why) != 0) {
        printf("# response ROP buffer: %s\n", why);
        CHECK(0);
        return;
    }
    CHECK_EQ_U(count, 1);
    *payload = pl[0].data;
    *plen = pl[0].len;
    *flags = pl[0].flags;
}

static void test_execute_empty(void)
{
    mh_mapi *m = connected(EMSMDB);
    REQUIRE(m);
    size_t plen, n;
    const unsigned char *rops = empty_rops(&plen, 3);
    /* obfuscated request; the client accepts compression and XOR */
    const unsigned char *b = execute_body(&n, 0, rops, plen, 0, 1, 0x10008);
    mh_response *r = call(m, "Execute", b, n);
    REQUIRE(r);
    check_success_envelope(r, m, "Execute");
    uint32_t ec;
    const unsigned char *out;
    size_t outlen;
    uint16_t flags = 0;
    parse_execute(r, &ec, &out, &outlen, &flags);
    CHECK_EQ_U(ec, 0);
    /* RopSize 2, and the request's handle table in the same order */
    CHECK_MEM(out, outlen, rops, plen);
    CHECK(flags & MH_RPCEXT_XORMAGIC);
    CHECK(flags & MH_RPCEXT_LAST);

    /* NoXorMagic and NoCompression are honoured */
    b = execute_body(&n, MH_EXEC_NO_XOR_MAGIC | MH_EXEC_NO_COMPRESSION, rops, plen, 0, 0, 0x8000);
    r = call(m, "Execute", b, n);
    REQUIRE(r && mh_response_code(r) == 0);
    parse_execute(r, &ec, &out, &outlen, &flags);
    CHECK_EQ_U(ec, 0);
    CHECK_MEM(out, outlen, rops, plen);
    CHECK_EQ_U(flags, MH_RPCEXT_LAST);

    /* an empty request body (2.2.4.4.2) */
    r = call(m, "Execute", NULL, 0);
    REQUIRE(r && mh_response_code(r) == 0);
    parse_execute(r, &ec, &out, &outlen, &flags);
    CHECK_EQ_U(ec, 0);
    CHECK(outlen == 2 && out && mh_get_u16(out) == 2);
}

static void test_execute_compressed_request(void)
{
    mh_mapi *m = connected(EMSMDB);
    REQUIRE(m);
    size_t plen, n;
    /* a long handle table compresses well; compressed and obfuscated */
    const unsigned char *rops = empty_rops(&plen, 64);
    const unsigned char *b = execute_body(&n, 0, rops, plen, 1, 1, 0x10008);
    REQUIRE(mh_get_u16(b + 8 + 2) & MH_RPCEXT_COMPRESSED);
    mh_response *r = call(m, "Execute", b, n);
    REQUIRE(r && mh_response_code(r) == 0);
    uint32_t ec;
    const unsigned char *out;
    size_t outlen;
    uint16_t flags;
    parse_execute(r, &ec, &out, &outlen, &flags);
    CHECK_EQ_U(ec, 0);
    CHECK_MEM(out, outlen, rops, plen);
    CHECK(flags & MH_RPCEXT_COMPRESSED); /* the server compresses too */
}

static void test_execute_bad_bodies(void)
{
    mh_mapi *m = connected(EMSMDB);
    REQUIRE(m);
    size_t plen, n;
    const unsigned char *rops = empty_rops(&plen, 1);
    const unsigned char *b = execute_body(&n, 0, rops, plen, 0, 0, 0x8000);
    /* RopBufferSize disagreeing with the body: 12 */
    unsigned char *bad = apr_pmemdup(pool, b, n);
    mh_put_u32(bad + 4, (uint32_t)n);
    check_failure(call(m, "Execute", bad, n), 12);
    check_failure(call(m, "Execute", b, n - 1), 12);
    /* the session goes on after a 12 */
    mh_response *r = call(m, "Execute", b, n);
    REQUIRE(r && mh_response_code(r) == 0);
    /* a broken RPC_HEADER_EXT: ecRpcFormat in the Execute body */
    bad = apr_pmemdup(pool, b, n);
    mh_put_u16(bad + 8, 7); /* Version 7 */
    r = call(m, "Execute", bad, n);
    REQUIRE(r && mh_response_code(r) == 0);
    CHECK_EQ_U(u32_at(r, 0), 0);
    CHECK_EQ_U(u32_at(r, 4), 0x4B6);
    /* MaxRopOut beyond 0x40000: a failure body with RPC_X_BAD_STUB_DATA */
    b = execute_body(&n, 0, rops, plen, 0, 0, 0x40001);
    r = call(m, "Execute", b, n);
    REQUIRE(r && mh_response_code(r) == 0);
    CHECK_EQ_U(u32_at(r, 0), MH_RPC_X_BAD_STUB_DATA);
    /* MaxRopOut too small for any response: ecBufferTooSmall, the
     * EcDoRpcExt2 result, in the ErrorCode of a success body */
    b = execute_body(&n, 0, rops, plen, 0, 0, 4);
    r = call(m, "Execute", b, n);
    REQUIRE(r && mh_response_code(r) == 0);
    CHECK_EQ_U(u32_at(r, 0), 0);
    CHECK_EQ_U(u32_at(r, 4), 0x47D);
    CHECK_EQ_U(u32_at(r, 12), 0); /* no ROP buffer */
    /* the session still works */
    b = execute_body(&n, 0, rops, plen, 0, 0, 0x8000);
    r = call(m, "Execute", b, n);
    CHECK(r && mh_response_code(r) == 0);
}

static void test_sequence_rules(void)
{
    mh_mapi *m = connected(EMSMDB);
    REQUIRE(m);
    size_t plen, n;
    const unsigned char *rops = empty_rops(&plen, 1);
    const unsigned char *b = execute_body(&n, 0, rops, plen, 0, 0, 0x8000);
    const char *seq0 = apr_pstrdup(pool, mh_cookie_jar_get(m->jar, "MapiSequence", NULL));
    mh_response *r = call(m, "Execute", b, n);
    REQUIRE(r && mh_response_code(r) == 0);
    const char *seq1 = mh_cookie_jar_get(m->jar, "MapiSequence", NULL);
    CHECK(strcmp(seq0, seq1) != 0); /* rotated on every Execute */
    /* replaying the old sequence: 15 */
    const char *keep = apr_pstrdup(pool, seq1);
    mh_cookie_jar_set(m->jar, "MapiSequence", seq0, "/mapi/emsmdb");
    check_failure(call(m, "Execute", b, n), 15);
    mh_cookie_jar_set(m->jar, "MapiSequence", keep, "/mapi/emsmdb");
    /* PING neither needs nor rotates the sequence, and does not send it */
    r = call(m, "PING", NULL, 0);
    REQUIRE(r && mh_response_code(r) == 0);
    CHECK_STR(mh_cookie_jar_get(m->jar, "MapiSequence", NULL), keep);
    /* the context cookie without the sequence cookie: 13 */
    mh_mapi *noseq = mapi(EMSMDB, MH_TEST_USER, MH_TEST_PASSWORD);
    mh_cookie_jar_set(noseq->jar, "MapiContext", mh_cookie_jar_get(m->jar, "MapiContext", NULL),
                      "/mapi/emsmdb");
    check_failure(call(noseq, "Execute", b, n), 13);

    /* two Executes at once with the same cookies: exactly one runs */
    size_t l1, l2;
    const char *q1 = mh_mapi_build(m, pool, "Execute", b, n, &l1);
    const char *q2 = mh_mapi_build(m, pool, "Execute", b, n, &l2);
    mh_client *c1 = client(), *c2 = client();
    REQUIRE(mh_client_send_raw(c1, q1, l1) == APR_SUCCESS);
    REQUIRE(mh_client_send_raw(c2, q2, l2) == APR_SUCCESS);
    mh_response *r1 = NULL, *r2 = NULL;
    REQUIRE(mh_client_read_response(c1, pool, 0, &r1) == APR_SUCCESS);
    REQUIRE(mh_client_read_response(c2, pool, 0, &r2) == APR_SUCCESS);
    int c1code = mh_response_code(r1), c2code = mh_response_code(r2);
    CHECK((c1code == 0 && c2code == 15) || (c1code == 15 && c2code == 0));
    mh_cookie_jar_update(m->jar, c1code == 0 ? r1 : r2);

    /* a request that holds the context busy (here: this test process,
     * through the shared store) makes a concurrent Execute fail with 15 */
    mh_session_store *st = store();
    REQUIRE(st);
    unsigned char id[16], seq[16];
    REQUIRE(context_id(m, "MapiContext", id) && context_id(m, "MapiSequence", seq));
    mh_session *s = NULL;
    REQUIRE(mh_session_begin(st, id, MH_EP_EMSMDB, MH_TEST_USER, seq, 0, &opaque,
                             apr_time_now(), pool, &s) == MH_SS_OK);
    char hex[33];
    mh_hex_encode(s->sequence, 16, hex);
    mh_cookie_jar_set(m->jar, "MapiSequence", hex, "/mapi/emsmdb");
    check_failure(call(m, "Execute", b, n), 15);
    CHECK_EQ_U(mh_session_end(s, &opaque, apr_time_now(), apr_time_from_sec(900)), MH_SS_OK);
    r = call(m, "Execute", b, n);
    CHECK(r && mh_response_code(r) == 0);
    mh_session_store_close(st);
}

/*
 * Garbage, truncated and oversized bodies for every request type: each gets
 * X-ResponseCode 12 (or a failure body where the body is well formed but
 * beyond a limit), the server survives, and no context is left behind.
 */
static void test_garbage_bodies(void)
{
    mh_mapi *m = connected(EMSMDB);
    REQUIRE(m);
    mh_mapi *a = bound();
    REQUIRE(a);
    static const struct {
        const char *type;
        int nspi;
    } types[] = {{"Connect", 0}, {"Execute", 0}, {"Disconnect", 0}, {"NotificationWait", 0},
                 {"Bind", 1}, {"Unbind", 1}, {"CompareMIds", 1}, {"DNToMId", 1},
                 {"GetMatches", 1}, {"GetPropList", 1}, {"GetProps", 1},
                 {"GetSpecialTable", 1}, {"GetTemplateInfo", 1}, {"ModLinkAtt", 1},
                 {"ModProps", 1}, {"QueryColumns", 1}, {"QueryRows", 1},
                 {"ResolveNames", 1}, {"ResortRestriction", 1}, {"SeekEntries", 1},
                 {"UpdateStat", 1}, {"GetMailboxUrl", 1}, {"GetAddressBookUrl", 1}};
    uint32_t x = 0x12345678;
    unsigned char junk[600];
    int bad = 0;
    for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
        for (int round = 0; round < 12; round++) {
            size_t n = (size_t)(round * 50 + 1);
            for (size_t i = 0; i < n; i++) {
                x ^= x << 13, x ^= x >> 17, x ^= x << 5;
                junk[i] = (unsigned char)x;
            }
            /* keep Disconnect/Unbind/Execute from being accidentally valid:
             * a huge first length field */
            junk[0] = junk[1] = junk[2] = junk[3] = 0xff;
            if (strcmp(types[t].type, "Execute") == 0 && n >= 8)
                junk[4] = junk[5] = junk[6] = junk[7] = 0xff;
            mh_mapi *who = types[t].nspi ? a : m;
            mh_response *r = call(who, types[t].type, junk, n);
            if (!r) {
                bad++;
                continue;
            }
            int code = mh_response_code(r);
            /* 12; only an Execute may get 0, and then with an error in
             * StatusCode or ErrorCode (its framing passed, its content not) */
            int is_exec = strcmp(types[t].type, "Execute") == 0;
            if (code != 12 && !(is_exec && code == 0 && r->payload_len >= 8 &&
                                (u32_at(r, 0) != 0 || u32_at(r, 4) != 0))) {
                printf("# %s with %zu junk bytes: X-ResponseCode %d\n", types[t].type, n, code);
                bad++;
            }
            /* a refused Connect or Bind hands out no context */
            int creates = !strcmp(types[t].type, "Connect") || !strcmp(types[t].type, "Bind");
            if (creates && apr_table_get(r->headers, "Set-Cookie")) {
                printf("# %s refused but set a context cookie\n", types[t].type);
                bad++;
            }
        }
    }
    CHECK_EQ_U(bad, 0);
    /* the contexts are still usable: had any of the 24 junk Connects and
     * Binds made a context, the per-user limit (4 here) would have evicted
     * these two, and their PINGs would get 10 */
    mh_response *r = call(m, "PING", NULL, 0);
    CHECK(r && mh_response_code(r) == 0);
    r = call(a, "PING", NULL, 0);
    CHECK(r && mh_response_code(r) == 0);
}

/* -------------------------------------------------- PING, Disconnect */

static void test_ping(void)
{
    mh_mapi *m = connected(EMSMDB);
    REQUIRE(m);
    mh_response *r = call(m, "PING", NULL, 0);
    REQUIRE(r);
    check_success_envelope(r, m, "PING");
    CHECK(!r->chunked); /* ready at once: sent with a Content-Length */
    CHECK(apr_table_get(r->headers, "Content-Length") != NULL);
    CHECK_EQ_U(r->payload_len, 0);
    CHECK_STR(apr_table_get(r->headers, "X-ExpirationInfo"), "900000");
    /* only the context cookie comes back */
    const char *sc = apr_table_get(r->headers, "Set-Cookie");
    CHECK(sc && strncmp(sc, "MapiContext=", 12) == 0);
    /* a PING with a body is malformed */
    check_failure(call(m, "PING", "x", 1), 12);
    /* PING refreshes the context: its expiry moves forward (to the second:
     * a PING within a second of the last refresh changes nothing) */
    mh_session_store *st = store();
    REQUIRE(st);
    unsigned char id[16];
    REQUIRE(context_id(m, "MapiContext", id));
    mh_session_info i1, i2;
    REQUIRE(mh_session_get_info(st, id, apr_time_now(), &i1) == MH_SS_OK);
    usleep(1200000);
    r = call(m, "PING", NULL, 0);
    REQUIRE(r && mh_response_code(r) == 0);
    REQUIRE(mh_session_get_info(st, id, apr_time_now(), &i2) == MH_SS_OK);
    CHECK(i2.expires > i1.expires);
    mh_session_store_close(st);
}

static void test_disconnect(void)
{
    mh_mapi *m = connected(EMSMDB);
    REQUIRE(m);
    const char *ctx = apr_pstrdup(pool, mh_cookie_jar_get(m->jar, "MapiContext", NULL));
    const char *seq = apr_pstrdup(pool, mh_cookie_jar_get(m->jar, "MapiSequence", NULL));
    static const unsigned char aux_only[4] = {0};
    mh_response *r = call(m, "Disconnect", aux_only, sizeof(aux_only));
    REQUIRE(r);
    check_success_envelope(r, m, "Disconnect");
    CHECK_EQ_U(r->payload_len, 12);
    CHECK_EQ_U(u32_at(r, 0), 0);
    CHECK_EQ_U(u32_at(r, 4), 0);
    /* the dead cookies are sent back, not expired */
    CHECK_STR(mh_cookie_jar_get(m->jar, "MapiContext", NULL), ctx);
    CHECK_STR(mh_cookie_jar_get(m->jar, "MapiSequence", NULL), seq);
    /* any later use: 10 */
    check_failure(call(m, "PING", NULL, 0), 10);
    size_t n;
    const unsigned char *e = execute_body(&n, 0, empty_rops(&n, 0), 2, 0, 0, 0x8000);
    check_failure(call(m, "Execute", e, 26), 10);
    check_failure(call(m, "Disconnect", NULL, 0), 10);
    /* an empty Disconnect body is accepted too */
    m = connected(EMSMDB);
    REQUIRE(m);
    r = call(m, "Disconnect", NULL, 0);
    CHECK(r && mh_response_code(r) == 0);
}

/* --------------------------------------------------- NotificationWait */

static void parse_wait(mh_response *r, uint32_t *ec, uint32_t *pending)
{
    CHECK_EQ_U(r->payload_len, 16);
    CHECK_EQ_U(u32_at(r, 0), 0);
    *ec = u32_at(r, 4);
    *pending = u32_at(r, 8);
    CHECK_EQ_U(u32_at(r, 12), 0);
}

static int count_tag(mh_response *r, const char *tag)
{
    int n = 0;
    mh_meta_tag *t = (mh_meta_tag *)r->meta->elts;
    for (int i = 0; i < r->meta->nelts; i++)
        n += strcmp(t[i].tag, tag) == 0;
    return n;
}

static void test_wait_times_out_with_keepalives(void)
{
    /* MapiHttpNotificationWaitTimeout 3, MapiHttpPendingPeriod 1000 */
    mh_mapi *m = connected(EMSMDB);
    REQUIRE(m);
    size_t n;
    const unsigned char *b = wait_body(&n);
    mh_response *r = call(m, "NotificationWait", b, n);
    REQUIRE(r);
    check_success_envelope(r, m, "NotificationWait");
    uint32_t ec, pending;
    parse_wait(r, &ec, &pending);
    CHECK_EQ_U(ec, 0);
    CHECK_EQ_U(pending, 0);
    apr_time_t total = r->done_at - r->sent_at;
    CHECK(total >= apr_time_from_msec(2900));
    CHECK(total < apr_time_from_sec(20));
    /* PROCESSING went out at once, then keep-alives while waiting */
    mh_meta_tag *t = (mh_meta_tag *)r->meta->elts;
    CHECK(t[0].at - r->sent_at < apr_time_from_msec(1500));
    int pendings = count_tag(r, "PENDING");
    CHECK(pendings >= 1 && pendings <= 4);
    if (r->meta->nelts >= 3)
        CHECK(t[1].at - t[0].at >= apr_time_from_msec(800));
    /* NotificationWait neither needs nor rotates the sequence cookie */
    const char *sc = apr_table_get(r->headers, "Set-Cookie");
    CHECK(sc && strncmp(sc, "MapiContext=", 12) == 0);
}

static void test_wait_event_pending_at_once(void)
{
    mh_mapi *m = connected(EMSMDB);
    REQUIRE(m);
    /* an event posted by another process (this one) through the store */
    CHECK(post_event(m));
    size_t n;
    const unsigned char *b = wait_body(&n);
    mh_response *r = call(m, "NotificationWait", b, n);
    REQUIRE(r && mh_response_code(r) == 0);
    uint32_t ec, pending;
    parse_wait(r, &ec, &pending);
    CHECK_EQ_U(ec, 0);
    CHECK_EQ_U(pending, 1);
    CHECK(r->done_at - r->sent_at < apr_time_from_sec(2));
    CHECK_EQ_U(count_tag(r, "PENDING"), 0);
    /* the client's Execute collects the events: the next wait waits */
    r = call(m, "Execute", NULL, 0);
    REQUIRE(r && mh_response_code(r) == 0);
    r = call(m, "NotificationWait", b, n);
    REQUIRE(r && mh_response_code(r) == 0);
    parse_wait(r, &ec, &pending);
    CHECK_EQ_U(pending, 0);
    CHECK(r->done_at - r->sent_at >= apr_time_from_msec(2900));
}

static void test_wait_woken_by_event(void)
{
    mh_mapi *m = connected(EMSMDB);
    REQUIRE(m);
    apr_time_t sent = apr_time_now();
    mh_client *c = start_wait(m);
    REQUIRE(c);
    usleep(700000);
    CHECK(post_event(m));
    mh_response *r = NULL;
    REQUIRE(mh_client_read_response(c, pool, 0, &r) == APR_SUCCESS);
    CHECK_EQ_U(mh_response_code(r), 0);
    uint32_t ec, pending;
    parse_wait(r, &ec, &pending);
    CHECK_EQ_U(pending, 1);
    /* answered soon after the event, well before the 3 s limit */
    CHECK(r->done_at - sent < apr_time_from_msec(2500));
}

static void test_second_wait_rejected(void)
{
    mh_mapi *m = connected(EMSMDB);
    REQUIRE(m);
    size_t n;
    const unsigned char *b = wait_body(&n);
    mh_client *c = start_wait(m);
    REQUIRE(c);
    usleep(300000);
    /* meanwhile: a second wait is rejected at once, Execute and PING run */
    mh_response *r = call(m, "NotificationWait", b, n);
    REQUIRE(r && mh_response_code(r) == 0);
    uint32_t ec, pending;
    parse_wait(r, &ec, &pending);
    CHECK_EQ_U(ec, 0x7EE); /* Rejected */
    CHECK(r->done_at - r->sent_at < apr_time_from_sec(2));
    r = call(m, "Execute", NULL, 0);
    CHECK(r && mh_response_code(r) == 0);
    r = call(m, "PING", NULL, 0);
    CHECK(r && mh_response_code(r) == 0);
    mh_response *first = NULL;
    REQUIRE(mh_client_read_response(c, pool, 0, &first) == APR_SUCCESS);
    parse_wait(first, &ec, &pending);
    CHECK_EQ_U(ec, 0);
    CHECK_EQ_U(pending, 0);
}

static void test_wait_client_gone_releases_slot(void)
{
    mh_mapi *m = connected(EMSMDB);
    REQUIRE(m);
    size_t n;
    const unsigned char *b = wait_body(&n);
    mh_client *c = start_wait(m);
    REQUIRE(c);
    mh_session_store *st = store();
    REQUIRE(st);
    unsigned char id[16];
    REQUIRE(context_id(m, "MapiContext", id));
    mh_session_info info;
    int waiting = 0;
    for (int i = 0; i < 40 && !waiting; i++) {
        usleep(25000);
        waiting = mh_session_get_info(st, id, apr_time_now(), &info) == MH_SS_OK && info.waiting;
    }
    CHECK(waiting);
    apr_time_t gone = apr_time_now();
    mh_client_disconnect(c);
    /* the server notices and frees the slot long before the wait limit */
    int freed = 0;
    while (!freed && apr_time_now() - gone < apr_time_from_msec(1500)) {
        usleep(25000);
        freed = mh_session_get_info(st, id, apr_time_now(), &info) == MH_SS_OK && !info.waiting;
    }
    CHECK(freed);
    /* and a new wait is not rejected */
    mh_response *r = call(m, "NotificationWait", b, n);
    REQUIRE(r && mh_response_code(r) == 0);
    uint32_t ec, pending;
    parse_wait(r, &ec, &pending);
    CHECK_EQ_U(ec, 0);
    mh_session_store_close(st);
}

static void test_wait_ends_on_disconnect(void)
{
    mh_mapi *m = connected(EMSMDB);
    REQUIRE(m);
    apr_time_t sent = apr_time_now();
    mh_client *c = start_wait(m);
    REQUIRE(c);
    usleep(300000);
    mh_response *r = call(m, "Disconnect", NULL, 0);
    REQUIRE(r && mh_response_code(r) == 0);
    mh_response *w = NULL;
    REQUIRE(mh_client_read_response(c, pool, 0, &w) == APR_SUCCESS);
    CHECK_EQ_U(mh_response_code(w), 0);
    uint32_t ec, pending;
    parse_wait(w, &ec, &pending);
    CHECK_EQ_U(pending, 1); /* the client's Execute then learns it is gone */
    CHECK(w->done_at - sent < apr_time_from_msec(2500));
}

/* ------------------------------------------------------------------ NSPI */

static void test_bind_unbind(void)
{
    size_t n;
    const unsigned char *b = bind_body(&n);
    mh_mapi *m = mapi(NSPI, MH_TEST_USER, MH_TEST_PASSWORD);
    mh_response *r = call(m, "Bind", b, n);
    REQUIRE(r);
    check_success_envelope(r, m, "Bind");
    CHECK_EQ_U(r->payload_len, 28);
    CHECK_EQ_U(u32_at(r, 0), 0);
    CHECK_EQ_U(u32_at(r, 4), 0);
    unsigned char guid[16];
    memcpy(guid, r->payload + 8, 16);
    const char *attrs = NULL;
    CHECK(mh_cookie_jar_get(m->jar, "NspiContext", &attrs) != NULL);
    CHECK(attrs && strstr(attrs, "Path=/mapi/nspi"));
    CHECK(mh_cookie_jar_get(m->jar, "NspiSequence", NULL) != NULL);
    /* a second Bind reports the same server GUID */
    mh_mapi *m2 = mapi(NSPI, MH_TEST_USER, MH_TEST_PASSWORD);
    r = call(m2, "Bind", b, n);
    REQUIRE(r && mh_response_code(r) == 0);
    CHECK_MEM(r->payload + 8, 16, guid, 16);
    /* NSPI contexts are separate from EMSMDB ones */
    r = call(m, "PING", NULL, 0);
    CHECK(r && mh_response_code(r) == 0);
    mh_mapi *cross = mapi(EMSMDB, MH_TEST_USER, MH_TEST_PASSWORD);
    mh_cookie_jar_set(cross->jar, "MapiContext", mh_cookie_jar_get(m->jar, "NspiContext", NULL),
                      "/mapi/emsmdb");
    check_failure(call(cross, "PING", NULL, 0), 10);
    /* Unbind: UnbindSuccess; then the context is gone */
    static const unsigned char unbind[8] = {0};
    r = call(m, "Unbind", unbind, sizeof(unbind));
    REQUIRE(r);
    check_success_envelope(r, m, "Unbind");
    CHECK_EQ_U(u32_at(r, 0), 0);
    CHECK_EQ_U(u32_at(r, 4), 1);
    check_failure(call(m, "PING", NULL, 0), 10);
    size_t gn;
    const unsigned char *gp = getprops_body(&gn);
    check_failure(call(m, "GetProps", gp, gn), 10);
    /* bad Bind bodies */
    mh_mapi *m3 = mapi(NSPI, MH_TEST_USER, MH_TEST_PASSWORD);
    check_failure(call(m3, "Bind", b, n - 1), 12);
    check_failure(call(m3, "Bind", b, 3), 12);
}

/* The address book requests are served (mh_nspi.c; it_nspi tests them
 * over a directory): here, that they are sequenced like every NSPI call,
 * answer without a backend, and that a malformed body costs nothing. */
static void test_nspi_requests_served(void)
{
    mh_mapi *m = bound();
    REQUIRE(m);
    const char *seq0 = apr_pstrdup(pool, mh_cookie_jar_get(m->jar, "NspiSequence", NULL));
    mh_wr wr;
    mh_wr_init(&wr, pool, 64);
    mh_nspi_getspecialtable_req req;
    memset(&req, 0, sizeof(req));
    req.flags = MH_NSPI_UNICODE_STRINGS;
    req.has_state = 1;
    req.state.code_page = 1252;
    mh_nspi_build_getspecialtable_req(&wr, &req);
    mh_response *r = call(m, "GetSpecialTable", wr.buf, wr.len);
    REQUIRE(r);
    check_success_envelope(r, m, "GetSpecialTable");
    mh_nspi_getspecialtable_resp resp;
    const char *why = NULL;
    REQUIRE(mh_nspi_parse_getspecialtable_resp(r->payload, r->payload_len, pool, &resp, &why) ==
            MH_BODY_OK);
    CHECK_EQ_U(resp.status_code, 0);
    CHECK_EQ_U(resp.error_code, 0);
    CHECK(resp.has_rows && resp.rows.n == 5);
    /* sequenced like every NSPI call: the sequence rotated */
    const char *seq1 = apr_pstrdup(pool, mh_cookie_jar_get(m->jar, "NspiSequence", NULL));
    CHECK(strcmp(seq0, seq1) != 0);
    /* a malformed body: 12, and the context and its sequence as they were */
    check_failure(call(m, "GetSpecialTable", wr.buf, wr.len - 1), 12);
    CHECK_STR(mh_cookie_jar_get(m->jar, "NspiSequence", NULL), seq1);
    size_t gn;
    const unsigned char *gp = getprops_body(&gn);
    r = call(m, "GetProps", gp, gn);
    REQUIRE(r && mh_response_code(r) == 0);
    CHECK_EQ_U(u32_at(r, 0), 0);
    CHECK_EQ_U(u32_at(r, 4), MH_NSPI_ERRORS_RETURNED); /* no directory: no values */
}

/* -------------------------------------------------------------- TLS */

static void test_tls_secure_cookies(void)
{
    mh_client *c = mh_httpd_client(H, pool, H->tls_port, 1);
    mh_mapi *m = mh_mapi_create(pool, c, EMSMDB, MH_TEST_USER, MH_TEST_PASSWORD);
    size_t n;
    const unsigned char *b = connect_body(&n, 0);
    mh_response *r = call(m, "Connect", b, n);
    REQUIRE(r && mh_response_code(r) == 0);
    const char *attrs = NULL;
    CHECK(mh_cookie_jar_get(m->jar, "MapiContext", &attrs) != NULL);
    CHECK(attrs && strstr(attrs, "Secure") && strstr(attrs, "HttpOnly"));
    CHECK(mh_cookie_jar_get(m->jar, "MapiSequence", &attrs) != NULL);
    CHECK(attrs && strstr(attrs, "Secure"));
    size_t plen;
    const unsigned char *rops = empty_rops(&plen, 2);
    b = execute_body(&n, 0, rops, plen, 0, 1, 0x8000);
    r = call(m, "Execute", b, n);
    CHECK(r && mh_response_code(r) == 0);
    r = call(m, "Disconnect", NULL, 0);
    CHECK(r && mh_response_code(r) == 0);
}

/* ------------------------------------------------------------- logging */

static void test_logging(void)
{
    mh_mapi *m = connected(EMSMDB);
    REQUIRE(m);
    mh_response *r = call(m, "PING", NULL, 0);
    REQUIRE(r);
    char rid[80];
    snprintf(rid, sizeof(rid), "%s:%lu", m->request_guid, m->counter);
    /* the access log line is written after the response: give it a moment */
    const char *alog = "";
    for (int i = 0; i < 40 && !strstr(alog, rid); i++) {
        usleep(25000);
        alog = mh_httpd_read_file(H, H->access_log);
    }
    const char *line = strstr(alog, rid);
    CHECK(line != NULL);
    /* "... PING 0 <request id> <ms>" */
    CHECK(strstr(alog, apr_psprintf(pool, " PING 0 %s ", rid)) != NULL);
    CHECK(strstr(alog, apr_psprintf(pool, "ada \"POST")) != NULL);
    const char *elog = mh_httpd_read_file(H, H->error_log);
    CHECK(strstr(elog, apr_psprintf(pool, "MH00010: emsmdb PING user=ada request-id=%s", rid)));
    CHECK(strstr(elog, "response-code=0"));
}

/* --------------------------------------------------------------- suites */

static int start_main(const char *mpm)
{
    H = mh_httpd_create(pool, mpm);
    if (!H)
        return -1;
    H->server_conf = "MapiHttpPendingPeriod 1000\n"
                     "MapiHttpNotificationWaitTimeout 3\n"
                     "MapiHttpMaxRequestBody 65536\n"
                     "MapiHttpSessionsPerUser 4\n";
    return mh_httpd_start(H);
}

static void check_log_clean(void)
{
    CHECK_EQ_U(mh_httpd_check_log(H), 0);
}

static int suite_main(const char *mpm)
{
    if (start_main(mpm) != 0)
        return 1;
    TEST(test_anonymous_gets_401);
    TEST(test_no_auth_configured_gets_8);
    TEST(test_not_post_gets_2);
    TEST(test_unknown_path_gets_3);
    TEST(test_missing_headers_get_7);
    TEST(test_malformed_headers_get_4);
    TEST(test_request_type_checks_get_5);
    TEST(test_too_large_gets_9);
    TEST(test_cookie_checks);
    TEST(test_connect_response);
    TEST(test_connect_paths);
    TEST(test_connect_bad_bodies);
    TEST(test_reconnect);
    TEST(test_context_bound_to_user);
    TEST(test_sessions_per_user_cap);
    TEST(test_execute_empty);
    TEST(test_execute_compressed_request);
    TEST(test_execute_bad_bodies);
    TEST(test_sequence_rules);
    TEST(test_garbage_bodies);
    TEST(test_ping);
    TEST(test_disconnect);
    TEST(test_wait_times_out_with_keepalives);
    TEST(test_wait_event_pending_at_once);
    TEST(test_wait_woken_by_event);
    TEST(test_second_wait_rejected);
    TEST(test_wait_client_gone_releases_slot);
    TEST(test_wait_ends_on_disconnect);
    TEST(test_bind_unbind);
    TEST(test_nspi_requests_served);
    TEST(test_tls_secure_cookies);
    TEST(test_logging);
    TEST(check_log_clean);
    mh_httpd_destroy(H);
    return 0;
}

/* Prefork with MaxConnectionsPerChild 1: every request in a new process. */
static void test_session_across_processes(void)
{
    size_t n, plen;
    mh_mapi *m = mapi(EMSMDB, MH_TEST_USER, MH_TEST_PASSWORD);
    const unsigned char *b = connect_body(&n, 0);
    mh_response *r = call(m, "Connect", b, n);
    REQUIRE(r && mh_response_code(r) == 0);
    const unsigned char *rops = empty_rops(&plen, 2);
    const unsigned char *e = execute_body(&n, 0, rops, plen, 0, 1, 0x8000);
    for (int i = 0; i < 4; i++) {
        mh_client_disconnect(m->conn);
        r = call(m, "Execute", e, n);
        CHECK(r && mh_response_code(r) == 0);
        mh_client_disconnect(m->conn);
        r = call(m, "PING", NULL, 0);
        CHECK(r && mh_response_code(r) == 0);
    }
    /* a stale sequence is still caught across processes */
    const char *seq = apr_pstrdup(pool, mh_cookie_jar_get(m->jar, "MapiSequence", NULL));
    mh_client_disconnect(m->conn);
    r = call(m, "Execute", e, n);
    REQUIRE(r && mh_response_code(r) == 0);
    const char *cur = apr_pstrdup(pool, mh_cookie_jar_get(m->jar, "MapiSequence", NULL));
    mh_cookie_jar_set(m->jar, "MapiSequence", seq, "/mapi/emsmdb");
    mh_client_disconnect(m->conn);
    check_failure(call(m, "Execute", e, n), 15);
    mh_cookie_jar_set(m->jar, "MapiSequence", cur, "/mapi/emsmdb");
    /* an event posted elsewhere reaches a wait in yet another process */
    CHECK(post_event(m));
    mh_client_disconnect(m->conn);
    const unsigned char *w = wait_body(&n);
    r = call(m, "NotificationWait", w, n);
    REQUIRE(r && mh_response_code(r) == 0);
    CHECK_EQ_U(u32_at(r, 8), 1);
    mh_client_disconnect(m->conn);
    r = call(m, "Disconnect", NULL, 0);
    CHECK(r && mh_response_code(r) == 0);
    mh_client_disconnect(m->conn);
    check_failure(call(m, "PING", NULL, 0), 10);

    /* the access log proves the requests were served by different processes */
    usleep(200000);
    const char *alog = mh_httpd_read_file(H, H->access_log);
    apr_hash_t *pids = apr_hash_make(pool);
    int lines = 0;
    char *copy = apr_pstrdup(pool, alog), *state = NULL;
    for (char *l = apr_strtok(copy, "\n", &state); l; l = apr_strtok(NULL, "\n", &state)) {
        char *sp = strchr(l, ' ');
        if (!sp)
            continue;
        *sp = 0;
        apr_hash_set(pids, l, APR_HASH_KEY_STRING, "");
        lines++;
    }
    CHECK(lines >= 14);
    CHECK_EQ_U(apr_hash_count(pids), lines);
}

static int suite_per_request_process(void)
{
    H = mh_httpd_create(pool, "prefork");
    if (!H)
        return 1;
    H->max_connections_per_child = 1;
    H->server_conf = "MapiHttpNotificationWaitTimeout 3\nMapiHttpPendingPeriod 1000\n";
    if (mh_httpd_start(H) != 0)
        return 1;
    TEST(test_session_across_processes);
    TEST(check_log_clean);
    mh_httpd_destroy(H);
    return 0;
}

/* A session survives `apachectl graceful` and a full stop and start. */
static void test_session_survives_restarts(void)
{
    mh_mapi *m = connected(EMSMDB);
    REQUIRE(m);
    mh_mapi *a = bound();
    REQUIRE(a);
    size_t n, plen;
    const unsigned char *rops = empty_rops(&plen, 1);
    const unsigned char *e = execute_body(&n, 0, rops, plen, 0, 1, 0x8000);
    mh_response *r = call(m, "Execute", e, n);
    REQUIRE(r && mh_response_code(r) == 0);

    /* a NotificationWait in progress ends promptly on a graceful restart
     * (the old process stops) instead of holding the old process */
    mh_client *wc = start_wait(m);
    REQUIRE(wc);
    usleep(300000);
    apr_time_t g = apr_time_now();
    REQUIRE(mh_httpd_graceful(H) == 0);
    mh_response *w = NULL;
    REQUIRE(mh_client_read_response(wc, pool, 0, &w) == APR_SUCCESS);
    CHECK_EQ_U(mh_response_code(w), 0);
    CHECK_EQ_U(u32_at(w, 8), 0);
    CHECK(w->done_at - g < apr_time_from_sec(10));

    mh_client_disconnect(m->conn);
    mh_client_disconnect(a->conn);
    r = call(m, "Execute", e, n);
    CHECK(r && mh_response_code(r) == 0);
    r = call(a, "PING", NULL, 0);
    CHECK(r && mh_response_code(r) == 0);

    size_t bn;
    const unsigned char *bb = bind_body(&bn);
    mh_mapi *probe = mapi(NSPI, MH_TEST_USER, MH_TEST_PASSWORD);
    r = call(probe, "Bind", bb, bn);
    REQUIRE(r && mh_response_code(r) == 0 && r->payload_len == 28);
    unsigned char guid[16];
    memcpy(guid, r->payload + 8, 16);

    REQUIRE(mh_httpd_stop(H) == 0);
    REQUIRE(mh_httpd_start(H) == 0);
    mh_client_disconnect(m->conn);
    mh_client_disconnect(a->conn);
    mh_client_disconnect(probe->conn);
    r = call(m, "Execute", e, n);
    CHECK(r && mh_response_code(r) == 0);
    r = call(m, "PING", NULL, 0);
    CHECK(r && mh_response_code(r) == 0);
    r = call(a, "PING", NULL, 0);
    CHECK(r && mh_response_code(r) == 0);
    /* the address book server GUID is the same after the restart */
    r = call(probe, "Bind", bb, bn);
    REQUIRE(r && mh_response_code(r) == 0 && r->payload_len == 28);
    CHECK_MEM(r->payload + 8, 16, guid, 16);
    static const unsigned char unbind[8] = {0};
    r = call(a, "Unbind", unbind, sizeof(unbind));
    CHECK(r && mh_response_code(r) == 0);
    r = call(m, "Disconnect", NULL, 0);
    CHECK(r && mh_response_code(r) == 0);
}

static int suite_restart(const char *mpm)
{
    H = mh_httpd_create(pool, mpm);
    if (!H)
        return 1;
    H->server_conf = "MapiHttpNotificationWaitTimeout 60\nMapiHttpPendingPeriod 1000\n";
    if (mh_httpd_start(H) != 0)
        return 1;
    TEST(test_session_survives_restarts);
    TEST(check_log_clean);
    mh_httpd_destroy(H);
    return 0;
}

/* Idle expiry (MapiHttpSessionIdleTimeout 10) and its refresh by PING. */
static void test_idle_expiry(void)
{
    mh_mapi *m = connected(EMSMDB);
    REQUIRE(m);
    mh_mapi *kept = connected(EMSMDB);
    REQUIRE(kept);
    mh_response *r = call(m, "PING", NULL, 0);
    REQUIRE(r);
    CHECK_STR(apr_table_get(r->headers, "X-ExpirationInfo"), "10000");
    for (int i = 0; i < 4; i++) {
        sleep(3);
        r = call(kept, "PING", NULL, 0); /* refreshes every 3 s */
        CHECK(r && mh_response_code(r) == 0);
    }
    /* 12 s without a request: m is gone, kept lives */
    check_failure(call(m, "PING", NULL, 0), 10);
    size_t n;
    const unsigned char *e = execute_body(&n, 0, empty_rops(&n, 0), 2, 0, 0, 0x8000);
    check_failure(call(m, "Execute", e, 26), 10);
    r = call(kept, "Execute", e, 26);
    CHECK(r && mh_response_code(r) == 0);
}

static int suite_expiry(void)
{
    H = mh_httpd_create(pool, "event");
    if (!H)
        return 1;
    H->server_conf = "MapiHttpSessionIdleTimeout 10\n";
    if (mh_httpd_start(H) != 0)
        return 1;
    TEST(test_idle_expiry);
    TEST(check_log_clean);
    mh_httpd_destroy(H);
    return 0;
}

/* ------------------------------------------------------- configuration */

static void expect_refusal(const char *where, const char *conf, const char *must_say)
{
    mh_httpd *h = mh_httpd_create(pool, "event");
    REQUIRE(h);
    if (strcmp(where, "server") == 0)
        h->server_conf = conf;
    else
        h->location_conf = conf;
    CHECK(mh_httpd_refuses(h, must_say) == 0);
    mh_httpd_destroy(h);
}

static void test_bad_directive_values(void)
{
    expect_refusal("server", "MapiHttpSessionIdleTimeout 0\n",
                   "MapiHttpSessionIdleTimeout: '0' is not allowed: give a whole number of "
                   "seconds from 10 to 86400");
    expect_refusal("server", "MapiHttpSessionIdleTimeout 15m\n",
                   "MapiHttpSessionIdleTimeout: '15m' is not allowed");
    expect_refusal("server", "MapiHttpPendingPeriod 50\n",
                   "MapiHttpPendingPeriod: '50' is not allowed");
    expect_refusal("server", "MapiHttpNotificationWaitTimeout -1\n",
                   "MapiHttpNotificationWaitTimeout: '-1' is not allowed");
    expect_refusal("server", "MapiHttpSessionsPerUser 0\n",
                   "MapiHttpSessionsPerUser: '0' is not allowed");
    expect_refusal("server", "MapiHttpMaxRequestBody 1k\n",
                   "MapiHttpMaxRequestBody: '1k' is not allowed");
    expect_refusal("server", "MapiHttpSessionStoreSize 1\n",
                   "MapiHttpSessionStoreSize: '1' is not allowed");
    expect_refusal("location", "MapiHttp Maybe\n", "MapiHttp must be On or Off");
    expect_refusal("location", "MapiHttpPendingPeriod 1000\n",
                   "MapiHttpPendingPeriod not allowed in <Location> context");
    expect_refusal("server", "<VirtualHost 127.0.0.1:1>\nMapiHttpSessionStore /tmp/x\n"
                             "</VirtualHost>\n",
                   "cannot occur within <VirtualHost> section");
}

static void test_unusable_store_stops_httpd(void)
{
    /* a path that cannot be a directory */
    expect_refusal("server", "MapiHttpSessionStore /proc/mod-mapihttp-test\n",
                   "MH00001: mod_mapihttp cannot start: session store "
                   "/proc/mod-mapihttp-test: cannot create /proc/mod-mapihttp-test");
}

/* The shipped conf.d files pass `httpd -t`. */
static void test_conf_d_configtest(void)
{
    mh_httpd *h = mh_httpd_create(pool, "event");
    REQUIRE(h);
    const char *moddir = MH_APXS_LIBEXECDIR;
    const char *src = MH_SRC_DIR;
    const char *load = apr_psprintf(pool, "LoadModule mapihttp_module %s/.libs/mod_mapihttp.so\n"
                                    "LoadModule mapihttp_lmdb_module "
                                    "%s/.libs/mod_mapihttp_lmdb.so\n",
                                    MH_BUILD_DIR, MH_BUILD_DIR);
    const char *conf = apr_psprintf(pool,
        "ServerRoot %s\nServerName localhost\nPidFile %s/httpd.pid\n"
        "DefaultRuntimeDir %s/run\nErrorLog %s/error.log\n"
        "LoadModule mpm_event_module %s/mod_mpm_event.so\n"
        "LoadModule authn_core_module %s/mod_authn_core.so\n"
        "LoadModule authn_file_module %s/mod_authn_file.so\n"
        "LoadModule authn_socache_module %s/mod_authn_socache.so\n"
        "LoadModule socache_shmcb_module %s/mod_socache_shmcb.so\n"
        "LoadModule auth_basic_module %s/mod_auth_basic.so\n"
        "LoadModule authz_core_module %s/mod_authz_core.so\n"
        "LoadModule authz_user_module %s/mod_authz_user.so\n"
        "LoadModule ssl_module %s/mod_ssl.so\n"
        "LoadModule headers_module %s/mod_headers.so\n"
        "Define APACHE_LOG_DIR %s\n"
        "%s"
        "Include %s/conf.d/mapihttp.conf\n"
        "Include %s/example-vhost.conf\n",
        h->root, h->root, h->root, h->root, moddir, moddir, moddir, moddir, moddir, moddir,
        moddir, moddir, moddir, moddir, h->root, load, src, h->root);
    /* the example names Debian's snakeoil certificate: use the test's */
    const char *example = mh_httpd_read_file(
        h, apr_pstrcat(pool, src, "/conf.d/mapihttp-example-vhost.conf", NULL));
    REQUIRE(strstr(example, "/etc/ssl/certs/ssl-cert-snakeoil.pem"));
    char *ex = apr_pstrdup(pool, example), *hit;
    const char *cert = apr_pstrcat(pool, h->root, "/cert.pem", NULL);
    const char *key = apr_pstrcat(pool, h->root, "/key.pem", NULL);
    while ((hit = strstr(ex, "/etc/ssl/certs/ssl-cert-snakeoil.pem"))) {
        *hit = 0;
        ex = apr_pstrcat(pool, ex, cert, hit + strlen("/etc/ssl/certs/ssl-cert-snakeoil.pem"), NULL);
    }
    while ((hit = strstr(ex, "/etc/ssl/private/ssl-cert-snakeoil.key"))) {
        *hit = 0;
        ex = apr_pstrcat(pool, ex, key, hit + strlen("/etc/ssl/private/ssl-cert-snakeoil.key"), NULL);
    }
    FILE *ef = fopen(apr_pstrcat(pool, h->root, "/example-vhost.conf", NULL), "w");
    REQUIRE(ef);
    fputs(ex, ef);
    fclose(ef);
    const char *path = apr_pstrcat(pool, h->root, "/conftest.conf", NULL);
    FILE *f = fopen(path, "w");
    REQUIRE(f);
    fputs(conf, f);
    fclose(f);
    const char *out = NULL;
    int rc = mh_httpd_configtest(h, path, &out);
    if (rc != 0)
        printf("# httpd -t said:\n%s\n", out ? out : "");
    CHECK_EQ_U(rc, 0);
    CHECK(out && strstr(out, "Syntax OK"));
    mh_httpd_destroy(h);
}

static int suite_config(void)
{
    TEST(test_bad_directive_values);
    TEST(test_unusable_store_stops_httpd);
    TEST(test_conf_d_configtest);
    return 0;
}

int main(int argc, char **argv)
{
    MH_TEST_INIT();
    signal(SIGPIPE, SIG_IGN); /* TLS writes to closed connections */
    apr_pool_create(&root_pool, NULL);
    pool = root_pool;
    const char *mpm = "event";
    int per_request = 0, restart = 0, expiry = 0, config = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mpm") == 0 && i + 1 < argc)
            mpm = argv[++i];
        else if (strcmp(argv[i], "--per-request-process") == 0)
            per_request = 1;
        else if (strcmp(argv[i], "--restart") == 0)
            restart = 1;
        else if (strcmp(argv[i], "--expiry") == 0)
            expiry = 1;
        else if (strcmp(argv[i], "--config") == 0)
            config = 1;
    }
    int rc;
    if (config)
        rc = suite_config();
    else if (expiry)
        rc = suite_expiry();
    else if (per_request)
        rc = suite_per_request_process();
    else if (restart)
        rc = suite_restart(mpm);
    else
        rc = suite_main(mpm);
    if (rc != 0) {
        printf("not ok - could not run the suite\n");
        if (H)
            mh_httpd_destroy(H);
        return 1;
    }
    return MH_TEST_DONE();
}
