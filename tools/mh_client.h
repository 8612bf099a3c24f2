/*
 * mh_client.h - a MAPI/HTTP client: HTTP/1.1 over TCP or TLS, a cookie jar,
 * and a parser of the inner response stream (MS-OXCMAPIHTTP 2.2.2.2:
 * PROCESSING / PENDING / DONE meta-tags, additional headers, binary body)
 * that notes when each meta-tag arrived.  The integration tests and the
 * probe tool are built on it.
 *
 * Programs using it should ignore SIGPIPE: OpenSSL writes to the socket
 * with write(2), and a server may close a kept-alive connection at any time.
 */
#ifndef MH_CLIENT_H
#define MH_CLIENT_H

#include <stddef.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

typedef struct mh_client mh_client;

typedef struct mh_client_opts {
    const char *host;          /* address to connect to, e.g. "127.0.0.1" */
    int port;
    int tls;                   /* speak TLS */
    const char *tls_ca_file;   /* verify the server against this CA (NULL: no
                                  verification, for self-signed test servers) */
    const char *tls_sni;       /* server name to send (default: host) */
    apr_interval_time_t timeout; /* per read/write (default 30 s) */
    int tls_verify_system;     /* without tls_ca_file: verify against the
                                  system's default CA store */
    size_t max_response;       /* a larger response body is an error
                                  (default 0: 64 MiB); lines (status, header,
                                  chunk size) are limited to 64 KiB */
} mh_client_opts;

/* One meta-tag line of the inner response stream. */
typedef struct mh_meta_tag {
    const char *tag;   /* "PROCESSING", "PENDING", "DONE" */
    apr_time_t at;     /* when its line had fully arrived */
} mh_meta_tag;

typedef struct mh_response {
    int status;                 /* HTTP status */
    const char *reason;
    apr_table_t *headers;       /* every header; repeated ones repeat */
    const unsigned char *body;  /* the entity, de-chunked */
    size_t body_len;
    int chunked;
    int closed;                 /* the server closed the connection after it */
    apr_time_t sent_at;         /* when the request was written */
    apr_time_t first_byte_at;   /* when the first response byte arrived */
    apr_time_t done_at;         /* when the whole response had arrived */

    /* The inner stream (when the body holds one): */
    int inner_ok;                      /* parsed to the end of the DONE block */
    apr_array_header_t *meta;          /* of mh_meta_tag, in order */
    apr_table_t *additional;           /* headers after DONE */
    const unsigned char *payload;      /* binary body after the blank line */
    size_t payload_len;
} mh_response;

mh_client *mh_client_create(apr_pool_t *pool, const mh_client_opts *opts);
/* Opens the connection (TCP, and the TLS handshake) unless it is open. */
apr_status_t mh_client_connect(mh_client *c);
/* Closes the connection (the next request opens a new one). */
void mh_client_disconnect(mh_client *c);
/* Uses `fd`, a connected plain stream socket, as the connection (tests and
 * fuzzing feed responses through a socketpair); the client closes it. */
void mh_client_attach_fd(mh_client *c, int fd);
/* The last error, for messages. */
const char *mh_client_error(const mh_client *c);

/*
 * Sends a request and reads the whole response.  `headers` are added as
 * given (Host and Content-Length are added when absent).  The response is
 * allocated in `pool`.  Returns APR_SUCCESS or an error (see
 * mh_client_error).
 */
apr_status_t mh_client_request(mh_client *c, apr_pool_t *pool, const char *method,
                               const char *path, apr_table_t *headers,
                               const void *body, size_t body_len,
                               mh_response **resp_r);

/* Lower level: write raw bytes (connecting first), then read a response. */
apr_status_t mh_client_send_raw(mh_client *c, const void *data, size_t len);
apr_status_t mh_client_read_response(mh_client *c, apr_pool_t *pool, int head,
                                     mh_response **resp_r);

/* Parses an inner response stream (exposed for unit tests and tools). */
void mh_parse_inner_stream(apr_pool_t *pool, mh_response *r);

