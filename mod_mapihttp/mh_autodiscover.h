/*
 * mh_autodiscover.h - Autodiscover for MAPI/HTTP clients: the POX protocol
 * (MS-OXDSCLI; POST /autodiscover/autodiscover.xml) and the JSON form newer
 * Outlook builds ask first (GET /autodiscover/autodiscover.json/v1.0/ADDR
 * ?Protocol=NAME).  httpd-free: mod_mapihttp.c hands a request in as an
 * mh_ad_in and sends the mh_ad_out back.
 *
 * Who may learn what (docs/admin.md, "Autodiscover"):
 *  - every answer but the JSON AutodiscoverV1 one needs an authenticated
 *    user (the glue answers 401/403 when httpd let a request through
 *    without one);
 *  - the settings of a mailbox go to its owner, and to users who hold
 *    rights in it: read or folder-visible rights (FRIGHTS_READ_ANY or
 *    FRIGHTS_VISIBLE) on its root folder, its IPM subtree or one of its
 *    default folders, through their own permission entry, a distribution
 *    list they belong to, or the Default entry - the same rules RopLogon
 *    and the folder ROPs apply (mh_folder_rights, MS-OXCPERM 3.2.5);
 *  - an address nobody may see answers exactly like an unknown one
 *    (ErrorCode 500), so that Autodiscover does not tell which mailboxes
 *    exist beyond what the address book shows.
 */
#ifndef MH_AUTODISCOVER_H
#define MH_AUTODISCOVER_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include <apr_time.h>

#include "mapihttp/ids.h"

struct mh_be; /* mh_backend.h */

/* Namespaces (MS-OXDSCLI 2.2.3, 2.2.4). */
#define MH_AD_NS_REQUEST \
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
#define MH_AD_NS_RESPONSE "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
#define MH_AD_NS_OUTLOOK \
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"

/* ErrorCode values (MS-OXDSCLI 2.2.4.1.1.3.2). */
enum {
    MH_AD_OK = 0,
    MH_AD_E_NOT_FOUND = 500,   /* unknown address, or one the user may not see */
    MH_AD_E_NO_SETTINGS = 501, /* the user's own entry has no usable mailbox */
    MH_AD_E_INVALID = 600,     /* malformed request */
    MH_AD_E_SCHEMA = 601,      /* AcceptableResponseSchema not offered */
    MH_AD_E_INTERNAL = 603     /* the directory or store failed */
};

/* Largest request body read (a real one is well under 1 KB). */
#define MH_AD_MAX_REQUEST 32768

/* The endpoints, by request path (case-insensitive, as Outlook varies it). */
typedef enum mh_ad_endpoint {
    MH_AD_EP_NONE = 0,
    MH_AD_EP_POX,  /* /autodiscover/autodiscover.xml */
    MH_AD_EP_JSON  /* /autodiscover/autodiscover.json, and anything below it */
} mh_ad_endpoint;

mh_ad_endpoint mh_ad_endpoint_from_path(const char *path);

/* Initialises libxml2; call once per process before threads start. */
void mh_ad_init(void);

/* ------------------------------------------------------- configuration */

/* MapiHttpAutodiscoverRedirect DOMAIN TARGET */
typedef struct mh_ad_redirect {
    const char *domain;    /* lower case */
    const char *url;       /* another Autodiscover server: 302 to it; or NULL */
    const char *to_domain; /* redirectAddr to local-part@to_domain; or NULL */
} mh_ad_redirect;

typedef struct mh_ad_config {
    const char *external_url;     /* "https://host[:port]"; NULL: the server's own */
    const char *internal_url;     /* NULL: external_url */
    const char *organization;     /* NULL: MH_DEFAULT_ORGANIZATION */
    const char *legacy_dn_scheme; /* NULL: MH_DEFAULT_LEGACY_DN_SCHEME */
    const mh_ad_redirect *redirects;
    int n_redirects;
} mh_ad_config;

/*
 * Checks a base URL directive value: http or https, a host, an optional
 * port, nothing after the authority but one '/'.  NULL and *norm_r
 * ("https://host[:port]", scheme and host in lower case) when usable, else
 * why not.
 */
const char *mh_ad_base_url_check(const char *url, apr_pool_t *pool, const char **norm_r);

/*
 * Checks a MapiHttpAutodiscoverRedirect: DOMAIN a DNS name; TARGET an
 * http(s) URL (kept as given) or "@DOMAIN2".  NULL and *r filled when
 * usable, else why not.
 */
const char *mh_ad_redirect_check(const char *domain, const char *target, apr_pool_t *pool,
                                 mh_ad_redirect *r);

/* A DNS name: labels of letters, digits and hyphens (or UTF-8), dots between. */
int mh_ad_valid_domain(const char *d, size_t len);
/* An SMTP address as Autodiscover takes it: one '@', sane local part, domain. */
int mh_ad_valid_address(const char *a);

