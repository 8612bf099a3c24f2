/*
 * mh_call.c - one MAPI/HTTP request (MS-OXCMAPIHTTP 2.2.2, 3.2.5).
 */
#include "mh_call.h"
#include "mh_aux.h"
#include "mh_bodies.h"
#include "mh_legacydn.h"
#include "mh_log.h"
#include "mh_nspi.h"
#include "mh_nspi_wire.h"
#include "mh_rop.h"
#include "mh_rpcext.h"
#include "mh_wire.h"

#include <string.h>
#include <strings.h>
#include <apr_date.h>
#include <apr_lib.h>
#include <apr_strings.h>

/* Connect response values (MS-OXCRPC EcDoConnectEx out parameters). */
#define CONNECT_POLLS_MAX 60000u
#define CONNECT_RETRY_COUNT 6u
#define CONNECT_RETRY_DELAY 10000u

/* ------------------------------------------------------- endpoint state */

/* What an address book context remembers of its Bind. */
typedef struct nspi_state {
    uint32_t flags;
    int has_state;
    mh_stat stat;
} nspi_state;

#define STATE_VERSION 1

static apr_status_t emsmdb_encode(const void *state, apr_pool_t *pool,
                                  const void **buf_r, size_t *len_r)
{
    return mh_emsmdb_encode(state, pool, buf_r, len_r);
}

static apr_status_t emsmdb_decode(const void *buf, size_t len, apr_pool_t *pool,
                                  void **state_r)
{
    mh_emsmdb *s;
    apr_status_t rv = mh_emsmdb_decode(buf, len, pool, &s);
    if (rv == APR_SUCCESS)
        *state_r = s;
    return rv;
}

static apr_status_t nspi_encode(const void *state, apr_pool_t *pool,
                                const void **buf_r, size_t *len_r)
{
    const nspi_state *s = state;
    mh_wr wr;
    mh_wr_init(&wr, pool, 48);
    mh_wr_u8(&wr, STATE_VERSION);
    mh_wr_u32(&wr, s->flags);
    mh_wr_u8(&wr, s->has_state ? 1 : 0);
    mh_wr_stat(&wr, &s->stat);
    *buf_r = wr.buf;
    *len_r = wr.len;
    return APR_SUCCESS;
}

static apr_status_t nspi_decode(const void *buf, size_t len, apr_pool_t *pool,
                                void **state_r)
{
    nspi_state *s = apr_pcalloc(pool, sizeof(*s));
    mh_rd rd;
    mh_rd_init(&rd, buf, len);
    if (mh_rd_u8(&rd) != STATE_VERSION)
        return APR_EINVAL;
    s->flags = mh_rd_u32(&rd);
    s->has_state = mh_rd_u8(&rd) != 0;
    mh_rd_stat(&rd, &s->stat);
    mh_rd_expect_end(&rd);
    if (rd.err)
        return APR_EINVAL;
    *state_r = s;
    return APR_SUCCESS;
}

static const mh_state_codec emsmdb_codec = {emsmdb_decode, emsmdb_encode};
static const mh_state_codec nspi_codec = {nspi_decode, nspi_encode};

static const mh_state_codec *codec_for(mh_endpoint ep)
{
    return ep == MH_EP_NSPI ? &nspi_codec : &emsmdb_codec;
}

/* ------------------------------------------------------------ the call */

/* How a request type uses its Session Context. */
typedef enum ctx_use {
    CTX_CREATE,    /* Connect, Bind */
    CTX_TOUCH,     /* PING */
    CTX_SEQUENCED, /* Execute and the NSPI calls: busy mark + sequence */
    CTX_WAIT,      /* NotificationWait */
    CTX_DESTROY    /* Disconnect, Unbind */
} ctx_use;

struct mh_call {
    apr_pool_t *pool;
    const mh_service *svc;
    mh_http_in in;
    apr_time_t start;
    mh_endpoint ep;
    mh_reqtype type;
    ctx_use use;
    int code;
    const char *diag;

    /* cookies received */
    const char *ctx_cookie, *seq_cookie; /* as received */
    int have_ctx, have_seq;
    unsigned char ctx_id[MH_SESSION_ID_LEN], seq[MH_SESSION_ID_LEN];

    /* cookies to send */
    const char *out_ctx, *out_seq; /* values, NULL = not sent */

    /* claimed context */
    mh_session *sess;
    int waiting;
    mh_session_owner wait_owner;
    int wait_rejected;
    int events_pending;

    /* request bodies */
    mh_execute_req execute;
    mh_nspi_req nspi;

    /* response */
    uint32_t status_code; /* non-zero: failure body */
    uint32_t error_code;
    mh_wr body;

    /* stage 3 */
    const mh_io *io;
    apr_time_t last_write;
};

