/*
 * mh_oxcprpt.c - the property and stream ROPs (MS-OXCPRPT; MS-OXCROPS
 * 2.2.8 and 2.2.9) over any object with properties, and the stream object
 * class.
 *
 * The property ROPs work through the property operations of the object's
 * class (mh_objclass_of(obj->type)->props): logon, folder, message and
 * attachment objects alike.  Wire strings are converted by mh_oxcdata;
 * in memory every string is UTF-8 PT_UNICODE.
 *
 * A stream object keeps the whole value it was opened on, in its wire form
 * (PT_BINARY/PT_OBJECT bytes, PT_UNICODE as UTF-16LE without a NUL,
 * PT_STRING8 in the session code page without a NUL), in the session
 * state: a 1 MB body written over many Execute requests lands in
 * whichever process serves each of them.  The state encoding is the data
 * itself plus 18 bytes.  RopCommitStream converts the data back to a value
 * and hands it to the parent object's propops->set (for a message that is
 * its instance, saved by RopSaveChangesMessage).
 *
 * Releasing a stream commits what was written and not yet committed:
 * MS-OXCPRPT 3.2.5.13 says a Folder's value "is persisted when the
 * RopCommitStream ROP is issued on the Stream object or the Stream object
 * is closed with a RopRelease ROP", and for Message and Attachment objects
 * the value persists with RopSaveChangesMessage (after
 * RopSaveChangesAttachment), so a stream released before the save has to
 * have put its data into the instance.  The class's release hook does it
 * (mh_objclass.release); it runs before the parent goes, so releasing the
 * parent of an open stream commits the stream into it first (a folder's
 * value is stored; a message's instance is dropped with the message).
 */
#include <string.h>

#include <apr_strings.h>

#include "mh_log.h"
#include "mh_oxcdata.h"
#include "mh_props.h"
#include "mh_rop.h"
#include "mh_unicode.h"

/* The objects the property ROPs work on (MS-OXCPRPT 2.2.2 and on). */
#define MH_PROP_OBJS                                                                   \
    (MH_OTM(MH_OT_LOGON) | MH_OTM(MH_OT_FOLDER) | MH_OTM(MH_OT_MESSAGE) |              \
     MH_OTM(MH_OT_ATTACHMENT))
/* The objects a stream can be opened on (MS-OXCPRPT 2.2.14). */
#define MH_STREAM_PARENTS                                                              \
    (MH_OTM(MH_OT_FOLDER) | MH_OTM(MH_OT_MESSAGE) | MH_OTM(MH_OT_ATTACHMENT))

/* Largest value a stream holds: well inside StreamSize's u32 and the 2^31
 * seek limit (MS-OXCPRPT 3.2.5.19); beyond it writes fail with
 * StreamSizeError. */
#define MH_STREAM_MAX (64u * 1024 * 1024)
/* Seek positions past this are StreamSeekError (MS-OXCPRPT 3.2.5.19). */
#define MH_STREAM_SEEK_MAX 0x7FFFFFFFu

/* OpenModeFlags (MS-OXCPRPT 2.2.14.1) */
#define MH_STM_READONLY 0x00
#define MH_STM_READWRITE 0x01
#define MH_STM_CREATE 0x02
#define MH_STM_BESTACCESS 0x03

/* QueryFlags (MS-OXCPRPT 2.2.7.1) */
#define MH_QNP_NOSTRINGS 0x01
#define MH_QNP_NOIDS 0x02

/* GetPropertyIdsFromNames Flags (MS-OXCPRPT 2.2.12.1) */
#define MH_GPIFN_CREATE 0x02

/* Stream value read in pieces of this size from propops->read. */
#define MH_READ_CHUNK 65536

/* PS_MAPI {00020328-0000-0000-C000-000000000046} in wire order
 * (MS-OXPROPS 1.3.2): property IDs below 0x8000 are its LIDs. */
static const mh_guid ps_mapi = {{0x28, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0,
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};

/* ------------------------------------------------------------ helpers */

static const mh_propops *props_of(const mh_object *obj)
{
    const mh_objclass *c = mh_objclass_of((mh_otype)obj->type);
    return c ? c->props : NULL;
}

static int is_str(uint16_t t)
{
    return t == PT_UNICODE || t == PT_STRING8;
}

static int is_mvstr(uint16_t t)
{
    return t == PT_MV_UNICODE || t == PT_MV_STRING8;
}

/* The type a value of `t` has in memory (strings are PT_UNICODE). */
static uint16_t mem_type(uint16_t t)
{
    if (t == PT_STRING8)
        return PT_UNICODE;
    if (t == PT_MV_STRING8)
        return PT_MV_UNICODE;
    return t;
}

/* True when a stored value of type `have` answers a request for `want`. */
static int type_answers(uint16_t want, uint16_t have)
{
    return want == PT_UNSPECIFIED || mem_type(want) == mem_type(have);
}

/*
 * Properties a client can neither set nor delete on any object: the
 * server computes them (identity, counts, sizes, access).  Setting them
 * is a PropertyProblem with Computed (MS-OXCPRPT 3.2.5.5, 3.2.5.6;
 * MS-OXCDATA 2.4.2); classes may refuse more.
 */
static int is_computed(uint16_t id)
{
    switch (id) {
    case 0x0E08: /* PR_MESSAGE_SIZE(_EXTENDED) */
    case 0x0E09: /* PR_PARENT_ENTRYID */
    case 0x0E12: /* PR_MESSAGE_RECIPIENTS */
    case 0x0E13: /* PR_MESSAGE_ATTACHMENTS */
    case 0x0E1B: /* PR_HASATTACH */
    case 0x0E20: /* PR_ATTACH_SIZE */
    case 0x0E21: /* PR_ATTACH_NUM */
    case 0x0FF4: /* PR_ACCESS */
    case 0x0FF6: /* PR_INSTANCE_KEY */
    case 0x0FF7: /* PR_ACCESS_LEVEL */
    case 0x0FF8: /* PR_MAPPING_SIGNATURE */
    case 0x0FF9: /* PR_RECORD_KEY */
    case 0x0FFA: /* PR_STORE_RECORD_KEY */
    case 0x0FFB: /* PR_STORE_ENTRYID */
    case 0x0FFE: /* PR_OBJECT_TYPE */
    case 0x0FFF: /* PR_ENTRYID */
    case 0x340D: /* PR_STORE_SUPPORT_MASK */
    case 0x3602: /* PR_CONTENT_COUNT */
    case 0x3603: /* PR_CONTENT_UNREAD */
    case 0x360A: /* PR_SUBFOLDERS */
    case 0x360E: /* PR_CONTAINER_HIERARCHY */
    case 0x360F: /* PR_CONTAINER_CONTENTS */
    case 0x3610: /* PR_FOLDER_ASSOCIATED_CONTENTS */
    case 0x3617: /* PR_ASSOC_CONTENT_COUNT */
    case 0x6638: /* PR_FOLDER_CHILD_COUNT */
    case 0x6639: /* PR_RIGHTS */
    case 0x663E: /* PR_HIERARCHY_CHANGE_NUM */
    case 0x6748: /* PR_FID */
    case 0x6749: /* PR_PARENT_FID */
    case 0x674A: /* PR_MID */
    case 0x670A: /* PR_LOCAL_COMMIT_TIME_MAX */
    case 0x670B: /* PR_DELETED_COUNT_TOTAL */
    case 0x67A4: /* PR_CHANGE_NUMBER */
        return 1;
    default:
        return 0;
    }
}

/* Properties CopyTo leaves behind besides the computed ones: the identity
 * and change tracking of the source (the destination keeps its own). */
static int is_identity(uint16_t id)
{
    switch (id) {
    case 0x65E0: /* PR_SOURCE_KEY */
    case 0x65E1: /* PR_PARENT_SOURCE_KEY */
    case 0x65E2: /* PR_CHANGE_KEY */
    case 0x65E3: /* PR_PREDECESSOR_CHANGE_LIST */
    case 0x3007: /* PR_CREATION_TIME */
    case 0x3008: /* PR_LAST_MODIFICATION_TIME */
        return 1;
    default:
        return 0;
    }
}

/* The value answering a column: same id, compatible type. */
static const mh_propval *find_value(const mh_proplist *l, mh_proptag col)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (MH_TAG_ID(l->v[i].tag) == MH_TAG_ID(col) &&
            type_answers(MH_TAG_TYPE(col), MH_TAG_TYPE(l->v[i].tag)))
            return &l->v[i];
    return NULL;
}

/* A PT_ERROR value for tag's id. */
static mh_propval err_value(mh_proptag tag, uint32_t ec)
{
    mh_propval v;
    memset(&v, 0, sizeof v);
    v.tag = MH_TAG_RETYPE(tag, PT_ERROR);
    v.v.err = ec;
    return v;
}

/* Reads a whole large value of `obj` (memory type in v->tag) into `out`
 * as a plain value: strings UTF-8 NUL-terminated, binaries as bytes. */
