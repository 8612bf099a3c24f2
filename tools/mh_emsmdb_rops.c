/*
 * mh_emsmdb_rops.c - the ROPs of the mailbox client whose buffers carry
 * MS-OXCDATA structures (property values and rows, tag arrays, problems,
 * restrictions, sort orders, property names, recipient rows): properties
 * (MS-OXCROPS 2.2.8), tables (2.2.5), recipients and message opening
 * (2.2.6), permissions and rules (2.2.10, 2.2.11).  The structures
 * themselves are mh_oxcdata's, shared with the server.
 */
#include "mh_emsmdb.h"
#include "mh_mapierr.h"
#include "mh_unicode.h"

#include <string.h>

#include <apr_strings.h>

static int done(const mh_rd *rd)
{
    return rd->err ? -1 : 0;
}

/* A PropertyRow as an array of n values (errors as PT_ERROR values). */
static mh_propval *rd_row(mh_rd *rd, const mh_proptag *cols, uint16_t n, uint32_t cp,
                          apr_pool_t *pool)
{
    mh_propval *row = NULL;
    if (mh_rd_proprow(rd, cols, n, cp, pool, &row) < 0 || !row) {
        rd->err = 1;
        return NULL;
    }
    return row;
}

/* n rows of a table response; each row takes at least its flag byte. */
static mh_propval **rd_rows(mh_rd *rd, uint16_t n_rows, const mh_proptag *cols,
                            uint16_t n_cols, uint32_t cp, apr_pool_t *pool)
{
    if (!mh_rd_need(rd, n_rows))
        return NULL;
    mh_propval **rows = apr_pcalloc(pool, (n_rows ? n_rows : 1) * sizeof(*rows));
    for (uint16_t i = 0; i < n_rows && !rd->err; i++)
        rows[i] = rd_row(rd, cols, n_cols, cp, pool);
    return rows;
}

static void wr_tagged_values(mh_wr *w, const mh_propval *vals, uint16_t n, uint32_t cp)
{
    for (uint16_t i = 0; i < n; i++)
        mh_wr_tagged_propval(w, vals[i].tag, &vals[i], cp);
}

/* ========================================= properties (2.2.8) */

void mh_ropc_get_props_specific(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                uint16_t size_limit, int want_unicode, const mh_proptag *tags,
                                uint16_t n)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_GET_PROPS_SPECIFIC, logon_id, in_idx);
    mh_wr_u16(w, size_limit);
    mh_wr_u16(w, want_unicode ? 1 : 0);
    mh_wr_tag_array(w, tags, n);
}

int mh_ropc_get_props_specific_parse(mh_rd *rd, const mh_proptag *tags, uint16_t n,
                                     uint32_t cp, apr_pool_t *pool, mh_ropc_props_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_GET_PROPS_SPECIFIC, &r->h) < 0)
        return -1;
    if (r->h.rv == 0) {
        r->vals = rd_row(rd, tags, n, cp, pool);
        r->n = n;
    }
    return done(rd);
}

void mh_ropc_get_props_all(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                           uint16_t size_limit, int want_unicode)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_GET_PROPS_ALL, logon_id, in_idx);
    mh_wr_u16(w, size_limit);
    mh_wr_u16(w, want_unicode ? 1 : 0);
}

int mh_ropc_get_props_all_parse(mh_rd *rd, uint32_t cp, apr_pool_t *pool, mh_ropc_props_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_GET_PROPS_ALL, &r->h) < 0)
        return -1;
    if (r->h.rv != 0)
        return done(rd);
    uint16_t n = mh_rd_u16(rd);
    /* a TaggedPropertyValue is at least its 4-byte tag */
    if (!mh_rd_need(rd, (size_t)n * 4))
        return -1;
    r->vals = apr_pcalloc(pool, (n ? n : 1) * sizeof(*r->vals));
    for (uint16_t i = 0; i < n && !rd->err; i++)
        if (mh_rd_tagged_propval(rd, cp, pool, &r->vals[i]) < 0)
            rd->err = 1;
    r->n = n;
    return done(rd);
}

