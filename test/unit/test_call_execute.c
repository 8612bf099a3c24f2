/*
 * test_call_execute.c - Execute through mh_call in-process (exec_driver):
 * the request body (MS-OXCMAPIHTTP 2.2.4.2.1), the session store between
 * calls (objects and handles survive from one Execute to the next, through
 * the state codec), the response body (2.2.4.2.2) and MaxRopOut for every
 * form of an empty ROP input.  The cases the Execute fuzz target found
 * are here too.
 */
#include "mh_test.h"
#include "exec_driver.h"
#include "mh_bodies.h"
#include "mh_legacydn.h"
#include "mh_mapierr.h"
#include "mh_rop.h"
#include "mh_rpcext.h"
#include "mh_session.h"
#include "mh_wire.h"

#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>

static mh_xdriver D;
static apr_pool_t *P;

/* Runs an Execute body; 0 and the parsed result, or -1. */
static int execute(const void *body, size_t len, mh_xd_result *r)
{
    const unsigned char *resp;
    size_t rlen;
    if (mh_xd_call(&D, P, "Execute", body, len, &resp, &rlen) != 0)
        return -1;
    return mh_xd_parse_execute(resp, rlen, r);
}

/* The RopsList and handle table of a response's only payload. */
static int only_payload(const mh_xd_result *r, const unsigned char **rops, size_t *len,
                        const unsigned char **handles, size_t *n)
{
    mh_rpcext_payload *pl;
    size_t npl;
    const char *why;
    if (mh_rpcext_parse(r->rop_buffer, r->rop_buffer_len, 0, P, &pl, &npl, &why) != 0 ||
        npl != 1)
        return -1;
    uint16_t rs = mh_get_u16(pl[0].data);
    if (rs < 2 || rs > pl[0].len || (pl[0].len - rs) % 4)
        return -1;
    *rops = pl[0].data + 2;
    *len = rs - 2u;
    *handles = pl[0].data + rs;
    *n = (pl[0].len - rs) / 4;
    return 0;
}

/* An Execute body whose RopBufferSize is 0 (no extended buffer at all). */
static const unsigned char *no_rop_buffer(uint32_t max_rop_out, size_t *len_r)
{
    mh_wr w;
    mh_wr_init(&w, P, 16);
    mh_wr_u32(&w, 0);           /* Flags */
    mh_wr_u32(&w, 0);           /* RopBufferSize */
    mh_wr_u32(&w, max_rop_out); /* MaxRopOut */
    mh_wr_u32(&w, 0);           /* AuxiliaryBufferSize */
    *len_r = w.len;
    return w.buf;
}

/* An empty ROP input answers with an empty ROP output (RPC_HEADER_EXT and
 * RopSize 2: 10 bytes) - never more than MaxRopOut: below that,
 * ecBufferTooSmall and no RopBuffer, as for any other input.  (Found by
 * fuzz_execute: RopBufferSize 0 with MaxRopOut 0 answered 10 bytes.) */
static void test_empty_inputs(void)
{
    apr_pool_clear(P);
    REQUIRE(mh_xd_connect(&D) == 0);
    mh_xd_result r;
    /* an empty body (2.2.4.4.2): the largest MaxRopOut is implied */
    REQUIRE(execute(NULL, 0, &r) == 0);
    CHECK_EQ_U(r.status_code, 0);
    CHECK_EQ_U(r.error_code, 0);
    CHECK_EQ_U(r.rop_buffer_len, 10);
    static const uint32_t outs[] = {0, 1, 8, 9, 10, 11, 0x10008};
    for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
        size_t n;
        const unsigned char *b = no_rop_buffer(outs[i], &n);
        REQUIRE(execute(b, n, &r) == 0);
        CHECK_EQ_U(r.status_code, 0);
        CHECK(r.rop_buffer_len <= outs[i]);
        if (outs[i] < 10) {
            CHECK_EQ_U(r.error_code, EC_BUFFER_TOO_SMALL);
            CHECK_EQ_U(r.rop_buffer_len, 0);
        } else {
            CHECK_EQ_U(r.error_code, 0);
            CHECK_EQ_U(r.rop_buffer_len, 10);
        }
        /* an extended buffer with RopSize 2: the engine's answer is the same */
        static const unsigned char empty[1] = {0};
        b = mh_xd_execute_body(P, 0, empty, 0, NULL, 0, 0, 0, outs[i], &n);
        REQUIRE(execute(b, n, &r) == 0);
        CHECK(r.rop_buffer_len <= outs[i]);
        CHECK_EQ_U(r.error_code, outs[i] < 10 ? EC_BUFFER_TOO_SMALL : 0);
    }
    CHECK_EQ_U(mh_xd_disconnect(&D), 0);
}

