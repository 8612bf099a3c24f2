/*
 * exec_driver.c - see exec_driver.h.
 */
#include "exec_driver.h"
#include "mh_rop.h"
#include "mh_rpcext.h"
#include "mh_session.h"
#include "mh_tool.h"
#include "mh_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <apr_strings.h>

#define CLIENT_ID "{6A2D3E3B-1B41-4BE5-9A34-2B5D1B9C7E10}:1"

int mh_xd_open(mh_xdriver *d, const char *login)
{
    memset(d, 0, sizeof(*d));
    apr_pool_create(&d->pool, NULL);
    apr_pool_create(&d->cookie_pool, d->pool);
    snprintf(d->dir, sizeof(d->dir), "/tmp/mh-xdriver-XXXXXX");
    if (!mkdtemp(d->dir)) {
        d->dir[0] = 0;
        fprintf(stderr, "exec driver: no temporary directory\n");
        return -1;
    }
    const char *why = NULL;
    const char *spec = apr_psprintf(d->pool, "lmdb path=%s/store size=1G sync=none", d->dir);
    if (mh_tool_backend(d->pool, spec, NULL, 1, -1, -1, &d->be, &why) != 0) {
        fprintf(stderr, "exec driver: backend: %s\n", why);
        return -1;
    }
    mh_id inbox;
    if (mh_tool_user_mailbox(d->be, login, d->pool, &d->mailbox, &inbox, &why) != 0) {
        fprintf(stderr, "exec driver: %s\n", why);
        return -1;
    }
    d->user = apr_pstrdup(d->pool, login);
    mh_betxn *t;
    mh_error err = {MH_OK, NULL};
    mh_dir_entry ent;
    if (mh_be_begin(d->be, NULL, MH_TXN_READ, d->pool, &t, &err) != MH_OK)
        return -1;
    mh_err e = mh_be_dir_find(t, MH_DIR_BY_LOGIN, login, &ent, &err);
    if (e == MH_OK)
        d->user_dn = apr_pstrdup(d->pool, ent.legacy_dn);
    mh_be_abort(t);
    if (e != MH_OK || !d->user_dn) {
        fprintf(stderr, "exec driver: %s is not in the directory\n", login);
        return -1;
    }
    mh_mailbox_info mi;
    if (mh_be_begin(d->be, &d->mailbox, MH_TXN_READ, d->pool, &t, &err) != MH_OK)
        return -1;
    e = mh_be_mailbox_info(t, &mi, &err);
    mh_be_abort(t);
    if (e != MH_OK)
        return -1;
    for (int i = 0; i < 13; i++)
        d->special[i] = mh_id_to_wire(mi.special[i], MH_REPLID_LOCAL);

    mh_session_store_config cfg;
    mh_session_store_config_default(&cfg);
    cfg.path = apr_psprintf(d->pool, "%s/sessions", d->dir);
    mh_session_store *store;
    const char *serr = NULL;
    if (mh_session_store_open(&cfg, 1, d->pool, &store, &serr) != APR_SUCCESS) {
        fprintf(stderr, "exec driver: session store: %s\n", serr);
        return -1;
    }
    d->svc.store = store;
    d->svc.idle_timeout = apr_time_from_sec(900);
    d->svc.pending_period = apr_time_from_sec(30);
    d->svc.wait_timeout = apr_time_from_sec(1);
    d->svc.wait_poll = apr_time_from_msec(10);
    d->svc.sessions_per_user = 16;
    d->svc.max_body = 0x100000;
    d->svc.backend = d->be;
    d->svc.chain_responses = 1;
    return 0;
}

void mh_xd_close(mh_xdriver *d)
{
    if (d->pool)
        apr_pool_destroy(d->pool);
    if (d->dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "exec driver: could not remove %s\n", d->dir);
    }
    memset(d, 0, sizeof(*d));
}

/* Keeps the session cookies a response sets. */
static void on_header(void *baton, const char *name, const char *value)
{
    mh_xdriver *d = baton;
    if (strcasecmp(name, "Set-Cookie") != 0)
        return;
    const char *semi = strchr(value, ';');
    const char *nv = semi ? apr_pstrndup(d->cookie_pool, value, (apr_size_t)(semi - value))
                          : apr_pstrdup(d->cookie_pool, value);
    const char *cn = mh_cookie_context_name(d->call_ep);
    const char *sn = mh_cookie_sequence_name(d->call_ep);
    size_t cl = strlen(cn), sl = strlen(sn);
    int nspi = d->call_ep == MH_EP_NSPI;
    if (strncmp(nv, cn, cl) == 0 && nv[cl] == '=')
        *(nspi ? &d->nspi_ctx : &d->ctx) = nv;
    else if (strncmp(nv, sn, sl) == 0 && nv[sl] == '=')
        *(nspi ? &d->nspi_seq : &d->seq) = nv;
}

