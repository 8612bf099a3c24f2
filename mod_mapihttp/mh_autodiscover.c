/*
 * mh_autodiscover.c - Autodiscover (MS-OXDSCLI POX, and the JSON form):
 * request parsing, the directory and rights decisions, response bodies.
 * See mh_autodiscover.h.
 */
#include "mh_autodiscover.h"
#include "mh_backend.h"
#include "mh_legacydn.h"
#include "mh_log.h"
#include "mh_rop.h"

#include <string.h>
#include <strings.h>

#include <apr_md5.h>
#include <apr_strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

/* The MAPI/HTTP version we speak (MS-OXCMAPIHTTP); the Version attribute
 * may not exceed what the client's X-MapiHttpCapability allows. */
#define MH_AD_MAPIHTTP_VERSION 1u

#define POX_PATH "/autodiscover/autodiscover.xml"
#define JSON_PATH "/autodiscover/autodiscover.json"

mh_ad_endpoint mh_ad_endpoint_from_path(const char *path)
{
    if (!path)
        return MH_AD_EP_NONE;
    if (strcasecmp(path, POX_PATH) == 0)
        return MH_AD_EP_POX;
    size_t n = sizeof(JSON_PATH) - 1;
    if (strncasecmp(path, JSON_PATH, n) == 0 && (path[n] == '\0' || path[n] == '/'))
        return MH_AD_EP_JSON;
    return MH_AD_EP_NONE;
}

void mh_ad_init(void)
{
    xmlInitParser();
}

/* ------------------------------------------------------ string builder */

typedef struct sb {
    apr_pool_t *pool;
    char *buf;
    size_t len, cap;
} sb;

static void sb_init(sb *b, apr_pool_t *pool)
{
    b->pool = pool;
    b->cap = 2048;
    b->len = 0;
    b->buf = apr_palloc(pool, b->cap);
}

static void sb_add(sb *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap * 2;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *nb = apr_palloc(b->pool, cap);
        memcpy(nb, b->buf, b->len);
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = 0;
}

static void sb_str(sb *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/*
 * The length of the valid UTF-8 sequence at s (1-4) and its code point, or
 * 0 when the bytes there are no valid UTF-8 (overlong forms, surrogates and
 * values past U+10FFFF included).
 */
static size_t utf8_char(const unsigned char *s, uint32_t *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t n;
    uint32_t v, min;
    if ((c & 0xE0) == 0xC0) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0; /* also stops at the terminating NUL */
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

/* Text for an XML element or attribute value. */
static void sb_xml(sb *b, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    while (*s) {
        uint32_t cp;
        size_t n = utf8_char(s, &cp);
        if (n == 0) {
            sb_add(b, "?", 1);
            s++;
            continue;
        }
        switch (cp) {
        case '&': sb_str(b, "&amp;"); break;
        case '<': sb_str(b, "&lt;"); break;
        case '>': sb_str(b, "&gt;"); break;
        case '"': sb_str(b, "&quot;"); break;
        case '\'': sb_str(b, "&apos;"); break;
        default:
            /* XML 1.0 Char: no C0 controls but tab, LF, CR; no U+FFFE/FFFF */
            if ((cp < 0x20 && cp != 0x9 && cp != 0xA && cp != 0xD) || cp == 0xFFFE ||
                cp == 0xFFFF)
                sb_add(b, "?", 1);
            else
                sb_add(b, (const char *)s, n);
        }
        s += n;
    }
}

/* Text for a JSON string (without the quotes). */
static void sb_json(sb *b, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    while (*s) {
        uint32_t cp;
        size_t n = utf8_char(s, &cp);
        if (n == 0) {
            sb_add(b, "?", 1);
            s++;
            continue;
        }
        if (cp == '"' || cp == '\\') {
            char e[2] = {'\\', (char)cp};
            sb_add(b, e, 2);
        } else if (cp < 0x20) {
            char e[8];
            apr_snprintf(e, sizeof(e), "\\u%04x", (unsigned)cp);
            sb_str(b, e);
        } else {
            sb_add(b, (const char *)s, n);
        }
        s += n;
    }
}

/* "<indent><name>text</name>\n"; nothing when text is NULL. */
static void sb_elem(sb *b, int indent, const char *name, const char *text)
{
    if (!text)
        return;
    for (int i = 0; i < indent; i++)
        sb_add(b, " ", 1);
    sb_str(b, "<");
    sb_str(b, name);
    sb_str(b, ">");
    sb_xml(b, text);
    sb_str(b, "</");
    sb_str(b, name);
    sb_str(b, ">\n");
}

/* ---------------------------------------------------------- validation */

static int is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int mh_ad_valid_domain(const char *d, size_t len)
{
    if (len == 0 || len > 253)
        return 0;
    size_t label = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)d[i];
        if (c == '.') {
            if (label == 0 || d[i - 1] == '-')
                return 0; /* empty label, or one ending in '-' */
            label = 0;
            continue;
        }
        if (!(is_alnum(c) || c >= 0x80 || (c == '-' && label > 0)))
            return 0;
        if (++label > 63)
            return 0;
    }
    return label > 0 && d[len - 1] != '-';
}

int mh_ad_valid_address(const char *a)
{
    if (!a)
        return 0;
    size_t n = strlen(a);
    const char *at = strchr(a, '@');
    if (n > 320 || !at || strchr(at + 1, '@') || at == a || at - a > 64)
        return 0;
    for (const char *p = a; p < at; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7F || strchr("<>\"\\(),;:[]", c))
            return 0;
    }
    return mh_ad_valid_domain(at + 1, n - (size_t)(at + 1 - a));
}

