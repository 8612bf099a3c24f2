/*
 * libFuzzer target: the address book endpoint's handlers, the whole way a
 * request goes after the HTTP layer - mh_call (headers, the body of
 * MS-OXCMAPIHTTP 2.2.5, the session store with its busy mark, sequence
 * cookie and state codec) and under it mh_nspi_handle (MS-OXNSPI 3.1.4.1:
 * STAT positioning, MIds, restrictions, property rows, ModProps and
 * ModLinkAtt writing the directory) - against a real LMDB store with a
 * small directory (test/exec_driver.h: users, a disabled user, a user on
 * another server, a contact, two lists, one nested in the other).
 * fuzz_nspi covers the wire decoder alone; this one the handlers.
 *
 * An input is a control byte and up to MAX_CALLS calls on one address book
 * session (Bind before them, Unbind after):
 *
 *   control: bit 0  the first call's raw body is a Bind body, sent as the
 *                   Bind (a refused Bind falls back to a plain one)
 *   a call:  [u8 sel] then
 *            sel bit 7 set:   raw: [u16 length][body], request type
 *                             (sel & 0x7F) % 18 of the types after Bind
 *            sel bit 7 clear: built: request type sel % 18, every field
 *                             drawn from the bytes that follow (STATs,
 *                             MIds, property tags, values, restrictions,
 *                             names), through the client builder of
 *                             mh_nspi_wire.h, so that most requests parse
 *                             and reach the handler's logic
 *
 * Built calls reuse what earlier responses gave (the last STAT, MIds) as
 * a client does.  What must hold, whatever the bytes:
 *   - no crash, leak, hang or undefined behaviour (ASan, UBSan);
 *   - a call answered with X-ResponseCode 0 has a body that parses as the
 *     response of its type;
 *   - ErrorCode other than Success and ErrorsReturned: no data fields
 *     (HasX 0) and the STAT returned, if any, is the request's;
 *   - never more rows than asked for (QueryRows' and GetMatches' RowCount,
 *     client-quirks.md), one MId per name (DNToMId, ResolveNames), as many
 *     rows as MIds (GetMatches, ResolveNames);
 *   - the core logs no error (MH_LOG_ERR): with a working store, every
 *     error it logs is a bug.
 *
 * Seeds: test/fuzz/corpus/fuzz_nspi_calls/, written by running the target
 * with MH_FUZZ_NSPI_SEEDS=<dir> (a client's profile-creation sequence and
 * one call of every type, raw and built).  MH_FUZZ_NSPI_TRACE=1 prints each
 * call's type, X-ResponseCode and ErrorCode.
 */
#include "exec_driver.h"
#include "mh_log.h"
#include "mh_nspi_gal.h"
#include "mh_nspi_wire.h"
#include "mh_oxcdata.h"
#include "mh_wire.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define MAX_CALLS 8
#define N_TYPES 18 /* the request types after Bind: Unbind ... GetAddressBookUrl */

static apr_pool_t *root;
static mh_xdriver D;
static int trace;
static mh_guid server_guid;

/* What the fixture knows, for the built calls: DNs of every kind. */
static const char **dns;
static unsigned n_dns;

/* --------------------------------------------------------- oracles */

static void log_sink(void *baton, int level, const char *msg)
{
    (void)baton;
    if (trace)
        fprintf(stderr, "  log %d: %s\n", level, msg);
    if (level <= MH_LOG_ERR) {
        fprintf(stderr, "fuzz_nspi_calls: error logged: %s\n", msg);
        abort();
    }
}

static void cleanup(void)
{
    mh_xd_close(&D);
}

static mh_reqtype type_of(unsigned k)
{
    return (mh_reqtype)(MH_RT_UNBIND + k % N_TYPES);
}

/* What a client keeps from one call for the next built ones. */
typedef struct carry {
    int has_stat;
    mh_stat stat;
    uint32_t mids[16];
    unsigned n_mids;
} carry;

static void keep_mids(carry *k, const mh_nspi_mids *m)
{
    for (uint32_t i = 0; i < m->n && k->n_mids < 16; i++)
        k->mids[k->n_mids++] = m->ids[i];
}

#define BAD(what)                                                                          \
    do {                                                                                   \
        fprintf(stderr, "fuzz_nspi_calls: %s: %s\n", mh_reqtype_name(rt), what);          \
        abort();                                                                           \
    } while (0)

static int failed(uint32_t ec)
{
    return ec != MH_NSPI_SUCCESS && ec != MH_NSPI_ERRORS_RETURNED;
}

static void check_stat(mh_reqtype rt, uint32_t ec, int req_has, const mh_stat *req, int has,
                       const mh_stat *got)
{
    if (!failed(ec) || !has)
        return;
    if (!req_has || memcmp(req, got, sizeof(*req)) != 0)
        BAD("a failed call changed the STAT");
}

/* The response of a call the server parsed as `req` (NULL: the request did
 * not parse, the server answered its failure). */
