/*
 * mod_mapihttp.c - httpd glue: hooks, the handler, and the translation
 * between request_rec and the httpd-free core (mh_call.h).
 *
 * MS-OXCMAPIHTTP over Apache httpd 2.4.  Authentication is httpd's: the
 * handler requires r->user, set by whatever auth module the administrator
 * configured, and never looks at credentials itself.
 */
#include "mod_mapihttp.h"
#include "mh_log.h"
#include "mh_owner.h"
#include "mh_password.h"
#include "mapihttp/module.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ap_mpm.h>
#include <http_core.h>
#include <http_main.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <unixd.h>
#include <util_filter.h>

#include <apr_hash.h>
#include <apr_poll.h>
#include <apr_portable.h>
#include <apr_strings.h>


#define MH_HANDLER "mapihttp"
#define MH_AD_HANDLER "mapihttp-autodiscover"

/* ------------------------------------------------------------ logging */

/* The core's log sink: every core message goes to the main server's log. */
static void log_sink(void *baton, int level, const char *msg)
{
    server_rec *s = baton;
    ap_log_error(APLOG_MARK, level, 0, s, "%s", msg); /* tagged by the core (MHLOGNO) */
}

/* ---------------------------------------------------------- lifecycle */

static void auth_cache_init(apr_pool_t *pchild, server_rec *s);

static mh_session_store_config store_config(apr_pool_t *p, server_rec *main_s)
{
    mh_srv_conf *mc = ap_get_module_config(main_s->module_config, &mapihttp_module);
    mh_session_store_config cfg;
    mh_session_store_config_default(&cfg);
    cfg.path = mh_store_path(p, mc);
    if (mc->store_size_mb != MH_UNSET)
        cfg.map_size = (size_t)mc->store_size_mb * 1024 * 1024;
    /* a wait mark outlives the longest configured wait by a minute */
    apr_int64_t longest = MH_DEFAULT_WAIT_TIMEOUT_SEC;
    for (server_rec *s = main_s; s; s = s->next) {
        mh_srv_conf *c = ap_get_module_config(s->module_config, &mapihttp_module);
        if (c->wait_timeout_sec != MH_UNSET && c->wait_timeout_sec > longest)
            longest = c->wait_timeout_sec;
    }
    cfg.wait_stale_after = apr_time_from_sec(longest + 60);
    return cfg;
}

/* Fills each server's mh_service from its (merged) directives. */
static void fill_services(server_rec *main_s, mh_session_store *store)
{
    for (server_rec *s = main_s; s; s = s->next) {
        mh_srv_conf *c = ap_get_module_config(s->module_config, &mapihttp_module);
        mh_service *svc = &c->svc;
        svc->store = store;
        svc->idle_timeout = apr_time_from_sec(
            c->idle_timeout_sec != MH_UNSET ? c->idle_timeout_sec : MH_DEFAULT_IDLE_TIMEOUT_SEC);
        svc->pending_period = apr_time_from_msec(
            c->pending_period_ms != MH_UNSET ? c->pending_period_ms : MH_DEFAULT_PENDING_PERIOD_MS);
        svc->wait_timeout = apr_time_from_sec(
            c->wait_timeout_sec != MH_UNSET ? c->wait_timeout_sec : MH_DEFAULT_WAIT_TIMEOUT_SEC);
        svc->wait_poll = apr_time_from_msec(MH_WAIT_POLL_MS);
        svc->sessions_per_user = (unsigned)(c->sessions_per_user != MH_UNSET
                                                ? c->sessions_per_user
                                                : MH_DEFAULT_SESSIONS_PER_USER);
        svc->max_body = c->max_body != MH_UNSET ? c->max_body : MH_DEFAULT_MAX_BODY;
        svc->backend = c->backend;
        svc->chain_responses = c->chain_responses != MH_UNSET ? (int)c->chain_responses : 1;
        svc->organization = c->organization;
        svc->external_url = c->external_url;
        svc->legacy_dn_scheme = c->legacy_dn_scheme;
        mh_ad_config *ad = &c->ad;
        ad->external_url = c->external_url;
        ad->internal_url = c->internal_url;
        ad->organization = c->organization;
        ad->legacy_dn_scheme = c->legacy_dn_scheme;
        ad->redirects = c->ad_redirects ? (const mh_ad_redirect *)c->ad_redirects->elts : NULL;
        ad->n_redirects = c->ad_redirects ? c->ad_redirects->nelts : 0;
    }
}

