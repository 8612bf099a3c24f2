/*
 * bench_nspi.c - the address book (/mapi/nspi) against a running httpd,
 * and the directory it reads:
 *
 *   bench-nspi fill --store SPEC --entries N
 *   bench-nspi run  --port P --user LOGIN --password W --total T --op OP
 *                   [--threads C] [--seconds S] [--label L]
 *
 * fill: adds N entries to the directory through the backend directly
 *       (1,000 to a transaction): users "First Last" from 60 first names and
 *       250 surnames, some with accents (Müller, Dvořák, Łukasiewicz ...),
 *       a number making each name unique, one in ten a distribution list;
 *       and one "Zoë Ångström" (the name `resolve` looks for).
 *
 * run:  C threads, each with its own keep-alive connection and Bind (before
 *       the clock starts), then for S seconds one call after the other:
 *         top      QueryRows, 50 rows of the GAL from its beginning
 *         frac     QueryRows, 50 rows from a random fractional position
 *                  (NumPos k of TotalRecs 1000)
 *         seek     SeekEntries to a random surname, with 50 rows
 *         resolve  ResolveNames "angstrom" (the one entry, accents ignored)
 *       Every response is checked: ErrorCode 0, the rows asked for (fewer
 *       only at the end of the table), TotalRecs = T (every entry of the
 *       directory), the STAT moved by the rows returned; seek's first row
 *       at or after the surname; resolve's one MId and name.
 *
 * Prints a table row (requests per second, latency: median, 90th and 99th
 * percentile in microseconds, errors, this client's CPU per request).  See
 * bench/README.md and bench/run-nspi.sh.
 */
#include "mh_client.h"
#include "mh_nspi_wire.h"
#include "mh_oxcdata.h"
#include "mh_tool.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include <apr_general.h>
#include <apr_strings.h>
#include "bench_util.h"

static const char *const first_names[] = {
    "Ada", "Alan", "Anna", "Björn", "Carla", "Chloé", "Dmitri", "Élodie", "Emil", "Eva",
    "Fatima", "François", "Grace", "Günter", "Hana", "Håkon", "Ingrid", "Ivan", "Jan", "Jörg",
    "Karin", "Kenji", "Lars", "Léa", "Lucia", "Małgorzata", "Marco", "María", "Mehmet", "Nils",
    "Noémie", "Olga", "Oskar", "Paula", "Pedro", "Petr", "Radia", "René", "Rosa", "Sami",
    "Sophie", "Søren", "Stefan", "Tomáš", "Ursula", "Valérie", "Viktor", "Wanda", "Xavier",
    "Yasmin", "Yusuf", "Zdeněk", "Zofia", "Agnès", "Bruno", "Cécile", "Dag", "Elif", "Felix",
    "Gül"};
#define N_FIRST (sizeof(first_names) / sizeof(first_names[0]))

/* 250 surnames: 50 stems, each in five spellings */
static const char *const stems[] = {
    "Müller", "Schmidt", "Dvořák", "Łukasiewicz", "Novák", "García", "Martínez", "Rossi",
    "Bianchi", "Dubois", "Lefèvre", "Johansson", "Nørgaard", "Öztürk", "Yılmaz", "Kowalski",
    "Nowak", "Horváth", "Szabó", "Popescu", "Ionescu", "Petrović", "Jovanović", "Smith",
    "Jones", "Brown", "Taylor", "Wilson", "O'Brien", "Murphy", "Kelly", "Walsh", "Fischer",
    "Weber", "Wagner", "Becker", "Hoffmann", "Schäfer", "Koch", "Richter", "Klein", "Wolf",
    "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann"};
static const char *const suffixes[] = {"", "son", "er", "ová", "ski"};
#define N_STEMS (sizeof(stems) / sizeof(stems[0]))
#define N_SURNAMES (N_STEMS * 5)

static const char *surname(apr_pool_t *p, unsigned k)
{
    return apr_pstrcat(p, stems[k % N_STEMS], suffixes[(k / N_STEMS) % 5], NULL);
}

/* ============================================================ fill */

