/*
 * bench_store.c - the cost of the store operations Outlook's traffic is
 * made of, on the LMDB backend, through the same core wrappers
 * mod_mapihttp uses:
 *
 *   commit   save a typical message (30 properties, 10 KB body, two
 *            recipients, one 100 KB attachment) in its own transaction
 *   read     read such a message back whole (every value, the attachment
 *            included)
 *   list     one page of a folder view: 50 messages sorted by received
 *            time (newest first) with the 10 columns a list view shows,
 *            from the top and from a random place further down
 *
 * in a folder that already holds N messages.
 *
 *   bench-store --dir DIR --messages N [--iterations K] [--sync full|meta|none]
 *
 * Prints one line per operation: median, 90th and 99th percentile and mean,
 * in microseconds.  See bench/README.md.
 */
#include "mh_backend.h"
#include "mh_props.h"
#include "mh_provision.h"
#include "mh_tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>
#include "bench_util.h"

static apr_pool_t *root;
static mh_be *B;
static mh_guid MBX;
static mh_id INBOX;

/* Bytes this process has handed to write() so far (/proc/self/io wchar). */
static unsigned long long written(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    char line[128];
    unsigned long long v = 0;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "wchar: %llu", &v) == 1)
            break;
    if (f)
        fclose(f);
    return v;
}

static void flush_all(void)
{
    sync();
    sleep(1);
}

static void die(const char *what, const mh_error *e)
{
    fprintf(stderr, "bench-store: %s: %s\n", what, e && e->detail ? e->detail : "failed");
    exit(1);
}