static uint32_t load_large(mh_ropctx *cx, mh_object *obj, const mh_propval *v,
                           apr_pool_t *pool, mh_propval *out)
{
    const mh_propops *ops = props_of(obj);
    uint64_t size = v->v.large.size;
    uint16_t type = MH_TAG_TYPE(v->tag);
    if (!ops || !ops->read)
        return MAPI_E_NO_SUPPORT;
    if (size > MH_STREAM_MAX)
        return MAPI_E_NOT_ENOUGH_MEMORY;
    unsigned char *buf = apr_palloc(pool, (apr_size_t)size + 1);
    uint64_t got = 0;
    while (got < size) {
        size_t want = (size_t)(size - got), n = 0;
        if (want > MH_READ_CHUNK)
            want = MH_READ_CHUNK;
        uint32_t rc = ops->read(cx, obj, v->tag, got, buf + got, want, &n);
        if (rc)
            return rc;
        if (n == 0)
            break; /* shorter than announced: take what is there */
        got += n;
    }
    buf[got] = 0;
    memset(out, 0, sizeof *out);
    out->tag = v->tag;
    if (type == PT_UNICODE) {
        out->v.str = (const char *)buf;
    } else {
        out->v.bin.len = (uint32_t)got;
        out->v.bin.data = buf;
    }
    return 0;
}

/* ------------------------------------------------- property reads */

/*
 * Writes the PropertyRow of GetPropertiesSpecific: values that do not fit
 * `limit` (PropertySizeLimit, else the response room) become
 * NotEnoughMemory (MS-OXCPRPT 3.2.5.1), and while the row does not fit
 * the room the largest remaining values do too.  Returns 0, or
 * MH_ROP_TOO_SMALL when even a row of errors does not fit.
 */
static uint32_t write_row(mh_ropctx *cx, mh_rop *rop, const mh_proptag *cols, uint16_t n,
                          const mh_propval **vals, size_t limit)
{
    mh_propval *errs = apr_pcalloc(cx->pool, sizeof(*errs) * (n ? n : 1));
    for (uint16_t i = 0; i < n; i++) {
        const mh_propval *v = vals[i];
        if (!v || MH_TAG_TYPE(v->tag) == PT_ERROR)
            continue;
        uint16_t wt = MH_TAG_TYPE(cols[i]) == PT_UNSPECIFIED ? MH_TAG_TYPE(v->tag)
                                                              : MH_TAG_TYPE(cols[i]);
        if ((v->flags & MH_PV_LARGE) || mh_propval_wire_size(wt, v, cx->cp) > limit) {
            errs[i] = err_value(cols[i], MAPI_E_NOT_ENOUGH_MEMORY);
            vals[i] = &errs[i];
        }
    }
    for (;;) {
        mh_wr tmp;
        mh_wr_init(&tmp, cx->pool, 256);
        mh_wr_proprow(&tmp, cols, n, vals, cx->cp);
        if (tmp.len <= rop->room) {
            mh_wr_bytes(rop->body, tmp.buf, tmp.len);
            return 0;
        }
        /* demote the largest value still present */
        size_t best = 0;
        int bi = -1;
        for (uint16_t i = 0; i < n; i++) {
            const mh_propval *v = vals[i];
            if (!v || MH_TAG_TYPE(v->tag) == PT_ERROR || (v->flags & MH_PV_LARGE))
                continue;
            uint16_t wt = MH_TAG_TYPE(cols[i]) == PT_UNSPECIFIED ? MH_TAG_TYPE(v->tag)
                                                                  : MH_TAG_TYPE(cols[i]);
            size_t sz = mh_propval_wire_size(wt, v, cx->cp);
            if (bi < 0 || sz > best) {
                best = sz;
                bi = i;
            }
        }
        if (bi < 0 || best <= 4)
            return MH_ROP_TOO_SMALL;
        errs[bi] = err_value(cols[bi], MAPI_E_NOT_ENOUGH_MEMORY);
        vals[bi] = &errs[bi];
    }
}

/* RopGetPropertiesSpecific (MS-OXCROPS 2.2.8.3, MS-OXCPRPT 3.2.5.1) */
static uint32_t rop_get_props_specific(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint16_t size_limit = mh_rd_u16(rop->rd);
    uint16_t want_unicode = mh_rd_u16(rop->rd);
    mh_proptag *cols;
    uint16_t n;
    if (mh_rd_tag_array(rop->rd, 0xFFFF, cx->pool, &cols, &n) < 0 || rop->rd->err)
        return EC_RPC_FORMAT;
    uint32_t rc = mh_rop_object(cx, rop, rop->h.in_idx, MH_PROP_OBJS, &obj);
    if (rc)
        return rc;
    const mh_propops *ops = props_of(obj);
    if (!ops || !ops->get)
        return MAPI_E_NO_SUPPORT;

    size_t limit = size_limit ? size_limit : rop->room;
    /* Ask with the wire tags; PT_UNSPECIFIED columns are answered from the
     * full list (any type of that id). */
    int any_unspec = 0;
    for (uint16_t i = 0; i < n; i++)
        if (MH_TAG_TYPE(cols[i]) == PT_UNSPECIFIED)
            any_unspec = 1;
    mh_proplist got = {0, NULL}, all = {0, NULL};
    mh_proptag *typed = apr_palloc(cx->pool, sizeof(*typed) * (n ? n : 1));
    uint32_t ntyped = 0;
    for (uint16_t i = 0; i < n; i++)
        if (MH_TAG_TYPE(cols[i]) != PT_UNSPECIFIED)
            typed[ntyped++] = cols[i];
    if (ntyped) {
        rc = ops->get(cx, obj, typed, ntyped, limit, cx->pool, &got);
        if (rc)
            return rc;
    }
    if (any_unspec) {
        rc = ops->get(cx, obj, NULL, 0, limit, cx->pool, &all);
        if (rc)
            return rc;
    }
    const mh_propval **vals = apr_pcalloc(cx->pool, sizeof(*vals) * (n ? n : 1));
    for (uint16_t i = 0; i < n; i++) {
        const mh_propval *v = find_value(&got, cols[i]);
        if (!v && MH_TAG_TYPE(cols[i]) == PT_UNSPECIFIED)
            v = find_value(&all, cols[i]);
        if (v && MH_TAG_TYPE(cols[i]) == PT_UNSPECIFIED && !want_unicode &&
            (is_str(MH_TAG_TYPE(v->tag)) || is_mvstr(MH_TAG_TYPE(v->tag)))) {
            /* WantUnicode 0: strings asked for untyped go out in the code
             * page (MS-OXCPRPT 2.2.2.1) */
            mh_propval *c = apr_palloc(cx->pool, sizeof *c);
            *c = *v;
            c->tag = MH_TAG_RETYPE(v->tag, is_str(MH_TAG_TYPE(v->tag)) ? PT_STRING8
                                                                        : PT_MV_STRING8);
            v = c;
        }
        vals[i] = v;
    }
    return write_row(cx, rop, cols, n, vals, limit);
}

/* RopGetPropertiesAll (MS-OXCROPS 2.2.8.4, MS-OXCPRPT 3.2.5.2) */
static uint32_t rop_get_props_all(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint16_t size_limit = mh_rd_u16(rop->rd);
    uint16_t want_unicode = mh_rd_u16(rop->rd);
    if (rop->rd->err)
        return EC_RPC_FORMAT;
    uint32_t rc = mh_rop_object(cx, rop, rop->h.in_idx, MH_PROP_OBJS, &obj);
    if (rc)
        return rc;
    const mh_propops *ops = props_of(obj);
    if (!ops || !ops->get)
        return MAPI_E_NO_SUPPORT;
    size_t limit = size_limit ? size_limit : rop->room;
    mh_proplist all = {0, NULL};
    rc = ops->get(cx, obj, NULL, 0, limit, cx->pool, &all);
    if (rc)
        return rc;

    /* the wire tag and size of each value; NotEnoughMemory for the ones
     * over the limit */
    uint32_t n = 0;
    mh_proptag *wt = apr_palloc(cx->pool, sizeof(*wt) * (all.n ? all.n : 1));
    size_t *sz = apr_palloc(cx->pool, sizeof(*sz) * (all.n ? all.n : 1));
    const mh_propval **vals = apr_palloc(cx->pool, sizeof(*vals) * (all.n ? all.n : 1));
    mh_propval *errs = apr_pcalloc(cx->pool, sizeof(*errs) * (all.n ? all.n : 1));
    size_t total = 2;
    for (uint32_t i = 0; i < all.n && n < 0xFFFF; i++) {
        const mh_propval *v = &all.v[i];
        uint16_t t = MH_TAG_TYPE(v->tag);
        if (t == PT_OBJECT || t == PT_UNSPECIFIED || t == PT_NULL)
            continue;
        if (!want_unicode && is_str(t))
            t = PT_STRING8;
        else if (!want_unicode && is_mvstr(t))
            t = PT_MV_STRING8;
        wt[n] = MH_TAG_RETYPE(v->tag, t);
        if ((v->flags & MH_PV_LARGE) || (t != PT_ERROR &&
                                         mh_propval_wire_size(t, v, cx->cp) > limit)) {
            errs[n] = err_value(v->tag, MAPI_E_NOT_ENOUGH_MEMORY);
            vals[n] = &errs[n];
            wt[n] = errs[n].tag;
            sz[n] = 4;
        } else {
            vals[n] = v;
            sz[n] = mh_propval_wire_size(t, v, cx->cp);
        }
        total += 4 + sz[n];
        n++;
    }
    while (total > rop->room) {
        uint32_t bi = n;
        for (uint32_t i = 0; i < n; i++)
            if (MH_TAG_TYPE(wt[i]) != PT_ERROR && sz[i] > 4 && (bi == n || sz[i] > sz[bi]))
                bi = i;
        if (bi == n)
            return MH_ROP_TOO_SMALL;
        errs[bi] = err_value(wt[bi], MAPI_E_NOT_ENOUGH_MEMORY);
        vals[bi] = &errs[bi];
        wt[bi] = errs[bi].tag;
        total -= sz[bi] - 4;
        sz[bi] = 4;
    }
    mh_wr_u16(rop->body, (uint16_t)n);
    for (uint32_t i = 0; i < n; i++)
        mh_wr_tagged_propval(rop->body, wt[i], vals[i], cx->cp);
    return 0;
}