static int fill(const char *spec, uint32_t n)
{
    apr_pool_t *pool;
    apr_pool_create(&pool, NULL);
    mh_be *be;
    const char *why = NULL;
    if (mh_tool_backend(pool, spec, NULL, 0, -1, -1, &be, &why) != 0) {
        fprintf(stderr, "bench-nspi: %s\n", why);
        return 1;
    }
    apr_pool_t *tp;
    apr_pool_create(&tp, pool);
    mh_betxn *t = NULL;
    mh_error err = {MH_OK, NULL};
    for (uint32_t i = 0; i <= n; i++) {
        if (!t && mh_be_begin(be, NULL, MH_TXN_WRITE, tp, &t, &err) != MH_OK)
            goto fail;
        mh_dir_entry e;
        memset(&e, 0, sizeof(e));
        /* a spread that does not follow the IDs */
        uint32_t k = (uint32_t)((i * 2654435761u) % 1000003u);
        const char *last = surname(tp, k % N_SURNAMES);
        const char *first = first_names[(k / N_SURNAMES) % N_FIRST];
        if (i == n) {
            e.type = MH_DIR_USER;
            e.display_name = "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m";
        } else if (i % 10 == 9) {
            e.type = MH_DIR_GROUP;
            e.display_name = apr_psprintf(tp, "%s Team %06u", last, i);
        } else {
            e.type = MH_DIR_USER;
            e.display_name = apr_psprintf(tp, "%s %s %06u", first, last, i);
        }
        if (e.type == MH_DIR_USER)
            e.login = apr_psprintf(tp, "e%06u", i);
        e.smtp = apr_psprintf(tp, "e%06u@bench.example", i);
        e.legacy_dn = apr_psprintf(tp, "/o=First Organization/ou=Exchange Administrative Group "
                                        "(FYDIBOHF23SPDLT)/cn=Recipients/cn=e%06u", i);
        if (mh_be_dir_put(t, &e, NULL, NULL, &err) != MH_OK)
            goto fail;
        if (i % 1000 == 999 || i == n) {
            if (mh_be_commit(t, &err) != MH_OK)
                goto fail;
            t = NULL;
            apr_pool_clear(tp);
        }
    }
    apr_pool_destroy(pool);
    return 0;
fail:
    fprintf(stderr, "bench-nspi: fill: %s\n", err.detail ? err.detail : "failed");
    return 1;
}

/* ============================================================= run */

enum op { OP_TOP, OP_FRAC, OP_SEEK, OP_RESOLVE };

static int port, seconds = 10, threads = 16;
static uint32_t total;
static enum op op = OP_TOP;
static const char *user, *password, *label = "address book";
static volatile int stop;

#define MAX_SAMPLES 2000000
#define PAGE 50
static double *lat;
static long n_lat, errors;
static double last_done;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static const mh_proptag cols[] = {
    MH_TAG(0x3001, PT_UNICODE), /* PidTagDisplayName */
    MH_TAG(0x39FE, PT_UNICODE), /* PidTagSmtpAddress */
    MH_TAG(0x3900, PT_LONG),    /* PidTagDisplayType */
    MH_TAG(0x0FFF, PT_BINARY),  /* PidTagEntryId */
};
#define N_COLS 4

typedef struct session {
    apr_pool_t *pool;
    mh_mapi *m;
    unsigned seed;
    char why[256];
} session;

static mh_stat stat_of(uint32_t current, uint32_t num_pos, uint32_t total_recs)
{
    mh_stat s;
    memset(&s, 0, sizeof(s));
    s.current_rec = current;
    s.num_pos = num_pos;
    s.total_recs = total_recs;
    s.code_page = 1252;
    s.template_locale = 0x409;
    s.sort_locale = 0x409;
    return s;
}

static int call(session *s, apr_pool_t *p, int rt, const char *name, const mh_nspi_req *q,
                mh_nspi_resp *r)
{
    const char *why = NULL;
    int rc = mh_nspi_call(s->m, p, rt, name, q, r, NULL, &why);
    if (rc != 0) {
        snprintf(s->why, sizeof(s->why), "%s: %s (%d)", name, why ? why : "refused", rc);
        return -1;
    }
    if (r->unbind.status_code != 0 || r->unbind.error_code != 0) {
        snprintf(s->why, sizeof(s->why), "%s: status 0x%x error 0x%x", name,
                 r->unbind.status_code, r->unbind.error_code);
        return -1;
    }
    return 0;
}

static const char *row_name(const mh_nspi_rowset *rs, uint32_t i)
{
    const mh_propval *v = i < rs->n_rows ? rs->rows[i].vals[0] : NULL;
    return v && MH_TAG_TYPE(v->tag) == PT_UNICODE && v->v.str ? v->v.str : NULL;
}

/* The rows came back as asked, in order, and the STAT moved past them. */
static int check_page(session *s, const mh_nspi_rowset *rs, const mh_stat *st, uint32_t from)
{
    uint32_t want = total - from < PAGE ? total - from : PAGE;
    if (rs->n_rows != want || st->total_recs != total || st->num_pos != from + want) {
        snprintf(s->why, sizeof(s->why), "%u rows from %u (want %u), STAT %u of %u", rs->n_rows,
                 from, want, st->num_pos, st->total_recs);
        return -1;
    }
    for (uint32_t i = 0; i < rs->n_rows; i++) {
        const char *a = row_name(rs, i);
        if (!a || (i && mh_str_collate(row_name(rs, i - 1), a) > 0)) {
            snprintf(s->why, sizeof(s->why), "row %u out of order", i);
            return -1;
        }
    }
    return 0;
}

