/*
 * mh_adclient.c - the client side of Autodiscover (POX).  See mh_adclient.h.
 */
#include "mh_adclient.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_base64.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>

/* MS-OXDSCLI 2.2.3 and 2.2.4 */
#define NS_REQUEST "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
#define NS_RESPONSE "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
#define NS_OUTLOOK "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"

void mh_adc_init(void)
{
    xmlInitParser();
}

/* ---------------------------------------------------------------- URLs */

static int host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_';
}

int mh_url_parse(apr_pool_t *pool, const char *url, mh_url *u)
{
    memset(u, 0, sizeof(*u));
    if (!url)
        return -1;
    for (const unsigned char *s = (const unsigned char *)url; *s; s++)
        if (*s <= 0x20 || *s == 0x7F || *s == '#')
            return -1;
    const char *rest;
    if (strncasecmp(url, "https://", 8) == 0) {
        u->tls = 1;
        u->port = 443;
        rest = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        u->port = 80;
        rest = url + 7;
    } else {
        return -1;
    }
    size_t alen = strcspn(rest, "/?");
    char *auth = apr_pstrmemdup(pool, rest, alen);
    const char *tail = rest + alen;
    if (strchr(auth, '@'))
        return -1; /* no user information in the URL */
    char *host = auth, *port = NULL;
    if (auth[0] == '[') {
        char *close = strchr(auth, ']');
        if (!close || close == auth + 1)
            return -1;
        *close = 0;
        host = auth + 1;
        for (const char *c = host; *c; c++)
            if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') ||
                  (*c >= 'A' && *c <= 'F') || *c == ':' || *c == '.'))
                return -1;
        if (close[1] == ':')
            port = close + 2;
        else if (close[1])
            return -1;
    } else {
        char *colon = strchr(auth, ':');
        if (colon) {
            *colon = 0;
            port = colon + 1;
        }
        if (!*host)
            return -1;
        for (const char *c = host; *c; c++)
            if (!host_char(*c))
                return -1;
    }
    if (port) {
        char *end;
        long p = strtol(port, &end, 10);
        if (!*port || *end || p <= 0 || p > 65535)
            return -1;
        u->port = (int)p;
    }
    u->host = host;
    if (!*tail)
        u->path = "/";
    else if (*tail == '?')
        u->path = apr_pstrcat(pool, "/", tail, NULL);
    else
        u->path = apr_pstrdup(pool, tail);
    return 0;
}

static const char *host_text(apr_pool_t *pool, const mh_url *u)
{
    return strchr(u->host, ':') ? apr_pstrcat(pool, "[", u->host, "]", NULL) : u->host;
}

const char *mh_url_origin(apr_pool_t *pool, const mh_url *u)
{
    return apr_psprintf(pool, "%s://%s:%d", u->tls ? "https" : "http", host_text(pool, u),
                        u->port);
}

const char *mh_url_text(apr_pool_t *pool, const mh_url *u)
{
    int dflt = u->port == (u->tls ? 443 : 80);
    return apr_psprintf(pool, "%s://%s%s%s", u->tls ? "https" : "http", host_text(pool, u),
                        dflt ? "" : apr_psprintf(pool, ":%d", u->port),
                        u->path ? u->path : "/");
}

/* --------------------------------------------------------- the request */

static const char *xml_escape(apr_pool_t *pool, const char *s)
{
    size_t n = 0;
    for (const char *c = s; *c; c++)
        n += *c == '&' ? 5 : (*c == '<' || *c == '>') ? 4 : (*c == '"' || *c == '\'') ? 6 : 1;
    char *out = apr_palloc(pool, n + 1), *o = out;
    for (const char *c = s; *c; c++) {
        const char *rep = NULL;
        switch (*c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        default: *o++ = *c; continue;
        }
        size_t k = strlen(rep);
        memcpy(o, rep, k);
        o += k;
    }
    *o = 0;
    return out;
}