/* RopGetPropertiesList (MS-OXCROPS 2.2.8.5, MS-OXCPRPT 3.2.5.3) */
static uint32_t rop_get_props_list(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t rc = mh_rop_object(cx, rop, rop->h.in_idx, MH_PROP_OBJS, &obj);
    if (rc)
        return rc;
    const mh_propops *ops = props_of(obj);
    if (!ops || !ops->get)
        return MAPI_E_NO_SUPPORT;
    mh_proplist all = {0, NULL};
    /* only the tags matter: every value may stay unloaded */
    rc = ops->get(cx, obj, NULL, 0, 0, cx->pool, &all);
    if (rc)
        return rc;
    uint32_t n = all.n > 0xFFFF ? 0xFFFF : all.n;
    if (2 + 4 * (size_t)n > rop->room)
        return MH_ROP_TOO_SMALL;
    mh_wr_u16(rop->body, (uint16_t)n);
    for (uint32_t i = 0; i < n; i++)
        mh_wr_u32(rop->body, all.v[i].tag);
    return 0;
}

/* ------------------------------------------------ property writes */

/* Appends a problem. */
static void add_problem(mh_propproblem *p, uint16_t *np, uint16_t index, mh_proptag tag,
                        uint32_t err)
{
    p[*np].index = index;
    p[*np].tag = tag;
    p[*np].err = err;
    (*np)++;
}

/*
 * Merges the problems a class reported for a filtered list back into the
 * client's numbering (map[i]: the client's index of the class's i-th
 * entry), keeping the array in the client's order.
 */
static void merge_problems(mh_propproblem *p, uint16_t *np, const mh_propproblem *cp,
                           uint16_t ncp, const uint16_t *map, uint32_t nmap)
{
    for (uint16_t i = 0; i < ncp; i++) {
        uint16_t idx = cp[i].index < nmap ? map[cp[i].index] : cp[i].index;
        add_problem(p, np, idx, cp[i].tag, cp[i].err);
    }
    /* insertion sort by index: the arrays are short */
    for (uint16_t i = 1; i < *np; i++) {
        mh_propproblem x = p[i];
        uint16_t j = i;
        while (j > 0 && p[j - 1].index > x.index) {
            p[j] = p[j - 1];
            j--;
        }
        p[j] = x;
    }
}

/* RopSetProperties, RopSetPropertiesNoReplicate (MS-OXCROPS 2.2.8.6,
 * 2.2.8.7; MS-OXCPRPT 3.2.5.5) */
static uint32_t rop_set_props(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    (void)mh_rd_u16(rop->rd); /* PropertyValueSize: the values bound themselves */
    uint16_t count = mh_rd_u16(rop->rd);
    /* each TaggedPropertyValue takes at least 5 bytes */
    if (rop->rd->err || (size_t)count * 5 > mh_rd_left(rop->rd))
        return EC_RPC_FORMAT;
    mh_propval *in = apr_pcalloc(cx->pool, sizeof(*in) * (count ? count : 1));
    for (uint16_t i = 0; i < count; i++)
        if (mh_rd_tagged_propval(rop->rd, cx->cp, cx->pool, &in[i]) < 0)
            return EC_RPC_FORMAT;
    uint32_t rc = mh_rop_object(cx, rop, rop->h.in_idx, MH_PROP_OBJS, &obj);
    if (rc)
        return rc;
    const mh_propops *ops = props_of(obj);
    if (!ops || !ops->set)
        return MAPI_E_NO_SUPPORT;
    /* the largest answer: every value a problem */
    if (2 + 10 * (size_t)count > rop->room)
        return MH_ROP_TOO_SMALL;

    mh_propproblem *probs = apr_pcalloc(cx->pool, sizeof(*probs) * (count ? count : 1));
    uint16_t np = 0;
    mh_proplist pass = {0, apr_pcalloc(cx->pool, sizeof(mh_propval) * (count ? count : 1))};
    uint16_t *map = apr_palloc(cx->pool, sizeof(*map) * (count ? count : 1));
    for (uint16_t i = 0; i < count; i++) {
        uint16_t id = MH_TAG_ID(in[i].tag), t = MH_TAG_TYPE(in[i].tag);
        if (is_computed(id)) {
            add_problem(probs, &np, i, in[i].tag, MAPI_E_COMPUTED);
        } else if (!mh_type_storable(t) || id == 0) {
            add_problem(probs, &np, i, in[i].tag, MAPI_E_INVALID_TYPE);
        } else {
            /* a tag given twice: the last value wins */
            uint32_t j;
            for (j = 0; j < pass.n; j++)
                if (pass.v[j].tag == in[i].tag)
                    break;
            pass.v[j] = in[i];
            map[j] = i;
            if (j == pass.n)
                pass.n++;
        }
    }
    if (pass.n) {
        mh_propproblem *cp = NULL;
        uint16_t ncp = 0;
        rc = ops->set(cx, obj, &pass, &cp, &ncp);
        if (rc)
            return rc;
        if (ncp > count - np)
            ncp = (uint16_t)(count - np); /* a class may not report more than it got */
        merge_problems(probs, &np, cp, ncp, map, pass.n);
    }
    mh_wr_problems(rop->body, probs, np);
    return 0;
}

/* RopDeleteProperties, RopDeletePropertiesNoReplicate (MS-OXCROPS
 * 2.2.8.8, 2.2.8.9; MS-OXCPRPT 3.2.5.6) */
static uint32_t rop_delete_props(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    mh_proptag *tags;
    uint16_t count;
    if (mh_rd_tag_array(rop->rd, 0xFFFF, cx->pool, &tags, &count) < 0 || rop->rd->err)
        return EC_RPC_FORMAT;
    uint32_t rc = mh_rop_object(cx, rop, rop->h.in_idx, MH_PROP_OBJS, &obj);
    if (rc)
        return rc;
    const mh_propops *ops = props_of(obj);
    if (!ops || !ops->del)
        return MAPI_E_NO_SUPPORT;
    if (2 + 10 * (size_t)count > rop->room)
        return MH_ROP_TOO_SMALL;
    mh_propproblem *probs = apr_pcalloc(cx->pool, sizeof(*probs) * (count ? count : 1));
    uint16_t np = 0;
    mh_proptag *pass = apr_palloc(cx->pool, sizeof(*pass) * (count ? count : 1));
    uint16_t *map = apr_palloc(cx->pool, sizeof(*map) * (count ? count : 1));
    uint32_t npass = 0;
    for (uint16_t i = 0; i < count; i++) {
        if (is_computed(MH_TAG_ID(tags[i]))) {
            add_problem(probs, &np, i, tags[i], MAPI_E_COMPUTED);
            continue;
        }
        pass[npass] = MH_TAG_RETYPE(tags[i], mem_type(MH_TAG_TYPE(tags[i])));
        map[npass++] = i;
    }
    if (npass) {
        mh_propproblem *cp = NULL;
        uint16_t ncp = 0;
        rc = ops->del(cx, obj, pass, npass, &cp, &ncp);
        if (rc)
            return rc;
        if (ncp > count - np)
            ncp = (uint16_t)(count - np);
        merge_problems(probs, &np, cp, ncp, map, npass);
    }
    mh_wr_problems(rop->body, probs, np);
    return 0;
}

/* ------------------------------------------------------------ copying */

/*
 * Copies values from src to dst: those of `tags` (CopyProperties), or
 * every one not in `excl` (CopyTo, tags NULL).  Problems go out in the
 * client's numbering of `tags`.  MS-OXCPRPT 3.2.5.7, 3.2.5.8.
 */
