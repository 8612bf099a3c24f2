/*
 * lmdb_message.c - messages: save (whole-message replacement in one
 * transaction), read, delete, move/copy, read state, large values, and the
 * folder contents listing with its sort indexes.
 */
#include "lmdb_be.h"
#include "mh_props.h"

#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_tables.h>

/* Columns with a sort index; the column number in sortidx keys is the
 * position in this list plus one.  Append only. */
const mh_proptag lbe_sort_tags[] = {
    PR_MESSAGE_DELIVERY_TIME, PR_CLIENT_SUBMIT_TIME, PR_LAST_MODIFICATION_TIME,
    PR_SUBJECT, PR_NORMALIZED_SUBJECT, PR_SENDER_NAME, PR_SENT_REPRESENTING_NAME,
    PR_MESSAGE_SIZE, PR_MESSAGE_FLAGS, PR_FLAG_STATUS, PR_IMPORTANCE, 0};

static int sort_column(mh_proptag tag)
{
    for (int i = 0; lbe_sort_tags[i]; i++)
        if (lbe_sort_tags[i] == tag)
            return i + 1;
    return 0;
}

/* ---------------------------------------------------------- sort index */

/* Appends the sort key of a value (or of its absence) to k. */
static void sort_key(mh_txn *t, lbe_key *k, const mh_proplist *props, mh_proptag tag)
{
    const mh_propval *v = mh_proplist_find(props, tag);
    if (!v) {
        lk_u8(k, 0); /* missing values sort first */
        return;
    }
    lk_u8(k, 1);
    switch (MH_TAG_TYPE(tag)) {
    case PT_SYSTIME:
        lk_u64(k, v->v.ft);
        break;
    case PT_LONG:
        lk_u32(k, (uint32_t)v->v.i32 ^ 0x80000000u); /* signed order */
        break;
    case PT_UNICODE: {
        char prefix[LBE_SORTKEY_MAX + 1];
        const char *s = "";
        if (v->flags & MH_PV_LARGE) {
            size_t got = 0;
            mh_error e;
            if (lbe_lval_read(t, v->v.large.ref, v->v.large.size, 0, prefix, LBE_SORTKEY_MAX,
                              &got, &e) == MH_OK) {
                prefix[got] = 0;
                s = prefix;
            }
        } else {
            s = v->v.str;
        }
        const char *f = lbe_fold(t->pool, s, LBE_SORTKEY_MAX);
        lk_bytes(k, f, strlen(f));
        lk_u8(k, 0);
        break;
    }
    default:
        break;
    }
}

static void sortidx_key(mh_txn *t, lbe_key *k, const lbe_message *m, int col)
{
    lk_init(k);
    lk_u32(k, t->mr.mbx);
    lk_u64(k, m->folder);
    lk_u8(k, (uint8_t)(m->fai ? 1 : 0));
    lk_u8(k, (uint8_t)col);
    sort_key(t, k, &m->msg->props, lbe_sort_tags[col - 1]);
    lk_u64(k, m->id);
}

/* ------------------------------------------------------------ summaries */

/* The columns whose sort index entries carry summaries: received time
 * (Outlook's view of every mail folder but Sent Items) and sent time. */
int lbe_sort_summary(int col)
{
    mh_proptag tag = lbe_sort_tags[col - 1];
    return tag == PR_MESSAGE_DELIVERY_TIME || tag == PR_CLIENT_SUBMIT_TIME;
}

/* The values a summary holds, ascending: what Outlook's list views show
 * and what the core asks for to compute the rest of a row (message flags,
 * attachments, recipients' names).  The computed ones (PR_MID, the entry
 * IDs and keys, PR_INSTANCE_KEY, PR_ROW_TYPE, PR_DEPTH, ...) are asked of
 * the backend too, and never stored, so a summary holds them exactly as
 * the record does: not at all (a summary is the record's values of these
 * tags, whatever they are).  Named properties (the categories, say) are
 * not covered: a view asking for one reads records. */
