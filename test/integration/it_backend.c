/*
 * it_backend.c - storage backends inside a real httpd: MapiHttpBackend,
 * the backend's authentication provider (AuthBasicProvider lmdb), Connect
 * answered from the directory, mapihttp-admin on a running server, and
 * the error paths, driven by the fault-injection backend
 * (test/fault/mod_mapihttp_fault.c).
 *
 *   it_backend --lmdb [--mpm event|prefork]   the LMDB backend and its auth
 *   it_backend --fault                        injected failures over HTTP
 *   it_backend --config                       configuration errors
 */
#include "harness.h"
#include "mh_client.h"
#include "mh_emsmdb.h"
#include "mh_test.h"
#include "mh_unicode.h"
#include "mh_wire.h"

#include "config.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <unistd.h>

#include <apr_strings.h>

static apr_pool_t *pool;
static apr_pool_t *root_pool;
static mh_httpd *H;

#define TEST(fn) MH_IT_TEST(fn, pool, root_pool)

#define EMSMDB "/mapi/emsmdb/?MailboxId=ada@example.com"
#define FAULT_MODULE MH_BUILD_DIR "/test/fault/.libs/mod_mapihttp_fault.so"

/* MS-OXCDATA 2.4 */
#define EC_UNKNOWN_USER 0x000003EBu
#define MAPI_E_NETWORK_ERROR 0x80040115u
#define MAPI_E_BUSY 0x8004010Bu
#define MAPI_E_CALL_FAILED 0x80004005u

/* ------------------------------------------------------------- helpers */

typedef struct connected {
    int http_status;
    int response_code;    /* X-ResponseCode */
    uint32_t error_code;  /* the body's ErrorCode */
    const char *display;  /* the body's DisplayName */
    int has_context;      /* a MapiContext cookie was set */
} connected;

/* A Connect as user/password on `port` (TLS when tls). */
/* Connect as `user` with the UserDn of login `cn` (the legacy DN the
 * admin tool gave the user when it was made; NULL: the user's own login). */
static connected do_connect_dn(int port, int tls, const char *user, const char *password,
                               const char *cn)
{
    connected c = {0};
    c.response_code = -1;
    c.error_code = 0xFFFFFFFF;
    mh_mapi *m = mh_mapi_create(pool, mh_httpd_client(H, pool, port, tls), EMSMDB, user,
                                password);
    size_t n;
    const unsigned char *b = mh_mapi_connect_body(
        pool,
        cn && !*cn ? ""
                   : apr_pstrcat(pool,
                                 "/o=First Organization/ou=Exchange Administrative Group "
                                 "(FYDIBOHF23SPDLT)/cn=Recipients/cn=",
                                 cn ? cn : user, NULL),
        0, &n);
    mh_response *r = NULL;
    if (mh_mapi_call(m, pool, "Connect", b, n, &r) != APR_SUCCESS || !r) {
        printf("# Connect failed: %s\n", mh_client_error(m->conn));
        return c;
    }
    c.http_status = r->status;
    c.response_code = mh_response_code(r);
    c.has_context = mh_cookie_jar_get(m->jar, "MapiContext", NULL) != NULL;
    if (r->status == 200 && r->inner_ok) {
        mh_rd rd;
        mh_rd_init(&rd, r->payload, r->payload_len);
        mh_rd_u32(&rd); /* StatusCode */
        c.error_code = mh_rd_u32(&rd);
        mh_rd_u32(&rd);
        mh_rd_u32(&rd);
        mh_rd_u32(&rd);
        mh_rd_asciiz(&rd, 1024, pool);
        c.display = mh_rd_utf16z(&rd, 1024, pool);
        if (rd.err)
            c.display = NULL;
    }
    return c;
}

static void control(const char *text)
{
    const char *path = apr_pstrcat(pool, H->root, "/control", NULL);
    FILE *f = fopen(path, "w");
    if (!f) {
        printf("# cannot write %s\n", path);
        return;
    }
    fputs(text, f);
    fclose(f);
    /* a rewrite within the same clock tick must still look changed */
    usleep(20000);
}