static uint32_t copy_values(mh_ropctx *cx, mh_object *src, mh_object *dst,
                            const mh_proptag *tags, uint16_t ntags, const mh_proptag *excl,
                            uint16_t nexcl, uint8_t flags, mh_propproblem *probs,
                            uint16_t *np)
{
    const mh_propops *sops = props_of(src), *dops = props_of(dst);
    if (!sops || !dops || !sops->get || !dops->set)
        return MAPI_E_NO_SUPPORT;
    mh_proplist have = {0, NULL};
    uint32_t rc;
    if (tags) {
        mh_proptag *q = apr_palloc(cx->pool, sizeof(*q) * (ntags ? ntags : 1));
        for (uint16_t i = 0; i < ntags; i++)
            q[i] = MH_TAG_RETYPE(tags[i], mem_type(MH_TAG_TYPE(tags[i])));
        rc = ntags ? sops->get(cx, src, q, ntags, MH_READ_CHUNK, cx->pool, &have) : 0;
    } else {
        rc = sops->get(cx, src, NULL, 0, MH_READ_CHUNK, cx->pool, &have);
    }
    if (rc)
        return rc;

    uint32_t cap = tags ? ntags : have.n;
    mh_proplist pass = {0, apr_pcalloc(cx->pool, sizeof(mh_propval) * (cap ? cap : 1))};
    uint16_t *map = apr_palloc(cx->pool, sizeof(*map) * (cap ? cap : 1));
    mh_proptag *moved = apr_palloc(cx->pool, sizeof(*moved) * (cap ? cap : 1));
    uint32_t nmoved = 0;
    for (uint32_t i = 0; i < cap; i++) {
        const mh_propval *v;
        if (tags) {
            if (is_computed(MH_TAG_ID(tags[i]))) {
                add_problem(probs, np, (uint16_t)i, tags[i], MAPI_E_COMPUTED);
                continue;
            }
            v = find_value(&have, tags[i]);
            if (!v) {
                add_problem(probs, np, (uint16_t)i, tags[i], MAPI_E_NOT_FOUND);
                continue;
            }
        } else {
            v = &have.v[i];
            uint16_t id = MH_TAG_ID(v->tag), t = MH_TAG_TYPE(v->tag);
            int skip = is_computed(id) || is_identity(id) || !mh_type_storable(t) ||
                       t == PT_ERROR;
            for (uint16_t k = 0; k < nexcl && !skip; k++)
                if (MH_TAG_ID(excl[k]) == id)
                    skip = 1;
            if (skip)
                continue;
        }
        mh_propval full;
        if (v->flags & MH_PV_LARGE) {
            rc = load_large(cx, src, v, cx->pool, &full);
            if (rc)
                return rc;
            v = &full;
        }
        pass.v[pass.n] = *v;
        pass.v[pass.n].flags = 0;
        map[pass.n++] = (uint16_t)i;
    }

    if ((flags & MH_COPY_NOOVERWRITE) && pass.n) {
        /* keep the destination's values (MS-OXCPRPT 2.2.10.1) */
        mh_proptag *q = apr_palloc(cx->pool, sizeof(*q) * pass.n);
        for (uint32_t i = 0; i < pass.n; i++)
            q[i] = pass.v[i].tag;
        mh_proplist dhave = {0, NULL};
        rc = dops->get(cx, dst, q, pass.n, 0, cx->pool, &dhave);
        if (rc)
            return rc;
        uint32_t k = 0;
        for (uint32_t i = 0; i < pass.n; i++) {
            if (find_value(&dhave, pass.v[i].tag) &&
                MH_TAG_TYPE(find_value(&dhave, pass.v[i].tag)->tag) != PT_ERROR)
                continue;
            pass.v[k] = pass.v[i];
            map[k++] = map[i];
        }
        pass.n = k;
    }
    if (pass.n) {
        mh_propproblem *cp = NULL;
        uint16_t ncp = 0;
        rc = dops->set(cx, dst, &pass, &cp, &ncp);
        if (rc)
            return rc;
        /* what was set and is to be moved: everything without a problem */
        for (uint32_t i = 0; i < pass.n; i++) {
            int bad = 0;
            for (uint16_t k = 0; k < ncp; k++)
                if (cp[k].index == i)
                    bad = 1;
            if (!bad)
                moved[nmoved++] = pass.v[i].tag;
        }
        if (tags) {
            uint16_t room = (uint16_t)(ntags - *np);
            merge_problems(probs, np, cp, ncp < room ? ncp : room, map, pass.n);
        }
    }
    if ((flags & MH_COPY_MOVE) && nmoved && sops->del) {
        mh_propproblem *cp = NULL;
        uint16_t ncp = 0;
        rc = sops->del(cx, src, moved, nmoved, &cp, &ncp);
        if (rc)
            return rc;
    }
    return 0;
}

/* The source and destination objects of a copy ROP.  A missing destination
 * is NullDestinationObject (MS-OXCROPS 2.2.8.11.3: its failure response
 * carries DestHandleIndex). */
static uint32_t copy_objects(mh_ropctx *cx, mh_rop *rop, uint8_t dest_idx, mh_object **src_r,
                             mh_object **dst_r)
{
    uint32_t types = MH_STREAM_PARENTS;
    rop->dest_idx = dest_idx;
    uint32_t rc = mh_rop_object(cx, rop, rop->h.in_idx, types, src_r);
    if (rc)
        return rc;
    rc = mh_rop_object(cx, rop, dest_idx, types, dst_r);
    if (rc == EC_NULL_OBJECT)
        return EC_DST_NULL_OBJECT;
    if (rc)
        return rc;
    /* both of one kind: folder to folder, message to message, attachment
     * to attachment; others are "not compatible with each other for the
     * copy operation": NotSupported (MS-OXCPRPT 3.2.5.8) */
    if ((*src_r)->type != (*dst_r)->type)
        return MAPI_E_NO_SUPPORT;
    return 0;
}

static int contains(mh_ropctx *cx, const mh_object *outer, const mh_object *inner);

/* The sub-object a tag of RopCopyProperties names on an object of `type`
 * (MH_SUB_*), or 0: a message's PidTagMessageRecipients and
 * PidTagMessageAttachments, an attachment's PidTagAttachDataObject (the
 * PtypObject tag: PidTagAttachDataBinary shares its ID). */
static unsigned copy_props_sub(uint8_t type, mh_proptag tag)
{
    if (type == MH_OT_MESSAGE && MH_TAG_ID(tag) == MH_TAG_ID(PR_MESSAGE_RECIPIENTS))
        return MH_SUB_RECIPIENTS;
    if (type == MH_OT_MESSAGE && MH_TAG_ID(tag) == MH_TAG_ID(PR_MESSAGE_ATTACHMENTS))
        return MH_SUB_ATTACHMENTS;
    if (type == MH_OT_ATTACHMENT && tag == PR_ATTACH_DATA_OBJ)
        return MH_SUB_EMBEDDED;
    return 0;
}

/* RopCopyProperties (MS-OXCROPS 2.2.8.11, MS-OXCPRPT 3.2.5.7).  Move takes
 * the copied values from a message or attachment (the MAY of 3.2.5.7, as
 * Exchange 2003 and 2007 do); a folder's cannot be moved.  As MAPI's
 * CopyProps, a message's recipients and attachments and an attachment's
 * embedded message are copied when the list names them (copy_props_sub),
 * as RopCopyTo copies them; a folder's sub-objects are RopCopyTo's only. */
static uint32_t rop_copy_props(mh_ropctx *cx, mh_rop *rop)
{
    uint8_t dest_idx = rop->h.dest_idx; /* read with the common fields */
    (void)mh_rd_u8(rop->rd); /* WantAsynchronous: we always finish at once */
    uint8_t flags = mh_rd_u8(rop->rd);
    mh_proptag *tags;
    uint16_t n;
    if (mh_rd_tag_array(rop->rd, 0xFFFF, cx->pool, &tags, &n) < 0 || rop->rd->err)
        return EC_RPC_FORMAT;
    mh_object *src, *dst;
    uint32_t rc = copy_objects(cx, rop, dest_idx, &src, &dst);
    if (rc)
        return rc;
    if (flags & ~(MH_COPY_MOVE | MH_COPY_NOOVERWRITE))
        return MAPI_E_INVALID_PARAMETER;
    /* a folder's values are not moved (MS-OXCPRPT 3.2.5.7: SHOULD be
     * NotSupported, as Exchange 2007 and later) */
    if ((flags & MH_COPY_MOVE) && src->type == MH_OT_FOLDER)
        return MAPI_E_NO_SUPPORT;
    if (2 + 10 * (size_t)n > rop->room)
        return MH_ROP_TOO_SMALL;
    /* the values apart from the sub-objects, with their places in the
     * client's list (problems are numbered by it) */
    unsigned subs = 0;
    mh_proptag *vals = apr_palloc(cx->pool, sizeof(*vals) * (n ? n : 1));
    uint16_t *place = apr_palloc(cx->pool, sizeof(*place) * (n ? n : 1));
    uint16_t nv = 0;
    for (uint16_t i = 0; i < n; i++) {
        unsigned sub = copy_props_sub(src->type, tags[i]);
        if (sub) {
            subs |= sub;
            continue;
        }
        vals[nv] = tags[i];
        place[nv++] = i;
    }
    if ((subs & (MH_SUB_ATTACHMENTS | MH_SUB_EMBEDDED)) && contains(cx, src, dst))
        return EC_MSG_CYCLE; /* as RopCopyTo (MS-OXCPRPT 3.2.5.8) */
    /* a move from a source that cannot change fails before the
     * destination does; the sub-objects are built before anything changes */
    mh_subcopy *sc = NULL;
    if (src->type != MH_OT_FOLDER &&
        (rc = mh_subcopy_prepare(cx, src, dst, subs, flags, &sc)) != 0)
        return rc;
    mh_propproblem *probs = apr_pcalloc(cx->pool, sizeof(*probs) * (n ? n : 1));
    uint16_t np = 0;
    rc = copy_values(cx, src, dst, vals, nv, NULL, 0, flags, probs, &np);
    if (rc)
        return rc;
    for (uint16_t k = 0; k < np; k++)
        probs[k].index = place[probs[k].index];
    if (subs)
        mh_subcopy_apply(cx, sc);
    mh_wr_problems(rop->body, probs, np);
    return 0;
}

/* Whether `outer` is `inner` or one of the objects it was opened from
 * (an embedded message's attachment and message, ...). */
static int contains(mh_ropctx *cx, const mh_object *outer, const mh_object *inner)
{
    const mh_object *o = inner;
    for (int guard = 0; o && guard < 4 * MH_MAX_EMBED_DEPTH + 4; guard++) {
        if (o->handle == outer->handle)
            return 1;
        o = o->parent == MH_HANDLE_NONE ? NULL : mh_obj_find(cx, o->parent);
    }
    return 0;
}