/*
 * The backend instances some server uses, each once.  A MapiHttpBackend
 * line a later one overrides names an instance nobody uses: its storage
 * is neither created nor opened.
 */
static apr_array_header_t *used_backends(server_rec *main_s, apr_pool_t *p)
{
    apr_array_header_t *a = apr_array_make(p, 2, sizeof(mh_be *));
    for (server_rec *s = main_s; s; s = s->next) {
        mh_srv_conf *c = ap_get_module_config(s->module_config, &mapihttp_module);
        int seen = !c->backend;
        for (int i = 0; !seen && i < a->nelts; i++)
            seen = APR_ARRAY_IDX(a, i, mh_be *) == c->backend;
        if (!seen)
            APR_ARRAY_PUSH(a, mh_be *) = c->backend;
    }
    return a;
}

/* Prepares every backend instance (parent, as root): storage is created
 * or checked, and handed to the user the children run as. */
static int prepare_backends(apr_pool_t *ptemp, server_rec *s)
{
    apr_array_header_t *all = used_backends(s, ptemp);
    long uid = -1, gid = -1;
    if (geteuid() == 0) {
        uid = (long)ap_unixd_config.user_id;
        gid = (long)ap_unixd_config.group_id;
    }
    for (int i = 0; i < all->nelts; i++) {
        mh_be *b = APR_ARRAY_IDX(all, i, mh_be *);
        mh_error err = {MH_OK, NULL};
        if (mh_be_prepare(b, uid, gid, ptemp, &err) != MH_OK) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         MHLOGNO(00005) "mod_mapihttp cannot start: MapiHttpBackend %s: %s",
                         b->label, err.detail ? err.detail : mh_err_name(err.code));
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                     MHLOGNO(00006) "backend %s (%s %s) ready", b->label, b->be->name,
                     b->be->version);
    }
    return OK;
}

/* Opens every backend instance in a child process. */
static void open_backends(apr_pool_t *pchild, server_rec *s)
{
    apr_array_header_t *all = used_backends(s, pchild);
    for (int i = 0; i < all->nelts; i++) {
        mh_be *b = APR_ARRAY_IDX(all, i, mh_be *);
        mh_error err = {MH_OK, NULL};
        if (mh_be_open(b, pchild, &err) != MH_OK)
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         MHLOGNO(00007) "this process cannot open backend %s: %s; requests "
                         "that need it fail", b->label,
                         err.detail ? err.detail : mh_err_name(err.code));
    }
}

/* Creates (or checks, repairing damage) the session store, and closes it
 * again: LMDB must not be used across fork().  NULL, or what failed. */
static const char *create_store(void *baton, apr_pool_t *pool)
{
    mh_session_store *store = NULL;
    const char *err = NULL;
    if (mh_session_store_open(baton, 1, pool, &store, &err) != APR_SUCCESS)
        return err ? err : "cannot open the session store";
    mh_session_store_close(store);
    return NULL;
}

/*
 * Runs in the parent (as root, before children are forked): creates the
 * session store, as the user the children run as, so that a store that
 * cannot be made stops httpd with a clear message.
 */
static int mh_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                          server_rec *s)
{
    void *used = NULL;
    apr_pool_userdata_get(&used, MH_USED_KEY, s->process->pconf);
    fill_services(s, NULL);
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return OK; /* the first of the two configuration passes */
    mh_log_set_sink(log_sink, s, MH_LOG_DEBUG);
    int rc = prepare_backends(ptemp, s);
    if (rc != OK)
        return rc;
    if (!used)
        return OK; /* loaded but not enabled anywhere: no session store needed */

    mh_session_store_config cfg = store_config(ptemp, s);
    const char *err = NULL;
    int failed;
    if (geteuid() == 0) {
        /* the store belongs to the children's user: root only makes the
         * directory and hands over what is there (mh_owner.h) */
        static const char *const files[] = {"data.mdb", "lock.mdb", MH_MARKS_FILE, NULL};
        long uid = (long)ap_unixd_config.user_id, gid = (long)ap_unixd_config.group_id;
        failed = mh_make_dirs(cfg.path, ptemp, &err) != 0 ||
                 mh_hand_over(cfg.path, files, uid, gid, ptemp, &err) != 0 ||
                 mh_run_as(uid, gid, create_store, &cfg, ptemp, &err) != 0;
    } else {
        failed = (err = create_store(&cfg, ptemp)) != NULL;
    }
    if (failed) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     MHLOGNO(00001) "mod_mapihttp cannot start: session store %s: %s "
                     "(set MapiHttpSessionStore to a writable directory)", cfg.path, err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 MHLOGNO(00003) "session store %s ready", cfg.path);
    return OK;
}