/* A host[:port] (or [v6][:port]) as a URL authority may hold it. */
static int valid_hostport(const char *h, size_t len)
{
    const char *colon = NULL;
    size_t hostlen = len;
    if (len && h[0] == '[') {
        const char *close = memchr(h, ']', len);
        if (!close || close - h < 3)
            return 0;
        for (const char *p = h + 1; p < close; p++)
            if (!(is_alnum((unsigned char)*p) || *p == ':' || *p == '.'))
                return 0;
        hostlen = (size_t)(close - h) + 1;
        if (hostlen < len && h[hostlen] != ':')
            return 0;
        colon = hostlen < len ? h + hostlen : NULL;
    } else {
        colon = memchr(h, ':', len);
        if (colon)
            hostlen = (size_t)(colon - h);
        for (size_t i = 0; i < hostlen; i++) {
            unsigned char c = (unsigned char)h[i];
            if (!(is_alnum(c) || c == '-' || c == '.'))
                return 0;
        }
        if (!mh_ad_valid_domain(h, hostlen))
            return 0;
    }
    if (colon) {
        size_t digits = len - (size_t)(colon + 1 - h);
        if (digits == 0 || digits > 5)
            return 0;
        unsigned port = 0;
        for (size_t i = 0; i < digits; i++) {
            if (colon[1 + i] < '0' || colon[1 + i] > '9')
                return 0;
            port = port * 10 + (unsigned)(colon[1 + i] - '0');
        }
        if (port == 0 || port > 65535)
            return 0;
    }
    return 1;
}

const char *mh_ad_base_url_check(const char *url, apr_pool_t *pool, const char **norm_r)
{
    const char *rest;
    const char *scheme;
    if (strncasecmp(url, "https://", 8) == 0)
        scheme = "https://", rest = url + 8;
    else if (strncasecmp(url, "http://", 7) == 0)
        scheme = "http://", rest = url + 7;
    else
        return "give an absolute http:// or https:// URL such as https://mail.example.com "
               "(Outlook needs https)";
    size_t n = strcspn(rest, "/?#");
    if (strchr(rest, '@') && (size_t)(strchr(rest, '@') - rest) < n)
        return "the URL must not hold a user name";
    if (!valid_hostport(rest, n))
        return "the URL needs a host name and optionally a port (1-65535)";
    if (rest[n] && strcmp(rest + n, "/") != 0)
        return "give the server's base URL without a path: the module adds /mapi/emsmdb/ "
               "and /mapi/nspi/ (MAPI/HTTP is served under /mapi/)";
    char *norm = apr_pstrcat(pool, scheme, apr_pstrmemdup(pool, rest, n), NULL);
    for (char *p = norm; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    *norm_r = norm;
    return NULL;
}

const char *mh_ad_redirect_check(const char *domain, const char *target, apr_pool_t *pool,
                                 mh_ad_redirect *r)
{
    memset(r, 0, sizeof(*r));
    if (!mh_ad_valid_domain(domain, strlen(domain)))
        return apr_psprintf(pool, "'%s' is not a domain name", domain);
    char *d = apr_pstrdup(pool, domain);
    for (char *p = d; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    r->domain = d;
    if (target[0] == '@') {
        if (!mh_ad_valid_domain(target + 1, strlen(target + 1)))
            return apr_psprintf(pool, "'%s' is not @ and a domain name", target);
        if (strcasecmp(target + 1, d) == 0)
            return "a domain cannot redirect to itself";
        r->to_domain = apr_pstrdup(pool, target + 1);
        return NULL;
    }
    const char *norm;
    if (strncasecmp(target, "http://", 7) != 0 && strncasecmp(target, "https://", 8) != 0)
        return "give the target as @DOMAIN (addresses move to that domain) or as the "
               "https:// URL of the Autodiscover server that serves the domain";
    const char *auth = strstr(target, "//") + 2;
    size_t n = strcspn(auth, "/?#");
    if (!valid_hostport(auth, n) || mh_ad_base_url_check(
            apr_pstrmemdup(pool, target, (size_t)(auth + n - target)), pool, &norm))
        return apr_psprintf(pool, "'%s' is not a usable URL", target);
    for (const char *p = target; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7F)
            return apr_psprintf(pool, "'%s' is not a usable URL", target);
    r->url = apr_pstrdup(pool, target);
    return NULL;
}

/* ------------------------------------------------------------- parsing */

typedef struct parse_guard {
    int dtd; /* the document has a DOCTYPE: refused */
} parse_guard;

/* Called at "<!DOCTYPE": before any declaration in it is read. */
static void refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
                           const xmlChar *system_id)
{
    (void)name;
    (void)external_id;
    (void)system_id;
    xmlParserCtxtPtr c = ctx;
    ((parse_guard *)c->_private)->dtd = 1;
    xmlStopParser(c);
}

/* Never reached (the DOCTYPE stops the parser first); refuses all the same. */
static void refuse_entity(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                          const xmlChar *system_id, xmlChar *content)
{
    (void)name;
    (void)type;
    (void)public_id;
    (void)system_id;
    (void)content;
    xmlParserCtxtPtr c = ctx;
    ((parse_guard *)c->_private)->dtd = 1;
    xmlStopParser(c);
}

/* Errors are kept in the context (lastError), not printed. */
#if LIBXML_VERSION >= 21200
static void quiet_error(void *data, const xmlError *e)
#else
static void quiet_error(void *data, xmlErrorPtr e)
#endif
{
    (void)data;
    (void)e;
}

/* Whether a namespace or schema URI is `want`, or its https:// variant (the
 * POX reference pages print them so; clients copied that). */
static int uri_is(const char *have, const char *want)
{
    if (!have)
        return 0;
    if (strcmp(have, want) == 0)
        return 1;
    return strncmp(have, "https://", 8) == 0 && strncmp(want, "http://", 7) == 0 &&
           strcmp(have + 8, want + 7) == 0;
}

static int in_ns(const xmlNode *n, const char *ns)
{
    return n->ns && uri_is((const char *)n->ns->href, ns);
}

static int is_blank(const xmlChar *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return 0;
    return 1;
}

/* The text of an element that holds only text (and comments), trimmed.
 * NULL when it holds anything else. */
static const char *text_of(const xmlNode *el, apr_pool_t *pool)
{
    const char *text = "";
    for (const xmlNode *c = el->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
            text = apr_pstrcat(pool, text, c->content ? (const char *)c->content : "", NULL);
        else if (c->type != XML_COMMENT_NODE)
            return NULL;
    }
    const char *s = text, *e = text + strlen(text);
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        e--;
    return apr_pstrmemdup(pool, s, (size_t)(e - s));
}

/* Walks the parsed document (MS-OXDSCLI 2.2.3). */
static int read_request(const xmlDoc *doc, apr_pool_t *pool, mh_ad_request *req,
                        const char **why_r)
{
    const xmlNode *root = xmlDocGetRootElement((xmlDoc *)doc);
    if (!root || strcmp((const char *)root->name, "Autodiscover") != 0 ||
        !in_ns(root, MH_AD_NS_REQUEST)) {
        *why_r = "the root element is not Autodiscover in namespace " MH_AD_NS_REQUEST;
        return MH_AD_E_INVALID;
    }
    const xmlNode *request = NULL;
    for (const xmlNode *c = root->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE && !is_blank(c->content)) {
            *why_r = "text directly inside Autodiscover";
            return MH_AD_E_INVALID;
        }
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp((const char *)c->name, "Request") != 0 || !in_ns(c, MH_AD_NS_REQUEST)) {
            *why_r = apr_psprintf(pool, "unexpected element %.64s inside Autodiscover",
                                  (const char *)c->name);
            return MH_AD_E_INVALID;
        }
        if (request) {
            *why_r = "more than one Request";
            return MH_AD_E_INVALID;
        }
        request = c;
    }
    if (!request) {
        *why_r = "no Request element";
        return MH_AD_E_INVALID;
    }
    static const char *const names[] = {"EMailAddress", "LegacyDN", "AcceptableResponseSchema"};
    const char *values[3] = {NULL, NULL, NULL};
    for (const xmlNode *c = request->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE && !is_blank(c->content)) {
            *why_r = "text directly inside Request";
            return MH_AD_E_INVALID;
        }
        if (c->type != XML_ELEMENT_NODE || !in_ns(c, MH_AD_NS_REQUEST))
            continue; /* elements of other namespaces: not ours to judge */
        for (int i = 0; i < 3; i++) {
            if (strcmp((const char *)c->name, names[i]) != 0)
                continue;
            if (values[i]) {
                *why_r = apr_psprintf(pool, "%s given twice", names[i]);
                return MH_AD_E_INVALID;
            }
            values[i] = text_of(c, pool);
            if (!values[i]) {
                *why_r = apr_psprintf(pool, "%s holds elements, not text", names[i]);
                return MH_AD_E_INVALID;
            }
        }
    }
    req->email = values[0] && *values[0] ? values[0] : NULL;
    req->legacy_dn = values[1] && *values[1] ? values[1] : NULL;
    req->schema = values[2];
    if (!req->schema || !*req->schema) {
        *why_r = "no AcceptableResponseSchema";
        return MH_AD_E_INVALID;
    }
    if (!req->email && !req->legacy_dn) {
        *why_r = "neither EMailAddress nor LegacyDN";
        return MH_AD_E_INVALID;
    }
    if (req->email && !mh_ad_valid_address(req->email)) {
        *why_r = "EMailAddress is not an e-mail address";
        return MH_AD_E_INVALID;
    }
    if (req->legacy_dn) {
        size_t n = strlen(req->legacy_dn);
        int ok = n <= 1024 && req->legacy_dn[0] == '/';
        for (size_t i = 0; ok && i < n; i++)
            ok = req->legacy_dn[i] >= 0x20 && req->legacy_dn[i] <= 0x7E;
        if (!ok) {
            *why_r = "LegacyDN is not a legacy DN (printable ASCII, starting with /)";
            return MH_AD_E_INVALID;
        }
    }
    if (!uri_is(req->schema, MH_AD_NS_OUTLOOK)) {
        *why_r = apr_psprintf(pool, "AcceptableResponseSchema %.200s is not offered (only "
                              MH_AD_NS_OUTLOOK ")", req->schema);
        return MH_AD_E_SCHEMA;
    }
    return MH_AD_OK;
}