/*
 * RopCopyTo (MS-OXCROPS 2.2.8.12, MS-OXCPRPT 3.2.5.8): every writable value
 * not excluded and, with WantSubObjects, the sub-objects not excluded
 * (mh_rop.h MH_SUB_*): recipients and attachments of a message, the embedded
 * message of an attachment, subfolders, messages and associated messages of
 * a folder.  Messages and attachments change in their instances (persisted
 * by RopSaveChangesMessage); folders at once, in one transaction.  Move
 * takes the copied values and sub-objects from a message or attachment
 * (the MAY of 3.2.5.8, as Exchange 2003-2010 do); from a folder it moves
 * the sub-objects and leaves the folder its own values.  WantAsynchronous
 * is granted by finishing at once.
 */
static uint32_t rop_copy_to(mh_ropctx *cx, mh_rop *rop)
{
    uint8_t dest_idx = rop->h.dest_idx; /* read with the common fields */
    (void)mh_rd_u8(rop->rd); /* WantAsynchronous */
    uint8_t want_sub = mh_rd_u8(rop->rd);
    uint8_t flags = mh_rd_u8(rop->rd);
    mh_proptag *excl;
    uint16_t nexcl;
    if (mh_rd_tag_array(rop->rd, 0xFFFF, cx->pool, &excl, &nexcl) < 0 || rop->rd->err)
        return EC_RPC_FORMAT;
    mh_object *src, *dst;
    uint32_t rc = copy_objects(cx, rop, dest_idx, &src, &dst);
    if (rc)
        return rc;
    if (flags & ~(MH_COPY_MOVE | MH_COPY_NOOVERWRITE))
        return MAPI_E_INVALID_PARAMETER;
    if (src == dst)
        return MAPI_E_INVALID_PARAMETER;
    /* the response carries problems only for properties the client named:
     * it named none */
    if (2 > rop->room)
        return MH_ROP_TOO_SMALL;
    static const struct {
        uint16_t id;
        unsigned sub;
    } sub_tags[] = {
        {MH_TAG_ID(PR_MESSAGE_RECIPIENTS), MH_SUB_RECIPIENTS},
        {MH_TAG_ID(PR_MESSAGE_ATTACHMENTS), MH_SUB_ATTACHMENTS},
        {MH_TAG_ID(PR_ATTACH_DATA_OBJ), MH_SUB_EMBEDDED},
        {MH_TAG_ID(PR_CONTAINER_HIERARCHY), MH_SUB_SUBFOLDERS},
        {MH_TAG_ID(PR_CONTAINER_CONTENTS), MH_SUB_CONTENTS},
        {MH_TAG_ID(PR_FOLDER_ASSOCIATED_CONTENTS), MH_SUB_FAI},
    };
    unsigned subs = 0;
    if (want_sub) {
        subs = src->type == MH_OT_MESSAGE      ? MH_SUB_RECIPIENTS | MH_SUB_ATTACHMENTS
               : src->type == MH_OT_ATTACHMENT ? MH_SUB_EMBEDDED
                                               : MH_SUB_SUBFOLDERS | MH_SUB_CONTENTS | MH_SUB_FAI;
        for (uint16_t k = 0; k < nexcl; k++)
            for (size_t s = 0; s < sizeof(sub_tags) / sizeof(sub_tags[0]); s++)
                if (MH_TAG_ID(excl[k]) == sub_tags[s].id)
                    subs &= ~sub_tags[s].sub;
    }
    if (src->type == MH_OT_FOLDER) {
        rc = mh_folder_copy_to(cx, src, dst, excl, nexcl, subs, flags);
        if (rc)
            return rc;
    } else {
        /* "the source message directly or indirectly contains the
         * destination message": MessageCycle (3.2.5.8) */
        if ((subs & (MH_SUB_ATTACHMENTS | MH_SUB_EMBEDDED)) && contains(cx, src, dst))
            return EC_MSG_CYCLE;
        /* everything that can fail before anything changes */
        mh_subcopy *sc;
        if ((rc = mh_subcopy_prepare(cx, src, dst, subs, flags, &sc)) != 0)
            return rc;
        uint16_t np = 0;
        if ((rc = copy_values(cx, src, dst, NULL, 0, excl, nexcl, flags, NULL, &np)) != 0)
            return rc;
        mh_subcopy_apply(cx, sc);
    }
    mh_wr_problems(rop->body, NULL, 0);
    return 0;
}

/* RopProgress (MS-OXCROPS 2.2.8.13, MS-OXCPRPT 3.2.5.20).  Every ROP here
 * finishes before its response, so no operation is ever in progress to
 * report on; like Exchange (MS-OXCPRPT note 14) the ROP is not supported. */
static uint32_t rop_progress(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    (void)mh_rd_u8(rop->rd); /* WantCancel */
    if (rop->rd->err)
        return EC_RPC_FORMAT;
    uint32_t rc = mh_rop_object(cx, rop, rop->h.in_idx, 0, &obj);
    if (rc)
        return rc;
    return MAPI_E_NO_SUPPORT;
}

/* -------------------------------------------------- named properties */

static int is_ps_mapi(const mh_guid *g)
{
    return memcmp(g->b, ps_mapi.b, 16) == 0;
}

/* RopGetPropertyIdsFromNames (MS-OXCROPS 2.2.8.1, MS-OXCPRPT 3.2.5.8) */
static uint32_t rop_get_ids_from_names(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint8_t flags = mh_rd_u8(rop->rd);
    uint16_t count = mh_rd_u16(rop->rd);
    /* a PropertyName takes at least 17 bytes */
    if (rop->rd->err || (size_t)count * 17 > mh_rd_left(rop->rd))
        return EC_RPC_FORMAT;
    mh_propname *names = apr_pcalloc(cx->pool, sizeof(*names) * (count ? count : 1));
    for (uint16_t i = 0; i < count; i++)
        if (mh_rd_propname(rop->rd, cx->pool, &names[i]) < 0)
            return EC_RPC_FORMAT;
    uint32_t rc = mh_rop_object(cx, rop, rop->h.in_idx, MH_PROP_OBJS, &obj);
    if (rc)
        return rc;
    mh_logon *lg = mh_obj_logon_data(cx, obj);
    if (!lg)
        return EC_NULL_OBJECT;
    mh_betxn *t;
    mh_error err;

    if (count == 0) {
        /* no names: every registered one (MS-OXCPRPT 2.2.12.2) */
        rc = mh_rop_txn(cx, lg, MH_TXN_READ, &t);
        if (rc)
            return rc;
        mh_propname *all;
        uint16_t *ids;
        uint32_t n;
        mh_err e = mh_be_named_list(t, &all, &ids, &n, &err);
        mh_be_abort(t);
        if (e)
            return mh_err_to_mapi(e);
        if (n > 0xFFFF)
            n = 0xFFFF;
        if (2 + 2 * (size_t)n > rop->room)
            return MH_ROP_TOO_SMALL;
        mh_wr_u16(rop->body, (uint16_t)n);
        for (uint32_t i = 0; i < n; i++)
            mh_wr_u16(rop->body, ids[i]);
        return 0;
    }
    if (2 + 2 * (size_t)count > rop->room)
        return MH_ROP_TOO_SMALL;

    /* PS_MAPI names are the tagged properties themselves: LID = ID;
     * a PS_MAPI string name maps to nothing (MS-OXCPRPT 2.2.12.2). */
    uint16_t *ids = apr_pcalloc(cx->pool, sizeof(*ids) * count);
    mh_propname *ask = apr_palloc(cx->pool, sizeof(*ask) * count);
    uint16_t *askmap = apr_palloc(cx->pool, sizeof(*askmap) * count);
    uint32_t nask = 0;
    for (uint16_t i = 0; i < count; i++) {
        if (is_ps_mapi(&names[i].guid)) {
            if (names[i].kind == MH_MNID_ID && names[i].lid < MH_NAMED_FIRST)
                ids[i] = (uint16_t)names[i].lid;
            continue;
        }
        if (names[i].kind != MH_MNID_ID && names[i].kind != MH_MNID_STRING)
            continue;
        ask[nask] = names[i];
        askmap[nask++] = i;
    }
    if (nask) {
        int create = (flags & MH_GPIFN_CREATE) != 0;
        rc = mh_rop_txn(cx, lg, create ? MH_TXN_WRITE : MH_TXN_READ, &t);
        if (rc)
            return rc;
        uint16_t *got = apr_pcalloc(cx->pool, sizeof(*got) * nask);
        mh_err e = mh_be_named_ids(t, ask, nask, create, got, &err);
        if (e) {
            mh_be_abort(t);
            /* out of IDs: the names stay unmapped, the ROP reports it */
            if (e != MH_E_QUOTA)
                return mh_err_to_mapi(e);
            memset(got, 0, sizeof(*got) * nask);
        } else if (create) {
            rc = mh_rop_commit(cx, t);
            if (rc)
                return rc;
        } else {
            mh_be_abort(t);
        }
        for (uint32_t i = 0; i < nask; i++)
            ids[askmap[i]] = got[i];
    }
    int unmapped = 0;
    mh_wr_u16(rop->body, count);
    for (uint16_t i = 0; i < count; i++) {
        mh_wr_u16(rop->body, ids[i]);
        if (!ids[i])
            unmapped = 1;
    }
    /* some names without an ID: ErrorsReturned with the IDs (MS-OXCPRPT
     * 3.2.5.8) */
    return unmapped ? MAPI_W_ERRORS_RETURNED : 0;
}