static const mh_proptag summary_tags[] = {
    PR_IMPORTANCE,              /* 0x00170003 */
    PR_MESSAGE_CLASS,           /* 0x001A001F */
    MH_TAG(0x0026, PT_LONG),    /* PidTagPriority */
    PR_SENSITIVITY,             /* 0x00360003 */
    PR_SUBJECT,                 /* 0x0037001F */
    PR_CLIENT_SUBMIT_TIME,      /* 0x00390040 */
    PR_SUBJECT_PREFIX,          /* 0x003D001F */
    PR_SENT_REPRESENTING_NAME,  /* 0x0042001F */
    MH_TAG(0x0070, PT_UNICODE), /* PidTagConversationTopic */
    MH_TAG(0x0071, PT_BINARY),  /* PidTagConversationIndex */
    PR_SENDER_NAME,             /* 0x0C1A001F */
    PR_DISPLAY_BCC,             /* 0x0E02001F */
    PR_DISPLAY_CC,              /* 0x0E03001F */
    PR_DISPLAY_TO,              /* 0x0E04001F */
    PR_MESSAGE_DELIVERY_TIME,   /* 0x0E060040 */
    PR_MESSAGE_FLAGS,           /* 0x0E070003 */
    PR_MESSAGE_SIZE,            /* 0x0E080003 */
    PR_MESSAGE_SIZE_EXTENDED,   /* 0x0E080014 */
    PR_PARENT_ENTRYID,          /* 0x0E090102 */
    PR_MSG_STATUS,              /* 0x0E170003 */
    PR_HASATTACH,               /* 0x0E1B000B */
    PR_NORMALIZED_SUBJECT,      /* 0x0E1D001F */
    MH_TAG(0x0E2B, PT_LONG),    /* PidTagToDoItemFlags */
    PR_ROW_TYPE,                /* 0x0FF50003 */
    PR_INSTANCE_KEY,            /* 0x0FF60102 */
    PR_RECORD_KEY,              /* 0x0FF90102 */
    PR_STORE_RECORD_KEY,        /* 0x0FFA0102 */
    PR_STORE_ENTRYID,           /* 0x0FFB0102 */
    PR_OBJECT_TYPE,             /* 0x0FFE0003 */
    PR_ENTRYID,                 /* 0x0FFF0102 */
    MH_TAG(0x1080, PT_LONG),    /* PidTagIconIndex */
    MH_TAG(0x1081, PT_LONG),    /* PidTagLastVerbExecuted */
    PR_FLAG_STATUS,             /* 0x10900003 */
    MH_TAG(0x1091, PT_SYSTIME), /* PidTagFlagCompleteTime */
    MH_TAG(0x1095, PT_LONG),    /* PidTagFollowupIcon */
    PR_DEPTH,                   /* 0x30050003 */
    PR_CREATION_TIME,           /* 0x30070040 */
    PR_LAST_MODIFICATION_TIME,  /* 0x30080040 */
    PR_PARENT_SOURCE_KEY,       /* 0x65E10102 */
    PR_FID,                     /* 0x67480014 */
    PR_PARENT_FID,              /* 0x67490014 */
    PR_MID,                     /* 0x674A0014 */
    PR_INST_ID,                 /* 0x674D0014 */
    PR_INSTANCE_NUM,            /* 0x674E0003 */
    PR_ASSOCIATED,              /* 0x67AA000B */
};
#define N_SUMMARY_TAGS (sizeof(summary_tags) / sizeof(summary_tags[0]))