static char *filled(apr_pool_t *p, size_t n, unsigned seed)
{
    char *s = apr_palloc(p, n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = (char)("abcdefghijklmnopqrstuvwxyz      .,\n"[(seed + i * 7) % 35]);
    s[n] = 0;
    return s;
}

/* A message with Outlook's usual properties; body of `body` bytes, and an
 * attachment of `attach` bytes when non-zero. */
static mh_message *message(apr_pool_t *p, unsigned k, size_t body, size_t attach)
{
    mh_message *m = apr_pcalloc(p, sizeof(*m));
    mh_propval *v = apr_pcalloc(p, 30 * sizeof(*v));
    int n = 0;
    uint64_t t = 133000000000000000ull + (uint64_t)k * 10000000ull; /* one a second */
    const char *subj = apr_psprintf(p, "Quarterly report draft %u", k);
    uint8_t conv[22], eid[64];
    memset(conv, (int)(k & 0xff), sizeof(conv));
    memset(eid, (int)((k >> 8) & 0xff), sizeof(eid));
    v[n++] = mh_pv_str(PR_MESSAGE_CLASS, "IPM.Note");
    v[n++] = mh_pv_str(PR_SUBJECT, subj);
    v[n++] = mh_pv_str(PR_NORMALIZED_SUBJECT, subj);
    v[n++] = mh_pv_str(MH_TAG(0x0070, PT_UNICODE), subj);        /* conversation topic */
    v[n++] = mh_pv_bin(MH_TAG(0x0071, PT_BINARY), conv, 22);     /* conversation index */
    v[n++] = mh_pv_str(PR_BODY, filled(p, body, k));
    v[n++] = mh_pv_str(PR_SENDER_NAME, apr_psprintf(p, "Sender %u", k % 997));
    v[n++] = mh_pv_str(PR_SENDER_EMAIL_ADDRESS, apr_psprintf(p, "s%u@example.com", k % 997));
    v[n++] = mh_pv_str(MH_TAG(0x0C1E, PT_UNICODE), "SMTP");      /* sender addrtype */
    v[n++] = mh_pv_bin(MH_TAG(0x0C19, PT_BINARY), eid, 64);      /* sender entry ID */
    v[n++] = mh_pv_str(PR_SENT_REPRESENTING_NAME, apr_psprintf(p, "Sender %u", k % 997));
    v[n++] = mh_pv_str(MH_TAG(0x0065, PT_UNICODE), apr_psprintf(p, "s%u@example.com", k % 997));
    v[n++] = mh_pv_str(MH_TAG(0x0064, PT_UNICODE), "SMTP");
    v[n++] = mh_pv_time(PR_MESSAGE_DELIVERY_TIME, t);
    v[n++] = mh_pv_time(PR_CLIENT_SUBMIT_TIME, t - 20000000);
    v[n++] = mh_pv_time(PR_CREATION_TIME, t);
    v[n++] = mh_pv_time(PR_LAST_MODIFICATION_TIME, t);
    v[n++] = mh_pv_long(PR_IMPORTANCE, 1);
    v[n++] = mh_pv_long(MH_TAG(0x0036, PT_LONG), 0);             /* sensitivity */
    v[n++] = mh_pv_long(PR_MESSAGE_FLAGS, (k % 3) ? MSGFLAG_READ : 0);
    v[n++] = mh_pv_long(PR_FLAG_STATUS, 0);
    v[n++] = mh_pv_bool(PR_HASATTACH, attach != 0);
    v[n++] = mh_pv_long(MH_TAG(0x3FDE, PT_LONG), 65001);         /* internet code page */
    v[n++] = mh_pv_str(MH_TAG(0x1035, PT_UNICODE),
                       apr_psprintf(p, "<%u.bench@example.com>", k)); /* message-id */
    v[n++] = mh_pv_str(MH_TAG(0x007D, PT_UNICODE), filled(p, 900, k + 1)); /* headers */
    v[n++] = mh_pv_str(MH_TAG(0x0E04, PT_UNICODE), "Ada Lovelace");  /* display to */
    v[n++] = mh_pv_str(MH_TAG(0x0E03, PT_UNICODE), "Bob Babbage");   /* display cc */
    v[n++] = mh_pv_long(MH_TAG(0x1080, PT_LONG), -1);            /* icon index */
    v[n++] = mh_pv_bool(MH_TAG(0x0029, PT_BOOLEAN), 0);          /* read receipt */
    v[n++] = mh_pv_long(MH_TAG(0x0026, PT_LONG), 0);             /* priority */
    m->props.n = (uint32_t)n;
    m->props.v = v;
    /* two recipients */
    m->n_recipients = 2;
    m->recipients = apr_pcalloc(p, 2 * sizeof(mh_proplist));
    for (int r = 0; r < 2; r++) {
        mh_propval *rv = apr_pcalloc(p, 6 * sizeof(*rv));
        rv[0] = mh_pv_long(PR_ROWID, r);
        rv[1] = mh_pv_str(PR_DISPLAY_NAME, r ? "Bob Babbage" : "Ada Lovelace");
        rv[2] = mh_pv_str(MH_TAG(0x3003, PT_UNICODE), r ? "bob@example.com" : "ada@example.com");
        rv[3] = mh_pv_str(MH_TAG(0x3002, PT_UNICODE), "SMTP");
        rv[4] = mh_pv_long(MH_TAG(0x0C15, PT_LONG), r ? 2 : 1); /* recipient type */
        rv[5] = mh_pv_bin(MH_TAG(0x0FFF, PT_BINARY), eid, 64);
        m->recipients[r].n = 6;
        m->recipients[r].v = rv;
    }
    if (attach) {
        m->n_attachments = 1;
        m->attachments = apr_pcalloc(p, sizeof(mh_attachment));
        mh_propval *av = apr_pcalloc(p, 5 * sizeof(*av));
        av[0] = mh_pv_long(PR_ATTACH_METHOD, ATTACH_BY_VALUE);
        av[1] = mh_pv_str(MH_TAG(0x3707, PT_UNICODE), "report.pdf");     /* long filename */
        av[2] = mh_pv_str(MH_TAG(0x370E, PT_UNICODE), "application/pdf"); /* mime type */
        av[3] = mh_pv_long(PR_ATTACH_SIZE, (int32_t)attach);
        av[4] = mh_pv_bin(PR_ATTACH_DATA_BIN, filled(p, attach, k + 2), (uint32_t)attach);
        m->attachments[0].props.n = 5;
        m->attachments[0].props.v = av;
    }
    return m;
}

static mh_betxn *begin(apr_pool_t *p, int write)
{
    mh_betxn *t;
    mh_error e;
    if (mh_be_begin(B, &MBX, write ? MH_TXN_WRITE : MH_TXN_READ, p, &t, &e) != MH_OK)
        die("begin", &e);
    return t;
}

/* ------------------------------------------------------------ statistics */

static void report(const char *op, unsigned n_msgs, double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_d);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += v[i];
    printf("| %-24s | %9u | %8.0f | %8.0f | %8.0f | %8.0f |\n", op, n_msgs, v[n / 2],
           v[(n * 9) / 10], v[(n * 99) / 100], sum / n);
    fflush(stdout);
}