/* A logon in one Execute, its folders in the next: the objects live in
 * the session store between calls; a Disconnect ends them, and a new
 * session starts counting handles again. */
static void test_objects_across_calls(void)
{
    apr_pool_clear(P);
    REQUIRE(mh_xd_connect(&D) == 0);
    mh_wr w;
    mh_wr_init(&w, P, 64);
    /* RopLogon, private, own mailbox (empty Essdn) -> slot 0 */
    mh_wr_bytes(&w, "\xFE\x00\x00\x01\x0C\x04\x00\x01\x00\x00\x00\x00\x00\x00", 14);
    uint32_t h[2] = {MH_HANDLE_NONE, MH_HANDLE_NONE};
    size_t n;
    const unsigned char *b = mh_xd_execute_body(P, 0, w.buf, w.len, h, 1, 1, 1, 0x10008, &n);
    mh_xd_result r;
    REQUIRE(execute(b, n, &r) == 0);
    CHECK_EQ_U(r.error_code, 0);
    const unsigned char *rops, *handles;
    size_t rl, nh;
    REQUIRE(only_payload(&r, &rops, &rl, &handles, &nh) == 0);
    REQUIRE(rl > 6 && rops[0] == 0xFE && mh_get_u32(rops + 2) == 0);
    REQUIRE(nh == 1);
    uint32_t logon = mh_get_u32(handles);
    CHECK_EQ_U(logon, 0); /* (LogonId << 24) | 0: the session's first object */

    /* the next Execute: OpenFolder(Inbox) on it, GetStoreState */
    mh_wr_init(&w, P, 64);
    mh_wr_bytes(&w, "\x02\x00\x00\x01", 4);
    mh_wr_u64(&w, D.special[4]);
    mh_wr_u8(&w, 0);
    mh_wr_bytes(&w, "\x7B\x00\x00", 3);
    h[0] = logon;
    b = mh_xd_execute_body(P, MH_EXEC_NO_COMPRESSION | MH_EXEC_NO_XOR_MAGIC, w.buf, w.len, h,
                           2, 0, 0, 0x10008, &n);
    REQUIRE(execute(b, n, &r) == 0);
    CHECK_EQ_U(r.error_code, 0);
    REQUIRE(only_payload(&r, &rops, &rl, &handles, &nh) == 0);
    CHECK_EQ_U(mh_get_u16(r.rop_buffer + 2), MH_RPCEXT_LAST); /* as asked: plain */
    REQUIRE(rl == 8 + 10 && nh == 2);
    CHECK_EQ_U(rops[0], 0x02);
    CHECK_EQ_U(mh_get_u32(rops + 2), 0);
    CHECK_EQ_U(rops[8], 0x7B);
    CHECK_EQ_U(mh_get_u32(rops + 10), 0);
    CHECK_EQ_U(mh_get_u32(handles), logon);
    CHECK_EQ_U(mh_get_u32(handles + 4), 1);

    /* a ROP buffer that cannot be parsed: ecRpcFormat, and the session
     * goes on with its objects */
    unsigned char *bad = apr_pmemdup(P, b, n);
    mh_put_u16(bad + 8, 7); /* RPC_HEADER_EXT Version 7 */
    REQUIRE(execute(bad, n, &r) == 0);
    CHECK_EQ_U(r.error_code, EC_RPC_FORMAT);
    CHECK_EQ_U(r.rop_buffer_len, 0);
    REQUIRE(execute(b, n, &r) == 0);
    CHECK_EQ_U(r.error_code, 0);
    REQUIRE(only_payload(&r, &rops, &rl, &handles, &nh) == 0);
    CHECK_EQ_U(mh_get_u32(rops + 2), 0);
    CHECK_EQ_U(mh_get_u32(handles + 4), 2); /* the next handle number */

    /* after Disconnect and a new Connect, the old handle means nothing */
    CHECK_EQ_U(mh_xd_disconnect(&D), 0);
    REQUIRE(mh_xd_connect(&D) == 0);
    REQUIRE(execute(b, n, &r) == 0);
    CHECK_EQ_U(r.error_code, 0);
    REQUIRE(only_payload(&r, &rops, &rl, &handles, &nh) == 0);
    CHECK_EQ_U(mh_get_u32(rops + 2), EC_NULL_OBJECT);
    CHECK_EQ_U(mh_xd_disconnect(&D), 0);
}