static int fail(mh_call *c, int code, const char *diag)
{
    c->code = code;
    c->diag = diag;
    return code;
}

void mh_call_fail(mh_call *c, int code, const char *diagnostic)
{
    fail(c, code, diagnostic);
}

static apr_status_t release_cleanup(void *data);

mh_call *mh_call_create(apr_pool_t *pool, const mh_service *svc,
                        const mh_http_in *in, apr_time_t start)
{
    mh_call *c = apr_pcalloc(pool, sizeof(*c));
    c->pool = pool;
    c->svc = svc;
    c->in = *in;
    c->start = start;
    mh_wr_init(&c->body, pool, 256);
    apr_pool_cleanup_register(pool, c, release_cleanup, apr_pool_cleanup_null);
    return c;
}

static ctx_use ctx_use_of(mh_reqtype t)
{
    switch (t) {
    case MH_RT_CONNECT:
    case MH_RT_BIND:
        return CTX_CREATE;
    case MH_RT_PING:
        return CTX_TOUCH;
    case MH_RT_NOTIFICATIONWAIT:
        return CTX_WAIT;
    case MH_RT_DISCONNECT:
    case MH_RT_UNBIND:
        return CTX_DESTROY;
    default:
        return CTX_SEQUENCED;
    }
}

int mh_call_check_headers(mh_call *c)
{
    const mh_http_in *in = &c->in;
    c->ep = mh_endpoint_from_path(in->path);
    if (c->ep == MH_EP_NONE)
        return fail(c, MH_RC_INVALID_PATH, "no MAPI/HTTP endpoint at this path");
    if (!in->method || strcmp(in->method, "POST") != 0)
        return fail(c, MH_RC_INVALID_VERB, "MAPI/HTTP requests use POST");
    if (!in->user || !*in->user)
        return fail(c, MH_RC_ANONYMOUS_NOT_ALLOWED,
                    "the request is not authenticated (is authentication "
                    "configured for this location?)");
    if (strlen(in->user) > MH_SESSION_USER_MAX)
        return fail(c, MH_RC_NO_PRIVILEGE, "user name too long");
    if (!in->request_type)
        return fail(c, MH_RC_MISSING_HEADER, "X-RequestType is missing");
    if (!in->request_id)
        return fail(c, MH_RC_MISSING_HEADER, "X-RequestId is missing");
    if (!in->client_info)
        return fail(c, MH_RC_MISSING_HEADER, "X-ClientInfo is missing");
    if (!in->content_type)
        return fail(c, MH_RC_MISSING_HEADER, "Content-Type is missing");
    if (!in->has_length)
        return fail(c, MH_RC_MISSING_HEADER, "Content-Length is missing");
    if (!mh_valid_request_id(in->request_id))
        return fail(c, MH_RC_INVALID_HEADER,
                    "X-RequestId is not of the form {GUID}:counter");
    if (!mh_valid_client_info(in->client_info))
        return fail(c, MH_RC_INVALID_HEADER,
                    "X-ClientInfo is not of the form {GUID}:counter");
    if (!mh_valid_content_type(in->content_type))
        return fail(c, MH_RC_INVALID_HEADER,
                    "Content-Type is not application/mapi-http");
    if (in->client_app && strlen(in->client_app) > MH_CLIENT_APP_MAX)
        return fail(c, MH_RC_INVALID_HEADER, "X-ClientApplication is too long");
    c->type = mh_reqtype_lookup(c->ep, in->request_type, strlen(in->request_type));
    if (c->type == MH_RT_UNKNOWN)
        return fail(c, MH_RC_INVALID_REQUEST_TYPE,
                    "X-RequestType is not a request type of this endpoint");
    c->use = ctx_use_of(c->type);
    if (in->content_length > c->svc->max_body)
        return fail(c, MH_RC_TOO_LARGE, "the request body exceeds MapiHttpMaxRequestBody");

    /* Cookies.  Connect and Bind take them as a reconnect hint only.  Of
     * two cookies of one name, the first counts: clients send the one with
     * the longer (more specific) Path first (RFC 6265 5.4). */
    c->ctx_cookie = mh_cookie_get(in->cookies, mh_cookie_context_name(c->ep), c->pool, NULL);
    c->seq_cookie = mh_cookie_get(in->cookies, mh_cookie_sequence_name(c->ep), c->pool, NULL);
    if (c->ctx_cookie)
        c->have_ctx = mh_hex_decode(c->ctx_cookie, strlen(c->ctx_cookie), c->ctx_id,
                                    MH_SESSION_ID_LEN) == 0;
    if (c->seq_cookie)
        c->have_seq = mh_hex_decode(c->seq_cookie, strlen(c->seq_cookie), c->seq,
                                    MH_SESSION_ID_LEN) == 0;
    if (c->use == CTX_CREATE)
        return MH_RC_SUCCESS;
    if (!c->ctx_cookie)
        return fail(c, MH_RC_MISSING_COOKIE, "the session context cookie is missing");
    if (!c->have_ctx)
        return fail(c, MH_RC_INVALID_CONTEXT_COOKIE,
                    "the session context cookie is not one this server issued");
    if (c->use == CTX_SEQUENCED) {
        if (!c->seq_cookie)
            return fail(c, MH_RC_MISSING_COOKIE, "the sequence cookie is missing");
        if (!c->have_seq)
            return fail(c, MH_RC_INVALID_SEQUENCE, "the sequence cookie is malformed");
    }
    return MH_RC_SUCCESS;
}