static void check_response(mh_reqtype rt, const mh_nspi_req *req, const unsigned char *body,
                           size_t len, apr_pool_t *pool, carry *k)
{
    mh_nspi_resp r;
    const char *why = NULL;
    if (mh_nspi_parse_resp(rt, body, len, pool, &r, &why) != MH_BODY_OK) {
        fprintf(stderr, "fuzz_nspi_calls: %s: the response does not parse: %s\n",
                mh_reqtype_name(rt), why ? why : "?");
        abort();
    }
    /* the status and error code lead every response body */
    uint32_t status = mh_get_u32(body);
    if (trace)
        fprintf(stderr, "  %s: StatusCode 0x%x ErrorCode 0x%08x\n", mh_reqtype_name(rt),
                (unsigned)status, status ? 0 : (unsigned)mh_get_u32(body + 4));
    if (status != 0 || !req)
        return;
    switch (rt) {
    case MH_RT_QUERYROWS: {
        const mh_nspi_queryrows_resp *q = &r.queryrows;
        check_stat(rt, q->error_code, req->queryrows.has_state, &req->queryrows.state,
                   q->has_state, &q->state);
        if (failed(q->error_code) && q->has_rows)
            BAD("rows with an error");
        if (q->has_rows && q->rows.n_rows > req->queryrows.row_count)
            BAD("more rows than asked for");
        if (q->has_state && !failed(q->error_code)) {
            k->has_stat = 1;
            k->stat = q->state;
        }
        break;
    }
    case MH_RT_GETMATCHES: {
        const mh_nspi_getmatches_resp *g = &r.getmatches;
        check_stat(rt, g->error_code, req->getmatches.has_state, &req->getmatches.state,
                   g->has_state, &g->state);
        if (failed(g->error_code) && (g->has_rows || g->has_mids))
            BAD("rows or MIds with an error");
        if (g->has_mids && g->mids.n > req->getmatches.row_count)
            BAD("more MIds than asked for");
        if (g->has_rows && g->rows.n_rows > req->getmatches.row_count)
            BAD("more rows than asked for");
        if (g->has_rows && g->has_mids && g->rows.n_rows != g->mids.n)
            BAD("not one row per MId");
        if (g->has_mids)
            keep_mids(k, &g->mids);
        break;
    }
    case MH_RT_RESOLVENAMES: {
        const mh_nspi_resolvenames_resp *n = &r.resolvenames;
        if (failed(n->error_code) && (n->has_rows || n->has_mids))
            BAD("rows or MIds with an error");
        if (n->has_mids &&
            n->mids.n != (req->resolvenames.has_names ? req->resolvenames.names.n : 0))
            BAD("not one MId per name");
        if (n->has_rows && n->has_mids) {
            uint32_t resolved = 0;
            for (uint32_t i = 0; i < n->mids.n; i++)
                resolved += n->mids.ids[i] >= MH_GAL_MID_MIN;
            if (n->rows.n_rows != resolved)
                BAD("not one row per resolved name");
        }
        if (n->has_mids)
            keep_mids(k, &n->mids);
        break;
    }
    case MH_RT_DNTOMID: {
        const mh_nspi_dntomid_resp *m = &r.dntomid;
        if (failed(m->error_code) && m->has_mids)
            BAD("MIds with an error");
        /* no names (HasNames 0): no MIds */
        if (m->has_mids && m->mids.n != (req->dntomid.has_names ? req->dntomid.names.n : 0))
            BAD("not one MId per DN");
        if (m->has_mids)
            keep_mids(k, &m->mids);
        break;
    }
    case MH_RT_SEEKENTRIES: {
        const mh_nspi_seekentries_resp *s = &r.seekentries;
        check_stat(rt, s->error_code, req->seekentries.has_state, &req->seekentries.state,
                   s->has_state, &s->state);
        if (failed(s->error_code) && s->has_rows)
            BAD("rows with an error");
        if (s->has_state && !failed(s->error_code)) {
            k->has_stat = 1;
            k->stat = s->state;
        }
        break;
    }
    case MH_RT_UPDATESTAT: {
        const mh_nspi_updatestat_resp *u = &r.updatestat;
        check_stat(rt, u->error_code, req->updatestat.has_state, &req->updatestat.state,
                   u->has_state, &u->state);
        if (failed(u->error_code) && u->has_delta)
            BAD("a Delta with an error");
        if (u->has_state && !failed(u->error_code)) {
            k->has_stat = 1;
            k->stat = u->state;
        }
        break;
    }
    case MH_RT_RESORTRESTRICTION: {
        const mh_nspi_resortrestriction_resp *s = &r.resortrestriction;
        check_stat(rt, s->error_code, req->resortrestriction.has_state,
                   &req->resortrestriction.state, s->has_state, &s->state);
        if (failed(s->error_code) && s->has_mids)
            BAD("MIds with an error");
        if (s->has_mids && req->resortrestriction.has_mids &&
            s->mids.n > req->resortrestriction.mids.n)
            BAD("more MIds than were given");
        break;
    }
    case MH_RT_GETPROPS:
        if (failed(r.getprops.error_code) && r.getprops.has_values)
            BAD("values with an error");
        break;
    case MH_RT_GETPROPLIST:
        if (failed(r.getproplist.error_code) && r.getproplist.has_tags)
            BAD("tags with an error");
        break;
    case MH_RT_GETSPECIALTABLE:
        if (failed(r.getspecialtable.error_code) && r.getspecialtable.has_rows)
            BAD("rows with an error");
        break;
    case MH_RT_GETTEMPLATEINFO:
        if (failed(r.gettemplateinfo.error_code) && r.gettemplateinfo.has_row)
            BAD("a row with an error");
        break;
    default:
        break;
    }
}

/* -------------------------------------------------- built requests */

/* The bytes a built request draws from (zeroes once they run out). */
typedef struct src {
    const uint8_t *p, *end;
} src;

static uint8_t u8(src *s)
{
    return s->p < s->end ? *s->p++ : 0;
}
static uint16_t u16(src *s)
{
    return (uint16_t)(u8(s) | u8(s) << 8);
}
static uint32_t u32(src *s)
{
    return (uint32_t)u16(s) | (uint32_t)u16(s) << 16;
}
#define PICK(s, arr) ((arr)[u8(s) % (sizeof(arr) / sizeof((arr)[0]))])

static uint32_t pick_mid(src *s, const carry *k)
{
    uint8_t c = u8(s);
    switch (c % 8) {
    case 0:
        return c / 8 % 3; /* MID_BEGINNING_OF_TABLE, MID_CURRENT, MID_END_OF_TABLE */
    case 1:
    case 2:
    case 3: /* an entry (and one past the last) */
        return mh_gal_mid_of(MH_XD_DIR_USER + u8(s) % MH_XD_DIR_COUNT_);
    case 4:
        return MH_GAL_MID_ALL_LISTS + u8(s) % 5; /* the containers, one past */
    case 5:
        return k->n_mids ? k->mids[u8(s) % k->n_mids] : 0x10;
    default:
        return u32(s);
    }
}

static void pick_mids(src *s, const carry *k, apr_pool_t *pool, mh_nspi_mids *m)
{
    uint8_t n = u8(s);
    m->n = n < 0xF0 ? n % 12 : n == 0xFF ? 0 : 100000 + (n & 3); /* sometimes over the limit */
    if (m->n > 12) {
        m->n = 0; /* the builder writes what it is given: keep it small */
        return;
    }
    m->ids = apr_palloc(pool, sizeof(uint32_t) * (m->n ? m->n : 1));
    for (uint32_t i = 0; i < m->n; i++)
        m->ids[i] = pick_mid(s, k);
}

static void pick_stat(src *s, const carry *k, mh_stat *st)
{
    static const uint32_t sorts[] = {MH_NSPI_SORT_DISPLAY_NAME, MH_NSPI_SORT_PHONETIC_DISPLAY_NAME,
                                     MH_NSPI_SORT_DISPLAY_NAME_RO, MH_NSPI_SORT_DISPLAY_NAME_W,
                                     0x7, 0xFFFFFFFF};
    static const int32_t deltas[] = {0, 1, -1, 2, -2, 3, -3, 7, -7, 100, -100, INT32_MIN,
                                     INT32_MAX};
    static const uint32_t counts[] = {0, 1, 2, 3, 5, 8, 9, 100, 0xFFFFFFFF};
    static const uint32_t cps[] = {1252, 1252, 1252, 0x4B0, 65001, 20127, 28591, 1251,
                                   932, 0x4F25, 0, 0xFFFFFFFF};
    static const uint32_t lcids[] = {0x409, 0x409, 0x407, 0x40C, 0, 0x7F, 0xFFFFFFFF};
    uint8_t c = u8(s);
    if (k->has_stat && (c & 1)) {
        *st = k->stat; /* as a client goes on from the last answer */
        if (c & 2)
            st->delta = PICK(s, deltas);
        if (c & 4)
            st->current_rec = pick_mid(s, k);
        return;
    }
    st->sort_type = PICK(s, sorts);
    uint8_t cont = u8(s);
    st->container_id = cont % 3 == 0 ? 0 : cont % 3 == 1 ? MH_GAL_MID_ALL_LISTS + cont / 3 % 5
                                                          : pick_mid(s, k);
    st->current_rec = pick_mid(s, k);
    st->delta = PICK(s, deltas);
    st->num_pos = PICK(s, counts);
    st->total_recs = PICK(s, counts);
    st->code_page = PICK(s, cps);
    st->template_locale = PICK(s, lcids);
    st->sort_locale = PICK(s, lcids);
}