void mh_ropc_get_props_list(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx)
{
    mh_ropc_begin(b, MH_ROPID_GET_PROPS_LIST, logon_id, in_idx);
}

int mh_ropc_get_props_list_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_tags_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_GET_PROPS_LIST, &r->h) < 0)
        return -1;
    if (r->h.rv == 0 && mh_rd_tag_array(rd, 0xFFFF, pool, &r->tags, &r->n) < 0)
        rd->err = 1;
    return done(rd);
}

void mh_ropc_set_props(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                       const mh_propval *vals, uint16_t n, uint32_t cp)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_SET_PROPS, logon_id, in_idx);
    /* PropertyValueSize counts PropertyValueCount and PropertyValues
     * (2.2.8.6.1) */
    size_t at = w->len;
    mh_wr_u16(w, 0);
    mh_wr_u16(w, n);
    wr_tagged_values(w, vals, n, cp);
    mh_wr_put_u16_at(w, at, (uint16_t)(w->len - at - 2));
}

static int rd_problems(mh_rd *rd, uint8_t id, apr_pool_t *pool, mh_ropc_problems_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, id, &r->h) < 0)
        return -1;
    if (r->h.rv == 0 && mh_rd_problems(rd, pool, &r->problems, &r->n) < 0)
        rd->err = 1;
    return done(rd);
}

int mh_ropc_set_props_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_problems_r *r)
{
    return rd_problems(rd, MH_ROPID_SET_PROPS, pool, r);
}

void mh_ropc_delete_props(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                          const mh_proptag *tags, uint16_t n)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_DELETE_PROPS, logon_id, in_idx);
    mh_wr_tag_array(w, tags, n);
}

int mh_ropc_delete_props_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_problems_r *r)
{
    return rd_problems(rd, MH_ROPID_DELETE_PROPS, pool, r);
}

void mh_ropc_get_ids_from_names(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                uint8_t flags, const mh_propname *names, uint16_t n)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_GET_IDS_FROM_NAMES, logon_id, in_idx);
    mh_wr_u8(w, flags);
    mh_wr_u16(w, n);
    for (uint16_t i = 0; i < n; i++)
        mh_wr_propname(w, &names[i]);
}

int mh_ropc_get_ids_from_names_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_ids_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_GET_IDS_FROM_NAMES, &r->h) < 0)
        return -1;
    /* the IDs come with ecWarnWithErrors too (unknown names as 0) */
    if (r->h.rv != 0 && r->h.rv != MAPI_W_ERRORS_RETURNED)
        return done(rd);
    uint16_t n = mh_rd_u16(rd);
    if (!mh_rd_need(rd, (size_t)n * 2))
        return -1;
    r->ids = apr_pcalloc(pool, (n ? n : 1) * sizeof(uint16_t));
    for (uint16_t i = 0; i < n; i++)
        r->ids[i] = mh_rd_u16(rd);
    r->n = n;
    return done(rd);
}

void mh_ropc_get_names_from_ids(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                const uint16_t *ids, uint16_t n)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_GET_NAMES_FROM_IDS, logon_id, in_idx);
    mh_wr_u16(w, n);
    for (uint16_t i = 0; i < n; i++)
        mh_wr_u16(w, ids[i]);
}

int mh_ropc_get_names_from_ids_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_names_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_GET_NAMES_FROM_IDS, &r->h) < 0)
        return -1;
    if (r->h.rv != 0 && r->h.rv != MAPI_W_ERRORS_RETURNED)
        return done(rd);
    uint16_t n = mh_rd_u16(rd);
    /* a PropertyName is at least its GUID and Kind */
    if (!mh_rd_need(rd, (size_t)n * 17))
        return -1;
    r->names = apr_pcalloc(pool, (n ? n : 1) * sizeof(*r->names));
    for (uint16_t i = 0; i < n && !rd->err; i++)
        if (mh_rd_propname(rd, pool, &r->names[i]) < 0)
            rd->err = 1;
    r->n = n;
    return done(rd);
}