static int from_store(mh_call *c, mh_ss_status st)
{
    switch (st) {
    case MH_SS_OK:
        return MH_RC_SUCCESS;
    case MH_SS_NOT_FOUND:
        return fail(c, MH_RC_CONTEXT_NOT_FOUND, "no such session context (destroyed or expired)");
    case MH_SS_EXPIRED:
        return fail(c, MH_RC_CONTEXT_NOT_FOUND, "the session context expired");
    case MH_SS_WRONG_USER:
        return fail(c, MH_RC_CONTEXT_NOT_FOUND,
                    "the session context belongs to another user");
    case MH_SS_WRONG_ENDPOINT:
        return fail(c, MH_RC_CONTEXT_NOT_FOUND,
                    "the session context belongs to the other endpoint");
    case MH_SS_BUSY:
        return fail(c, MH_RC_INVALID_SEQUENCE,
                    "another request is running on this session context");
    case MH_SS_BAD_SEQUENCE:
        return fail(c, MH_RC_INVALID_SEQUENCE, "the sequence cookie is stale");
    case MH_SS_GONE:
        return fail(c, MH_RC_CONTEXT_NOT_FOUND, "the session context is gone");
    case MH_SS_REJECTED:
    case MH_SS_ERROR:
        break;
    }
    return fail(c, MH_RC_UNKNOWN_FAILURE, "the session store failed (see the error log)");
}

static const char *hex16(apr_pool_t *pool, const unsigned char *id)
{
    char *s = apr_palloc(pool, 2 * MH_SESSION_ID_LEN + 1);
    mh_hex_encode(id, MH_SESSION_ID_LEN, s);
    return s;
}

/* Body parse outcome -> X-ResponseCode (or a failure body). */
static int body_status(mh_call *c, mh_body_status st, const char *why)
{
    if (st == MH_BODY_MALFORMED)
        return fail(c, MH_RC_INVALID_REQUEST_BODY, why);
    if (st == MH_BODY_LIMIT) {
        c->status_code = MH_RPC_X_BAD_STUB_DATA;
        c->diag = why;
    }
    return MH_RC_SUCCESS;
}

#define EC_ACCESS_DENIED MAPI_E_NO_ACCESS

/*
 * The authenticated user in the backend's directory: their display name,
 * or the ErrorCode a Connect answers with (a success-shaped body).
 */
static uint32_t connect_user(mh_call *c, const char *user_dn, const char **display_r,
                             uint32_t *dir_id_r)
{
    mh_betxn *t = NULL;
    mh_error err = {MH_OK, NULL};
    mh_dir_entry ent;
    mh_err e = mh_be_begin(c->svc->backend, NULL, MH_TXN_READ, c->pool, &t, &err);
    if (e == MH_OK) {
        e = mh_be_dir_find(t, MH_DIR_BY_LOGIN, c->in.user, &ent, &err);
        mh_be_abort(t);
    }
    if (e == MH_OK) {
        if (ent.type != MH_DIR_USER || !ent.has_mailbox) {
            c->diag = "the user has no mailbox";
            return EC_UNKNOWN_USER;
        }
        if (ent.disabled) {
            c->diag = "the user is disabled in the directory";
            return EC_ACCESS_DENIED;
        }
        /* the UserDn must be the authenticated user's own legacy DN
         * (MS-OXCRPC 3.1.4.1: anything else is refused); DNs compare
         * case-insensitively */
        if (!*user_dn) {
            c->diag = "the Connect UserDn is empty";
            return EC_ACCESS_DENIED;
        }
        /* the stored DN, or for a directory that keeps none the one
         * Autodiscover handed out (MapiHttpLegacyDNScheme) */
        const char *dn = mh_entry_legacy_dn(c->pool, c->svc->legacy_dn_scheme,
                                            c->svc->organization, &ent);
        if (strcasecmp(dn, user_dn) != 0) {
            c->diag = apr_psprintf(c->pool, "the Connect UserDn is not the legacy DN of %s (%s)",
                                   c->in.user, dn);
            return EC_UNKNOWN_USER;
        }
        *display_r = ent.display_name;
        *dir_id_r = ent.id;
        return 0;
    }
    if (e == MH_E_NOT_FOUND) {
        c->diag = "the user is not in the directory";
        return EC_UNKNOWN_USER;
    }
    c->diag = apr_psprintf(c->pool, "directory lookup failed: %s", mh_err_name(e));
    return mh_err_to_mapi(e);
}

