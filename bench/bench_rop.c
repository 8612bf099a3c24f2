/*
 * bench_rop.c - the online-mode ROP batch of issue 4, against a running
 * httpd, and the Inbox it reads:
 *
 *   bench-rop fill --store SPEC --user LOGIN --messages N [--owner USER]
 *   bench-rop run  --port P --user LOGIN --password W --user-dn DN --messages N
 *                  [--batch full|open] [--threads T] [--seconds S] [--label L]
 *   bench-rop inproc --messages N --batches B [--batch full|open]
 *
 * fill: puts N messages into the Inbox of LOGIN (a user with a mailbox,
 *       made by mapihttp-admin), through the backend directly, 500 to a
 *       transaction.  The messages look like a mailbox's: subjects with and
 *       without "RE: ", 200 senders, received times spread over the last
 *       months in an order unrelated to the order of saving, mostly
 *       IPM.Note with some meeting requests, signed mail and reports, 20 %
 *       unread, some flagged, some important, a body of 0.5-8 KB, and one
 *       in twelve with an attachment of 10-80 KB.  Every value follows from
 *       the message's number k, so that `run` knows what each row must say.
 *       Prints the user's legacy DN (for run's --user-dn).
 *
 * run:  T threads, each with its own keep-alive connection and emsmdb
 *       session (Connect and Logon once, before the clock starts), then, for
 *       S seconds, ONE Execute
 *       after the other carrying the batch Outlook's list view sends:
 *         RopOpenFolder (Inbox), RopGetContentsTable, RopSetColumns (12
 *         list-view columns), RopSortTable (PidTagMessageDeliveryTime
 *         descending), RopQueryRows (50), RopRelease (table, folder).
 *       (--batch open: RopOpenFolder and RopRelease alone, the part of an
 *       Execute every batch pays.)
 *       Every response is checked whole: each ROP succeeded, the table has
 *       N rows, QueryRows gave 50 rows, and they are the 50 most recent
 *       messages, newest first, with the subject, sender, size class,
 *       flags, importance and message class their number k gives them.
 *       A response whose ROP responses are byte-identical to those of the
 *       session's last fully checked one is that answer again: it is
 *       decompressed and compared, not parsed row by row once more (the
 *       client shares the machine's two cores with the server; it should
 *       spend them on what it measures).  Prints to stderr how many were
 *       parsed and how many compared.
 *
 * inproc: the server's part alone, in this process and thread: a store of
 *       its own (test/exec_driver.c, under /tmp), N messages in the Inbox,
 *       then B Executes of the batch straight through mh_call (session
 *       store, framing, LZ77, ROP engine; no HTTP), each response checked
 *       whole outside the timing.  Prints the time per batch.  Made for
 *       profiles: valgrind --tool=callgrind --toggle-collect=mh_xd_call.
 *
 * Prints a table row (requests per second, latency: median, 90th and 99th
 * percentile in microseconds, errors, and this client's own CPU time per
 * request in microseconds).  See bench/README.md and bench/run-rop.sh.
 */
#include "bench_rop.h"
#include "exec_driver.h"
#include "mh_emsmdb.h"

#include <ctype.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include <apr_general.h>
#include <apr_strings.h>
#include "bench_util.h"

#define PR_MID MH_TAG(0x674A, PT_I8)
#define PR_INSTANCE_KEY MH_TAG(0x0FF6, PT_BINARY)
#define PR_ICON_INDEX MH_TAG(0x1080, PT_LONG)

/* ======================================================== the batch */

static int port, seconds = 10, threads = 16, open_only;
static long batches;
static uint32_t n_msgs;
static const char *user, *password, *dn, *label = "ROP batch";
static volatile int stop;
static uint64_t mul;

#define MAX_SAMPLES 2000000
static double *lat;
static long n_lat, errors;
static double last_done;          /* when the last worker's last request ended */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* The 12 columns of Outlook's message list (MS-OXCTABL 2.2.2.1.2). */
static const mh_proptag cols[] = {
    PR_MID,        PR_INSTANCE_KEY,  PR_SUBJECT,       PR_SENT_REPRESENTING_NAME,
    PR_MESSAGE_DELIVERY_TIME, PR_MESSAGE_SIZE, PR_IMPORTANCE, PR_MESSAGE_FLAGS,
    PR_FLAG_STATUS, PR_HASATTACH,    PR_MESSAGE_CLASS, PR_ICON_INDEX};