static mh_proptag pick_tag(src *s)
{
    static const mh_proptag tags[] = {
        PR_DISPLAY_NAME, MH_TAG(0x3001, PT_STRING8), MH_TAG(0x3001, PT_UNSPECIFIED),
        PR_ENTRYID, PR_OBJECT_TYPE, PR_DISPLAY_TYPE, PR_DISPLAY_TYPE_EX, PR_INSTANCE_KEY,
        PR_RECORD_KEY, PR_SEARCH_KEY, PR_MAPPING_SIGNATURE, PR_ADDRTYPE, PR_EMAIL_ADDRESS,
        PR_SMTP_ADDRESS, MH_TAG(0x39FE, PT_STRING8), PR_ACCOUNT, PR_ANR,
        MH_TAG(0x360C, PT_STRING8), PR_EMS_AB_PROXY_ADDRESSES, MH_TAG(0x800F, PT_MV_STRING8),
        PR_EMS_AB_MEMBER, MH_TAG(0x8009, PT_MV_STRING8), MH_TAG(0x8009, PT_MV_UNICODE),
        PR_EMS_AB_IS_MEMBER_OF_DL, PR_EMS_AB_OWNER, PR_EMS_AB_PUBLIC_DELEGATES,
        MH_TAG(0x8015, PT_MV_UNICODE), PR_EMS_AB_MANAGE_DL, PR_EMS_AB_REPORTS,
        PR_EMS_AB_MANAGER, PR_EMS_AB_HOME_MDB, PR_EMS_AB_OBJ_DIST_NAME, PR_EMS_AB_OBJECT_GUID,
        PR_EMS_AB_CONTAINERID, PR_CONTAINER_FLAGS, PR_DEPTH, PR_TEMPLATEID, PR_TITLE,
        PR_DEPARTMENT_NAME, PR_USER_X509_CERTIFICATE, PR_EMS_AB_X509_CERT,
        PR_EMS_AB_PARENT_ENTRYID, PR_EMS_AB_IS_MASTER, PR_EMS_AB_TARGET_ADDRESS,
        PR_TRANSMITABLE_DISPLAY_NAME, PR_EMS_AB_DISPLAY_NAME_PRINTABLE,
    };
    static const uint16_t types[] = {PT_UNSPECIFIED, PT_NULL, PT_SHORT, PT_LONG, PT_ERROR,
                                     PT_BOOLEAN, PT_OBJECT, PT_I8, PT_STRING8, PT_UNICODE,
                                     PT_SYSTIME, PT_CLSID, PT_BINARY, PT_MV_LONG,
                                     PT_MV_STRING8, PT_MV_UNICODE, PT_MV_BINARY, PT_DOUBLE};
    uint8_t c = u8(s);
    if (c < 0xE0)
        return tags[c % (sizeof(tags) / sizeof(tags[0]))];
    if (c < 0xF0) /* a known id, another type */
        return MH_TAG(MH_TAG_ID(PICK(s, tags)), PICK(s, types));
    return u32(s);
}

static void pick_tags(src *s, apr_pool_t *pool, mh_nspi_tags *t)
{
    t->n = u8(s) % 10;
    t->tags = apr_palloc(pool, sizeof(mh_proptag) * (t->n ? t->n : 1));
    for (uint32_t i = 0; i < t->n; i++)
        t->tags[i] = pick_tag(s);
}

static const char *pick_string(src *s, apr_pool_t *pool)
{
    static const char *const words[] = {
        "", "a", "A", "ad", "Ada", "ada", "Ada Lovelace", "adam", "Adam Smith", "b", "Bob",
        "bob@example.com", "lovelace@example.com", "SMTP:ada@example.com", "smtp:ada@",
        "Analysts", "Team", "team@example.com", "=Team", "Carol", "carol@external.test",
        "mallory", "Mallory Disabled", "fuzz", "Zo\xc3\xab", "\xc3\x89mile", " ", "*", "%",
        "\xd0\x96", "Ada Lovelace Ada Lovelace Ada Lovelace Ada Lovelace Ada Lovelace Ada"};
    uint8_t c = u8(s);
    if (c < 0xC0)
        return words[c % (sizeof(words) / sizeof(words[0]))];
    if (c < 0xE0 && n_dns)
        return dns[u8(s) % n_dns];
    /* a few printable bytes of the input */
    unsigned n = u8(s) % 24;
    char *str = apr_palloc(pool, n + 1);
    for (unsigned i = 0; i < n; i++)
        str[i] = (char)(' ' + u8(s) % 95);
    str[n] = 0;
    return str;
}

static mh_bin pick_binary(src *s, apr_pool_t *pool, const carry *k)
{
    mh_bin b = {0, NULL};
    uint8_t c = u8(s);
    static const uint32_t dts[] = {MH_DT_MAILUSER, MH_DT_DISTLIST, MH_DT_REMOTE_MAILUSER,
                                   MH_DT_CONTAINER, 0x12345};
    switch (c % 4) {
    case 0:
        mh_gal_ephemeral_eid(&server_guid, PICK(s, dts), pick_mid(s, k), pool, &b);
        break;
    case 1:
        mh_gal_permanent_eid(pick_string(s, pool), PICK(s, dts), pool, &b);
        break;
    case 2: { /* an entry ID cut short or with a byte changed */
        mh_gal_ephemeral_eid(&server_guid, MH_DT_MAILUSER, pick_mid(s, k), pool, &b);
        uint8_t cut = u8(s);
        if (cut < b.len)
            b.len = cut;
        else if (b.len)
            ((uint8_t *)b.data)[cut % b.len] ^= u8(s);
        break;
    }
    default: {
        b.len = u8(s) % 40;
        uint8_t *d = apr_palloc(pool, b.len + 1);
        for (uint32_t i = 0; i < b.len; i++)
            d[i] = u8(s);
        b.data = d;
    }
    }
    return b;
}