static int summary_has(mh_proptag tag)
{
    size_t lo = 0, hi = N_SUMMARY_TAGS;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (summary_tags[mid] == tag)
            return 1;
        if (summary_tags[mid] < tag)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

int lbe_summary_covers(const mh_proptag *tags, uint32_t n)
{
    if (!tags)
        return 0;
    for (uint32_t i = 0; i < n; i++)
        if (!summary_has(tags[i]))
            return 0;
    return 1;
}

int lbe_summary_encode(mh_wr *w, const lbe_message *m)
{
    const mh_proplist *l = &m->msg->props;
    mh_message sm;
    memset(&sm, 0, sizeof(sm));
    sm.props.v = apr_palloc(w->pool, sizeof(*sm.props.v) * (l->n ? l->n : 1));
    for (uint32_t i = 0; i < l->n; i++)
        if (summary_has(l->v[i].tag))
            sm.props.v[sm.props.n++] = l->v[i];
    size_t start = w->len;
    mh_wr_u8(w, 1);
    mh_wr_u64(w, m->folder);
    mh_wr_u8(w, m->fai ? 1 : 0);
    mh_wr_u8(w, m->read ? 1 : 0);
    mh_wr_u64(w, m->cn);
    mh_wr_u64(w, m->read_cn);
    mh_wr_u32(w, m->size);
    mh_message_encode_indexed(w, &sm);
    if (w->len - start > LBE_SUMMARY_MAX) {
        w->len = start;
        return -1;
    }
    return 0;
}

int lbe_sortidx_update(mh_txn *t, const lbe_message *m, int add)
{
    mh_wr sum;
    int have_sum = 0;
    if (add) {
        mh_wr_init(&sum, t->pool, 256);
        have_sum = lbe_summary_encode(&sum, m) == 0;
    }
    for (int col = 1; lbe_sort_tags[col - 1]; col++) {
        lbe_key k;
        sortidx_key(t, &k, m, col);
        int rc;
        if (!add)
            rc = lbe_del(t, DBI_SORTIDX, &k);
        else if (have_sum && lbe_sort_summary(col))
            rc = lbe_put(t, DBI_SORTIDX, &k, sum.buf, sum.len);
        else
            rc = lbe_put(t, DBI_SORTIDX, &k, "", 0);
        if (rc)
            return rc;
    }
    return 0;
}

unsigned lbe_sortidx_verify(mh_txn *t, const lbe_message *m, apr_pool_t *pool)
{
    unsigned found = 0;
    mh_wr sum;
    mh_wr_init(&sum, pool, 256);
    int have_sum = lbe_summary_encode(&sum, m) == 0;
    for (int col = 1; lbe_sort_tags[col - 1]; col++) {
        lbe_key k;
        sortidx_key(t, &k, m, col);
        MDB_val key = lk_val(&k), v;
        int rc = mdb_get(t->txn, lbe_dbi(t, DBI_SORTIDX), &key, &v);
        if (rc) {
            found |= LBE_SORTIDX_MISSING;
            continue;
        }
        /* "" is an entry from before summaries (or of one too long) */
        if (v.mv_size && (!lbe_sort_summary(col) || !have_sum || v.mv_size != sum.len ||
                          memcmp(v.mv_data, sum.buf, sum.len) != 0))
            found |= LBE_SORTIDX_SUMMARY;
    }
    return found;
}

static void contents_key(lbe_key *k, const mh_txn *t, mh_id folder, int fai, mh_id id)
{
    lk_init(k);
    lk_u32(k, t->mr.mbx);
    lk_u64(k, folder);
    lk_u8(k, (uint8_t)(fai ? 1 : 0));
    if (id)
        lk_u64(k, id);
}

/* ------------------------------------------------------------ listing */

mh_err lbe_contents_list(mh_txn *t, mh_id folder, unsigned flags, const mh_sort *sort,
                         const mh_cursor *from, uint32_t max, mh_id *ids, uint32_t *n_r,
                         mh_cursor *next_r, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK)
        return e;
    if (lbe_object_kind(t, folder) != LBE_OBJ_FOLDER)
        return mh_fail(err, t->pool, MH_E_NOT_FOUND, "no folder %llu", (unsigned long long)folder);
    int fai = (flags & MH_LIST_FAI) != 0;
    int backward = (flags & MH_LIST_BACKWARD) != 0;
    enum lbe_dbi d = DBI_CONTENTS;
    int sums = 0; /* the entries carry summaries to remember */
    lbe_key prefix;
    contents_key(&prefix, t, folder, fai, 0);
    if (sort) {
        int col = sort_column(sort->tag);
        if (!col)
            return mh_fail(err, t->pool, MH_E_NOT_SUPPORTED, "no index for sorting by 0x%08x",
                           sort->tag);
        d = DBI_SORTIDX;
        lk_u8(&prefix, (uint8_t)col);
        /* (in a read transaction the map does not change under them) */
        if (lbe_sort_summary(col) && !t->write) {
            sums = 1;
            if (!t->sums)
                t->sums = apr_palloc(t->pool, LBE_SUMCACHE * sizeof(*t->sums));
        }
        if (sort->descending)
            backward = !backward;
    }
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, lbe_dbi(t, d), &c);
    if (rc)
        return lbe_fail(err, t->pool, rc, "list contents");
    MDB_val k, v;
    if (from && from->len) {
        k.mv_size = from->len;
        k.mv_data = (void *)from->key;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        if (!backward) {
            if (rc == 0 && k.mv_size == from->len && memcmp(k.mv_data, from->key, k.mv_size) == 0)
                rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
        } else {
            rc = rc == 0 ? mdb_cursor_get(c, &k, &v, MDB_PREV)
                         : mdb_cursor_get(c, &k, &v, MDB_LAST);
        }
    } else if (!backward) {
        k = lk_val(&prefix);
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    } else {
        /* the last key with this prefix: just before prefix + 1 */
        lbe_key end = prefix;
        int i = (int)end.n - 1;
        while (i >= 0 && end.b[i] == 0xFF)
            end.b[i--] = 0;
        if (i < 0) {
            rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
        } else {
            end.b[i]++;
            k = lk_val(&end);
            rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
            rc = rc == 0 ? mdb_cursor_get(c, &k, &v, MDB_PREV) : mdb_cursor_get(c, &k, &v, MDB_LAST);
        }
    }
    uint32_t n = 0;
    next_r->len = 0;
    for (; rc == 0 && n < max;
         rc = mdb_cursor_get(c, &k, &v, backward ? MDB_PREV : MDB_NEXT)) {
        if (k.mv_size < prefix.n + 8 || memcmp(k.mv_data, prefix.b, prefix.n) != 0) {
            rc = MDB_NOTFOUND; /* walked out of the folder */
            break;
        }
        mh_id id = mh_get_u64_be((uint8_t *)k.mv_data + k.mv_size - 8);
        ids[n++] = id;
        if (sums && v.mv_size) {
            lbe_sumslot *s = &t->sums[t->sum_n++ % LBE_SUMCACHE];
            s->id = id;
            s->p = v.mv_data;
            s->len = v.mv_size;
        }
        next_r->len = (uint32_t)k.mv_size;
        memcpy(next_r->key, k.mv_data, k.mv_size);
    }
    /* the loop stepped past the last ID it returned: is there more? */
    if (rc == 0 && (k.mv_size < prefix.n + 8 || memcmp(k.mv_data, prefix.b, prefix.n) != 0))
        rc = MDB_NOTFOUND;
    mdb_cursor_close(c);
    if (rc == MDB_NOTFOUND)
        next_r->len = 0;
    else if (rc)
        return lbe_fail(err, t->pool, rc, "list contents");
    *n_r = n;
    return MH_OK;
}

/* ------------------------------------------------------------ reading */

mh_err lbe_message_info(mh_txn *t, mh_id message, mh_message_info *info, mh_error *err)
{
    mh_err e;
    lbe_message m;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK ||
        (e = lbe_message_peek(t, message, t->pool, &m, err)) != MH_OK)
        return e;
    info->id = m.id;
    info->folder = m.folder;
    info->fai = m.fai;
    info->read = m.read;
    info->cn = m.cn;
    info->read_cn = m.read_cn;
    info->size = m.size;
    return MH_OK;
}

/* Loads large values up to `large` bytes in a list, in place. */
static mh_err load_small_large(mh_txn *t, mh_proplist *l, uint64_t large, apr_pool_t *pool,
                               mh_error *err)
{
    for (uint32_t i = 0; i < l->n; i++) {
        mh_propval *v = &l->v[i];
        if (!(v->flags & MH_PV_LARGE) || v->v.large.size > large)
            continue;
        uint64_t size = v->v.large.size;
        uint8_t *buf = apr_palloc(pool, (size_t)size + 1);
        size_t got = 0;
        mh_err e = size ? lbe_lval_read(t, v->v.large.ref, size, 0, buf, (size_t)size, &got, err)
                        : MH_OK;
        if (e != MH_OK)
            return e;
        buf[size] = 0;
        v->flags = 0;
        if (MH_TAG_TYPE(v->tag) == PT_UNICODE)
            v->v.str = (const char *)buf;
        else {
            v->v.bin.data = buf;
            v->v.bin.len = (uint32_t)size;
        }
    }
    return MH_OK;
}