int mh_ad_parse_request(const void *body, size_t len, apr_pool_t *pool, mh_ad_request *req,
                        const char **why_r)
{
    memset(req, 0, sizeof(*req));
    *why_r = NULL;
    if (!body || len == 0) {
        *why_r = "empty request body";
        return MH_AD_E_INVALID;
    }
    if (len > MH_AD_MAX_REQUEST) {
        *why_r = "request body too large";
        return MH_AD_E_INVALID;
    }
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        *why_r = "out of memory";
        return MH_AD_E_INVALID;
    }
    parse_guard guard = {0};
    ctxt->_private = &guard;
    ctxt->sax->internalSubset = refuse_doctype;
    ctxt->sax->entityDecl = refuse_entity;
    ctxt->sax->serror = quiet_error;
    /* no network, no DTD loading, no entity substitution (XML_PARSE_NOENT
     * is deliberately absent), default size and depth limits (no
     * XML_PARSE_HUGE), nothing printed */
    int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, body, (int)len, "autodiscover.xml", NULL, options);
    int rc;
    if (guard.dtd) {
        *why_r = "the request has a DOCTYPE (DTDs and entities are refused)";
        rc = MH_AD_E_INVALID;
    } else if (!doc || !ctxt->wellFormed) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        *why_r = apr_psprintf(pool, "not well-formed XML%s%.200s", e && e->message ? ": " : "",
                              e && e->message ? e->message : "");
        /* libxml2 messages end in a newline */
        char *nl = strchr(*why_r, '\n');
        if (nl)
            *nl = 0;
        rc = MH_AD_E_INVALID;
    } else {
        rc = read_request(doc, pool, req, why_r);
    }
    if (doc)
        xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);
    return rc;
}

/* ------------------------------------------------------------ builders */

static void pox_head(sb *b, const char *response_ns)
{
    sb_str(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
              "<Autodiscover xmlns=\"" MH_AD_NS_RESPONSE "\">\n");
    if (response_ns) {
        sb_str(b, "  <Response xmlns=\"");
        sb_str(b, response_ns);
        sb_str(b, "\">\n");
    } else {
        sb_str(b, "  <Response>\n");
    }
}

static const char *pox_tail(sb *b, size_t *len_r)
{
    sb_str(b, "  </Response>\n</Autodiscover>\n");
    *len_r = b->len;
    return b->buf;
}