/* A value of the tag's type (strings UTF-8 in memory, whatever their kind). */
static void pick_value(src *s, apr_pool_t *pool, const carry *k, mh_proptag tag, mh_propval *v)
{
    memset(v, 0, sizeof(*v));
    v->tag = tag;
    uint16_t type = MH_TAG_TYPE(tag);
    uint32_t n;
    switch (type) {
    case PT_SHORT:
        v->v.i16 = (int16_t)u16(s);
        break;
    case PT_LONG:
    case PT_ERROR:
        v->v.i32 = (int32_t)u32(s);
        break;
    case PT_FLOAT:
        v->v.f32 = (float)(int8_t)u8(s);
        break;
    case PT_DOUBLE:
    case PT_APPTIME:
        v->v.f64 = (double)(int32_t)u32(s);
        break;
    case PT_CURRENCY:
    case PT_I8:
    case PT_SYSTIME:
        v->v.i64 = (int64_t)((uint64_t)u32(s) << 32 | u32(s));
        break;
    case PT_BOOLEAN:
        v->v.b = u8(s) & 1;
        break;
    case PT_STRING8:
    case PT_UNICODE:
        v->v.str = pick_string(s, pool);
        break;
    case PT_CLSID: {
        mh_guid *g = apr_pcalloc(pool, sizeof(*g));
        g->b[0] = u8(s);
        v->v.guid = g;
        break;
    }
    case PT_BINARY:
        v->v.bin = pick_binary(s, pool, k);
        break;
    case PT_MV_LONG: {
        n = u8(s) % 4;
        int32_t *a = apr_palloc(pool, sizeof(*a) * (n + 1));
        for (uint32_t i = 0; i < n; i++)
            a[i] = (int32_t)u32(s);
        v->v.mv.n = n;
        v->v.mv.v = a;
        break;
    }
    case PT_MV_STRING8:
    case PT_MV_UNICODE: {
        n = u8(s) % 4;
        const char **a = apr_palloc(pool, sizeof(*a) * (n + 1));
        for (uint32_t i = 0; i < n; i++)
            a[i] = pick_string(s, pool);
        v->v.mv.n = n;
        v->v.mv.v = a;
        break;
    }
    case PT_MV_BINARY: {
        n = u8(s) % 4;
        mh_bin *a = apr_palloc(pool, sizeof(*a) * (n + 1));
        for (uint32_t i = 0; i < n; i++)
            a[i] = pick_binary(s, pool, k);
        v->v.mv.n = n;
        v->v.mv.v = a;
        break;
    }
    default: /* no value of its own: a long */
        v->tag = MH_TAG(MH_TAG_ID(tag), PT_LONG);
        v->v.i32 = (int32_t)u32(s);
        break;
    }
}

/* A tag the wire can carry a value of (not PtypUnspecified, PtypNull,
 * PtypObject). */
static mh_proptag pick_value_tag(src *s)
{
    mh_proptag t = pick_tag(s);
    uint16_t type = MH_TAG_TYPE(t);
    if (type == PT_UNSPECIFIED || type == PT_NULL || type == PT_OBJECT ||
        (type & MV_FLAG && type != PT_MV_LONG && type != PT_MV_STRING8 &&
         type != PT_MV_UNICODE && type != PT_MV_BINARY) ||
        (!(type & MV_FLAG) && type > PT_BINARY))
        t = MH_TAG(MH_TAG_ID(t), PT_UNICODE);
    return t;
}

static mh_restriction *pick_restriction(src *s, apr_pool_t *pool, const carry *k, int depth)
{
    mh_restriction *r = apr_pcalloc(pool, sizeof(*r));
    uint8_t c = u8(s);
    uint8_t type = depth >= 4 ? (uint8_t)(MH_RES_CONTENT + c % 6) : (uint8_t)(c % 12);
    if (c >= 0xC0 && depth < 4)
        type = c & 1 ? MH_RES_CONTENT : MH_RES_PROPERTY; /* ANR more often */
    r->type = type;
    switch (type) {
    case MH_RES_AND:
    case MH_RES_OR:
        r->u.andor.n = u8(s) % 4;
        r->u.andor.sub = apr_pcalloc(pool, sizeof(mh_restriction) * (r->u.andor.n + 1));
        for (uint32_t i = 0; i < r->u.andor.n; i++)
            r->u.andor.sub[i] = *pick_restriction(s, pool, k, depth + 1);
        break;
    case MH_RES_NOT:
        r->u.not_.sub = pick_restriction(s, pool, k, depth + 1);
        break;
    case MH_RES_CONTENT:
        r->u.content.fuzzy = (u8(s) % 3) | ((uint32_t)(u8(s) % 8) << 16);
        r->u.content.tag = c >= 0xC0 ? PR_ANR : pick_value_tag(s);
        pick_value(s, pool, k, r->u.content.tag, &r->u.content.val);
        break;
    case MH_RES_PROPERTY:
        r->u.prop.relop = u8(s) % 8;
        r->u.prop.tag = c >= 0xC0 ? PR_ANR : pick_value_tag(s);
        pick_value(s, pool, k, r->u.prop.tag, &r->u.prop.val);
        break;
    case MH_RES_COMPAREPROPS:
        r->u.compare.relop = u8(s) % 8;
        r->u.compare.tag1 = pick_tag(s);
        r->u.compare.tag2 = pick_tag(s);
        break;
    case MH_RES_BITMASK:
        r->u.bitmask.relop = u8(s) % 3;
        r->u.bitmask.tag = pick_tag(s);
        r->u.bitmask.mask = u32(s);
        break;
    case MH_RES_SIZE:
        r->u.size.relop = u8(s) % 8;
        r->u.size.tag = pick_tag(s);
        r->u.size.size = u8(s);
        break;
    case MH_RES_EXIST:
        r->u.exist.tag = pick_tag(s);
        break;
    case MH_RES_SUBRESTRICTION:
        r->u.subres.subobject = pick_tag(s);
        r->u.subres.sub = pick_restriction(s, pool, k, depth + 1);
        break;
    case MH_RES_COMMENT:
        r->u.comment.n = (uint8_t)(u8(s) % 3);
        r->u.comment.vals = apr_pcalloc(pool, sizeof(mh_propval) * (r->u.comment.n + 1));
        for (uint8_t i = 0; i < r->u.comment.n; i++)
            pick_value(s, pool, k, pick_value_tag(s), &r->u.comment.vals[i]);
        r->u.comment.sub = u8(s) & 1 ? pick_restriction(s, pool, k, depth + 1) : NULL;
        break;
    default: /* MH_RES_COUNT */
        r->type = MH_RES_COUNT;
        r->u.count.count = u8(s) % 5;
        r->u.count.sub = pick_restriction(s, pool, k, depth + 1);
        break;
    }
    return r;
}

