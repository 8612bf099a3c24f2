/*
 * mapihttp-probe - checks a MAPI/HTTP server the way Outlook uses it when
 * it makes a profile: the open counterpart of Exchange's
 * Test-OutlookConnectivity.  Asks Autodiscover for the user's settings,
 * then in the address book finds the user's entry, resolves a name and
 * lists the first page of the GAL, then connects to the mailbox, logs on,
 * walks its folder tree and, with --message, writes a message into Drafts,
 * reads it back and deletes it.  Each step prints its time and OK or FAIL
 * with a diagnosis; the exit status is 0 only when every step passed.
 * Run with --help.
 */
#include "config.h"
#include "mh_adclient.h"
#include "mh_bodies.h"
#include "mh_client.h"
#include "mh_emsmdb.h"
#include "mh_legacydn.h"
#include "mh_mapierr.h"
#include "mh_nspi_wire.h"
#include "mh_props.h"
#include "mh_unicode.h"

#include <ctype.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_time.h>

static const char *progname = "mapihttp-probe";

/* Rows of the first GAL page listed by the address-book step. */
#define GAL_PAGE 20
/* Autodiscover redirects followed before giving up (MS-OXDSCLI 3.1.5.2
 * lets a client stop after 10). */
#define MAX_REDIRECTS 10

static void usage(FILE *f)
{
    fprintf(f,
"NAME\n"
"    %s - check a MAPI/HTTP server as Outlook uses it to make a profile\n"
"\n"
"SYNOPSIS\n"
"    %s [options] URL USER PASSWORD\n"
"    %s [options] ADDRESS USER PASSWORD\n"
"\n"
"DESCRIPTION\n"
"    Talks to a MAPI/HTTP server (mod_mapihttp, Exchange) with Basic\n"
"    authentication as USER, and runs these steps, printing for each its\n"
"    time in milliseconds and OK or FAIL:\n"
"\n"
"      connect       TCP connection (and TLS handshake for https://), once\n"
"                    for each server the steps use\n"
"      Autodiscover  POX Autodiscover (MS-OXDSCLI) for the user's e-mail\n"
"                    address (or, without one, the user's legacy DN): the\n"
"                    user's display name and legacy DN, and the mapiHttp\n"
"                    block's mailbox (MailStore) and address book URLs;\n"
"                    redirects (redirectAddr, redirectUrl, HTTP 302 to an\n"
"                    https:// URL or the same server) are followed\n"
"      Bind          the address book (/mapi/nspi): an NSPI session\n"
"      DNToMId       the user's legacy DN to its entry in the address book\n"
"      GetProps      that entry: display name, SMTP and EX addresses, alias,\n"
"                    home mailbox server\n"
"      ResolveNames  a name (--resolve; default the user's alias) as Outlook\n"
"                    checks names: one entry, several (they are listed, found\n"
"                    by GetMatches with ambiguous name resolution), or none\n"
"      QueryRows     the first %d entries of the Global Address List\n"
"      Unbind        ends the address book session\n"
"      Connect       the mailbox (/mapi/emsmdb): MAPI/HTTP Connect as the\n"
"                    user's legacy DN: display name, session context\n"
"      Logon         RopLogon to the user's private mailbox: mailbox GUID\n"
"      folders       the folder tree through the hierarchy table of the\n"
"                    mailbox root (with Depth): name, items, unread, subfolders\n"
"      message       (--message) a message with a subject, a body and a\n"
"                    recipient created in Drafts, read back and compared byte\n"
"                    for byte, then deleted\n"
"      Disconnect    ends the session context\n"
"\n"
"    A failed step says why (authentication, wrong DN, the X-ResponseCode,\n"
"    Autodiscover, NSPI or MAPI error and what it means); the steps that\n"
"    need it are skipped.\n"
"\n"
"    URL is the server's base address, e.g. https://mail.example.com/ or\n"
"    http://127.0.0.1:8080/: Autodiscover is asked at\n"
"    URL/autodiscover/autodiscover.xml, and the mailbox and address book\n"
"    URLs it gives are used; when it fails, URL/mapi/emsmdb/ and\n"
"    URL/mapi/nspi/ are.  A URL that names /mapi/emsmdb/ (or /mapi/nspi/)\n"
"    is used as it is, the other endpoint beside it, whatever Autodiscover\n"
"    says.  A URL naming /autodiscover/autodiscover.xml is where\n"
"    Autodiscover is asked.\n"
"\n"
"    ADDRESS is the user's e-mail address instead of a URL: Autodiscover is\n"
"    asked where Outlook asks first (MS-OXDISCO),\n"
"    https://DOMAIN/autodiscover/autodiscover.xml, then\n"
"    https://autodiscover.DOMAIN/autodiscover/autodiscover.xml, and only the\n"
"    URLs it gives are used.\n"
"\n"
"    The output says which URL each endpoint was reached at and where the\n"
"    URL and the user DN came from.\n"
"\n"
"OPTIONS\n"
"    --email ADDRESS   the address Autodiscover is asked for (default:\n"
"                      ADDRESS, else USER when it is an address; without\n"
"                      one the user's legacy DN is asked for)\n"
"    --autodiscover-url URL\n"
"                      ask Autodiscover there and nowhere else\n"
"    --no-autodiscover skip Autodiscover (not with ADDRESS)\n"
"    --internal        use Autodiscover's InternalUrls (default: the\n"
"                      ExternalUrls; each falls back to the other)\n"
"    --resolve NAME    the name ResolveNames resolves (default: the user's\n"
"                      alias, PR_ACCOUNT of its address book entry)\n"
"    --user-dn DN      the user's legacy DN (default: Autodiscover's, else\n"
"                      the one mapihttp-admin gives USER with the default\n"
"                      organization and scheme)\n"
"    --mailbox-id ID   the MailboxId query value of URLs made from URL\n"
"                      (default: USER when it holds an @, else none)\n"
"    --insecure        accept any TLS certificate (self-signed test servers)\n"
"    --ca FILE         verify the server's certificate with this CA file\n"
"                      (default: the system's CA certificates)\n"
"    --message         also run the message test in Drafts\n"
"    --no-compress     send ROP buffers plain and ask for plain responses\n"
"                      (default: LZ77-compressed and XORed, as Outlook)\n"
"    --timeout SEC     per network read or write (default 30)\n"
"    --verbose         the Autodiscover request and response, and hex dumps\n"
"                      of every address book and mailbox request and\n"
"                      response body\n"
"    --help            this text\n"
"\n"
"EXIT STATUS\n"
"    0 when every step passed, 1 when one failed, 2 on a usage error.\n",
            progname, progname, progname, GAL_PAGE);
}

/* ------------------------------------------------------------ steps */

/* A server the steps talk to, by scheme://host:port. */
typedef struct origin {
    const char *key;
    mh_client *conn;
    int state;          /* 0 not tried, 1 connected, -1 the connection failed */
    const char *error;  /* why it failed */
} origin;

typedef struct probe {
    apr_pool_t *pool;
    mh_client_opts opts;      /* TLS and timeout settings for every connection */
    apr_array_header_t *origins; /* of origin * */
    const char *user, *password;
    const char *user_dn, *user_dn_from;
    const char *email;
    const char *client_app;
    int verbose, no_compress;
    int failed;
    apr_time_t t0;
    /* the endpoints */
    mh_url mbx, ab;
    const char *mbx_from, *ab_from;
    /* Autodiscover's answer */
    int ad_ok;
    mh_adc_response ad;
    /* the mailbox */
    mh_emsc *em;
    /* from Logon */
    uint32_t logon_handle;
    uint64_t fids[MH_LF_COUNT];
    uint16_t repl_id;
    mh_guid mailbox;
    /* from the address book */
    const char *alias;
} probe;

static void step_begin(probe *p)
{
    p->t0 = apr_time_now();
}

static double step_ms(const probe *p)
{
    return (double)(apr_time_now() - p->t0) / 1000.0;
}