static void admin_ok(const char *args)
{
    const char *out = NULL;
    int rc = mh_httpd_admin(H, args, &out);
    if (rc != 0)
        printf("# mapihttp-admin %s -> %d:\n%s\n", args, rc, out ? out : "");
    CHECK_EQ_U(rc, 0);
}

static int make_store(mh_httpd *h)
{
    H = h;
    const char *steps[] = {
        "init",
        "user add ada --name 'Ada Lovelace' --email ada@example.com --password secret-ada",
        ("user add carol --name Carol --email carol@example.com --password secret-carol "
         "--no-mailbox"),
        "user add dave --name 'Dave Dee' --email dave@example.com --password secret-dave",
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        const char *out = NULL;
        if (mh_httpd_admin(h, steps[i], &out) != 0) {
            printf("# mapihttp-admin %s failed:\n%s\n", steps[i], out ? out : "");
            return -1;
        }
    }
    return 0;
}

static void check_log_clean(void)
{
    CHECK_EQ_U(mh_httpd_check_log(H), 0);
}

/* ----------------------------------------------------------- lmdb suite */

static int count_in_log(const char *what)
{
    int n = 0;
    const char *log = mh_httpd_read_file(H, H->error_log);
    for (const char *p = strstr(log, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}


static connected do_connect(int port, int tls, const char *user, const char *password)
{
    return do_connect_dn(port, tls, user, password, NULL);
}

static void test_lmdb_auth(void)
{
    connected c = do_connect(H->port, 0, "ada", "secret-ada");
    CHECK_EQ_U(c.http_status, 200);
    CHECK_EQ_U(c.response_code, 0);
    CHECK_EQ_U(c.error_code, 0);
    CHECK_STR(c.display, "Ada Lovelace"); /* from the directory, not the login */
    CHECK(c.has_context);
    /* the UserDn must be the user's own legacy DN (MS-OXCRPC 3.1.4.1):
     * another user's, or none, gets an error and no context */
    connected other = do_connect_dn(H->port, 0, "ada", "secret-ada", "bob");
    CHECK_EQ_U(other.error_code, EC_UNKNOWN_USER);
    CHECK(!other.has_context);
    other = do_connect_dn(H->port, 0, "ada", "secret-ada", "");
    CHECK_EQ_U(other.error_code, 0x80070005u);
    CHECK(!other.has_context);
    /* again and again: answered from the verified-credentials cache of
     * whichever process serves it (some process serves two of them) */
    for (int i = 0; i < 20; i++)
        CHECK_EQ_U(do_connect(H->port, 0, "ada", "secret-ada").http_status, 200);
    CHECK(count_in_log("lmdb: ada verified (cached)") >= 1);
    /* a login is case-insensitive in the directory */
    c = do_connect(H->port, 0, "ADA", "secret-ada");
    CHECK_EQ_U(c.http_status, 200);
    c = do_connect(H->port, 0, "ada", "secret-adA");
    CHECK_EQ_U(c.http_status, 401);
    c = do_connect(H->port, 0, "ada", "");
    CHECK_EQ_U(c.http_status, 401);
    c = do_connect(H->port, 0, "nobody", "secret-ada");
    CHECK_EQ_U(c.http_status, 401);
    /* a user in the password file only is unknown to this provider */
    c = do_connect(H->port, 0, MH_TEST_USER2, MH_TEST_PASSWORD2);
    CHECK_EQ_U(c.http_status, 401);
}

static void test_no_file_system_walk(void)
{
    /* the control: a request that is walked reads its .htaccess */
    mh_client *cl = mh_httpd_client(H, pool, H->port, 0);
    mh_response *r = NULL;
    REQUIRE(mh_client_request(cl, pool, "GET", "/other/", NULL, NULL, 0, &r) == APR_SUCCESS);
    CHECK_EQ_U(r->status, 403);
    /* MAPI/HTTP requests never look for theirs (broken: walked, they would
     * answer 500 and log an alert, which check_log_clean would catch) */
    CHECK_EQ_U(do_connect(H->port, 0, "ada", "secret-ada").http_status, 200);
}

static void test_connect_without_mailbox(void)
{
    connected c = do_connect(H->port, 0, "carol", "secret-carol");
    CHECK_EQ_U(c.http_status, 200);
    CHECK_EQ_U(c.response_code, 0);
    CHECK_EQ_U(c.error_code, EC_UNKNOWN_USER);
    CHECK(!c.has_context);
}

static void test_connect_not_in_directory(void)
{
    /* the TLS port authenticates from the password file: bob is a valid
     * httpd user without a directory entry */
    connected c = do_connect(H->tls_port, 1, MH_TEST_USER2, MH_TEST_PASSWORD2);
    CHECK_EQ_U(c.http_status, 200);
    CHECK_EQ_U(c.error_code, EC_UNKNOWN_USER);
    CHECK(!c.has_context);
}

static void test_password_change_takes_effect(void)
{
    CHECK_EQ_U(do_connect(H->port, 0, "dave", "secret-dave").http_status, 200);
    CHECK_EQ_U(do_connect(H->port, 0, "dave", "secret-dave").http_status, 200);
    admin_ok("user passwd dave --password new-secret");
    CHECK_EQ_U(do_connect(H->port, 0, "dave", "secret-dave").http_status, 401);
    CHECK_EQ_U(do_connect(H->port, 0, "dave", "new-secret").http_status, 200);
}

static void test_disable_and_delete(void)
{
    CHECK_EQ_U(do_connect(H->port, 0, "dave", "new-secret").http_status, 200);
    admin_ok("user set dave --disable");
    CHECK_EQ_U(do_connect(H->port, 0, "dave", "new-secret").http_status, 401);
    admin_ok("user set dave --enable");
    CHECK_EQ_U(do_connect(H->port, 0, "dave", "new-secret").http_status, 200);
    admin_ok("user delete dave");
    CHECK_EQ_U(do_connect(H->port, 0, "dave", "new-secret").http_status, 401);
}

static void test_admin_while_running(void)
{
    const char *out = NULL;
    CHECK_EQ_U(mh_httpd_admin(H, "check", &out), 0);
    CHECK(out && strstr(out, "0 problems"));
    CHECK_EQ_U(mh_httpd_admin(H, "mailbox stats ada", &out), 0);
    CHECK(out && strstr(out, "Inbox") && strstr(out, "folders:  27"));
    /* a new user works at once */
    admin_ok("user add erin --name Erin --email erin@example.com --password secret-erin");
    connected c = do_connect(H->port, 0, "erin", "secret-erin");
    CHECK_EQ_U(c.http_status, 200);
    CHECK_STR(c.display, "Erin");
    CHECK(c.has_context);
}

/* mapihttp-admin with `args` as they are (no --backend); its status. */
static int admin_raw(const char *args, const char **out_r)
{
    FILE *f = popen(apr_psprintf(pool, "'%s/tools/mapihttp-admin' %s 2>&1", MH_BUILD_DIR, args),
                    "r");
    if (!f)
        return -1;
    char buf[4096];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    int status = pclose(f);
    *out_r = apr_pstrdup(pool, buf);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_admin_commands(void)
{
    const char *out = NULL;
    /* distribution lists */
    admin_ok("group add staff@example.com --name 'All Staff'");
    admin_ok("group members staff@example.com ada carol@example.com");
    CHECK_EQ_U(mh_httpd_admin(H, "user list", &out), 0);
    CHECK(out && strstr(out, "All Staff") && strstr(out, "staff@example.com"));
    CHECK(mh_httpd_admin(H, "group members staff@example.com nobody", &out) != 0);
    CHECK(mh_httpd_admin(H, "group delete ada", &out) != 0); /* a user, not a list */
    CHECK(out && strstr(out, "not a distribution list"));
    admin_ok("group delete staff@example.com");
    CHECK_EQ_U(mh_httpd_admin(H, "user list", &out), 0);
    CHECK(out && !strstr(out, "All Staff"));
    /* rename: the new login works at once, the old one no more */
    admin_ok("user add frank --name 'Frank Ocean' --email frank@example.com --password p-frank");
    admin_ok("user rename frank frank2");
    /* the legacy DN stays what it was: a stable identity (MS-OXOABK) */
    CHECK_EQ_U(do_connect_dn(H->port, 0, "frank2", "p-frank", "frank").error_code, 0);
    CHECK_EQ_U(do_connect(H->port, 0, "frank2", "p-frank").error_code, EC_UNKNOWN_USER);
    CHECK_EQ_U(do_connect(H->port, 0, "frank", "p-frank").http_status, 401);
    /* set: name and aliases */
    admin_ok("user set frank2 --name 'Frank O.' --alias fo@example.com --alias f2@example.com");
    CHECK_EQ_U(mh_httpd_admin(H, "user show frank2", &out), 0);
    CHECK(out && strstr(out, "Frank O.") && strstr(out, "alias:        fo@example.com") &&
          strstr(out, "alias:        f2@example.com"));
    CHECK_STR(do_connect_dn(H->port, 0, "frank2", "p-frank", "frank").display, "Frank O.");
    CHECK(mh_httpd_admin(H, "user set frank2 --alias not-an-address", &out) != 0);
    /* a mailbox for a user made without one, and taken away again */
    CHECK_EQ_U(do_connect(H->port, 0, "carol", "secret-carol").error_code, EC_UNKNOWN_USER);
    admin_ok("mailbox create carol");
    connected c = do_connect(H->port, 0, "carol", "secret-carol");
    CHECK_EQ_U(c.error_code, 0);
    CHECK(c.has_context);
    CHECK(mh_httpd_admin(H, "mailbox create carol", &out) != 0); /* has one */
    admin_ok("mailbox delete carol");
    CHECK_EQ_U(do_connect(H->port, 0, "carol", "secret-carol").error_code, EC_UNKNOWN_USER);
    CHECK_EQ_U(mh_httpd_admin(H, "check", &out), 0);
    CHECK(out && strstr(out, " 0 problems"));
    /* --conf: the backend the httpd configuration names */
    CHECK_EQ_U(admin_raw(apr_psprintf(pool, "--conf '%s' user show ada", H->conf_path), &out), 0);
    CHECK(out && strstr(out, "Ada Lovelace"));
    CHECK(admin_raw(apr_psprintf(pool, "--conf '%s/nonexistent.conf' user list", H->root),
                    &out) != 0);
    CHECK(out && strstr(out, "cannot read"));
}

static int suite_lmdb(const char *mpm)
{
    mh_httpd *h = mh_httpd_create(pool, mpm);
    if (!h || make_store(h) != 0)
        return 1;
    /* broken .htaccess files where httpd's file-system walk would find them
     * (read, they answer 500): MAPI/HTTP URLs name no files and must not be
     * walked; a working one elsewhere shows .htaccess files are read */
    const char *dirs[] = {"/htdocs/mapi", "/htdocs/mapi/emsmdb", "/htdocs/other"};
    for (int i = 0; i < 3; i++) {
        const char *d = apr_pstrcat(pool, h->root, dirs[i], NULL);
        mkdir(d, 0755);
        FILE *f = fopen(apr_pstrcat(pool, d, "/.htaccess", NULL), "w");
        if (f) {
            fputs(i < 2 ? "ThisIsNotADirective\n" : "Require all denied\n", f);
            fclose(f);
        }
    }
    h->server_conf = apr_psprintf(pool,
                                  "%s<Directory %s/htdocs>\n  AllowOverride All\n</Directory>\n",
                                  mh_httpd_lmdb_conf(h), h->root);
    mh_httpd_expect(h, "AH01630"); /* the control request, denied */
    h->auth_provider = "lmdb";
    h->loglevel = "notice mapihttp:trace1"; /* MH00015: cached or not */
    /* mod_auth_basic reports wrong passwords and unknown users */
    mh_httpd_expect(h, "AH01617");
    mh_httpd_expect(h, "AH01618");
    if (mh_httpd_start(h) != 0)
        return 1;
    TEST(test_lmdb_auth);
    TEST(test_no_file_system_walk);
    TEST(test_connect_without_mailbox);
    TEST(test_connect_not_in_directory);
    TEST(test_password_change_takes_effect);
    TEST(test_disable_and_delete);
    TEST(test_admin_while_running);
    TEST(test_admin_commands);
    TEST(check_log_clean);
    mh_httpd_destroy(h);
    return 0;
}

/* ---------------------------------------------------------- fault suite */

static void test_fault_none(void)
{
    control("");
    connected c = do_connect(H->port, 0, "ada", "secret-ada");
    CHECK_EQ_U(c.http_status, 200);
    CHECK_EQ_U(c.error_code, 0);
    CHECK_STR(c.display, "Ada Lovelace");
    /* MapiHttpAuthCacheTimeout 0 here: every check is a full one */
    for (int i = 0; i < 8; i++)
        CHECK_EQ_U(do_connect(H->port, 0, "ada", "secret-ada").http_status, 200);
    CHECK(count_in_log("fault: ada verified") >= 9);
    CHECK_EQ_U(count_in_log("(cached)"), 0);
}

static void test_fault_auth_unavailable(void)
{
    control("dir_password unavailable\n");
    connected c = do_connect(H->port, 0, "ada", "secret-ada");
    CHECK_EQ_U(c.http_status, 500);
    const char *log = mh_httpd_read_file(H, H->error_log);
    CHECK(strstr(log, "MH00302") && strstr(log, "injected dir_password failure"));
    CHECK(strstr(log, "MH00014") != NULL);
    control("");
    CHECK_EQ_U(do_connect(H->port, 0, "ada", "secret-ada").http_status, 200);
}

static void test_fault_auth_broken_result(void)
{
    control("dir_password broken\n");
    CHECK_EQ_U(do_connect(H->port, 0, "ada", "secret-ada").http_status, 500);
    const char *log = mh_httpd_read_file(H, H->error_log);
    CHECK(strstr(log, "MH00301") && strstr(log, "dir_password returned success with a broken"));
    control("");
}

static void test_fault_auth_busy(void)
{
    /* a temporary failure is no reason to log an error, but still no access */
    int before = count_in_log(":error]");
    control("txn_begin temporary\n");
    CHECK_EQ_U(do_connect(H->port, 0, "ada", "secret-ada").http_status, 500);
    control("");
    CHECK_EQ_U(count_in_log(":error]"), before);
}

static void test_fault_connect_unavailable(void)
{
    control("dir_find unavailable\n");
    connected c = do_connect(H->tls_port, 1, "ada", MH_TEST_PASSWORD);
    CHECK_EQ_U(c.http_status, 200);
    CHECK_EQ_U(c.response_code, 0);
    CHECK_EQ_U(c.error_code, MAPI_E_NETWORK_ERROR);
    CHECK(!c.has_context);
    control("");
}

static void test_fault_connect_broken(void)
{
    control("dir_find broken\n");
    connected c = do_connect(H->tls_port, 1, "ada", MH_TEST_PASSWORD);
    CHECK_EQ_U(c.http_status, 200);
    CHECK_EQ_U(c.error_code, MAPI_E_CALL_FAILED);
    CHECK(!c.has_context);
    control("");
}

static void test_fault_connect_busy_and_unknown(void)
{
    control("txn_begin temporary\n");
    CHECK_EQ_U(do_connect(H->tls_port, 1, "ada", MH_TEST_PASSWORD).error_code, MAPI_E_BUSY);
    control("dir_find notfound\n");
    CHECK_EQ_U(do_connect(H->tls_port, 1, "ada", MH_TEST_PASSWORD).error_code, EC_UNKNOWN_USER);
    control("");
    connected c = do_connect(H->tls_port, 1, "ada", MH_TEST_PASSWORD);
    CHECK_EQ_U(c.error_code, 0);
    CHECK_STR(c.display, "Ada Lovelace");
    CHECK(c.has_context);
}

/* The meta-tags of a response, as "PROCESSING PENDING DONE". */
static const char *meta_list(const mh_response *r)
{
    const char *s = "";
    const mh_meta_tag *t = (const mh_meta_tag *)r->meta->elts;
    for (int i = 0; i < r->meta->nelts; i++)
        s = apr_pstrcat(pool, s, i ? " " : "", t[i].tag, NULL);
    return s;
}

/*
 * The response stream of a quick and of a slow Execute (MS-OXCMAPIHTTP
 * 2.2.7 and 2.2.3.3.5; MapiHttpPendingPeriod 500 here).  PROCESSING waits
 * for the first PENDING keep-alive or for the end: a quick Execute is
 * PROCESSING and DONE in one chunked response; in a slow one (four
 * logons, each reading the mailbox 400 ms late) PENDING comes when a
 * period has passed at a ROP boundary, as it always did, and PROCESSING
 * goes out with it.
 */
static void test_fault_slow_execute(void)
{
    control("");
    mh_emsc *em = mh_emsc_create(pool, mh_httpd_client(H, pool, H->port, 0), EMSMDB, "ada",
                                 "secret-ada");
    REQUIRE(mh_emsc_connect(em, "/o=First Organization/ou=Exchange Administrative Group "
                                "(FYDIBOHF23SPDLT)/cn=Recipients/cn=ada") == 0);
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    for (uint8_t i = 0; i < 4; i++)
        mh_ropc_logon(&b, i, i, MH_LOGON_PRIVATE, MH_LOGON_OPEN_DEFAULT, 0, "");
    size_t n, bl;
    const unsigned char *buf = mh_rop_batch_buffer(&b, &n);
    REQUIRE(buf);
    const unsigned char *body = mh_emsc_execute_body(pool, 0, buf, n, 1, 1, 0x10008, &bl);

    mh_response *r = NULL;
    REQUIRE(mh_mapi_call(em->mapi, pool, "Execute", body, bl, &r) == APR_SUCCESS && r);
    CHECK_EQ_U(mh_response_code(r), 0);
    CHECK(r->chunked);
    CHECK(r->inner_ok);
    CHECK_STR(meta_list(r), "PROCESSING DONE");
    mh_exec_result res;
    const char *why = NULL;
    CHECK(mh_emsc_parse_execute(r->payload, r->payload_len, pool, &res, &why) == 0 &&
          res.error_code == 0);

    control("mailbox_info delay=400\n");
    r = NULL;
    REQUIRE(mh_mapi_call(em->mapi, pool, "Execute", body, bl, &r) == APR_SUCCESS && r);
    control("");
    CHECK_EQ_U(mh_response_code(r), 0);
    CHECK(r->chunked);
    CHECK(r->inner_ok);
    /* ROPs start at about 0, 400, 800 and 1200 ms: the one at 800 finds a
     * PENDING due (500 ms after PROCESSING), the one at 1200 does not */
    CHECK_STR(meta_list(r), "PROCESSING PENDING DONE");
    if (r->meta->nelts == 3) {
        const mh_meta_tag *t = (const mh_meta_tag *)r->meta->elts;
        CHECK(t[0].at - r->sent_at >= apr_time_from_msec(500)); /* held back */
        CHECK(t[1].at - t[0].at < apr_time_from_msec(300));     /* with PENDING */
        CHECK(t[2].at - t[1].at >= apr_time_from_msec(300));    /* DONE later */
        CHECK(t[2].at - r->sent_at >= apr_time_from_msec(1600));
    }
    CHECK(mh_emsc_parse_execute(r->payload, r->payload_len, pool, &res, &why) == 0 &&
          res.error_code == 0);
    mh_rd rd;
    mh_exec_reader(&res, 0, &rd);
    for (int i = 0; i < 4; i++) {
        mh_ropc_logon_r lr;
        CHECK(mh_ropc_logon_parse(&rd, pool, &lr) == 0 && lr.h.rv == 0);
    }
    CHECK_EQ_U(mh_emsc_disconnect(em), 0);
}

static int suite_fault(void)
{
    mh_httpd *h = mh_httpd_create(pool, "event");
    if (!h || make_store(h) != 0)
        return 1;
    h->server_conf = apr_psprintf(pool,
                                  "LoadModule mapihttp_fault_module %s\n"
                                  "MapiHttpBackend fault control=%s/control path=%s\n"
                                  "MapiHttpAuthCacheTimeout 0\nMapiHttpAuthCacheEntries 16\n"
                                  "MapiHttpPendingPeriod 500\n",
                                  FAULT_MODULE, h->root, h->store_dir);
    h->auth_provider = "fault";
    h->loglevel = "notice mapihttp:trace1";
    mh_httpd_expect(h, "MH00014"); /* auth: cannot read the password */
    mh_httpd_expect(h, "MH00301"); /* broken result */
    mh_httpd_expect(h, "MH00302"); /* backend failure */
    if (mh_httpd_start(h) != 0)
        return 1;
    TEST(test_fault_none);
    TEST(test_fault_auth_unavailable);
    TEST(test_fault_auth_broken_result);
    TEST(test_fault_auth_busy);
    TEST(test_fault_connect_unavailable);
    TEST(test_fault_connect_broken);
    TEST(test_fault_connect_busy_and_unknown);
    TEST(test_fault_slow_execute);
    TEST(check_log_clean);
    mh_httpd_destroy(h);
    return 0;
}

/* --------------------------------------------------------- config suite */

static void expect_refusal(const char *conf, const char *must_say)
{
    mh_httpd *h = mh_httpd_create(pool, "event");
    REQUIRE(h);
    h->server_conf = apr_psprintf(pool, "LoadModule mapihttp_fault_module %s\n"
                                        "LoadModule mapihttp_lmdb_module "
                                        "%s/.libs/mod_mapihttp_lmdb.so\n%s",
                                  FAULT_MODULE, MH_BUILD_DIR, conf);
    CHECK(mh_httpd_refuses(h, must_say) == 0);
    mh_httpd_destroy(h);
}

static void test_backend_lookup_errors(void)
{
    /* unknown name: the message lists what is there, with versions */
    expect_refusal("MapiHttpBackend nosuch path=/tmp/x\n",
                   "MapiHttpBackend: no backend 'nosuch' for backend interface 1 is loaded");
    expect_refusal("MapiHttpBackend nosuch path=/tmp/x\n", "lmdb (interface 1)");
    expect_refusal("MapiHttpBackend nosuch path=/tmp/x\n", "fault_v2 (interface 2)");
    /* a backend built for another interface version */
    expect_refusal("MapiHttpBackend fault_v2 path=/tmp/x\n",
                   "no backend 'fault_v2' for backend interface 1");
    /* a struct too small for this interface */
    expect_refusal("MapiHttpBackend fault_old path=/tmp/x\n",
                   "smaller than interface version 1 requires");
    expect_refusal("MapiHttpBackend\n", "MapiHttpBackend: give a backend");
}

static void test_backend_option_errors(void)
{
    expect_refusal("MapiHttpBackend lmdb colour=blue path=/tmp/x\n",
                   "MapiHttpBackend lmdb: instance_create: unknown option 'colour'");
    expect_refusal("MapiHttpBackend lmdb size=12G\n", "path= is required");
    expect_refusal("MapiHttpBackend lmdb path=relative\n", "give an absolute directory");
    expect_refusal("MapiHttpBackend lmdb path=/tmp/x sync=sometimes\n", "sync=sometimes");
    expect_refusal("MapiHttpAuthCacheTimeout -1\n", "MapiHttpAuthCacheTimeout: '-1'");
    expect_refusal("MapiHttpAuthCacheEntries lots\n", "MapiHttpAuthCacheEntries: 'lots'");
}

static void test_backend_storage_errors(void)
{
    /* storage that cannot be created stops httpd at start-up */
    expect_refusal("MapiHttpBackend lmdb path=/proc/mapihttp-test/store\n",
                   "MH00005: mod_mapihttp cannot start: MapiHttpBackend lmdb "
                   "path=/proc/mapihttp-test/store");
    /* one store named twice with different options */
    char dir[] = "/tmp/mh-two-XXXXXX";
    REQUIRE(mkdtemp(dir));
    expect_refusal(apr_psprintf(pool, "MapiHttpBackend lmdb path=%s size=64M\n"
                                      "<VirtualHost 127.0.0.1:1>\n"
                                      "MapiHttpBackend lmdb path=%s/ size=128M\n"
                                      "</VirtualHost>\n",
                                dir, dir),
                   "is configured twice with different size=");
    CHECK(system(apr_psprintf(pool, "rm -rf %s", dir)) == 0);
}

static void test_provider_without_passwords(void)
{
    /* AuthBasicProvider for a backend whose struct lacks dir_password */
    mh_httpd *h = mh_httpd_create(pool, "event");
    REQUIRE(h);
    REQUIRE(make_store(h) == 0);
    h->server_conf = apr_psprintf(pool,
                                  "LoadModule mapihttp_fault_module %s\n"
                                  "MapiHttpBackend fault_nopw path=%s\n",
                                  FAULT_MODULE, h->store_dir);
    h->auth_provider = "fault_nopw";
    mh_httpd_expect(h, "MH00014");
    REQUIRE(mh_httpd_start(h) == 0);
    CHECK_EQ_U(do_connect(h->port, 0, "ada", "secret-ada").http_status, 500);
    const char *log = mh_httpd_read_file(h, h->error_log);
    CHECK(strstr(log, "MH00014") && strstr(log, "does not implement dir_password"));
    /* the same server answers Connect from the directory (file auth) */
    connected c = do_connect(h->tls_port, 1, "ada", MH_TEST_PASSWORD);
    CHECK_STR(c.display, "Ada Lovelace");
    CHECK_EQ_U(mh_httpd_check_log(h), 0);
    mh_httpd_destroy(h);
    H = NULL;
}

/* A file planted as a link in storage the httpd user owns: root (httpd's
 * start-up) refuses to touch it, and the file it points at is unchanged. */
static int victim_intact(const char *victim)
{
    struct stat st;
    FILE *f = fopen(victim, "r");
    char buf[32] = {0};
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    return n == 6 && strcmp(buf, "secret") == 0 && stat(victim, &st) == 0 && st.st_uid == 0 &&
           (st.st_mode & 0777) == 0600;
}

static void plant(const char *dir, const char *name, const char *victim)
{
    FILE *f = fopen(victim, "w");
    if (f) {
        fputs("secret", f);
        fclose(f);
    }
    chmod(victim, 0600);
    mkdir(dir, 0700);
    const char *link = apr_pstrcat(pool, dir, "/", name, NULL);
    unlink(link);
    CHECK(symlink(victim, link) == 0);
}

static void test_links_in_storage_refused(void)
{
    if (geteuid() != 0) {
        printf("# skipped: needs root (httpd's start-up as root is what is tested)\n");
        return;
    }
    /* the session store */
    mh_httpd *h = mh_httpd_create(pool, "event");
    REQUIRE(h);
    const char *victim = apr_pstrcat(pool, h->root, "/victim", NULL);
    plant(h->store_path, "lock.mdb", victim);
    CHECK(mh_httpd_refuses(h, "lock.mdb: a symbolic link (refusing to use it)") == 0);
    CHECK(victim_intact(victim));
    mh_httpd_destroy(h);
    /* the LMDB store: made by mapihttp-admin, then tampered with */
    h = mh_httpd_create(pool, "event");
    REQUIRE(h);
    REQUIRE(make_store(h) == 0);
    victim = apr_pstrcat(pool, h->root, "/victim", NULL);
    plant(h->store_dir, "data.mdb", victim);
    h->server_conf = mh_httpd_lmdb_conf(h);
    CHECK(mh_httpd_refuses(h, "data.mdb: a symbolic link (refusing to use it)") == 0);
    CHECK(victim_intact(victim));
    mh_httpd_destroy(h);
    H = NULL;
}

static int suite_config(void)
{
    TEST(test_backend_lookup_errors);
    TEST(test_backend_option_errors);
    TEST(test_backend_storage_errors);
    TEST(test_provider_without_passwords);
    TEST(test_links_in_storage_refused);
    return 0;
}

int main(int argc, char **argv)
{
    MH_TEST_INIT();
    signal(SIGPIPE, SIG_IGN);
    apr_pool_create(&root_pool, NULL);
    pool = root_pool;
    const char *mpm = "event";
    int which = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mpm") == 0 && i + 1 < argc)
            mpm = argv[++i];
        else if (strcmp(argv[i], "--lmdb") == 0)
            which = 1;
        else if (strcmp(argv[i], "--fault") == 0)
            which = 2;
        else if (strcmp(argv[i], "--config") == 0)
            which = 3;
    }
    int rc = which == 1 ? suite_lmdb(mpm) : which == 2 ? suite_fault() : which == 3 ? suite_config() : 1;
    if (rc != 0) {
        printf("not ok - could not run the suite\n");
        if (H)
            mh_httpd_destroy(H);
        return 1;
    }
    return MH_TEST_DONE();
}