/* --------------------------------------------------- MAPI/HTTP sessions */

/* A cookie jar with RFC 6265 path matching (enough for one origin). */
typedef struct mh_cookie_jar mh_cookie_jar;
mh_cookie_jar *mh_cookie_jar_create(apr_pool_t *pool);
/* Takes every Set-Cookie of a response. */
void mh_cookie_jar_update(mh_cookie_jar *jar, const mh_response *resp);
/* The Cookie header value for a path (NULL when none matches). */
const char *mh_cookie_jar_header(mh_cookie_jar *jar, apr_pool_t *pool, const char *path);
/* A cookie's value and attributes, by name (NULL when absent). */
const char *mh_cookie_jar_get(mh_cookie_jar *jar, const char *name, const char **attrs_r);
void mh_cookie_jar_set(mh_cookie_jar *jar, const char *name, const char *value,
                       const char *path);
void mh_cookie_jar_clear(mh_cookie_jar *jar);

/*
 * A MAPI/HTTP conversation with one endpoint: adds X-RequestType,
 * X-RequestId (GUID:counter), X-ClientInfo, X-ClientApplication,
 * Content-Type, Basic credentials and the jar's cookies; keeps the cookies
 * each response sets.
 */
typedef struct mh_mapi {
    mh_client *conn;
    apr_pool_t *pool;
    const char *path;          /* "/mapi/emsmdb/?MailboxId=..." */
    const char *user, *password;
    mh_cookie_jar *jar;
    char request_guid[40];     /* the X-RequestId GUID, fixed per context */
    char client_guid[40];      /* the X-ClientInfo GUID, fixed per client */
    unsigned long counter;
    const char *client_app;    /* X-ClientApplication */
} mh_mapi;

mh_mapi *mh_mapi_create(apr_pool_t *pool, mh_client *conn, const char *path,
                        const char *user, const char *password);
apr_status_t mh_mapi_call(mh_mapi *m, apr_pool_t *pool, const char *request_type,
                          const void *body, size_t body_len, mh_response **resp_r);
/* The request a call would send, as raw bytes (for requests that must
 * overlap: send it with mh_client_send_raw on another connection). */
const char *mh_mapi_build(mh_mapi *m, apr_pool_t *pool, const char *request_type,
                          const void *body, size_t body_len, size_t *len_r);

/*
 * A Connect request body (MS-OXCMAPIHTTP 2.2.4.1.1): UserDn, Flags 0, code
 * page 1252, LCIDs 0x409, and `aux_len` zero bytes of auxiliary buffer.
 */
const unsigned char *mh_mapi_connect_body(apr_pool_t *pool, const char *user_dn,
                                          uint32_t aux_len, size_t *len_r);

/* The X-ResponseCode of a response (-1 when missing). */
int mh_response_code(const mh_response *r);

/*
 * One address book call (MS-OXCMAPIHTTP 2.2.5) on an /mapi/nspi
 * conversation: `req` (the member of the union for request type `rt`, an
 * MH_RT_* of the NSPI endpoint) built with the wire layer (mh_nspi_wire.h),
 * sent as X-RequestType `type_name` (its name, e.g. "GetProps"), and the response body
 * parsed into `resp`.  Returns the X-ResponseCode when the response had a
 * parsable body (0), the non-zero X-ResponseCode of a refused request, or
 * -1 when the exchange failed or the body did not parse (why in *why_r).
 * *raw_r (may be NULL) gets the HTTP response.
 */
union mh_nspi_req;
union mh_nspi_resp;
int mh_nspi_call(mh_mapi *m, apr_pool_t *pool, int rt, const char *type_name,
                 const union mh_nspi_req *req, union mh_nspi_resp *resp, mh_response **raw_r,
                 const char **why_r);

/* The MS-OXNSPI 2.2.1.2 name of an NSPI ErrorCode ("NotFound",
 * "ErrorsReturned", ...), or NULL for a value the spec does not list. */
const char *mh_nspi_error_name(uint32_t code);

#endif