/* The client's auxiliary blocks, for the debug log only: nothing in them
 * is trusted (MS-OXCRPC 3.1.4.1.1.1.1). */
static void log_aux(mh_call *c, const mh_aux_in *aux)
{
    if (!aux->len)
        return;
    mh_aux_info info;
    const char *why = NULL;
    if (mh_aux_parse(aux->data, aux->len, c->pool, &info, &why) != 0)
        mh_log(MH_LOG_DEBUG, MHLOGNO(00505) "%s: auxiliary buffer ignored: %s",
               mh_reqtype_name(c->type), why);
    else
        mh_log(MH_LOG_DEBUG, MHLOGNO(00506) "%s: client: %s", mh_reqtype_name(c->type),
               mh_aux_summary(&info, c->pool));
}

/* What the address book handlers know of this request. */
static void nspi_ctx(mh_call *c, mh_nspi_ctx *cx)
{
    memset(cx, 0, sizeof(*cx));
    cx->pool = c->pool;
    cx->be = c->svc->backend;
    cx->user = c->in.user;
    memcpy(cx->server_guid.b, mh_session_store_guid(c->svc->store), 16);
    cx->organization = c->svc->organization;
    cx->legacy_dn_scheme = c->svc->legacy_dn_scheme;
    cx->base_url = c->svc->external_url ? c->svc->external_url : c->in.self_url;
}

static int accept_create(mh_call *c, const void *body, apr_size_t len)
{
    const char *why = NULL;
    void *state;
    const void *blob;
    size_t blob_len;
    mh_body_status bst;
    if (c->type == MH_RT_CONNECT) {
        mh_connect_req req;
        bst = mh_parse_connect(body, len, c->pool, &req, &why);
        if (bst == MH_BODY_OK) {
            log_aux(c, &req.aux);
            mh_emsmdb *s = mh_emsmdb_new(c->pool);
            s->flags = req.flags;
            s->code_page = req.default_code_page;
            s->lcid_sort = req.lcid_sort;
            s->lcid_string = req.lcid_string;
            s->user_dn = req.user_dn;
            s->client_app = c->in.client_app;
            if (c->in.client_app)
                mh_client_version_parse(c->in.client_app, s->client_version);
            state = s;
        }
    } else {
        mh_nspi_bind_req *req = &c->nspi.bind;
        bst = mh_nspi_parse_bind_req(body, len, c->pool, req, &why);
        if (bst == MH_BODY_OK) {
            nspi_state *s = apr_pcalloc(c->pool, sizeof(*s));
            s->flags = req->flags;
            s->has_state = req->has_state;
            s->stat = req->state;
            state = s;
        }
    }
    if (bst != MH_BODY_OK)
        return body_status(c, bst, why);

    /* Reconnect (3.2.5.6): the old context goes first; a sequence cookie
     * is ignored.  A cookie of another user is left alone. */
    if (c->have_ctx) {
        mh_ss_status st = mh_session_destroy(c->svc->store, c->ctx_id, c->ep, c->in.user);
        mh_log(MH_LOG_DEBUG, MHLOGNO(00201) "%s reconnect: old context %s: %s",
               mh_reqtype_name(c->type), hex16(c->pool, c->ctx_id), mh_ss_status_name(st));
    }
    if (c->type == MH_RT_CONNECT) {
        const char *display = c->in.user;
        mh_emsmdb *es = state;
        uint32_t ec = c->svc->backend ? connect_user(c, es->user_dn, &display, &es->dir_user) : 0;
        if (ec) {
            /* no context is made: the body carries the error (3.2.5.1) */
            mh_connect_resp resp = {0};
            resp.error_code = ec;
            resp.dn_prefix = "";
            resp.display_name = "";
            mh_build_connect(&c->body, &resp);
            return MH_RC_SUCCESS;
        }
        es->display_name = display;
    } else {
        /* Bind's checks (MS-OXNSPI 3.1.4.1.1): a refused Bind makes no
         * context either */
        mh_nspi_ctx cx;
        nspi_ctx(c, &cx);
        const char *refusal = NULL;
        uint32_t ec = mh_nspi_bind(&cx, &c->nspi.bind, &refusal);
        if (ec) {
            c->error_code = ec;
            c->diag = refusal;
            mh_log(MH_LOG_DEBUG, MHLOGNO(01800) "Bind refused for %s: 0x%08X %s", c->in.user,
                   ec, refusal ? refusal : "");
            mh_nspi_bind_resp resp;
            memset(&resp, 0, sizeof resp);
            resp.error_code = ec;
            mh_nspi_build_bind_resp(&c->body, &resp);
            return MH_RC_SUCCESS;
        }
    }
    codec_for(c->ep)->encode(state, c->pool, &blob, &blob_len);
    unsigned char id[MH_SESSION_ID_LEN], seq[MH_SESSION_ID_LEN];
    unsigned evicted = 0;
    mh_ss_status st = mh_session_create(c->svc->store, c->ep, c->in.user, blob, blob_len,
                                        c->start, c->svc->idle_timeout,
                                        c->svc->sessions_per_user, id, seq, &evicted);
    if (st != MH_SS_OK)
        return from_store(c, st);
    c->out_ctx = hex16(c->pool, id);
    c->out_seq = hex16(c->pool, seq);
    if (c->type == MH_RT_CONNECT) {
        mh_connect_resp resp = {0};
        resp.error_code = 0;
        resp.polls_max = CONNECT_POLLS_MAX;
        resp.retry_count = CONNECT_RETRY_COUNT;
        resp.retry_delay = CONNECT_RETRY_DELAY;
        resp.dn_prefix = "";
        resp.display_name = ((mh_emsmdb *)state)->display_name;
        /* what a client expects with it (MS-OXCRPC 3.1.4.1.2.1): no public
         * folders, compression on, and the session for its logs */
        mh_aux_connect_opts ao;
        mh_aux_connect_defaults(&ao);
        ao.server_session_info = c->out_ctx;
        mh_wr aux;
        mh_wr_init(&aux, c->pool, 128);
        mh_aux_build_connect(&aux, &ao, 0, 0);
        resp.aux = aux.buf;
        resp.aux_len = (uint32_t)aux.len;
        mh_build_connect(&c->body, &resp);
    } else {
        mh_nspi_bind_resp resp;
        memset(&resp, 0, sizeof resp);
        resp.error_code = MH_NSPI_SUCCESS;
        memcpy(resp.server_guid.b, mh_session_store_guid(c->svc->store), 16);
        mh_nspi_build_bind_resp(&c->body, &resp);
    }
    return MH_RC_SUCCESS;
}