static mh_err load_tree(mh_txn *t, mh_message *m, uint64_t large, apr_pool_t *pool,
                        mh_error *err)
{
    mh_err e;
    if ((e = load_small_large(t, &m->props, large, pool, err)) != MH_OK)
        return e;
    for (uint32_t i = 0; i < m->n_recipients; i++)
        if ((e = load_small_large(t, &m->recipients[i], large, pool, err)) != MH_OK)
            return e;
    for (uint32_t i = 0; i < m->n_attachments; i++) {
        if ((e = load_small_large(t, &m->attachments[i].props, large, pool, err)) != MH_OK)
            return e;
        if (m->attachments[i].embedded &&
            (e = load_tree(t, m->attachments[i].embedded, large, pool, err)) != MH_OK)
            return e;
    }
    return MH_OK;
}

mh_err lbe_message_read(mh_txn *t, mh_id message, uint64_t large, apr_pool_t *pool,
                        mh_message **msg_r, mh_error *err)
{
    mh_err e;
    lbe_message m;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK ||
        (e = lbe_message_load(t, message, pool, &m, err)) != MH_OK ||
        (e = load_tree(t, m.msg, large, pool, err)) != MH_OK)
        return e;
    *msg_r = m.msg;
    return MH_OK;
}

static const mh_message *find_path(const mh_message *m, const mh_objref *obj,
                                   const mh_proplist **list_r)
{
    for (uint32_t d = 0; d < obj->depth; d++) {
        const mh_attachment *a = NULL;
        for (uint32_t i = 0; i < m->n_attachments; i++)
            if (m->attachments[i].num == obj->path[d])
                a = &m->attachments[i];
        if (!a)
            return NULL;
        if (d + 1 == obj->depth && obj->attachment) {
            *list_r = &a->props;
            return m;
        }
        if (!a->embedded)
            return NULL;
        m = a->embedded;
    }
    *list_r = &m->props;
    return m;
}

mh_err lbe_value_read(mh_txn *t, const mh_objref *obj, mh_proptag tag, uint64_t offset,
                      void *buf, size_t len, size_t *got_r, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK)
        return e;
    mh_proplist folder_props;
    const mh_proplist *l = NULL;
    if (obj->kind == MH_OBJ_MESSAGE) {
        lbe_message m;
        if ((e = lbe_message_load(t, obj->id, t->pool, &m, err)) != MH_OK)
            return e;
        if (!find_path(m.msg, obj, &l))
            return mh_fail(err, t->pool, MH_E_NOT_FOUND, "no such attachment");
    } else if (obj->kind == MH_OBJ_FOLDER) {
        lbe_folder f;
        if ((e = lbe_folder_load(t, obj->id, t->pool, &f, err)) != MH_OK)
            return e;
        folder_props = f.props;
        l = &folder_props;
    } else {
        if ((e = lbe_mailbox_props_load(t, t->pool, &folder_props, err)) != MH_OK)
            return e;
        l = &folder_props;
    }
    const mh_propval *v = mh_proplist_find(l, tag);
    if (!v)
        return mh_fail(err, t->pool, MH_E_NOT_FOUND, "no value 0x%08x", tag);
    if (v->flags & MH_PV_LARGE)
        return lbe_lval_read(t, v->v.large.ref, v->v.large.size, offset, buf, len, got_r, err);
    const uint8_t *data;
    uint64_t size;
    uint16_t type = MH_TAG_TYPE(tag);
    if (type == PT_UNICODE) {
        data = (const uint8_t *)v->v.str;
        size = strlen(v->v.str);
    } else if (type == PT_BINARY || type == PT_SVREID || type == PT_SRESTRICTION ||
               type == PT_ACTIONS) {
        data = v->v.bin.data;
        size = v->v.bin.len;
    } else {
        return mh_fail(err, t->pool, MH_E_INVALID, "0x%08x is not a string or binary value", tag);
    }
    if (offset > size)
        return mh_fail(err, t->pool, MH_E_INVALID, "offset beyond the value");
    size_t n = size - offset < len ? (size_t)(size - offset) : len;
    memcpy(buf, data + offset, n);
    *got_r = n;
    return MH_OK;
}

/* ------------------------------------------------------------- saving */

typedef struct save_ctx {
    mh_txn *t;
    mh_error *err;
    apr_hash_t *reused; /* value refs the new tree keeps */
} save_ctx;

static void note_reuse(save_ctx *s, uint64_t ref)
{
    uint64_t *k = apr_palloc(s->t->pool, sizeof(*k));
    *k = ref;
    apr_hash_set(s->reused, k, sizeof(*k), k);
}

static int is_stringish(uint16_t type)
{
    return type == PT_UNICODE || type == PT_BINARY || type == PT_SVREID ||
           type == PT_SRESTRICTION || type == PT_ACTIONS;
}

/* Builds the stored form of a property list: large values go to lvals,
 * kept ones come from the old list. */