/* MS-OXDSCLI 2.2.4.1.1.1 User, 2.2.4.1.1.2 Account, 2.2.4.1.1.2.6 Protocol;
 * the layout of section 4.4, without the RPC/HTTP blocks we do not serve. */
const char *mh_ad_pox_settings(apr_pool_t *pool, const mh_ad_settings *s, size_t *len_r)
{
    sb b;
    sb_init(&b, pool);
    pox_head(&b, MH_AD_NS_OUTLOOK);
    sb_str(&b, "    <User>\n");
    sb_elem(&b, 6, "DisplayName", s->display_name);
    sb_elem(&b, 6, "LegacyDN", s->legacy_dn);
    sb_elem(&b, 6, "AutoDiscoverSMTPAddress", s->smtp);
    sb_elem(&b, 6, "DeploymentId", s->deployment_id);
    sb_str(&b, "    </User>\n"
               "    <Account>\n"
               "      <AccountType>email</AccountType>\n"
               "      <Action>settings</Action>\n"
               "      <MicrosoftOnline>False</MicrosoftOnline>\n");
    sb_str(&b, apr_psprintf(pool, "      <Protocol Type=\"mapiHttp\" Version=\"%u\">\n",
                            s->version ? s->version : 1u));
    sb_str(&b, "        <MailStore>\n");
    sb_elem(&b, 10, "InternalUrl", s->emsmdb_internal);
    sb_elem(&b, 10, "ExternalUrl", s->emsmdb_external);
    sb_str(&b, "        </MailStore>\n"
               "        <AddressBook>\n");
    sb_elem(&b, 10, "InternalUrl", s->nspi_internal);
    sb_elem(&b, 10, "ExternalUrl", s->nspi_external);
    sb_str(&b, "        </AddressBook>\n"
               "      </Protocol>\n"
               "    </Account>\n");
    return pox_tail(&b, len_r);
}

/* MS-OXDSCLI 2.2.4.1.1.2.8, the example of section 4.2 */
const char *mh_ad_pox_redirect_addr(apr_pool_t *pool, const char *addr, size_t *len_r)
{
    sb b;
    sb_init(&b, pool);
    pox_head(&b, MH_AD_NS_OUTLOOK);
    sb_str(&b, "    <Account>\n"
               "      <Action>redirectAddr</Action>\n");
    sb_elem(&b, 6, "RedirectAddr", addr);
    sb_str(&b, "    </Account>\n");
    return pox_tail(&b, len_r);
}

/* MS-OXDSCLI 2.2.4.1.1.3: Error in a Response of the generic namespace, as
 * Exchange answers; Time is the time of day, Id names the server. */
const char *mh_ad_pox_error(apr_pool_t *pool, int code, const char *message, apr_time_t now,
                            uint32_t server_id, size_t *len_r)
{
    apr_time_exp_t tm;
    apr_time_exp_gmt(&tm, now);
    sb b;
    sb_init(&b, pool);
    pox_head(&b, NULL);
    sb_str(&b, apr_psprintf(pool,
                            "    <Error Time=\"%02d:%02d:%02d.%07d\" Id=\"%u\">\n"
                            "      <ErrorCode>%d</ErrorCode>\n",
                            tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_usec * 10,
                            (unsigned)server_id, code));
    sb_elem(&b, 6, "Message", message ? message : "");
    sb_str(&b, "      <DebugData />\n"
               "    </Error>\n");
    return pox_tail(&b, len_r);
}

const char *mh_ad_json_url(apr_pool_t *pool, const char *protocol, const char *url,
                           size_t *len_r)
{
    sb b;
    sb_init(&b, pool);
    sb_str(&b, "{\"Protocol\":\"");
    sb_json(&b, protocol);
    sb_str(&b, "\",\"Url\":\"");
    sb_json(&b, url);
    sb_str(&b, "\"}");
    *len_r = b.len;
    return b.buf;
}

const char *mh_ad_json_error(apr_pool_t *pool, const char *code, const char *message,
                             size_t *len_r)
{
    sb b;
    sb_init(&b, pool);
    sb_str(&b, "{\"ErrorCode\":\"");
    sb_json(&b, code);
    sb_str(&b, "\",\"ErrorMessage\":\"");
    sb_json(&b, message);
    sb_str(&b, "\"}");
    *len_r = b.len;
    return b.buf;
}

