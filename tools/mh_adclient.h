/*
 * mh_adclient.h - the client side of Autodiscover (POX, MS-OXDSCLI) as a
 * MAPI/HTTP client uses it to find its server: the request body, the
 * candidate URLs for an address (MS-OXDISCO 3.1.5), one POST over
 * mh_client, and a parser of the response that reads what MAPI/HTTP needs:
 * the User element, the Account's Action (settings, redirectAddr,
 * redirectUrl), the `Protocol Type="mapiHttp"` block with its MailStore and
 * AddressBook URLs, or the Error element.  The probe tool is built on it.
 *
 * The parser uses libxml2 with network access off, no DTD (a response with
 * a DOCTYPE is refused before anything in it is read), no entity
 * expansion, and a size limit.
 */
#ifndef MH_ADCLIENT_H
#define MH_ADCLIENT_H

#include <stddef.h>
#include <apr_pools.h>

#include "mh_client.h"

/* Largest response body parsed (a real one is a few KB). */
#define MH_ADC_MAX_RESPONSE (1024 * 1024)

/* Initialises libxml2; call once before threads start. */
void mh_adc_init(void);

/* ---------------------------------------------------------------- URLs */

/* scheme://host[:port][/path[?query]] with scheme http or https. */
typedef struct mh_url {
    int tls;            /* https */
    const char *host;   /* without the brackets of an IPv6 literal */
    int port;           /* the scheme's default when not given */
    const char *path;   /* path and query, at least "/" */
} mh_url;

/* 0 and *u filled, or -1 when `url` is not such a URL (no host, a bad
 * port, another scheme, a fragment, spaces or control characters). */
int mh_url_parse(apr_pool_t *pool, const char *url, mh_url *u);
/* "scheme://host:port" (the port always written): the key of a
 * connection. */
const char *mh_url_origin(apr_pool_t *pool, const mh_url *u);
/* The whole URL again, the port only when not the scheme's default. */
const char *mh_url_text(apr_pool_t *pool, const mh_url *u);

/* --------------------------------------------------------- the request */

/*
 * The POX request body (MS-OXDSCLI 2.2.3) asking for the outlook response
 * schema, for `email` (EMailAddress) and/or `legacy_dn` (LegacyDN; a
 * server uses it when both are given); at least one must be non-NULL.
 * Text is XML-escaped.
 */
const char *mh_adc_request_body(apr_pool_t *pool, const char *email, const char *legacy_dn,
                                size_t *len_r);

/*
 * The URLs a client tries for `address` (MS-OXDISCO 3.1.5.1-3.1.5.2, the
 * ones that need no directory or DNS SRV lookup): https://DOMAIN/autodiscover/
 * autodiscover.xml, then https://autodiscover.DOMAIN/autodiscover/
 * autodiscover.xml.  Returns how many (2), or 0 when `address` is not an
 * e-mail address with a domain.
 */
int mh_adc_candidates(apr_pool_t *pool, const char *address, const char *urls[2]);

/* ----------------------------------------------------------- responses */

typedef enum mh_adc_action {
    MH_ADC_SETTINGS = 1,   /* Action settings: User and Protocol blocks */
    MH_ADC_REDIRECT_ADDR,  /* ask again for redirect_addr */
    MH_ADC_REDIRECT_URL,   /* ask redirect_url instead */
    MH_ADC_ERROR           /* an Error element (error_code, error_message) */
} mh_adc_action;

/* MailStore or AddressBook: the URLs of one endpoint (NULL when absent). */
typedef struct mh_adc_urls {
    const char *internal, *external;
} mh_adc_urls;

typedef struct mh_adc_response {
    mh_adc_action action;
    /* User (settings) */
    const char *display_name, *legacy_dn, *smtp, *deployment_id;
    /* the first Protocol Type="mapiHttp", directly under Account or inside
     * its Internal/External blocks (MS-OXDSCLI 2.2.4.1.1.2.6) */
    int has_mapihttp;
    unsigned mapihttp_version;  /* its Version attribute (0 when absent or not a number) */
    mh_adc_urls mailstore, addressbook;
    int n_protocols;            /* every Protocol element under Account */
    /* redirects */
    const char *redirect_addr, *redirect_url;
    /* Error (MS-OXDSCLI 2.2.4.1.1.3) */
    int error_code;             /* 0 when the ErrorCode is not a number */
    const char *error_message, *debug_data;
} mh_adc_response;

/*
 * Parses a POX response body: root Autodiscover in the response schema
 * namespace (2006), a Response holding either Error or User + Account
 * (the outlook schema, 2006a; "https://" namespace spellings accepted).
 * 0 with *r filled, or -1 with *why_r ("not well-formed XML: ...", "the
 * response has no Account Action", ...).  Settings without a mapiHttp
 * Protocol parse (has_mapihttp 0): the caller decides.
 */
int mh_adc_parse_response(const void *body, size_t len, apr_pool_t *pool, mh_adc_response *r,
                          const char **why_r);

/* What an ErrorCode means (MS-OXDSCLI 2.2.4.1.1.3.2), or NULL. */
const char *mh_adc_error_meaning(int code);

/* ----------------------------------------------------------- one call */

typedef struct mh_adc_call {
    mh_response *http;          /* the HTTP response (NULL when none came) */
    const char *request;        /* the request body sent */
    int parsed;                 /* an HTTP 200 whose body parsed into `resp` */
    mh_adc_response resp;
    const char *why;            /* why it did not parse, or the transport error */
} mh_adc_call;

/*
 * POSTs the request for `email` / `legacy_dn` to `path` on `conn` with
 * Basic credentials (when `user` is not NULL), Content-Type text/xml,
 * X-MapiHttpCapability 1 and X-AnchorMailbox (the address).  Returns 0
 * when an HTTP response came (parsed when it is a 200 with a POX body: see
 * out->parsed), -1 when the exchange failed (out->why).
 */
int mh_adc_post(mh_client *conn, apr_pool_t *pool, const char *path, const char *user,
                const char *password, const char *email, const char *legacy_dn,
                mh_adc_call *out);

#endif
