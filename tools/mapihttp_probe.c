/*
 * mapihttp-probe - checks a MAPI/HTTP mailbox endpoint the way Outlook
 * uses it: the open counterpart of Exchange's Test-OutlookConnectivity.
 * Connects, logs on to the user's mailbox, walks its folder tree and,
 * with --message, writes a message into Drafts, reads it back and deletes
 * it.  Each step prints its time and OK or FAIL with a diagnosis; the exit
 * status is 0 only when every step passed.  Run with --help.
 */
#include "config.h"
#include "mh_bodies.h"
#include "mh_client.h"
#include "mh_emsmdb.h"
#include "mh_legacydn.h"
#include "mh_mapierr.h"
#include "mh_unicode.h"

#include <ctype.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_time.h>

static const char *progname = "mapihttp-probe";


static void usage(FILE *f)
{
    fprintf(f,
"NAME\n"
"    %s - check a MAPI/HTTP mailbox endpoint as Outlook uses it\n"
"\n"
"SYNOPSIS\n"
"    %s [options] URL USER PASSWORD\n"
"\n"
"DESCRIPTION\n"
"    Talks to the mailbox endpoint (URL/mapi/emsmdb/) of a MAPI/HTTP server\n"
"    (mod_mapihttp, Exchange) with Basic authentication, and runs these\n"
"    steps, printing for each its time in milliseconds and OK or FAIL:\n"
"\n"
"      connect     TCP connection (and TLS handshake for https://)\n"
"      Connect     MAPI/HTTP Connect as the user's legacy DN: display name,\n"
"                  session context\n"
"      Logon       RopLogon to the user's private mailbox: mailbox GUID\n"
"      folders     the folder tree through the hierarchy table of the\n"
"                  mailbox root (with Depth): name, items, unread, subfolders\n"
"      message     (--message) a message with a subject, a body and a\n"
"                  recipient created in Drafts, read back and compared byte\n"
"                  for byte, then deleted\n"
"      Disconnect  ends the session context\n"
"\n"
"    A failed step says why (authentication, wrong DN, the X-ResponseCode\n"
"    or MAPI error and what it means); the steps that need it are skipped.\n"
"\n"
"    URL is the server's base address, e.g. https://mail.example.com/ or\n"
"    http://127.0.0.1:8080/ (a URL that already names /mapi/emsmdb/ is used\n"
"    as it is).\n"
"\n"
"OPTIONS\n"
"    --user-dn DN      the user's legacy DN (default: the one mapihttp-admin\n"
"                      gives USER with the default organization and scheme)\n"
"    --mailbox-id ID   the MailboxId query value (default: USER when it holds\n"
"                      an @, else none)\n"
"    --insecure        accept any TLS certificate (self-signed test servers)\n"
"    --ca FILE         verify the server's certificate with this CA file\n"
"                      (default: the system's CA certificates)\n"
"    --message         also run the message test in Drafts\n"
"    --no-compress     send ROP buffers plain and ask for plain responses\n"
"                      (default: LZ77-compressed and XORed, as Outlook)\n"
"    --timeout SEC     per network read or write (default 30)\n"
"    --verbose         hex dumps of every request and response body\n"
"    --help            this text\n"
"\n"
"EXIT STATUS\n"
"    0 when every step passed, 1 when one failed, 2 on a usage error.\n",
            progname, progname);
}

/* ------------------------------------------------------------ steps */