#define N_COLS 12
#define PAGE 50

typedef struct session {
    apr_pool_t *pool;
    mh_emsc *em;
    uint32_t logon;
    uint64_t inbox;
    char why[256];
    /* the request body, and the last response checked whole */
    const unsigned char *req;
    size_t req_len;
    unsigned char *checked;
    size_t checked_len;
    long parsed, same;
} session;

static int open_session(session *s)
{
    mh_client_opts o;
    memset(&o, 0, sizeof(o));
    o.host = "127.0.0.1";
    o.port = port;
    mh_client *c = mh_client_create(s->pool, &o);
    s->em = mh_emsc_create(s->pool, c, "/mapi/emsmdb/", user, password);
    if (mh_emsc_connect(s->em, dn) < 0) {
        snprintf(s->why, sizeof(s->why), "Connect as %s: %s", dn,
                 s->em->detail ? s->em->detail : "failed");
        return -1;
    }
    mh_rop_batch b;
    mh_rop_batch_init(&b, s->pool);
    mh_ropc_logon(&b, 0, 0, MH_LOGON_PRIVATE, MH_LOGON_OPEN_DEFAULT, 0, dn);
    mh_exec_result res;
    mh_rd rd;
    mh_ropc_logon_r r;
    if (mh_emsc_execute(s->em, s->pool, &b, &res) < 0) {
        snprintf(s->why, sizeof(s->why), "Logon: %s", s->em->detail ? s->em->detail : "failed");
        return -1;
    }
    mh_exec_reader(&res, 0, &rd);
    if (mh_ropc_logon_parse(&rd, s->pool, &r) < 0 || r.h.rv != 0) {
        snprintf(s->why, sizeof(s->why), "Logon failed (0x%08X)", r.h.rv);
        return -1;
    }
    s->logon = mh_exec_handle(&res, 0);
    s->inbox = r.folder_ids[MH_LF_INBOX];
    return 0;
}

/* Says what was wrong with a response; -1. */
static int bad(session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->why, sizeof(s->why), fmt, ap);
    va_end(ap);
    return -1;
}

static const mh_propval *col(mh_propval *row, int i, uint16_t type)
{
    return MH_TAG_TYPE(row[i].tag) == type ? &row[i] : NULL;
}

/* What the rows of the page must say: the 50 most recent messages, newest
 * first (worked out once; every response is checked against them). */
static bench_expect top[PAGE];
static uint32_t top_k[PAGE];

/* The Execute request body of the batch: the same for every call of a
 * session (built once, as the client's own work is not what is measured). */
static const unsigned char *batch_body(session *s, size_t *len_r)
{
    if (s->req)
        goto done;
    mh_rop_batch b;
    mh_rop_batch_init(&b, s->pool);
    mh_rop_batch_set_handle(&b, 0, s->logon);
    mh_ropc_open_folder(&b, 0, 0, 1, s->inbox, 0);
    if (open_only) {
        /* the least an Execute does: what every batch costs */
        mh_ropc_release(&b, 0, 1);
    } else {
        mh_ropc_get_contents_table(&b, 0, 1, 2, 0);
        mh_ropc_set_columns(&b, 0, 2, 0, cols, N_COLS);
        mh_sort_order order = {PR_MESSAGE_DELIVERY_TIME, MH_TABLE_SORT_DESCEND};
        mh_sort_set sort = {1, 0, 0, &order};
        mh_ropc_sort_table(&b, 0, 2, 0, &sort);
        mh_ropc_query_rows(&b, 0, 2, MH_QUERY_ADVANCE, 1, PAGE);
        mh_ropc_release(&b, 0, 2);
        mh_ropc_release(&b, 0, 1);
    }
    size_t plen;
    const unsigned char *payload = mh_rop_batch_buffer(&b, &plen);
    if (!payload)
        return NULL;
    /* (no client in process: Outlook's options, as mh_emsc's defaults) */
    s->req = s->em ? mh_emsc_execute_body(s->pool, s->em->exec_flags, payload, plen,
                                          s->em->compress, s->em->obfuscate,
                                          s->em->max_rop_out, &s->req_len)
                   : mh_emsc_execute_body(s->pool, 0, payload, plen, 1, 1, 0x10008,
                                          &s->req_len);
done:
    *len_r = s->req_len;
    return s->req;
}