/* Each child process opens the store for itself. */
static void mh_child_init(apr_pool_t *pchild, server_rec *s)
{
    void *used = NULL;
    apr_pool_userdata_get(&used, MH_USED_KEY, s->process->pconf);
    mh_log_set_sink(log_sink, s, MH_LOG_DEBUG);
    mh_ad_init(); /* libxml2, before the worker threads */
    open_backends(pchild, s);
    auth_cache_init(pchild, s);
    if (!used) {
        fill_services(s, NULL);
        return;
    }
    mh_session_store_config cfg = store_config(pchild, s);
    mh_session_store *store = NULL;
    const char *err = NULL;
    if (mh_session_store_open(&cfg, 0, pchild, &store, &err) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     MHLOGNO(00004) "this process cannot open the session store: %s; "
                     "MAPI/HTTP requests it gets fail with X-ResponseCode 1", err);
        store = NULL;
    }
    fill_services(s, store);
}

/* ------------------------------------------------ authentication provider */

/* Verified credentials, per process (see mh_password.h). */
static mh_authcache *auth_cache;

static void auth_cache_init(apr_pool_t *pchild, server_rec *s)
{
    mh_srv_conf *mc = ap_get_module_config(s->module_config, &mapihttp_module);
    apr_int64_t sec = mc->auth_cache_sec != MH_UNSET ? mc->auth_cache_sec
                                                     : MH_DEFAULT_AUTH_CACHE_SEC;
    apr_int64_t n = mc->auth_cache_entries != MH_UNSET ? mc->auth_cache_entries
                                                       : MH_DEFAULT_AUTH_CACHE_ENTRIES;
    auth_cache = mh_authcache_create(pchild, (unsigned)n, apr_time_from_sec(sec));
}

/* The instance of backend `be` serving this request's server. */
static const mh_be *instance_for(request_rec *r, const mh_backend *be)
{
    mh_srv_conf *sc = ap_get_module_config(r->server->module_config, &mapihttp_module);
    if (sc->backend && sc->backend->be == be)
        return sc->backend;
    /* not named for this server: the one instance of it, if there is one */
    apr_array_header_t *all = used_backends(ap_server_conf, r->pool);
    const mh_be *found = NULL;
    for (int i = 0; i < all->nelts; i++) {
        const mh_be *b = APR_ARRAY_IDX(all, i, mh_be *);
        if (b->be != be)
            continue;
        if (found)
            return NULL; /* ambiguous */
        found = b;
    }
    return found;
}

/*
 * What "AuthBasicProvider <backend>" calls (mapihttp/module.h): the stored
 * hash from the directory on every request (so a deleted or disabled user
 * or a new password takes effect at once), the slow check only for
 * credentials not verified recently.
 */
