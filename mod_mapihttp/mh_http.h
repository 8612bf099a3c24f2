/*
 * mh_http.h - MS-OXCMAPIHTTP section 2.2.3: request types, response codes,
 * header syntax and cookies.  httpd-free; every function that reads client
 * bytes here has a fuzz target (test/fuzz/fuzz_headers.c).
 */
#ifndef MH_HTTP_H
#define MH_HTTP_H

#include <stddef.h>
#include <apr_pools.h>

/* The two endpoints (section 2.1; each has its own Session Context). */
typedef enum mh_endpoint {
    MH_EP_NONE = 0,
    MH_EP_EMSMDB = 1, /* mailbox server endpoint, /mapi/emsmdb */
    MH_EP_NSPI = 2    /* address book server endpoint, /mapi/nspi */
} mh_endpoint;

const char *mh_endpoint_name(mh_endpoint ep);

/* X-RequestType values (section 2.2.3.3.1). */
typedef enum mh_reqtype {
    MH_RT_UNKNOWN = 0,
    MH_RT_PING,
    /* EMSMDB */
    MH_RT_CONNECT,
    MH_RT_EXECUTE,
    MH_RT_DISCONNECT,
    MH_RT_NOTIFICATIONWAIT,
    /* NSPI */
    MH_RT_BIND,
    MH_RT_UNBIND,
    MH_RT_COMPAREMIDS,
    MH_RT_DNTOMID,
    MH_RT_GETMATCHES,
    MH_RT_GETPROPLIST,
    MH_RT_GETPROPS,
    MH_RT_GETSPECIALTABLE,
    MH_RT_GETTEMPLATEINFO,
    MH_RT_MODLINKATT,
    MH_RT_MODPROPS,
    MH_RT_QUERYCOLUMNS,
    MH_RT_QUERYROWS,
    MH_RT_RESOLVENAMES,
    MH_RT_RESORTRESTRICTION,
    MH_RT_SEEKENTRIES,
    MH_RT_UPDATESTAT,
    MH_RT_GETMAILBOXURL,
    MH_RT_GETADDRESSBOOKURL,
    MH_RT_COUNT_
} mh_reqtype;

/*
 * Looks up an X-RequestType value, compared case-insensitively (some
 * clients send "BIND").  Returns MH_RT_UNKNOWN for an unknown name and for a
 * known name of the other endpoint (both answer X-ResponseCode 5).
 */
mh_reqtype mh_reqtype_lookup(mh_endpoint ep, const char *name, size_t len);
/* The canonical spelling, e.g. "NotificationWait". */
const char *mh_reqtype_name(mh_reqtype rt);

/* X-ResponseCode values (section 2.2.3.3.3). */
enum mh_response_code {
    MH_RC_SUCCESS = 0,
    MH_RC_UNKNOWN_FAILURE = 1,
    MH_RC_INVALID_VERB = 2,
    MH_RC_INVALID_PATH = 3,
    MH_RC_INVALID_HEADER = 4,
    MH_RC_INVALID_REQUEST_TYPE = 5,
    MH_RC_INVALID_CONTEXT_COOKIE = 6,
    MH_RC_MISSING_HEADER = 7,
    MH_RC_ANONYMOUS_NOT_ALLOWED = 8,
    MH_RC_TOO_LARGE = 9,
    MH_RC_CONTEXT_NOT_FOUND = 10,
    MH_RC_NO_PRIVILEGE = 11,
    MH_RC_INVALID_REQUEST_BODY = 12,
    MH_RC_MISSING_COOKIE = 13,
    MH_RC_RESERVED = 14,
    MH_RC_INVALID_SEQUENCE = 15,
    MH_RC_ENDPOINT_DISABLED = 16,
    MH_RC_INVALID_RESPONSE = 17,
    MH_RC_ENDPOINT_SHUTTING_DOWN = 18
};

/* The Error column of section 2.2.3.3.3's table ("Context Not Found"), or
 * NULL for a code the table does not define (the server and the client
 * tools share this one function). */
const char *mh_response_code_name(int code);

/*
 * Maps a request path (already percent-decoded and normalised by httpd) to
 * an endpoint: "/mapi/emsmdb" and "/mapi/nspi", with or without one
 * trailing slash, compared case-insensitively.  Returns MH_EP_NONE for
 * anything else.
 */
mh_endpoint mh_endpoint_from_path(const char *path);

/*
 * X-RequestId: "<GUID>:<counter>" (section 2.2.3.3.2), GUID with or without
 * braces, counter decimal.  X-ClientInfo: "{<GUID>}:<counter>" (2.2.3.3.4);
 * braces are accepted as optional there too.  Returns 1 when well formed.
 */
int mh_valid_request_id(const char *v);
int mh_valid_client_info(const char *v);
/* "application/mapi-http", optionally followed by parameters. */
int mh_valid_content_type(const char *v);

/* Cookie names, per endpoint: the context cookie and the sequence cookie. */
const char *mh_cookie_context_name(mh_endpoint ep);
const char *mh_cookie_sequence_name(mh_endpoint ep);

/*
 * Finds the value of cookie `name` in a Cookie header value
 * ("a=1; b=2").  Returns the first occurrence (a pool copy, surrounding
 * quotes removed), or NULL.  *dup_r (optional) is set when the name occurs
 * more than once.
 */
const char *mh_cookie_get(const char *header, const char *name,
                          apr_pool_t *pool, int *dup_r);

/* The path a cookie gets for an endpoint: "/mapi/emsmdb" (matches both
 * "/mapi/emsmdb" and "/mapi/emsmdb/" under RFC 6265 path-match). */
const char *mh_cookie_path(mh_endpoint ep);

/* Builds a Set-Cookie value: "name=value; Path=...; HttpOnly[; Secure]". */
const char *mh_set_cookie(apr_pool_t *pool, const char *name, const char *value,
                          const char *path, int secure);

/* The fixed X-ServerApplication value: Exchange 2013 SP1 or later form. */
#define MH_SERVER_APPLICATION "Exchange/15.00.0847.4040"

/* Longest X-ClientApplication kept (longer ones are a malformed header). */
#define MH_CLIENT_APP_MAX 1024

/* Inner response stream meta-tags (section 2.2.7). */
#define MH_META_PROCESSING "PROCESSING\r\n"
#define MH_META_PENDING "PENDING\r\n"
#define MH_META_DONE "DONE\r\n"

#endif