/* ------------------------------------------------------------- the runs */

static void populate(unsigned n)
{
    unsigned done = 0;
    double t0 = now_us();
    while (done < n) {
        apr_pool_t *p;
        apr_pool_create(&p, root);
        mh_betxn *t = begin(p, 1);
        for (unsigned i = 0; i < 500 && done < n; i++, done++) {
            mh_id id, cn;
            mh_error e;
            /* list-view filler: the same properties, a 2 KB body */
            if (mh_be_message_save(t, INBOX, 0, 0, message(p, done, 2048, 0), NULL, &id, &cn,
                                   &e) != MH_OK)
                die("populate", &e);
        }
        mh_error e;
        if (mh_be_commit(t, &e) != MH_OK)
            die("populate commit", &e);
        apr_pool_destroy(p);
    }
    fprintf(stderr, "bench-store: %u messages in %.1f s\n", n, (now_us() - t0) / 1e6);
}

static const mh_proptag columns[] = {
    PR_SUBJECT,       PR_SENDER_NAME, PR_MESSAGE_DELIVERY_TIME, PR_MESSAGE_SIZE,
    PR_MESSAGE_FLAGS, PR_IMPORTANCE,  PR_FLAG_STATUS,           PR_HASATTACH,
    PR_MESSAGE_CLASS, MH_TAG(0x1080, PT_LONG)};

/* One page: 50 IDs in received-time order from `from`, and their columns. */
static void page(apr_pool_t *p, const mh_cursor *from, mh_cursor *next)
{
    mh_betxn *t = begin(p, 0);
    mh_sort sort = {PR_MESSAGE_DELIVERY_TIME, 1};
    mh_id ids[50];
    uint32_t n;
    mh_error e;
    if (mh_be_contents_list(t, INBOX, 0, &sort, from, 50, ids, &n, next, &e) != MH_OK)
        die("contents_list", &e);
    for (uint32_t i = 0; i < n; i++) {
        mh_objref ref = {.kind = MH_OBJ_MESSAGE, .id = ids[i]};
        mh_proplist l;
        if (mh_be_props_get(t, &ref, columns, 10, 510, &l, &e) != MH_OK)
            die("props_get", &e);
    }
    mh_be_abort(t);
}