const char *mh_ad_deployment_id(apr_pool_t *pool, const char *organization)
{
    if (!organization)
        organization = MH_DEFAULT_ORGANIZATION;
    /* organization names compare case-insensitively (as legacy DNs do) */
    char *folded = apr_pstrcat(pool, "mod_mapihttp deployment:", organization, NULL);
    for (char *p = folded; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    unsigned char d[APR_MD5_DIGESTSIZE];
    apr_md5(d, folded, strlen(folded));
    d[6] = (unsigned char)((d[6] & 0x0F) | 0x30); /* version 3: name-based, MD5 */
    d[8] = (unsigned char)((d[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    return apr_psprintf(pool,
                        "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                        d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11],
                        d[12], d[13], d[14], d[15]);
}

/* A GUID as text, Data1..Data3 read little-endian (as the wire holds them). */
const char *mh_ad_guid_text(apr_pool_t *pool, const mh_guid *g)
{
    const uint8_t *b = g->b;
    return apr_psprintf(pool,
                        "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                        b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11],
                        b[12], b[13], b[14], b[15]);
}

/* Percent-encodes what is not unreserved (RFC 3986) or '@'. */
static const char *url_escape(apr_pool_t *pool, const char *s)
{
    sb b;
    sb_init(&b, pool);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (is_alnum(*p) || strchr("-._~@", *p)) {
            sb_add(&b, (const char *)p, 1);
        } else {
            char e[4];
            apr_snprintf(e, sizeof(e), "%%%02X", *p);
            sb_add(&b, e, 3);
        }
    }
    return b.buf;
}

const char *mh_ad_mailbox_url(apr_pool_t *pool, const char *base, const char *server,
                              const char *endpoint, const mh_guid *mailbox, const char *domain)
{
    const char *sep = strstr(base, "://");
    if (!sep)
        return NULL;
    const char *scheme = apr_pstrmemdup(pool, base, (size_t)(sep + 3 - base));
    const char *authority = sep + 3;
    if (server) {
        size_t n = strlen(server);
        if (!valid_hostport(server, n))
            return NULL;
        int has_port = server[0] == '[' ? strstr(server, "]:") != NULL : strchr(server, ':') != NULL;
        const char *port = NULL;
        if (!has_port) {
            /* keep the base URL's port: the servers of a deployment share it */
            const char *p = authority[0] == '[' ? strstr(authority, "]:") : NULL;
            port = p ? p + 1 : authority[0] == '[' ? NULL : strchr(authority, ':');
        }
        authority = apr_pstrcat(pool, server, port ? port : "", NULL);
    }
    return apr_pstrcat(pool, scheme, authority, "/mapi/", endpoint, "/?MailboxId=",
                       mh_ad_guid_text(pool, mailbox), "@", url_escape(pool, domain), NULL);
}

/* ------------------------------------------------------------- serving */

static const char *domain_of(const char *addr)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    return at ? at + 1 : NULL;
}

/* The host of a base URL ("scheme://host[:port]"). */
static const char *host_of(apr_pool_t *pool, const char *base)
{
    const char *a = strstr(base, "://");
    a = a ? a + 3 : base;
    if (a[0] == '[') {
        const char *e = strchr(a, ']');
        return e ? apr_pstrmemdup(pool, a, (size_t)(e + 1 - a)) : a;
    }
    return apr_pstrmemdup(pool, a, strcspn(a, ":/"));
}

static const mh_ad_redirect *find_redirect(const mh_ad_config *cfg, const char *domain)
{
    for (int i = 0; domain && i < cfg->n_redirects; i++)
        if (strcasecmp(cfg->redirects[i].domain, domain) == 0)
            return &cfg->redirects[i];
    return NULL;
}

/* The outcome of looking an address up. */
typedef struct ad_result {
    int code;                  /* MH_AD_OK or an MH_AD_E_* */
    const char *diag;          /* why, for the log */
    const char *redirect_url;  /* send the client to this Autodiscover URL */
    const char *redirect_addr; /* ask again with this address */
    mh_ad_settings s;
} ad_result;

static void internal(ad_result *r, apr_pool_t *pool, const char *what, mh_err e,
                     const mh_error *err)
{
    r->code = MH_AD_E_INTERNAL;
    r->diag = apr_psprintf(pool, "%s: %s", what,
                           err && err->detail ? err->detail : mh_err_name(e));
}

/* The default folders whose permissions decide whether a user may see a
 * mailbox (see mh_autodiscover.h). */
static const mh_special_folder rights_folders[] = {
    MH_SF_ROOT,     MH_SF_IPM_SUBTREE, MH_SF_INBOX,      MH_SF_CALENDAR,
    MH_SF_CONTACTS, MH_SF_TASKS,       MH_SF_NOTES,      MH_SF_JOURNAL,
    MH_SF_DRAFTS,   MH_SF_SENT_ITEMS,  MH_SF_DELETED_ITEMS, MH_SF_OUTBOX,
};

/*
 * Whether `me` holds read or folder-visible rights in the mailbox of
 * `owner`.  MH_E_NOT_FOUND: the mailbox is not in this backend.
 */
static mh_err mailbox_rights(const mh_be *b, const mh_dir_entry *me, const mh_dir_entry *owner,
                             apr_pool_t *pool, int *granted_r, mh_error *err)
{
    *granted_r = 0;
    mh_betxn *t;
    mh_err e = mh_be_begin(b, &owner->mailbox, MH_TXN_READ, pool, &t, err);
    if (e != MH_OK)
        return e;
    mh_mailbox_info mi;
    e = mh_be_mailbox_info(t, &mi, err);
    mh_logon lg;
    memset(&lg, 0, sizeof(lg));
    lg.mailbox = owner->mailbox;
    lg.owner = owner->id;
    lg.user = me->id;
    lg.own = 0;
    for (size_t i = 0; e == MH_OK && i < sizeof(rights_folders) / sizeof(rights_folders[0]);
         i++) {
        mh_id fid = mi.special[rights_folders[i]];
        if (!fid)
            continue;
        uint32_t rights = 0;
        uint32_t ec = mh_folder_rights(NULL, &lg, t, fid, &rights);
        if (ec == MAPI_E_NOT_FOUND)
            continue; /* a default folder the owner deleted */
        if (ec) {
            e = mh_fail(err, pool, MH_E_INTERNAL, "reading the permissions of folder %"
                        APR_UINT64_T_FMT " failed (0x%08x)", (apr_uint64_t)fid, (unsigned)ec);
            break;
        }
        if (rights & (FRIGHTS_READ_ANY | FRIGHTS_VISIBLE)) {
            *granted_r = 1;
            break;
        }
    }
    mh_be_abort(t);
    return e;
}

/* The settings of `target`'s mailbox. */
static void fill_settings(const mh_ad_config *cfg, const mh_ad_in *in, const mh_dir_entry *target,
                          const char *asked, apr_pool_t *pool, ad_result *r)
{
    const char *ext = cfg->external_url ? cfg->external_url : in->self_url;
    const char *in_base = cfg->internal_url ? cfg->internal_url : ext;
    if (!ext) {
        r->code = MH_AD_E_INTERNAL;
        r->diag = "no base URL (MapiHttpExternalUrl) and none from the request";
        return;
    }
    const char *domain = domain_of(target->smtp);
    if (!domain)
        domain = domain_of(asked);
    if (!domain)
        domain = host_of(pool, ext);
    const char *server = target->server && *target->server ? target->server : NULL;
    mh_ad_settings *s = &r->s;
    s->emsmdb_external = mh_ad_mailbox_url(pool, ext, server, "emsmdb", &target->mailbox, domain);
    s->emsmdb_internal = mh_ad_mailbox_url(pool, in_base, server, "emsmdb", &target->mailbox,
                                           domain);
    s->nspi_external = mh_ad_mailbox_url(pool, ext, server, "nspi", &target->mailbox, domain);
    s->nspi_internal = mh_ad_mailbox_url(pool, in_base, server, "nspi", &target->mailbox, domain);
    if (!s->emsmdb_external || !s->emsmdb_internal || !s->nspi_external || !s->nspi_internal) {
        mh_log(MH_LOG_ERR, MHLOGNO(01601) "directory entry %u (%s) names the mailbox server "
               "'%.200s', which is not a host name: Autodiscover cannot answer for it",
               target->id, target->login ? target->login : "-", server ? server : "-");
        r->code = MH_AD_E_INTERNAL;
        r->diag = "the directory names a mailbox server that is not a host name";
        return;
    }
    s->display_name = target->display_name && *target->display_name ? target->display_name
                      : target->login                                 ? target->login
                                                                      : target->smtp;
    /* the stored one, or (a directory that keeps none) the scheme's */
    s->legacy_dn = mh_entry_legacy_dn(pool, cfg->legacy_dn_scheme, cfg->organization, target);
    s->smtp = target->smtp ? target->smtp : asked;
    s->deployment_id = mh_ad_deployment_id(pool, cfg->organization);
    s->version = MH_AD_MAPIHTTP_VERSION;
    r->code = MH_AD_OK;
}

/*
 * Looks up the address (or legacy DN) for the authenticated user and
 * decides: settings, a redirect, or an error.
 */
static void resolve(const mh_ad_config *cfg, const mh_be *b, const mh_ad_in *in,
                    const char *email, const char *dn, apr_pool_t *pool, ad_result *r)
{
    memset(r, 0, sizeof(*r));
    if (!b) {
        r->code = MH_AD_E_INTERNAL;
        r->diag = "no MapiHttpBackend applies to this server";
        return;
    }
    mh_betxn *t;
    mh_error err = {MH_OK, NULL};
    mh_err e = mh_be_begin(b, NULL, MH_TXN_READ, pool, &t, &err);
    if (e != MH_OK) {
        internal(r, pool, "cannot read the directory", e, &err);
        return;
    }
    mh_dir_entry me, target;
    e = mh_be_dir_find(t, MH_DIR_BY_LOGIN, in->user, &me, &err);
    int me_found = e == MH_OK;
    if (me_found)
        e = dn ? mh_be_dir_find(t, MH_DIR_BY_LEGACY_DN, dn, &target, &err)
               : mh_be_dir_find(t, MH_DIR_BY_SMTP, email, &target, &err);
    mh_be_abort(t);
    if (!me_found && e == MH_E_NOT_FOUND) {
        r->code = MH_AD_E_NOT_FOUND;
        r->diag = apr_psprintf(pool, "the authenticated user %s has no directory entry",
                               in->user);
        return;
    }
    if (e == MH_E_NOT_FOUND) {
        /* the directory first: a domain moving elsewhere may keep some
         * mailboxes here */
        const mh_ad_redirect *rd = dn ? NULL : find_redirect(cfg, domain_of(email));
        if (rd && rd->url) {
            r->redirect_url = rd->url;
            r->diag = apr_psprintf(pool, "domain %s is served by %s", rd->domain, rd->url);
        } else if (rd) {
            const char *at = strrchr(email, '@');
            r->redirect_addr = apr_pstrcat(pool, apr_pstrmemdup(pool, email, (size_t)(at - email)),
                                           "@", rd->to_domain, NULL);
            r->diag = apr_psprintf(pool, "domain %s moved to %s", rd->domain, rd->to_domain);
        } else {
            r->code = MH_AD_E_NOT_FOUND;
            r->diag = "no directory entry has this address";
        }
        return;
    }
    if (e != MH_OK) {
        internal(r, pool, "cannot read the directory", e, &err);
        return;
    }
    if (me.disabled) {
        r->code = MH_AD_E_NO_SETTINGS;
        r->diag = apr_psprintf(pool, "the user %s is disabled", in->user);
        return;
    }
    const char *asked = email;
    if (target.id == me.id) {
        if (target.type != MH_DIR_USER || !target.has_mailbox) {
            r->code = MH_AD_E_NO_SETTINGS;
            r->diag = "the user has no mailbox";
            return;
        }
        fill_settings(cfg, in, &target, asked, pool, r);
        if (r->code == MH_AD_OK)
            r->diag = "own mailbox";
        return;
    }
    /* another entry: a mailbox the user holds rights in, or nothing */
    if (target.type != MH_DIR_USER || !target.has_mailbox || target.disabled) {
        r->code = MH_AD_E_NOT_FOUND;
        r->diag = apr_psprintf(pool, "directory entry %u is no enabled mailbox", target.id);
        return;
    }
    int granted = 0;
    mh_mbx_where where = mh_be_mailbox_where(b, &target, pool, &err);
    if (where == MH_MBX_ERROR) {
        internal(r, pool, "cannot open the mailbox", err.code, &err);
        return;
    }
    if (where == MH_MBX_ELSEWHERE) {
        /* the mailbox lives in another server's store: that server judges
         * the rights (its Autodiscover, same scheme as ours) */
        const char *base = cfg->external_url ? cfg->external_url : in->self_url;
        const char *sep = base ? strstr(base, "://") : NULL;
        if (!valid_hostport(target.server, strlen(target.server)) || !sep) {
            r->code = MH_AD_E_INTERNAL;
            r->diag = "the directory names a mailbox server that is not a host name";
            return;
        }
        r->redirect_url = apr_pstrcat(pool, apr_pstrmemdup(pool, base, (size_t)(sep + 3 - base)),
                                      target.server, POX_PATH, NULL);
        r->diag = apr_psprintf(pool, "mailbox of entry %u is on %s", target.id, target.server);
        return;
    }
    e = mailbox_rights(b, &me, &target, pool, &granted, &err);
    if (e == MH_E_NOT_FOUND) {
        mh_log(MH_LOG_ERR, MHLOGNO(01602) "directory entry %u (%s) has a mailbox the backend "
               "does not hold (run mapihttp-admin check)", target.id,
               target.login ? target.login : "-");
        r->code = MH_AD_E_INTERNAL;
        r->diag = "the directory names a mailbox the store does not hold";
        return;
    }
    if (e != MH_OK) {
        internal(r, pool, "cannot read the mailbox's permissions", e, &err);
        return;
    }
    if (!granted) {
        r->code = MH_AD_E_NOT_FOUND; /* exactly as an unknown address */
        r->diag = apr_psprintf(pool, "%s holds no rights in the mailbox of entry %u", in->user,
                               target.id);
        return;
    }
    fill_settings(cfg, in, &target, asked, pool, r);
    if (r->code == MH_AD_OK)
        r->diag = apr_psprintf(pool, "mailbox of entry %u, by its permissions", target.id);
}

/* FNV-1a of the server name: the Error's Id. */
static uint32_t server_id(const char *name)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)(name ? name : ""); *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

static const char *error_message(int code)
{
    switch (code) {
    case MH_AD_E_NOT_FOUND:
        return "The e-mail address cannot be found.";
    case MH_AD_E_NO_SETTINGS:
        return "The e-mail address has no mailbox settings.";
    case MH_AD_E_INVALID:
        return "Invalid Request";
    case MH_AD_E_SCHEMA:
        return "The requested response schema is not available.";
    default:
        return "Internal server error";
    }
}

static void pox_error(const mh_ad_in *in, apr_pool_t *pool, mh_ad_out *out, int code,
                      const char *diag)
{
    out->status = 200; /* errors are answered with 200 (MS-OXDSCLI 3.2.5) */
    out->content_type = "text/xml; charset=utf-8";
    out->body = mh_ad_pox_error(pool, code, error_message(code), in->now,
                                server_id(in->server_name), &out->body_len);
    out->error_code = code;
    out->outcome = "error";
    out->diag = diag;
}

static void serve_pox(const mh_ad_config *cfg, const mh_be *b, const mh_ad_in *in,
                      apr_pool_t *pool, mh_ad_out *out)
{
    out->kind = "Autodiscover";
    if (strcmp(in->method, "GET") == 0 || strcmp(in->method, "HEAD") == 0) {
        /* what Exchange answers a browser: an admin's quick check */
        pox_error(in, pool, out, MH_AD_E_INVALID, "GET instead of POST");
        return;
    }
    if (strcmp(in->method, "POST") != 0) {
        out->status = 405;
        out->allow = "POST, GET";
        out->outcome = "method";
        out->diag = "method not allowed";
        return;
    }
    if (in->body_too_large) {
        out->status = 413;
        out->outcome = "too large";
        out->diag = "the request body exceeds " APR_STRINGIFY(MH_AD_MAX_REQUEST) " bytes";
        return;
    }
    if (!in->user) {
        out->need_auth = 1;
        out->status = 401;
        out->outcome = "unauthenticated";
        out->diag = "no authenticated user";
        return;
    }
    mh_ad_request req;
    const char *why = NULL;
    int rc = mh_ad_parse_request(in->body, in->body_len, pool, &req, &why);
    if (rc != MH_AD_OK) {
        pox_error(in, pool, out, rc, why);
        return;
    }
    /* LegacyDN wins over EMailAddress (MS-OXDSCLI 3.2.5) */
    out->address = req.legacy_dn ? req.legacy_dn : req.email;
    ad_result r;
    resolve(cfg, b, in, req.legacy_dn ? NULL : req.email, req.legacy_dn, pool, &r);
    if (r.redirect_url) {
        /* MS-OXDSCLI 3.2.5: SHOULD be a 302 with Location */
        out->status = 302;
        out->location = r.redirect_url;
        out->outcome = "redirectUrl";
        out->diag = r.diag;
        return;
    }
    if (r.redirect_addr) {
        out->status = 200;
        out->content_type = "text/xml; charset=utf-8";
        out->body = mh_ad_pox_redirect_addr(pool, r.redirect_addr, &out->body_len);
        out->outcome = "redirectAddr";
        out->diag = r.diag;
        return;
    }
    if (r.code != MH_AD_OK) {
        pox_error(in, pool, out, r.code, r.diag);
        return;
    }
    out->status = 200;
    out->content_type = "text/xml; charset=utf-8";
    out->body = mh_ad_pox_settings(pool, &r.s, &out->body_len);
    out->outcome = "settings";
    out->diag = r.diag;
}

/* ------------------------------------------------------------ the JSON form */

/* Decodes %XX and '+' of a query component; NULL when malformed. */
static const char *query_decode(apr_pool_t *pool, const char *s, size_t n)
{
    char *out = apr_palloc(pool, n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+') {
            *o++ = ' ';
        } else if (c == '%') {
            int v = 0;
            for (int k = 1; k <= 2; k++) {
                char h = i + (size_t)k < n ? s[i + (size_t)k] : 0;
                int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                      : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
                if (d < 0)
                    return NULL;
                v = v * 16 + d;
            }
            if (v == 0)
                return NULL;
            *o++ = (char)v;
            i += 2;
        } else {
            *o++ = c;
        }
    }
    *o = 0;
    return out;
}