static int check_batch(session *s, apr_pool_t *p, const mh_exec_result *res);

/*
 * Sends the batch once and checks the whole answer.  A response whose ROP
 * responses are byte-identical to those of the last response this session
 * checked (the common case: the same view of an unchanged folder; only the
 * server object handles differ from call to call) is that answer again and
 * is not parsed a second time; any other is parsed and checked in full.
 */
static int run_batch(session *s, apr_pool_t *p)
{
    size_t n, rlen;
    const unsigned char *body = batch_body(s, &n), *resp;
    if (!body)
        return bad(s, "the batch does not encode");
    if (mh_emsc_execute_send(s->em, p, body, n, &resp, &rlen) < 0)
        return bad(s, "Execute: %s (HTTP %d, X-ResponseCode %d)",
                   s->em->detail ? s->em->detail : "failed", s->em->http_status,
                   s->em->response_code);
    mh_exec_result res;
    const char *why = NULL;
    if (mh_emsc_parse_execute(resp, rlen, p, &res, &why) < 0)
        return bad(s, "Execute: %s", why);
    if (res.status_code || res.error_code)
        return bad(s, "Execute: StatusCode 0x%08X, ErrorCode %s", res.status_code,
                   mh_mapi_err_name(res.error_code, p));
    if (res.n_outs != 1)
        return bad(s, "%u ROP output buffers, not 1", (unsigned)res.n_outs);
    const mh_rop_out *o = &res.outs[0];
    if (s->checked && o->rops_len == s->checked_len &&
        memcmp(o->rops, s->checked, o->rops_len) == 0) {
        s->same++;
        return 0;
    }
    if (check_batch(s, p, &res) < 0)
        return -1;
    s->parsed++;
    unsigned char *copy = realloc(s->checked, o->rops_len ? o->rops_len : 1);
    if (copy) {
        memcpy(copy, o->rops, o->rops_len);
        s->checked = copy;
        s->checked_len = o->rops_len;
    }
    return 0;
}