static void pick_names(src *s, apr_pool_t *pool, int dn, mh_nspi_strings *n)
{
    n->n = u8(s) % 6;
    n->s = apr_palloc(pool, sizeof(char *) * (n->n + 1));
    for (uint32_t i = 0; i < n->n; i++)
        n->s[i] = dn && n_dns && (u8(s) & 1) ? dns[u8(s) % n_dns] : pick_string(s, pool);
}

/* "Has" flags: mostly present (the handlers' logic is behind them). */
static int has(src *s)
{
    return u8(s) % 8 != 0;
}

static void build(mh_reqtype rt, src *s, const carry *k, apr_pool_t *pool, mh_nspi_req *q)
{
    memset(q, 0, sizeof(*q));
    switch (rt) {
    case MH_RT_UNBIND:
        q->unbind.reserved = u8(s);
        break;
    case MH_RT_COMPAREMIDS:
        q->comparemids.has_state = has(s);
        pick_stat(s, k, &q->comparemids.state);
        q->comparemids.mid1 = pick_mid(s, k);
        q->comparemids.mid2 = pick_mid(s, k);
        break;
    case MH_RT_DNTOMID:
        q->dntomid.has_names = has(s);
        pick_names(s, pool, 1, &q->dntomid.names);
        break;
    case MH_RT_GETMATCHES: {
        mh_nspi_getmatches_req *g = &q->getmatches;
        g->reserved = u8(s) & 1;
        g->has_state = has(s);
        pick_stat(s, k, &g->state);
        g->has_mids = u8(s) % 4 == 0;
        pick_mids(s, k, pool, &g->mids);
        g->has_filter = has(s);
        if (g->has_filter)
            g->filter = pick_restriction(s, pool, k, 0);
        g->has_propname = u8(s) % 8 == 0;
        g->propname.id = u8(s);
        static const uint32_t rcs[] = {0, 1, 2, 3, 5, 10, 50, 0xFFFFFFFF};
        g->row_count = PICK(s, rcs);
        g->has_columns = has(s);
        pick_tags(s, pool, &g->columns);
        break;
    }
    case MH_RT_GETPROPLIST:
        q->getproplist.flags = u8(s) & 3;
        q->getproplist.mid = pick_mid(s, k);
        q->getproplist.code_page = u8(s) & 1 ? 1252 : u32(s);
        break;
    case MH_RT_GETPROPS:
        q->getprops.flags = u8(s) & 3;
        q->getprops.has_state = has(s);
        pick_stat(s, k, &q->getprops.state);
        q->getprops.has_tags = has(s);
        pick_tags(s, pool, &q->getprops.tags);
        break;
    case MH_RT_GETSPECIALTABLE:
        q->getspecialtable.flags = u8(s) & 7;
        q->getspecialtable.has_state = has(s);
        pick_stat(s, k, &q->getspecialtable.state);
        q->getspecialtable.has_version = u8(s) & 1;
        q->getspecialtable.version = u8(s) & 1 ? MH_GAL_HIERARCHY_VERSION : u32(s);
        break;
    case MH_RT_GETTEMPLATEINFO: {
        static const uint32_t dts[] = {MH_DT_MAILUSER, MH_DT_DISTLIST, MH_DT_REMOTE_MAILUSER,
                                       MH_DT_CONTAINER, 7, 0xFFFFFFFF};
        static const uint32_t cps[] = {1252, 0x4B0, 65001, 1251, 0};
        static const uint32_t lcids[] = {0x409, 0x407, 0x40C, 0x411, 0, 0xFFFF};
        mh_nspi_gettemplateinfo_req *t = &q->gettemplateinfo;
        t->flags = u8(s) & 0x75;
        t->display_type = PICK(s, dts);
        t->has_template_dn = u8(s) % 4 == 0;
        t->template_dn = n_dns && (u8(s) & 1) ? dns[u8(s) % n_dns] : pick_string(s, pool);
        t->code_page = PICK(s, cps);
        t->locale_id = PICK(s, lcids);
        break;
    }
    case MH_RT_MODLINKATT: {
        static const mh_proptag links[] = {PR_EMS_AB_MEMBER, PR_EMS_AB_PUBLIC_DELEGATES,
                                           PR_EMS_AB_OWNER, PR_EMS_AB_IS_MEMBER_OF_DL,
                                           PR_DISPLAY_NAME, MH_TAG(0x8009, PT_MV_STRING8)};
        mh_nspi_modlinkatt_req *m = &q->modlinkatt;
        m->flags = u8(s) & 1;
        m->tag = u8(s) < 0xF0 ? PICK(s, links) : u32(s);
        m->mid = pick_mid(s, k);
        m->has_entry_ids = has(s);
        m->entry_ids.n = u8(s) % 4;
        m->entry_ids.b = apr_palloc(pool, sizeof(mh_bin) * (m->entry_ids.n + 1));
        for (uint32_t i = 0; i < m->entry_ids.n; i++)
            m->entry_ids.b[i] = pick_binary(s, pool, k);
        break;
    }
    case MH_RT_MODPROPS: {
        mh_nspi_modprops_req *m = &q->modprops;
        m->has_state = has(s);
        pick_stat(s, k, &m->state);
        m->has_tags = u8(s) & 1;
        pick_tags(s, pool, &m->tags);
        m->has_values = has(s);
        m->values.n = u8(s) % 4;
        m->values.v = apr_pcalloc(pool, sizeof(mh_propval) * (m->values.n + 1));
        for (uint32_t i = 0; i < m->values.n; i++) {
            static const mh_proptag certs[] = {PR_USER_X509_CERTIFICATE, PR_EMS_AB_X509_CERT};
            mh_proptag t = u8(s) & 1 ? PICK(s, certs) : pick_value_tag(s);
            pick_value(s, pool, k, t, &m->values.v[i]);
        }
        break;
    }
    case MH_RT_QUERYCOLUMNS:
        q->querycolumns.mapi_flags = u8(s) & 1 ? MH_NSPI_UNICODE_PROPTYPES : 0;
        break;
    case MH_RT_QUERYROWS: {
        mh_nspi_queryrows_req *r = &q->queryrows;
        r->flags = u8(s) & 3;
        r->has_state = has(s);
        pick_stat(s, k, &r->state);
        if (u8(s) % 4 == 0)
            pick_mids(s, k, pool, &r->explicit_table);
        static const uint32_t rcs[] = {0, 1, 2, 3, 5, 10, 50, 5000, 5001, 0xFFFFFFFF};
        r->row_count = PICK(s, rcs);
        r->has_columns = has(s);
        pick_tags(s, pool, &r->columns);
        break;
    }
    case MH_RT_RESOLVENAMES:
        q->resolvenames.reserved = u8(s) & 1 ? 0x80000000u : 0;
        q->resolvenames.has_state = has(s);
        pick_stat(s, k, &q->resolvenames.state);
        q->resolvenames.has_tags = has(s);
        pick_tags(s, pool, &q->resolvenames.tags);
        q->resolvenames.has_names = has(s);
        pick_names(s, pool, 0, &q->resolvenames.names);
        break;
    case MH_RT_RESORTRESTRICTION:
        q->resortrestriction.has_state = has(s);
        pick_stat(s, k, &q->resortrestriction.state);
        q->resortrestriction.has_mids = has(s);
        pick_mids(s, k, pool, &q->resortrestriction.mids);
        break;
    case MH_RT_SEEKENTRIES: {
        mh_nspi_seekentries_req *e = &q->seekentries;
        e->has_state = has(s);
        pick_stat(s, k, &e->state);
        e->has_target = has(s);
        mh_proptag t = u8(s) & 1 ? PR_DISPLAY_NAME : pick_value_tag(s);
        pick_value(s, pool, k, t, &e->target);
        e->has_explicit_table = u8(s) % 4 == 0;
        pick_mids(s, k, pool, &e->explicit_table);
        e->has_columns = has(s);
        pick_tags(s, pool, &e->columns);
        break;
    }
    case MH_RT_UPDATESTAT:
        q->updatestat.has_state = has(s);
        pick_stat(s, k, &q->updatestat.state);
        q->updatestat.delta_requested = u8(s);
        break;
    case MH_RT_GETMAILBOXURL:
        q->getmailboxurl.server_dn = n_dns && (u8(s) & 1) ? dns[u8(s) % n_dns]
                                                          : pick_string(s, pool);
        break;
    case MH_RT_GETADDRESSBOOKURL:
        q->getaddressbookurl.user_dn = n_dns && (u8(s) & 1) ? dns[u8(s) % n_dns]
                                                            : pick_string(s, pool);
        break;
    default:
        break;
    }
}

