/*
 * it_probe.c - mapihttp-probe against a real httpd with the LMDB backend
 * and a small directory: the whole walk (connect, Autodiscover, the
 * address book - Bind, DNToMId, GetProps, ResolveNames, QueryRows,
 * Unbind - then Connect, Logon, the folder tree, Disconnect) with the
 * values each step prints; the URLs Autodiscover gives used over those the
 * base URL makes (another port, TLS); a URL naming the endpoint used as
 * given; an address instead of a URL; redirects; ambiguous and unknown
 * names; the message round trip (--message); TLS with and without
 * --insecure; plain buffers (--no-compress); and the diagnoses of the
 * failures a user meets first (wrong password, wrong DN, unknown address,
 * no Autodiscover, nothing listening), each with its exit status.
 *
 * Steps whose ROPs the server does not implement yet (the probe says
 * "does not implement") are reported as skipped checks, so that the
 * suite follows the server as it grows; every other failure fails.
 *
 *   it_probe --mpm event|prefork
 */
#include "harness.h"
#include "mh_test.h"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include <apr_strings.h>

static apr_pool_t *pool;
static apr_pool_t *root_pool;
static mh_httpd *H;
static const char *ADA_MAILBOX; /* its GUID, as mapihttp-admin prints it */
static const char *ADA_DN;

#define TEST(fn) MH_IT_TEST(fn, pool, root_pool)
#define PROBE MH_BUILD_DIR "/tools/mapihttp-probe"

/* The directory, in GAL order. */
static const char *const GAL[] = {
    "Ada Lovelace <ada@example.com>", "Adam Smith <adam@example.com>",
    "Bob Bobson <bob@example.com>", "Pioneers <pioneers@example.com> (list)",
    "Ursula Franklin <ursula@example.com>"};
#define N_GAL 5

static void show(const char *out);

/* Runs the probe with `args`; returns its exit status, *out_r what it
 * printed (stdout and stderr). */