static authn_status mapihttp_check_password(request_rec *r, const mh_backend *be,
                                            const char *user, const char *password)
{
    const mh_be *b = instance_for(r, be);
    if (!b) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      MHLOGNO(00012) "AuthBasicProvider %s: no single MapiHttpBackend %s "
                      "line applies to this server; name it in this virtual host",
                      be->name, be->name);
        return AUTH_GENERAL_ERROR;
    }
    if (!(be->capabilities & MH_BCAP_PASSWORDS)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      MHLOGNO(00013) "AuthBasicProvider %s: this backend keeps no passwords; "
                      "use another authentication module", be->name);
        return AUTH_GENERAL_ERROR;
    }
    mh_betxn *t = NULL;
    mh_error err = {MH_OK, NULL};
    const char *hash = NULL;
    mh_err e = mh_be_begin(b, NULL, MH_TXN_READ, r->pool, &t, &err);
    if (e == MH_OK) {
        e = mh_be_dir_password(t, user, &hash, &err);
        mh_be_abort(t);
    }
    if (e == MH_E_NOT_FOUND || e == MH_E_PERMISSION) {
        /* as slow as a wrong password, so that timing does not tell which
         * logins exist */
        mh_password_verify(NULL, user, password, mh_password_dummy_hash(), 0, NULL);
        return e == MH_E_PERMISSION ? AUTH_DENIED : AUTH_USER_NOT_FOUND;
    }
    if (e != MH_OK) {
        /* busy is not trouble (the wrappers log what is) */
        ap_log_rerror(APLOG_MARK, e == MH_E_TEMPORARY ? APLOG_DEBUG : APLOG_ERR, 0, r,
                      MHLOGNO(00014) "AuthBasicProvider %s: cannot read the password of "
                      "%s: %s", b->label, user, err.detail ? err.detail : mh_err_name(e));
        return AUTH_GENERAL_ERROR;
    }
    int cached = 0;
    int ok = mh_password_verify(auth_cache, user, password, hash, r->request_time, &cached);
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r,
                  MHLOGNO(00015) "AuthBasicProvider %s: %s %s%s", be->name, user,
                  ok ? "verified" : "wrong password", cached ? " (cached)" : "");
    return ok ? AUTH_GRANTED : AUTH_DENIED;
}

/* ---------------------------------------------------------- the handler */

/* Whether a request is ours: MapiHttp On here and a path under /mapi, or
 * an Autodiscover path. */
static int is_mapi(request_rec *r)
{
    mh_dir_conf *d = ap_get_module_config(r->per_dir_config, &mapihttp_module);
    return d->enabled == 1 && r->uri &&
           (strncasecmp(r->uri, "/mapi/", 6) == 0 || strcasecmp(r->uri, "/mapi") == 0 ||
            mh_ad_endpoint_from_path(r->uri) != MH_AD_EP_NONE);
}

#define MH_NOT_A_FILE "mapihttp-not-a-file"

/*
 * MAPI/HTTP URLs name no files: claim them before the file-system walk
 * (which would stat every directory level and look for .htaccess files on
 * every request), the way mod_proxy does.  <Location> configuration (auth
 * included) applies as always; <Directory> sections never matched them.
 */
static int mh_translate_name(request_rec *r)
{
    if (!is_mapi(r))
        return DECLINED;
    r->filename = apr_pstrcat(r->pool, "mapihttp:", r->uri, NULL);
    apr_table_setn(r->notes, MH_NOT_A_FILE, "1");
    return OK;
}

static int mh_map_to_storage(request_rec *r)
{
    return apr_table_get(r->notes, MH_NOT_A_FILE) ? OK : DECLINED;
}

static int mh_fixups(request_rec *r)
{
    mh_dir_conf *d = ap_get_module_config(r->per_dir_config, &mapihttp_module);
    if (d->enabled != 1 || !r->uri)
        return DECLINED;
    /* everything under /mapi/ is ours: unknown paths answer X-ResponseCode 3 */
    if (strncasecmp(r->uri, "/mapi/", 6) == 0 || strcasecmp(r->uri, "/mapi") == 0) {
        r->handler = MH_HANDLER;
        /* intermediate filters must not hold back PROCESSING/PENDING */
        apr_table_setn(r->subprocess_env, "no-gzip", "1");
        apr_table_setn(r->subprocess_env, "no-brotli", "1");
    } else if (mh_ad_endpoint_from_path(r->uri) != MH_AD_EP_NONE) {
        r->handler = MH_AD_HANDLER;
    }
    return DECLINED;
}

typedef struct cookie_join {
    apr_pool_t *pool;
    const char *all;
} cookie_join;

static int join_cookie(void *baton, const char *key, const char *value)
{
    cookie_join *j = baton;
    j->all = j->all ? apr_pstrcat(j->pool, j->all, "; ", value, NULL) : value;
    return 1;
}

static void add_header(void *baton, const char *name, const char *value)
{
    request_rec *r = baton;
    apr_table_addn(r->headers_out, name, value);
}

/*
 * Reads the request body, at most `limit` bytes.  Returns OK with the body,
 * HTTP_REQUEST_ENTITY_TOO_LARGE when it is longer, or another status when
 * reading failed.
 */