const char *mh_adc_request_body(apr_pool_t *pool, const char *email, const char *legacy_dn,
                                size_t *len_r)
{
    const char *body = apr_pstrcat(
        pool,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        "<Autodiscover xmlns=\"" NS_REQUEST "\">\n"
        "  <Request>\n",
        email ? apr_pstrcat(pool, "    <EMailAddress>", xml_escape(pool, email),
                            "</EMailAddress>\n", NULL) : "",
        legacy_dn ? apr_pstrcat(pool, "    <LegacyDN>", xml_escape(pool, legacy_dn),
                                "</LegacyDN>\n", NULL) : "",
        "    <AcceptableResponseSchema>" NS_OUTLOOK "</AcceptableResponseSchema>\n"
        "  </Request>\n"
        "</Autodiscover>\n",
        NULL);
    if (len_r)
        *len_r = strlen(body);
    return body;
}

int mh_adc_candidates(apr_pool_t *pool, const char *address, const char *urls[2])
{
    const char *at = address ? strchr(address, '@') : NULL;
    if (!at || at == address || strchr(at + 1, '@'))
        return 0;
    const char *d = at + 1;
    size_t n = strlen(d);
    if (n == 0 || n > 253 || d[0] == '.' || d[0] == '-' || d[n - 1] == '.' ||
        strstr(d, ".."))
        return 0;
    for (const char *c = d; *c; c++)
        if (!host_char(*c) || *c == '_')
            return 0;
    for (const char *c = address; c < at; c++)
        if ((unsigned char)*c <= 0x20 || *c == 0x7F || *c == '<' || *c == '>')
            return 0;
    char *lower = apr_pstrdup(pool, d);
    for (char *c = lower; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    urls[0] = apr_pstrcat(pool, "https://", lower, "/autodiscover/autodiscover.xml", NULL);
    urls[1] = apr_pstrcat(pool, "https://autodiscover.", lower,
                          "/autodiscover/autodiscover.xml", NULL);
    return 2;
}

/* ----------------------------------------------------------- responses */

typedef struct guard {
    int dtd;
} guard;

static void refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *external_id,
                       const xmlChar *system_id)
{
    (void)name;
    (void)external_id;
    (void)system_id;
    xmlParserCtxtPtr c = ctx;
    ((guard *)c->_private)->dtd = 1;
    xmlStopParser(c);
}

/* Errors stay in the context (lastError), unprinted. */
#if LIBXML_VERSION >= 21200
static void quiet(void *ctx, const xmlError *e)
#else
static void quiet(void *ctx, xmlErrorPtr e)
#endif
{
    (void)ctx;
    (void)e;
}

/* The namespaces are http:// URIs; some documentation prints https://. */
static int ns_is(const xmlNode *n, const char *want)
{
    const char *have = n->ns && n->ns->href ? (const char *)n->ns->href : NULL;
    if (!have)
        return 0;
    if (strcmp(have, want) == 0)
        return 1;
    return strncmp(have, "https://", 8) == 0 && strcmp(have + 8, want + 7) == 0;
}