/* The value of parameter `name` (case-insensitive) in a query string;
 * NULL when absent; *bad_r set when it is malformed or repeated. */
static const char *query_param(apr_pool_t *pool, const char *query, const char *name, int *bad_r)
{
    const char *found = NULL;
    size_t nl = strlen(name);
    for (const char *p = query; p && *p;) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t kl = eq ? (size_t)(eq - p) : len;
        if (kl == nl && strncasecmp(p, name, nl) == 0) {
            const char *v = eq ? query_decode(pool, eq + 1, len - kl - 1) : "";
            if (!v || found)
                *bad_r = 1;
            found = v ? v : found;
        }
        p += len;
        if (*p == '&')
            p++;
    }
    return found;
}

static void json_error(apr_pool_t *pool, mh_ad_out *out, int status, const char *code,
                       const char *message, const char *diag)
{
    out->status = status;
    out->content_type = "application/json; charset=utf-8";
    out->body = mh_ad_json_error(pool, code, message, &out->body_len);
    out->outcome = code;
    out->diag = diag ? diag : message;
}

static void json_url(apr_pool_t *pool, mh_ad_out *out, const char *protocol, const char *url,
                     const char *diag)
{
    out->status = 200;
    out->content_type = "application/json; charset=utf-8";
    out->body = mh_ad_json_url(pool, protocol, url, &out->body_len);
    out->outcome = protocol;
    out->diag = diag;
}