int mh_call_accept(mh_call *c, const void *body, apr_size_t len)
{
    const char *why = NULL;
    mh_body_status bst;
    mh_ss_status st;
    mh_aux_in aux;

    if (c->code != MH_RC_SUCCESS)
        return c->code;
    if (!c->svc->store)
        return fail(c, MH_RC_UNKNOWN_FAILURE, "the session store is not open");

    switch (c->use) {
    case CTX_CREATE:
        return accept_create(c, body, len);

    case CTX_TOUCH:
        if (len != 0)
            return fail(c, MH_RC_INVALID_REQUEST_BODY, "PING has no request body");
        st = mh_session_touch(c->svc->store, c->ctx_id, c->ep, c->in.user, c->start,
                              c->svc->idle_timeout);
        if (st != MH_SS_OK)
            return from_store(c, st);
        c->out_ctx = c->ctx_cookie;
        return MH_RC_SUCCESS;

    case CTX_DESTROY:
        if (c->type == MH_RT_DISCONNECT) {
            bst = mh_parse_disconnect(body, len, &aux, &why);
        } else {
            mh_nspi_unbind_req ureq;
            bst = mh_nspi_parse_unbind_req(body, len, c->pool, &ureq, &why);
        }
        if (bst == MH_BODY_MALFORMED)
            return body_status(c, bst, why);
        /* an oversized auxiliary buffer does not stop a disconnect */
        st = mh_session_destroy(c->svc->store, c->ctx_id, c->ep, c->in.user);
        if (st != MH_SS_OK)
            return from_store(c, st);
        /* clients that keep only the latest cookies must still hold the
         * dead ones, or their next use reads "missing cookie", not 10 */
        c->out_ctx = c->ctx_cookie;
        c->out_seq = c->have_seq ? c->seq_cookie : NULL;
        if (c->type == MH_RT_DISCONNECT) {
            mh_build_status_error(&c->body, 0);
        } else {
            mh_nspi_unbind_resp uresp;
            memset(&uresp, 0, sizeof uresp);
            uresp.error_code = MH_NSPI_UNBIND_SUCCESS;
            mh_nspi_build_unbind_resp(&c->body, &uresp);
        }
        return MH_RC_SUCCESS;

    case CTX_WAIT: {
        uint32_t flags;
        bst = mh_parse_notification_wait(body, len, &flags, &aux, &why);
        if (bst != MH_BODY_OK)
            return body_status(c, bst, why);
        mh_session_owner_new(c->svc->store, &c->wait_owner);
        st = mh_session_wait_begin(c->svc->store, c->ctx_id, c->ep, c->in.user,
                                   &c->wait_owner, c->start, &c->events_pending);
        if (st == MH_SS_REJECTED) {
            c->wait_rejected = 1; /* answered at once with ErrorCode Rejected */
        } else if (st != MH_SS_OK) {
            return from_store(c, st);
        } else {
            c->waiting = 1;
        }
        c->out_ctx = c->ctx_cookie;
        return MH_RC_SUCCESS;
    }

    case CTX_SEQUENCED:
        if (c->type == MH_RT_EXECUTE)
            bst = mh_parse_execute(body, len, c->pool, &c->execute, &why);
        else
            bst = mh_nspi_parse_req(c->type, body, len, c->pool, &c->nspi, &why);
        if (bst == MH_BODY_MALFORMED)
            return body_status(c, bst, why);
        if (bst == MH_BODY_LIMIT)
            body_status(c, bst, why); /* failure body, session untouched */
        st = mh_session_begin(c->svc->store, c->ctx_id, c->ep, c->in.user, c->seq,
                              c->type == MH_RT_EXECUTE, codec_for(c->ep), c->start,
                              c->pool, &c->sess);
        if (st != MH_SS_OK)
            return from_store(c, st);
        c->out_ctx = c->ctx_cookie;
        c->out_seq = hex16(c->pool, c->sess->sequence);
        return MH_RC_SUCCESS;
    }
    return fail(c, MH_RC_UNKNOWN_FAILURE, "unhandled request type");
}