/* ------------------------------------------------------------ calls */

/* One call; returns 0 when the session is gone (an Unbind that was
 * accepted: one refused leaves the session, which must then be unbound, or
 * its state would outlive the input, cached in memory LeakSanitizer does
 * not see). */
static int call(mh_reqtype rt, const void *body, size_t len, apr_pool_t *pool, carry *k)
{
    const unsigned char *resp;
    size_t rlen;
    int rc = mh_xd_call(&D, pool, mh_reqtype_name(rt), body, len, &resp, &rlen);
    if (rc < 0)
        abort(); /* mh_call_run failed on an io that never fails */
    /* what the server read, for the checks */
    mh_nspi_req q;
    const char *why = NULL;
    int parsed = mh_nspi_parse_req(rt, body, len, pool, &q, &why) == MH_BODY_OK;
    if (trace)
        fprintf(stderr, "%s (%zu bytes): X-ResponseCode %d%s%s\n", mh_reqtype_name(rt), len, rc,
                parsed ? "" : ", the body does not parse: ", parsed ? "" : why);
    if (trace && !parsed) {
        for (size_t i = 0; i < len && i < 256; i++)
            fprintf(stderr, "%02x", ((const unsigned char *)body)[i]);
        fprintf(stderr, "\n");
    }
    if (rc != MH_RC_SUCCESS)
        return 1;
    check_response(rt, parsed ? &q : NULL, resp, rlen, pool, k);
    return rt != MH_RT_UNBIND;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    apr_pool_t *pool, *cp;
    apr_pool_create(&pool, root);
    const uint8_t *p = data + 1, *end = data + size;
    uint8_t control = data[0];
    int bound = 0;
    if ((control & 1) && end - p >= 2) {
        /* a Bind of the input's own */
        size_t n = mh_get_u16(p);
        p += 2;
        if (n > (size_t)(end - p))
            n = (size_t)(end - p);
        apr_pool_create(&cp, pool);
        const unsigned char *resp;
        size_t rlen;
        int rc = mh_xd_call(&D, cp, "Bind", p, n, &resp, &rlen);
        if (rc < 0)
            abort();
        if (rc == MH_RC_SUCCESS) {
            mh_nspi_bind_resp br;
            const char *why = NULL;
            if (mh_nspi_parse_bind_resp(resp, rlen, cp, &br, &why) != MH_BODY_OK)
                abort();
            bound = br.status_code == 0 && br.error_code == 0 && D.nspi_ctx;
        }
        apr_pool_destroy(cp);
        p += n;
    }
    if (!bound && mh_xd_bind(&D) != 0)
        abort(); /* the user exists and may bind */

    carry k;
    memset(&k, 0, sizeof(k));
    int live = 1;
    for (int i = 0; i < MAX_CALLS && p < end && live; i++) {
        uint8_t sel = *p++;
        apr_pool_create(&cp, pool);
        mh_reqtype rt = type_of(sel & 0x7F);
        if (sel & 0x80) {
            size_t n = (size_t)(end - p);
            if (n >= 2) {
                size_t l = mh_get_u16(p);
                p += 2;
                n = l <= n - 2 ? l : n - 2;
            }
            live = call(rt, p, n, cp, &k);
            p += n;
        } else {
            src s = {p, end};
            mh_nspi_req q;
            build(rt, &s, &k, cp, &q);
            p = s.p;
            mh_wr w;
            mh_wr_init(&w, cp, 256);
            mh_nspi_build_req(rt, &w, &q);
            live = call(rt, w.buf, w.len, cp, &k);
        }
        apr_pool_destroy(cp);
    }
    if (live)
        mh_xd_unbind(&D);
    else
        D.nspi_ctx = D.nspi_seq = NULL;
    apr_pool_destroy(pool);
    return 0;
}

/* --------------------------------------------------------- seeds */

static void put_seed(const char *dirname, const char *name, const unsigned char *buf, size_t len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dirname, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len) {
        perror(path);
        exit(1);
    }
    fclose(f);
}

static mh_stat seed_stat(uint32_t container, uint32_t current, int32_t delta)
{
    mh_stat st;
    memset(&st, 0, sizeof(st));
    st.container_id = container;
    st.current_rec = current;
    st.delta = delta;
    st.code_page = 1252;
    st.template_locale = st.sort_locale = 0x409;
    return st;
}

/* One raw call of a seed: sel, u16 length, body. */
static void seed_raw(mh_wr *w, mh_reqtype rt, const mh_nspi_req *q, apr_pool_t *pool)
{
    mh_wr b;
    mh_wr_init(&b, pool, 256);
    mh_nspi_build_req(rt, &b, q);
    mh_wr_u8(w, (uint8_t)(0x80 | (rt - MH_RT_UNBIND)));
    mh_wr_u16(w, (uint16_t)b.len);
    mh_wr_bytes(w, b.buf, b.len);
}

