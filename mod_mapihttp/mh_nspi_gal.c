/*
 * mh_nspi_gal.c - the address book model of the NSPI handlers (see
 * mh_nspi_gal.h; MS-OXOABK, MS-OXNSPI 2.2.9, 3.1.4.4 - 3.1.4.7).
 *
 * How it scales (a hosting provider's directory: 100,000 entries)
 * ---------------------------------------------------------------
 * NSPI positions everything: a STAT carries CurrentRec, NumPos, TotalRecs
 * and Delta, and clients move by fractions of the table (3.1.4.5).  A
 * sorted index gives order but no positions: LMDB has no counted B-tree,
 * so "row 51,234" or "NumPos of this MId" would walk the index, O(N) per
 * call.  A counted index kept by the backend would make every backend
 * (LDAP!) keep one.  So the core keeps the order itself:
 *
 *  - A snapshot of the GAL's order per process: the MIds of every entry in
 *    table order, their types, their display names, and the positions
 *    sorted by MId -- compact malloc'd arrays, 25 bytes per entry plus its
 *    display name (4-5 MB at 100,000), built from dir_list and sorted once (fold key,
 *    then mh_str_collate, then MId: see below), never changed afterwards.
 *    With it a table call costs O(rows returned + log N): a row by
 *    position is an array index, a position by MId a binary search,
 *    SeekEntries a binary search on the names, ResortRestriction a sort of
 *    the client's MIds by position; rows are then read with dir_get.
 *  - Freshness without rebuilding: the backend's optional dir_generation
 *    (mapihttp/backend.h) is a counter bumped in the same transaction as
 *    every directory write; each call reads it in its own read transaction
 *    (one key) and uses the snapshot only if it was built at that very
 *    generation -- so the snapshot is exactly what the call's transaction
 *    sees, and a change made by any process (httpd or mapihttp-admin) is
 *    seen by the next call in every process.  Otherwise the call rebuilds
 *    (O(N log N), 150 ms measured at 100,000 entries: once per change per
 *    process, not per call).  A backend without the slot gets time-bounded reuse
 *    (MH_GAL_SNAPSHOT_TTL): changes show up within that time.
 *  - Shared by the threads of a process (mh_gal_cache, hung on the mh_be
 *    by mh_be_open after fork): a mutex guards the current snapshot and
 *    reference counts; a request holds a reference from its first table
 *    call to mh_gal_close (or its pool's end), so a rebuild never frees
 *    what a request is reading.  A second mutex lets one thread build at a
 *    time; the others wait and take its result instead of sorting too.
 *    A writing transaction (ModProps, ModLinkAtt) may see its own
 *    uncommitted changes: what it builds is its own, never published; an
 *    older transaction than the cached snapshot's builds privately too.
 *  - Name resolution does not use the snapshot: the backend's dir_search
 *    answers from an index of folded words, O(log N + matches), and
 *    GetMatches with a PR_ANR restriction tests only what that found.
 *
 * Folding.  The sort's first level and dir_search compare the same folded
 * form, defined once in mapihttp/fold.h (case, accents, combining marks):
 * "Müller" sorts with "Muller" and is found by "muller", "MULLER", "Müll".
 * The folded form in UTF-8 orders like its code points, so the snapshot
 * sorts on strcmp of folded keys and calls mh_str_collate only on ties.
 *
 * Left as O(N) (rare calls): PR_EMS_AB_IS_MEMBER_OF_DL (every list's
 * members), GetMailboxUrl's search by mailbox GUID, GetMatches with a
 * restriction that no ANR term bounds.
 */
#include "mh_nspi_gal.h"
#include "mh_autodiscover.h"
#include "mh_legacydn.h"
#include "mh_log.h"
#include "mh_mapierr.h"
#include "mh_oxcdata.h"
#include "mh_props.h"
#include "mh_rop.h"
#include "mapihttp/fold.h"

#include <pthread.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <apr_md5.h>
#include <apr_strings.h>
#include <apr_tables.h>

#define LIST_PAGE 1000u
#define TYPE_BIT(t) (1u << (unsigned)(t))
#define ALL_TYPES (TYPE_BIT(MH_DIR_USER) | TYPE_BIT(MH_DIR_GROUP) | TYPE_BIT(MH_DIR_CONTACT))

/* ------------------------------------------------------- containers */

static const mh_gal_container containers[] = {
    {MH_GAL_MID_GAL, "Global Address List", "gal", MH_AB_RECIPIENTS | MH_AB_UNMODIFIABLE, 0, -1,
     ALL_TYPES},
    {MH_GAL_MID_ALL_LISTS, "All Address Lists", "all-address-lists",
     MH_AB_SUBCONTAINERS | MH_AB_UNMODIFIABLE, 0, -1, 0},
    {MH_GAL_MID_USERS, "All Users", "all-users", MH_AB_RECIPIENTS | MH_AB_UNMODIFIABLE, 1, 1,
     TYPE_BIT(MH_DIR_USER)},
    {MH_GAL_MID_GROUPS, "All Distribution Lists", "all-distribution-lists",
     MH_AB_RECIPIENTS | MH_AB_UNMODIFIABLE, 1, 1, TYPE_BIT(MH_DIR_GROUP)},
    {MH_GAL_MID_CONTACTS, "All Contacts", "all-contacts", MH_AB_RECIPIENTS | MH_AB_UNMODIFIABLE,
     1, 1, TYPE_BIT(MH_DIR_CONTACT)},
};
#define N_CONTAINERS (sizeof(containers) / sizeof(containers[0]))

const mh_gal_container *mh_gal_containers(uint32_t *n_r)
{
    *n_r = (uint32_t)N_CONTAINERS;
    return containers;
}

const mh_gal_container *mh_gal_container_find(uint32_t mid)
{
    for (size_t i = 0; i < N_CONTAINERS; i++)
        if (containers[i].mid == mid)
            return &containers[i];
    return NULL;
}

/* --------------------------------------------------------- snapshots */

typedef struct gal_snap gal_snap;

/*
 * The order of the directory: what every table call positions in.  Built
 * from dir_list, sorted once, immutable afterwards; shared by the threads
 * of a process through the cache below and counted (refs) so that the
 * last request using one frees it.  Plain malloc: a snapshot outlives the
 * request that built it, and its memory is freed as soon as it is unused.
 */
struct gal_snap {
    unsigned refs;        /* under the cache's lock (or 1: a private one) */
    mh_gal_cache *owner;  /* NULL: private to one mh_gal */
    int has_gen;          /* built at generation `gen` (else: at `built`) */
    uint64_t gen;
    apr_time_t built;
    uint32_t n;           /* entries, in table order: */
    uint32_t *mids;       /*   their MIds */
    uint8_t *types;       /*   their mh_dir_type */
    uint32_t *name;       /*   their display names (offsets into text) */
    char *text;
    uint32_t *by_mid;     /* table positions, ordered by MId (binary search) */
    uint32_t *sub_pos;    /* by table position: the position in its type's list */
    struct {
        uint32_t n;
        uint32_t *mids;   /* the entries of one type, in order */
        uint32_t *gpos;   /* and their positions in the GAL */
    } sub[4];             /* by mh_dir_type (1..3) */
};

struct mh_gal_cache {
    const mh_be *b;
    pthread_mutex_t lock;       /* cur, refs */
    pthread_mutex_t build_lock; /* one build at a time: the others wait for it */
    gal_snap *cur;              /* the latest snapshot, or NULL */
    uint64_t builds;            /* snapshots built (tests, logs) */
    int told_no_gen;            /* logged that the backend has no dir_generation */
};

static void snap_free(gal_snap *s)
{
    if (!s)
        return;
    free(s->mids);
    free(s->types);
    free(s->name);
    free(s->text);
    free(s->by_mid);
    free(s->sub_pos);
    for (int k = 0; k < 4; k++) {
        free(s->sub[k].mids);
        free(s->sub[k].gpos);
    }
    free(s);
}

static void snap_release(gal_snap *s)
{
    if (!s)
        return;
    if (!s->owner) {
        snap_free(s);
        return;
    }
    mh_gal_cache *c = s->owner;
    pthread_mutex_lock(&c->lock);
    int last = --s->refs == 0;
    pthread_mutex_unlock(&c->lock);
    if (last)
        snap_free(s);
}