/* -------------------------------------------------------- response head */

int mh_call_response_code(const mh_call *c)
{
    return c->code;
}

const char *mh_call_diagnostic(const mh_call *c)
{
    return c->diag;
}

const char *mh_call_type_name(const mh_call *c)
{
    return c->type != MH_RT_UNKNOWN ? mh_reqtype_name(c->type) : c->in.request_type;
}

mh_endpoint mh_call_endpoint(const mh_call *c)
{
    return c->ep;
}

uint32_t mh_call_status_code(const mh_call *c)
{
    return c->status_code;
}

uint32_t mh_call_error_code(const mh_call *c)
{
    return c->error_code;
}

const char *mh_call_content_type(const mh_call *c)
{
    return c->code == MH_RC_SUCCESS ? "application/mapi-http" : "text/html";
}

void mh_call_headers(mh_call *c, mh_header_fn *add, void *baton)
{
    if (c->in.request_type)
        add(baton, "X-RequestType", c->in.request_type);
    add(baton, "X-ResponseCode", apr_itoa(c->pool, c->code));
    if (c->in.request_id)
        add(baton, "X-RequestId", c->in.request_id);
    if (c->in.client_info)
        add(baton, "X-ClientInfo", c->in.client_info);
    add(baton, "X-ServerApplication", MH_SERVER_APPLICATION);
    add(baton, "Cache-Control", "private");
    if (c->code != MH_RC_SUCCESS)
        return;
    add(baton, "X-ExpirationInfo",
        apr_psprintf(c->pool, "%" APR_TIME_T_FMT, apr_time_as_msec(c->svc->idle_timeout)));
    add(baton, "X-PendingPeriod",
        apr_psprintf(c->pool, "%" APR_TIME_T_FMT, apr_time_as_msec(c->svc->pending_period)));
    const char *path = mh_cookie_path(c->ep);
    if (c->out_ctx)
        add(baton, "Set-Cookie",
            mh_set_cookie(c->pool, mh_cookie_context_name(c->ep), c->out_ctx, path,
                          c->in.https));
    if (c->out_seq)
        add(baton, "Set-Cookie",
            mh_set_cookie(c->pool, mh_cookie_sequence_name(c->ep), c->out_seq, path,
                          c->in.https));
}

static const char *html_escape(apr_pool_t *pool, const char *s)
{
    mh_wr w;
    mh_wr_init(&w, pool, strlen(s) + 16);
    for (; *s; s++) {
        switch (*s) {
        case '<': mh_wr_bytes(&w, "&lt;", 4); break;
        case '>': mh_wr_bytes(&w, "&gt;", 4); break;
        case '&': mh_wr_bytes(&w, "&amp;", 5); break;
        case '"': mh_wr_bytes(&w, "&quot;", 6); break;
        default:
            mh_wr_u8(&w, apr_isprint(*s) ? (uint8_t)*s : '?');
        }
    }
    mh_wr_u8(&w, 0);
    return (const char *)w.buf;
}

const char *mh_call_failure_page(mh_call *c, apr_size_t *len_r)
{
    const char *name = mh_response_code_name(c->code);
    const char *page = apr_psprintf(
        c->pool,
        "<html><head><title>MAPI/HTTP request failed</title></head><body>"
        "<h1>X-ResponseCode %d: %s</h1><p>%s</p></body></html>\n",
        c->code, name ? name : "undefined",
        html_escape(c->pool, c->diag ? c->diag : ""));
    *len_r = strlen(page);
    return page;
}