static int one(session *s, apr_pool_t *p)
{
    mh_nspi_req q;
    mh_nspi_resp r;
    memset(&q, 0, sizeof(q));
    memset(&r, 0, sizeof(r));
    switch (op) {
    case OP_TOP:
    case OP_FRAC: {
        uint32_t k = op == OP_FRAC ? (uint32_t)(rand_r(&s->seed) % 1000) : 0;
        q.queryrows.has_state = 1;
        q.queryrows.state = op == OP_FRAC ? stat_of(MH_NSPI_MID_CURRENT, k, 1000)
                                          : stat_of(MH_NSPI_MID_BEGINNING_OF_TABLE, 0, 0);
        q.queryrows.row_count = PAGE;
        q.queryrows.has_columns = 1;
        q.queryrows.columns.n = N_COLS;
        q.queryrows.columns.tags = (mh_proptag *)cols;
        if (call(s, p, MH_RT_QUERYROWS, "QueryRows", &q, &r) < 0)
            return -1;
        uint32_t from = (uint32_t)((uint64_t)total * k / 1000);
        return check_page(s, &r.queryrows.rows, &r.queryrows.state, from);
    }
    case OP_SEEK: {
        const char *target = surname(p, (unsigned)rand_r(&s->seed) % N_SURNAMES);
        q.seekentries.has_state = 1;
        q.seekentries.state = stat_of(MH_NSPI_MID_BEGINNING_OF_TABLE, 0, 0);
        q.seekentries.has_target = 1;
        q.seekentries.target.tag = MH_TAG(0x3001, PT_UNICODE);
        q.seekentries.target.v.str = target;
        q.seekentries.has_columns = 1;
        q.seekentries.columns.n = N_COLS;
        q.seekentries.columns.tags = (mh_proptag *)cols;
        if (call(s, p, MH_RT_SEEKENTRIES, "SeekEntries", &q, &r) < 0)
            return -1;
        const mh_nspi_rowset *rs = &r.seekentries.rows;
        const char *first = row_name(rs, 0);
        if (rs->n_rows == 0 || rs->n_rows > PAGE || !first ||
            mh_str_collate(first, target) < 0 || r.seekentries.state.total_recs != total) {
            snprintf(s->why, sizeof(s->why), "SeekEntries %s: %u rows, first %s", target,
                     rs->n_rows, first ? first : "-");
            return -1;
        }
        return 0;
    }
    case OP_RESOLVE: {
        static const char *names[] = {"angstrom"};
        q.resolvenames.reserved = 0x80000000u;
        q.resolvenames.has_state = 1;
        q.resolvenames.state = stat_of(0, 0, 0);
        q.resolvenames.has_tags = 1;
        q.resolvenames.tags.n = N_COLS;
        q.resolvenames.tags.tags = (mh_proptag *)cols;
        q.resolvenames.has_names = 1;
        q.resolvenames.names.n = 1;
        q.resolvenames.names.s = names;
        if (call(s, p, MH_RT_RESOLVENAMES, "ResolveNames", &q, &r) < 0)
            return -1;
        const char *nm = row_name(&r.resolvenames.rows, 0);
        if (r.resolvenames.mids.n != 1 || r.resolvenames.mids.ids[0] < 0x10 || !nm ||
            strcmp(nm, "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m") != 0) {
            snprintf(s->why, sizeof(s->why), "ResolveNames: not the one entry");
            return -1;
        }
        return 0;
    }
    }
    return -1;
}

static pthread_barrier_t ready;