static void write_seeds(const char *to)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    static const mh_proptag cols[] = {PR_DISPLAY_NAME, PR_EMAIL_ADDRESS, PR_ENTRYID,
                                      PR_DISPLAY_TYPE, PR_OBJECT_TYPE, PR_INSTANCE_KEY,
                                      PR_SMTP_ADDRESS};
    mh_nspi_tags tcols = {7, (mh_proptag *)cols};
    mh_nspi_req q;
    mh_wr w;

    /* 1. the profile-creation sequence (client-quirks.md), raw */
    mh_wr_init(&w, p, 1024);
    mh_wr_u8(&w, 0);
    memset(&q, 0, sizeof(q));
    q.dntomid.has_names = 1;
    q.dntomid.names.n = 1;
    q.dntomid.names.s = (const char **)&D.user_dn;
    seed_raw(&w, MH_RT_DNTOMID, &q, p);
    memset(&q, 0, sizeof(q));
    q.getprops.has_state = 1;
    q.getprops.state = seed_stat(0, mh_gal_mid_of(MH_XD_DIR_USER), 0);
    q.getprops.has_tags = 1;
    q.getprops.tags = tcols;
    seed_raw(&w, MH_RT_GETPROPS, &q, p);
    memset(&q, 0, sizeof(q));
    q.getspecialtable.flags = MH_NSPI_UNICODE_STRINGS;
    q.getspecialtable.has_state = 1;
    q.getspecialtable.state = seed_stat(0, 0, 0);
    seed_raw(&w, MH_RT_GETSPECIALTABLE, &q, p);
    memset(&q, 0, sizeof(q));
    q.gettemplateinfo.flags = MH_NSPI_TI_TEMPLATE;
    q.gettemplateinfo.display_type = MH_DT_MAILUSER;
    q.gettemplateinfo.code_page = 1252;
    q.gettemplateinfo.locale_id = 0x409;
    seed_raw(&w, MH_RT_GETTEMPLATEINFO, &q, p);
    memset(&q, 0, sizeof(q));
    q.queryrows.has_state = 1;
    q.queryrows.state = seed_stat(0, 0, 0);
    q.queryrows.row_count = 5;
    q.queryrows.has_columns = 1;
    q.queryrows.columns = tcols;
    seed_raw(&w, MH_RT_QUERYROWS, &q, p);
    memset(&q, 0, sizeof(q));
    static const char *names[] = {"ad", "Bob Marley", "nobody"};
    q.resolvenames.reserved = 0x80000000u;
    q.resolvenames.has_state = 1;
    q.resolvenames.state = seed_stat(0, 0, 0);
    q.resolvenames.has_tags = 1;
    q.resolvenames.tags = tcols;
    q.resolvenames.has_names = 1;
    q.resolvenames.names.n = 3;
    q.resolvenames.names.s = names;
    seed_raw(&w, MH_RT_RESOLVENAMES, &q, p);
    memset(&q, 0, sizeof(q));
    mh_restriction anr;
    memset(&anr, 0, sizeof(anr));
    anr.type = MH_RES_PROPERTY;
    anr.u.prop.relop = 4; /* RELOP_EQ */
    anr.u.prop.tag = PR_ANR;
    anr.u.prop.val.tag = PR_ANR;
    anr.u.prop.val.v.str = "ada";
    q.getmatches.has_state = 1;
    q.getmatches.state = seed_stat(0, 0, 0);
    q.getmatches.has_filter = 1;
    q.getmatches.filter = &anr;
    q.getmatches.row_count = 10;
    q.getmatches.has_columns = 1;
    q.getmatches.columns = tcols;
    seed_raw(&w, MH_RT_GETMATCHES, &q, p);
    memset(&q, 0, sizeof(q)); /* the members of Team */
    q.getmatches.has_state = 1;
    q.getmatches.state = seed_stat(PR_EMS_AB_MEMBER, mh_gal_mid_of(MH_XD_DIR_TEAM), 0);
    q.getmatches.row_count = 10;
    q.getmatches.has_columns = 1;
    q.getmatches.columns = tcols;
    seed_raw(&w, MH_RT_GETMATCHES, &q, p);
    put_seed(to, "profile-creation", w.buf, w.len);

    /* 2. positions: UpdateStat, SeekEntries, QueryRows from there */
    mh_wr_init(&w, p, 512);
    mh_wr_u8(&w, 0);
    memset(&q, 0, sizeof(q));
    q.updatestat.has_state = 1;
    q.updatestat.state = seed_stat(0, 2, -3);
    q.updatestat.delta_requested = 1;
    seed_raw(&w, MH_RT_UPDATESTAT, &q, p);
    memset(&q, 0, sizeof(q));
    q.seekentries.has_state = 1;
    q.seekentries.state = seed_stat(0, 0, 0);
    q.seekentries.has_target = 1;
    q.seekentries.target.tag = PR_DISPLAY_NAME;
    q.seekentries.target.v.str = "B";
    q.seekentries.has_columns = 1;
    q.seekentries.columns = tcols;
    seed_raw(&w, MH_RT_SEEKENTRIES, &q, p);
    memset(&q, 0, sizeof(q));
    uint32_t et[] = {mh_gal_mid_of(MH_XD_DIR_ADA), 0x1234, mh_gal_mid_of(MH_XD_DIR_TEAM)};
    q.queryrows.has_state = 1;
    q.queryrows.state = seed_stat(MH_GAL_MID_USERS, 0, 0);
    q.queryrows.explicit_table.n = 3;
    q.queryrows.explicit_table.ids = et;
    q.queryrows.row_count = 3;
    q.queryrows.has_columns = 1;
    q.queryrows.columns = tcols;
    seed_raw(&w, MH_RT_QUERYROWS, &q, p);
    memset(&q, 0, sizeof(q));
    q.resortrestriction.has_state = 1;
    q.resortrestriction.state = seed_stat(0, et[2], 0);
    q.resortrestriction.has_mids = 1;
    q.resortrestriction.mids.n = 3;
    q.resortrestriction.mids.ids = et;
    seed_raw(&w, MH_RT_RESORTRESTRICTION, &q, p);
    memset(&q, 0, sizeof(q));
    q.comparemids.has_state = 1;
    q.comparemids.state = seed_stat(0, 0, 0);
    q.comparemids.mid1 = et[0];
    q.comparemids.mid2 = et[2];
    seed_raw(&w, MH_RT_COMPAREMIDS, &q, p);
    put_seed(to, "positions", w.buf, w.len);

    /* 3. changes: ModLinkAtt (members of the list the user owns),
     * ModProps (a certificate), the URLs, QueryColumns, GetPropList */
    mh_wr_init(&w, p, 512);
    mh_wr_u8(&w, 0);
    memset(&q, 0, sizeof(q));
    mh_bin eid; /* permanent: the server GUID is new in every process */
    mh_gal_permanent_eid(dns[MH_XD_DIR_CAROL - 1], MH_DT_REMOTE_MAILUSER, p, &eid);
    q.modlinkatt.tag = PR_EMS_AB_MEMBER;
    q.modlinkatt.mid = mh_gal_mid_of(MH_XD_DIR_TEAM);
    q.modlinkatt.has_entry_ids = 1;
    q.modlinkatt.entry_ids.n = 1;
    q.modlinkatt.entry_ids.b = &eid;
    seed_raw(&w, MH_RT_MODLINKATT, &q, p);
    memset(&q, 0, sizeof(q));
    static const unsigned char cert[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    mh_bin certs[1] = {{sizeof(cert), cert}};
    mh_propval pv;
    memset(&pv, 0, sizeof(pv));
    pv.tag = PR_USER_X509_CERTIFICATE;
    pv.v.mv.n = 1;
    pv.v.mv.v = certs;
    q.modprops.has_state = 1;
    q.modprops.state = seed_stat(0, mh_gal_mid_of(MH_XD_DIR_USER), 0);
    q.modprops.has_tags = 1; /* none to remove */
    q.modprops.has_values = 1;
    q.modprops.values.n = 1;
    q.modprops.values.v = &pv;
    seed_raw(&w, MH_RT_MODPROPS, &q, p);
    memset(&q, 0, sizeof(q));
    q.getaddressbookurl.user_dn = D.user_dn;
    seed_raw(&w, MH_RT_GETADDRESSBOOKURL, &q, p);
    memset(&q, 0, sizeof(q));
    q.getmailboxurl.server_dn = n_dns > MH_XD_DIR_COUNT_ ? dns[MH_XD_DIR_COUNT_] : "";
    seed_raw(&w, MH_RT_GETMAILBOXURL, &q, p);
    memset(&q, 0, sizeof(q));
    q.querycolumns.mapi_flags = MH_NSPI_UNICODE_PROPTYPES;
    seed_raw(&w, MH_RT_QUERYCOLUMNS, &q, p);
    memset(&q, 0, sizeof(q));
    q.getproplist.mid = mh_gal_mid_of(MH_XD_DIR_ANALYSTS);
    q.getproplist.code_page = 1252;
    seed_raw(&w, MH_RT_GETPROPLIST, &q, p);
    memset(&q, 0, sizeof(q));
    seed_raw(&w, MH_RT_UNBIND, &q, p);
    put_seed(to, "changes-urls-unbind", w.buf, w.len);

    /* 4. built calls of every type, from a few bytes each */
    mh_wr_init(&w, p, 256);
    mh_wr_u8(&w, 0);
    for (unsigned t = 1; t < N_TYPES; t++) {
        mh_wr_u8(&w, (uint8_t)t);
        for (unsigned i = 0; i < 12; i++)
            mh_wr_u8(&w, (uint8_t)(t * 37 + i * 11));
    }
    put_seed(to, "built-every-type", w.buf, w.len);

    /* 5. a Bind of the input's own (code page 1252, anonymous flag) */
    mh_wr_init(&w, p, 128);
    mh_wr_u8(&w, 1);
    memset(&q, 0, sizeof(q));
    q.bind.flags = MH_NSPI_FANONYMOUSLOGIN;
    q.bind.has_state = 1;
    q.bind.state = seed_stat(0, 0, 0);
    mh_wr b;
    mh_wr_init(&b, p, 64);
    mh_nspi_build_req(MH_RT_BIND, &b, &q);
    mh_wr_u16(&w, (uint16_t)b.len);
    mh_wr_bytes(&w, b.buf, b.len);
    mh_wr_u8(&w, (uint8_t)(MH_RT_QUERYROWS - MH_RT_UNBIND));
    put_seed(to, "own-bind", w.buf, w.len);
    apr_pool_destroy(p);
}