/* ------------------------------------------------------------- stage 3 */

static apr_status_t write_str(mh_call *c, const char *s)
{
    c->last_write = apr_time_now();
    return c->io->write(c->io->baton, s, strlen(s));
}

apr_status_t mh_call_tick(mh_call *c)
{
    apr_status_t rv;
    if (!c->io || apr_time_now() - c->last_write < c->svc->pending_period)
        return APR_SUCCESS;
    if ((rv = write_str(c, MH_META_PENDING)) != APR_SUCCESS)
        return rv;
    return c->io->flush(c->io->baton);
}

/* Releases the claimed context: saves and un-busies a sequenced one,
 * frees the wait slot.  Idempotent. */
static void release(mh_call *c, apr_time_t now)
{
    if (c->sess) {
        mh_ss_status st = mh_session_end(c->sess, codec_for(c->ep), now, c->svc->idle_timeout);
        if (st == MH_SS_GONE)
            mh_log(MH_LOG_DEBUG, MHLOGNO(00202) "session context was destroyed "
                   "while a request ran on it");
        c->sess = NULL;
    }
    if (c->waiting) {
        mh_session_wait_end(c->svc->store, c->ctx_id, &c->wait_owner, now,
                            c->svc->idle_timeout);
        c->waiting = 0;
    }
}

static apr_status_t release_cleanup(void *data)
{
    release(data, apr_time_now());
    return APR_SUCCESS;
}

/* Keep-alives between ROPs (the engine calls it). */
static void execute_tick(void *baton)
{
    mh_call_tick(baton);
}

/*
 * Execute (2.2.4.2): the ROP engine runs the request's ROP buffers against
 * the session's objects.  An empty ROP input (RopSize 2, or no ROP buffer
 * at all: the Execute that collects notifications after NotificationWait)
 * gets an empty ROP response.
 */
static void run_execute(mh_call *c)
{
    mh_execute_req *req = &c->execute;
    mh_wr rops;
    if (req->empty || req->rop_buffer_size == 0) {
        /* the answer is an extended buffer with RopSize 2: a MaxRopOut
         * too small for it gets ecBufferTooSmall, as from the engine */
        if (!req->empty && req->max_rop_out < MH_RPCEXT_HEADER_LEN + 2) {
            c->error_code = EC_BUFFER_TOO_SMALL;
            mh_build_execute(&c->body, EC_BUFFER_TOO_SMALL, NULL, 0, NULL, 0);
            return;
        }
        mh_wr payload;
        mh_wr_init(&payload, c->pool, 8);
        mh_wr_u16(&payload, 2); /* RopSize: no ROP responses, no handles */
        mh_wr_init(&rops, c->pool, 16);
        mh_rpcext_append(&rops, payload.buf, payload.len, 0, 0, 1);
        mh_build_execute(&c->body, 0, rops.buf, (uint32_t)rops.len, NULL, 0);
        return;
    }
    log_aux(c, &req->aux);
    mh_ropctx cx;
    memset(&cx, 0, sizeof(cx));
    cx.pool = c->pool;
    cx.ses = c->sess->state;
    cx.be = c->svc->backend;
    cx.user = c->in.user;
    cx.cp = cx.ses->code_page;
    cx.tick = execute_tick;
    cx.tick_baton = c;
    mh_exec_opts opts;
    opts.flags = req->flags;
    opts.max_rop_out = req->max_rop_out;
    opts.chain_allowed = c->svc->chain_responses;
    uint32_t ec = mh_rop_execute(&cx, req->rop_buffer, req->rop_buffer_size, &opts, &rops);
    /* objects live in the session state: save it when the batch changed
     * anything (handles, positions, instances) */
    c->sess->state_dirty = 1;
    c->error_code = ec;
    if (ec != 0) {
        mh_build_execute(&c->body, ec, NULL, 0, NULL, 0);
        return;
    }
    mh_build_execute(&c->body, 0, rops.buf, (uint32_t)rops.len, NULL, 0);
}

/*
 * NotificationWait (2.2.4.4, MS-OXCRPC 3.3.4.1): holds the request until an
 * event is pending or the wait limit passes, writing PENDING meanwhile.  A
 * context destroyed meanwhile completes the wait with EventPending set (the
 * client's Execute then learns the context is gone).
 */