/* A logon (slot 0) and, with `two`, a second one (slot 1). */
static const unsigned char *logons(int two, size_t *n)
{
    static const unsigned char logon[] = "\xFE\x00\x00\x01\x0C\x04\x00\x01\x00\x00\x00"
                                         "\x00\x00\x00";
    mh_wr w;
    mh_wr_init(&w, P, 64);
    mh_wr_bytes(&w, logon, 14);
    if (two) {
        mh_wr_bytes(&w, logon, 14);
        w.buf[14 + 2] = 1; /* OutputHandleIndex */
    }
    uint32_t h[2] = {MH_HANDLE_NONE, MH_HANDLE_NONE};
    return mh_xd_execute_body(P, 0, w.buf, w.len, h, two ? 2 : 1, 1, 1, 0x10008, n);
}

/*
 * The response stream (MS-OXCMAPIHTTP 2.2.7): PROCESSING waits until the
 * first PENDING keep-alive is due or the response is ready.  A quick call
 * is handed over in one piece (streamed: passed on, never flushed before
 * its end); a slow Execute flushes PROCESSING with its first PENDING, and
 * PENDING keeps coming as before; a NotificationWait, a long poll, flushes
 * PROCESSING at once.
 */
static void test_response_stream(void)
{
    apr_pool_clear(P);
    REQUIRE(mh_xd_connect(&D) == 0);
    /* PROCESSING, stream, DONE and its headers, the body */
    CHECK_STR(D.io_trace, "wsww");
    CHECK(D.io_meta && strncmp(D.io_meta, "PROCESSING\r\nDONE\r\n", 18) == 0);
    size_t n;
    const unsigned char *b = logons(0, &n);
    mh_xd_result r;
    REQUIRE(execute(b, n, &r) == 0);
    CHECK_EQ_U(r.error_code, 0);
    CHECK_STR(D.io_trace, "wsww");
    CHECK(D.io_meta && strncmp(D.io_meta, "PROCESSING\r\nDONE\r\n", 18) == 0);

    /* a PENDING is due before each ROP (the period is a microsecond):
     * PROCESSING goes out with the first one, flushed */
    apr_interval_time_t period = D.svc.pending_period;
    D.svc.pending_period = 1;
    b = logons(1, &n);
    REQUIRE(execute(b, n, &r) == 0);
    D.svc.pending_period = period;
    CHECK_EQ_U(r.error_code, 0);
    size_t t = strlen(D.io_trace);
    CHECK(strncmp(D.io_trace, "wswf", 4) == 0);
    CHECK(t >= 6 && strcmp(D.io_trace + t - 2, "ww") == 0);
    CHECK(D.io_meta && strncmp(D.io_meta, "PROCESSING\r\nPENDING\r\n", 21) == 0);
    CHECK(D.io_meta && strstr(D.io_meta, "PENDING\r\nDONE\r\n") != NULL);

    /* NotificationWait, with an event pending (it answers at once) */
    unsigned char id[MH_SESSION_ID_LEN];
    REQUIRE(D.ctx && strchr(D.ctx, '='));
    const char *hex = strchr(D.ctx, '=') + 1;
    REQUIRE(mh_hex_decode(hex, strlen(hex), id, sizeof(id)) == 0);
    REQUIRE(mh_session_post_event(D.svc.store, id) == MH_SS_OK);
    static const unsigned char wait_body[8] = {0};
    const unsigned char *resp;
    size_t rlen;
    REQUIRE(mh_xd_call(&D, P, "NotificationWait", wait_body, sizeof(wait_body), &resp,
                       &rlen) == 0);
    CHECK_EQ_U(rlen, 16);
    CHECK_EQ_U(rlen >= 12 ? mh_get_u32(resp + 8) : 0, 1); /* EventPending */
    CHECK_STR(D.io_trace, "wfww");
    CHECK_EQ_U(mh_xd_disconnect(&D), 0);
}

/* ------------------------------------------- Connect's UserDn check */

/* The LMDB backend as a directory that keeps no legacy DNs (as an LDAP
 * directory may): every entry it returns has none. */
static const mh_backend *real_backend;
static mh_backend no_dn_backend;

static mh_err no_dn_get(mh_txn *txn, uint32_t id, apr_pool_t *pool, mh_dir_entry *e,
                        mh_error *err)
{
    mh_err r = real_backend->dir_get(txn, id, pool, e, err);
    if (r == MH_OK)
        e->legacy_dn = NULL;
    return r;
}