/* The response stream: the bytes, and the operations in d->io_trace. */
typedef struct xd_out {
    mh_wr wr;
    mh_xdriver *d;
} xd_out;

static void trace(xd_out *o, char op)
{
    size_t n = strlen(o->d->io_trace);
    if (n + 1 < sizeof(o->d->io_trace)) {
        o->d->io_trace[n] = op;
        o->d->io_trace[n + 1] = 0;
    }
}

static apr_status_t io_write(void *baton, const void *data, apr_size_t len)
{
    xd_out *o = baton;
    trace(o, 'w');
    mh_wr_bytes(&o->wr, data, len);
    return APR_SUCCESS;
}

static apr_status_t io_flush(void *baton)
{
    trace(baton, 'f');
    return APR_SUCCESS;
}

static apr_status_t io_stream(void *baton)
{
    trace(baton, 's');
    return APR_SUCCESS;
}

static apr_status_t io_pause(void *baton, apr_interval_time_t t)
{
    (void)baton;
    (void)t;
    return APR_TIMEUP;
}

int mh_xd_call(mh_xdriver *d, apr_pool_t *pool, const char *type, const void *body,
               size_t len, const unsigned char **resp_r, size_t *len_r)
{
    mh_http_in in;
    memset(&in, 0, sizeof(in));
    /* the address book's request types go to its endpoint */
    d->call_ep = mh_reqtype_lookup(MH_EP_NSPI, type, strlen(type)) != MH_RT_UNKNOWN
                     ? MH_EP_NSPI
                     : MH_EP_EMSMDB;
    const char *ctx = d->call_ep == MH_EP_NSPI ? d->nspi_ctx : d->ctx;
    const char *seq = d->call_ep == MH_EP_NSPI ? d->nspi_seq : d->seq;
    in.method = "POST";
    in.path = d->call_ep == MH_EP_NSPI ? "/mapi/nspi/" : "/mapi/emsmdb/";
    in.user = d->user;
    in.request_type = type;
    in.request_id = CLIENT_ID;
    in.client_info = CLIENT_ID;
    in.content_type = "application/mapi-http";
    in.https = 1;
    in.self_url = "https://mail.example.com";
    in.has_length = 1;
    in.content_length = (apr_off_t)len;
    if (ctx && seq)
        in.cookies = apr_pstrcat(pool, ctx, "; ", seq, NULL);
    else if (ctx)
        in.cookies = ctx;
    d->io_trace[0] = 0;
    d->io_meta = NULL;
    mh_call *c = mh_call_create(pool, &d->svc, &in, apr_time_now());
    int code = mh_call_check_headers(c);
    if (code == MH_RC_SUCCESS)
        code = mh_call_accept(c, body, len);
    mh_call_headers(c, on_header, d);
    if (code != MH_RC_SUCCESS)
        return code;
    xd_out out;
    out.d = d;
    mh_wr_init(&out.wr, pool, 1024);
    mh_io io = {&out, io_write, io_flush, io_pause, io_stream};
    if (mh_call_run(c, &io) != APR_SUCCESS)
        return -1;
    /* PROCESSING, DONE with its headers, an empty line, the body */
    const unsigned char *p = out.wr.buf, *end = out.wr.buf + out.wr.len;
    for (const unsigned char *q = p; q + 4 <= end; q++)
        if (!memcmp(q, "\r\n\r\n", 4)) {
            d->io_meta = apr_pstrmemdup(pool, (const char *)p, (apr_size_t)(q + 2 - p));
            *resp_r = q + 4;
            *len_r = (size_t)(end - (q + 4));
            return MH_RC_SUCCESS;
        }
    return -1;
}

int mh_xd_connect(mh_xdriver *d)
{
    d->ctx = d->seq = NULL;
    apr_pool_t *p;
    apr_pool_create(&p, d->pool);
    mh_wr w;
    mh_wr_init(&w, p, 128);
    mh_wr_asciiz(&w, d->user_dn);
    mh_wr_u32(&w, 0);    /* Flags */
    mh_wr_u32(&w, 1252); /* DefaultCodePage */
    mh_wr_u32(&w, 1033); /* LcidSort */
    mh_wr_u32(&w, 1033); /* LcidString */
    mh_wr_u32(&w, 0);    /* AuxiliaryBufferSize */
    const unsigned char *resp;
    size_t rlen;
    int rc = mh_xd_call(d, p, "Connect", w.buf, w.len, &resp, &rlen);
    /* StatusCode 0, ErrorCode 0 */
    int ok = rc == MH_RC_SUCCESS && d->ctx && rlen >= 8 && mh_get_u32(resp) == 0 &&
             mh_get_u32(resp + 4) == 0;
    apr_pool_destroy(p);
    return ok ? 0 : -1;
}