/* ------------------------------------------------------------ setup */

/* The DNs the built calls use: every entry's legacy DN, the servers of the
 * mailboxes (GetMailboxUrl), the containers' (from their permanent entry
 * IDs), and a few that name nothing. */
static void collect_dns(void)
{
    mh_gal *g;
    mh_gal_cfg cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.server_guid = server_guid;
    if (mh_gal_open(D.be, &cfg, root, &g) != MH_NSPI_SUCCESS)
        exit(1);
    dns = apr_palloc(root, sizeof(char *) * 64);
    for (uint32_t id = MH_XD_DIR_USER; id < MH_XD_DIR_COUNT_; id++) {
        const mh_gal_obj *o = mh_gal_get(g, mh_gal_mid_of(id));
        if (!o || !o->e) {
            fprintf(stderr, "fuzz_nspi_calls: directory entry %u missing\n", (unsigned)id);
            exit(1);
        }
        dns[n_dns++] = apr_pstrdup(root, o->e->legacy_dn);
    }
    for (uint32_t id = MH_XD_DIR_USER; id < MH_XD_DIR_COUNT_; id++) {
        const mh_gal_obj *o = mh_gal_get(g, mh_gal_mid_of(id));
        if (o->e->has_mailbox)
            dns[n_dns++] = apr_pstrdup(root, mh_gal_server_dn(g, o->e, root));
    }
    mh_nspi_lists rows;
    mh_gal_hierarchy(g, 1, root, &rows);
    for (uint32_t i = 0; i < rows.n; i++)
        for (uint32_t j = 0; j < rows.lists[i].n; j++) {
            const mh_propval *v = &rows.lists[i].v[j];
            /* a Permanent Entry ID: 28 bytes, then the DN */
            if (v->tag == PR_ENTRYID && v->v.bin.len > 28 && v->v.bin.data[0] == 0)
                dns[n_dns++] = apr_pstrndup(root, (const char *)v->v.bin.data + 28,
                                            v->v.bin.len - 28);
        }
    mh_gal_close(g);
    static const char *const more[] = {"/", "", "/o=First Organization", "/guid=",
                                       "/o=Other/ou=x/cn=Recipients/cn=ada"};
    for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
        dns[n_dns++] = more[i];
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    apr_initialize();
    apr_pool_create(&root, NULL);
    mh_log_set_sink(log_sink, NULL, MH_LOG_ERR);
    if (mh_xd_open(&D, "fuzz") != 0 || mh_xd_add_directory(&D) != 0)
        exit(1);
    atexit(cleanup);
    memcpy(server_guid.b, mh_session_store_guid(D.svc.store), 16);
    collect_dns();
    trace = getenv("MH_FUZZ_NSPI_TRACE") != NULL;
    if (trace)
        mh_log_set_sink(log_sink, NULL, MH_LOG_DEBUG);
    const char *seeds = getenv("MH_FUZZ_NSPI_SEEDS");
    if (seeds && *seeds) {
        write_seeds(seeds);
        exit(0);
    }
    return 0;
}