static mh_err no_dn_find(mh_txn *txn, mh_dir_key by, const char *key, apr_pool_t *pool,
                         mh_dir_entry *e, mh_error *err)
{
    mh_err r = real_backend->dir_find(txn, by, key, pool, e, err);
    if (r == MH_OK)
        e->legacy_dn = NULL;
    return r;
}

/* A Connect with UserDn `dn`: its ErrorCode (the session it makes is
 * disconnected again), or 0xFFFFFFFF when the call failed. */
static uint32_t connect_as(const char *dn)
{
    mh_wr w;
    mh_wr_init(&w, P, 128);
    mh_wr_asciiz(&w, dn);
    mh_wr_u32(&w, 0);    /* Flags */
    mh_wr_u32(&w, 1252); /* DefaultCodePage */
    mh_wr_u32(&w, 1033); /* LcidSort */
    mh_wr_u32(&w, 1033); /* LcidString */
    mh_wr_u32(&w, 0);    /* AuxiliaryBufferSize */
    const unsigned char *resp;
    size_t rlen;
    D.ctx = D.seq = NULL;
    if (mh_xd_call(&D, P, "Connect", w.buf, w.len, &resp, &rlen) != 0 || rlen < 8 ||
        mh_get_u32(resp) != 0)
        return 0xFFFFFFFF;
    uint32_t ec = mh_get_u32(resp + 4);
    if (ec == 0 && (!D.ctx || mh_xd_disconnect(&D) != 0))
        return 0xFFFFFFFE; /* success without a usable session */
    return ec;
}

/* Connect's UserDn must be the user's legacy DN: the stored one, or for a
 * directory entry without one the DN MapiHttpLegacyDNScheme derives (the
 * one Autodiscover hands out: mh_entry_legacy_dn). */
static void test_connect_derived_dn(void)
{
    const char *derived = mh_legacy_dn_make(P, NULL, NULL, D.user);
    /* the stored DN (mapihttp-admin gives it by the same default scheme) */
    CHECK_EQ_U(connect_as(D.user_dn), 0);

    real_backend = D.be->be;
    no_dn_backend = *real_backend;
    no_dn_backend.dir_get = no_dn_get;
    no_dn_backend.dir_find = no_dn_find;
    D.be->be = &no_dn_backend;
    /* no stored DN: the derived one, in any case */
    CHECK_EQ_U(connect_as(derived), 0);
    CHECK_EQ_U(connect_as(apr_pstrdup(P, derived)), 0);
    char *upper = apr_pstrdup(P, derived);
    for (char *c = upper; *c; c++)
        *c = (char)apr_toupper(*c);
    CHECK_EQ_U(connect_as(upper), 0);
    /* another user's DN, another organization's, none */
    CHECK_EQ_U(connect_as(mh_legacy_dn_make(P, NULL, NULL, "someone")), EC_UNKNOWN_USER);
    CHECK_EQ_U(connect_as(mh_legacy_dn_make(P, NULL, "Other Org", D.user)), EC_UNKNOWN_USER);
    CHECK_EQ_U(connect_as(""), MAPI_E_NO_ACCESS);
    /* the configured scheme and organization, not the defaults */
    D.svc.legacy_dn_scheme = "/o=%o/ou=Mail/cn=Recipients/cn=%u";
    D.svc.organization = "Acme";
    CHECK_EQ_U(connect_as(apr_pstrcat(P, "/o=Acme/ou=Mail/cn=Recipients/cn=", D.user, NULL)), 0);
    CHECK_EQ_U(connect_as(derived), EC_UNKNOWN_USER);

    /* a stored DN wins over the scheme */
    D.be->be = real_backend;
    CHECK_EQ_U(connect_as(apr_pstrcat(P, "/o=Acme/ou=Mail/cn=Recipients/cn=", D.user, NULL)),
               EC_UNKNOWN_USER);
    CHECK_EQ_U(connect_as(D.user_dn), 0);
    D.svc.legacy_dn_scheme = NULL;
    D.svc.organization = NULL;
}

int main(void)
{
    MH_TEST_INIT();
    if (mh_xd_open(&D, "calls") != 0)
        return 1;
    apr_pool_create(&P, D.pool);
    RUN(test_empty_inputs);
    RUN(test_objects_across_calls);
    RUN(test_response_stream);
    RUN(test_connect_derived_dn);
    mh_xd_close(&D);
    return MH_TEST_DONE();
}