static int probe(const char *args, const char **out_r)
{
    const char *cmd = apr_pstrcat(pool, PROBE, " ", args, " 2>&1", NULL);
    FILE *f = popen(cmd, "r");
    if (!f) {
        *out_r = "";
        return -1;
    }
    char buf[4096];
    size_t n;
    const char *out = "";
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        out = apr_pstrcat(pool, out, apr_pstrmemdup(pool, buf, n), NULL);
    int st = pclose(f);
    *out_r = out;
    if (getenv("MH_PROBE_SHOW")) { /* what the probe printed, for debugging */
        printf("# $ mapihttp-probe %s\n", args);
        show(out);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *url(int port, int tls)
{
    return apr_psprintf(pool, "%s://127.0.0.1:%d/", tls ? "https" : "http", port);
}

static void show(const char *out)
{
    for (const char *p = out; *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        printf("#   %.*s\n", (int)n, p);
        p += n + (e ? 1 : 0);
    }
}

/* The line of a step ("OK    Logon", "FAIL  folders"), or NULL. */
static const char *step_line(const char *out, const char *status, const char *step)
{
    const char *key = apr_psprintf(pool, "%-5s %-12s ", status, step);
    const char *p = strstr(out, key);
    if (!p)
        return NULL;
    const char *e = strchr(p, '\n');
    return e ? apr_pstrmemdup(pool, p, (apr_size_t)(e - p)) : p;
}

/* How many lines hold `s`. */
static int count(const char *out, const char *s)
{
    int n = 0;
    for (const char *p = strstr(out, s); p; p = strstr(p + 1, s))
        n++;
    return n;
}

/*
 * A step passed, or failed only because the server lacks a ROP it needs:
 * returns 1 when it passed, 0 when skipped for that reason (printed), and
 * fails the check otherwise.
 */
static int step_passed_or_unimplemented(const char *out, const char *step)
{
    if (step_line(out, "OK", step))
        return 1;
    const char *fail = step_line(out, "FAIL", step);
    if (fail && strstr(out, "the server does not implement")) {
        printf("# SKIP %s: %s\n", step, fail);
        return 0;
    }
    printf("# step %s neither passed nor met an unimplemented ROP\n", step);
    show(out);
    CHECK(0);
    return 0;
}

/* The mailbox URLs Autodiscover gives ada on `base` ("http://127.0.0.1:N"). */
static const char *ada_url(const char *base, const char *endpoint)
{
    return apr_pstrcat(pool, base, "/mapi/", endpoint, "/?MailboxId=", ADA_MAILBOX,
                       "@example.com", NULL);
}

/* Every address book step passed, with the values of ada's entry and the
 * whole GAL in order. */
static void check_address_book(const char *out)
{
    const char *l = step_line(out, "OK", "Bind");
    CHECK(l && strstr(l, "session established (NspiContext cookie)"));
    l = step_line(out, "OK", "DNToMId");
    CHECK(l && strstr(l, "MId 0x"));
    l = step_line(out, "OK", "GetProps");
    CHECK(l && strstr(l, "\"Ada Lovelace\" <ada@example.com>, alias ada"));
    CHECK(strstr(out, apr_pstrcat(pool, "address       EX:", ADA_DN, "\n", NULL)) != NULL);
    CHECK(strstr(out, "home MDB      /o=First Organization/ou=Exchange Administrative Group "
                      "(FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=") != NULL);
    l = step_line(out, "OK", "ResolveNames");
    CHECK(l && strstr(l, "\"ada\" resolves to Ada Lovelace <ada@example.com>"));
    l = step_line(out, "OK", "QueryRows");
    CHECK(l && strstr(l, apr_psprintf(pool, "the Global Address List: %d of %d entries from "
                                         "the top", N_GAL, N_GAL)));
    /* the rows, in order, each on its line */
    const char *at = l ? strstr(out, l) : NULL;
    for (int i = 0; at && i < N_GAL; i++) {
        const char *row = strstr(at, apr_pstrcat(pool, "                    ", GAL[i], "\n",
                                                  NULL));
        CHECK(row != NULL);
        at = row ? row + 1 : at;
    }
    CHECK(step_line(out, "OK", "Unbind") != NULL);
    CHECK(strstr(out, "note:") == NULL);
}

/* ---------------------------------------------------------- tests */

/* A base URL: Autodiscover (for the legacy DN: "ada" is no address), its
 * URLs used, the address book, the mailbox. */
static void test_walk(void)
{
    const char *out;
    int rc = probe(apr_pstrcat(pool, url(H->port, 0), " ada secret-ada", NULL), &out);
    const char *base = apr_psprintf(pool, "http://127.0.0.1:%d", H->port);
    const char *c = step_line(out, "OK", "connect");
    CHECK(c && strstr(c, apr_psprintf(pool, "TCP 127.0.0.1:%d", H->port)));
    CHECK_EQ_U(count(out, "OK    connect"), 1); /* one server */
    CHECK(strstr(out, "no e-mail address (--email): Autodiscover is asked for the legacy DN "));
    const char *a = step_line(out, "OK", "Autodiscover");
    CHECK(a && strstr(a, apr_pstrcat(pool, "\"Ada Lovelace\" <ada@example.com> from ", base,
                                     "/autodiscover/autodiscover.xml", NULL)));
    CHECK(strstr(out, apr_pstrcat(pool, "legacy DN     ", ADA_DN, "\n", NULL)) != NULL);
    CHECK(strstr(out, "mapiHttp      version 1\n") != NULL);
    CHECK(strstr(out, apr_pstrcat(pool, "mailbox       ", ada_url(base, "emsmdb"),
                                  " (internal and external)\n", NULL)) != NULL);
    CHECK(strstr(out, apr_pstrcat(pool, "address book  ", ada_url(base, "nspi"),
                                  " (internal and external)\n", NULL)) != NULL);
    CHECK(strstr(out, apr_pstrcat(pool, "mailbox       ", ada_url(base, "emsmdb"),
                                  "\n              (Autodiscover's MailStore ExternalUrl)",
                                  NULL)) != NULL);
    CHECK(strstr(out, apr_pstrcat(pool, "address book  ", ada_url(base, "nspi"),
                                  "\n              (Autodiscover's AddressBook ExternalUrl)",
                                  NULL)) != NULL);
    CHECK(strstr(out, apr_pstrcat(pool, "user DN       ", ADA_DN,
                                  "\n              (Autodiscover's LegacyDN)", NULL)) != NULL);
    check_address_book(out);
    c = step_line(out, "OK", "Connect");
    CHECK(c && strstr(c, "\"Ada Lovelace\"") && strstr(c, "MapiContext"));
    const char *l = step_line(out, "OK", "Logon");
    CHECK(l && strstr(l, "mailbox ") && strstr(l, "replica 1"));
    CHECK(strstr(l ? l : "", ADA_MAILBOX) != NULL);
    CHECK(step_line(out, "OK", "Disconnect") != NULL);
    /* the order Outlook makes a profile in */
    const char *steps[] = {"OK    connect", "OK    Autodiscover", "OK    Bind", "OK    DNToMId",
                           "OK    GetProps", "OK    ResolveNames", "OK    QueryRows",
                           "OK    Unbind", "OK    Connect", "OK    Logon"};
    const char *prev = out;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        const char *s = strstr(prev, steps[i]);
        CHECK(s != NULL);
        prev = s ? s : prev;
    }
    if (step_passed_or_unimplemented(out, "folders")) {
        /* the provisioned folders, indented under the IPM subtree */
        CHECK(strstr(out, "Inbox  (") != NULL);
        CHECK(strstr(out, "Drafts  (") != NULL);
        CHECK(strstr(out, "Top of Information Store  (") != NULL);
        CHECK_EQ_U(rc, 0);
        CHECK(strstr(out, "all steps passed") != NULL);
    } else {
        CHECK_EQ_U(rc, 1);
    }
    CHECK(strstr(out, "FAIL") == NULL);
    if (rc != 0)
        show(out);
}

/* The address given: Autodiscover asked for it, and its answer is all. */
static void test_email(void)
{
    const char *out;
    int rc = probe(apr_pstrcat(pool, "--email ada@example.com ", url(H->port, 0),
                               " ada secret-ada", NULL), &out);
    CHECK_EQ_U(rc, 0);
    CHECK(strstr(out, "no e-mail address") == NULL);
    CHECK(step_line(out, "OK", "Autodiscover") != NULL);
    check_address_book(out);
    /* an address instead of a URL, Autodiscover's URL given */
    rc = probe(apr_pstrcat(pool, "--autodiscover-url ", url(H->port, 0),
                           "Autodiscover/Autodiscover.xml ada@example.com ada secret-ada", NULL),
               &out);
    CHECK_EQ_U(rc, 0);
    const char *base = apr_psprintf(pool, "http://127.0.0.1:%d", H->port);
    CHECK(strstr(out, apr_pstrcat(pool, "mailbox       ", ada_url(base, "emsmdb"), "\n",
                                  NULL)) != NULL);
    check_address_book(out);
    if (rc)
        show(out);
}

/* Autodiscover on one server names another (here: the TLS port): its
 * URLs are the ones used. */
static void test_autodiscover_urls(void)
{
    const char *out;
    int rc = probe(apr_pstrcat(pool, "--insecure ", url(H->noauth_port, 0), " ada secret-ada",
                               NULL), &out);
    CHECK_EQ_U(rc, 0);
    const char *tls = apr_psprintf(pool, "https://127.0.0.1:%d", H->tls_port);
    CHECK(step_line(out, "OK", "connect") &&
          strstr(step_line(out, "OK", "connect"),
                 apr_psprintf(pool, "TCP 127.0.0.1:%d", H->noauth_port)));
    CHECK(strstr(out, apr_psprintf(pool, "OK    connect      TCP+TLS 127.0.0.1:%d",
                                   H->tls_port)) != NULL);
    CHECK(strstr(out, apr_pstrcat(pool, "mailbox       ", ada_url(tls, "emsmdb"),
                                  "\n              (Autodiscover's MailStore ExternalUrl)",
                                  NULL)) != NULL);
    CHECK(strstr(out, apr_pstrcat(pool, "address book  ", ada_url(tls, "nspi"), "\n", NULL)));
    /* both URLs shown under the step */
    const char *plain = apr_psprintf(pool, "http://127.0.0.1:%d", H->port);
    CHECK(strstr(out, apr_pstrcat(pool, "mailbox       internal ", ada_url(plain, "emsmdb"),
                                  "\n                                  external ",
                                  ada_url(tls, "emsmdb"), "\n", NULL)) != NULL);
    check_address_book(out);
    CHECK(step_line(out, "OK", "Logon") != NULL);
    if (rc)
        show(out);
    /* --internal: the InternalUrls, on the plain port */
    rc = probe(apr_pstrcat(pool, "--internal ", url(H->noauth_port, 0), " ada secret-ada",
                           NULL), &out);
    CHECK_EQ_U(rc, 0);
    CHECK(strstr(out, apr_pstrcat(pool, "mailbox       ", ada_url(plain, "emsmdb"),
                                  "\n              (Autodiscover's MailStore InternalUrl)",
                                  NULL)) != NULL);
    CHECK(strstr(out, apr_pstrcat(pool, "address book  ", ada_url(plain, "nspi"),
                                  "\n              (Autodiscover's AddressBook InternalUrl)",
                                  NULL)) != NULL);
    CHECK(strstr(out, "TCP+TLS") == NULL);
    check_address_book(out);
    CHECK(step_line(out, "OK", "Logon") != NULL);
}

/* A URL naming the endpoint is used as given, whatever Autodiscover says. */
static void test_explicit_url(void)
{
    const char *out;
    const char *given = apr_psprintf(pool, "http://127.0.0.1:%d/mapi/emsmdb/", H->port);
    int rc = probe(apr_pstrcat(pool, given, " ada secret-ada", NULL), &out);
    CHECK_EQ_U(rc, 0);
    const char *base = apr_psprintf(pool, "http://127.0.0.1:%d", H->port);
    CHECK(strstr(out, apr_pstrcat(pool, "mailbox       ", given,
                                  "\n              (given on the command line)"
                                  "\n              (Autodiscover gives ",
                                  ada_url(base, "emsmdb"), ")", NULL)) != NULL);
    CHECK(strstr(out, apr_pstrcat(pool, "address book  ", base, "/mapi/nspi/\n"
                                  "              (beside the mailbox URL given)", NULL)));
    check_address_book(out);
    /* and without Autodiscover at all */
    rc = probe(apr_pstrcat(pool, "--no-autodiscover ", url(H->port, 0), " ada secret-ada",
                           NULL), &out);
    CHECK_EQ_U(rc, 0);
    CHECK(strstr(out, "SKIP  Autodiscover --no-autodiscover") != NULL);
    CHECK(strstr(out, "(made from the URL given: no Autodiscover settings)") != NULL);
    CHECK(strstr(out, "(the default for the user name)") != NULL);
    check_address_book(out);
    if (rc)
        show(out);
    /* --verbose: the Autodiscover XML both ways, every body in hex */
    rc = probe(apr_pstrcat(pool, "--verbose --email ada@example.com ", url(H->port, 0),
                           " ada secret-ada", NULL), &out);
    CHECK_EQ_U(rc, 0);
    CHECK(strstr(out, "  --- Autodiscover request to ") != NULL);
    CHECK(strstr(out, "  |     <EMailAddress>ada@example.com</EMailAddress>\n") != NULL);
    CHECK(strstr(out, "  --- Autodiscover response: HTTP 200") != NULL);
    CHECK(strstr(out, "  |       <Protocol Type=\"mapiHttp\" Version=\"1\">\n") != NULL);
    CHECK(strstr(out, "  --- Bind request body (45 bytes)\n") != NULL);
    CHECK(strstr(out, "  --- Unbind response body (") != NULL);
    CHECK(strstr(out, "  --- ROP input buffer") != NULL);
    check_address_book(out);
}

/* redirectAddr for an address of another domain is followed. */
static void test_redirect(void)
{
    const char *out;
    int rc = probe(apr_pstrcat(pool, "--email ada@old.example ", url(H->port, 0),
                               " ada secret-ada", NULL), &out);
    CHECK_EQ_U(rc, 0);
    CHECK(strstr(out, "/autodiscover/autodiscover.xml: redirectAddr to ada@example.com\n"));
    const char *a = step_line(out, "OK", "Autodiscover");
    CHECK(a && strstr(a, "<ada@example.com>"));
    /* redirectUrl to a plain-HTTP server elsewhere: not followed */
    rc = probe(apr_pstrcat(pool, "--email ada@plain.example ", url(H->port, 0),
                           " ada secret-ada", NULL), &out);
    CHECK_EQ_U(rc, 1);
    a = step_line(out, "FAIL", "Autodiscover");
    CHECK(a && strstr(a, "sends the client to http://autodiscover.plain.example/"));
    CHECK(strstr(out, "not followed: the credentials would go in clear text") != NULL);
    /* the base URL's endpoints are used instead, and work */
    CHECK(strstr(out, "(made from the URL given: no Autodiscover settings)") != NULL);
    CHECK(step_line(out, "OK", "Logon") != NULL);
}

static void test_resolve(void)
{
    const char *out;
    /* "ad": Ada and Adam, listed as GetMatches finds them */
    int rc = probe(apr_pstrcat(pool, "--resolve ad ", url(H->port, 0), " ada secret-ada", NULL),
                   &out);
    CHECK_EQ_U(rc, 0);
    const char *l = step_line(out, "OK", "ResolveNames");
    CHECK(l && strstr(l, "\"ad\" is ambiguous"));
    CHECK(strstr(out, "ambiguous: Outlook lets the user choose between\n"
                      "                    Ada Lovelace <ada@example.com>\n"
                      "                    Adam Smith <adam@example.com>\n") != NULL);
    /* a list, by its name */
    rc = probe(apr_pstrcat(pool, "--resolve Pioneers ", url(H->port, 0), " ada secret-ada",
                           NULL), &out);
    CHECK_EQ_U(rc, 0);
    l = step_line(out, "OK", "ResolveNames");
    CHECK(l && strstr(l, "\"Pioneers\" resolves to Pioneers <pioneers@example.com> (list)"));
    /* nobody */
    rc = probe(apr_pstrcat(pool, "--resolve zebra ", url(H->port, 0), " ada secret-ada", NULL),
               &out);
    CHECK_EQ_U(rc, 1);
    l = step_line(out, "FAIL", "ResolveNames");
    CHECK(l && strstr(l, "\"zebra\" resolves to no entry"));
    CHECK(strstr(out, "no display name, alias or address begins with it") != NULL);
    /* the other steps go on */
    CHECK(step_line(out, "OK", "QueryRows") && step_line(out, "OK", "Logon"));
}

static void test_message(void)
{
    const char *out;
    int rc = probe(apr_pstrcat(pool, "--message ", url(H->port, 0), " ada secret-ada", NULL),
                   &out);
    CHECK(step_line(out, "OK", "Logon") != NULL);
    int folders = step_passed_or_unimplemented(out, "folders");
    int message = step_passed_or_unimplemented(out, "message");
    if (folders && message) {
        CHECK_EQ_U(rc, 0);
        const char *m = step_line(out, "OK", "message");
        CHECK(m && strstr(m, "read back identical, deleted"));
    } else {
        CHECK_EQ_U(rc, 1);
    }
    /* nothing is left behind in Drafts: a second walk shows it empty */
    if (message) {
        rc = probe(apr_pstrcat(pool, url(H->port, 0), " ada secret-ada", NULL), &out);
        CHECK(strstr(out, "Drafts  (0 items") != NULL);
    }
}

static void test_tls(void)
{
    const char *out;
    /* the TLS port authenticates from the password file (ada is there) */
    int rc = probe(apr_pstrcat(pool, "--insecure --no-compress ", url(H->tls_port, 1),
                               " " MH_TEST_USER " " MH_TEST_PASSWORD, NULL), &out);
    const char *c = step_line(out, "OK", "connect");
    CHECK(c && strstr(c, "TCP+TLS"));
    CHECK_EQ_U(count(out, "OK    connect"), 1);
    CHECK(step_line(out, "OK", "Autodiscover") != NULL);
    CHECK(strstr(out, apr_pstrcat(pool, "mailbox       ",
                                  ada_url(apr_psprintf(pool, "https://127.0.0.1:%d",
                                                       H->tls_port), "emsmdb"), NULL)));
    check_address_book(out);
    CHECK(step_line(out, "OK", "Connect") != NULL);
    CHECK(step_line(out, "OK", "Logon") != NULL);
    CHECK(rc == 0 || !step_passed_or_unimplemented(out, "folders"));
    /* the self-signed certificate is refused without --insecure */
    rc = probe(apr_pstrcat(pool, url(H->tls_port, 1), " ada secret-ada", NULL), &out);
    CHECK_EQ_U(rc, 1);
    CHECK(step_line(out, "FAIL", "connect") != NULL);
    CHECK(strstr(out, "--insecure") != NULL);
    CHECK(strstr(out, "SKIP  Autodiscover not connected") != NULL);
    CHECK(strstr(out, "SKIP  address book not connected") != NULL);
    CHECK(strstr(out, "SKIP  Logon") != NULL);
    CHECK_EQ_U(count(out, "FAIL"), 2); /* the step, and the summary */
}

static void test_bad_password(void)
{
    const char *out;
    int rc = probe(apr_pstrcat(pool, url(H->port, 0), " ada wrong", NULL), &out);
    CHECK_EQ_U(rc, 1);
    const char *a = step_line(out, "FAIL", "Autodiscover");
    CHECK(a && strstr(a, "HTTP 401: authentication failed"));
    const char *b = step_line(out, "FAIL", "Bind");
    CHECK(b && strstr(b, "Bind: HTTP 401"));
    CHECK(strstr(out, "SKIP  address book not bound") != NULL);
    CHECK(step_line(out, "FAIL", "Connect") != NULL);
    CHECK_EQ_U(count(out, "authentication failed: check user and password, and that the "
                          "server's AuthType is Basic"), 2);
    CHECK(strstr(out, "FAILED") != NULL);
}

static void test_wrong_dn(void)
{
    const char *out;
    int rc = probe(apr_pstrcat(pool, "--user-dn '/o=First Organization/ou=Exchange "
                                     "Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients"
                                     "/cn=nobody' ", url(H->port, 0), " ada secret-ada", NULL),
                   &out);
    CHECK_EQ_U(rc, 1);
    /* Autodiscover is asked for that DN: nobody's */
    const char *a = step_line(out, "FAIL", "Autodiscover");
    CHECK(a && strstr(a, "answered ErrorCode 500"));
    CHECK(strstr(out, "the server knows no mailbox for this address") != NULL);
    CHECK(strstr(out, "(--user-dn)") != NULL);
    const char *d = step_line(out, "FAIL", "DNToMId");
    CHECK(d && strstr(d, "the address book has no entry for /o=First Organization/"));
    CHECK(strstr(out, "SKIP  GetProps     the user's entry was not found") != NULL);
    CHECK(step_line(out, "FAIL", "Connect") != NULL);
    CHECK(strstr(out, "ecUnknownUser: the user DN is not this user's legacy DN or the user "
                      "has no mailbox") != NULL);
}

/* Autodiscover failing each way it can: a clear diagnosis, then the
 * endpoints the base URL makes. */
static void test_autodiscover_errors(void)
{
    const char *out;
    int rc = probe(apr_pstrcat(pool, "--email nobody@example.com ", url(H->port, 0),
                               " ada secret-ada", NULL), &out);
    CHECK_EQ_U(rc, 1);
    const char *a = step_line(out, "FAIL", "Autodiscover");
    CHECK(a && strstr(a, "answered ErrorCode 500"));
    CHECK(strstr(out, "asked for nobody@example.com: is it this user's address (--email)?"));
    CHECK(strstr(out, "(made from the URL given: no Autodiscover settings)") != NULL);
    CHECK(step_line(out, "OK", "Logon") != NULL);
    /* no Autodiscover at that URL */
    rc = probe(apr_pstrcat(pool, "--autodiscover-url ", url(H->port, 0),
                           "nothing/autodiscover.xml ", url(H->port, 0), " ada secret-ada",
                           NULL), &out);
    CHECK_EQ_U(rc, 1);
    a = step_line(out, "FAIL", "Autodiscover");
    CHECK(a && strstr(a, "nothing/autodiscover.xml: HTTP 404: no Autodiscover here"));
    /* not an Autodiscover server: the mailbox endpoint answers instead */
    rc = probe(apr_pstrcat(pool, "--autodiscover-url ", url(H->port, 0), "mapi/emsmdb/ ",
                           url(H->port, 0), " ada secret-ada", NULL), &out);
    CHECK_EQ_U(rc, 1);
    a = step_line(out, "FAIL", "Autodiscover");
    CHECK(a && strstr(a, "/mapi/emsmdb/: "));
    /* an address whose domain does not resolve: both candidates named */
    rc = probe("ada@nowhere.invalid ada secret-ada", &out);
    CHECK_EQ_U(rc, 1);
    a = step_line(out, "FAIL", "Autodiscover");
    CHECK(a && strstr(a, "none of the 2 URLs tried gave settings"));
    CHECK(strstr(out, "-> https://nowhere.invalid/autodiscover/autodiscover.xml: ") != NULL);
    CHECK(strstr(out, "-> https://autodiscover.nowhere.invalid/autodiscover/autodiscover.xml: "));
    CHECK(strstr(out, "SKIP  address book no URL: Autodiscover gave none") != NULL);
    CHECK(strstr(out, "SKIP  Logon        no URL: Autodiscover gave none") != NULL);
    CHECK(strstr(out, "OK    ") == NULL);
}

static void test_nothing_listening(void)
{
    const char *out;
    int rc = probe("http://127.0.0.1:1/ ada secret-ada", &out);
    CHECK_EQ_U(rc, 1);
    CHECK(step_line(out, "FAIL", "connect") != NULL);
    CHECK(strstr(out, "nothing listens on 127.0.0.1:1") != NULL);
    CHECK_EQ_U(count(out, "FAIL  connect"), 1);
}

static void test_usage(void)
{
    const char *out;
    CHECK_EQ_U(probe("--help", &out), 0);
    CHECK(strstr(out, "SYNOPSIS") && strstr(out, "--message") && strstr(out, "EXIT STATUS"));
    CHECK(strstr(out, "Autodiscover") && strstr(out, "--resolve NAME") &&
          strstr(out, "ResolveNames") && strstr(out, "QueryRows"));
    CHECK_EQ_U(probe("http://127.0.0.1/ ada", &out), 2);
    CHECK_EQ_U(probe("ftp://x/ ada pw", &out), 2);
    CHECK_EQ_U(probe("--bogus http://x/ ada pw", &out), 2);
    CHECK_EQ_U(probe("--insecure --ca /dev/null https://x/ ada pw", &out), 2);
    CHECK_EQ_U(probe("not-a-url ada pw", &out), 2);
    CHECK(strstr(out, "neither an http:// or https:// URL nor an e-mail address") != NULL);
    CHECK_EQ_U(probe("--email nobody http://x/ ada pw", &out), 2);
    CHECK_EQ_U(probe("--autodiscover-url ftp://x/ http://x/ ada pw", &out), 2);
    CHECK_EQ_U(probe("--no-autodiscover ada@example.com ada pw", &out), 2);
    CHECK_EQ_U(probe("--resolve '' http://x/ ada pw", &out), 2);
}

static void test_log_clean(void)
{
    CHECK_EQ_U(mh_httpd_check_log(H), 0);
}

/* ------------------------------------------------------------- main */

/* A field of `user show` ("mailbox:      ..."). */
static const char *field(const char *out, const char *name)
{
    const char *p = strstr(out, name);
    if (!p)
        return NULL;
    p += strlen(name);
    while (*p == ' ')
        p++;
    return apr_pstrmemdup(pool, p, strcspn(p, "\n"));
}

static int make_store(mh_httpd *h)
{
    const char *steps[] = {
        "init",
        "user add ada --name 'Ada Lovelace' --email ada@example.com --password secret-ada",
        "user add adam --name 'Adam Smith' --email adam@example.com",
        "user add bob --name 'Bob Bobson' --email bob@example.com",
        "user add ursula --name 'Ursula Franklin' --email ursula@example.com --no-mailbox",
        "group add pioneers@example.com --name Pioneers",
        "group members pioneers@example.com ada ursula",
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        const char *out = NULL;
        if (mh_httpd_admin(h, steps[i], &out) != 0) {
            printf("# mapihttp-admin %s failed:\n%s\n", steps[i], out ? out : "");
            return -1;
        }
    }
    const char *out = NULL;
    if (mh_httpd_admin(h, "user show ada", &out) != 0)
        return -1;
    ADA_MAILBOX = field(out, "mailbox:");
    ADA_DN = field(out, "legacy DN:");
    return ADA_MAILBOX && strlen(ADA_MAILBOX) == 36 && ADA_DN ? 0 : -1;
}

/* Autodiscover where Outlook asks, authenticated by `provider`. */
static const char *autodiscover_location(const char *provider)
{
    return apr_psprintf(pool,
                        "  <LocationMatch \"(?i)^/autodiscover/\">\n"
                        "    MapiHttp On\n"
                        "    AuthType Basic\n    AuthName \"MAPI test\"\n"
                        "    AuthBasicProvider %s\n    AuthUserFile %s/htpasswd\n"
                        "    Require valid-user\n"
                        "  </LocationMatch>\n",
                        provider, H->root);
}

int main(int argc, char **argv)
{
    MH_TEST_INIT();
    signal(SIGPIPE, SIG_IGN);
    apr_pool_create(&root_pool, NULL);
    pool = root_pool;
    const char *mpm = "event";
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--mpm") == 0 && i + 1 < argc)
            mpm = argv[++i];
    H = mh_httpd_create(pool, mpm);
    if (!H || make_store(H) != 0) {
        printf("not ok - could not prepare the server\n");
        return 1;
    }
    H->server_conf = apr_pstrcat(pool, mh_httpd_lmdb_conf(H),
                                 "MapiHttpAutodiscoverRedirect old.example @example.com\n"
                                 "MapiHttpAutodiscoverRedirect plain.example "
                                 "http://autodiscover.plain.example/autodiscover/"
                                 "autodiscover.xml\n", NULL);
    H->auth_provider = "lmdb";
    H->vhost_conf = autodiscover_location("lmdb");
    H->tls_vhost_conf = autodiscover_location("file");
    /* the no-auth port's Autodiscover names the TLS port's endpoints as
     * external, the authenticated plain port's as internal */
    H->noauth_vhost_conf = apr_pstrcat(pool, autodiscover_location("lmdb"),
                                       apr_psprintf(pool, "  MapiHttpExternalUrl "
                                                    "https://127.0.0.1:%d\n"
                                                    "  MapiHttpInternalUrl "
                                                    "http://127.0.0.1:%d\n",
                                                    H->tls_port, H->port),
                                       NULL);
    /* mod_auth_basic reports the wrong password */
    mh_httpd_expect(H, "AH01617");
    if (mh_httpd_start(H) != 0) {
        printf("not ok - httpd did not start\n");
        mh_httpd_destroy(H);
        return 1;
    }
    TEST(test_usage);
    TEST(test_walk);
    TEST(test_email);
    TEST(test_autodiscover_urls);
    TEST(test_explicit_url);
    TEST(test_redirect);
    TEST(test_resolve);
    TEST(test_message);
    TEST(test_tls);
    TEST(test_bad_password);
    TEST(test_wrong_dn);
    TEST(test_autodiscover_errors);
    TEST(test_nothing_listening);
    TEST(test_log_clean);
    mh_httpd_destroy(H);
    return MH_TEST_DONE();
}