/* The origin ("scheme://authority") of a URL. */
static const char *origin_of(apr_pool_t *pool, const char *url)
{
    const char *a = strstr(url, "://");
    if (!a)
        return url;
    a += 3;
    return apr_pstrmemdup(pool, url, (size_t)(a + strcspn(a, "/?#") - url));
}

static void serve_json(const mh_ad_config *cfg, const mh_be *b, const mh_ad_in *in,
                       apr_pool_t *pool, mh_ad_out *out)
{
    out->kind = "AutodiscoverJson";
    if (strcmp(in->method, "GET") != 0 && strcmp(in->method, "HEAD") != 0) {
        out->status = 405;
        out->allow = "GET";
        out->outcome = "method";
        out->diag = "method not allowed";
        return;
    }
    /* /autodiscover/autodiscover.json/v1.0/ADDR?Protocol=P, or
     * /autodiscover/autodiscover.json?Email=ADDR&Protocol=P */
    const char *rest = in->path + sizeof(JSON_PATH) - 1;
    int bad = 0;
    const char *addr = NULL;
    if (strncasecmp(rest, "/v1.0/", 6) == 0 && rest[6])
        addr = rest + 6;
    else if (*rest && strcmp(rest, "/") != 0 && strcasecmp(rest, "/v1.0") != 0 &&
             strcasecmp(rest, "/v1.0/") != 0) {
        json_error(pool, out, 404, "NotFound", "Use /autodiscover/autodiscover.json/v1.0/"
                   "<address>?Protocol=<protocol>.", "unknown path");
        return;
    }
    if (!addr)
        addr = query_param(pool, in->query, "Email", &bad);
    const char *protocol = query_param(pool, in->query, "Protocol", &bad);
    out->address = addr;
    if (bad) {
        json_error(pool, out, 400, "InvalidRequest", "The query string is malformed.", NULL);
        return;
    }
    if (!addr || !mh_ad_valid_address(addr)) {
        json_error(pool, out, 400, "InvalidEmailAddress",
                   "Give the e-mail address in the path: /autodiscover/autodiscover.json/"
                   "v1.0/<address>?Protocol=<protocol>.", NULL);
        return;
    }
    enum { P_V1, P_EMSMDB, P_NSPI } which;
    if (protocol && strcasecmp(protocol, "AutodiscoverV1") == 0)
        which = P_V1;
    else if (protocol && strcasecmp(protocol, "Emsmdb") == 0)
        which = P_EMSMDB;
    else if (protocol && strcasecmp(protocol, "Nspi") == 0)
        which = P_NSPI;
    else {
        json_error(pool, out, 400, "InvalidProtocol",
                   apr_psprintf(pool, "The given protocol value '%s' is invalid. Supported "
                                "values are 'AutodiscoverV1,Emsmdb,Nspi'.",
                                protocol ? protocol : ""), NULL);
        return;
    }
    const char *base = cfg->external_url ? cfg->external_url : in->self_url;
    if (!base) {
        json_error(pool, out, 500, "InternalServerError", "Internal server error",
                   "no base URL (MapiHttpExternalUrl) and none from the request");
        return;
    }
    const mh_ad_redirect *rd = find_redirect(cfg, domain_of(addr));
    if (which == P_V1) {
        /* where the POX service for this address is: needs no user */
        if (rd && rd->url && b) {
            mh_betxn *t;
            mh_error err = {MH_OK, NULL};
            mh_dir_entry ent;
            mh_err e = mh_be_begin(b, NULL, MH_TXN_READ, pool, &t, &err);
            if (e == MH_OK) {
                e = mh_be_dir_find(t, MH_DIR_BY_SMTP, addr, &ent, &err);
                mh_be_abort(t);
            }
            if (e == MH_E_NOT_FOUND) {
                json_url(pool, out, "AutodiscoverV1", rd->url, "redirect domain");
                return;
            }
        } else if (rd && rd->url) {
            json_url(pool, out, "AutodiscoverV1", rd->url, "redirect domain");
            return;
        }
        json_url(pool, out, "AutodiscoverV1", apr_pstrcat(pool, base, POX_PATH, NULL), NULL);
        return;
    }
    if (!in->user) {
        out->need_auth = 1;
        out->status = 401;
        out->outcome = "unauthenticated";
        out->diag = "no authenticated user";
        return;
    }
    const char *pname = which == P_EMSMDB ? "Emsmdb" : "Nspi";
    ad_result r;
    resolve(cfg, b, in, addr, NULL, pool, &r);
    if (r.redirect_url || r.redirect_addr) {
        const char *target = r.redirect_url ? origin_of(pool, r.redirect_url) : base;
        const char *to = r.redirect_addr ? r.redirect_addr : addr;
        out->status = 302;
        out->location = apr_pstrcat(pool, target, JSON_PATH, "/v1.0/", url_escape(pool, to),
                                    "?Protocol=", pname, NULL);
        out->outcome = r.redirect_url ? "redirectUrl" : "redirectAddr";
        out->diag = r.diag;
        return;
    }
    if (r.code == MH_AD_E_NOT_FOUND || r.code == MH_AD_E_NO_SETTINGS) {
        json_error(pool, out, 404, "UserNotFound", "The e-mail address cannot be found.",
                   r.diag);
        return;
    }
    if (r.code != MH_AD_OK) {
        json_error(pool, out, 500, "InternalServerError", "Internal server error", r.diag);
        return;
    }
    json_url(pool, out, pname, which == P_EMSMDB ? r.s.emsmdb_external : r.s.nspi_external,
             r.diag);
}

void mh_ad_serve(const mh_ad_config *cfg, const mh_be *b, const mh_ad_in *in, apr_pool_t *pool,
                 mh_ad_out *out)
{
    memset(out, 0, sizeof(*out));
    switch (mh_ad_endpoint_from_path(in->path)) {
    case MH_AD_EP_POX:
        serve_pox(cfg, b, in, pool, out);
        break;
    case MH_AD_EP_JSON:
        serve_json(cfg, b, in, pool, out);
        break;
    default:
        out->status = 404;
        out->kind = "Autodiscover";
        out->outcome = "not found";
        out->diag = "not an Autodiscover path";
    }
}