static apr_status_t run_wait(mh_call *c)
{
    const mh_service *svc = c->svc;
    apr_time_t deadline = c->start + svc->wait_timeout;
    int pending = c->events_pending;
    apr_status_t rv = APR_SUCCESS;

    while (!pending) {
        apr_time_t now = apr_time_now();
        if (now >= deadline)
            break;
        apr_time_t next_pending = c->last_write + svc->pending_period;
        apr_time_t until = now + svc->wait_poll;
        if (until > deadline)
            until = deadline;
        if (until > next_pending)
            until = next_pending;
        if (until > now) {
            rv = c->io->pause(c->io->baton, until - now);
            if (rv == APR_EOF)
                return rv; /* the client went away: nobody to answer */
            if (rv == APR_EINTR) {
                rv = APR_SUCCESS; /* the process stops: answer "no events" */
                break;
            }
            rv = APR_SUCCESS;
        }
        if ((rv = mh_call_tick(c)) != APR_SUCCESS)
            return rv;
        mh_ss_status st = mh_session_wait_poll(svc->store, c->ctx_id, &c->wait_owner, &pending);
        if (st == MH_SS_GONE) {
            pending = 1;
            c->waiting = 0;
        } else if (st != MH_SS_OK) {
            break;
        }
    }
    mh_build_notification_wait(&c->body, 0, pending ? 1 : 0);
    return APR_SUCCESS;
}

/*
 * The address book calls (MS-OXCMAPIHTTP 2.2.5, MS-OXNSPI 3.1.4.1): the
 * handlers of mh_nspi.c against the backend's directory.
 */
static void run_nspi(mh_call *c)
{
    mh_nspi_ctx cx;
    nspi_ctx(c, &cx);
    mh_nspi_resp resp;
    mh_nspi_handle(&cx, c->type, &c->nspi, &resp);
    /* every response struct begins with status_code, error_code */
    c->error_code = resp.unbind.error_code;
    mh_nspi_build_resp(c->type, &c->body, &resp);
}

apr_status_t mh_call_run(mh_call *c, const mh_io *io)
{
    apr_status_t rv;
    c->io = io;
    if ((rv = write_str(c, MH_META_PROCESSING)) != APR_SUCCESS)
        return rv;
    /*
     * PROCESSING is the first meta-tag of the stream (MS-OXCMAPIHTTP
     * 2.2.7); nothing asks for it to travel alone.  It waits for whatever
     * comes first: the first PENDING keep-alive, due X-PendingPeriod after
     * it (mh_call_tick flushes both), or DONE and the body, which then go
     * out with it in one write: one wakeup of the client instead of two,
     * the same bytes.  A NotificationWait is a long poll: PROCESSING at
     * once.  PING answers at once: in one piece with a length.
     */
    if (c->type == MH_RT_NOTIFICATIONWAIT)
        rv = io->flush(io->baton);
    else if (c->type != MH_RT_PING && io->stream)
        rv = io->stream(io->baton);
    if (rv != APR_SUCCESS)
        return rv;

    if (c->status_code == 0) {
        switch (c->type) {
        case MH_RT_EXECUTE:
            run_execute(c);
            break;
        case MH_RT_COMPAREMIDS: case MH_RT_DNTOMID: case MH_RT_GETMATCHES:
        case MH_RT_GETPROPLIST: case MH_RT_GETPROPS: case MH_RT_GETSPECIALTABLE:
        case MH_RT_GETTEMPLATEINFO: case MH_RT_MODLINKATT: case MH_RT_MODPROPS:
        case MH_RT_QUERYCOLUMNS: case MH_RT_QUERYROWS: case MH_RT_RESOLVENAMES:
        case MH_RT_RESORTRESTRICTION: case MH_RT_SEEKENTRIES: case MH_RT_UPDATESTAT:
        case MH_RT_GETMAILBOXURL: case MH_RT_GETADDRESSBOOKURL:
            run_nspi(c);
            break;
        case MH_RT_NOTIFICATIONWAIT:
            if (c->wait_rejected) {
                c->error_code = EC_REJECTED;
                mh_build_notification_wait(&c->body, EC_REJECTED, 0);
            } else if ((rv = run_wait(c)) != APR_SUCCESS) {
                release(c, apr_time_now());
                return rv;
            }
            break;
        default:
            break;
        }
    }
    if (c->status_code != 0) {
        c->body.len = 0;
        mh_build_failure(&c->body, c->status_code);
    }

    apr_time_t end = apr_time_now();
    release(c, end);

    char date[APR_RFC822_DATE_LEN];
    apr_rfc822_date(date, c->start);
    const char *done = apr_psprintf(c->pool,
                                    MH_META_DONE "X-ResponseCode: 0\r\n"
                                    "X-ElapsedTime: %" APR_TIME_T_FMT "\r\n"
                                    "X-StartTime: %s\r\n\r\n",
                                    apr_time_as_msec(end - c->start), date);
    if ((rv = write_str(c, done)) != APR_SUCCESS)
        return rv;
    if (c->type != MH_RT_PING && c->body.len)
        rv = io->write(io->baton, c->body.buf, c->body.len);
    return rv;
}