static mh_err store_list(save_ctx *s, mh_proplist *dst, const mh_proplist *src,
                         const mh_proplist *old)
{
    mh_txn *t = s->t;
    dst->n = 0;
    dst->v = apr_pcalloc(t->pool, sizeof(mh_propval) * (src->n ? src->n : 1));
    for (uint32_t i = 0; i < src->n; i++) {
        const mh_propval *v = &src->v[i];
        mh_propval *o = &dst->v[dst->n];
        uint16_t type = MH_TAG_TYPE(v->tag);
        mh_err e;
        if (mh_proplist_find(dst, v->tag))
            return mh_fail(s->err, t->pool, MH_E_INVALID, "property 0x%08x given twice", v->tag);
        if (!mh_type_storable(type))
            return mh_fail(s->err, t->pool, MH_E_INVALID, "property 0x%08x: type not storable",
                           v->tag);
        if (v->flags & (MH_PV_KEEP | MH_PV_LARGE)) {
            const mh_propval *ov = old ? mh_proplist_find(old, v->tag) : NULL;
            if (!ov || ((v->flags & MH_PV_LARGE) &&
                        (!(ov->flags & MH_PV_LARGE) || ov->v.large.ref != v->v.large.ref)))
                return mh_fail(s->err, t->pool, MH_E_NOT_FOUND,
                               "no stored value 0x%08x to keep", v->tag);
            mh_propval_copy(t->pool, o, ov);
            if (ov->flags & MH_PV_LARGE)
                note_reuse(s, ov->v.large.ref);
        } else if (v->flags & MH_PV_SOURCE) {
            if (!is_stringish(type))
                return mh_fail(s->err, t->pool, MH_E_INVALID,
                               "property 0x%08x: only strings and binaries stream", v->tag);
            mh_id ref;
            if ((e = lbe_lval_write_source(t, v, &ref, s->err)) != MH_OK)
                return e;
            o->tag = v->tag;
            o->flags = MH_PV_LARGE;
            o->v.large.size = v->v.source.size;
            o->v.large.ref = ref;
        } else if (is_stringish(type) && mh_propval_bytes(v) > LBE_INLINE_MAX) {
            if (type == PT_UNICODE && !v->v.str)
                return mh_fail(s->err, t->pool, MH_E_INVALID, "0x%08x: NULL string", v->tag);
            const void *data = type == PT_UNICODE ? (const void *)v->v.str : v->v.bin.data;
            uint64_t size = type == PT_UNICODE ? strlen(v->v.str) : v->v.bin.len;
            mh_id ref;
            if ((e = lbe_lval_write(t, data, size, &ref, s->err)) != MH_OK)
                return e;
            o->tag = v->tag;
            o->flags = MH_PV_LARGE;
            o->v.large.size = size;
            o->v.large.ref = ref;
        } else {
            if (type == PT_UNICODE && !v->v.str)
                return mh_fail(s->err, t->pool, MH_E_INVALID, "0x%08x: NULL string", v->tag);
            mh_propval_copy(t->pool, o, v);
            o->flags = 0;
        }
        dst->n++;
    }
    return MH_OK;
}

static mh_err store_tree(save_ctx *s, mh_message **dst_r, const mh_message *src,
                         const mh_message *old, unsigned depth)
{
    mh_txn *t = s->t;
    mh_err e;
    if (depth > MH_MAX_EMBED_DEPTH)
        return mh_fail(s->err, t->pool, MH_E_INVALID, "embedded messages nest too deep");
    mh_message *d = apr_pcalloc(t->pool, sizeof(*d));
    if ((e = store_list(s, &d->props, &src->props, old ? &old->props : NULL)) != MH_OK)
        return e;
    d->n_recipients = src->n_recipients;
    d->recipients = apr_pcalloc(t->pool, sizeof(mh_proplist) * (src->n_recipients ? src->n_recipients : 1));
    for (uint32_t i = 0; i < src->n_recipients; i++) {
        /* a long value kept is the stored recipient's of the same row ID */
        const mh_propval *rid = mh_proplist_find(&src->recipients[i], PR_ROWID);
        const mh_proplist *orc = NULL;
        for (uint32_t j = 0; rid && old && j < old->n_recipients && !orc; j++) {
            const mh_propval *ov = mh_proplist_find(&old->recipients[j], PR_ROWID);
            if (ov && ov->v.i32 == rid->v.i32)
                orc = &old->recipients[j];
        }
        if ((e = store_list(s, &d->recipients[i], &src->recipients[i], orc)) != MH_OK)
            return e;
    }
    d->n_attachments = src->n_attachments;
    d->attachments = apr_pcalloc(t->pool, sizeof(mh_attachment) * (src->n_attachments ? src->n_attachments : 1));
    for (uint32_t i = 0; i < src->n_attachments; i++) {
        const mh_attachment *sa = &src->attachments[i];
        const mh_attachment *oa = NULL;
        for (uint32_t j = 0; j < i; j++)
            if (src->attachments[j].num == sa->num)
                return mh_fail(s->err, t->pool, MH_E_INVALID, "attachment number %u twice", sa->num);
        for (uint32_t j = 0; old && j < old->n_attachments; j++)
            if (old->attachments[j].num == sa->num)
                oa = &old->attachments[j];
        d->attachments[i].num = sa->num;
        if ((e = store_list(s, &d->attachments[i].props, &sa->props, oa ? &oa->props : NULL)) != MH_OK)
            return e;
        if (sa->embedded &&
            (e = store_tree(s, &d->attachments[i].embedded, sa->embedded,
                            oa ? oa->embedded : NULL, depth + 1)) != MH_OK)
            return e;
    }
    *dst_r = d;
    return MH_OK;
}

int lbe_walk_large(const mh_message *m, int (*fn)(void *, const mh_propval *), void *b)
{
    int rc;
    for (uint32_t i = 0; i < m->props.n; i++)
        if ((m->props.v[i].flags & MH_PV_LARGE) && (rc = fn(b, &m->props.v[i])))
            return rc;
    for (uint32_t r = 0; r < m->n_recipients; r++)
        for (uint32_t i = 0; i < m->recipients[r].n; i++)
            if ((m->recipients[r].v[i].flags & MH_PV_LARGE) && (rc = fn(b, &m->recipients[r].v[i])))
                return rc;
    for (uint32_t a = 0; a < m->n_attachments; a++) {
        for (uint32_t i = 0; i < m->attachments[a].props.n; i++)
            if ((m->attachments[a].props.v[i].flags & MH_PV_LARGE) &&
                (rc = fn(b, &m->attachments[a].props.v[i])))
                return rc;
        if (m->attachments[a].embedded && (rc = lbe_walk_large(m->attachments[a].embedded, fn, b)))
            return rc;
    }
    return 0;
}