static apr_status_t cache_cleanup(void *data)
{
    mh_gal_cache *c = data;
    pthread_mutex_lock(&c->lock);
    gal_snap *s = c->cur;
    c->cur = NULL;
    int last = s && --s->refs == 0;
    pthread_mutex_unlock(&c->lock);
    if (last)
        snap_free(s);
    /* a snapshot still referenced by a request is freed by its release */
    return APR_SUCCESS;
}

mh_gal_cache *mh_gal_cache_create(const mh_be *b, apr_pool_t *pchild)
{
    mh_gal_cache *c = apr_pcalloc(pchild, sizeof(*c));
    c->b = b;
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->build_lock, NULL);
    apr_pool_cleanup_register(pchild, c, cache_cleanup, apr_pool_cleanup_null);
    return c;
}

uint64_t mh_gal_cache_builds(const mh_be *b)
{
    if (!b || !b->gal)
        return 0;
    pthread_mutex_lock(&b->gal->lock);
    uint64_t n = b->gal->builds;
    pthread_mutex_unlock(&b->gal->lock);
    return n;
}

void mh_gal_cache_age(const mh_be *b, apr_interval_time_t by)
{
    if (!b || !b->gal)
        return;
    pthread_mutex_lock(&b->gal->lock);
    if (b->gal->cur)
        b->gal->cur->built -= by;
    pthread_mutex_unlock(&b->gal->lock);
}

/* An entry while sorting. */
typedef struct sort_ent {
    const char *fold;  /* folded display name (mapihttp/fold.h) */
    const char *name;
    uint32_t mid;
    uint8_t type;
} sort_ent;

/* The table order: folded name (the first level of mh_str_collate, as
 * bytes: UTF-8 keeps code point order), then mh_str_collate, then MId. */