int mh_xd_disconnect(mh_xdriver *d)
{
    apr_pool_t *p;
    apr_pool_create(&p, d->pool);
    static const unsigned char aux0[4] = {0, 0, 0, 0};
    const unsigned char *resp;
    size_t rlen;
    int rc = mh_xd_call(d, p, "Disconnect", aux0, sizeof(aux0), &resp, &rlen);
    apr_pool_destroy(p);
    d->ctx = d->seq = NULL;
    if (!d->nspi_ctx)
        apr_pool_clear(d->cookie_pool);
    return rc == MH_RC_SUCCESS ? 0 : -1;
}

int mh_xd_bind(mh_xdriver *d)
{
    d->nspi_ctx = d->nspi_seq = NULL;
    apr_pool_t *p;
    apr_pool_create(&p, d->pool);
    mh_wr w;
    mh_wr_init(&w, p, 64);
    mh_wr_u32(&w, 0); /* Flags */
    mh_wr_u8(&w, 0xFF); /* HasState */
    static const uint32_t stat[9] = {0, 0, 0, 0, 0, 0, 1252, 0x409, 0x409};
    for (int i = 0; i < 9; i++)
        mh_wr_u32(&w, stat[i]);
    mh_wr_u32(&w, 0); /* AuxiliaryBufferSize */
    const unsigned char *resp;
    size_t rlen;
    int rc = mh_xd_call(d, p, "Bind", w.buf, w.len, &resp, &rlen);
    /* StatusCode 0, ErrorCode 0, ServerGuid, AuxiliaryBufferSize 0 */
    int ok = rc == MH_RC_SUCCESS && d->nspi_ctx && rlen == 28 && mh_get_u32(resp) == 0 &&
             mh_get_u32(resp + 4) == 0;
    apr_pool_destroy(p);
    return ok ? 0 : -1;
}

int mh_xd_unbind(mh_xdriver *d)
{
    apr_pool_t *p;
    apr_pool_create(&p, d->pool);
    static const unsigned char body[8] = {0}; /* Reserved, AuxiliaryBufferSize */
    const unsigned char *resp;
    size_t rlen;
    int rc = mh_xd_call(d, p, "Unbind", body, sizeof(body), &resp, &rlen);
    apr_pool_destroy(p);
    d->nspi_ctx = d->nspi_seq = NULL;
    if (!d->ctx)
        apr_pool_clear(d->cookie_pool);
    return rc == MH_RC_SUCCESS ? 0 : -1;
}

static uint32_t put_entry(mh_betxn *t, apr_pool_t *pool, mh_dir_type type, const char *login,
                          const char *name, const char *smtp, int k, mh_error *err)
{
    mh_dir_entry e;
    memset(&e, 0, sizeof(e));
    e.type = type;
    e.login = login;
    e.display_name = name;
    e.smtp = smtp;
    const char *cn = apr_pstrmemdup(pool, smtp, strcspn(smtp, "@"));
    e.legacy_dn = apr_pstrcat(pool, "/o=First Organization/ou=Exchange Administrative Group "
                                    "(FYDIBOHF23SPDLT)/cn=Recipients/cn=", cn, NULL);
    if (type == MH_DIR_USER && k != MH_XD_DIR_MALLORY) {
        e.has_mailbox = 1;
        for (int i = 0; i < 16; i++)
            e.mailbox.b[i] = (uint8_t)(0x10 * k + i);
    }
    static const char *const alias[1] = {"lovelace@example.com"};
    if (k == MH_XD_DIR_ADA) {
        e.aliases = alias;
        e.n_aliases = 1;
    }
    if (k == MH_XD_DIR_BOB)
        e.server = "mail2.example.com";
    if (k == MH_XD_DIR_MALLORY)
        e.disabled = 1;
    mh_propval owner;
    if (k == MH_XD_DIR_TEAM) {
        owner.tag = MH_DIR_LINK_OWNER;
        owner.flags = 0;
        owner.v.i32 = MH_XD_DIR_USER;
        e.props.n = 1;
        e.props.v = &owner;
    }
    uint32_t id = 0;
    if (mh_be_dir_put(t, &e, NULL, &id, err) != MH_OK)
        return 0;
    return id;
}