static int read_body(request_rec *r, apr_off_t limit, char **buf_r, apr_size_t *len_r)
{
    int rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK);
    *buf_r = NULL;
    *len_r = 0;
    if (rc != OK)
        return rc;
    if (!ap_should_client_block(r))
        return OK;
    /* one byte over the limit tells "too large" from "exactly the limit";
     * the buffer never grows past that, nor more than doubles */
    apr_size_t most = (apr_size_t)limit + 1;
    apr_size_t cap = r->remaining > 0 ? (apr_size_t)r->remaining + 1 : 8192, len = 0;
    if (cap > most)
        cap = most;
    char *buf = apr_palloc(r->pool, cap);
    for (;;) {
        if (len == cap) {
            if (cap == most)
                return HTTP_REQUEST_ENTITY_TOO_LARGE;
            apr_size_t ncap = cap * 2 < most ? cap * 2 : most;
            char *nbuf = apr_palloc(r->pool, ncap);
            memcpy(nbuf, buf, len);
            buf = nbuf;
            cap = ncap;
        }
        long n = ap_get_client_block(r, buf + len, cap - len);
        if (n < 0)
            return HTTP_BAD_REQUEST;
        if (n == 0)
            break;
        len += (apr_size_t)n;
    }
    if ((apr_off_t)len > limit)
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    *buf_r = buf;
    *len_r = len;
    return OK;
}

/*
 * APR's ring macros reach their sentinel through a pointer computed from a
 * null base (APR_RING_SENTINEL); UBSan reports that, though all of APR and
 * httpd are built on it.  The one use here is exempted, nothing else.
 */
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 8)
__attribute__((no_sanitize("undefined")))
#endif
static void brigade_append(apr_bucket_brigade *bb, apr_bucket *b)
{
    APR_BRIGADE_INSERT_TAIL(bb, b);
}

/* The response stream handed to the core. */
typedef struct io_ctx {
    request_rec *r;
    apr_bucket_brigade *bb;
    apr_socket_t *sock;
    int sock_usable; /* poll the socket to notice a client that left */
    int failed;
} io_ctx;

static apr_status_t io_write(void *baton, const void *data, apr_size_t len)
{
    io_ctx *io = baton;
    if (io->failed)
        return APR_ECONNABORTED;
    return apr_brigade_write(io->bb, NULL, NULL, data, len);
}

/* Passes what was written down the output filters; with `flush`, on to
 * the client.  Without, httpd's core output filter keeps a small amount
 * until more comes or the request ends (a larger one it writes at once). */
static apr_status_t io_pass(io_ctx *io, int flush)
{
    if (io->failed)
        return APR_ECONNABORTED;
    if (flush)
        brigade_append(io->bb, apr_bucket_flush_create(io->bb->bucket_alloc));
    apr_status_t rv = ap_pass_brigade(io->r->output_filters, io->bb);
    apr_brigade_cleanup(io->bb);
    if (rv != APR_SUCCESS || io->r->connection->aborted) {
        io->failed = 1;
        return rv != APR_SUCCESS ? rv : APR_ECONNABORTED;
    }
    return APR_SUCCESS;
}

static apr_status_t io_flush(void *baton)
{
    return io_pass(baton, 1);
}

/* The response is streamed (chunked): passed on before its end is known. */
static apr_status_t io_stream(void *baton)
{
    return io_pass(baton, 0);
}

static int stopping(void)
{
    int state = AP_MPMQ_RUNNING;
    return ap_mpm_query(AP_MPMQ_MPM_STATE, &state) == APR_SUCCESS &&
           state == AP_MPMQ_STOPPING;
}

/* The process is stopping (graceful restart): end the request, and its
 * connection with it, so the client's next request reaches a new process. */
static apr_status_t stop_now(io_ctx *io)
{
    io->r->connection->keepalive = AP_CONN_CLOSE;
    return APR_EINTR;
}