int main(int argc, char **argv)
{
    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&root, NULL);
    const char *dir = NULL, *sync_mode = "full";
    unsigned n_msgs = 1000;
    int iters = 300;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--dir") == 0)
            dir = argv[i + 1];
        else if (strcmp(argv[i], "--messages") == 0)
            n_msgs = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--iterations") == 0)
            iters = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--sync") == 0)
            sync_mode = argv[i + 1];
    }
    if (!dir || iters < 10) {
        fprintf(stderr, "usage: bench-store --dir DIR --messages N [--iterations K] "
                        "[--sync full|meta|none]\n");
        return 2;
    }
    const char *spec = apr_psprintf(root, "lmdb path=%s size=64G sync=%s", dir, sync_mode);
    const char *why;
    if (mh_tool_backend(root, spec, NULL, 1, -1, -1, &B, &why) != 0) {
        fprintf(stderr, "bench-store: %s\n", why);
        return 1;
    }
    if (mh_tool_user_mailbox(B, "bench", root, &MBX, &INBOX, &why) != 0) {
        fprintf(stderr, "bench-store: %s (use an empty directory)\n", why);
        return 1;
    }
    mh_error e;
    populate(n_msgs);
    /* measure the operations, not the write-back of the population */
    flush_all();

    double *v = calloc((size_t)iters, sizeof(double));
    mh_id *saved = calloc((size_t)iters, sizeof(mh_id));
    unsigned long long w0 = written();
    /* commit: a typical message, one transaction each, durable as configured */
    for (int i = 0; i < iters; i++) {
        apr_pool_t *p;
        apr_pool_create(&p, root);
        mh_message *m = message(p, n_msgs + (unsigned)i, 10240, 102400);
        double t0 = now_us();
        mh_betxn *w = begin(p, 1);
        mh_id cn;
        if (mh_be_message_save(w, INBOX, 0, 0, m, NULL, &saved[i], &cn, &e) != MH_OK)
            die("save", &e);
        if (mh_be_commit(w, &e) != MH_OK)
            die("commit", &e);
        v[i] = now_us() - t0;
        apr_pool_destroy(p);
    }
    printf("| %-24s | %9s | %8s | %8s | %8s | %8s |\n", "operation", "messages", "median",
           "p90", "p99", "mean");
    report(apr_psprintf(root, "commit (sync=%s)", sync_mode), n_msgs, v, iters);
    fprintf(stderr, "bench-store: %llu bytes written per commit\n",
            (written() - w0) / (unsigned long long)iters);
    /* read back whole, in random order */
    srand(42);
    for (int i = 0; i < iters; i++) {
        apr_pool_t *p;
        apr_pool_create(&p, root);
        mh_id id = saved[rand() % iters];
        double t0 = now_us();
        mh_betxn *r = begin(p, 0);
        mh_message *m;
        if (mh_be_message_read(r, id, UINT64_MAX, &m, &e) != MH_OK)
            die("read", &e);
        if (m->n_attachments != 1 || m->props.n < 30)
            die("read: incomplete message", NULL);
        mh_be_abort(r);
        v[i] = now_us() - t0;
        apr_pool_destroy(p);
    }
    report("read whole message", n_msgs, v, iters);
    /* list: the top page */
    for (int i = 0; i < iters; i++) {
        apr_pool_t *p;
        apr_pool_create(&p, root);
        mh_cursor from = {0}, next;
        double t0 = now_us();
        page(p, &from, &next);
        v[i] = now_us() - t0;
        apr_pool_destroy(p);
    }
    report("list 50 rows (top)", n_msgs, v, iters);
    /* list: pages further down, from cursors collected on one walk */
    int nc = 0;
    mh_cursor *cursors = calloc(256, sizeof(mh_cursor));
    {
        apr_pool_t *p;
        apr_pool_create(&p, root);
        mh_cursor from = {0}, next;
        unsigned pages = (n_msgs + (unsigned)iters) / 50, stride = pages / 256 + 1, pg = 0;
        do {
            page(p, &from, &next);
            if (pg++ % stride == 0 && next.len && nc < 256)
                cursors[nc++] = next;
            from = next;
            apr_pool_clear(p);
        } while (next.len);
        apr_pool_destroy(p);
    }
    for (int i = 0; i < iters && nc; i++) {
        apr_pool_t *p;
        apr_pool_create(&p, root);
        mh_cursor next;
        double t0 = now_us();
        page(p, &cursors[rand() % nc], &next);
        v[i] = now_us() - t0;
        apr_pool_destroy(p);
    }
    if (nc)
        report("list 50 rows (deeper)", n_msgs, v, iters);
    return 0;
}