static int cmp_sort_ent(const void *x, const void *y)
{
    const sort_ent *a = x, *b = y;
    int r = strcmp(a->fold, b->fold);
    if (!r)
        r = mh_str_collate(a->name, b->name);
    if (r)
        return r < 0 ? -1 : 1;
    return a->mid < b->mid ? -1 : a->mid > b->mid;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

#define XALLOC(p, n) ((p) = malloc(sizeof(*(p)) * ((n) ? (n) : 1)), (p) != NULL)

/*
 * Builds the snapshot of what transaction t sees: every entry of the
 * directory (dir_list, a page at a time in a scratch pool), sorted.
 * O(N log N) time; 25 bytes per entry and its display name.  NULL on a
 * backend failure (logged by the wrapper) or when memory runs out.
 */
static gal_snap *snap_build(mh_betxn *t, apr_pool_t *pool)
{
    apr_pool_t *scratch;
    apr_pool_create(&scratch, pool);
    size_t cap = 1024, n = 0, tcap = 32768, tlen = 0;
    sort_ent *es = malloc(sizeof(*es) * cap);
    char *text = malloc(tcap); /* name NUL folded-name NUL, per entry */
    size_t *offs = malloc(sizeof(size_t) * cap);
    gal_snap *s = calloc(1, sizeof(*s));
    int ok = es && text && offs && s;
    mh_cursor cur;
    cur.len = 0;
    while (ok) {
        apr_pool_clear(scratch);
        mh_dir_entry *page = NULL;
        uint32_t got = 0;
        mh_cursor next;
        mh_error err = {MH_OK, NULL};
        if (mh_be_dir_list(t, &cur, LIST_PAGE, &page, &got, &next, &err) != MH_OK) {
            ok = 0;
            break;
        }
        for (uint32_t i = 0; ok && i < got; i++) {
            const mh_dir_entry *e = &page[i];
            if (!mh_gal_mid_of(e->id))
                continue; /* no MId: out of the address book (header) */
            if (e->type != MH_DIR_USER && e->type != MH_DIR_GROUP && e->type != MH_DIR_CONTACT)
                continue;
            const char *nm = e->display_name ? e->display_name : "";
            size_t nl = strlen(nm), need = nl + 1 + MH_FOLD_SIZE(nl);
            if (n == cap) {
                cap *= 2;
                sort_ent *ne = realloc(es, sizeof(*es) * cap);
                size_t *no = realloc(offs, sizeof(size_t) * cap);
                if (ne)
                    es = ne;
                if (no)
                    offs = no;
                ok = ne && no;
            }
            while (ok && tlen + need > tcap) {
                char *nt = realloc(text, tcap * 2);
                ok = nt != NULL;
                if (ok) {
                    text = nt;
                    tcap *= 2;
                }
            }
            if (!ok)
                break;
            offs[n] = tlen;
            memcpy(text + tlen, nm, nl + 1);
            tlen += nl + 1;
            tlen += mh_fold_utf8(nm, text + tlen, MH_FOLD_SIZE(nl)) + 1;
            es[n].mid = mh_gal_mid_of(e->id);
            es[n].type = (uint8_t)e->type;
            n++;
        }
        if (got == 0 || next.len == 0)
            break;
        cur = next;
    }
    apr_pool_destroy(scratch);
    if (ok) {
        /* pointers only now: text moved while it grew */
        for (size_t i = 0; i < n; i++) {
            es[i].name = text + offs[i];
            es[i].fold = es[i].name + strlen(es[i].name) + 1;
        }
        qsort(es, n, sizeof(*es), cmp_sort_ent);
        s->n = (uint32_t)n;
        ok = XALLOC(s->mids, n) && XALLOC(s->types, n) && XALLOC(s->name, n) &&
             XALLOC(s->by_mid, n) && XALLOC(s->sub_pos, n);
    }
    size_t nt = 0;
    if (ok) {
        /* the names alone (no folded forms: seeks fold their target) */
        for (size_t i = 0; i < n; i++)
            nt += strlen(es[i].name) + 1;
        ok = (s->text = malloc(nt ? nt : 1)) != NULL;
    }
    if (ok) {
        uint32_t counts[4] = {0, 0, 0, 0};
        size_t o = 0;
        for (uint32_t i = 0; i < s->n; i++) {
            s->mids[i] = es[i].mid;
            s->types[i] = es[i].type;
            size_t l = strlen(es[i].name) + 1;
            memcpy(s->text + o, es[i].name, l);
            s->name[i] = (uint32_t)o;
            o += l;
            s->sub_pos[i] = counts[es[i].type]++;
        }
        for (int k = 1; ok && k < 4; k++)
            ok = XALLOC(s->sub[k].mids, counts[k]) && XALLOC(s->sub[k].gpos, counts[k]);
        for (uint32_t i = 0; ok && i < s->n; i++) {
            int k = s->types[i];
            s->sub[k].mids[s->sub[k].n] = s->mids[i];
            s->sub[k].gpos[s->sub[k].n++] = i;
        }
        if (ok) {
            /* table positions by MId: (MId, position) pairs sorted */
            uint64_t *pairs = malloc(sizeof(uint64_t) * (n ? n : 1));
            ok = pairs != NULL;
            if (ok) {
                for (uint32_t i = 0; i < s->n; i++)
                    pairs[i] = ((uint64_t)s->mids[i] << 32) | i;
                qsort(pairs, n, sizeof(uint64_t), cmp_u64);
                for (uint32_t i = 0; i < s->n; i++)
                    s->by_mid[i] = (uint32_t)pairs[i];
                free(pairs);
            }
        }
    }
    free(es);
    free(offs);
    free(text);
    if (!ok) {
        snap_free(s);
        return NULL;
    }
    s->built = apr_time_now();
    return s;
}

/* ------------------------------------------------------------ model */

/* An object and what was worked out for it. */
typedef struct gobj {
    mh_gal_obj pub;
    mh_proplist *props[2]; /* by MH_GAL_EPHEMERAL */
} gobj;

struct mh_gal {
    apr_pool_t *pool;
    mh_gal_cfg cfg;
    const char *org;
    mh_betxn *t;               /* NULL: no backend */
    int own_txn;               /* t is ours to end */
    apr_hash_t *objs;          /* MId -> gobj */
    gobj cont[N_CONTAINERS];
    gal_snap *snap;            /* the order, once a table was asked for */
    mh_gal_table tables[N_CONTAINERS];
    int have_table[N_CONTAINERS];
};

static apr_status_t gal_cleanup(void *data);

static mh_gal *gal_new(const mh_gal_cfg *cfg, apr_pool_t *pool)
{
    mh_gal *g = apr_pcalloc(pool, sizeof(*g));
    g->pool = pool;
    g->cfg = *cfg;
    g->org = cfg->organization ? cfg->organization : MH_DEFAULT_ORGANIZATION;
    g->objs = apr_hash_make(pool);
    apr_pool_cleanup_register(pool, g, gal_cleanup, apr_pool_cleanup_null);
    for (size_t i = 0; i < N_CONTAINERS; i++) {
        g->cont[i].pub.mid = containers[i].mid;
        g->cont[i].pub.c = &containers[i];
    }
    return g;
}

uint32_t mh_gal_open(const mh_be *be, const mh_gal_cfg *cfg, apr_pool_t *pool, mh_gal **g_r)
{
    mh_gal *g = gal_new(cfg, pool);
    if (be) {
        mh_error err = {MH_OK, NULL};
        if (mh_be_begin(be, NULL, MH_TXN_READ, pool, &g->t, &err) != MH_OK)
            return MH_NSPI_GENERAL_FAILURE;
        g->own_txn = 1;
    }
    *g_r = g;
    return MH_NSPI_SUCCESS;
}

uint32_t mh_gal_open_txn(mh_betxn *t, const mh_gal_cfg *cfg, apr_pool_t *pool, mh_gal **g_r)
{
    mh_gal *g = gal_new(cfg, pool);
    g->t = t;
    *g_r = g;
    return MH_NSPI_SUCCESS;
}

static void release_snap(mh_gal *g)
{
    if (g->snap) {
        snap_release(g->snap);
        g->snap = NULL;
        memset(g->have_table, 0, sizeof(g->have_table));
    }
}

static apr_status_t gal_cleanup(void *data)
{
    release_snap(data);
    return APR_SUCCESS;
}

void mh_gal_close(mh_gal *g)
{
    if (!g)
        return;
    release_snap(g);
    if (g->t) {
        if (g->own_txn)
            mh_be_abort(g->t);
        g->t = NULL;
    }
}

static gobj *cache_entry(mh_gal *g, const mh_dir_entry *e)
{
    uint32_t mid = mh_gal_mid_of(e->id);
    gobj *o = apr_hash_get(g->objs, &mid, sizeof(mid));
    if (o)
        return o;
    if (!e->legacy_dn || !*e->legacy_dn) {
        /* a directory that keeps no legacy DN (LDAP): the one derivation
         * Connect and Autodiscover use too */
        mh_dir_entry *c = apr_pmemdup(g->pool, e, sizeof(*e));
        c->legacy_dn = mh_entry_legacy_dn(g->pool, g->cfg.legacy_dn_scheme, g->org, e);
        e = c;
    }
    o = apr_pcalloc(g->pool, sizeof(*o));
    o->pub.mid = mid;
    o->pub.e = e;
    apr_hash_set(g->objs, &o->pub.mid, sizeof(o->pub.mid), o);
    return o;
}

static gobj *entry_by_id(mh_gal *g, uint32_t id)
{
    uint32_t mid = mh_gal_mid_of(id);
    if (!mid || !g->t)
        return NULL;
    gobj *o = apr_hash_get(g->objs, &mid, sizeof(mid));
    if (o)
        return o;
    mh_dir_entry *e = apr_pcalloc(g->pool, sizeof(*e));
    mh_error err = {MH_OK, NULL};
    if (mh_be_dir_get(g->t, id, e, &err) != MH_OK)
        return NULL;
    return cache_entry(g, e);
}

const mh_gal_obj *mh_gal_get(mh_gal *g, uint32_t mid)
{
    if (mid == MH_GAL_MID_GAL)
        return NULL;
    for (size_t i = 0; i < N_CONTAINERS; i++)
        if (containers[i].mid == mid)
            return &g->cont[i].pub;
    gobj *o = entry_by_id(g, mh_gal_dir_id_of(mid));
    return o ? &o->pub : NULL;
}

/* The DN of a container: "/" for the GAL, else "/guid=" and 32 hex digits
 * of a GUID derived from the organization and the list (MS-OXOABK 2.2.1.1). */
static const char *container_dn(mh_gal *g, const mh_gal_container *c)
{
    if (c->mid == MH_GAL_MID_GAL)
        return "/";
    unsigned char d[APR_MD5_DIGESTSIZE];
    const char *seed = apr_pstrcat(g->pool, "mapihttp-address-list:", g->org, ":", c->key, NULL);
    apr_md5(d, seed, strlen(seed));
    d[6] = (unsigned char)((d[6] & 0x0F) | 0x30); /* a name-based (version 3) GUID */
    d[8] = (unsigned char)((d[8] & 0x3F) | 0x80);
    char *s = apr_palloc(g->pool, 6 + 32 + 1);
    memcpy(s, "/guid=", 6);
    for (int i = 0; i < 16; i++)
        apr_snprintf(s + 6 + 2 * i, 3, "%02X", d[i]);
    return s;
}

const mh_gal_obj *mh_gal_find_dn(mh_gal *g, const char *dn)
{
    if (!dn || !*dn)
        return NULL;
    if (strncasecmp(dn, "/guid=", 6) == 0) {
        for (size_t i = 1; i < N_CONTAINERS; i++)
            if (strcasecmp(dn, container_dn(g, &containers[i])) == 0)
                return &g->cont[i].pub;
        return NULL;
    }
    if (!g->t || dn[0] != '/' || strlen(dn) > 1024)
        return NULL;
    mh_dir_entry *e = apr_pcalloc(g->pool, sizeof(*e));
    mh_error err = {MH_OK, NULL};
    if (mh_be_dir_find(g->t, MH_DIR_BY_LEGACY_DN, dn, e, &err) != MH_OK ||
        !mh_gal_mid_of(e->id))
        return NULL;
    return &cache_entry(g, e)->pub;
}

const mh_gal_obj *mh_gal_find_login(mh_gal *g, const char *login)
{
    if (!g->t || !login || !*login)
        return NULL;
    mh_dir_entry *e = apr_pcalloc(g->pool, sizeof(*e));
    mh_error err = {MH_OK, NULL};
    if (mh_be_dir_find(g->t, MH_DIR_BY_LOGIN, login, e, &err) != MH_OK || !mh_gal_mid_of(e->id))
        return NULL;
    return &cache_entry(g, e)->pub;
}

/* ----------------------------------------------------------- tables */

int mh_gal_cmp(const mh_gal_obj *a, const mh_gal_obj *b)
{
    const char *na = a->e ? a->e->display_name : a->c->name;
    const char *nb = b->e ? b->e->display_name : b->c->name;
    int r = mh_str_collate(na ? na : "", nb ? nb : "");
    if (r)
        return r;
    return a->mid < b->mid ? -1 : a->mid > b->mid;
}

/* Whether snapshot s shows what a transaction at generation `gen` (has_gen)
 * or now (no generation) sees. */
static int snap_fresh(const gal_snap *s, int has_gen, uint64_t gen, apr_time_t now)
{
    if (has_gen)
        return s->has_gen && s->gen == gen;
    return !s->has_gen && now - s->built < MH_GAL_SNAPSHOT_TTL;
}

/* Takes a reference to the cache's snapshot when it is fresh (lock held
 * by the caller). */
static gal_snap *cache_take(mh_gal_cache *c, int has_gen, uint64_t gen, apr_time_t now)
{
    gal_snap *s = c->cur;
    if (!s || !snap_fresh(s, has_gen, gen, now))
        return NULL;
    s->refs++;
    return s;
}

/* The snapshot this request positions in (see the comment at the top). */
static uint32_t acquire_snap(mh_gal *g)
{
    if (g->snap)
        return MH_NSPI_SUCCESS;
    if (!g->t) {
        g->snap = calloc(1, sizeof(gal_snap)); /* no backend: an empty address book */
        return g->snap ? MH_NSPI_SUCCESS : MH_NSPI_NOT_ENOUGH_MEMORY;
    }
    uint64_t gen = 0;
    int has_gen = 1;
    mh_error err = {MH_OK, NULL};
    mh_err e = mh_be_dir_generation(g->t, &gen, &err);
    if (e == MH_E_NOT_SUPPORTED)
        has_gen = 0;
    else if (e != MH_OK)
        return MH_NSPI_GENERAL_FAILURE;
    mh_gal_cache *c = g->t->b->gal;
    /* a writing transaction sees its own changes, which may never be
     * committed: what it builds stays its own */
    int shareable = c && !g->t->write;
    apr_time_t now = apr_time_now();
    if (c) {
        pthread_mutex_lock(&c->lock);
        g->snap = cache_take(c, has_gen, gen, now);
        int tell = !has_gen && !c->told_no_gen;
        if (tell)
            c->told_no_gen = 1;
        pthread_mutex_unlock(&c->lock);
        if (tell)
            mh_log(MH_LOG_NOTICE,
                   MHLOGNO(02100) "backend %s has no dir_generation: the address book "
                                  "reuses its view of the directory for up to %d s",
                   c->b->label ? c->b->label : "?",
                   (int)apr_time_sec(MH_GAL_SNAPSHOT_TTL));
        if (g->snap)
            return MH_NSPI_SUCCESS;
    }
    if (shareable) {
        /* one build at a time: threads that wait get the one just made */
        pthread_mutex_lock(&c->build_lock);
        pthread_mutex_lock(&c->lock);
        g->snap = cache_take(c, has_gen, gen, apr_time_now());
        pthread_mutex_unlock(&c->lock);
        if (g->snap) {
            pthread_mutex_unlock(&c->build_lock);
            return MH_NSPI_SUCCESS;
        }
    }
    apr_time_t t0 = apr_time_now();
    gal_snap *s = snap_build(g->t, g->pool);
    if (!s) {
        if (shareable)
            pthread_mutex_unlock(&c->build_lock);
        return MH_NSPI_GENERAL_FAILURE;
    }
    s->has_gen = has_gen;
    s->gen = gen;
    s->refs = 1;
    if (shareable) {
        s->owner = c;
        gal_snap *old = NULL;
        pthread_mutex_lock(&c->lock);
        c->builds++;
        /* the latest directory wins: a transaction older than the cached
         * snapshot keeps what it built to itself */
        if (!c->cur || !has_gen || !c->cur->has_gen || gen > c->cur->gen) {
            old = c->cur;
            c->cur = s;
            s->refs++;
            if (old && --old->refs > 0)
                old = NULL;
        }
        pthread_mutex_unlock(&c->lock);
        pthread_mutex_unlock(&c->build_lock);
        snap_free(old);
        mh_log(MH_LOG_DEBUG,
               MHLOGNO(02101) "address book: %u entries sorted in %ld ms (generation %llu)",
               s->n, (long)((apr_time_now() - t0) / 1000), (unsigned long long)gen);
    } else if (c) {
        pthread_mutex_lock(&c->lock);
        c->builds++;
        pthread_mutex_unlock(&c->lock);
    }
    g->snap = s;
    return MH_NSPI_SUCCESS;
}

uint32_t mh_gal_table_of(mh_gal *g, uint32_t container, const mh_gal_table **t_r)
{
    size_t ci = 0;
    while (ci < N_CONTAINERS && containers[ci].mid != container)
        ci++;
    if (ci == N_CONTAINERS)
        return MH_NSPI_INVALID_BOOKMARK;
    if (!g->have_table[ci]) {
        uint32_t ec = acquire_snap(g);
        if (ec != MH_NSPI_SUCCESS)
            return ec;
        const gal_snap *s = g->snap;
        mh_gal_table *t = &g->tables[ci];
        memset(t, 0, sizeof(*t));
        t->snap = s;
        t->types = containers[ci].types;
        if (t->types == ALL_TYPES) {
            t->n = s->n;
            t->mids = s->mids;
        } else {
            for (unsigned k = 1; k < 4; k++)
                if (t->types == TYPE_BIT(k)) {
                    t->n = s->sub[k].n;
                    t->mids = s->sub[k].mids;
                    t->gpos = s->sub[k].gpos;
                }
        }
        if (!t->mids) {
            static const uint32_t none[1] = {0}; /* an empty table: no NULL + 0 */
            t->mids = none;
        }
        g->have_table[ci] = 1;
    }
    *t_r = &g->tables[ci];
    return MH_NSPI_SUCCESS;
}

/* The GAL position of an MId in snapshot s, or -1. */
static long snap_find(const gal_snap *s, uint32_t mid)
{
    uint32_t lo = 0, hi = s->n;
    while (lo < hi) {
        uint32_t m = lo + (hi - lo) / 2;
        uint32_t v = s->mids[s->by_mid[m]];
        if (v == mid)
            return (long)s->by_mid[m];
        if (v < mid)
            lo = m + 1;
        else
            hi = m;
    }
    return -1;
}

long mh_gal_table_index(const mh_gal_table *t, uint32_t mid)
{
    const gal_snap *s = t->snap;
    if (!s || !t->n)
        return -1;
    long gp = snap_find(s, mid);
    if (gp < 0)
        return -1;
    if (t->types == ALL_TYPES)
        return gp;
    if (!(t->types & TYPE_BIT(s->types[gp])))
        return -1;
    return (long)s->sub_pos[gp];
}

const char *mh_gal_table_name(const mh_gal_table *t, uint32_t i)
{
    if (i >= t->n)
        return NULL;
    uint32_t gp = t->gpos ? t->gpos[i] : i;
    return t->snap->text + t->snap->name[gp];
}

uint32_t mh_gal_seek(const mh_gal_table *t, const char *target)
{
    size_t tl = strlen(target);
    char *ft = malloc(MH_FOLD_SIZE(tl));
    if (!ft)
        return t->n;
    mh_fold_utf8(target, ft, MH_FOLD_SIZE(tl));
    uint32_t lo = 0, hi = t->n;
    while (lo < hi) {
        uint32_t m = lo + (hi - lo) / 2;
        const char *name = mh_gal_table_name(t, m);
        /* mh_str_collate(name, target) < 0, its first level from the
         * folded forms */
        size_t nl = strlen(name);
        char stack[256], *fn = MH_FOLD_SIZE(nl) <= sizeof(stack) ? stack : malloc(MH_FOLD_SIZE(nl));
        int r;
        if (!fn) {
            r = mh_str_collate(name, target);
        } else {
            mh_fold_utf8(name, fn, MH_FOLD_SIZE(nl));
            r = strcmp(fn, ft);
            if (!r)
                r = mh_str_collate(name, target);
            if (fn != stack)
                free(fn);
        }
        if (r < 0)
            lo = m + 1;
        else
            hi = m;
    }
    free(ft);
    return lo;
}

/* ------------------------------------------------------ positioning */

int mh_gal_position(const mh_gal_table *t, const mh_stat *st, uint32_t *pos_r)
{
    int64_t pos;
    if (st->current_rec == MH_NSPI_MID_CURRENT) {
        /* fractional (3.1.4.5.2): NumPos of the client's TotalRecs */
        if (st->total_recs == 0)
            pos = 0;
        else
            pos = (int64_t)((uint64_t)t->n * st->num_pos / st->total_recs);
        if (pos > (int64_t)t->n)
            pos = t->n;
    } else if (st->current_rec == MH_NSPI_MID_BEGINNING_OF_TABLE) {
        pos = 0;
    } else if (st->current_rec == MH_NSPI_MID_END_OF_TABLE) {
        pos = t->n;
    } else {
        long i = mh_gal_table_index(t, st->current_rec);
        if (i < 0)
            return -1;
        pos = i;
    }
    /* Delta, kept within the table (3.1.4.5.1 steps 6-8) */
    pos += st->delta;
    if (pos < 0)
        pos = 0;
    if (pos > (int64_t)t->n)
        pos = t->n;
    *pos_r = (uint32_t)pos;
    return 0;
}

void mh_gal_set_position(const mh_gal_table *t, uint32_t pos, mh_stat *st)
{
    if (pos > t->n)
        pos = t->n;
    st->current_rec = pos < t->n ? t->mids[pos] : MH_NSPI_MID_END_OF_TABLE;
    st->num_pos = pos;
    st->total_recs = t->n;
    st->delta = 0;
}

/* ------------------------------------------------------ entry IDs */

void mh_gal_permanent_eid(const char *dn, uint32_t display_type, apr_pool_t *pool, mh_bin *out)
{
    mh_ab_entryid(dn, display_type, pool, out);
}

void mh_gal_ephemeral_eid(const mh_guid *server, uint32_t display_type, uint32_t mid,
                          apr_pool_t *pool, mh_bin *out)
{
    mh_wr wr;
    mh_wr_init(&wr, pool, 28);
    mh_wr_u8(&wr, 0x87); /* ID Type (2.2.9.2) */
    mh_wr_u8(&wr, 0);
    mh_wr_u8(&wr, 0);
    mh_wr_u8(&wr, 0);
    mh_wr_bytes(&wr, server->b, 16);
    mh_wr_u32(&wr, 1); /* R4 */
    mh_wr_u32(&wr, display_type);
    mh_wr_u32(&wr, mid);
    out->data = wr.buf;
    out->len = (uint32_t)wr.len;
}

/* ------------------------------------------------------- properties */

uint32_t mh_gal_display_type(const mh_gal_obj *o)
{
    if (o->c)
        return MH_DT_CONTAINER;
    switch (o->e->type) {
    case MH_DIR_GROUP:
        return MH_DT_DISTLIST;
    case MH_DIR_CONTACT:
        return MH_DT_REMOTE_MAILUSER;
    default:
        return MH_DT_MAILUSER;
    }
}

static const char *dn_of(mh_gal *g, const mh_gal_obj *o)
{
    return o->c ? container_dn(g, o->c) : o->e->legacy_dn;
}

static const char *domain_of(const char *addr)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    return at && at[1] ? at + 1 : NULL;
}