typedef struct free_ctx {
    mh_txn *t;
    apr_hash_t *keep; /* may be NULL */
} free_ctx;

static int free_one(void *baton, const mh_propval *v)
{
    free_ctx *f = baton;
    if (f->keep && apr_hash_get(f->keep, &v->v.large.ref, sizeof(uint64_t)))
        return 0;
    return lbe_lval_delete(f->t, v->v.large.ref, v->v.large.size);
}

/* Reads the read state from PR_MESSAGE_FLAGS, sets MSGFLAG_ASSOCIATED for
 * FAI messages, and stores PR_MESSAGE_SIZE. */
static void fix_flags(mh_txn *t, lbe_message *m)
{
    const mh_propval *f = mh_proplist_find(&m->msg->props, PR_MESSAGE_FLAGS);
    int32_t flags = f ? f->v.i32 : 0;
    if (m->fai)
        flags |= MSGFLAG_ASSOCIATED;
    else
        flags &= ~MSGFLAG_ASSOCIATED;
    m->read = (flags & MSGFLAG_READ) != 0;
    mh_propval v = mh_pv_long(PR_MESSAGE_FLAGS, flags);
    mh_proplist_set(t->pool, &m->msg->props, &v);
    /* the size counts the flags value itself and the size value */
    m->size = (uint32_t)(mh_message_bytes(m->msg) + (mh_proplist_find(&m->msg->props, PR_MESSAGE_SIZE) ? 0 : 4));
    v = mh_pv_long(PR_MESSAGE_SIZE, (int32_t)m->size);
    mh_proplist_set(t->pool, &m->msg->props, &v);
}

/* Adds (sign 1) or takes away (-1) a message's weight in folder counts. */
static void weigh(lbe_folder *f, const lbe_message *m, int sign)
{
    if (m->fai) {
        f->fai += (uint32_t)sign;
    } else {
        f->content += (uint32_t)sign;
        if (!m->read)
            f->unread += (uint32_t)sign;
    }
    f->bytes += (uint64_t)(int64_t)sign * m->size;
}

/* Folder `id` without `out`'s weight and with `in`'s (either may be NULL). */
static mh_err reweigh(mh_txn *t, mh_id id, const lbe_message *out, const lbe_message *in,
                      mh_error *err)
{
    lbe_folder f;
    mh_err e = lbe_folder_load(t, id, t->pool, &f, err);
    if (e != MH_OK)
        return e;
    if (out)
        weigh(&f, out, -1);
    if (in)
        weigh(&f, in, 1);
    return lbe_folder_store(t, &f, err);
}

/*
 * Moves a message's weight in folder counts and the mailbox totals from
 * `old` (NULL: none) to `nw` (NULL: none), writing each folder touched once.
 */
static mh_err account(mh_txn *t, const lbe_message *old, const lbe_message *nw, mh_error *err)
{
    mh_err e = MH_OK;
    if (old && nw && old->folder == nw->folder) {
        e = reweigh(t, old->folder, old, nw, err);
    } else {
        if (old)
            e = reweigh(t, old->folder, old, NULL, err);
        if (e == MH_OK && nw)
            e = reweigh(t, nw->folder, NULL, nw, err);
    }
    if (e != MH_OK)
        return e;
    if (old) {
        t->mr.message_count -= 1;
        t->mr.message_bytes -= old->size;
    }
    if (nw) {
        t->mr.message_count += 1;
        t->mr.message_bytes += nw->size;
    }
    t->mr_dirty = 1;
    return MH_OK;
}

static uint8_t change_flags(const lbe_message *m)
{
    return (uint8_t)(m->fai ? MH_CHANGE_FAI : 0);
}

/* Puts a message into its folder's indexes (add) or takes it out. */
static int index_message(mh_txn *t, const lbe_message *m, int add)
{
    lbe_key k;
    contents_key(&k, t, m->folder, m->fai, m->id);
    int rc = add ? lbe_put(t, DBI_CONTENTS, &k, "", 0) : lbe_del(t, DBI_CONTENTS, &k);
    if (!rc)
        rc = lbe_sortidx_update(t, m, add);
    return rc;
}