/* ============================================== tables (2.2.5) */

void mh_ropc_set_columns(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t flags,
                         const mh_proptag *tags, uint16_t n)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_SET_COLUMNS, logon_id, in_idx);
    mh_wr_u8(w, flags);
    mh_wr_tag_array(w, tags, n);
}

void mh_ropc_sort_table(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t flags,
                        const mh_sort_set *sort)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_SORT_TABLE, logon_id, in_idx);
    mh_wr_u8(w, flags);
    mh_wr_sort_set(w, sort);
}

/* RestrictionDataSize u16, RestrictionData (2.2.5.3.1, 2.2.5.13.1). */
static void wr_sized_restriction(mh_wr *w, const mh_restriction *res, uint32_t cp)
{
    size_t at = w->len;
    mh_wr_u16(w, 0);
    if (res)
        mh_wr_restriction(w, res, 2, cp);
    mh_wr_put_u16_at(w, at, (uint16_t)(w->len - at - 2));
}

void mh_ropc_restrict(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t flags,
                      const mh_restriction *res, uint32_t cp)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_RESTRICT, logon_id, in_idx);
    mh_wr_u8(w, flags);
    wr_sized_restriction(w, res, cp);
}

int mh_ropc_query_rows_parse(mh_rd *rd, const mh_proptag *cols, uint16_t n_cols, uint32_t cp,
                             apr_pool_t *pool, mh_ropc_rows_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_QUERY_ROWS, &r->h) < 0)
        return -1;
    if (r->h.rv == 0) {
        r->origin = mh_rd_u8(rd);
        r->n_rows = mh_rd_u16(rd);
        r->rows = rd_rows(rd, r->n_rows, cols, n_cols, cp, pool);
    }
    return done(rd);
}

void mh_ropc_find_row(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t flags,
                      const mh_restriction *res, uint8_t origin, const mh_bin *bookmark,
                      uint32_t cp)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_FIND_ROW, logon_id, in_idx);
    mh_wr_u8(w, flags);
    wr_sized_restriction(w, res, cp);
    mh_wr_u8(w, origin);
    mh_wr_u16(w, bookmark ? (uint16_t)bookmark->len : 0);
    if (bookmark)
        mh_wr_bytes(w, bookmark->data, bookmark->len);
}

int mh_ropc_find_row_parse(mh_rd *rd, const mh_proptag *cols, uint16_t n_cols, uint32_t cp,
                           apr_pool_t *pool, mh_ropc_find_row_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_FIND_ROW, &r->h) < 0)
        return -1;
    if (r->h.rv == 0) {
        r->row_no_longer_visible = mh_rd_u8(rd);
        r->has_row = mh_rd_u8(rd);
        if (r->has_row)
            r->row = rd_row(rd, cols, n_cols, cp, pool);
    }
    return done(rd);
}

int mh_ropc_expand_row_parse(mh_rd *rd, const mh_proptag *cols, uint16_t n_cols, uint32_t cp,
                             apr_pool_t *pool, mh_ropc_expand_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_EXPAND_ROW, &r->h) < 0)
        return -1;
    if (r->h.rv == 0) {
        r->expanded_count = mh_rd_u32(rd);
        r->n_rows = mh_rd_u16(rd);
        r->rows = rd_rows(rd, r->n_rows, cols, n_cols, cp, pool);
    }
    return done(rd);
}

/* ================================================ recipients (2.2.6) */

/* A string of a RecipientRow: UTF-16 with the U flag, else 8-bit. */
static const char *rd_rstring(mh_rd *rd, int unicode, uint32_t cp, apr_pool_t *pool)
{
    if (unicode)
        return mh_rd_utf16z(rd, 0x8000, pool);
    const char *s = mh_rd_asciiz(rd, 0x8000, pool);
    return s ? mh_cp_to_utf8(cp, s, strlen(s), pool) : NULL;
}