static apr_status_t io_pause(void *baton, apr_interval_time_t timeout)
{
    io_ctx *io = baton;
    if (stopping())
        return stop_now(io);
    if (!io->sock_usable) {
        apr_sleep(timeout);
        return stopping() ? stop_now(io) : APR_TIMEUP;
    }
    apr_pollfd_t pfd = {0};
    pfd.p = io->r->pool;
    pfd.desc_type = APR_POLL_SOCKET;
    pfd.reqevents = APR_POLLIN;
    pfd.desc.s = io->sock;
    apr_int32_t n = 0;
    apr_status_t rv = apr_poll(&pfd, 1, &n, timeout);
    if (stopping())
        return stop_now(io);
    if (rv != APR_SUCCESS || n == 0)
        return APR_TIMEUP; /* timed out, or a signal woke us */
    if (pfd.rtnevents & (APR_POLLHUP | APR_POLLERR))
        return APR_EOF;
    /* readable: EOF means the client closed; data (a pipelined request, a
     * TLS alert) means we cannot tell, so stop looking at the socket */
    apr_os_sock_t fd;
    char c;
    if (apr_os_sock_get(&fd, io->sock) == APR_SUCCESS) {
        ssize_t got = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (got == 0)
            return APR_EOF;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return APR_TIMEUP;
    }
    io->sock_usable = 0;
    return APR_TIMEUP;
}

static void log_request(request_rec *r, mh_call *c, apr_time_t start)
{
    apr_time_t elapsed = apr_time_now() - start;
    const char *code = apr_itoa(r->pool, mh_call_response_code(c));
    const char *type = mh_call_type_name(c);
    const char *reqid = apr_table_get(r->headers_in, "X-RequestId");
    const char *cinfo = apr_table_get(r->headers_in, "X-ClientInfo");
    const char *capp = apr_table_get(r->headers_in, "X-ClientApplication");
    const char *ms = apr_psprintf(r->pool, "%" APR_TIME_T_FMT, apr_time_as_msec(elapsed));
    apr_table_setn(r->notes, "mapihttp-request-type", type ? type : "-");
    apr_table_setn(r->notes, "mapihttp-request-id", reqid ? reqid : "-");
    apr_table_setn(r->notes, "mapihttp-client-info", cinfo ? cinfo : "-");
    apr_table_setn(r->notes, "mapihttp-client-app", capp ? capp : "-");
    apr_table_setn(r->notes, "mapihttp-user", r->user ? r->user : "-");
    apr_table_setn(r->notes, "mapihttp-response-code", code);
    apr_table_setn(r->notes, "mapihttp-status",
                   apr_psprintf(r->pool, "0x%08x", mh_call_status_code(c)));
    apr_table_setn(r->notes, "mapihttp-error",
                   apr_psprintf(r->pool, "0x%08x", mh_call_error_code(c)));
    apr_table_setn(r->notes, "mapihttp-elapsed-ms", ms);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  MHLOGNO(00010) "%s %s user=%s request-id=%s client-info=%s "
                  "client-app=%s response-code=%s status=0x%08x error=0x%08x "
                  "elapsed=%sms%s%s",
                  mh_endpoint_name(mh_call_endpoint(c)), type ? type : "-",
                  r->user ? r->user : "-", reqid ? reqid : "-", cinfo ? cinfo : "-",
                  capp ? capp : "-", code, mh_call_status_code(c), mh_call_error_code(c),
                  ms, mh_call_diagnostic(c) ? " diagnostic=" : "",
                  mh_call_diagnostic(c) ? mh_call_diagnostic(c) : "");
}

static int send_failure(request_rec *r, mh_call *c)
{
    apr_size_t len;
    const char *page = mh_call_failure_page(c, &len);
    mh_call_headers(c, add_header, r);
    ap_set_content_type(r, "text/html");
    ap_set_content_length(r, (apr_off_t)len);
    r->status = HTTP_OK;
    if (!r->header_only)
        ap_rwrite(page, (int)len, r);
    return OK;
}

static int mh_autodiscover_handler(request_rec *r);