/* RopGetNamesFromPropertyIds (MS-OXCROPS 2.2.8.2, MS-OXCPRPT 3.2.5.9) */
static uint32_t rop_get_names_from_ids(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint16_t count = mh_rd_u16(rop->rd);
    if (rop->rd->err || (size_t)count * 2 > mh_rd_left(rop->rd))
        return EC_RPC_FORMAT;
    uint16_t *ids = apr_palloc(cx->pool, sizeof(*ids) * (count ? count : 1));
    for (uint16_t i = 0; i < count; i++)
        ids[i] = mh_rd_u16(rop->rd);
    if (rop->rd->err)
        return EC_RPC_FORMAT;
    uint32_t rc = mh_rop_object(cx, rop, rop->h.in_idx, MH_PROP_OBJS, &obj);
    if (rc)
        return rc;
    mh_logon *lg = mh_obj_logon_data(cx, obj);
    if (!lg)
        return EC_NULL_OBJECT;
    mh_propname *names = apr_pcalloc(cx->pool, sizeof(*names) * (count ? count : 1));
    uint8_t *found = apr_pcalloc(cx->pool, count ? count : 1);
    uint16_t *ask = apr_palloc(cx->pool, sizeof(*ask) * (count ? count : 1));
    uint16_t *askmap = apr_palloc(cx->pool, sizeof(*askmap) * (count ? count : 1));
    uint32_t nask = 0;
    for (uint16_t i = 0; i < count; i++) {
        if (ids[i] < MH_NAMED_FIRST) {
            names[i].guid = ps_mapi;
            names[i].kind = MH_MNID_ID;
            names[i].lid = ids[i];
            found[i] = 1;
        } else {
            ask[nask] = ids[i];
            askmap[nask++] = i;
        }
    }
    if (nask) {
        mh_betxn *t;
        mh_error err;
        rc = mh_rop_txn(cx, lg, MH_TXN_READ, &t);
        if (rc)
            return rc;
        mh_propname *got = apr_pcalloc(cx->pool, sizeof(*got) * nask);
        uint8_t *gfound = apr_pcalloc(cx->pool, nask);
        mh_err e = mh_be_named_names(t, ask, nask, got, gfound, &err);
        mh_be_abort(t);
        if (e)
            return mh_err_to_mapi(e);
        for (uint32_t i = 0; i < nask; i++) {
            names[askmap[i]] = got[i];
            found[askmap[i]] = gfound[i];
        }
    }
    mh_wr tmp;
    mh_wr_init(&tmp, cx->pool, 64 + 24 * (size_t)count);
    mh_wr_u16(&tmp, count);
    for (uint16_t i = 0; i < count; i++) {
        if (!found[i]) {
            /* no name: Kind 0xFF and nothing else (MS-OXCPRPT 3.2.5.9) */
            mh_propname none;
            memset(&none, 0, sizeof none);
            none.kind = 0xFF;
            mh_wr_propname(&tmp, &none);
        } else {
            mh_wr_propname(&tmp, &names[i]);
        }
    }
    if (tmp.len > rop->room)
        return MH_ROP_TOO_SMALL;
    mh_wr_bytes(rop->body, tmp.buf, tmp.len);
    return 0;
}

/* RopQueryNamedProperties (MS-OXCROPS 2.2.8.10, MS-OXCPRPT 3.2.5.7) */
static uint32_t rop_query_named(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint8_t qflags = mh_rd_u8(rop->rd);
    uint8_t has_guid = mh_rd_u8(rop->rd);
    mh_guid guid;
    memset(&guid, 0, sizeof guid);
    if (has_guid)
        mh_rd_copy(rop->rd, guid.b, 16);
    if (rop->rd->err)
        return EC_RPC_FORMAT;
    uint32_t rc = mh_rop_object(cx, rop, rop->h.in_idx, MH_PROP_OBJS, &obj);
    if (rc)
        return rc;
    if (qflags & ~(MH_QNP_NOSTRINGS | MH_QNP_NOIDS))
        return MAPI_E_INVALID_PARAMETER;
    mh_logon *lg = mh_obj_logon_data(cx, obj);
    if (!lg)
        return EC_NULL_OBJECT;
    mh_betxn *t;
    mh_error err;
    rc = mh_rop_txn(cx, lg, MH_TXN_READ, &t);
    if (rc)
        return rc;
    mh_propname *all;
    uint16_t *ids;
    uint32_t n;
    mh_err e = mh_be_named_list(t, &all, &ids, &n, &err);
    mh_be_abort(t);
    if (e)
        return mh_err_to_mapi(e);
    uint32_t *pick = apr_palloc(cx->pool, sizeof(*pick) * (n ? n : 1));
    uint32_t k = 0;
    for (uint32_t i = 0; i < n && k < 0xFFFF; i++) {
        if (has_guid && memcmp(all[i].guid.b, guid.b, 16) != 0)
            continue;
        if ((qflags & MH_QNP_NOSTRINGS) && all[i].kind == MH_MNID_STRING)
            continue;
        if ((qflags & MH_QNP_NOIDS) && all[i].kind == MH_MNID_ID)
            continue;
        pick[k++] = i;
    }
    mh_wr tmp;
    mh_wr_init(&tmp, cx->pool, 64 + 24 * (size_t)k);
    mh_wr_u16(&tmp, (uint16_t)k);
    for (uint32_t i = 0; i < k; i++)
        mh_wr_u16(&tmp, ids[pick[i]]);
    for (uint32_t i = 0; i < k; i++)
        mh_wr_propname(&tmp, &all[pick[i]]);
    if (tmp.len > rop->room)
        return MH_ROP_TOO_SMALL;
    mh_wr_bytes(rop->body, tmp.buf, tmp.len);
    return 0;
}

/* ------------------------------------------------------------ streams */

typedef struct mh_stream {
    mh_proptag tag;          /* as opened (PT_BINARY, PT_OBJECT, PT_STRING8, PT_UNICODE) */
    uint8_t mode;            /* OpenModeFlags */
    uint8_t dirty;           /* written since it was opened or committed */
    uint32_t pos;            /* seek pointer */
    uint32_t size;           /* bytes of data */
    uint32_t cap;            /* bytes allocated at data */
    unsigned char *data;     /* in the object's pool */
} mh_stream;

/* State codec: u32 tag, u8 mode, u8 dirty, u32 pos, u32 size, data. */
static void stream_encode(mh_wr *wr, const void *data)
{
    const mh_stream *st = data;
    mh_wr_u32(wr, st->tag);
    mh_wr_u8(wr, st->mode);
    mh_wr_u8(wr, st->dirty);
    mh_wr_u32(wr, st->pos);
    mh_wr_u32(wr, st->size);
    mh_wr_bytes(wr, st->data, st->size);
}

static int stream_decode(mh_rd *rd, apr_pool_t *pool, void **data_r)
{
    mh_stream *st = apr_pcalloc(pool, sizeof *st);
    st->tag = mh_rd_u32(rd);
    st->mode = mh_rd_u8(rd);
    st->dirty = mh_rd_u8(rd);
    st->pos = mh_rd_u32(rd);
    st->size = mh_rd_u32(rd);
    if (rd->err || st->size > MH_STREAM_MAX || st->pos > MH_STREAM_SEEK_MAX)
        return -1;
    const unsigned char *p = mh_rd_bytes(rd, st->size);
    if (!p)
        return -1;
    st->cap = st->size;
    st->data = apr_palloc(pool, st->size ? st->size : 1);
    memcpy(st->data, p, st->size);
    *data_r = st;
    return 0;
}

static void stream_release(mh_ropctx *cx, mh_object *obj);

const mh_objclass mh_stream_class = {
    .name = "stream",
    .encode = stream_encode,
    .decode = stream_decode,
    .props = NULL,
    .release = stream_release,
};

/* Makes room for `need` bytes (need <= MH_STREAM_MAX), zero-filling. */
static void stream_reserve(mh_object *obj, mh_stream *st, uint32_t need)
{
    if (need <= st->cap)
        return;
    uint32_t cap = st->cap ? st->cap : 4096;
    while (cap < need)
        cap = cap > MH_STREAM_MAX / 2 ? MH_STREAM_MAX : cap * 2;
    unsigned char *d = apr_palloc(obj->pool, cap);
    if (st->size)
        memcpy(d, st->data, st->size);
    memset(d + st->size, 0, cap - st->size);
    st->data = d;
    st->cap = cap;
}

/* The bytes a stream holds for a value: strings in their wire form
 * without a NUL (UTF-16LE for PT_UNICODE, the code page for PT_STRING8). */
static int stream_fill(mh_ropctx *cx, mh_object *obj, mh_stream *st, const mh_propval *v)
{
    uint16_t t = MH_TAG_TYPE(st->tag);
    const void *p;
    size_t len;
    if (t == PT_UNICODE) {
        mh_wr w;
        mh_wr_init(&w, cx->pool, strlen(v->v.str) * 2 + 2);
        mh_wr_utf16z(&w, v->v.str);
        p = w.buf;
        len = w.len - 2;
    } else if (t == PT_STRING8) {
        p = mh_cp_from_utf8(cx->cp, v->v.str, cx->pool, &len);
    } else {
        p = v->v.bin.data;
        len = v->v.bin.len;
    }
    if (len > MH_STREAM_MAX)
        return -1;
    stream_reserve(obj, st, (uint32_t)len);
    if (len)
        memcpy(st->data, p, len);
    st->size = (uint32_t)len;
    return 0;
}