mh_err lbe_message_save(mh_txn *t, mh_id folder, mh_id message, unsigned flags,
                        const mh_message *msg, const mh_change_in *chg, mh_id *id_r,
                        mh_id *cn_r, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK || (e = lbe_need_write(t, err)) != MH_OK)
        return e;
    if (!msg)
        return mh_fail(err, t->pool, MH_E_INVALID, "no message");
    lbe_message old, m;
    int existing = message != 0;
    memset(&m, 0, sizeof(m));
    if (existing) {
        if ((e = lbe_message_load(t, message, t->pool, &old, err)) != MH_OK)
            return e;
        if (folder && folder != old.folder)
            return mh_fail(err, t->pool, MH_E_INVALID,
                           "message %llu is in another folder (message_move moves)",
                           (unsigned long long)message);
        m.id = message;
        m.folder = old.folder;
        m.fai = old.fai;
        m.read_cn = old.read_cn;
    } else {
        if (lbe_object_kind(t, folder) != LBE_OBJ_FOLDER)
            return mh_fail(err, t->pool, MH_E_NOT_FOUND, "no folder %llu", (unsigned long long)folder);
        if ((e = lbe_new_object_id(t, chg, &m.id, err)) != MH_OK)
            return e;
        m.folder = folder;
        m.fai = (flags & MH_SAVE_FAI) != 0;
    }
    save_ctx s = {t, err, apr_hash_make(t->pool)};
    if ((e = store_tree(&s, &m.msg, msg, existing ? old.msg : NULL, 0)) != MH_OK)
        return e;
    /* an existing message keeps its source key and extends its own PCL */
    if (existing) {
        const mh_proptag keep[] = {PR_SOURCE_KEY, PR_PREDECESSOR_CHANGE_LIST};
        for (int i = 0; i < 2; i++) {
            const mh_propval *ov = mh_proplist_find(&old.msg->props, keep[i]);
            if (ov)
                mh_proplist_set(t->pool, &m.msg->props, ov);
        }
    } else {
        mh_proplist_remove(&m.msg->props, PR_SOURCE_KEY);
        mh_proplist_remove(&m.msg->props, PR_PREDECESSOR_CHANGE_LIST);
    }
    if ((e = lbe_next_id(t, &m.cn, err)) != MH_OK ||
        (e = lbe_stamp_change(t, t->pool, &m.msg->props, m.id, m.cn, !existing, chg, err)) != MH_OK)
        return e;
    fix_flags(t, &m);
    int rc;
    if (existing) {
        /* out with the old version: indexes, change record, values */
        if ((rc = index_message(t, &old, 0)) || (rc = lbe_change_del(t, old.folder, old.cn)))
            return lbe_fail(err, t->pool, rc, "replace a message");
        free_ctx fc = {t, s.reused};
        if ((rc = lbe_walk_large(old.msg, free_one, &fc)))
            return lbe_fail(err, t->pool, rc, "free old values");
    } else {
        const mh_propval *sk = mh_proplist_find(&m.msg->props, PR_SOURCE_KEY);
        if ((rc = lbe_srckey_put(t, &sk->v.bin, LBE_OBJ_MESSAGE, m.id)))
            return lbe_fail(err, t->pool, rc, "index a source key");
    }
    if ((e = account(t, existing ? &old : NULL, &m, err)) != MH_OK)
        return e;
    if ((rc = index_message(t, &m, 1)) ||
        (rc = lbe_change_put(t, m.folder, m.cn, change_flags(&m), m.id)))
        return lbe_fail(err, t->pool, rc, "index a message");
    if ((e = lbe_message_store(t, &m, err)) != MH_OK)
        return e;
    *id_r = m.id;
    *cn_r = m.cn;
    return MH_OK;
}

/* Takes a message out of its folder, leaving a tombstone.  With
 * free_values the large values are deleted too. */
static mh_err remove_message(mh_txn *t, lbe_message *m, int free_values, mh_error *err)
{
    mh_err e;
    mh_id cn;
    if ((e = lbe_next_id(t, &cn, err)) != MH_OK || (e = account(t, m, NULL, err)) != MH_OK)
        return e;
    const mh_propval *sk = mh_proplist_find(&m->msg->props, PR_SOURCE_KEY);
    int rc;
    if ((rc = index_message(t, m, 0)) || (rc = lbe_change_del(t, m->folder, m->cn)) ||
        (m->read_cn && (rc = lbe_change_del(t, m->folder, m->read_cn))) ||
        (rc = lbe_change_put(t, m->folder, cn, (uint8_t)(change_flags(m) | MH_CHANGE_DELETED),
                             m->id)) ||
        (rc = lbe_tombstone_put(t, m->id, change_flags(m), m->folder, cn,
                                sk ? &sk->v.bin : NULL)))
        return lbe_fail(err, t->pool, rc, "delete a message");
    if (free_values) {
        free_ctx fc = {t, NULL};
        if ((rc = lbe_walk_large(m->msg, free_one, &fc)))
            return lbe_fail(err, t->pool, rc, "free values");
    }
    lbe_key k;
    lk_init(&k);
    lk_u32(&k, t->mr.mbx);
    lk_u64(&k, m->id);
    if ((rc = lbe_del(t, DBI_OBJECTS, &k)))
        return lbe_fail(err, t->pool, rc, "delete a message");
    return MH_OK;
}

mh_err lbe_message_delete(mh_txn *t, mh_id message, mh_error *err)
{
    mh_err e;
    lbe_message m;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK || (e = lbe_need_write(t, err)) != MH_OK ||
        (e = lbe_message_load(t, message, t->pool, &m, err)) != MH_OK)
        return e;
    return remove_message(t, &m, 1, err);
}

/* Gives every large value of a tree a copy of its own (a copied message). */
static mh_err copy_values(mh_txn *t, mh_message *m, mh_error *err);