static void rd_sized_bin(mh_rd *rd, apr_pool_t *pool, mh_bin *bin)
{
    uint16_t n = mh_rd_u16(rd);
    const unsigned char *p = mh_rd_bytes(rd, n);
    if (p) {
        bin->len = n;
        bin->data = apr_pmemdup(pool, p, n ? n : 1);
    }
}

int mh_rd_recipient_row(mh_rd *rd, const mh_proptag *cols, uint16_t n_cols, uint32_t cp,
                        apr_pool_t *pool, mh_recipient *r)
{
    /* MS-OXCDATA 2.8.3.2: the RecipientFlags say which fields follow */
    r->flags = mh_rd_u16(rd);
    uint16_t type = r->flags & MH_RF_TYPE_MASK;
    int u = (r->flags & MH_RF_U) != 0;
    if (type == MH_RF_TYPE_X500DN) {
        r->address_prefix_used = mh_rd_u8(rd);
        r->display_type = mh_rd_u8(rd);
        r->x500_dn = mh_rd_asciiz(rd, 0x8000, pool);
    }
    if (type == MH_RF_TYPE_PDL1 || type == MH_RF_TYPE_PDL2) {
        rd_sized_bin(rd, pool, &r->entry_id);
        rd_sized_bin(rd, pool, &r->search_key);
    }
    if (type == MH_RF_TYPE_NONE && (r->flags & MH_RF_O))
        r->address_type = rd_rstring(rd, u, cp, pool);
    if (r->flags & MH_RF_E)
        r->email = rd_rstring(rd, u, cp, pool);
    if (r->flags & MH_RF_D)
        r->display_name = rd_rstring(rd, u, cp, pool);
    if (r->flags & MH_RF_I)
        r->simple_display_name = rd_rstring(rd, u, cp, pool);
    if (r->flags & MH_RF_T)
        r->transmittable_name = rd_rstring(rd, u, cp, pool);
    r->n_cols = mh_rd_u16(rd);
    if (rd->err || r->n_cols > n_cols) {
        rd->err = 1;
        return -1;
    }
    r->vals = rd_row(rd, cols, r->n_cols, cp, pool);
    return done(rd);
}

static void wr_rstring(mh_wr *w, const char *s)
{
    mh_wr_utf16z(w, s);
}

void mh_wr_recipient_row(mh_wr *wr, const mh_recipient *r, const mh_proptag *cols,
                         uint32_t cp)
{
    uint16_t type = r->flags & MH_RF_TYPE_MASK;
    uint16_t flags = (uint16_t)(type | (r->flags & MH_RF_N) | MH_RF_U);
    if (type == MH_RF_TYPE_NONE && r->address_type)
        flags |= MH_RF_O;
    if (r->email)
        flags |= MH_RF_E;
    if (r->display_name)
        flags |= MH_RF_D;
    if (r->simple_display_name)
        flags |= MH_RF_I;
    if (r->transmittable_name)
        flags |= MH_RF_T;
    else if (r->flags & MH_RF_S)
        flags |= MH_RF_S;
    mh_wr_u16(wr, flags);
    if (type == MH_RF_TYPE_X500DN) {
        mh_wr_u8(wr, r->address_prefix_used);
        mh_wr_u8(wr, r->display_type);
        mh_wr_asciiz(wr, r->x500_dn ? r->x500_dn : "");
    }
    if (type == MH_RF_TYPE_PDL1 || type == MH_RF_TYPE_PDL2) {
        mh_wr_u16(wr, (uint16_t)r->entry_id.len);
        mh_wr_bytes(wr, r->entry_id.data, r->entry_id.len);
        mh_wr_u16(wr, (uint16_t)r->search_key.len);
        mh_wr_bytes(wr, r->search_key.data, r->search_key.len);
    }
    if (flags & MH_RF_O)
        wr_rstring(wr, r->address_type);
    if (r->email)
        wr_rstring(wr, r->email);
    if (r->display_name)
        wr_rstring(wr, r->display_name);
    if (r->simple_display_name)
        wr_rstring(wr, r->simple_display_name);
    if (r->transmittable_name)
        wr_rstring(wr, r->transmittable_name);
    mh_wr_u16(wr, r->n_cols);
    const mh_propval **ptrs = apr_pcalloc(wr->pool, (r->n_cols + 1u) * sizeof(*ptrs));
    for (uint16_t i = 0; i < r->n_cols; i++)
        ptrs[i] = &r->vals[i];
    mh_wr_proprow(wr, cols, r->n_cols, ptrs, cp);
}

