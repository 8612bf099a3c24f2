/*
 * mh_call.h - one MAPI/HTTP request, from its headers to the end of its
 * inner response stream (MS-OXCMAPIHTTP sections 2.2.2, 3.2.5).
 *
 * The HTTP layer (mod_mapihttp.c) drives a call through three stages:
 *
 *   1. mh_call_check_headers(): decides everything the request line and
 *      headers can decide (X-ResponseCode 2, 3, 4, 5, 7, 8, 9, 13, 6).
 *   2. mh_call_accept(): parses the body and claims the Session Context
 *      (12, 10, 15 ...).  After it, every error that could change
 *      X-ResponseCode has been decided: clients read X-ResponseCode from
 *      the HTTP headers, so nothing later may change it.
 *   3. mh_call_run(): writes PROCESSING, PENDING keep-alives while work
 *      runs, then DONE, the additional headers and the body.  PROCESSING
 *      is held back until the first PENDING is due or the response is
 *      ready, so that a quick request is answered in one write (a
 *      NotificationWait, a long poll, sends it at once).  The session is
 *      released (state saved, busy mark cleared) before DONE goes out, so
 *      the client's next request never finds it busy.
 *
 * mh_call_headers() lists the response headers for either outcome; on a
 * failure the body is mh_call_failure_page() (text/html).
 */
#ifndef MH_CALL_H
#define MH_CALL_H

#include <apr_pools.h>
#include <apr_time.h>

#include "mh_backend.h"
#include "mh_http.h"
#include "mh_session.h"

/* The settings the core needs (mod_mapihttp fills them from directives). */
typedef struct mh_service {
    mh_session_store *store;
    apr_interval_time_t idle_timeout;   /* MapiHttpSessionIdleTimeout */
    apr_interval_time_t pending_period; /* MapiHttpPendingPeriod */
    apr_interval_time_t wait_timeout;   /* MapiHttpNotificationWaitTimeout */
    apr_interval_time_t wait_poll;      /* how often a wait looks for events */
    unsigned sessions_per_user;         /* MapiHttpSessionsPerUser */
    apr_off_t max_body;                 /* MapiHttpMaxRequestBody */
    const mh_be *backend;               /* MapiHttpBackend; NULL: none configured */
    int chain_responses;                /* MapiHttpChainedResponses */
    const char *organization;           /* MapiHttpOrganization; NULL: the default */
    const char *external_url;           /* MapiHttpExternalUrl; NULL: the request's own */
    const char *legacy_dn_scheme;       /* MapiHttpLegacyDNScheme; NULL: the default */
} mh_service;

/* What the HTTP layer hands in. */
typedef struct mh_http_in {
    const char *method;
    const char *path;         /* decoded, normalised request path */
    const char *user;         /* the authenticated user, or NULL */
    const char *request_type; /* header values, NULL when absent */
    const char *request_id;
    const char *client_info;
    const char *client_app;
    const char *content_type;
    const char *cookies;      /* every Cookie header, joined with "; " */
    int has_length;           /* Content-Length or chunked coding present */
    apr_off_t content_length; /* -1 when unknown (chunked) */
    int https;                /* cookies get Secure */
    const char *self_url;     /* "scheme://host[:port]" as httpd builds its own URLs */
} mh_http_in;

/* The response stream the HTTP layer provides for stage 3. */
typedef struct mh_io {
    void *baton;
    /* Appends to the response body (the first call sends the headers). */
    apr_status_t (*write)(void *baton, const void *data, apr_size_t len);
    /* Pushes everything written so far to the client. */
    apr_status_t (*flush)(void *baton);
    /*
     * Waits up to `timeout` while nothing happens.  Returns APR_TIMEUP when
     * the time passed, APR_EOF when the client closed its connection,
     * APR_EINTR when the server process is stopping (graceful restart).
     */
    apr_status_t (*pause)(void *baton, apr_interval_time_t timeout);
    /*
     * Optional (NULL: nothing to do).  Hands what was written so far to the
     * HTTP layer without pushing it to the client: the response is then
     * streamed (HTTP/1.1 chunked coding, the form of MS-OXCMAPIHTTP's
     * examples), and its first bytes go out with the next flush or with
     * the rest of the response, whichever comes first.
     */
    apr_status_t (*stream)(void *baton);
} mh_io;

typedef struct mh_call mh_call;

mh_call *mh_call_create(apr_pool_t *pool, const mh_service *svc,
                        const mh_http_in *in, apr_time_t start);

/* Stage 1.  Returns the X-ResponseCode; 0 means read the body. */
int mh_call_check_headers(mh_call *c);

/* Stage 2.  Returns the X-ResponseCode; 0 means call mh_call_run. */
int mh_call_accept(mh_call *c, const void *body, apr_size_t len);

/* Marks the call failed with `code` (e.g. the body was too large while
 * reading) and records a short diagnostic. */
void mh_call_fail(mh_call *c, int code, const char *diagnostic);

typedef void mh_header_fn(void *baton, const char *name, const char *value);
/* Lists the response headers (not Content-Type/Length). */
void mh_call_headers(mh_call *c, mh_header_fn *add, void *baton);

/* The Content-Type of the response. */
const char *mh_call_content_type(const mh_call *c);

/* The text/html diagnostic of a failed call. */
const char *mh_call_failure_page(mh_call *c, apr_size_t *len_r);

/* Stage 3.  Writes the inner response stream.  Returns the first I/O error
 * (the client went away), APR_SUCCESS otherwise. */
apr_status_t mh_call_run(mh_call *c, const mh_io *io);

/* For the logs. */
int mh_call_response_code(const mh_call *c);
const char *mh_call_diagnostic(const mh_call *c);
const char *mh_call_type_name(const mh_call *c);
mh_endpoint mh_call_endpoint(const mh_call *c);
/* StatusCode and ErrorCode of the body (0 when there is none). */
uint32_t mh_call_status_code(const mh_call *c);
uint32_t mh_call_error_code(const mh_call *c);

/*
 * Writes a PENDING keep-alive when one is due.  Long-running work calls it
 * between steps (the ROP engine between ROPs).  Returns an I/O error when
 * the client is gone.
 */
apr_status_t mh_call_tick(mh_call *c);

#endif