typedef struct probe {
    apr_pool_t *pool;
    mh_client *conn;
    mh_emsc *em;
    const char *url_host;
    int port, tls;
    const char *path;
    const char *user, *password, *user_dn;
    int verbose;
    int failed;
    apr_time_t t0;
    /* from Logon */
    uint32_t logon_handle;
    uint64_t fids[MH_LF_COUNT];
    uint16_t repl_id;
    mh_guid mailbox;
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
    printf("[%8.1f ms] OK    %-10s ", step_ms(p), name);
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
    printf("[%8.1f ms] FAIL  %-10s ", step_ms(p), name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
    p->failed = 1;
}

static void step_skip(const char *name, const char *why)
{
    printf("[%8s   ] SKIP  %-10s %s\n", "-", name, why);
}

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

/* Explains why the last call of the session failed. */
static void diagnose(probe *p, const char *call)
{
    mh_emsc *em = p->em;
    switch (em->fail) {
    case MH_EMSC_OK:
        break;
    case MH_EMSC_TRANSPORT:
        hint("no complete HTTP response: %s", em->detail ? em->detail : "?");
        if (em->detail && strstr(em->detail, "certificate"))
            hint("the server's certificate was not accepted: give its CA with --ca FILE, "
                 "or --insecure for a self-signed test server");
        else if (em->detail && strstr(em->detail, "refused"))
            hint("nothing listens on %s:%d: is httpd running, with this port?", p->url_host,
                 p->port);
        break;
    case MH_EMSC_HTTP:
        if (em->http_status == 401)
            hint("authentication failed: check user and password, and that the server's "
                 "AuthType is Basic");
        else if (em->http_status == 403)
            hint("access forbidden: the server's access rules refuse this user");
        else if (em->http_status == 404)
            hint("no MAPI/HTTP endpoint at %s: check the URL, and that MapiHttp is On "
                 "for /mapi", p->path);
        else if (em->http_status >= 500)
            hint("the server failed (HTTP %d): see its error log", em->http_status);
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

/* ----------------------------------------------------------- steps */

static int do_tcp(probe *p)
{
    step_begin(p);
    if (mh_client_connect(p->conn) != APR_SUCCESS) {
        const char *e = mh_client_error(p->conn);
        step_fail(p, "connect", "%s:%d: %s", p->url_host, p->port, e);
        if (strstr(e, "certificate"))
            hint("the server's certificate was not accepted: give its CA with --ca FILE, "
                 "or --insecure for a self-signed test server");
        else if (strstr(e, "refused"))
            hint("nothing listens on %s:%d: is httpd running, with this port?", p->url_host,
                 p->port);
        else if (strstr(e, "resolve"))
            hint("the host name does not resolve: check the URL");
        return -1;
    }
    step_ok(p, "connect", "%s %s:%d", p->tls ? "TCP+TLS" : "TCP", p->url_host, p->port);
    return 0;
}

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

/* scheme://host[:port][/path] */
static int parse_url(probe *p, const char *url, const char *mailbox_id)
{
    const char *rest;
    if (strncasecmp(url, "https://", 8) == 0) {
        p->tls = 1;
        p->port = 443;
        rest = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        p->port = 80;
        rest = url + 7;
    } else {
        return -1;
    }
    const char *slash = strchr(rest, '/');
    char *hostport = slash ? apr_pstrmemdup(p->pool, rest, (apr_size_t)(slash - rest))
                           : apr_pstrdup(p->pool, rest);
    const char *path = slash ? slash : "/";
    char *colon = strrchr(hostport, ':');
    if (hostport[0] == '[') { /* [v6]:port */
        char *close = strchr(hostport, ']');
        if (!close)
            return -1;
        *close = 0;
        colon = close[1] == ':' ? close + 1 : NULL;
        hostport++;
    }
    if (colon) {
        *colon = 0;
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (*end || port <= 0 || port > 65535)
            return -1;
        p->port = (int)port;
    }
    if (!*hostport)
        return -1;
    p->url_host = hostport;
    if (!strstr(path, "/mapi/emsmdb")) {
        size_t n = strlen(path);
        path = apr_pstrcat(p->pool, path, n && path[n - 1] == '/' ? "" : "/", "mapi/emsmdb/",
                           NULL);
    }
    if (!strchr(path, '?')) {
        if (!mailbox_id && strchr(p->user, '@'))
            mailbox_id = p->user;
        if (mailbox_id)
            path = apr_pstrcat(p->pool, path, "?MailboxId=", mailbox_id, NULL);
    }
    p->path = path;
    return 0;
}

/* The legacy DN mapihttp-admin gives a login by default (mh_legacydn.h). */
static const char *default_dn(apr_pool_t *pool, const char *user)
{
    return mh_legacy_dn_make(pool, NULL, NULL, user);
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
    const char *ca = NULL, *mailbox_id = NULL;
    int insecure = 0, message = 0, no_compress = 0;
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
            no_compress = 1;
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
        fprintf(stderr, "usage: %s [options] URL USER PASSWORD (see --help)\n", progname);
        return 2;
    }
    p.user = pos[1];
    p.password = pos[2];
    if (parse_url(&p, pos[0], mailbox_id) < 0) {
        fprintf(stderr, "%s: %s is not an http:// or https:// URL with a host\n", progname,
                pos[0]);
        return 2;
    }
    if (!p.user_dn)
        p.user_dn = default_dn(pool, p.user);
    if (ca && insecure) {
        fprintf(stderr, "%s: --ca and --insecure exclude each other\n", progname);
        return 2;
    }

    mh_client_opts co;
    memset(&co, 0, sizeof(co));
    co.host = p.url_host;
    co.port = p.port;
    co.tls = p.tls;
    co.tls_ca_file = ca;
    co.tls_verify_system = p.tls && !ca && !insecure;
    co.timeout = apr_time_from_sec(timeout);
    p.conn = mh_client_create(pool, &co);
    p.em = mh_emsc_create(pool, p.conn, p.path, p.user, p.password);
    p.em->mapi->client_app = "Outlook/16.0.17928.20114 mapihttp-probe/" PACKAGE_VERSION;
    if (no_compress) {
        p.em->compress = 0;
        p.em->obfuscate = 0;
        p.em->exec_flags = MH_EXEC_NO_COMPRESSION | MH_EXEC_NO_XOR_MAGIC;
    }
    if (p.verbose) {
        p.em->trace = trace;
        p.em->trace_baton = &p;
    }

    printf("%s: %s://%s:%d%s as %s\n", progname, p.tls ? "https" : "http", p.url_host, p.port,
           p.path, p.user);
    printf("user DN %s\n", p.user_dn);
    apr_time_t start = apr_time_now();
    int ok = do_tcp(&p) == 0 && do_connect(&p) == 0;
    if (!ok) {
        step_skip("Logon", "not connected");
        step_skip("folders", "not connected");
        if (message)
            step_skip("message", "not connected");
    } else {
        apr_pool_t *sp;
        apr_pool_create(&sp, pool);
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
        apr_pool_destroy(sp);
    }
    printf("%s after %.1f ms: %s\n", progname, (double)(apr_time_now() - start) / 1000.0,
           p.failed ? "FAILED" : "all steps passed");
    return p.failed ? 1 : 0;
}