void mh_ropc_modify_recipients(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                               const mh_proptag *cols, uint16_t n_cols,
                               const mh_modify_recipient *rows, uint16_t n_rows, uint32_t cp)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_MODIFY_RECIPIENTS, logon_id, in_idx);
    mh_wr_tag_array(w, cols, n_cols);
    mh_wr_u16(w, n_rows);
    for (uint16_t i = 0; i < n_rows; i++) {
        /* ModifyRecipientRow (2.2.6.5.1.1): RowId, RecipientType,
         * RecipientRowSize, RecipientRow; size 0 removes the row */
        mh_wr_u32(w, rows[i].row_id);
        mh_wr_u8(w, rows[i].recipient_type);
        size_t at = w->len;
        mh_wr_u16(w, 0);
        if (rows[i].row)
            mh_wr_recipient_row(w, rows[i].row, cols, cp);
        mh_wr_put_u16_at(w, at, (uint16_t)(w->len - at - 2));
    }
}

/* RecipientRowSize and the RecipientRow it sizes, which fills it exactly. */
static void rd_sized_recipient(mh_rd *rd, const mh_proptag *cols, uint16_t n_cols,
                               uint32_t cp, apr_pool_t *pool, mh_recipient *r)
{
    uint16_t size = mh_rd_u16(rd);
    const unsigned char *p = mh_rd_bytes(rd, size);
    if (!p)
        return;
    mh_rd sub;
    mh_rd_init(&sub, p, size);
    mh_rd_recipient_row(&sub, cols, n_cols, cp, pool, r);
    mh_rd_expect_end(&sub);
    if (sub.err)
        rd->err = 1;
}

/* The message fields OpenMessage and OpenEmbeddedMessage share. */
static const char *rd_typed_string(mh_rd *rd, uint32_t cp, apr_pool_t *pool)
{
    /* TypedString (MS-OXCROPS 2.2.6.1.2.1) */
    uint8_t type = mh_rd_u8(rd);
    switch (type) {
    case 0x00:
        return NULL;
    case 0x01:
        return "";
    case 0x02: {
        const char *s = mh_rd_asciiz(rd, 0x8000, pool);
        return s ? mh_cp_to_utf8(cp, s, strlen(s), pool) : NULL;
    }
    case 0x03: {
        /* "reduced Unicode": the low bytes of UTF-16 code units, i.e.
         * Latin-1 */
        const char *s = mh_rd_asciiz(rd, 0x8000, pool);
        return s ? mh_cp_to_utf8(28591, s, strlen(s), pool) : NULL;
    }
    case 0x04:
        return mh_rd_utf16z(rd, 0x8000, pool);
    default:
        rd->err = 1;
        return NULL;
    }
}

static int rd_message_fields(mh_rd *rd, uint32_t cp, apr_pool_t *pool,
                             mh_ropc_open_message_r *r)
{
    r->has_named_props = mh_rd_u8(rd);
    r->subject_prefix = rd_typed_string(rd, cp, pool);
    r->normalized_subject = rd_typed_string(rd, cp, pool);
    r->recipient_count = mh_rd_u16(rd);
    if (mh_rd_tag_array(rd, 0xFFFF, pool, &r->cols, &r->n_cols) < 0)
        rd->err = 1;
    r->n_rows = mh_rd_u8(rd);
    /* an OpenRecipientRow takes at least 9 bytes */
    if (!mh_rd_need(rd, (size_t)r->n_rows * 9))
        return -1;
    r->rows = apr_pcalloc(pool, (r->n_rows ? r->n_rows : 1u) * sizeof(*r->rows));
    for (uint8_t i = 0; i < r->n_rows && !rd->err; i++) {
        /* OpenRecipientRow (2.2.6.1.2.2) */
        mh_recipient *row = &r->rows[i];
        row->recipient_type = mh_rd_u8(rd);
        row->code_page = mh_rd_u16(rd);
        mh_rd_u16(rd); /* Reserved */
        rd_sized_recipient(rd, r->cols, r->n_cols, cp, pool, row);
    }
    return done(rd);
}