/* Parses and checks one response whole. */
static int check_batch(session *s, apr_pool_t *p, const mh_exec_result *res)
{
    if (open_only) {
        mh_ropc_open_folder_r of;
        mh_rd rd;
        mh_exec_reader(res, 0, &rd);
        if (mh_ropc_open_folder_parse(&rd, p, &of) < 0 || of.h.rv || mh_rd_left(&rd) != 0)
            return bad(s, "RopOpenFolder: %s", rd.err ? "malformed" : mh_mapi_err_name(of.h.rv, p));
        return 0;
    }
    mh_rd rd;
    mh_exec_reader(res, 0, &rd);
    mh_ropc_open_folder_r of;
    mh_ropc_table_r gt;
    mh_ropc_status_r sc, st;
    mh_ropc_rows_r qr;
    if (mh_ropc_open_folder_parse(&rd, p, &of) < 0 || of.h.rv)
        return bad(s, "RopOpenFolder: %s", rd.err ? "malformed" : mh_mapi_err_name(of.h.rv, p));
    if (mh_ropc_get_contents_table_parse(&rd, &gt) < 0 || gt.h.rv)
        return bad(s, "RopGetContentsTable: %s",
                   rd.err ? "malformed" : mh_mapi_err_name(gt.h.rv, p));
    if (gt.row_count != n_msgs)
        return bad(s, "RopGetContentsTable: %u rows, not %u", gt.row_count, n_msgs);
    if (mh_ropc_set_columns_parse(&rd, &sc) < 0 || sc.h.rv)
        return bad(s, "RopSetColumns: %s", rd.err ? "malformed" : mh_mapi_err_name(sc.h.rv, p));
    if (mh_ropc_sort_table_parse(&rd, &st) < 0 || st.h.rv)
        return bad(s, "RopSortTable: %s", rd.err ? "malformed" : mh_mapi_err_name(st.h.rv, p));
    if (mh_ropc_query_rows_parse(&rd, cols, N_COLS, 1252, p, &qr) < 0 || qr.h.rv)
        return bad(s, "RopQueryRows: %s", rd.err ? "malformed" : mh_mapi_err_name(qr.h.rv, p));
    if (mh_rd_left(&rd) != 0)
        return bad(s, "%u bytes after the RopQueryRows response", (unsigned)mh_rd_left(&rd));
    if (qr.n_rows != PAGE || qr.origin != MH_BOOKMARK_CURRENT)
        return bad(s, "RopQueryRows: %u rows, origin %u (want %u, CURRENT)", qr.n_rows, qr.origin,
                   PAGE);
    /* the 50 most recent, newest first, each the message its time names */
    for (uint32_t i = 0; i < PAGE; i++) {
        mh_propval *row = qr.rows[i];
        const mh_propval *t = col(row, 4, PT_SYSTIME), *subj = col(row, 2, PT_UNICODE),
                         *from = col(row, 3, PT_UNICODE), *cls = col(row, 10, PT_UNICODE),
                         *imp = col(row, 6, PT_LONG), *fl = col(row, 7, PT_LONG),
                         *size = col(row, 5, PT_LONG), *mid = col(row, 0, PT_I8),
                         *ik = col(row, 1, PT_BINARY), *ha = col(row, 9, PT_BOOLEAN);
        if (!t || !subj || !from || !cls || !imp || !fl || !size || !mid || !ik || !ha)
            return bad(s, "row %u lacks a column", i);
        uint64_t want_t = BENCH_T_BASE + (uint64_t)(n_msgs - 1 - i) * BENCH_T_STEP;
        if (t->v.ft != want_t)
            return bad(s, "row %u: received time %" APR_UINT64_T_FMT ", not %" APR_UINT64_T_FMT
                       " (not the newest first)", i, t->v.ft, want_t);
        uint32_t k = top_k[i];
        const bench_expect e = top[i];
        const mh_propval *fs = col(row, 8, PT_LONG);
        int32_t want_flags = (e.read ? MSGFLAG_READ : 0) | (e.attach ? MSGFLAG_HASATTACH : 0);
        if (strcmp(subj->v.str, e.subject) != 0 || strcmp(from->v.str, e.sender) != 0 ||
            strcmp(cls->v.str, e.message_class) != 0 || imp->v.i32 != e.importance ||
            (fl->v.i32 & (MSGFLAG_READ | MSGFLAG_HASATTACH)) != want_flags ||
            (fs ? fs->v.i32 : 0) != e.flag_status || !ha->v.b != !e.attach ||
            size->v.i32 < (e.attach ? 10240 : 500) || ik->v.bin.len == 0)
            return bad(s, "row %u (message %u, \"%s\") has wrong values", i, k, subj->v.str);
    }
    return 0;
}

/* Every session is open before the clock starts. */
static pthread_barrier_t ready;

static void *worker(void *arg)
{
    session *s = arg;
    apr_pool_t *p;
    apr_pool_create(&s->pool, NULL);
    int opened = open_session(s) == 0;
    pthread_barrier_wait(&ready);
    if (!opened) {
        pthread_mutex_lock(&lock);
        if (errors++ == 0)
            fprintf(stderr, "bench-rop: %s\n", s->why);
        pthread_mutex_unlock(&lock);
        return NULL;
    }
    double *mine = malloc(sizeof(double) * 200000);
    long n_mine = 0;
    apr_pool_create(&p, s->pool);
    while (!stop) {
        double t0 = now_us();
        int ok = run_batch(s, p) == 0;
        double dt = now_us() - t0;
        if (!ok) {
            pthread_mutex_lock(&lock);
            if (errors++ == 0)
                fprintf(stderr, "bench-rop: first failure: %s\n", s->why);
            pthread_mutex_unlock(&lock);
        } else if (n_mine < 200000) {
            mine[n_mine++] = dt;
        }
        apr_pool_clear(p);
    }
    double done = now_us();
    mh_emsc_disconnect(s->em); /* after the clock: the server keeps no stale contexts */
    pthread_mutex_lock(&lock);
    if (done > last_done)
        last_done = done;
    for (long i = 0; i < n_mine && n_lat < MAX_SAMPLES; i++)
        lat[n_lat++] = mine[i];
    pthread_mutex_unlock(&lock);
    free(mine);
    return NULL;
}