static int named(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static const xmlNode *child(const xmlNode *el, const char *name)
{
    for (const xmlNode *c = el->children; c; c = c->next)
        if (named(c, name))
            return c;
    return NULL;
}

/* The trimmed text of an element, NULL when it holds elements. */
static const char *text(const xmlNode *el, apr_pool_t *pool)
{
    if (!el)
        return NULL;
    const char *t = "";
    for (const xmlNode *c = el->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
            t = apr_pstrcat(pool, t, c->content ? (const char *)c->content : "", NULL);
        else if (c->type == XML_ELEMENT_NODE)
            return NULL;
    }
    const char *s = t, *e = t + strlen(t);
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        e--;
    return apr_pstrmemdup(pool, s, (size_t)(e - s));
}

static const char *child_text(const xmlNode *el, const char *name, apr_pool_t *pool)
{
    const char *t = text(child(el, name), pool);
    return t && *t ? t : NULL;
}

static void read_urls(const xmlNode *el, apr_pool_t *pool, mh_adc_urls *u)
{
    if (!el)
        return;
    u->internal = child_text(el, "InternalUrl", pool);
    u->external = child_text(el, "ExternalUrl", pool);
}

/* Every Protocol below `el` (Account, Internal, External, nested WEB
 * blocks); the first mapiHttp one is read. */
static void find_protocols(const xmlNode *el, apr_pool_t *pool, mh_adc_response *r, int depth)
{
    if (depth > 8)
        return;
    for (const xmlNode *c = el->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (named(c, "Protocol")) {
            r->n_protocols++;
            xmlChar *type = xmlGetNoNsProp(c, BAD_CAST "Type");
            int mapihttp = type && strcasecmp((const char *)type, "mapiHttp") == 0;
            xmlFree(type);
            if (mapihttp && !r->has_mapihttp) {
                r->has_mapihttp = 1;
                xmlChar *v = xmlGetNoNsProp(c, BAD_CAST "Version");
                if (v) {
                    char *end;
                    unsigned long n = strtoul((const char *)v, &end, 10);
                    if (*v && !*end && n <= 0xFFFF)
                        r->mapihttp_version = (unsigned)n;
                    xmlFree(v);
                }
                read_urls(child(c, "MailStore"), pool, &r->mailstore);
                read_urls(child(c, "AddressBook"), pool, &r->addressbook);
                continue;
            }
        }
        find_protocols(c, pool, r, depth + 1);
    }
}

static int read_error(const xmlNode *err, apr_pool_t *pool, mh_adc_response *r,
                      const char **why_r)
{
    r->action = MH_ADC_ERROR;
    const char *code = child_text(err, "ErrorCode", pool);
    if (!code) {
        *why_r = "the Error element has no ErrorCode";
        return -1;
    }
    char *end;
    long n = strtol(code, &end, 10);
    r->error_code = !*end && n > 0 && n < 100000 ? (int)n : 0;
    r->error_message = child_text(err, "Message", pool);
    r->debug_data = child_text(err, "DebugData", pool);
    return 0;
}

static int read_response(const xmlNode *root, apr_pool_t *pool, mh_adc_response *r,
                         const char **why_r)
{
    if (!root || !named(root, "Autodiscover") || !ns_is(root, NS_RESPONSE)) {
        *why_r = "the root element is not Autodiscover in namespace " NS_RESPONSE;
        return -1;
    }
    const xmlNode *resp = child(root, "Response");
    if (!resp) {
        *why_r = "no Response element";
        return -1;
    }
    if (!ns_is(resp, NS_OUTLOOK) && !ns_is(resp, NS_RESPONSE)) {
        *why_r = apr_psprintf(pool, "the Response is in namespace %.200s, not " NS_OUTLOOK,
                              resp->ns && resp->ns->href ? (const char *)resp->ns->href
                                                         : "(none)");
        return -1;
    }
    const xmlNode *err = child(resp, "Error");
    if (err)
        return read_error(err, pool, r, why_r);
    const xmlNode *account = child(resp, "Account");
    if (!account) {
        *why_r = "the Response has neither Error nor Account";
        return -1;
    }
    err = child(account, "Error");
    if (err)
        return read_error(err, pool, r, why_r);
    const char *action = child_text(account, "Action", pool);
    if (!action) {
        *why_r = "the Account has no Action";
        return -1;
    }
    if (strcasecmp(action, "redirectAddr") == 0) {
        r->action = MH_ADC_REDIRECT_ADDR;
        r->redirect_addr = child_text(account, "RedirectAddr", pool);
        if (!r->redirect_addr) {
            *why_r = "Action redirectAddr without a RedirectAddr";
            return -1;
        }
        return 0;
    }
    if (strcasecmp(action, "redirectUrl") == 0) {
        r->action = MH_ADC_REDIRECT_URL;
        r->redirect_url = child_text(account, "RedirectUrl", pool);
        if (!r->redirect_url) {
            *why_r = "Action redirectUrl without a RedirectUrl";
            return -1;
        }
        return 0;
    }
    if (strcasecmp(action, "settings") != 0) {
        *why_r = apr_psprintf(pool, "unknown Action \"%.64s\"", action);
        return -1;
    }
    r->action = MH_ADC_SETTINGS;
    const xmlNode *user = child(resp, "User");
    if (!user) {
        /* MS-OXDSCLI 3.2.5: a settings answer has a User element */
        *why_r = "Action settings without a User element";
        return -1;
    }
    r->display_name = child_text(user, "DisplayName", pool);
    r->legacy_dn = child_text(user, "LegacyDN", pool);
    r->smtp = child_text(user, "AutoDiscoverSMTPAddress", pool);
    r->deployment_id = child_text(user, "DeploymentId", pool);
    find_protocols(account, pool, r, 0);
    return 0;
}

int mh_adc_parse_response(const void *body, size_t len, apr_pool_t *pool, mh_adc_response *r,
                          const char **why_r)
{
    memset(r, 0, sizeof(*r));
    *why_r = NULL;
    if (!body || len == 0) {
        *why_r = "the response body is empty";
        return -1;
    }
    if (len > MH_ADC_MAX_RESPONSE) {
        *why_r = apr_psprintf(pool, "the response body is larger than %d bytes",
                              MH_ADC_MAX_RESPONSE);
        return -1;
    }
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        *why_r = "out of memory";
        return -1;
    }
    guard g = {0};
    ctxt->_private = &g;
    ctxt->sax->internalSubset = refuse_dtd;
    ctxt->sax->serror = quiet;
    /* no network, no entity substitution (no XML_PARSE_NOENT), libxml2's
     * default size and depth limits (no XML_PARSE_HUGE), nothing printed */
    int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, body, (int)len, "autodiscover-response.xml", NULL,
                                      options);
    int rc = -1;
    if (g.dtd) {
        *why_r = "the response has a DOCTYPE (DTDs and entities are refused)";
    } else if (!doc || !ctxt->wellFormed) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        char *w = apr_psprintf(pool, "not well-formed XML%s%.200s", e && e->message ? ": " : "",
                               e && e->message ? e->message : "");
        char *nl = strchr(w, '\n');
        if (nl)
            *nl = 0;
        *why_r = w;
    } else {
        rc = read_response(xmlDocGetRootElement(doc), pool, r, why_r);
    }
    if (doc)
        xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);
    if (rc != 0)
        memset(r, 0, sizeof(*r));
    return rc;
}