const char *mh_gal_server_dn(mh_gal *g, const mh_dir_entry *e, apr_pool_t *pool)
{
    if (!e->has_mailbox)
        return NULL;
    const char *domain = domain_of(e->smtp);
    if (!domain)
        domain = g->cfg.host && *g->cfg.host ? g->cfg.host : "localhost";
    return apr_pstrcat(pool, "/o=", g->org,
                       "/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)"
                       "/cn=Configuration/cn=Servers/cn=",
                       mh_ad_guid_text(pool, &e->mailbox), "@", domain, NULL);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int mh_gal_parse_server_dn(const char *dn, mh_guid *mailbox_r)
{
    static const char marker[] = "/cn=Configuration/cn=Servers/cn=";
    size_t ml = sizeof(marker) - 1;
    if (!dn)
        return -1;
    const char *p = NULL;
    for (const char *s = dn; *s; s++)
        if (strncasecmp(s, marker, ml) == 0) {
            p = s + ml;
            break;
        }
    if (!p || strlen(p) < 37 || p[36] != '@')
        return -1;
    /* the text form of mh_ad_guid_text: first three fields little-endian */
    static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    uint8_t b[16];
    int k = 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (p[i] != '-')
                return -1;
            continue;
        }
        int hi = hexval(p[i]), lo = hexval(p[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        b[order[k++]] = (uint8_t)(hi << 4 | lo);
        i++;
    }
    /* then the domain, and at most the database RDN */
    const char *rest = strchr(p + 37, '/');
    if (rest && strcasecmp(rest, "/cn=Microsoft Private MDB") != 0)
        return -1;
    memcpy(mailbox_r->b, b, 16);
    return 0;
}

/* A pass over the directory (no backend slot finds an entry by mailbox);
 * GetMailboxUrl is rare: a profile, a delegate's mailbox opened. */
const mh_gal_obj *mh_gal_find_mailbox(mh_gal *g, const mh_guid *mailbox)
{
    if (!g->t)
        return NULL;
    apr_pool_t *scratch;
    apr_pool_create(&scratch, g->pool);
    mh_cursor cur;
    cur.len = 0;
    const mh_gal_obj *found = NULL;
    while (!found) {
        apr_pool_clear(scratch);
        mh_dir_entry *es = NULL;
        uint32_t n = 0;
        mh_cursor next;
        mh_error err = {MH_OK, NULL};
        if (mh_be_dir_list(g->t, &cur, LIST_PAGE, &es, &n, &next, &err) != MH_OK)
            break;
        for (uint32_t i = 0; i < n && !found; i++)
            if (es[i].has_mailbox && memcmp(es[i].mailbox.b, mailbox->b, 16) == 0 &&
                mh_gal_mid_of(es[i].id))
                found = mh_gal_get(g, mh_gal_mid_of(es[i].id));
        if (n == 0 || next.len == 0)
            break;
        cur = next;
    }
    apr_pool_destroy(scratch);
    return found;
}

const mh_gal_obj *mh_gal_find_entryid(mh_gal *g, const mh_bin *eid)
{
    const uint8_t *d = eid->data;
    if (!d || eid->len < 28)
        return NULL;
    const mh_gal_obj *o = NULL;
    if (d[0] == 0x87 && eid->len == 32) {
        /* Ephemeral (2.2.9.2): ID type, R1-R3, this server's GUID, R4,
         * display type, MId.  Another server's MIds mean nothing here. */
        if (memcmp(d + 4, g->cfg.server_guid.b, 16) != 0)
            return NULL;
        o = mh_gal_get(g, mh_get_u32(d + 28));
    } else if (d[0] == 0x00) {
        /* Permanent (2.2.9.3): ID type, R1-R3, the NSPI provider UID, R4,
         * display type, the DN with its NUL */
        if (memcmp(d + 4, mh_ab_provider_uid, 16) != 0 || d[eid->len - 1] != 0)
            return NULL;
        const char *dn = (const char *)d + 28;
        if (strlen(dn) != eid->len - 29)
            return NULL; /* a NUL inside the DN */
        o = mh_gal_find_dn(g, dn);
    }
    return o && o->e ? o : NULL;
}

uint32_t mh_gal_dir_owner(const mh_dir_entry *e)
{
    for (uint32_t i = 0; i < e->props.n; i++)
        if (e->props.v[i].tag == MH_DIR_LINK_OWNER && !(e->props.v[i].flags & MH_PV_LARGE))
            return (uint32_t)e->props.v[i].v.i32;
    return 0;
}

void mh_gal_dir_delegates(const mh_dir_entry *e, const uint32_t **ids_r, uint32_t *n_r)
{
    *ids_r = NULL;
    *n_r = 0;
    for (uint32_t i = 0; i < e->props.n; i++)
        if (e->props.v[i].tag == MH_DIR_LINK_DELEGATES && !(e->props.v[i].flags & MH_PV_LARGE) &&
            e->props.v[i].v.mv.v) {
            *ids_r = (const uint32_t *)e->props.v[i].v.mv.v;
            *n_r = e->props.v[i].v.mv.n;
            return;
        }
}

/* The object GUID of an entry (PidTagAddressBookObjectGuid): derived from
 * the organization and the directory ID, so it is stable. */
static mh_bin object_guid(mh_gal *g, uint32_t id)
{
    unsigned char *d = apr_palloc(g->pool, APR_MD5_DIGESTSIZE);
    const char *seed = apr_psprintf(g->pool, "mapihttp-ab-object:%s:%u", g->org, id);
    apr_md5(d, seed, strlen(seed));
    d[6] = (unsigned char)((d[6] & 0x0F) | 0x30);
    d[8] = (unsigned char)((d[8] & 0x3F) | 0x80);
    mh_bin b = {APR_MD5_DIGESTSIZE, d};
    return b;
}

typedef struct plist {
    apr_array_header_t *a;
} plist;

static void put(plist *l, mh_propval v)
{
    for (int i = 0; i < l->a->nelts; i++)
        if (MH_TAG_ID(((mh_propval *)l->a->elts)[i].tag) == MH_TAG_ID(v.tag))
            return; /* first one wins: computed values before stored ones */
    *(mh_propval *)apr_array_push(l->a) = v;
}

static void put_str(plist *l, mh_proptag tag, const char *s)
{
    if (s && *s)
        put(l, mh_pv_str(tag, s));
}

static void put_bin(plist *l, mh_proptag tag, mh_bin b)
{
    put(l, mh_pv_bin(tag, b.data, b.len));
}

static mh_propval pv_object(mh_proptag tag)
{
    mh_propval v;
    memset(&v, 0, sizeof(v));
    v.tag = tag;
    return v;
}

/* Keys and IDs every object has. */
static void common_props(mh_gal *g, const mh_gal_obj *o, unsigned flags, plist *l)
{
    apr_pool_t *p = g->pool;
    uint32_t dt = mh_gal_display_type(o);
    const char *dn = dn_of(g, o);
    mh_bin perm, eid;
    mh_gal_permanent_eid(dn, dt, p, &perm);
    if (flags & MH_GAL_EPHEMERAL)
        mh_gal_ephemeral_eid(&g->cfg.server_guid, dt, o->mid, p, &eid);
    else
        eid = perm;
    put_bin(l, PR_ENTRYID, eid);
    put_bin(l, PR_RECORD_KEY, perm);
    uint8_t *ik = apr_palloc(p, 4);
    mh_put_u32(ik, o->mid);
    put(l, mh_pv_bin(PR_INSTANCE_KEY, ik, 4));
    put(l, mh_pv_bin(PR_MAPPING_SIGNATURE, mh_ab_provider_uid, 16));
    put(l, mh_pv_long(PR_DISPLAY_TYPE, (int32_t)dt));
}

static mh_proplist *entry_props(mh_gal *g, const mh_gal_obj *o, unsigned flags)
{
    apr_pool_t *p = g->pool;
    const mh_dir_entry *e = o->e;
    plist l = {apr_array_make(p, 32, sizeof(mh_propval))};
    common_props(g, o, flags, &l);
    uint32_t dt = mh_gal_display_type(o);
    put(&l, mh_pv_long(PR_OBJECT_TYPE, e->type == MH_DIR_GROUP ? MH_MAPI_DISTLIST
                                                               : MH_MAPI_MAILUSER));
    put(&l, mh_pv_long(PR_DISPLAY_TYPE_EX,
                       (int32_t)(e->type == MH_DIR_USER && e->has_mailbox
                                     ? dt | MH_DTE_FLAG_ACL_CAPABLE
                                     : dt)));
    mh_bin perm;
    mh_gal_permanent_eid(e->legacy_dn, dt, p, &perm);
    put_bin(&l, PR_TEMPLATEID, perm);
    /* PidTagSearchKey: "EX:" and the DN in upper case, with its NUL */
    size_t dl = strlen(e->legacy_dn);
    char *sk = apr_palloc(p, 3 + dl + 1);
    memcpy(sk, "EX:", 3);
    for (size_t i = 0; i <= dl; i++) {
        char c = e->legacy_dn[i];
        sk[3 + i] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
    }
    put(&l, mh_pv_bin(PR_SEARCH_KEY, sk, (uint32_t)(3 + dl + 1)));
    put_str(&l, PR_DISPLAY_NAME, e->display_name);
    put_str(&l, PR_TRANSMITABLE_DISPLAY_NAME, e->display_name);
    put_str(&l, PR_ADDRTYPE, "EX");
    put_str(&l, PR_EMAIL_ADDRESS, e->legacy_dn);
    put_str(&l, PR_EMS_AB_OBJ_DIST_NAME, e->legacy_dn);
    /* the account: the login of a user, else the local part of the address */
    const char *account = e->login;
    if ((!account || !*account) && e->smtp && strchr(e->smtp, '@'))
        account = apr_pstrmemdup(p, e->smtp, (size_t)(strchr(e->smtp, '@') - e->smtp));
    put_str(&l, PR_ACCOUNT, account);
    put_str(&l, PR_EMS_AB_DISPLAY_NAME_PRINTABLE, account);
    put_str(&l, PR_SMTP_ADDRESS, e->smtp);
    if ((e->smtp && *e->smtp) || e->n_aliases) {
        const char **px = apr_palloc(p, sizeof(char *) * (e->n_aliases + 1));
        uint32_t n = 0;
        if (e->smtp && *e->smtp)
            px[n++] = apr_pstrcat(p, "SMTP:", e->smtp, NULL);
        for (uint32_t i = 0; i < e->n_aliases; i++)
            if (e->aliases[i] && *e->aliases[i])
                px[n++] = apr_pstrcat(p, "smtp:", e->aliases[i], NULL);
        if (n) {
            mh_propval v;
            memset(&v, 0, sizeof(v));
            v.tag = PR_EMS_AB_PROXY_ADDRESSES;
            v.v.mv.n = n;
            v.v.mv.v = px;
            put(&l, v);
        }
    }
    if (e->type == MH_DIR_CONTACT && e->smtp && *e->smtp)
        put_str(&l, PR_EMS_AB_TARGET_ADDRESS, apr_pstrcat(p, "SMTP:", e->smtp, NULL));
    put_bin(&l, PR_EMS_AB_OBJECT_GUID, object_guid(g, e->id));
    if (e->type == MH_DIR_USER && e->has_mailbox)
        put_str(&l, PR_EMS_AB_HOME_MDB,
                apr_pstrcat(p, mh_gal_server_dn(g, e, p), "/cn=Microsoft Private MDB", NULL));
    if (e->type == MH_DIR_GROUP)
        put(&l, pv_object(PR_EMS_AB_MEMBER));
    /* the links the directory keeps as IDs are link attributes here */
    if (e->type == MH_DIR_GROUP && mh_gal_dir_owner(e))
        put(&l, pv_object(PR_EMS_AB_OWNER));
    const uint32_t *dele;
    uint32_t n_dele;
    mh_gal_dir_delegates(e, &dele, &n_dele);
    if (e->type == MH_DIR_USER && n_dele)
        put(&l, pv_object(PR_EMS_AB_PUBLIC_DELEGATES));
    /* what else the directory holds (title, department, telephone ...) */
    for (uint32_t i = 0; i < e->props.n; i++) {
        const mh_propval *v = &e->props.v[i];
        if (MH_TAG_TYPE(v->tag) == PT_ERROR || (v->flags & MH_PV_LARGE))
            continue;
        if (MH_TAG_ID(v->tag) == MH_TAG_ID(MH_DIR_LINK_OWNER) ||
            MH_TAG_ID(v->tag) == MH_TAG_ID(MH_DIR_LINK_DELEGATES))
            continue; /* IDs, not values a client can read */
        put(&l, *v);
    }
    mh_proplist *pl = apr_palloc(p, sizeof(*pl));
    pl->n = (uint32_t)l.a->nelts;
    pl->v = (mh_propval *)l.a->elts;
    return pl;
}

static mh_proplist *container_props(mh_gal *g, const mh_gal_obj *o, unsigned flags)
{
    apr_pool_t *p = g->pool;
    const mh_gal_container *c = o->c;
    plist l = {apr_array_make(p, 16, sizeof(mh_propval))};
    common_props(g, o, flags, &l);
    put(&l, mh_pv_long(PR_OBJECT_TYPE, MH_MAPI_ABCONT));
    put(&l, mh_pv_long(PR_CONTAINER_FLAGS, (int32_t)c->flags));
    put(&l, mh_pv_long(PR_DEPTH, (int32_t)c->depth));
    put(&l, mh_pv_long(PR_EMS_AB_CONTAINERID, (int32_t)c->mid));
    put_str(&l, PR_DISPLAY_NAME, c->name);
    put(&l, mh_pv_bool(PR_EMS_AB_IS_MASTER, 0));
    if (c->parent >= 0) {
        mh_bin pe;
        mh_gal_permanent_eid(container_dn(g, &containers[c->parent]), MH_DT_CONTAINER, p, &pe);
        put_bin(&l, PR_EMS_AB_PARENT_ENTRYID, pe);
    }
    mh_proplist *pl = apr_palloc(p, sizeof(*pl));
    pl->n = (uint32_t)l.a->nelts;
    pl->v = (mh_propval *)l.a->elts;
    return pl;
}

const mh_proplist *mh_gal_props(mh_gal *g, const mh_gal_obj *o, unsigned flags)
{
    gobj *go = (gobj *)o; /* every mh_gal_obj handed out is a gobj's */
    int k = (flags & MH_GAL_EPHEMERAL) ? 1 : 0;
    if (!go->props[k])
        go->props[k] = o->c ? container_props(g, o, flags) : entry_props(g, o, flags);
    return go->props[k];
}

static int type_fits(uint16_t want, uint16_t have)
{
    if (want == have || want == PT_UNSPECIFIED)
        return 1;
    if ((want == PT_STRING8 || want == PT_UNICODE) && have == PT_UNICODE)
        return 1;
    if ((want == PT_MV_STRING8 || want == PT_MV_UNICODE) && have == PT_MV_UNICODE)
        return 1;
    return 0;
}

static int is_link(uint16_t id)
{
    return id == MH_TAG_ID(PR_EMS_AB_MEMBER) || id == MH_TAG_ID(PR_EMS_AB_IS_MEMBER_OF_DL) ||
           id == MH_TAG_ID(PR_EMS_AB_OWNER) || id == MH_TAG_ID(PR_EMS_AB_PUBLIC_DELEGATES) ||
           id == MH_TAG_ID(PR_EMS_AB_MANAGER) || id == MH_TAG_ID(PR_EMS_AB_REPORTS);
}

/* A link attribute as the legacy DNs of what it names (PT_MV_UNICODE), or
 * NULL when it names nothing. */
static const mh_propval *link_dns(mh_gal *g, const mh_gal_obj *o, mh_proptag tag)
{
    uint32_t *mids, n;
    if (!o->e || mh_gal_links(g, o, tag, g->pool, &mids, &n) != MH_NSPI_SUCCESS || n == 0)
        return NULL;
    const char **dns = apr_palloc(g->pool, sizeof(char *) * n);
    for (uint32_t i = 0; i < n; i++)
        dns[i] = dn_of(g, mh_gal_get(g, mids[i]));
    mh_propval *v = apr_pcalloc(g->pool, sizeof(*v));
    v->tag = MH_TAG_RETYPE(tag, PT_MV_UNICODE);
    v->v.mv.n = n;
    v->v.mv.v = dns;
    return v;
}

const mh_propval *mh_gal_prop(mh_gal *g, const mh_gal_obj *o, mh_proptag tag, unsigned flags)
{
    uint16_t want = MH_TAG_TYPE(tag);
    if ((want == PT_MV_UNICODE || want == PT_MV_STRING8) && is_link(MH_TAG_ID(tag)))
        return link_dns(g, o, tag);
    const mh_proplist *l = mh_gal_props(g, o, flags);
    for (uint32_t i = 0; i < l->n; i++)
        if (MH_TAG_ID(l->v[i].tag) == MH_TAG_ID(tag))
            return type_fits(MH_TAG_TYPE(tag), MH_TAG_TYPE(l->v[i].tag)) ? &l->v[i] : NULL;
    return NULL;
}

static mh_proptag as_string8(mh_proptag t)
{
    if (MH_TAG_TYPE(t) == PT_UNICODE)
        return MH_TAG_RETYPE(t, PT_STRING8);
    if (MH_TAG_TYPE(t) == PT_MV_UNICODE)
        return MH_TAG_RETYPE(t, PT_MV_STRING8);
    return t;
}

void mh_gal_tags(mh_gal *g, const mh_gal_obj *o, int skip_objects, apr_pool_t *pool,
                 mh_nspi_tags *out)
{
    const mh_proplist *l = mh_gal_props(g, o, 0);
    out->tags = apr_palloc(pool, sizeof(mh_proptag) * (l->n ? l->n : 1));
    out->n = 0;
    for (uint32_t i = 0; i < l->n; i++) {
        if (skip_objects && MH_TAG_TYPE(l->v[i].tag) == PT_OBJECT)
            continue;
        out->tags[out->n++] = as_string8(l->v[i].tag);
    }
}

/* Everything the server knows (QueryColumns). */
static const mh_proptag known_tags[] = {
    PR_ENTRYID, PR_OBJECT_TYPE, PR_RECORD_KEY, PR_MAPPING_SIGNATURE, PR_INSTANCE_KEY,
    PR_DISPLAY_NAME, PR_ADDRTYPE, PR_EMAIL_ADDRESS, PR_DEPTH, PR_SEARCH_KEY, PR_CONTAINER_FLAGS,
    PR_DISPLAY_TYPE, PR_TEMPLATEID, PR_DISPLAY_TYPE_EX, PR_SMTP_ADDRESS,
    PR_EMS_AB_DISPLAY_NAME_PRINTABLE, PR_ACCOUNT, PR_GIVEN_NAME, PR_BUSINESS_TELEPHONE_NUMBER,
    PR_SURNAME, PR_COMPANY_NAME, PR_TITLE, PR_DEPARTMENT_NAME, PR_OFFICE_LOCATION,
    PR_PRIMARY_TELEPHONE_NUMBER, PR_MOBILE_TELEPHONE_NUMBER, PR_TRANSMITABLE_DISPLAY_NAME,
    PR_EMS_AB_HOME_MDB, PR_EMS_AB_IS_MEMBER_OF_DL, PR_EMS_AB_MEMBER, PR_EMS_AB_MANAGER,
    PR_EMS_AB_OWNER, PR_EMS_AB_REPORTS, PR_EMS_AB_PROXY_ADDRESSES, PR_EMS_AB_TARGET_ADDRESS,
    PR_EMS_AB_PUBLIC_DELEGATES, PR_EMS_AB_OBJ_DIST_NAME, PR_EMS_AB_OBJECT_GUID,
    PR_EMS_AB_IS_MASTER, PR_EMS_AB_PARENT_ENTRYID, PR_EMS_AB_CONTAINERID,
    PR_USER_X509_CERTIFICATE, PR_EMS_AB_X509_CERT,
};

void mh_gal_all_tags(int unicode, apr_pool_t *pool, mh_nspi_tags *out)
{
    size_t n = sizeof(known_tags) / sizeof(known_tags[0]);
    out->tags = apr_palloc(pool, sizeof(mh_proptag) * n);
    out->n = (uint32_t)n;
    for (size_t i = 0; i < n; i++)
        out->tags[i] = unicode ? known_tags[i] : as_string8(known_tags[i]);
}

void mh_gal_hierarchy(mh_gal *g, int unicode, apr_pool_t *pool, mh_nspi_lists *rows)
{
    static const mh_proptag cols[] = {PR_ENTRYID, PR_CONTAINER_FLAGS, PR_DEPTH,
                                      PR_EMS_AB_CONTAINERID, PR_DISPLAY_NAME,
                                      PR_EMS_AB_IS_MASTER, PR_EMS_AB_PARENT_ENTRYID};
    rows->n = (uint32_t)N_CONTAINERS;
    rows->lists = apr_pcalloc(pool, sizeof(mh_proplist) * N_CONTAINERS);
    for (size_t i = 0; i < N_CONTAINERS; i++) {
        const mh_gal_obj *o = &g->cont[i].pub;
        mh_proplist *row = &rows->lists[i];
        row->v = apr_pcalloc(pool, sizeof(mh_propval) * 7);
        for (size_t k = 0; k < 7; k++) {
            const mh_propval *v = mh_gal_prop(g, o, cols[k], 0);
            if (!v)
                continue; /* the parent of a top-level container */
            mh_propval *d = &row->v[row->n++];
            *d = *v;
            if (cols[k] == PR_DISPLAY_NAME && !unicode)
                d->tag = MH_TAG_RETYPE(d->tag, PT_STRING8);
        }
    }
}

/* ------------------------------------------------------------- links */

static int cmp_mid_objs(mh_gal *g, uint32_t a, uint32_t b)
{
    const mh_gal_obj *x = mh_gal_get(g, a), *y = mh_gal_get(g, b);
    return mh_gal_cmp(x, y);
}

/* Sorts MIds of existing objects (insertion sort is too slow for big
 * lists: a merge sort with the model's comparison). */
static void sort_mids(mh_gal *g, uint32_t *m, uint32_t n, apr_pool_t *pool)
{
    if (n < 2)
        return;
    uint32_t *tmp = apr_palloc(pool, sizeof(uint32_t) * n);
    for (uint32_t w = 1; w < n; w *= 2) {
        for (uint32_t lo = 0; lo < n; lo += 2 * w) {
            uint32_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            uint32_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = cmp_mid_objs(g, m[i], m[j]) <= 0 ? m[i++] : m[j++];
            while (i < mid)
                tmp[k++] = m[i++];
            while (j < hi)
                tmp[k++] = m[j++];
        }
        memcpy(m, tmp, sizeof(uint32_t) * n);
    }
}

static uint32_t members_of(mh_gal *g, uint32_t group_id, apr_pool_t *pool, uint32_t **ids_r,
                           uint32_t *n_r)
{
    mh_error err = {MH_OK, NULL};
    uint32_t *ids = NULL, n = 0;
    mh_err e = mh_be_dir_members(g->t, group_id, &ids, &n, &err);
    if (e == MH_E_NOT_FOUND || e == MH_E_INVALID) {
        *ids_r = NULL;
        *n_r = 0;
        return MH_NSPI_SUCCESS;
    }
    if (e != MH_OK)
        return MH_NSPI_GENERAL_FAILURE;
    (void)pool;
    *ids_r = ids;
    *n_r = n;
    return MH_NSPI_SUCCESS;
}

uint32_t mh_gal_links(mh_gal *g, const mh_gal_obj *o, mh_proptag tag, apr_pool_t *pool,
                      uint32_t **mids_r, uint32_t *n_r)
{
    uint16_t id = MH_TAG_ID(tag);
    apr_array_header_t *out = apr_array_make(pool, 8, sizeof(uint32_t));
    if (id == MH_TAG_ID(PR_EMS_AB_MEMBER)) {
        if (o->e && o->e->type == MH_DIR_GROUP && g->t) {
            uint32_t *ids, n;
            uint32_t ec = members_of(g, o->e->id, pool, &ids, &n);
            if (ec != MH_NSPI_SUCCESS)
                return ec;
            for (uint32_t i = 0; i < n; i++) {
                const mh_gal_obj *m = mh_gal_get(g, mh_gal_mid_of(ids[i]));
                if (m && m->e)
                    *(uint32_t *)apr_array_push(out) = m->mid;
            }
        }
    } else if (id == MH_TAG_ID(PR_EMS_AB_IS_MEMBER_OF_DL)) {
        if (o->e && g->t) {
            const mh_gal_table *t;
            uint32_t ec = mh_gal_table_of(g, MH_GAL_MID_GROUPS, &t);
            if (ec != MH_NSPI_SUCCESS)
                return ec;
            for (uint32_t i = 0; i < t->n; i++) {
                uint32_t *ids, n;
                ec = members_of(g, mh_gal_dir_id_of(t->mids[i]), pool, &ids, &n);
                if (ec != MH_NSPI_SUCCESS)
                    return ec;
                for (uint32_t k = 0; k < n; k++)
                    if (ids[k] == o->e->id) {
                        *(uint32_t *)apr_array_push(out) = t->mids[i];
                        break;
                    }
            }
        }
    } else if (id == MH_TAG_ID(PR_EMS_AB_OWNER)) {
        uint32_t owner = o->e && o->e->type == MH_DIR_GROUP ? mh_gal_dir_owner(o->e) : 0;
        const mh_gal_obj *m = owner ? mh_gal_get(g, mh_gal_mid_of(owner)) : NULL;
        if (m && m->e)
            *(uint32_t *)apr_array_push(out) = m->mid;
    } else if (id == MH_TAG_ID(PR_EMS_AB_PUBLIC_DELEGATES)) {
        const uint32_t *ids = NULL;
        uint32_t n = 0;
        if (o->e && o->e->type == MH_DIR_USER)
            mh_gal_dir_delegates(o->e, &ids, &n);
        for (uint32_t i = 0; i < n; i++) {
            const mh_gal_obj *m = mh_gal_get(g, mh_gal_mid_of(ids[i]));
            if (m && m->e)
                *(uint32_t *)apr_array_push(out) = m->mid;
        }
    } else if (id != MH_TAG_ID(PR_EMS_AB_MANAGER) && id != MH_TAG_ID(PR_EMS_AB_REPORTS)) {
        return MH_NSPI_NOT_SUPPORTED;
    }
    *mids_r = (uint32_t *)out->elts;
    *n_r = (uint32_t)out->nelts;
    sort_mids(g, *mids_r, *n_r, pool);
    return MH_NSPI_SUCCESS;
}

/* -------------------------------------------------------------- ANR */

static int in_container(const mh_gal_container *c, const mh_dir_entry *e)
{
    return (c->types & TYPE_BIT(e->type)) != 0;
}

/* Whether `s` names entry e whole: display name, account, an address or
 * its local part (case and accents ignored). */
static int names_whole(const mh_dir_entry *e, const char *s, apr_pool_t *pool)
{
    if (mh_str_fold_cmp(e->display_name, s) == 0)
        return 1;
    if (e->login && mh_str_fold_cmp(e->login, s) == 0)
        return 1;
    for (uint32_t i = 0; i <= e->n_aliases; i++) {
        const char *a = i == 0 ? e->smtp : e->aliases[i - 1];
        if (!a)
            continue;
        if (mh_str_fold_cmp(a, s) == 0)
            return 1;
        const char *at = strchr(a, '@');
        if (at && at > a && !strchr(s, '@') &&
            mh_str_fold_cmp(apr_pstrmemdup(pool, a, (size_t)(at - a)), s) == 0)
            return 1;
    }
    return 0;
}

uint32_t mh_gal_anr(mh_gal *g, uint32_t container, const char *s, int resolve,
                    apr_pool_t *pool, uint32_t **mids_r, uint32_t *n_r)
{
    const mh_gal_container *c = mh_gal_container_find(container);
    if (!c)
        return MH_NSPI_INVALID_BOOKMARK;
    apr_array_header_t *out = apr_array_make(pool, 4, sizeof(uint32_t));
    *mids_r = NULL;
    *n_r = 0;
    /* leading and trailing blanks are no part of a name */
    while (s && (*s == ' ' || *s == '\t'))
        s++;
    size_t len = s ? strlen(s) : 0;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (!len || !g->t || len > 1024)
        return MH_NSPI_SUCCESS;
    char *q = apr_pstrmemdup(pool, s, len);
    int exact = 0;
    if (q[0] == '=') {
        exact = 1;
        q++;
        if (!*q)
            return MH_NSPI_SUCCESS;
    }
    mh_error err = {MH_OK, NULL};
    mh_dir_entry *one = apr_pcalloc(pool, sizeof(*one));
    mh_err e = MH_E_NOT_FOUND;
    /* a DN, or an address with its type, names one entry or none */
    if (q[0] == '/') {
        e = mh_be_dir_find(g->t, MH_DIR_BY_LEGACY_DN, q, one, &err);
    } else if (strncasecmp(q, "SMTP:", 5) == 0) {
        e = q[5] ? mh_be_dir_find(g->t, MH_DIR_BY_SMTP, q + 5, one, &err) : MH_E_NOT_FOUND;
    } else {
        if (strchr(q, '@'))
            e = mh_be_dir_find(g->t, MH_DIR_BY_SMTP, q, one, &err);
        if (e == MH_E_NOT_FOUND) {
            mh_dir_entry *es = NULL;
            uint32_t n = 0;
            if (mh_be_dir_search(g->t, q, MH_NSPI_ARRAY_MAX, &es, &n, &err) != MH_OK)
                return MH_NSPI_GENERAL_FAILURE;
            for (uint32_t i = 0; i < n; i++) {
                if (!in_container(c, &es[i]) || !mh_gal_mid_of(es[i].id))
                    continue;
                if (exact && !names_whole(&es[i], q, pool))
                    continue;
                *(uint32_t *)apr_array_push(out) = cache_entry(g, &es[i])->pub.mid;
            }
            if (resolve && out->nelts > 1) {
                /* one entry the text names whole beats those it begins */
                uint32_t whole = 0, n_whole = 0;
                for (int i = 0; i < out->nelts; i++) {
                    uint32_t m = ((uint32_t *)out->elts)[i];
                    if (names_whole(mh_gal_get(g, m)->e, q, pool)) {
                        whole = m;
                        n_whole++;
                    }
                }
                if (n_whole == 1) {
                    ((uint32_t *)out->elts)[0] = whole;
                    out->nelts = 1;
                }
            }
            *mids_r = (uint32_t *)out->elts;
            *n_r = (uint32_t)out->nelts;
            sort_mids(g, *mids_r, *n_r, pool);
            return MH_NSPI_SUCCESS;
        }
    }
    if (e == MH_OK) {
        if (in_container(c, one) && mh_gal_mid_of(one->id))
            *(uint32_t *)apr_array_push(out) = cache_entry(g, one)->pub.mid;
    } else if (e != MH_E_NOT_FOUND && e != MH_E_INVALID) {
        return MH_NSPI_GENERAL_FAILURE;
    }
    *mids_r = (uint32_t *)out->elts;
    *n_r = (uint32_t)out->nelts;
    return MH_NSPI_SUCCESS;
}