static void *worker(void *arg)
{
    session *s = arg;
    apr_pool_create(&s->pool, NULL);
    mh_client_opts o;
    memset(&o, 0, sizeof(o));
    o.host = "127.0.0.1";
    o.port = port;
    mh_client *c = mh_client_create(s->pool, &o);
    s->m = mh_mapi_create(s->pool, c, apr_psprintf(s->pool, "/mapi/nspi/?MailboxId=%s@bench", user),
                          user, password);
    mh_nspi_req q;
    mh_nspi_resp r;
    memset(&q, 0, sizeof(q));
    q.bind.has_state = 1;
    q.bind.state = stat_of(0, 0, 0);
    int opened = call(s, s->pool, MH_RT_BIND, "Bind", &q, &r) == 0;
    pthread_barrier_wait(&ready);
    if (!opened) {
        pthread_mutex_lock(&lock);
        if (errors++ == 0)
            fprintf(stderr, "bench-nspi: %s\n", s->why);
        pthread_mutex_unlock(&lock);
        return NULL;
    }
    double *mine = malloc(sizeof(double) * 200000);
    long n_mine = 0;
    apr_pool_t *p;
    apr_pool_create(&p, s->pool);
    while (!stop) {
        double t0 = now_us();
        int ok = one(s, p) == 0;
        double dt = now_us() - t0;
        if (!ok) {
            pthread_mutex_lock(&lock);
            if (errors++ == 0)
                fprintf(stderr, "bench-nspi: first failure: %s\n", s->why);
            pthread_mutex_unlock(&lock);
        } else if (n_mine < 200000) {
            mine[n_mine++] = dt;
        }
        apr_pool_clear(p);
    }
    double done = now_us();
    memset(&q, 0, sizeof(q));
    call(s, s->pool, MH_RT_UNBIND, "Unbind", &q, &r); /* UnbindSuccess: not 0, fine */
    pthread_mutex_lock(&lock);
    if (done > last_done)
        last_done = done;
    for (long i = 0; i < n_mine && n_lat < MAX_SAMPLES; i++)
        lat[n_lat++] = mine[i];
    pthread_mutex_unlock(&lock);
    free(mine);
    return NULL;
}

static int run(void)
{
    lat = malloc(sizeof(double) * MAX_SAMPLES);
    session *ss = calloc((size_t)threads, sizeof(session));
    pthread_t *t = calloc((size_t)threads, sizeof(pthread_t));
    pthread_barrier_init(&ready, NULL, (unsigned)threads + 1);
    for (int i = 0; i < threads; i++) {
        ss[i].seed = 7919u * (unsigned)(i + 1);
        pthread_create(&t[i], NULL, worker, &ss[i]);
    }
    pthread_barrier_wait(&ready);
    double t0 = now_us(), c0 = cpu_us();
    struct timespec d = {seconds, 0};
    nanosleep(&d, NULL);
    stop = 1;
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    double elapsed = ((last_done > t0 ? last_done : now_us()) - t0) / 1e6;
    double client_cpu = cpu_us() - c0;
    if (n_lat == 0) {
        fprintf(stderr, "bench-nspi: no successful requests (%ld errors)\n", errors);
        return 1;
    }
    qsort(lat, (size_t)n_lat, sizeof(double), cmp_d);
    printf("| %-44s | %8.0f | %7.0f | %7.0f | %7.0f | %6ld | %7.0f |\n", label, n_lat / elapsed,
           lat[n_lat / 2], lat[(n_lat * 9) / 10], lat[(n_lat * 99) / 100], errors,
           client_cpu / n_lat);
    return errors ? 1 : 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench-nspi fill --store SPEC --entries N\n"
                    "       bench-nspi run --port P --user LOGIN --password W --total T "
                    "--op top|frac|seek|resolve [--threads C] [--seconds S] [--label L]\n");
    return 2;
}

int main(int argc, char **argv)
{
    apr_initialize();
    atexit(apr_terminate);
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2)
        return usage();
    const char *store = NULL;
    uint32_t entries = 0;
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "--store") == 0)
            store = v;
        else if (strcmp(k, "--entries") == 0)
            entries = (uint32_t)strtoul(v, NULL, 10);
        else if (strcmp(k, "--port") == 0)
            port = atoi(v);
        else if (strcmp(k, "--user") == 0)
            user = v;
        else if (strcmp(k, "--password") == 0)
            password = v;
        else if (strcmp(k, "--total") == 0)
            total = (uint32_t)strtoul(v, NULL, 10);
        else if (strcmp(k, "--threads") == 0)
            threads = atoi(v);
        else if (strcmp(k, "--seconds") == 0)
            seconds = atoi(v);
        else if (strcmp(k, "--label") == 0)
            label = v;
        else if (strcmp(k, "--op") == 0 && strcmp(v, "top") == 0)
            op = OP_TOP;
        else if (strcmp(k, "--op") == 0 && strcmp(v, "frac") == 0)
            op = OP_FRAC;
        else if (strcmp(k, "--op") == 0 && strcmp(v, "seek") == 0)
            op = OP_SEEK;
        else if (strcmp(k, "--op") == 0 && strcmp(v, "resolve") == 0)
            op = OP_RESOLVE;
        else
            return usage();
    }
    if (strcmp(argv[1], "fill") == 0)
        return store && entries >= 1 && entries <= 10000000 ? fill(store, entries) : usage();
    if (strcmp(argv[1], "run") == 0 && port > 0 && user && password && total > PAGE &&
        threads >= 1 && threads <= 256 && seconds >= 1)
        return run();
    return usage();
}