const char *mh_adc_error_meaning(int code)
{
    switch (code) {
    case 500: return "the server knows no mailbox for this address (or this user may not "
                     "see it)";
    case 501: return "the address is known but has no settings to give (no mailbox?)";
    case 600: return "the server could not read the request (Invalid Request)";
    case 601: return "the server does not offer the outlook response schema";
    case 602: return "the address is known but its settings are misconfigured";
    case 603: return "the server failed (Internal Server Error): see its error log";
    default: return NULL;
    }
}

/* ----------------------------------------------------------- one call */

int mh_adc_post(mh_client *conn, apr_pool_t *pool, const char *path, const char *user,
                const char *password, const char *email, const char *legacy_dn,
                mh_adc_call *out)
{
    memset(out, 0, sizeof(*out));
    size_t len;
    out->request = mh_adc_request_body(pool, email, legacy_dn, &len);
    apr_table_t *h = apr_table_make(pool, 6);
    apr_table_set(h, "Content-Type", "text/xml; charset=utf-8");
    apr_table_set(h, "X-MapiHttpCapability", "1");
    if (email)
        apr_table_set(h, "X-AnchorMailbox", email);
    if (user) {
        const char *up = apr_pstrcat(pool, user, ":", password ? password : "", NULL);
        char *enc = apr_palloc(pool, (apr_size_t)apr_base64_encode_len((int)strlen(up)));
        apr_base64_encode(enc, up, (int)strlen(up));
        apr_table_set(h, "Authorization", apr_pstrcat(pool, "Basic ", enc, NULL));
    }
    mh_response *r = NULL;
    if (mh_client_request(conn, pool, "POST", path, h, out->request, len, &r) != APR_SUCCESS ||
        !r) {
        out->why = mh_client_error(conn);
        return -1;
    }
    out->http = r;
    if (r->status == 200)
        out->parsed = mh_adc_parse_response(r->body, r->body_len, pool, &out->resp,
                                            &out->why) == 0;
    return 0;
}