/* The tag a stream's value has on its parent (memory form). */
static mh_proptag stream_value_tag(mh_proptag tag)
{
    uint16_t t = MH_TAG_TYPE(tag);
    if (t == PT_OBJECT)
        return MH_TAG_RETYPE(tag, PT_BINARY); /* e.g. PR_ATTACH_DATA_OBJ */
    return MH_TAG_RETYPE(tag, mem_type(t));
}

/* Writes a stream's data back to its parent (MS-OXCPRPT 3.2.5.16). */
static uint32_t stream_commit(mh_ropctx *cx, mh_object *obj, mh_stream *st)
{
    if (st->mode == MH_STM_READONLY || !st->dirty)
        return 0;
    mh_object *parent = mh_obj_find(cx, obj->parent);
    if (!parent)
        return MAPI_E_OBJECT_DELETED;
    const mh_propops *ops = props_of(parent);
    if (!ops || !ops->set)
        return MAPI_E_NO_SUPPORT;
    mh_propval v;
    memset(&v, 0, sizeof v);
    v.tag = stream_value_tag(st->tag);
    uint16_t t = MH_TAG_TYPE(st->tag);
    if (t == PT_UNICODE) {
        /* UTF-16LE without the NUL a client may have written */
        size_t n = st->size & ~(size_t)1;
        while (n >= 2 && st->data[n - 1] == 0 && st->data[n - 2] == 0)
            n -= 2;
        unsigned char *z = apr_palloc(cx->pool, n + 2);
        memcpy(z, st->data, n);
        z[n] = z[n + 1] = 0;
        mh_rd rd;
        mh_rd_init(&rd, z, n + 2);
        v.v.str = mh_rd_utf16z(&rd, n / 2, cx->pool);
        if (!v.v.str)
            return MAPI_E_CALL_FAILED;
    } else if (t == PT_STRING8) {
        size_t n = st->size;
        while (n && st->data[n - 1] == 0)
            n--;
        v.v.str = mh_cp_to_utf8(cx->cp, (const char *)st->data, n, cx->pool);
    } else {
        v.v.bin.len = st->size;
        v.v.bin.data = st->data;
    }
    mh_proplist l = {1, &v};
    mh_propproblem *probs = NULL;
    uint16_t np = 0;
    uint32_t rc = ops->set(cx, parent, &l, &probs, &np);
    if (rc)
        return rc;
    if (np)
        return probs[0].err;
    st->dirty = 0;
    cx->changed = 1;
    return 0;
}

/* Releasing a stream commits it (see the top of this file).  RopRelease
 * has no response: a commit that fails is logged and the data dropped. */
static void stream_release(mh_ropctx *cx, mh_object *obj)
{
    mh_stream *st = obj->data;
    if (!st || st->mode == MH_STM_READONLY || !st->dirty)
        return;
    uint32_t rc = stream_commit(cx, obj, st);
    if (rc)
        mh_log(MH_LOG_INFO, MHLOGNO(01200) "stream on %08X released: its uncommitted "
               "data could not be committed (0x%08X) and is dropped", (unsigned)st->tag,
               (unsigned)rc);
}

/* Writes at the seek pointer (MS-OXCPRPT 3.2.5.15). */
static uint32_t stream_write(mh_ropctx *cx, mh_object *obj, mh_stream *st,
                             const unsigned char *data, uint32_t len)
{
    if (st->mode == MH_STM_READONLY)
        return EC_STREAM_ACCESS_DENIED;
    if ((uint64_t)st->pos + len > MH_STREAM_MAX)
        return EC_STREAM_SIZE_ERROR;
    uint32_t end = st->pos + len;
    if (end > st->size) {
        stream_reserve(obj, st, end);
        if (st->pos > st->size) /* a write past the end fills the gap with zeros */
            memset(st->data + st->size, 0, st->pos - st->size);
        st->size = end;
    }
    if (len)
        memcpy(st->data + st->pos, data, len);
    st->pos = end;
    st->dirty = 1;
    cx->changed = 1;
    return 0;
}

static uint32_t stream_object(mh_ropctx *cx, mh_rop *rop, uint8_t idx, mh_object **obj_r,
                              mh_stream **st_r)
{
    uint32_t rc = mh_rop_object(cx, rop, idx, MH_OTM(MH_OT_STREAM), obj_r);
    if (rc)
        return rc;
    *st_r = (*obj_r)->data;
    return *st_r ? 0 : EC_NULL_OBJECT;
}

/* RopOpenStream (MS-OXCROPS 2.2.9.1, MS-OXCPRPT 3.2.5.13) */
static uint32_t rop_open_stream(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *parent;
    mh_proptag tag = mh_rd_u32(rop->rd);
    uint8_t mode = mh_rd_u8(rop->rd);
    if (rop->rd->err)
        return EC_RPC_FORMAT;
    uint32_t rc = mh_rop_object(cx, rop, rop->h.in_idx, MH_STREAM_PARENTS, &parent);
    if (rc)
        return rc;
    if (mode > MH_STM_BESTACCESS)
        return MAPI_E_INVALID_PARAMETER;
    /* single-valued binary, object and string properties; folders
     * binary ones (and strings here too) (MS-OXCPRPT 2.2.14) */
    uint16_t t = MH_TAG_TYPE(tag);
    if (!(t == PT_BINARY || t == PT_UNICODE || t == PT_STRING8 ||
          (t == PT_OBJECT && parent->type != MH_OT_FOLDER)))
        return MAPI_E_NO_SUPPORT;
    const mh_propops *ops = props_of(parent);
    if (!ops || !ops->get)
        return MAPI_E_NO_SUPPORT;
    if (6 > rop->room)
        return MH_ROP_TOO_SMALL;

    mh_propval full;
    const mh_propval *v = NULL;
    if (mode != MH_STM_CREATE) {
        mh_proptag q = stream_value_tag(tag);
        mh_proplist got = {0, NULL};
        rc = ops->get(cx, parent, &q, 1, MH_READ_CHUNK, cx->pool, &got);
        if (rc)
            return rc;
        v = find_value(&got, q);
        if (v && MH_TAG_TYPE(v->tag) == PT_ERROR)
            v = NULL;
        if (!v)
            return MAPI_E_NOT_FOUND; /* only Create opens a missing value */
        if (v->flags & MH_PV_LARGE) {
            rc = load_large(cx, parent, v, cx->pool, &full);
            if (rc)
                return rc;
            v = &full;
        }
    }
    mh_object *obj = mh_obj_create(cx, rop, MH_OT_STREAM, rop->h.logon_id, parent->handle);
    if (!obj)
        return MAPI_E_NOT_ENOUGH_MEMORY;
    mh_stream *st = apr_pcalloc(obj->pool, sizeof *st);
    /* never NULL, even empty: its bytes are copied and offset from */
    st->data = apr_palloc(obj->pool, 1);
    st->tag = tag;
    st->mode = mode == MH_STM_BESTACCESS ? MH_STM_READWRITE : mode;
    if (v && stream_fill(cx, obj, st, v) < 0) {
        mh_obj_release(cx, obj);
        return EC_STREAM_SIZE_ERROR;
    }
    /* Create replaces the value: an empty stream, written back on commit
     * even when nothing is written */
    st->dirty = mode == MH_STM_CREATE;
    obj->data = st;
    cx->changed = 1;
    mh_wr_u32(rop->body, st->size);
    return 0;
}

/* RopReadStream (MS-OXCROPS 2.2.9.2, MS-OXCPRPT 3.2.5.14) */
static uint32_t rop_read_stream(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    mh_stream *st;
    uint32_t want = mh_rd_u16(rop->rd);
    if (want == 0xBABE) {
        /* MaximumByteCount; beyond 2^31 the request is malformed
         * (MS-OXCPRPT 3.2.5.14) */
        want = mh_rd_u32(rop->rd);
        if (!rop->rd->err && want > 0x80000000u)
            return EC_RPC_FORMAT;
    }
    if (rop->rd->err)
        return EC_RPC_FORMAT;
    uint32_t rc = stream_object(cx, rop, rop->h.in_idx, &obj, &st);
    if (rc)
        return rc;
    if (rop->room < 2)
        return MH_ROP_TOO_SMALL;
    uint32_t avail = st->pos < st->size ? st->size - st->pos : 0;
    uint32_t n = want < avail ? want : avail;
    size_t fit = rop->room - 2;
    if (fit > 0xFFFF)
        fit = 0xFFFF; /* DataSize is a u16 */
    if (n > fit)
        n = (uint32_t)fit;
    mh_wr_u16(rop->body, (uint16_t)n);
    mh_wr_bytes(rop->body, st->data + st->pos, n);
    st->pos += n;
    cx->changed = 1;
    /* More asked for and more there: the engine may chain the rest
     * (MS-OXCRPC 3.1.4.2.1.2.2) */
    uint32_t rest = want - n;
    if (rest && st->pos < st->size) {
        unsigned char *req = apr_palloc(cx->pool, 6);
        if (rest < 0xBABE) {
            mh_put_u16(req, (uint16_t)rest);
            rop->chain_req_len = 2;
        } else {
            mh_put_u16(req, 0xBABE);
            mh_put_u32(req + 2, rest);
            rop->chain_req_len = 6;
        }
        rop->chain_req = req;
    }
    return 0;
}