/* ------------------------------------------------------------ requests */

typedef struct mh_ad_request {
    const char *email;     /* EMailAddress (trimmed), NULL when absent */
    const char *legacy_dn; /* LegacyDN (trimmed), NULL when absent */
    const char *schema;    /* AcceptableResponseSchema (trimmed) */
} mh_ad_request;

/*
 * Parses a POX request body (at most MH_AD_MAX_REQUEST bytes) with libxml2:
 * no network, no DTD (a document that has one - external entities, entity
 * bombs - is refused before anything in it is read), no entity expansion.
 * Returns MH_AD_OK, MH_AD_E_INVALID (with *why_r) or MH_AD_E_SCHEMA.
 */
int mh_ad_parse_request(const void *body, size_t len, apr_pool_t *pool, mh_ad_request *req,
                        const char **why_r);

/* ------------------------------------------------------------ builders */

/* What a settings response says (all strings UTF-8; NULL leaves it out). */
typedef struct mh_ad_settings {
    const char *display_name;
    const char *legacy_dn;
    const char *smtp;
    const char *deployment_id;
    const char *emsmdb_internal, *emsmdb_external;
    const char *nspi_internal, *nspi_external;
    unsigned version;      /* the mapiHttp Protocol's Version (>= 1) */
} mh_ad_settings;

/* The POX response bodies.  Text is escaped; invalid UTF-8 and characters
 * XML cannot carry become '?'. */
const char *mh_ad_pox_settings(apr_pool_t *pool, const mh_ad_settings *s, size_t *len_r);
const char *mh_ad_pox_redirect_addr(apr_pool_t *pool, const char *addr, size_t *len_r);
/* Error (code, message) at time `now` from the server with id `server_id`. */
const char *mh_ad_pox_error(apr_pool_t *pool, int code, const char *message, apr_time_t now,
                            uint32_t server_id, size_t *len_r);
/* The JSON bodies: {"Protocol":...,"Url":...} and {"ErrorCode":...,"ErrorMessage":...}. */
const char *mh_ad_json_url(apr_pool_t *pool, const char *protocol, const char *url,
                           size_t *len_r);
const char *mh_ad_json_error(apr_pool_t *pool, const char *code, const char *message,
                             size_t *len_r);

/* The DeploymentId of an organization: a name-based (MD5, version 3) UUID,
 * the same on every server configured with the same organization. */
const char *mh_ad_deployment_id(apr_pool_t *pool, const char *organization);

/*
 * An endpoint URL: base ("scheme://host[:port]") with its host replaced by
 * `server` when not NULL (a host, or host:port), then
 * "/mapi/<endpoint>/?MailboxId=<guid>@<domain>".  NULL when `server` is no
 * usable host name.
 */
const char *mh_ad_mailbox_url(apr_pool_t *pool, const char *base, const char *server,
                              const char *endpoint, const mh_guid *mailbox, const char *domain);

/* A GUID as text, "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" in lower case, its
 * first three fields little-endian as stored (the MailboxId form). */
const char *mh_ad_guid_text(apr_pool_t *pool, const mh_guid *g);

/* ------------------------------------------------------------- serving */

/* What the HTTP layer hands in. */
typedef struct mh_ad_in {
    const char *method;
    const char *path;            /* decoded request path */
    const char *query;           /* the raw query string, or NULL */
    const char *user;            /* the authenticated user, or NULL */
    const char *self_url;        /* "scheme://host[:port]" as httpd builds its own URLs */
    const char *server_name;     /* for the Error Id */
    const char *mapi_capability; /* X-MapiHttpCapability, or NULL */
    const void *body;
    size_t body_len;
    int body_too_large;          /* longer than MH_AD_MAX_REQUEST (not read) */
    apr_time_t now;
} mh_ad_in;

typedef struct mh_ad_out {
    int status;               /* HTTP status to send */
    const char *content_type;
    const char *body;
    size_t body_len;
    const char *location;     /* Location of a 302 */
    const char *allow;        /* Allow of a 405 */
    int need_auth;            /* no authenticated user (status 401): the glue answers
                                 401 with httpd's challenge, or 403 */
    /* for the log */
    const char *kind;         /* "Autodiscover", "AutodiscoverJson" */
    int error_code;           /* MH_AD_* of a POX answer, 0 otherwise */
    const char *address;      /* the address or DN asked for */
    const char *outcome;      /* "settings", "redirectAddr", "redirectUrl", "error" ... */
    const char *diag;         /* why, for the log (never sent) */
} mh_ad_out;

/* Answers one request.  `b` may be NULL (no backend configured). */
void mh_ad_serve(const mh_ad_config *cfg, const struct mh_be *b, const mh_ad_in *in,
                 apr_pool_t *pool, mh_ad_out *out);

#endif