int mh_ropc_open_message_parse(mh_rd *rd, uint32_t cp, apr_pool_t *pool,
                               mh_ropc_open_message_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_OPEN_MESSAGE, &r->h) < 0)
        return -1;
    if (r->h.rv == 0)
        rd_message_fields(rd, cp, pool, r);
    return done(rd);
}

int mh_ropc_open_embedded_message_parse(mh_rd *rd, uint32_t cp, apr_pool_t *pool,
                                        mh_ropc_open_message_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_OPEN_EMBEDDED_MESSAGE, &r->h) < 0)
        return -1;
    if (r->h.rv == 0) {
        r->reserved = mh_rd_u8(rd);
        r->message_id = mh_rd_u64(rd);
        rd_message_fields(rd, cp, pool, r);
    }
    return done(rd);
}

int mh_ropc_read_recipients_parse(mh_rd *rd, const mh_proptag *cols, uint16_t n_cols,
                                  uint32_t cp, apr_pool_t *pool, mh_ropc_read_recipients_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_READ_RECIPIENTS, &r->h) < 0)
        return -1;
    if (r->h.rv != 0)
        return done(rd);
    r->n_rows = mh_rd_u8(rd);
    /* a ReadRecipientRow takes at least 13 bytes */
    if (!mh_rd_need(rd, (size_t)r->n_rows * 13))
        return -1;
    r->rows = apr_pcalloc(pool, (r->n_rows ? r->n_rows : 1u) * sizeof(*r->rows));
    for (uint8_t i = 0; i < r->n_rows && !rd->err; i++) {
        /* ReadRecipientRow (2.2.6.6.2.1) */
        mh_recipient *row = &r->rows[i];
        row->row_id = mh_rd_u32(rd);
        row->recipient_type = mh_rd_u8(rd);
        row->code_page = mh_rd_u16(rd);
        mh_rd_u16(rd); /* Reserved */
        rd_sized_recipient(rd, cols, n_cols, cp, pool, row);
    }
    return done(rd);
}

/* ==================================== permissions, rules (2.2.10, 2.2.11) */

static void modify_rows(mh_rop_batch *b, uint8_t id, uint8_t logon_id, uint8_t in_idx,
                        uint8_t flags, const mh_modify_row *rows, uint16_t n, uint32_t cp)
{
    mh_wr *w = mh_ropc_begin(b, id, logon_id, in_idx);
    mh_wr_u8(w, flags);
    mh_wr_u16(w, n);
    for (uint16_t i = 0; i < n; i++) {
        /* PermissionData (MS-OXCPERM 2.2.1.1) / RuleData (MS-OXORULE
         * 2.2.1.3.1): flags, PropertyValueCount, TaggedPropertyValues */
        mh_wr_u8(w, rows[i].flags);
        mh_wr_u16(w, rows[i].n);
        wr_tagged_values(w, rows[i].vals, rows[i].n, cp);
    }
}

void mh_ropc_modify_permissions(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                uint8_t flags, const mh_modify_row *rows, uint16_t n,
                                uint32_t cp)
{
    modify_rows(b, MH_ROPID_MODIFY_PERMISSIONS, logon_id, in_idx, flags, rows, n, cp);
}

void mh_ropc_modify_rules(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t flags,
                          const mh_modify_row *rows, uint16_t n, uint32_t cp)
{
    modify_rows(b, MH_ROPID_MODIFY_RULES, logon_id, in_idx, flags, rows, n, cp);
}