/* RopWriteStream (MS-OXCROPS 2.2.9.3), RopWriteStreamExtended (2.2.9.4),
 * RopWriteAndCommitStream (2.2.9.12): WrittenSize u16, u32, u16. */
static uint32_t write_common(mh_ropctx *cx, mh_rop *rop, int wide, int commit)
{
    mh_object *obj;
    mh_stream *st;
    uint16_t len = mh_rd_u16(rop->rd);
    const unsigned char *data = mh_rd_bytes(rop->rd, len);
    if (rop->rd->err)
        return EC_RPC_FORMAT;
    uint32_t rc = stream_object(cx, rop, rop->h.in_idx, &obj, &st);
    if (rc)
        return rc;
    if ((size_t)(wide ? 4 : 2) > rop->room)
        return MH_ROP_TOO_SMALL;
    rc = stream_write(cx, obj, st, data, len);
    if (rc)
        return rc;
    if (commit) {
        rc = stream_commit(cx, obj, st);
        if (rc)
            return rc;
    }
    if (wide)
        mh_wr_u32(rop->body, len);
    else
        mh_wr_u16(rop->body, len);
    return 0;
}

static uint32_t rop_write_stream(mh_ropctx *cx, mh_rop *rop)
{
    return write_common(cx, rop, 0, 0);
}

static uint32_t rop_write_stream_ext(mh_ropctx *cx, mh_rop *rop)
{
    return write_common(cx, rop, 1, 0);
}

static uint32_t rop_write_and_commit(mh_ropctx *cx, mh_rop *rop)
{
    return write_common(cx, rop, 0, 1);
}

/* RopCommitStream (MS-OXCROPS 2.2.9.5, MS-OXCPRPT 3.2.5.16) */
static uint32_t rop_commit_stream(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    mh_stream *st;
    uint32_t rc = stream_object(cx, rop, rop->h.in_idx, &obj, &st);
    if (rc)
        return rc;
    return stream_commit(cx, obj, st);
}

/* RopGetStreamSize (MS-OXCROPS 2.2.9.6) */
static uint32_t rop_get_stream_size(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    mh_stream *st;
    uint32_t rc = stream_object(cx, rop, rop->h.in_idx, &obj, &st);
    if (rc)
        return rc;
    if (4 > rop->room)
        return MH_ROP_TOO_SMALL;
    mh_wr_u32(rop->body, st->size);
    return 0;
}

/* RopSetStreamSize (MS-OXCROPS 2.2.9.7, MS-OXCPRPT 3.2.5.18) */
static uint32_t rop_set_stream_size(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    mh_stream *st;
    uint64_t size = mh_rd_u64(rop->rd);
    if (rop->rd->err)
        return EC_RPC_FORMAT;
    uint32_t rc = stream_object(cx, rop, rop->h.in_idx, &obj, &st);
    if (rc)
        return rc;
    if (st->mode == MH_STM_READONLY)
        return EC_STREAM_ACCESS_DENIED;
    if (size > MH_STREAM_MAX)
        return EC_STREAM_SIZE_ERROR;
    if ((uint32_t)size > st->size) {
        stream_reserve(obj, st, (uint32_t)size);
        memset(st->data + st->size, 0, (uint32_t)size - st->size);
    }
    /* the seek pointer stays where it was, even past the new end */
    st->size = (uint32_t)size;
    st->dirty = 1;
    cx->changed = 1;
    return 0;
}

/* RopSeekStream (MS-OXCROPS 2.2.9.8, MS-OXCPRPT 3.2.5.19) */
static uint32_t rop_seek_stream(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    mh_stream *st;
    uint8_t origin = mh_rd_u8(rop->rd);
    int64_t off = (int64_t)mh_rd_u64(rop->rd);
    if (rop->rd->err)
        return EC_RPC_FORMAT;
    uint32_t rc = stream_object(cx, rop, rop->h.in_idx, &obj, &st);
    if (rc)
        return rc;
    if (8 > rop->room)
        return MH_ROP_TOO_SMALL;
    int64_t base;
    switch (origin) {
    case 0: base = 0; break;                  /* STREAM_SEEK_SET */
    case 1: base = st->pos; break;            /* STREAM_SEEK_CUR */
    case 2: base = st->size; break;           /* STREAM_SEEK_END */
    default: return EC_STREAM_INVALID_PARAM;
    }
    /* before the start or beyond 2^31 bytes: StreamSeekError */
    if ((off < 0 && -(off + 1) >= base) || (off > 0 && off > (int64_t)MH_STREAM_SEEK_MAX - base))
        return EC_STREAM_SEEK_ERROR;
    st->pos = (uint32_t)(base + off);
    cx->changed = 1;
    mh_wr_u64(rop->body, st->pos);
    return 0;
}

/* RopCopyToStream (MS-OXCROPS 2.2.9.9, MS-OXCPRPT 3.2.5.21) */
static uint32_t rop_copy_to_stream(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *sobj, *dobj;
    mh_stream *src, *dst;
    uint8_t dest_idx = rop->h.dest_idx; /* read with the common fields */
    uint64_t count = mh_rd_u64(rop->rd);
    if (rop->rd->err)
        return EC_RPC_FORMAT;
    rop->dest_idx = dest_idx;
    uint32_t rc = stream_object(cx, rop, rop->h.in_idx, &sobj, &src);
    if (rc)
        return rc;
    rc = stream_object(cx, rop, dest_idx, &dobj, &dst);
    if (rc == EC_NULL_OBJECT)
        return EC_DST_NULL_OBJECT;
    if (rc)
        return rc;
    if (16 > rop->room)
        return MH_ROP_TOO_SMALL;
    uint32_t avail = src->pos < src->size ? src->size - src->pos : 0;
    uint32_t n = count < avail ? (uint32_t)count : avail;
    /* the source bytes may move when the destination is the source */
    unsigned char *tmp = apr_palloc(cx->pool, n ? n : 1);
    if (n)
        memcpy(tmp, src->data + src->pos, n);
    rc = stream_write(cx, dobj, dst, tmp, n);
    if (rc)
        return rc;
    if (src != dst)
        src->pos += n;
    cx->changed = 1;
    mh_wr_u64(rop->body, n); /* ReadByteCount */
    mh_wr_u64(rop->body, n); /* WrittenByteCount */
    return 0;
}

/* RopLockRegionStream, RopUnlockRegionStream (MS-OXCROPS 2.2.9.10,
 * 2.2.9.11; MS-OXCPRPT 3.2.5.22, 3.2.5.23).  A stream belongs to one
 * session and nothing else can reach its data, so there is nothing to
 * lock against: the requests succeed without effect. */
static uint32_t rop_lock_region(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    mh_stream *st;
    (void)mh_rd_u64(rop->rd); /* RegionOffset */
    (void)mh_rd_u64(rop->rd); /* RegionSize */
    (void)mh_rd_u32(rop->rd); /* LockFlags */
    if (rop->rd->err)
        return EC_RPC_FORMAT;
    return stream_object(cx, rop, rop->h.in_idx, &obj, &st);
}

/* RopCloneStream (MS-OXCROPS 2.2.9.13, MS-OXCPRPT 3.2.5.24): a second
 * stream object on the same property with its own seek pointer, starting
 * at the same data and position. */
static uint32_t rop_clone_stream(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    mh_stream *st;
    uint32_t rc = stream_object(cx, rop, rop->h.in_idx, &obj, &st);
    if (rc)
        return rc;
    mh_object *c = mh_obj_create(cx, rop, MH_OT_STREAM, rop->h.logon_id, obj->parent);
    if (!c)
        return MAPI_E_NOT_ENOUGH_MEMORY;
    mh_stream *cs = apr_pcalloc(c->pool, sizeof *cs);
    *cs = *st;
    cs->cap = st->size;
    cs->data = apr_palloc(c->pool, st->size ? st->size : 1);
    if (st->size)
        memcpy(cs->data, st->data, st->size);
    c->data = cs;
    cx->changed = 1;
    return 0;
}

/* ------------------------------------------------------------- table */

const mh_rop_entry mh_rops_oxcprpt[] = {
    {0x07, rop_get_props_specific},
    {0x08, rop_get_props_all},
    {0x09, rop_get_props_list},
    {0x0A, rop_set_props},
    {0x79, rop_set_props},          /* RopSetPropertiesNoReplicate */
    {0x0B, rop_delete_props},
    {0x7A, rop_delete_props},       /* RopDeletePropertiesNoReplicate */
    {0x67, rop_copy_props},
    {0x39, rop_copy_to},
    {0x5F, rop_query_named},
    {0x56, rop_get_ids_from_names},
    {0x55, rop_get_names_from_ids},
    {0x50, rop_progress},
    {0x2B, rop_open_stream},
    {0x2C, rop_read_stream},
    {0x2D, rop_write_stream},
    {0xA3, rop_write_stream_ext},
    {0x5D, rop_commit_stream},
    {0x5E, rop_get_stream_size},
    {0x2F, rop_set_stream_size},
    {0x2E, rop_seek_stream},
    {0x3A, rop_copy_to_stream},
    {0x5B, rop_lock_region},
    {0x5C, rop_lock_region},        /* RopUnlockRegionStream */
    {0x90, rop_write_and_commit},
    {0x3B, rop_clone_stream},
    {0, NULL},
};