/* Which message arrived at each rank, and the newest ones: top[]. */
static void expect_top(void)
{
    uint32_t *k_of_rank = malloc(n_msgs * sizeof(uint32_t));
    for (uint32_t k = 0; k < n_msgs; k++)
        k_of_rank[(k * mul + 13) % n_msgs] = k;
    apr_pool_t *pool;
    apr_pool_create(&pool, NULL);
    for (uint32_t i = 0; i < PAGE; i++) {
        top_k[i] = k_of_rank[n_msgs - 1 - i];
        bench_expect_of(pool, top_k[i], &top[i]);
    }
    free(k_of_rank);
}

/*
 * inproc: the server's part of the batch without HTTP, sockets or other
 * threads: a store of its own in /tmp (test/exec_driver.c), the Inbox
 * filled, then B Executes through mh_call (session store, framing, LZ77,
 * the ROP engine) one after the other in this thread.  Each response is
 * checked whole outside the timed part.  For profiles: run it under
 * `valgrind --tool=callgrind --toggle-collect=mh_xd_call` or perf.
 */
static int run_inproc(long n_batches)
{
    mh_xdriver d;
    if (mh_xd_open(&d, "bench") != 0)
        return 1;
    int rc = 1;
    apr_pool_t *p;
    apr_pool_create(&p, d.pool);
    session s;
    memset(&s, 0, sizeof(s));
    s.pool = d.pool;
    size_t plen, n, rlen;
    const unsigned char *body, *resp;
    mh_exec_result res;
    const char *why = "no response";
    mh_rd rd;
    mh_ropc_logon_r lr;
    if (bench_rop_fill_be(d.be, "bench", n_msgs, 0) != 0)
        goto out;
    if (mh_xd_connect(&d) != 0) {
        fprintf(stderr, "bench-rop: Connect failed\n");
        goto out;
    }
    mh_rop_batch b;
    mh_rop_batch_init(&b, p);
    mh_ropc_logon(&b, 0, 0, MH_LOGON_PRIVATE, MH_LOGON_OPEN_DEFAULT, 0, d.user_dn);
    const unsigned char *payload = mh_rop_batch_buffer(&b, &plen);
    body = payload ? mh_emsc_execute_body(p, 0, payload, plen, 1, 1, 0x10008, &n) : NULL;
    if (!body || mh_xd_call(&d, p, "Execute", body, n, &resp, &rlen) != 0 ||
        mh_emsc_parse_execute(resp, rlen, p, &res, &why) < 0 || res.error_code ||
        res.n_outs != 1) {
        fprintf(stderr, "bench-rop: Logon: %s\n", why);
        goto out;
    }
    mh_exec_reader(&res, 0, &rd);
    if (mh_ropc_logon_parse(&rd, p, &lr) < 0 || lr.h.rv != 0) {
        fprintf(stderr, "bench-rop: Logon failed\n");
        goto out;
    }
    s.logon = mh_exec_handle(&res, 0);
    s.inbox = lr.folder_ids[MH_LF_INBOX];
    if (!(body = batch_body(&s, &n)))
        goto out;
    double spent = 0, c0 = cpu_us();
    for (long i = 0; i < n_batches; i++) {
        apr_pool_clear(p);
        double t0 = now_us();
        int code = mh_xd_call(&d, p, "Execute", body, n, &resp, &rlen);
        spent += now_us() - t0;
        if (code != 0 || mh_emsc_parse_execute(resp, rlen, p, &res, &why) < 0 ||
            res.status_code || res.error_code || res.n_outs != 1) {
            fprintf(stderr, "bench-rop: Execute %ld: X-ResponseCode %d, %s\n", i, code,
                    why ? why : "StatusCode/ErrorCode set");
            goto out;
        }
        if (check_batch(&s, p, &res) < 0) {
            fprintf(stderr, "bench-rop: Execute %ld: %s\n", i, s.why);
            goto out;
        }
    }
    printf("%s, in process: %ld batches, %.1f us each (the whole run with checks: %.1f us "
           "CPU each)\n", label, n_batches, spent / (double)n_batches,
           (cpu_us() - c0) / (double)n_batches);
    rc = 0;
out:
    mh_xd_close(&d);
    return rc;
}