static int mh_handler(request_rec *r)
{
    if (r->handler && strcmp(r->handler, MH_AD_HANDLER) == 0)
        return mh_autodiscover_handler(r);
    if (!r->handler || strcmp(r->handler, MH_HANDLER) != 0)
        return DECLINED;

    apr_time_t start = apr_time_now();
    mh_srv_conf *sc = ap_get_module_config(r->server->module_config, &mapihttp_module);
    mh_http_in in = {0};
    in.method = r->method;
    in.path = r->uri;
    in.user = r->user;
    in.request_type = apr_table_get(r->headers_in, "X-RequestType");
    in.request_id = apr_table_get(r->headers_in, "X-RequestId");
    in.client_info = apr_table_get(r->headers_in, "X-ClientInfo");
    in.client_app = apr_table_get(r->headers_in, "X-ClientApplication");
    in.content_type = apr_table_get(r->headers_in, "Content-Type");
    cookie_join cj = {r->pool, NULL};
    apr_table_do(join_cookie, &cj, r->headers_in, "Cookie", NULL);
    in.cookies = cj.all;
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    const char *te = apr_table_get(r->headers_in, "Transfer-Encoding");
    in.has_length = cl != NULL || te != NULL;
    in.content_length = -1;
    if (cl) {
        apr_off_t v;
        if (apr_strtoff(&v, cl, NULL, 10) == APR_SUCCESS && v >= 0)
            in.content_length = v;
    }
    in.https = strcmp(ap_http_scheme(r), "https") == 0;
    in.self_url = ap_construct_url(r->pool, "", r);

    mh_call *c = mh_call_create(r->pool, &sc->svc, &in, start);
    int code = mh_call_check_headers(c);
    char *body = NULL;
    apr_size_t body_len = 0;
    if (code == 0) {
        int rc = read_body(r, sc->svc.max_body, &body, &body_len);
        if (rc == HTTP_REQUEST_ENTITY_TOO_LARGE) {
            /* do not read the rest of an oversized body */
            r->connection->keepalive = AP_CONN_CLOSE;
            mh_call_fail(c, MH_RC_TOO_LARGE,
                         "the request body exceeds MapiHttpMaxRequestBody");
        } else if (rc != OK) {
            r->connection->keepalive = AP_CONN_CLOSE;
            mh_call_fail(c, MH_RC_INVALID_REQUEST_BODY, "the request body could not be read");
        } else {
            mh_call_accept(c, body, body_len);
        }
    } else if (in.has_length && in.content_length != 0) {
        /* refused on its headers: do not read a body announced (or
         * chunked) just to throw it away */
        r->connection->keepalive = AP_CONN_CLOSE;
    }

    if (mh_call_response_code(c) != MH_RC_SUCCESS) {
        send_failure(r, c);
        log_request(r, c, start);
        return OK;
    }

    mh_call_headers(c, add_header, r);
    ap_set_content_type(r, "application/mapi-http");
    r->status = HTTP_OK;

    io_ctx ioc = {0};
    ioc.r = r;
    ioc.bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    ioc.sock = ap_get_conn_socket(r->connection);
    ioc.sock_usable = ioc.sock != NULL && r->connection->master == NULL;
    mh_io io = {&ioc, io_write, io_flush, io_pause, io_stream};
    apr_status_t rv = mh_call_run(c, &io);
    if (rv == APR_SUCCESS && !ioc.failed) {
        brigade_append(ioc.bb, apr_bucket_eos_create(ioc.bb->bucket_alloc));
        rv = ap_pass_brigade(r->output_filters, ioc.bb);
        apr_brigade_cleanup(ioc.bb);
    }
    if (rv != APR_SUCCESS)
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r,
                      MHLOGNO(00011) "client went away during %s", mh_call_type_name(c));
    log_request(r, c, start);
    return OK;
}

/* ------------------------------------------------------ Autodiscover */

static void ad_log(request_rec *r, const mh_ad_out *out, apr_time_t start, int status)
{
    const char *ms = apr_psprintf(r->pool, "%" APR_TIME_T_FMT,
                                  apr_time_as_msec(apr_time_now() - start));
    const char *outcome = out->error_code
                              ? apr_psprintf(r->pool, "%s %d", out->outcome, out->error_code)
                              : out->outcome ? out->outcome : "-";
    apr_table_setn(r->notes, "mapihttp-request-type", out->kind ? out->kind : "-");
    apr_table_setn(r->notes, "mapihttp-user", r->user ? r->user : "-");
    apr_table_setn(r->notes, "mapihttp-autodiscover", outcome);
    apr_table_setn(r->notes, "mapihttp-elapsed-ms", ms);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  MHLOGNO(01600) "%s user=%s address=%s outcome=%s status=%d elapsed=%sms%s%s",
                  out->kind ? out->kind : "-", r->user ? r->user : "-",
                  out->address ? out->address : "-", outcome, status, ms,
                  out->diag ? " diagnostic=" : "", out->diag ? out->diag : "");
}