int mh_xd_add_directory(mh_xdriver *d)
{
    static const struct {
        mh_dir_type type;
        const char *login, *name, *smtp;
    } ents[] = {
        {MH_DIR_USER, "ada", "Ada Lovelace", "ada@example.com"},
        {MH_DIR_USER, "adam", "Adam Smith", "adam@example.com"},
        {MH_DIR_USER, "bob", "Bob Marley", "bob@example.com"},
        {MH_DIR_USER, "mallory", "Mallory Disabled", "mallory@example.com"},
        {MH_DIR_CONTACT, NULL, "Carol External", "carol@external.test"},
        {MH_DIR_GROUP, NULL, "Analysts", "analysts@example.com"},
        {MH_DIR_GROUP, NULL, "Team", "team@example.com"},
    };
    mh_betxn *t;
    mh_error err = {MH_OK, NULL};
    if (mh_be_begin(d->be, NULL, MH_TXN_WRITE, d->pool, &t, &err) != MH_OK)
        goto fail;
    for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
        int k = (int)i + MH_XD_DIR_ADA;
        uint32_t id = put_entry(t, d->pool, ents[i].type, ents[i].login, ents[i].name,
                                ents[i].smtp, k, &err);
        if (id != (uint32_t)k) {
            mh_be_abort(t);
            if (id)
                err.detail = apr_psprintf(d->pool, "%s got directory ID %u", ents[i].name, id);
            goto fail;
        }
    }
    static const uint32_t analysts[] = {MH_XD_DIR_ADA, MH_XD_DIR_ADAM};
    static const uint32_t team[] = {MH_XD_DIR_ANALYSTS, MH_XD_DIR_BOB, MH_XD_DIR_USER};
    if (mh_be_dir_set_members(t, MH_XD_DIR_ANALYSTS, analysts, 2, &err) != MH_OK ||
        mh_be_dir_set_members(t, MH_XD_DIR_TEAM, team, 3, &err) != MH_OK) {
        mh_be_abort(t);
        goto fail;
    }
    if (mh_be_commit(t, &err) != MH_OK)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "exec driver: directory: %s\n", err.detail ? err.detail : "failed");
    return -1;
}

const unsigned char *mh_xd_execute_body(apr_pool_t *pool, uint32_t flags,
                                        const unsigned char *rops, size_t rops_len,
                                        const uint32_t *handles, uint32_t n, int compress,
                                        int obfuscate, uint32_t max_rop_out, size_t *len_r)
{
    mh_wr in;
    mh_wr_init(&in, pool, rops_len + 4 * n + 2);
    mh_wr_u16(&in, (uint16_t)(rops_len + 2));
    mh_wr_bytes(&in, rops, rops_len);
    for (uint32_t i = 0; i < n; i++)
        mh_wr_u32(&in, handles[i]);
    mh_wr ext;
    mh_wr_init(&ext, pool, in.len + 16);
    mh_rpcext_append(&ext, in.buf, in.len, compress, obfuscate, 1);
    mh_wr w;
    mh_wr_init(&w, pool, ext.len + 32);
    mh_wr_u32(&w, flags);
    mh_wr_u32(&w, (uint32_t)ext.len);
    mh_wr_bytes(&w, ext.buf, ext.len);
    mh_wr_u32(&w, max_rop_out);
    mh_wr_u32(&w, 0); /* AuxiliaryBufferSize */
    *len_r = w.len;
    return w.buf;
}

int mh_xd_parse_execute(const unsigned char *body, size_t len, mh_xd_result *r)
{
    memset(r, 0, sizeof(*r));
    mh_rd rd;
    mh_rd_init(&rd, body, len);
    r->status_code = mh_rd_u32(&rd);
    if (rd.err)
        return -1;
    if (r->status_code != 0) {
        uint32_t aux = mh_rd_u32(&rd);
        (void)mh_rd_bytes(&rd, aux);
        mh_rd_expect_end(&rd);
        return rd.err ? -1 : 0;
    }
    r->error_code = mh_rd_u32(&rd);
    (void)mh_rd_u32(&rd); /* Flags */
    r->rop_buffer_len = mh_rd_u32(&rd);
    r->rop_buffer = mh_rd_bytes(&rd, r->rop_buffer_len);
    uint32_t aux = mh_rd_u32(&rd);
    (void)mh_rd_bytes(&rd, aux);
    mh_rd_expect_end(&rd);
    return rd.err ? -1 : 0;
}