static int run(void)
{
    expect_top();
    lat = malloc(sizeof(double) * MAX_SAMPLES);
    session *ss = calloc((size_t)threads, sizeof(session));
    pthread_t *t = calloc((size_t)threads, sizeof(pthread_t));
    pthread_barrier_init(&ready, NULL, (unsigned)threads + 1);
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, worker, &ss[i]);
    pthread_barrier_wait(&ready);
    double t0 = now_us(), c0 = cpu_us();
    struct timespec d = {seconds, 0};
    nanosleep(&d, NULL);
    stop = 1;
    long parsed = 0, same = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        parsed += ss[i].parsed;
        same += ss[i].same;
        free(ss[i].checked);
    }
    fprintf(stderr, "bench-rop: %s: %ld responses parsed and checked whole, %ld byte-identical "
                    "to one checked before\n", label, parsed, same);
    double elapsed = ((last_done > t0 ? last_done : now_us()) - t0) / 1e6;
    double client_cpu = cpu_us() - c0;
    if (n_lat == 0) {
        fprintf(stderr, "bench-rop: no successful requests (%ld errors)\n", errors);
        return 1;
    }
    qsort(lat, (size_t)n_lat, sizeof(double), cmp_d);
    printf("| %-40s | %8.0f | %7.0f | %7.0f | %7.0f | %6ld | %7.0f |\n", label, n_lat / elapsed,
           lat[n_lat / 2], lat[(n_lat * 9) / 10], lat[(n_lat * 99) / 100], errors,
           client_cpu / n_lat);
    return errors ? 1 : 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench-rop fill --store SPEC --user LOGIN --messages N "
                    "[--owner USER]\n"
                    "       bench-rop run --port P --user LOGIN --password W --user-dn DN --messages N "
                    "[--batch full|open] "
                    "[--threads T] [--seconds S] [--label L]\n"
                    "       bench-rop inproc --messages N --batches B [--batch full|open]\n");
    return 2;
}

int main(int argc, char **argv)
{
    apr_initialize();
    atexit(apr_terminate);
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2)
        return usage();
    const char *store = NULL, *owner = "www-data";
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--store") == 0)
            store = argv[i + 1];
        else if (strcmp(argv[i], "--owner") == 0)
            owner = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--user") == 0)
            user = argv[i + 1];
        else if (strcmp(argv[i], "--user-dn") == 0)
            dn = argv[i + 1];
        else if (strcmp(argv[i], "--password") == 0)
            password = argv[i + 1];
        else if (strcmp(argv[i], "--messages") == 0)
            n_msgs = (uint32_t)strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--threads") == 0)
            threads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--batches") == 0)
            batches = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--label") == 0)
            label = argv[i + 1];
        else if (strcmp(argv[i], "--batch") == 0 && strcmp(argv[i + 1], "full") == 0)
            open_only = 0;
        else if (strcmp(argv[i], "--batch") == 0 && strcmp(argv[i + 1], "open") == 0)
            open_only = 1;
        else
            return usage();
    }
    if (n_msgs < PAGE + 1 || n_msgs > 10000000 || (!user && strcmp(argv[1], "inproc") != 0))
        return usage();
    mul = bench_perm_mul(n_msgs);
    if (strcmp(argv[1], "fill") == 0)
        return store ? bench_rop_fill(store, user, n_msgs, owner) : usage();
    if (strcmp(argv[1], "inproc") == 0 && batches > 0) {
        expect_top();
        return run_inproc(batches);
    }
    if (strcmp(argv[1], "run") == 0 && port > 0 && password && dn && threads >= 1 && threads <= 256 &&
        seconds >= 1)
        return run();
    return usage();
}