/*
 * Autodiscover (mh_autodiscover.h): the core decides everything; this
 * reads the body (at most MH_AD_MAX_REQUEST bytes) and sends the answer.
 */
static int mh_autodiscover_handler(request_rec *r)
{
    apr_time_t start = apr_time_now();
    mh_srv_conf *sc = ap_get_module_config(r->server->module_config, &mapihttp_module);
    mh_ad_in in;
    memset(&in, 0, sizeof(in));
    in.method = r->method;
    in.path = r->uri;
    in.query = r->args;
    in.user = r->user;
    in.self_url = ap_construct_url(r->pool, "", r);
    in.server_name = r->server->server_hostname;
    in.mapi_capability = apr_table_get(r->headers_in, "X-MapiHttpCapability");
    in.now = r->request_time;
    if (r->method_number == M_POST) {
        const char *cl = apr_table_get(r->headers_in, "Content-Length");
        apr_off_t announced = -1;
        if (cl && apr_strtoff(&announced, cl, NULL, 10) != APR_SUCCESS)
            announced = -1;
        char *body = NULL;
        apr_size_t len = 0;
        int rc = announced > MH_AD_MAX_REQUEST ? HTTP_REQUEST_ENTITY_TOO_LARGE
                                               : read_body(r, MH_AD_MAX_REQUEST, &body, &len);
        if (rc == HTTP_REQUEST_ENTITY_TOO_LARGE) {
            /* the rest is not read: the connection cannot be reused */
            r->connection->keepalive = AP_CONN_CLOSE;
            in.body_too_large = 1;
        } else if (rc != OK) {
            r->connection->keepalive = AP_CONN_CLOSE;
            mh_ad_out bad = {.kind = "Autodiscover", .outcome = "unreadable body"};
            ad_log(r, &bad, start, rc);
            return rc;
        }
        in.body = body;
        in.body_len = len;
    }
    mh_ad_out out;
    mh_ad_serve(&sc->ad, sc->backend, &in, r->pool, &out);
    int status = out.status;
    if (out.need_auth) {
        /* httpd let the request through without a user: the location has
         * no authentication that requires one */
        if (ap_auth_type(r)) {
            ap_note_auth_failure(r);
            status = HTTP_UNAUTHORIZED;
        } else {
            status = HTTP_FORBIDDEN;
        }
    }
    ad_log(r, &out, start, status);
    if (out.need_auth)
        return status;
    if (out.location)
        apr_table_setn(r->headers_out, "Location", out.location);
    if (out.allow) {
        /* httpd's 405 page makes Allow from r->allowed_methods */
        char *list = apr_pstrdup(r->pool, out.allow), *state = NULL;
        ap_clear_method_list(r->allowed_methods);
        for (char *m = apr_strtok(list, ", ", &state); m; m = apr_strtok(NULL, ", ", &state))
            ap_method_list_add(r->allowed_methods, m);
    }
    if (!out.body)
        return status; /* httpd writes the page (302, 404, 405, 413) */
    /* per-user answers: no shared cache may keep them */
    apr_table_setn(r->headers_out, "Cache-Control", "private, no-store");
    ap_set_content_type(r, out.content_type);
    ap_set_content_length(r, (apr_off_t)out.body_len);
    r->status = status;
    if (!r->header_only)
        ap_rwrite(out.body, (int)out.body_len, r);
    return OK;
}

static void mh_register_hooks(apr_pool_t *p)
{
    APR_REGISTER_OPTIONAL_FN(mapihttp_check_password);
    ap_hook_post_config(mh_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(mh_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_translate_name(mh_translate_name, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_map_to_storage(mh_map_to_storage, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_fixups(mh_fixups, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(mh_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(mapihttp) = {
    STANDARD20_MODULE_STUFF,
    mh_create_dir_conf,
    mh_merge_dir_conf,
    mh_create_srv_conf,
    mh_merge_srv_conf,
    mh_directives,
    mh_register_hooks,
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
    AP_MODULE_FLAG_ALWAYS_MERGE
#endif
};