static void step_ok(probe *p, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void step_ok(probe *p, const char *name, const char *fmt, ...)
{
    va_list ap;
    printf("[%8.1f ms] OK    %-12s ", step_ms(p), name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void step_fail(probe *p, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void step_fail(probe *p, const char *name, const char *fmt, ...)
{
    va_list ap;
    printf("[%8.1f ms] FAIL  %-12s ", step_ms(p), name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
    p->failed = 1;
}

static void step_skip(const char *name, const char *why)
{
    printf("[%8s   ] SKIP  %-12s %s\n", "-", name, why);
}

/* A diagnosis under a failed step. */
static void hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void hint(const char *fmt, ...)
{
    va_list ap;
    fputs("                    -> ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* What a step found, under its line. */
static void detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void detail(const char *fmt, ...)
{
    va_list ap;
    fputs("                    ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static void trace(void *baton, const char *what, const unsigned char *p, size_t n)
{
    (void)baton;
    printf("  --- %s (%zu bytes)\n", what, n);
    for (size_t i = 0; i < n; i += 16) {
        printf("  %04zx:", i);
        for (size_t k = i; k < i + 16; k++) {
            if (k < n)
                printf(" %02x", p[k]);
            else
                fputs("   ", stdout);
        }
        fputs("  ", stdout);
        for (size_t k = i; k < i + 16 && k < n; k++)
            putchar(isprint(p[k]) ? p[k] : '.');
        putchar('\n');
    }
}

/* Text (XML) for --verbose, line by line. */
static void trace_text(const char *what, const char *s, size_t n)
{
    printf("  --- %s (%zu bytes)\n", what, n);
    const char *end = s + n;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
        printf("  | %.*s\n", (int)len, s);
        s += len + (nl ? 1 : 0);
    }
}

/* ------------------------------------------------------ diagnosis */

/* MS-OXCMAPIHTTP 2.2.3.3.3, with what to check. */
static const char *response_code_advice(int code)
{
    switch (code) {
    case 1: return "the server failed for an unknown reason: see its error log";
    case 2: return "the server took the request for something other than a POST";
    case 3: return "the server does not serve a MAPI/HTTP endpoint at this path";
    case 4: return "a request header was malformed";
    case 5: return "the endpoint does not accept this request type (X-RequestType)";
    case 6: return "the session cookie is unusable";
    case 7: return "a required header is missing";
    case 8: return "the endpoint requires authentication but the request had none "
                   "(is there an Auth* configuration for /mapi?)";
    case 9: return "the request body is too large for the server";
    case 10: return "the session context is gone (expired, or served by another "
                    "server) or belongs to another user";
    case 11: return "this user has no rights to the session context";
    case 12: return "the server could not parse the request body";
    case 13: return "the request lacked the session cookie";
    case 15: return "requests of the session overlapped or came out of sequence";
    case 16: return "the endpoint is disabled on the server";
    case 18: return "the server is shutting down";
    default: return NULL;
    }
}

static const char *status_name(uint32_t s)
{
    switch (s) {
    case MH_RPC_S_PROCNUM_OUT_OF_RANGE: return "RPC_S_PROCNUM_OUT_OF_RANGE";
    case MH_RPC_X_BAD_STUB_DATA: return "RPC_X_BAD_STUB_DATA";
    case MH_RPC_S_SERVER_TOO_BUSY: return "RPC_S_SERVER_TOO_BUSY (back off and retry)";
    case EC_BUFFER_TOO_SMALL: return "ecBufferTooSmall";
    default: return "an RPC status";
    }
}

/* A transport failure (no complete HTTP response from u's server). */
static void diagnose_transport(const mh_url *u, const char *why)
{
    hint("no complete HTTP response: %s", why ? why : "?");
    if (why && strstr(why, "certificate"))
        hint("the server's certificate was not accepted: give its CA with --ca FILE, "
             "or --insecure for a self-signed test server");
    else if (why && strstr(why, "refused"))
        hint("nothing listens on %s:%d: is httpd running, with this port?", u->host, u->port);
}

/* An HTTP status other than 200 from a MAPI/HTTP endpoint at u. */
static void diagnose_http(const mh_url *u, int status, const char *what)
{
    if (status == 401)
        hint("authentication failed: check user and password, and that the server's "
             "AuthType is Basic");
    else if (status == 403)
        hint("access forbidden: the server's access rules refuse this user");
    else if (status == 404)
        hint("no %s at %s: check the URL, and that MapiHttp is On for /mapi", what, u->path);
    else if (status >= 500)
        hint("the server failed (HTTP %d): see its error log", status);
    else
        hint("unexpected HTTP status %d", status);
}

/* Explains why the last call of the mailbox session failed. */
static void diagnose(probe *p, const char *call)
{
    mh_emsc *em = p->em;
    switch (em->fail) {
    case MH_EMSC_OK:
        break;
    case MH_EMSC_TRANSPORT:
        diagnose_transport(&p->mbx, em->detail);
        break;
    case MH_EMSC_HTTP:
        if (em->http_status == 401 || em->http_status == 403 || em->http_status == 404 ||
            em->http_status >= 500)
            diagnose_http(&p->mbx, em->http_status, "MAPI/HTTP mailbox endpoint");
        else
            hint("unexpected HTTP status: %s", em->detail);
        break;
    case MH_EMSC_RESPONSE_CODE: {
        const char *a = response_code_advice(em->response_code);
        hint("%s%s%s", em->detail, a ? ": " : "", a ? a : "");
        break;
    }
    case MH_EMSC_STATUS:
        hint("the server failed the %s request with StatusCode 0x%08X (%s)", call,
             em->status_code, status_name(em->status_code));
        break;
    case MH_EMSC_ERROR_CODE:
        if (strcmp(call, "Connect") == 0 && em->error_code == EC_UNKNOWN_USER)
            hint("Connect ErrorCode ecUnknownUser: the user DN is not this user's legacy "
                 "DN or the user has no mailbox (--user-dn gives the DN; mapihttp-admin "
                 "user show prints it)");
        else if (strcmp(call, "Connect") == 0 && em->error_code == MAPI_E_NO_ACCESS)
            hint("Connect ErrorCode ecAccessDenied: the server refuses this DN for this "
                 "user");
        else if (em->error_code == EC_RPC_FORMAT)
            hint("%s: the server could not parse the ROP request buffer (a ROP it does "
                 "not know?)", em->detail);
        else
            hint("%s", em->detail);
        break;
    case MH_EMSC_MALFORMED:
        hint("the server's response could not be parsed: %s", em->detail);
        break;
    }
}

static const char *guid_str(apr_pool_t *pool, const mh_guid *g)
{
    const uint8_t *b = g->b;
    return apr_psprintf(pool,
                        "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                        b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11],
                        b[12], b[13], b[14], b[15]);
}

/* A FID/MID as Exchange tools print them: replica id, counter. */
static const char *id_str(apr_pool_t *pool, uint64_t id)
{
    uint64_t counter = 0;
    for (int i = 2; i < 8; i++)
        counter = (counter << 8) | ((id >> (8 * i)) & 0xFF);
    return apr_psprintf(pool, "%04x-%012" APR_UINT64_T_HEX_FMT, (unsigned)(id & 0xFFFF),
                        counter);
}

/* -------------------------------------------------------- connections */

static origin *origin_of(probe *p, const mh_url *u)
{
    const char *key = mh_url_origin(p->pool, u);
    for (int i = 0; i < p->origins->nelts; i++) {
        origin *o = APR_ARRAY_IDX(p->origins, i, origin *);
        if (strcmp(o->key, key) == 0)
            return o;
    }
    origin *o = apr_pcalloc(p->pool, sizeof(*o));
    o->key = key;
    mh_client_opts co = p->opts;
    co.host = u->host;
    co.port = u->port;
    co.tls = u->tls;
    co.tls_verify_system = u->tls && !co.tls_ca_file && p->opts.tls_verify_system;
    o->conn = mh_client_create(p->pool, &co);
    APR_ARRAY_PUSH(p->origins, origin *) = o;
    return o;
}

/*
 * The connection to u's server: the first time, the "connect" step (or,
 * `quiet`, no step: the caller reports a failure).  NULL when the
 * connection failed, now or before (*why_r).
 */
static mh_client *conn_for(probe *p, const mh_url *u, int quiet, const char **why_r)
{
    origin *o = origin_of(p, u);
    if (why_r)
        *why_r = o->error;
    if (o->state == 1)
        return o->conn;
    if (o->state == -1)
        return NULL;
    /* quietly, the time counts in the caller's step */
    if (!quiet)
        step_begin(p);
    if (mh_client_connect(o->conn) != APR_SUCCESS) {
        o->state = -1;
        o->error = apr_pstrdup(p->pool, mh_client_error(o->conn));
        if (why_r)
            *why_r = o->error;
        if (quiet)
            return NULL;
        const char *e = o->error;
        step_fail(p, "connect", "%s:%d: %s", u->host, u->port, e);
        if (strstr(e, "certificate"))
            hint("the server's certificate was not accepted: give its CA with --ca FILE, "
                 "or --insecure for a self-signed test server");
        else if (strstr(e, "refused"))
            hint("nothing listens on %s:%d: is httpd running, with this port?", u->host,
                 u->port);
        else if (strstr(e, "resolve"))
            hint("the host name does not resolve: check the URL");
        return NULL;
    }
    o->state = 1;
    if (!quiet) {
        step_ok(p, "connect", "%s %s:%d", u->tls ? "TCP+TLS" : "TCP", u->host, u->port);
        step_begin(p); /* the caller's step goes on from here */
    }
    return o->conn;
}

/* ---------------------------------------------------- Autodiscover */

/* One Autodiscover URL's problem, for the report. */
typedef struct ad_problem {
    const char *url;
    const char *what;    /* what happened */
    const char *advice;  /* what to check, or NULL */
} ad_problem;

static void add_problem(apr_array_header_t *a, const char *url, const char *what,
                        const char *advice)
{
    ad_problem *pr = &APR_ARRAY_PUSH(a, ad_problem);
    pr->url = url;
    pr->what = what;
    pr->advice = advice;
}

/* An endpoint's URLs under the Autodiscover step. */
static void detail_urls(const char *what, const mh_adc_urls *u)
{
    if (u->internal && u->external && strcmp(u->internal, u->external) == 0) {
        detail("%-13s %s (internal and external)", what, u->internal);
        return;
    }
    detail("%-13s internal %s", what, u->internal ? u->internal : "(none)");
    detail("%-13s external %s", "", u->external ? u->external : "(none)");
}

/* Where a redirect may take the probe (the user's credentials go along):
 * an https:// URL, or the server already asked. */
static int redirect_allowed(probe *p, const mh_url *from, const mh_url *to)
{
    return to->tls || strcmp(mh_url_origin(p->pool, from), mh_url_origin(p->pool, to)) == 0;
}

/* The endpoint URL Autodiscover gives, by --internal's preference. */
static const char *pick_url(const mh_adc_urls *u, int internal, const char **which_r)
{
    const char *first = internal ? u->internal : u->external;
    const char *second = internal ? u->external : u->internal;
    *which_r = first ? (internal ? "InternalUrl" : "ExternalUrl")
                     : (internal ? "ExternalUrl" : "InternalUrl");
    return first ? first : second;
}

/*
 * Asks the `n` candidate URLs in turn, following redirects, until one
 * gives MAPI/HTTP settings (p->ad, p->ad_ok).  The connection to each is
 * made here: with several candidates quietly (one that does not answer is
 * no failure while another does).
 */
static int do_autodiscover(probe *p, const char *const *cands, int n)
{
    const char *step = "Autodiscover";
    apr_pool_t *pool = p->pool;
    apr_array_header_t *problems = apr_array_make(pool, 4, sizeof(ad_problem));
    const char *email = p->email;
    int redirects = 0;
    step_begin(p);
    for (int ci = 0; ci < n; ci++) {
        const char *url = cands[ci];
        mh_url u;
        if (mh_url_parse(pool, url, &u) < 0) {
            add_problem(problems, url, "not an http:// or https:// URL", NULL);
            continue;
        }
        while (url) {
            const char *why = NULL;
            mh_client *c = conn_for(p, &u, n > 1, &why);
            if (!c) {
                if (n == 1 && redirects == 0) {
                    step_skip(step, "not connected");
                    return -1;
                }
                add_problem(problems, url, why ? why : "no connection", NULL);
                break;
            }
            mh_adc_call call;
            int rc = mh_adc_post(c, pool, u.path, p->user, p->password, email,
                                 email ? NULL : p->user_dn, &call);
            if (p->verbose) {
                trace_text(apr_psprintf(pool, "Autodiscover request to %s", url), call.request,
                           strlen(call.request));
                if (call.http)
                    trace_text(apr_psprintf(pool, "Autodiscover response: HTTP %d",
                                            call.http->status),
                               (const char *)call.http->body, call.http->body_len);
            }
            if (rc < 0) {
                add_problem(problems, url, apr_psprintf(pool, "no complete HTTP response: %s",
                                                        call.why ? call.why : "?"),
                            NULL);
                break;
            }
            int status = call.http->status;
            const char *target = NULL;
            if (status == 301 || status == 302 || status == 303 || status == 307 ||
                status == 308) {
                target = apr_table_get(call.http->headers, "Location");
                if (!target) {
                    add_problem(problems, url, apr_psprintf(pool, "HTTP %d without a Location",
                                                            status), NULL);
                    break;
                }
                if (target[0] == '/')
                    target = apr_pstrcat(pool, mh_url_origin(pool, &u), target, NULL);
                detail("%s: HTTP %d to %s", url, status, target);
            } else if (status == 401) {
                add_problem(problems, url, "HTTP 401: authentication failed",
                            "check user and password, and that Autodiscover's location has "
                            "the same authentication as /mapi (AuthType Basic)");
                break;
            } else if (status == 403) {
                add_problem(problems, url, "HTTP 403: access forbidden",
                            "the server's access rules refuse this user");
                break;
            } else if (status == 404) {
                add_problem(problems, url, "HTTP 404: no Autodiscover here",
                            "is MapiHttp On for /autodiscover (docs/admin.md, Autodiscover)?");
                break;
            } else if (status != 200) {
                add_problem(problems, url, apr_psprintf(pool, "HTTP %d", status),
                            status >= 500 ? "the server failed: see its error log" : NULL);
                break;
            } else if (!call.parsed) {
                add_problem(problems, url,
                            apr_psprintf(pool, "not an Autodiscover response: %s", call.why),
                            "is this an Autodiscover server (MS-OXDSCLI POX)?");
                break;
            } else if (call.resp.action == MH_ADC_ERROR) {
                const char *m = mh_adc_error_meaning(call.resp.error_code);
                step_fail(p, step, "%s answered ErrorCode %d%s%s%s", url,
                          call.resp.error_code, call.resp.error_message ? " (" : "",
                          call.resp.error_message ? call.resp.error_message : "",
                          call.resp.error_message ? ")" : "");
                if (m)
                    hint("%s", m);
                if (call.resp.error_code == 500)
                    hint("asked for %s: %s", email ? email : p->user_dn,
                         email ? "is it this user's address (--email)?"
                               : "give the user's address with --email, or its legacy DN "
                                 "with --user-dn");
                return -1;
            } else if (call.resp.action == MH_ADC_REDIRECT_ADDR) {
                detail("%s: redirectAddr to %s", url, call.resp.redirect_addr);
                if (++redirects > MAX_REDIRECTS) {
                    step_fail(p, step, "more than %d redirects", MAX_REDIRECTS);
                    return -1;
                }
                email = call.resp.redirect_addr;
                continue;
            } else if (call.resp.action == MH_ADC_REDIRECT_URL) {
                target = call.resp.redirect_url;
                detail("%s: redirectUrl to %s", url, target);
            } else if (!call.resp.has_mapihttp) {
                step_fail(p, step, "%s gave settings without a mapiHttp Protocol", url);
                hint("the server offers no MAPI/HTTP (Outlook would try RPC/HTTP, which "
                     "mod_mapihttp does not serve)");
                return -1;
            } else {
                p->ad = call.resp;
                p->ad_ok = 1;
                p->email = email;
                const mh_adc_response *r = &p->ad;
                step_ok(p, step, "\"%s\" <%s> from %s", r->display_name ? r->display_name : "?",
                        r->smtp ? r->smtp : "?", url);
                detail("legacy DN     %s", r->legacy_dn ? r->legacy_dn : "(none)");
                detail("mapiHttp      version %u", r->mapihttp_version);
                detail_urls("mailbox", &r->mailstore);
                detail_urls("address book", &r->addressbook);
                int bad = 0;
                if (!r->legacy_dn) {
                    step_fail(p, step, "the User element has no LegacyDN (Outlook connects "
                              "and binds with it)");
                    bad = 1;
                }
                if (r->mapihttp_version == 0) {
                    step_fail(p, step, "the mapiHttp Protocol has no usable Version");
                    bad = 1;
                }
                if (!r->mailstore.internal && !r->mailstore.external) {
                    step_fail(p, step, "the mapiHttp Protocol has no MailStore URL");
                    bad = 1;
                }
                if (!r->addressbook.internal && !r->addressbook.external) {
                    step_fail(p, step, "the mapiHttp Protocol has no AddressBook URL");
                    bad = 1;
                }
                return bad ? -1 : 0;
            }
            /* a redirect to another URL */
            mh_url to;
            if (mh_url_parse(pool, target, &to) < 0) {
                step_fail(p, step, "%s sent the probe to %s, not an http(s) URL", url, target);
                return -1;
            }
            if (!redirect_allowed(p, &u, &to)) {
                step_fail(p, step, "%s sends the client to %s", url, target);
                hint("not followed: the credentials would go in clear text to another server; "
                     "run the probe with --autodiscover-url %s if that is intended", target);
                return -1;
            }
            if (++redirects > MAX_REDIRECTS) {
                step_fail(p, step, "more than %d redirects", MAX_REDIRECTS);
                return -1;
            }
            url = target;
            u = to;
        }
    }
    if (problems->nelts == 1) {
        const ad_problem *pr = &APR_ARRAY_IDX(problems, 0, ad_problem);
        step_fail(p, step, "%s: %s", pr->url, pr->what);
        if (pr->advice)
            hint("%s", pr->advice);
    } else {
        step_fail(p, step, "none of the %d URLs tried gave settings", problems->nelts);
        for (int i = 0; i < problems->nelts; i++) {
            const ad_problem *pr = &APR_ARRAY_IDX(problems, i, ad_problem);
            hint("%s: %s%s%s", pr->url, pr->what, pr->advice ? ": " : "",
                 pr->advice ? pr->advice : "");
        }
    }
    return -1;
}

/* ---------------------------------------------------- address book */

#define T_NAME MH_TAG(0x3001, PT_UNICODE)         /* PidTagDisplayName */
#define T_ADDRTYPE MH_TAG(0x3002, PT_UNICODE)     /* PidTagAddressType */
#define T_EMAIL MH_TAG(0x3003, PT_UNICODE)        /* PidTagEmailAddress */
#define T_ACCOUNT MH_TAG(0x3A00, PT_UNICODE)      /* PidTagAccount */
#define T_SMTP MH_TAG(0x39FE, PT_UNICODE)         /* PidTagSmtpAddress */
#define T_DISPLAY_TYPE MH_TAG(0x3900, PT_LONG)    /* PidTagDisplayType */
#define T_OBJECT_TYPE MH_TAG(0x0FFE, PT_LONG)     /* PidTagObjectType */
#define T_HOME_MDB MH_TAG(0x8006, PT_UNICODE)     /* PidTagAddressBookHomeMessageDatabase */
#define T_ANR MH_TAG(0x360C, PT_UNICODE)          /* PidTagAnr */

#define DT_MAILUSER 0
#define DT_DISTLIST 1
#define MAPI_MAILUSER 6

static const char *nspi_rt_name(int rt)
{
    switch (rt) {
    case MH_RT_BIND: return "Bind";
    case MH_RT_UNBIND: return "Unbind";
    case MH_RT_DNTOMID: return "DNToMId";
    case MH_RT_GETMATCHES: return "GetMatches";
    case MH_RT_GETPROPS: return "GetProps";
    case MH_RT_QUERYROWS: return "QueryRows";
    case MH_RT_RESOLVENAMES: return "ResolveNames";
    default: return "?";
    }
}

static const char *nspi_err(apr_pool_t *pool, uint32_t code)
{
    const char *n = mh_nspi_error_name(code);
    return n ? apr_psprintf(pool, "%s (0x%08X)", n, code) : apr_psprintf(pool, "0x%08X", code);
}

static mh_stat gal_stat(uint32_t current)
{
    mh_stat s;
    memset(&s, 0, sizeof(s));
    s.sort_type = MH_NSPI_SORT_DISPLAY_NAME;
    s.container_id = 0; /* the Global Address List */
    s.current_rec = current;
    s.code_page = 1252;
    s.template_locale = 0x409;
    s.sort_locale = 0x409;
    return s;
}

/*
 * One NSPI call of step `step`: the response, or NULL after the step
 * failed with its diagnosis (transport, HTTP, X-ResponseCode, a body that
 * does not parse, a StatusCode).  The ErrorCode is the caller's.
 */
static mh_nspi_resp *ab_call(probe *p, apr_pool_t *pool, mh_mapi *m, int rt, const char *step,
                             const mh_nspi_req *q)
{
    const char *name = nspi_rt_name(rt);
    if (p->verbose) {
        mh_wr w;
        mh_wr_init(&w, pool, 256);
        mh_nspi_build_req((mh_reqtype)rt, &w, q);
        trace(p, apr_psprintf(pool, "%s request body", name), w.buf, w.len);
    }
    mh_nspi_resp *r = apr_pcalloc(pool, sizeof(*r));
    mh_response *raw = NULL;
    const char *why = NULL;
    int code = mh_nspi_call(m, pool, rt, name, q, r, &raw, &why);
    if (p->verbose && raw)
        trace(p, apr_psprintf(pool, "%s response body", name),
              raw->payload ? raw->payload : raw->body,
              raw->payload ? raw->payload_len : raw->body_len);
    if (!raw) {
        step_fail(p, step, "%s failed", name);
        diagnose_transport(&p->ab, why);
        return NULL;
    }
    if (raw->status != 200) {
        step_fail(p, step, "%s: HTTP %d %s", name, raw->status, raw->reason ? raw->reason : "");
        diagnose_http(&p->ab, raw->status, "MAPI/HTTP address book endpoint");
        return NULL;
    }
    if (code > 0) {
        const char *n = mh_response_code_name(code);
        const char *a = response_code_advice(code);
        step_fail(p, step, "%s: X-ResponseCode %d (%s)", name, code, n ? n : "undefined");
        if (a)
            hint("%s", a);
        return NULL;
    }
    if (code < 0) {
        if (mh_response_code(raw) < 0)
            step_fail(p, step, "%s: the response has no X-ResponseCode (is this a MAPI/HTTP "
                      "address book endpoint?)", name);
        else
            step_fail(p, step, "%s: malformed response: %s (MS-OXCMAPIHTTP 2.2.5; --verbose "
                      "shows the bytes)", name, why ? why : "?");
        return NULL;
    }
    /* every response begins with StatusCode; a non-zero one is a failure body */
    if (r->unbind.status_code != 0) {
        step_fail(p, step, "%s: StatusCode 0x%08X (%s)", name, r->unbind.status_code,
                  status_name(r->unbind.status_code));
        return NULL;
    }
    return r;
}

static const char *pv_str(const mh_propval *v)
{
    return v && MH_TAG_TYPE(v->tag) == PT_UNICODE && v->v.str ? v->v.str : NULL;
}

static long pv_long(const mh_propval *v)
{
    return v && MH_TAG_TYPE(v->tag) == PT_LONG ? (long)v->v.i32 : -1;
}

static const mh_propval *row_val(const mh_nspi_rowset *rs, uint32_t row, uint32_t col)
{
    return row < rs->n_rows && col < rs->cols.n ? rs->rows[row].vals[col] : NULL;
}

/* "Name <smtp> (list)" for a row of NAME, SMTP, DISPLAY_TYPE. */
static const char *entry_text(apr_pool_t *pool, const mh_nspi_rowset *rs, uint32_t i)
{
    const char *name = pv_str(row_val(rs, i, 0));
    const char *smtp = pv_str(row_val(rs, i, 1));
    long dt = pv_long(row_val(rs, i, 2));
    return apr_psprintf(pool, "%s%s%s%s%s", name ? name : "(no name)", smtp ? " <" : "",
                        smtp ? smtp : "", smtp ? ">" : "", dt == DT_DISTLIST ? " (list)" : "");
}

static const mh_proptag ENTRY_COLS[] = {T_NAME, T_SMTP, T_DISPLAY_TYPE};

static int ab_bind(probe *p, apr_pool_t *pool, mh_mapi *m)
{
    const char *step = "Bind";
    step_begin(p);
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.bind.has_state = 1;
    q.bind.state = gal_stat(0);
    mh_nspi_resp *r = ab_call(p, pool, m, MH_RT_BIND, step, &q);
    if (!r)
        return -1;
    if (r->bind.error_code != 0) {
        step_fail(p, step, "Bind ErrorCode %s", nspi_err(pool, r->bind.error_code));
        if (r->bind.error_code == MH_NSPI_LOGON_FAILED)
            hint("the server refuses this user the address book");
        else if (r->bind.error_code == MH_NSPI_INVALID_CODEPAGE)
            hint("the server does not take code page 1252");
        return -1;
    }
    const char *ctx = mh_cookie_jar_get(m->jar, "NspiContext", NULL);
    step_ok(p, step, "server GUID %s, session %s", guid_str(pool, &r->bind.server_guid),
            ctx ? "established (NspiContext cookie)" : "without an NspiContext cookie");
    if (!ctx) {
        hint("the server set no NspiContext cookie (MS-OXCMAPIHTTP 2.2.3.2.1): later requests "
             "cannot find the session");
        p->failed = 1;
    }
    return 0;
}

static int ab_dntomid(probe *p, apr_pool_t *pool, mh_mapi *m, uint32_t *mid_r)
{
    const char *step = "DNToMId";
    step_begin(p);
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.dntomid.has_names = 1;
    q.dntomid.names.n = 1;
    q.dntomid.names.s = &p->user_dn;
    mh_nspi_resp *r = ab_call(p, pool, m, MH_RT_DNTOMID, step, &q);
    if (!r)
        return -1;
    if (r->dntomid.error_code != 0) {
        step_fail(p, step, "DNToMId ErrorCode %s", nspi_err(pool, r->dntomid.error_code));
        return -1;
    }
    if (!r->dntomid.has_mids || r->dntomid.mids.n != 1) {
        step_fail(p, step, "the response has %u MIds for the one DN asked",
                  r->dntomid.has_mids ? r->dntomid.mids.n : 0);
        return -1;
    }
    uint32_t mid = r->dntomid.mids.ids[0];
    if (mid == 0) {
        step_fail(p, step, "the address book has no entry for %s", p->user_dn);
        hint("the DN (%s) is not this user's legacy DN: --user-dn gives the DN, "
             "mapihttp-admin user show prints it", p->user_dn_from);
        return -1;
    }
    *mid_r = mid;
    step_ok(p, step, "MId 0x%X for the user's DN", mid);
    return 0;
}

static int ab_getprops(probe *p, apr_pool_t *pool, mh_mapi *m, uint32_t mid)
{
    const char *step = "GetProps";
    step_begin(p);
    static const mh_proptag tags[] = {T_NAME, T_SMTP, T_EMAIL, T_ADDRTYPE, T_ACCOUNT,
                                      T_DISPLAY_TYPE, T_OBJECT_TYPE, T_HOME_MDB};
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.getprops.has_state = 1;
    q.getprops.state = gal_stat(mid);
    q.getprops.has_tags = 1;
    q.getprops.tags.n = sizeof(tags) / sizeof(tags[0]);
    q.getprops.tags.tags = (mh_proptag *)tags;
    mh_nspi_resp *r = ab_call(p, pool, m, MH_RT_GETPROPS, step, &q);
    if (!r)
        return -1;
    const mh_nspi_getprops_resp *g = &r->getprops;
    if (g->error_code != 0 && g->error_code != MH_NSPI_ERRORS_RETURNED) {
        step_fail(p, step, "GetProps ErrorCode %s", nspi_err(pool, g->error_code));
        return -1;
    }
    if (!g->has_values) {
        step_fail(p, step, "GetProps gave no values");
        return -1;
    }
    const char *name = pv_str(mh_proplist_find(&g->values, T_NAME));
    const char *smtp = pv_str(mh_proplist_find(&g->values, T_SMTP));
    const char *email = pv_str(mh_proplist_find(&g->values, T_EMAIL));
    const char *type = pv_str(mh_proplist_find(&g->values, T_ADDRTYPE));
    const char *account = pv_str(mh_proplist_find(&g->values, T_ACCOUNT));
    const char *home = pv_str(mh_proplist_find(&g->values, T_HOME_MDB));
    long dt = pv_long(mh_proplist_find(&g->values, T_DISPLAY_TYPE));
    long ot = pv_long(mh_proplist_find(&g->values, T_OBJECT_TYPE));
    if (!name) {
        step_fail(p, step, "the user's entry has no display name");
        return -1;
    }
    step_ok(p, step, "\"%s\" <%s>, alias %s", name, smtp ? smtp : "no SMTP address",
            account ? account : "(none)");
    detail("address       %s:%s", type ? type : "?", email ? email : "(none)");
    detail("home MDB      %s", home ? home : "(none)");
    p->alias = account;
    if (!smtp)
        detail("note: no PR_SMTP_ADDRESS: Outlook shows no address for the user");
    if (email && strcasecmp(email, p->user_dn) != 0)
        detail("note: the entry's EX address is not the DN it was found by");
    if (!home)
        detail("note: no home MDB: the user has no mailbox, or the directory does not "
               "say where it is");
    if (dt != DT_MAILUSER || ot != MAPI_MAILUSER)
        detail("note: display type %ld, object type %ld (a user is 0 and 6)", dt, ot);
    if (p->ad_ok && p->ad.display_name && strcmp(p->ad.display_name, name) != 0)
        detail("note: Autodiscover gave the display name \"%s\"", p->ad.display_name);
    return 0;
}

/* The entries GetMatches finds for an ambiguous name (PR_ANR). */
static void list_matches(probe *p, apr_pool_t *pool, mh_mapi *m, const char *step,
                         const char *name)
{
    mh_restriction anr;
    memset(&anr, 0, sizeof(anr));
    anr.type = MH_RES_PROPERTY;
    anr.u.prop.relop = MH_RELOP_EQ;
    anr.u.prop.tag = T_ANR;
    anr.u.prop.val = mh_pv_str(T_ANR, name);
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.getmatches.has_state = 1;
    q.getmatches.state = gal_stat(0);
    q.getmatches.has_filter = 1;
    q.getmatches.filter = &anr;
    q.getmatches.row_count = 50;
    q.getmatches.has_columns = 1;
    q.getmatches.columns.n = 3;
    q.getmatches.columns.tags = (mh_proptag *)ENTRY_COLS;
    mh_nspi_resp *r = ab_call(p, pool, m, MH_RT_GETMATCHES, step, &q);
    if (!r)
        return;
    const mh_nspi_getmatches_resp *g = &r->getmatches;
    if (g->error_code == MH_NSPI_TABLE_TOO_BIG) {
        detail("more than 50 entries match");
        return;
    }
    if (g->error_code != 0 || !g->has_rows) {
        step_fail(p, step, "GetMatches with PR_ANR \"%s\": ErrorCode %s", name,
                  nspi_err(pool, g->error_code));
        return;
    }
    if (g->rows.n_rows < 2)
        step_fail(p, step, "ResolveNames said \"%s\" is ambiguous, but GetMatches finds %u "
                  "entr%s", name, g->rows.n_rows, g->rows.n_rows == 1 ? "y" : "ies");
    for (uint32_t i = 0; i < g->rows.n_rows; i++)
        detail("%s", entry_text(pool, &g->rows, i));
}

static int ab_resolve(probe *p, apr_pool_t *pool, mh_mapi *m, const char *name, int own,
                      uint32_t own_mid)
{
    const char *step = "ResolveNames";
    step_begin(p);
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.resolvenames.reserved = 0x80000000u; /* as Outlook sends it */
    q.resolvenames.has_state = 1;
    q.resolvenames.state = gal_stat(0);
    q.resolvenames.has_tags = 1;
    q.resolvenames.tags.n = 3;
    q.resolvenames.tags.tags = (mh_proptag *)ENTRY_COLS;
    q.resolvenames.has_names = 1;
    q.resolvenames.names.n = 1;
    q.resolvenames.names.s = &name;
    mh_nspi_resp *r = ab_call(p, pool, m, MH_RT_RESOLVENAMES, step, &q);
    if (!r)
        return -1;
    const mh_nspi_resolvenames_resp *g = &r->resolvenames;
    if (g->error_code != 0) {
        step_fail(p, step, "ResolveNames ErrorCode %s", nspi_err(pool, g->error_code));
        return -1;
    }
    if (!g->has_mids || g->mids.n != 1) {
        step_fail(p, step, "the response has %u MIds for the one name asked",
                  g->has_mids ? g->mids.n : 0);
        return -1;
    }
    uint32_t mid = g->mids.ids[0];
    if (mid == MH_NSPI_MID_UNRESOLVED) {
        step_fail(p, step, "\"%s\" resolves to no entry", name);
        hint(own ? "the user's own alias should find the user: is the entry hidden from the "
                   "address book?"
                 : "no display name, alias or address begins with it (--resolve NAME)");
        return -1;
    }
    if (mid == MH_NSPI_MID_AMBIGUOUS) {
        step_ok(p, step, "\"%s\" is ambiguous: Outlook lets the user choose between", name);
        list_matches(p, pool, m, step, name);
        return 0;
    }
    /* one row per resolved name (MS-OXNSPI 3.1.4.1.17) */
    if (!g->has_rows || g->rows.n_rows != 1) {
        step_fail(p, step, "\"%s\" resolved to MId 0x%X but came with %u rows", name, mid,
                  g->has_rows ? g->rows.n_rows : 0);
        return -1;
    }
    if (own && own_mid && mid != own_mid) {
        step_fail(p, step, "the user's own alias \"%s\" resolves to another entry: %s", name,
                  entry_text(pool, &g->rows, 0));
        return -1;
    }
    step_ok(p, step, "\"%s\" resolves to %s", name, entry_text(pool, &g->rows, 0));
    return 0;
}

static int ab_queryrows(probe *p, apr_pool_t *pool, mh_mapi *m)
{
    const char *step = "QueryRows";
    step_begin(p);
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.queryrows.has_state = 1;
    q.queryrows.state = gal_stat(MH_NSPI_MID_BEGINNING_OF_TABLE);
    q.queryrows.row_count = GAL_PAGE;
    q.queryrows.has_columns = 1;
    q.queryrows.columns.n = 3;
    q.queryrows.columns.tags = (mh_proptag *)ENTRY_COLS;
    mh_nspi_resp *r = ab_call(p, pool, m, MH_RT_QUERYROWS, step, &q);
    if (!r)
        return -1;
    const mh_nspi_queryrows_resp *g = &r->queryrows;
    if (g->error_code != 0) {
        step_fail(p, step, "QueryRows ErrorCode %s", nspi_err(pool, g->error_code));
        return -1;
    }
    uint32_t n = g->has_rows ? g->rows.n_rows : 0;
    if (n > GAL_PAGE) {
        /* client-quirks.md: Outlook 2019/2021 crash on it */
        step_fail(p, step, "%u rows for the %d asked: more rows than asked crash Outlook", n,
                  GAL_PAGE);
        return -1;
    }
    if (!g->has_state) {
        step_fail(p, step, "the response has no STAT");
        return -1;
    }
    if (g->state.total_recs < n || g->state.num_pos != n) {
        step_fail(p, step, "%u rows, but the STAT says position %u of %u", n, g->state.num_pos,
                  g->state.total_recs);
        return -1;
    }
    step_ok(p, step, "the Global Address List: %u of %u entr%s from the top", n,
            g->state.total_recs, g->state.total_recs == 1 ? "y" : "ies");
    for (uint32_t i = 0; i < n; i++)
        detail("%s", entry_text(pool, &g->rows, i));
    if (n == 0)
        detail("note: the GAL is empty (not even the user is in it)");
    return 0;
}

static int ab_unbind(probe *p, apr_pool_t *pool, mh_mapi *m)
{
    const char *step = "Unbind";
    step_begin(p);
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    mh_nspi_resp *r = ab_call(p, pool, m, MH_RT_UNBIND, step, &q);
    if (!r)
        return -1;
    if (r->unbind.error_code != MH_NSPI_UNBIND_SUCCESS) {
        step_fail(p, step, "Unbind ErrorCode %s (UnbindSuccess expected)",
                  nspi_err(pool, r->unbind.error_code));
        return -1;
    }
    step_ok(p, step, "session ended");
    return 0;
}

/* The address book as Outlook checks it when it makes a profile. */
static void do_addressbook(probe *p, apr_pool_t *pool, const char *resolve)
{
    const char *why = NULL;
    mh_client *c = conn_for(p, &p->ab, 0, &why);
    if (!c) {
        step_skip("address book", "not connected");
        return;
    }
    mh_mapi *m = mh_mapi_create(pool, c, p->ab.path, p->user, p->password);
    m->client_app = p->client_app;
    if (ab_bind(p, pool, m) < 0) {
        step_skip("address book", "not bound");
        return;
    }
    uint32_t mid = 0;
    if (ab_dntomid(p, pool, m, &mid) == 0)
        ab_getprops(p, pool, m, mid);
    else
        step_skip("GetProps", "the user's entry was not found");
    int own = !resolve;
    const char *name = resolve ? resolve : p->alias ? p->alias : p->user;
    ab_resolve(p, pool, m, name, own, mid);
    ab_queryrows(p, pool, m);
    ab_unbind(p, pool, m);
}

/* ----------------------------------------------------------- mailbox */

/* Runs a batch; on failure says why and returns -1. */
static int execute(probe *p, const char *step, apr_pool_t *pool, mh_rop_batch *b,
                   mh_exec_result *res, mh_rd *rd)
{
    if (mh_emsc_execute(p->em, pool, b, res) < 0) {
        step_fail(p, step, "Execute failed");
        diagnose(p, "Execute");
        return -1;
    }
    mh_exec_reader(res, 0, rd);
    return 0;
}

/* Explains a ROP's ReturnValue. */
static void rop_failed(probe *p, const char *step, uint8_t rop_id, uint32_t rv)
{
    step_fail(p, step, "%s failed: %s", mh_ropc_name(rop_id, p->pool),
              mh_mapi_err_name(rv, p->pool));
    if (rv == MAPI_E_NO_SUPPORT || rv == MAPI_E_NOT_IMPLEMENTED)
        hint("the server does not implement %s (or not on this object)",
             mh_ropc_name(rop_id, p->pool));
    else if (rv == EC_NULL_OBJECT)
        hint("the server has no object at the ROP's handle index (an earlier ROP of the "
             "batch failed?)");
}

/* A response that did not parse, or a RopBufferTooSmall in its place. */
static void rop_malformed(probe *p, const char *step, uint8_t rop_id, const mh_rd *rd)
{
    if (rd->err) {
        step_fail(p, step, "malformed or missing %s response (MS-OXCROPS 2.2; --verbose shows the bytes)",
                  mh_ropc_name(rop_id, p->pool));
        return;
    }
    int next = mh_ropc_peek(rd);
    if (next == MH_ROPID_BUFFER_TOO_SMALL)
        step_fail(p, step, "the response buffer was too small for %s (RopBufferTooSmall)",
                  mh_ropc_name(rop_id, p->pool));
    else if (next < 0)
        step_fail(p, step, "the response has no %s response (truncated ROP output buffer)",
                  mh_ropc_name(rop_id, p->pool));
    else
        step_fail(p, step, "malformed %s response (MS-OXCROPS 2.2; next RopId 0x%02X)",
                  mh_ropc_name(rop_id, p->pool), (unsigned)next);
}

/* ----------------------------------------------------------- steps */

static int do_connect(probe *p)
{
    step_begin(p);
    if (mh_emsc_connect(p->em, p->user_dn) < 0) {
        step_fail(p, "Connect", "as %s", p->user_dn);
        diagnose(p, "Connect");
        return -1;
    }
    const char *ctx = mh_cookie_jar_get(p->em->mapi->jar, "MapiContext", NULL);
    step_ok(p, "Connect", "\"%s\", session %s", p->em->info.display_name,
            ctx ? "established (MapiContext cookie)" : "without a MapiContext cookie");
    if (!ctx)
        hint("the server set no MapiContext cookie: later requests cannot find the session");
    return 0;
}

static int do_logon(probe *p, apr_pool_t *pool)
{
    step_begin(p);
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    mh_ropc_logon(&b, 0, 0, MH_LOGON_PRIVATE, MH_LOGON_OPEN_DEFAULT, 0, p->user_dn);
    mh_exec_result res;
    mh_rd rd;
    if (execute(p, "Logon", pool, &b, &res, &rd) < 0)
        return -1;
    mh_ropc_logon_r r;
    if (mh_ropc_logon_parse(&rd, pool, &r) < 0) {
        rop_malformed(p, "Logon", MH_ROPID_LOGON, &rd);
        return -1;
    }
    if (r.h.rv == EC_WRONG_SERVER) {
        step_fail(p, "Logon", "the mailbox is on another server: %s", r.server_name);
        return -1;
    }
    if (r.h.rv) {
        rop_failed(p, "Logon", MH_ROPID_LOGON, r.h.rv);
        if (r.h.rv == EC_UNKNOWN_USER)
            hint("the DN names no mailbox this user may open");
        return -1;
    }
    p->logon_handle = mh_exec_handle(&res, 0);
    if (p->logon_handle == MH_HANDLE_UNUSED) {
        step_fail(p, "Logon", "succeeded but the response's handle table has no Logon "
                  "handle at index 0");
        return -1;
    }
    memcpy(p->fids, r.folder_ids, sizeof(p->fids));
    p->repl_id = r.repl_id;
    p->mailbox = r.mailbox_guid;
    step_ok(p, "Logon", "mailbox %s, replica %u, root folder %s", guid_str(pool,
            &r.mailbox_guid), r.repl_id, id_str(pool, r.folder_ids[MH_LF_ROOT]));
    return 0;
}

static const mh_proptag tree_cols[] = {PR_DISPLAY_NAME, PR_CONTENT_COUNT, PR_CONTENT_UNREAD,
                                       PR_FOLDER_CHILD_COUNT, PR_DEPTH, PR_FID};
#define N_TREE_COLS 6

static const char *str_val(const mh_propval *v)
{
    return v && MH_TAG_TYPE(v->tag) == PT_UNICODE ? v->v.str : "?";
}

static long long long_val(const mh_propval *v)
{
    if (!v)
        return -1;
    switch (MH_TAG_TYPE(v->tag)) {
    case PT_LONG: return v->v.i32;
    case PT_I8: return (long long)v->v.i64;
    default: return -1;
    }
}

static void print_folder(const mh_propval *row, int indent)
{
    printf("                    %*s%s  (%lld items, %lld unread, %lld subfolders)\n",
           2 * indent, "", str_val(&row[0]), long_val(&row[1]), long_val(&row[2]),
           long_val(&row[3]));
}

/* The folder tree under the root: its own line, then every folder of its
 * hierarchy table (Depth), indented by PR_DEPTH. */
static int do_folders(probe *p, apr_pool_t *pool, uint64_t *drafts_by_name)
{
    step_begin(p);
    const char *step = "folders";
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    mh_rop_batch_set_handle(&b, 0, p->logon_handle);
    mh_ropc_open_folder(&b, 0, 0, 1, p->fids[MH_LF_ROOT], 0);
    mh_ropc_get_props_specific(&b, 0, 1, 0, 1, tree_cols, 4);
    mh_ropc_get_hierarchy_table(&b, 0, 1, 2, MH_TABLE_DEPTH);
    mh_ropc_set_columns(&b, 0, 2, 0, tree_cols, N_TREE_COLS);
    mh_ropc_query_rows(&b, 0, 2, MH_QUERY_ADVANCE, 1, 100);
    mh_exec_result res;
    mh_rd rd;
    if (execute(p, step, pool, &b, &res, &rd) < 0)
        return -1;
    mh_ropc_open_folder_r of;
    if (mh_ropc_open_folder_parse(&rd, pool, &of) < 0)
        return rop_malformed(p, step, MH_ROPID_OPEN_FOLDER, &rd), -1;
    if (of.h.rv)
        return rop_failed(p, step, MH_ROPID_OPEN_FOLDER, of.h.rv), -1;
    mh_ropc_props_r root;
    if (mh_ropc_get_props_specific_parse(&rd, tree_cols, 4, 1252, pool, &root) < 0)
        return rop_malformed(p, step, MH_ROPID_GET_PROPS_SPECIFIC, &rd), -1;
    if (root.h.rv)
        return rop_failed(p, step, MH_ROPID_GET_PROPS_SPECIFIC, root.h.rv), -1;
    mh_ropc_table_r ht;
    if (mh_ropc_get_hierarchy_table_parse(&rd, &ht) < 0)
        return rop_malformed(p, step, MH_ROPID_GET_HIERARCHY_TABLE, &rd), -1;
    if (ht.h.rv)
        return rop_failed(p, step, MH_ROPID_GET_HIERARCHY_TABLE, ht.h.rv), -1;
    mh_ropc_status_r sc;
    if (mh_ropc_set_columns_parse(&rd, &sc) < 0)
        return rop_malformed(p, step, MH_ROPID_SET_COLUMNS, &rd), -1;
    if (sc.h.rv)
        return rop_failed(p, step, MH_ROPID_SET_COLUMNS, sc.h.rv), -1;
    uint32_t folder_h = mh_exec_handle(&res, 1), table_h = mh_exec_handle(&res, 2);

    apr_array_header_t *rows = apr_array_make(pool, 32, sizeof(mh_propval *));
    for (int round = 0; round < 100; round++) {
        mh_ropc_rows_r qr;
        if (mh_ropc_query_rows_parse(&rd, tree_cols, N_TREE_COLS, 1252, pool, &qr) < 0)
            return rop_malformed(p, step, MH_ROPID_QUERY_ROWS, &rd), -1;
        if (qr.h.rv)
            return rop_failed(p, step, MH_ROPID_QUERY_ROWS, qr.h.rv), -1;
        for (uint16_t i = 0; i < qr.n_rows; i++)
            APR_ARRAY_PUSH(rows, mh_propval *) = qr.rows[i];
        /* chained responses carry further QueryRows responses */
        for (size_t o = 1; o < res.n_outs; o++) {
            mh_rd more;
            mh_exec_reader(&res, o, &more);
            if (mh_ropc_query_rows_parse(&more, tree_cols, N_TREE_COLS, 1252, pool, &qr) < 0)
                return rop_malformed(p, step, MH_ROPID_QUERY_ROWS, &more), -1;
            for (uint16_t i = 0; qr.h.rv == 0 && i < qr.n_rows; i++)
                APR_ARRAY_PUSH(rows, mh_propval *) = qr.rows[i];
        }
        if (qr.origin == MH_BOOKMARK_END || qr.n_rows == 0 || (uint32_t)rows->nelts >= ht.row_count)
            break;
        mh_rop_batch_init(&b, pool);
        mh_rop_batch_set_handle(&b, 0, table_h);
        mh_ropc_query_rows(&b, 0, 0, MH_QUERY_ADVANCE, 1, 100);
        if (execute(p, step, pool, &b, &res, &rd) < 0)
            return -1;
    }
    /* release what this step opened (no responses to check) */
    mh_rop_batch_init(&b, pool);
    mh_rop_batch_set_handle(&b, 0, table_h);
    mh_rop_batch_set_handle(&b, 1, folder_h);
    mh_ropc_release(&b, 0, 0);
    mh_ropc_release(&b, 0, 1);
    if (mh_emsc_execute(p->em, pool, &b, &res) < 0) {
        step_fail(p, step, "releasing the table and folder failed");
        diagnose(p, "Execute");
        return -1;
    }

    int min_depth = 1 << 30;
    for (int i = 0; i < rows->nelts; i++) {
        long long d = long_val(&APR_ARRAY_IDX(rows, i, mh_propval *)[4]);
        if (d >= 0 && d < min_depth)
            min_depth = (int)d;
    }
    step_ok(p, step, "%d folders (hierarchy table said %u)", rows->nelts, ht.row_count);
    print_folder(root.vals, 0);
    for (int i = 0; i < rows->nelts; i++) {
        const mh_propval *row = APR_ARRAY_IDX(rows, i, mh_propval *);
        long long d = long_val(&row[4]);
        print_folder(row, 1 + (d >= 0 ? (int)(d - min_depth) : 0));
        if (drafts_by_name && strcmp(str_val(&row[0]), "Drafts") == 0 && long_val(&row[5]) != -1)
            *drafts_by_name = (uint64_t)row[5].v.i64;
    }
    if ((uint32_t)rows->nelts != ht.row_count) {
        step_fail(p, step, "the hierarchy table gave %d rows, not the %u RopGetHierarchyTable "
                  "announced", rows->nelts, ht.row_count);
        return -1;
    }
    return 0;
}

/* -------------------------------------------------- message test */

/*
 * The Drafts folder ID: PR_IPM_DRAFTS_ENTRYID of the root folder (a folder
 * entry ID, MS-OXCDATA 2.2.4.1) turned into a FID with
 * RopIdFromLongTermId, as Outlook does.
 */
static int find_drafts(probe *p, apr_pool_t *pool, uint64_t *fid_r)
{
    const char *step = "message";
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    mh_rop_batch_set_handle(&b, 0, p->logon_handle);
    mh_proptag tag = PR_IPM_DRAFTS_ENTRYID;
    mh_ropc_open_folder(&b, 0, 0, 1, p->fids[MH_LF_ROOT], 0);
    mh_ropc_get_props_specific(&b, 0, 1, 0, 1, &tag, 1);
    mh_ropc_release(&b, 0, 1);
    mh_exec_result res;
    mh_rd rd;
    if (execute(p, step, pool, &b, &res, &rd) < 0)
        return -1;
    mh_ropc_open_folder_r of;
    if (mh_ropc_open_folder_parse(&rd, pool, &of) < 0)
        return rop_malformed(p, step, MH_ROPID_OPEN_FOLDER, &rd), -1;
    if (of.h.rv)
        return rop_failed(p, step, MH_ROPID_OPEN_FOLDER, of.h.rv), -1;
    mh_ropc_props_r pr;
    if (mh_ropc_get_props_specific_parse(&rd, &tag, 1, 1252, pool, &pr) < 0)
        return rop_malformed(p, step, MH_ROPID_GET_PROPS_SPECIFIC, &rd), -1;
    if (pr.h.rv)
        return rop_failed(p, step, MH_ROPID_GET_PROPS_SPECIFIC, pr.h.rv), -1;
    if (MH_TAG_TYPE(pr.vals[0].tag) != PT_BINARY || pr.vals[0].v.bin.len != 46) {
        step_fail(p, step, "the root folder has no PR_IPM_DRAFTS_ENTRYID folder entry ID%s",
                  MH_TAG_TYPE(pr.vals[0].tag) == PT_ERROR
                      ? apr_psprintf(pool, " (%s)", mh_mapi_err_name(pr.vals[0].v.err, pool))
                      : "");
        return -1;
    }
    /* Flags 4, ProviderUID 16, FolderType 2, DatabaseGuid 16,
     * GlobalCounter 6, Pad 2 */
    const uint8_t *e = pr.vals[0].v.bin.data;
    mh_long_term_id l;
    memcpy(l.guid.b, e + 22, 16);
    memcpy(l.counter, e + 38, 6);
    l.pad = 0;
    mh_rop_batch_init(&b, pool);
    mh_rop_batch_set_handle(&b, 0, p->logon_handle);
    mh_ropc_id_from_long_term_id(&b, 0, 0, &l);
    if (execute(p, step, pool, &b, &res, &rd) < 0)
        return -1;
    mh_ropc_id_r id;
    if (mh_ropc_id_from_long_term_id_parse(&rd, &id) < 0)
        return rop_malformed(p, step, MH_ROPID_ID_FROM_LONG_TERM_ID, &rd), -1;
    if (id.h.rv)
        return rop_failed(p, step, MH_ROPID_ID_FROM_LONG_TERM_ID, id.h.rv), -1;
    *fid_r = id.object_id;
    return 0;
}

static const mh_proptag recip_cols[] = {PR_OBJECT_TYPE, PR_DISPLAY_TYPE, PR_SMTP_ADDRESS};

/* The UTF-16LE form of a UTF-8 string, without its NUL. */
static const unsigned char *utf16(apr_pool_t *pool, const char *s, size_t *len_r)
{
    mh_wr w;
    mh_wr_init(&w, pool, 2 * strlen(s) + 2);
    mh_wr_utf16z(&w, s);
    *len_r = w.len - 2;
    return w.buf;
}

static int do_message(probe *p, apr_pool_t *pool, uint64_t drafts_by_name)
{
    const char *step = "message";
    step_begin(p);
    uint64_t drafts = 0;
    if (find_drafts(p, pool, &drafts) < 0) {
        if (!drafts_by_name)
            return -1;
        hint("using the folder the tree names \"Drafts\" instead");
        p->failed = 1;
        drafts = drafts_by_name;
    }
    apr_time_exp_t tm;
    apr_time_exp_gmt(&tm, apr_time_now());
    const char *subject = apr_psprintf(pool, "mapihttp-probe test %04d-%02d-%02d %02d:%02d:%02d",
                                       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                       tm.tm_hour, tm.tm_min, tm.tm_sec);
    /* non-ASCII on purpose: the body must come back byte for byte */
    const char *body = "This message was written by mapihttp-probe and is deleted at once.\r\n"
                       "Gr\xc3\xbc\xc3\x9f" "e \xe2\x80\x93 \xe2\x9c\x93 \xf0\x9f\x93\xac\r\n";
    const char *rcpt_name = "Probe Recipient";
    const char *rcpt_addr = "probe-recipient@example.invalid";

    /* 1. create and save */
    mh_propval vals[3];
    memset(vals, 0, sizeof(vals));
    vals[0].tag = PR_MESSAGE_CLASS;
    vals[0].v.str = "IPM.Note";
    vals[1].tag = PR_SUBJECT;
    vals[1].v.str = subject;
    vals[2].tag = PR_BODY;
    vals[2].v.str = body;
    mh_propval rvals[3];
    memset(rvals, 0, sizeof(rvals));
    rvals[0].tag = PR_OBJECT_TYPE;
    rvals[0].v.i32 = 6; /* MAPI_MAILUSER */
    rvals[1].tag = PR_DISPLAY_TYPE;
    rvals[1].v.i32 = 0; /* DT_MAILUSER */
    rvals[2].tag = PR_SMTP_ADDRESS;
    rvals[2].v.str = rcpt_addr;
    mh_recipient rcpt;
    memset(&rcpt, 0, sizeof(rcpt));
    rcpt.flags = MH_RF_TYPE_SMTP;
    rcpt.display_name = rcpt_name;
    rcpt.email = rcpt_addr;
    rcpt.n_cols = 3;
    rcpt.vals = rvals;
    mh_modify_recipient mr = {0, 1 /* MAPI_TO */, &rcpt};

    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    mh_rop_batch_set_handle(&b, 0, p->logon_handle);
    mh_ropc_open_folder(&b, 0, 0, 1, drafts, 0);
    mh_ropc_create_message(&b, 0, 1, 2, 0x0FFF, drafts, 0);
    mh_ropc_set_props(&b, 0, 2, vals, 3, 1252);
    mh_ropc_modify_recipients(&b, 0, 2, recip_cols, 3, &mr, 1, 1252);
    mh_ropc_save_changes_message(&b, 0, 1, 2, MH_SAVE_KEEP_OPEN_READ_ONLY);
    mh_ropc_release(&b, 0, 2);
    mh_exec_result res;
    mh_rd rd;
    if (execute(p, step, pool, &b, &res, &rd) < 0)
        return -1;
    mh_ropc_open_folder_r of;
    if (mh_ropc_open_folder_parse(&rd, pool, &of) < 0)
        return rop_malformed(p, step, MH_ROPID_OPEN_FOLDER, &rd), -1;
    if (of.h.rv)
        return rop_failed(p, step, MH_ROPID_OPEN_FOLDER, of.h.rv), -1;
    uint32_t folder_h = mh_exec_handle(&res, 1);
    mh_ropc_create_message_r cm;
    if (mh_ropc_create_message_parse(&rd, &cm) < 0)
        return rop_malformed(p, step, MH_ROPID_CREATE_MESSAGE, &rd), -1;
    if (cm.h.rv)
        return rop_failed(p, step, MH_ROPID_CREATE_MESSAGE, cm.h.rv), -1;
    mh_ropc_problems_r sp;
    if (mh_ropc_set_props_parse(&rd, pool, &sp) < 0)
        return rop_malformed(p, step, MH_ROPID_SET_PROPS, &rd), -1;
    if (sp.h.rv)
        return rop_failed(p, step, MH_ROPID_SET_PROPS, sp.h.rv), -1;
    if (sp.n) {
        step_fail(p, step, "RopSetProperties: property 0x%08X refused: %s", sp.problems[0].tag,
                  mh_mapi_err_name(sp.problems[0].err, pool));
        return -1;
    }
    mh_ropc_hdr h;
    if (mh_ropc_simple_parse(&rd, MH_ROPID_MODIFY_RECIPIENTS, &h) < 0)
        return rop_malformed(p, step, MH_ROPID_MODIFY_RECIPIENTS, &rd), -1;
    if (h.rv)
        return rop_failed(p, step, MH_ROPID_MODIFY_RECIPIENTS, h.rv), -1;
    mh_ropc_save_message_r sm;
    if (mh_ropc_save_changes_message_parse(&rd, &sm) < 0)
        return rop_malformed(p, step, MH_ROPID_SAVE_CHANGES_MESSAGE, &rd), -1;
    if (sm.h.rv)
        return rop_failed(p, step, MH_ROPID_SAVE_CHANGES_MESSAGE, sm.h.rv), -1;
    uint64_t mid = sm.message_id;

    /* 2. read back: OpenMessage, properties, recipients, the body stream */
    mh_proptag want[3] = {PR_MESSAGE_CLASS, PR_SUBJECT, PR_BODY};
    mh_rop_batch_init(&b, pool);
    mh_rop_batch_set_handle(&b, 0, folder_h);
    mh_ropc_open_message(&b, 0, 0, 1, 0x0FFF, drafts, MH_OPEN_READ_ONLY, mid);
    mh_ropc_get_props_specific(&b, 0, 1, 0, 1, want, 3);
    mh_ropc_read_recipients(&b, 0, 1, 0);
    mh_ropc_open_stream(&b, 0, 1, 2, PR_BODY, MH_STREAM_READ_ONLY);
    mh_ropc_read_stream(&b, 0, 2, 0x7000, 0);
    mh_ropc_release(&b, 0, 2);
    mh_ropc_release(&b, 0, 1);
    if (execute(p, step, pool, &b, &res, &rd) < 0)
        return -1;
    mh_ropc_open_message_r om;
    if (mh_ropc_open_message_parse(&rd, 1252, pool, &om) < 0)
        return rop_malformed(p, step, MH_ROPID_OPEN_MESSAGE, &rd), -1;
    if (om.h.rv)
        return rop_failed(p, step, MH_ROPID_OPEN_MESSAGE, om.h.rv), -1;
    mh_ropc_props_r gp;
    if (mh_ropc_get_props_specific_parse(&rd, want, 3, 1252, pool, &gp) < 0)
        return rop_malformed(p, step, MH_ROPID_GET_PROPS_SPECIFIC, &rd), -1;
    if (gp.h.rv)
        return rop_failed(p, step, MH_ROPID_GET_PROPS_SPECIFIC, gp.h.rv), -1;
    /* the recipient columns: those of OpenMessage (the server's choice) */
    mh_ropc_read_recipients_r rr;
    if (mh_ropc_read_recipients_parse(&rd, om.cols, om.n_cols, 1252, pool, &rr) < 0)
        return rop_malformed(p, step, MH_ROPID_READ_RECIPIENTS, &rd), -1;
    if (rr.h.rv)
        return rop_failed(p, step, MH_ROPID_READ_RECIPIENTS, rr.h.rv), -1;
    mh_ropc_stream_size_r os;
    if (mh_ropc_open_stream_parse(&rd, &os) < 0)
        return rop_malformed(p, step, MH_ROPID_OPEN_STREAM, &rd), -1;
    if (os.h.rv)
        return rop_failed(p, step, MH_ROPID_OPEN_STREAM, os.h.rv), -1;
    mh_ropc_read_stream_r rs;
    if (mh_ropc_read_stream_parse(&rd, &rs) < 0)
        return rop_malformed(p, step, MH_ROPID_READ_STREAM, &rd), -1;
    if (rs.h.rv)
        return rop_failed(p, step, MH_ROPID_READ_STREAM, rs.h.rv), -1;

    int bad = 0;
    if (MH_TAG_TYPE(gp.vals[1].tag) != PT_UNICODE || strcmp(gp.vals[1].v.str, subject) != 0) {
        step_fail(p, step, "PR_SUBJECT came back as \"%s\"", str_val(&gp.vals[1]));
        bad = 1;
    }
    if (MH_TAG_TYPE(gp.vals[2].tag) != PT_UNICODE || strcmp(gp.vals[2].v.str, body) != 0) {
        step_fail(p, step, "PR_BODY came back different (%zu bytes, sent %zu)",
                  MH_TAG_TYPE(gp.vals[2].tag) == PT_UNICODE ? strlen(gp.vals[2].v.str) : 0,
                  strlen(body));
        bad = 1;
    }
    if (MH_TAG_TYPE(gp.vals[0].tag) != PT_UNICODE ||
        strcmp(gp.vals[0].v.str, "IPM.Note") != 0) {
        step_fail(p, step, "PR_MESSAGE_CLASS came back as \"%s\"", str_val(&gp.vals[0]));
        bad = 1;
    }
    const char *whole = apr_pstrcat(pool, om.subject_prefix ? om.subject_prefix : "",
                                    om.normalized_subject ? om.normalized_subject : "", NULL);
    if (strcmp(whole, subject) != 0) {
        step_fail(p, step, "RopOpenMessage gave the subject as \"%s\"", whole);
        bad = 1;
    }
    if (rr.n_rows != 1 || !rr.rows[0].display_name ||
        strcmp(rr.rows[0].display_name, rcpt_name) != 0 || !rr.rows[0].email ||
        strcmp(rr.rows[0].email, rcpt_addr) != 0 || rr.rows[0].recipient_type != 1) {
        step_fail(p, step, "the recipient came back as %u row(s): %s <%s> type %u",
                  rr.n_rows, rr.n_rows ? rr.rows[0].display_name : "-",
                  rr.n_rows ? rr.rows[0].email : "-",
                  rr.n_rows ? rr.rows[0].recipient_type : 0);
        bad = 1;
    }
    size_t u16_len;
    const unsigned char *u16 = utf16(pool, body, &u16_len);
    /* a string property's stream is its UTF-16LE form (a final NUL
     * tolerated) */
    size_t got = rs.size;
    if (got == u16_len + 2 && rs.data[got - 1] == 0 && rs.data[got - 2] == 0)
        got -= 2;
    if (got != u16_len || memcmp(rs.data, u16, u16_len) != 0) {
        step_fail(p, step, "the PR_BODY stream came back different (%u bytes, expected %zu)",
                  rs.size, u16_len);
        bad = 1;
    }

    /* 3. delete it, and check it is gone */
    mh_rop_batch_init(&b, pool);
    mh_rop_batch_set_handle(&b, 0, folder_h);
    mh_ropc_delete_messages(&b, 0, 0, 0, 0, &mid, 1);
    mh_ropc_open_message(&b, 0, 0, 1, 0x0FFF, drafts, MH_OPEN_READ_ONLY, mid);
    mh_ropc_release(&b, 0, 1);
    mh_ropc_release(&b, 0, 0);
    if (execute(p, step, pool, &b, &res, &rd) < 0)
        return -1;
    mh_ropc_partial_r dm;
    if (mh_ropc_delete_messages_parse(&rd, &dm) < 0)
        return rop_malformed(p, step, MH_ROPID_DELETE_MESSAGES, &rd), -1;
    if (dm.h.rv)
        return rop_failed(p, step, MH_ROPID_DELETE_MESSAGES, dm.h.rv), -1;
    if (dm.partial) {
        step_fail(p, step, "RopDeleteMessages reported PartialCompletion: the test message "
                  "%s is still in Drafts", id_str(pool, mid));
        return -1;
    }
    if (mh_ropc_open_message_parse(&rd, 1252, pool, &om) < 0)
        return rop_malformed(p, step, MH_ROPID_OPEN_MESSAGE, &rd), -1;
    if (om.h.rv != MAPI_E_NOT_FOUND) {
        step_fail(p, step, "the deleted message still opens (%s)",
                  mh_mapi_err_name(om.h.rv, pool));
        return -1;
    }
    if (bad)
        return -1;
    step_ok(p, step, "created %s in Drafts (%s), read back identical, deleted",
            id_str(pool, mid), id_str(pool, drafts));
    return 0;
}

static int do_disconnect(probe *p)
{
    step_begin(p);
    if (mh_emsc_disconnect(p->em) < 0) {
        step_fail(p, "Disconnect", "failed");
        diagnose(p, "Disconnect");
        return -1;
    }
    step_ok(p, "Disconnect", "session ended");
    return 0;
}


/* ------------------------------------------------------------- main */

/* The legacy DN mapihttp-admin gives a login by default (mh_legacydn.h). */
static const char *default_dn(apr_pool_t *pool, const char *user)
{
    return mh_legacy_dn_make(pool, NULL, NULL, user);
}

/* Where `needle` (ASCII) first occurs in `hay`, ignoring case; NULL. */
static const char *find_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *s = hay; *s; s++)
        if (strncasecmp(s, needle, n) == 0)
            return s;
    return NULL;
}

/* `u` with the first `from` of its path replaced by `to`. */
static mh_url sibling(apr_pool_t *pool, const mh_url *u, const char *from, const char *to)
{
    mh_url s = *u;
    const char *at = find_ci(u->path, from);
    if (at)
        s.path = apr_pstrcat(pool, apr_pstrmemdup(pool, u->path, (apr_size_t)(at - u->path)),
                             to, at + strlen(from), NULL);
    return s;
}

/* Prints which URL an endpoint is reached at, and why. */
static void say_endpoint(probe *p, const char *what, const mh_url *u, const char *from,
                         const char *ad_url)
{
    const char *text = mh_url_text(p->pool, u);
    printf("%-13s %s\n              (%s)\n", what, text, from);
    if (ad_url && strcmp(ad_url, text) != 0)
        printf("              (Autodiscover gives %s)\n", ad_url);
}

int main(int argc, char **argv)
{
    apr_initialize();
    atexit(apr_terminate);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    apr_pool_t *pool;
    apr_pool_create(&pool, NULL);

    probe p;
    memset(&p, 0, sizeof(p));
    p.pool = pool;
    p.origins = apr_array_make(pool, 4, sizeof(origin *));
    const char *ca = NULL, *mailbox_id = NULL, *ad_url = NULL, *resolve = NULL;
    int insecure = 0, message = 0, no_autodiscover = 0, internal = 0;
    long timeout = 30;
    const char *pos[3];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--user-dn") == 0 && i + 1 < argc) {
            p.user_dn = argv[++i];
        } else if (strcmp(a, "--mailbox-id") == 0 && i + 1 < argc) {
            mailbox_id = argv[++i];
        } else if (strcmp(a, "--email") == 0 && i + 1 < argc) {
            p.email = argv[++i];
        } else if (strcmp(a, "--autodiscover-url") == 0 && i + 1 < argc) {
            ad_url = argv[++i];
        } else if (strcmp(a, "--resolve") == 0 && i + 1 < argc) {
            resolve = argv[++i];
        } else if (strcmp(a, "--ca") == 0 && i + 1 < argc) {
            ca = argv[++i];
        } else if (strcmp(a, "--timeout") == 0 && i + 1 < argc) {
            timeout = strtol(argv[++i], NULL, 10);
            if (timeout <= 0) {
                fprintf(stderr, "%s: --timeout takes a positive number of seconds\n", progname);
                return 2;
            }
        } else if (strcmp(a, "--insecure") == 0) {
            insecure = 1;
        } else if (strcmp(a, "--message") == 0) {
            message = 1;
        } else if (strcmp(a, "--no-compress") == 0) {
            p.no_compress = 1;
        } else if (strcmp(a, "--no-autodiscover") == 0) {
            no_autodiscover = 1;
        } else if (strcmp(a, "--internal") == 0) {
            internal = 1;
        } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            p.verbose = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "%s: unknown option %s (see --help)\n", progname, a);
            return 2;
        } else if (npos < 3) {
            pos[npos++] = a;
        } else {
            fprintf(stderr, "%s: too many arguments (see --help)\n", progname);
            return 2;
        }
    }
    if (npos != 3) {
        fprintf(stderr, "usage: %s [options] URL|ADDRESS USER PASSWORD (see --help)\n",
                progname);
        return 2;
    }
    const char *target = pos[0];
    p.user = pos[1];
    p.password = pos[2];
    if (ca && insecure) {
        fprintf(stderr, "%s: --ca and --insecure exclude each other\n", progname);
        return 2;
    }
    const char *cands_buf[2];
    if (resolve && !*resolve) {
        fprintf(stderr, "%s: --resolve takes a name\n", progname);
        return 2;
    }
    if (p.email && mh_adc_candidates(pool, p.email, cands_buf) == 0) {
        fprintf(stderr, "%s: --email %s is not an e-mail address\n", progname, p.email);
        return 2;
    }
    mh_url ad_given;
    if (ad_url && mh_url_parse(pool, ad_url, &ad_given) < 0) {
        fprintf(stderr, "%s: --autodiscover-url %s is not an http:// or https:// URL with a "
                "host\n", progname, ad_url);
        return 2;
    }

    /* what the first argument names */
    const char *cands[2];
    int n_cands = 0;
    int have_mbx = 0, have_ab = 0, explicit_mbx = 0, explicit_ab = 0;
    mh_url base;
    if (strstr(target, "://")) {
        if (mh_url_parse(pool, target, &base) < 0) {
            fprintf(stderr, "%s: %s is not an http:// or https:// URL with a host\n", progname,
                    target);
            return 2;
        }
        const char *q = strchr(base.path, '?');
        const char *path = q ? apr_pstrmemdup(pool, base.path, (apr_size_t)(q - base.path))
                             : base.path;
        if (!mailbox_id && strchr(p.user, '@'))
            mailbox_id = p.user;
        const char *mq = mailbox_id ? apr_pstrcat(pool, "?MailboxId=", mailbox_id, NULL) : "";
        if (find_ci(path, "/mapi/emsmdb") || find_ci(path, "/mapi/nspi")) {
            mh_url given = base;
            if (!q)
                given.path = apr_pstrcat(pool, base.path, mq, NULL);
            if (find_ci(path, "/mapi/emsmdb")) {
                p.mbx = given;
                p.ab = sibling(pool, &given, "/mapi/emsmdb", "/mapi/nspi");
                p.mbx_from = "given on the command line";
                p.ab_from = "beside the mailbox URL given";
            } else {
                p.ab = given;
                p.mbx = sibling(pool, &given, "/mapi/nspi", "/mapi/emsmdb");
                p.ab_from = "given on the command line";
                p.mbx_from = "beside the address book URL given";
            }
            /* both fixed by the command line, whatever Autodiscover says */
            have_mbx = have_ab = 1;
            explicit_mbx = explicit_ab = 1;
            cands[n_cands++] = apr_pstrcat(pool, mh_url_origin(pool, &base),
                                           "/autodiscover/autodiscover.xml", NULL);
        } else {
            const char *ad = find_ci(path, "/autodiscover/autodiscover.xml");
            const char *prefix = ad ? apr_pstrmemdup(pool, path, (apr_size_t)(ad - path) + 1)
                                    : path;
            size_t n = strlen(prefix);
            if (n == 0 || prefix[n - 1] != '/')
                prefix = apr_pstrcat(pool, prefix, "/", NULL);
            p.mbx = base;
            p.mbx.path = apr_pstrcat(pool, prefix, "mapi/emsmdb/", mq, NULL);
            p.ab = base;
            p.ab.path = apr_pstrcat(pool, prefix, "mapi/nspi/", mq, NULL);
            have_mbx = have_ab = 1;
            p.mbx_from = p.ab_from = "made from the URL given: no Autodiscover settings";
            cands[n_cands++] = ad ? mh_url_text(pool, &base)
                                  : apr_pstrcat(pool, mh_url_origin(pool, &base), prefix,
                                                "autodiscover/autodiscover.xml", NULL);
        }
    } else if (mh_adc_candidates(pool, target, cands) == 2) {
        n_cands = 2;
        if (!p.email)
            p.email = target;
        if (no_autodiscover) {
            fprintf(stderr, "%s: with an address instead of a URL, the server is found by "
                    "Autodiscover: --no-autodiscover leaves nothing to probe\n", progname);
            return 2;
        }
    } else {
        fprintf(stderr, "%s: %s is neither an http:// or https:// URL nor an e-mail address\n",
                progname, target);
        return 2;
    }
    if (ad_url) {
        cands[0] = ad_url;
        n_cands = 1;
    }
    if (!p.email && strchr(p.user, '@') && mh_adc_candidates(pool, p.user, cands_buf) == 2)
        p.email = p.user;
    if (p.user_dn) {
        p.user_dn_from = "--user-dn";
    } else {
        p.user_dn = default_dn(pool, p.user);
        p.user_dn_from = "the default for the user name";
    }

    p.opts.tls_ca_file = ca;
    p.opts.tls_verify_system = !ca && !insecure;
    p.opts.timeout = apr_time_from_sec(timeout);
    p.client_app = "Outlook/16.0.17928.20114 mapihttp-probe/" PACKAGE_VERSION;

    printf("%s: %s as %s\n", progname, target, p.user);
    apr_time_t start = apr_time_now();

    /* 1. Autodiscover */
    const char *ad_mbx = NULL, *ad_ab = NULL;
    if (no_autodiscover) {
        step_skip("Autodiscover", "--no-autodiscover");
    } else {
        if (!p.email)
            detail("no e-mail address (--email): Autodiscover is asked for the legacy DN %s",
                   p.user_dn);
        if (do_autodiscover(&p, cands, n_cands) == 0) {
            const char *which_m, *which_a;
            ad_mbx = pick_url(&p.ad.mailstore, internal, &which_m);
            ad_ab = pick_url(&p.ad.addressbook, internal, &which_a);
            mh_url u;
            if (!explicit_mbx) {
                if (mh_url_parse(pool, ad_mbx, &u) == 0) {
                    p.mbx = u;
                    have_mbx = 1;
                    p.mbx_from = apr_psprintf(pool, "Autodiscover's MailStore %s", which_m);
                } else {
                    step_begin(&p);
                    step_fail(&p, "Autodiscover", "the MailStore %s %s is not an http(s) URL",
                              which_m, ad_mbx);
                }
            }
            if (!explicit_ab) {
                if (mh_url_parse(pool, ad_ab, &u) == 0) {
                    p.ab = u;
                    have_ab = 1;
                    p.ab_from = apr_psprintf(pool, "Autodiscover's AddressBook %s", which_a);
                } else {
                    step_begin(&p);
                    step_fail(&p, "Autodiscover", "the AddressBook %s %s is not an http(s) "
                              "URL", which_a, ad_ab);
                }
            }
            if (p.ad.legacy_dn && strcmp(p.user_dn_from, "--user-dn") != 0) {
                p.user_dn = p.ad.legacy_dn;
                p.user_dn_from = "Autodiscover's LegacyDN";
            }
        }
    }

    if (have_mbx)
        say_endpoint(&p, "mailbox", &p.mbx, p.mbx_from, explicit_mbx ? ad_mbx : NULL);
    if (have_ab)
        say_endpoint(&p, "address book", &p.ab, p.ab_from, explicit_ab ? ad_ab : NULL);
    printf("%-13s %s\n              (%s)\n", "user DN", p.user_dn, p.user_dn_from);
    if (p.ad_ok && p.ad.legacy_dn && strcmp(p.ad.legacy_dn, p.user_dn) != 0)
        printf("              (Autodiscover gives %s)\n", p.ad.legacy_dn);

    apr_pool_t *sp;
    apr_pool_create(&sp, pool);

    /* 2. the address book */
    if (have_ab)
        do_addressbook(&p, sp, resolve);
    else
        step_skip("address book", "no URL: Autodiscover gave none");

    /* 3. the mailbox */
    mh_client *conn = have_mbx ? conn_for(&p, &p.mbx, 0, NULL) : NULL;
    if (!conn) {
        const char *why = have_mbx ? "not connected" : "no URL: Autodiscover gave none";
        step_skip("Connect", why);
        step_skip("Logon", why);
        step_skip("folders", why);
        if (message)
            step_skip("message", why);
    } else {
        p.em = mh_emsc_create(pool, conn, p.mbx.path, p.user, p.password);
        p.em->mapi->client_app = p.client_app;
        if (p.no_compress) {
            p.em->compress = 0;
            p.em->obfuscate = 0;
            p.em->exec_flags = MH_EXEC_NO_COMPRESSION | MH_EXEC_NO_XOR_MAGIC;
        }
        if (p.verbose) {
            p.em->trace = trace;
            p.em->trace_baton = &p;
        }
        if (do_connect(&p) < 0) {
            step_skip("Logon", "not connected");
            step_skip("folders", "not connected");
            if (message)
                step_skip("message", "not connected");
        } else {
            uint64_t drafts_by_name = 0;
            if (do_logon(&p, sp) < 0) {
                step_skip("folders", "no logon");
                if (message)
                    step_skip("message", "no logon");
            } else {
                do_folders(&p, sp, &drafts_by_name);
                if (message)
                    do_message(&p, sp, drafts_by_name);
            }
            do_disconnect(&p);
        }
    }
    apr_pool_destroy(sp);
    printf("%s after %.1f ms: %s\n", progname, (double)(apr_time_now() - start) / 1000.0,
           p.failed ? "FAILED" : "all steps passed");
    return p.failed ? 1 : 0;
}