static mh_err copy_list_values(mh_txn *t, mh_proplist *l, mh_error *err)
{
    for (uint32_t i = 0; i < l->n; i++) {
        mh_propval *v = &l->v[i];
        if (!(v->flags & MH_PV_LARGE))
            continue;
        mh_id ref;
        mh_err e = lbe_next_id(t, &ref, err);
        if (e != MH_OK)
            return e;
        uint32_t chunks = (uint32_t)(v->v.large.size / LBE_CHUNK) + 1;
        for (uint32_t c = 0; c < chunks; c++) {
            lbe_key from, to;
            lk_init(&from);
            lk_u32(&from, t->mr.mbx);
            lk_u64(&from, v->v.large.ref);
            lk_u32(&from, c);
            to = from;
            to.n = 4;
            lk_u64(&to, ref);
            lk_u32(&to, c);
            MDB_val fk = lk_val(&from), data;
            int rc = mdb_get(t->txn, lbe_dbi(t, DBI_LVALS), &fk, &data);
            if (rc == MDB_NOTFOUND)
                continue; /* an exact multiple of the chunk size */
            if (rc)
                return lbe_fail(err, t->pool, rc, "copy a value");
            /* the source page may move when we write: copy it out first */
            void *copy = apr_pmemdup(t->pool, data.mv_data, data.mv_size);
            if ((rc = lbe_put(t, DBI_LVALS, &to, copy, data.mv_size)))
                return lbe_fail(err, t->pool, rc, "copy a value");
        }
        v->v.large.ref = ref;
    }
    return MH_OK;
}

static mh_err copy_values(mh_txn *t, mh_message *m, mh_error *err)
{
    mh_err e;
    if ((e = copy_list_values(t, &m->props, err)) != MH_OK)
        return e;
    for (uint32_t i = 0; i < m->n_recipients; i++)
        if ((e = copy_list_values(t, &m->recipients[i], err)) != MH_OK)
            return e;
    for (uint32_t i = 0; i < m->n_attachments; i++) {
        if ((e = copy_list_values(t, &m->attachments[i].props, err)) != MH_OK)
            return e;
        if (m->attachments[i].embedded && (e = copy_values(t, m->attachments[i].embedded, err)) != MH_OK)
            return e;
    }
    return MH_OK;
}

mh_err lbe_message_move(mh_txn *t, mh_id message, mh_id folder, int copy,
                        const mh_change_in *chg, mh_id *id_r, mh_error *err)
{
    mh_err e;
    lbe_message old;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK || (e = lbe_need_write(t, err)) != MH_OK ||
        (e = lbe_message_load(t, message, t->pool, &old, err)) != MH_OK)
        return e;
    if (lbe_object_kind(t, folder) != LBE_OBJ_FOLDER)
        return mh_fail(err, t->pool, MH_E_NOT_FOUND, "no folder %llu", (unsigned long long)folder);
    lbe_message m = old;
    m.msg = mh_message_copy(t->pool, old.msg);
    m.folder = folder;
    m.read_cn = 0;
    if ((e = lbe_new_object_id(t, chg, &m.id, err)) != MH_OK)
        return e;
    if (copy && (e = copy_values(t, m.msg, err)) != MH_OK)
        return e;
    /* the new object starts its own change history */
    mh_proplist_remove(&m.msg->props, PR_SOURCE_KEY);
    mh_proplist_remove(&m.msg->props, PR_PREDECESSOR_CHANGE_LIST);
    if ((e = lbe_next_id(t, &m.cn, err)) != MH_OK ||
        (e = lbe_stamp_change(t, t->pool, &m.msg->props, m.id, m.cn, 1, chg, err)) != MH_OK)
        return e;
    if (!copy && (e = remove_message(t, &old, 0, err)) != MH_OK)
        return e;
    const mh_propval *sk = mh_proplist_find(&m.msg->props, PR_SOURCE_KEY);
    int rc;
    if ((e = account(t, NULL, &m, err)) != MH_OK)
        return e;
    if ((rc = index_message(t, &m, 1)) ||
        (rc = lbe_change_put(t, m.folder, m.cn, change_flags(&m), m.id)) ||
        (rc = lbe_srckey_put(t, &sk->v.bin, LBE_OBJ_MESSAGE, m.id)))
        return lbe_fail(err, t->pool, rc, "move a message");
    if ((e = lbe_message_store(t, &m, err)) != MH_OK)
        return e;
    *id_r = m.id;
    return MH_OK;
}

mh_err lbe_message_set_read(mh_txn *t, mh_id message, int read, mh_id *cn_r, mh_error *err)
{
    mh_err e;
    lbe_message m;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK || (e = lbe_need_write(t, err)) != MH_OK ||
        (e = lbe_message_load(t, message, t->pool, &m, err)) != MH_OK)
        return e;
    *cn_r = 0;
    if ((m.read != 0) == (read != 0))
        return MH_OK;
    int rc;
    if ((rc = lbe_sortidx_update(t, &m, 0)))
        return lbe_fail(err, t->pool, rc, "update a sort index");
    lbe_message before = m;
    const mh_propval *f = mh_proplist_find(&m.msg->props, PR_MESSAGE_FLAGS);
    int32_t flags = f ? f->v.i32 : 0;
    flags = read ? (flags | MSGFLAG_READ) : (flags & ~MSGFLAG_READ);
    mh_propval v = mh_pv_long(PR_MESSAGE_FLAGS, flags);
    mh_proplist_set(t->pool, &m.msg->props, &v);
    m.read = read != 0;
    if ((e = account(t, &before, &m, err)) != MH_OK)
        return e;
    mh_id cn;
    if ((e = lbe_next_id(t, &cn, err)) != MH_OK)
        return e;
    if ((rc = lbe_change_del(t, m.folder, m.read_cn)) ||
        (rc = lbe_change_put(t, m.folder, cn, (uint8_t)(change_flags(&m) | MH_CHANGE_READ), m.id)))
        return lbe_fail(err, t->pool, rc, "record a read-state change");
    m.read_cn = cn; /* (before the index entries: their summaries carry it) */
    if ((rc = lbe_sortidx_update(t, &m, 1)))
        return lbe_fail(err, t->pool, rc, "record a read-state change");
    *cn_r = cn;
    return lbe_message_store(t, &m, err);
}
