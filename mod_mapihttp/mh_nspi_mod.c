/*
 * mh_nspi_mod.c - NspiModLinkAtt and NspiModProps (see mh_nspi_mod.h;
 * MS-OXNSPI 3.1.4.1.14-15): checks and changes in one writing
 * transaction, through the backend's directory calls.
 */
#include "mh_nspi_mod.h"
#include "mh_log.h"
#include "mh_nspi_gal.h"
#include "mh_oxcdata.h"

#include <string.h>
#include <apr_strings.h>

/* The transaction a change runs in, and the address book read through it. */
typedef struct modtx {
    const mh_nspi_ctx *cx;
    mh_betxn *t;        /* NULL: no backend */
    mh_gal *g;
    int writable;       /* the backend can write its directory */
    const char *call;   /* for the log */
} modtx;

static uint32_t mod_begin(const mh_nspi_ctx *cx, const char *call, modtx *m)
{
    memset(m, 0, sizeof(*m));
    m->cx = cx;
    m->call = call;
    m->writable = cx->be && (cx->be->be->capabilities & MH_BCAP_DIRECTORY_WRITE);
    if (cx->be) {
        mh_error err = {MH_OK, NULL};
        if (mh_be_begin(cx->be, NULL, m->writable ? MH_TXN_WRITE : MH_TXN_READ, cx->pool, &m->t,
                        &err) != MH_OK)
            return MH_NSPI_GENERAL_FAILURE; /* logged by the wrapper when it matters */
    }
    mh_gal_cfg cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.organization = cx->organization;
    cfg.legacy_dn_scheme = cx->legacy_dn_scheme;
    cfg.server_guid = cx->server_guid;
    return mh_gal_open_txn(m->t, &cfg, cx->pool, &m->g);
}

/* Ends the transaction: commits a successful change, else aborts. */
static uint32_t mod_end(modtx *m, uint32_t ec, int changed)
{
    mh_gal_close(m->g);
    if (!m->t)
        return ec;
    if (ec != MH_NSPI_SUCCESS || !changed) {
        mh_be_abort(m->t);
        return ec;
    }
    mh_error err = {MH_OK, NULL};
    mh_err r = mh_be_commit(m->t, &err);
    if (r != MH_OK) {
        mh_log(MH_LOG_WARNING, MHLOGNO(01901) "%s by %s: the directory change failed: %s (%s)",
               m->call, m->cx->user, mh_err_name(r), err.detail ? err.detail : "");
        return MH_NSPI_ACCESS_DENIED; /* "unable to apply the modifications" */
    }
    return MH_NSPI_SUCCESS;
}

/* A refusal: the log says why, the client gets `ec`. */
static uint32_t refuse(const modtx *m, uint32_t ec, const char *why)
{
    mh_log(MH_LOG_INFO, MHLOGNO(01902) "%s by %s refused (0x%08X): %s", m->call, m->cx->user,
           ec, why);
    return ec;
}

/* A directory call that failed before the commit. */
static uint32_t write_failed(const modtx *m, mh_err r, const mh_error *err)
{
    mh_log(MH_LOG_WARNING, MHLOGNO(01904) "%s by %s: a directory call failed: %s (%s)",
           m->call, m->cx->user, mh_err_name(r), err->detail ? err->detail : "");
    return MH_NSPI_ACCESS_DENIED;
}

/* The user the request runs as, in the address book. */
static const mh_gal_obj *caller(const modtx *m)
{
    const mh_gal_obj *me = mh_gal_find_login(m->g, m->cx->user);
    return me && me->e && me->e->type == MH_DIR_USER ? me : NULL;
}

/* `in` without the properties of ids[0..n), then `add`. */
static void props_replace(apr_pool_t *pool, const mh_proplist *in, const uint16_t *ids,
                          uint32_t n, const mh_propval *add, uint32_t n_add, mh_proplist *out)
{
    out->v = apr_palloc(pool, sizeof(mh_propval) * (in->n + n_add + 1));
    out->n = 0;
    for (uint32_t i = 0; i < in->n; i++) {
        uint32_t k = 0;
        while (k < n && ids[k] != MH_TAG_ID(in->v[i].tag))
            k++;
        if (k == n)
            out->v[out->n++] = in->v[i];
    }
    for (uint32_t i = 0; i < n_add; i++)
        out->v[out->n++] = add[i];
}

/* Replaces an entry's properties whole (dir_put keeps the password). */
static mh_err put_props(modtx *m, const mh_dir_entry *e, const mh_proplist *props,
                        mh_error *err)
{
    mh_dir_entry ne = *e;
    ne.props = *props;
    uint32_t id = 0;
    return mh_be_dir_put(m->t, &ne, NULL, &id, err);
}

/* ----------------------------------------------------------- ModLinkAtt */

static int contains(const uint32_t *ids, uint32_t n, uint32_t id)
{
    for (uint32_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

static uint32_t modlinkatt(modtx *m, const mh_nspi_modlinkatt_req *req, int *changed_r)
{
    const mh_nspi_ctx *cx = m->cx;
    uint16_t id = MH_TAG_ID(req->tag);
    int members = id == MH_TAG_ID(PR_EMS_AB_MEMBER);
    int delegates = id == MH_TAG_ID(PR_EMS_AB_PUBLIC_DELEGATES);
    /* constraint 4 */
    const mh_gal_obj *o = mh_gal_get(m->g, req->mid);
    if (!o)
        return MH_NSPI_INVALID_PARAMETER;
    if (!req->has_entry_ids)
        return MH_NSPI_INVALID_PARAMETER; /* lpEntryIds is not optional */
    const char *what = o->e ? o->e->display_name : o->c->name;
    /* constraint 5: this protocol changes these two, on these types */
    if (!members && !delegates)
        return refuse(m, MH_NSPI_ACCESS_DENIED,
                      apr_psprintf(cx->pool, "property 0x%04X of %s cannot be changed", id, what));
    if ((members && (!o->e || o->e->type != MH_DIR_GROUP)) ||
        (delegates && (!o->e || o->e->type != MH_DIR_USER)))
        return refuse(m, MH_NSPI_ACCESS_DENIED,
                      apr_psprintf(cx->pool, "%s of %s: not for its display type",
                                   members ? "members" : "delegates", what));
    /* rights: one's own delegates; the members of a list one owns */
    const mh_gal_obj *me = caller(m);
    if (!me || (delegates && me->e->id != o->e->id))
        return refuse(m, MH_NSPI_ACCESS_DENIED,
                      delegates ? apr_psprintf(cx->pool, "the delegates of %s are not the "
                                                         "caller's", what)
                                : "the caller is not in the directory");
    if (members && mh_gal_dir_owner(o->e) != me->e->id)
        return refuse(m, MH_NSPI_ACCESS_DENIED,
                      apr_psprintf(cx->pool, "the caller does not own the list %s", what));
    if (!m->writable)
        return refuse(m, MH_NSPI_ACCESS_DENIED, "the backend's directory is read-only");

    /* the values now */
    mh_error err = {MH_OK, NULL};
    const uint32_t *cur = NULL;
    uint32_t n_cur = 0;
    if (members) {
        uint32_t *ids = NULL;
        mh_err r = mh_be_dir_members(m->t, o->e->id, &ids, &n_cur, &err);
        if (r != MH_OK)
            return write_failed(m, r, &err);
        cur = ids;
    } else {
        mh_gal_dir_delegates(o->e, &cur, &n_cur);
    }
    uint32_t limit = members ? MH_NSPI_ARRAY_MAX : MH_NSPI_DELEGATES_MAX;
    uint32_t cap = n_cur + req->entry_ids.n;
    uint32_t *next = apr_palloc(cx->pool, sizeof(uint32_t) * (cap ? cap : 1));
    uint32_t n = 0, added = 0, removed = 0;
    for (uint32_t i = 0; i < n_cur; i++) {
        const mh_gal_obj *v = mh_gal_get(m->g, mh_gal_mid_of(cur[i]));
        if (v && v->e)
            next[n++] = cur[i];
        else
            removed++; /* deleted from the directory since: dropped now */
    }
    int del = (req->flags & MH_NSPI_FDELETE) != 0;
    for (uint32_t i = 0; i < req->entry_ids.n; i++) {
        const mh_gal_obj *v = mh_gal_find_entryid(m->g, &req->entry_ids.b[i]);
        if (del) {
            /* constraint 6: values not present are ignored */
            for (uint32_t k = 0; v && k < n; k++)
                if (next[k] == v->e->id) {
                    memmove(next + k, next + k + 1, sizeof(uint32_t) * (n - k - 1));
                    n--;
                    removed++;
                    break;
                }
            continue;
        }
        if (!v)
            return refuse(m, MH_NSPI_ACCESS_DENIED,
                          apr_psprintf(cx->pool, "entry ID %u names no entry", i));
        if (members && v->e->id == o->e->id)
            return refuse(m, MH_NSPI_ACCESS_DENIED, "a list cannot be its own member");
        if (delegates && v->e->type != MH_DIR_USER)
            return refuse(m, MH_NSPI_ACCESS_DENIED,
                          apr_psprintf(cx->pool, "%s is not a user", v->e->display_name));
        if (contains(next, n, v->e->id))
            continue; /* constraint 7: values present are ignored */
        if (n >= limit)
            return refuse(m, MH_NSPI_ACCESS_DENIED,
                          apr_psprintf(cx->pool, "more than %u values", limit));
        next[n++] = v->e->id;
        added++;
    }
    if (!added && !removed)
        return MH_NSPI_SUCCESS; /* nothing to write */

    mh_err r;
    if (members) {
        r = mh_be_dir_set_members(m->t, o->e->id, next, n, &err);
    } else {
        uint16_t ids[] = {MH_TAG_ID(MH_DIR_LINK_DELEGATES)};
        mh_propval v;
        memset(&v, 0, sizeof(v));
        v.tag = MH_DIR_LINK_DELEGATES;
        v.v.mv.n = n;
        v.v.mv.v = next;
        mh_proplist props;
        props_replace(cx->pool, &o->e->props, ids, 1, &v, n ? 1 : 0, &props);
        r = put_props(m, o->e, &props, &err);
    }
    if (r != MH_OK)
        return write_failed(m, r, &err);
    *changed_r = 1;
    mh_log(MH_LOG_INFO, MHLOGNO(01903) "ModLinkAtt by %s: %s of %s: %u added, %u removed, %u now",
           cx->user, members ? "members" : "delegates", what, added, removed, n);
    return MH_NSPI_SUCCESS;
}

void mh_nspi_modlinkatt(const mh_nspi_ctx *cx, const mh_nspi_modlinkatt_req *req,
                        mh_nspi_modlinkatt_resp *resp)
{
    /* constraint 3: a property the address book knows at all */
    mh_nspi_tags known;
    mh_gal_all_tags(1, cx->pool, &known);
    uint32_t k = 0;
    while (k < known.n && MH_TAG_ID(known.tags[k]) != MH_TAG_ID(req->tag))
        k++;
    if (k == known.n) {
        resp->error_code = MH_NSPI_NOT_FOUND;
        return;
    }
    modtx m;
    uint32_t ec = mod_begin(cx, "ModLinkAtt", &m);
    int changed = 0;
    if (!ec)
        ec = modlinkatt(&m, req, &changed);
    resp->error_code = mod_end(&m, ec, changed);
}

/* ------------------------------------------------------------ ModProps */

static int is_cert(uint16_t id)
{
    return id == MH_TAG_ID(PR_USER_X509_CERTIFICATE) || id == MH_TAG_ID(PR_EMS_AB_X509_CERT);
}

static uint32_t modprops(modtx *m, const mh_nspi_modprops_req *req, int *changed_r)
{
    const mh_nspi_ctx *cx = m->cx;
    /* constraints 6-7 */
    const mh_gal_obj *o = mh_gal_get(m->g, req->state.current_rec);
    if (!o)
        return MH_NSPI_INVALID_PARAMETER;
    const char *what = o->e ? o->e->display_name : o->c->name;
    if (!o->e || o->e->type != MH_DIR_USER)
        return refuse(m, MH_NSPI_INVALID_OBJECT,
                      apr_psprintf(cx->pool, "%s is not a user", what));
    const mh_gal_obj *me = caller(m);
    if (!me || me->e->id != o->e->id)
        return refuse(m, MH_NSPI_ACCESS_DENIED,
                      apr_psprintf(cx->pool, "%s is not the caller's entry", what));
    /* only the certificates, as PtypMultipleBinary */
    uint32_t n_values = req->has_values ? req->values.n : 0;
    uint16_t *ids = apr_palloc(cx->pool, sizeof(uint16_t) * (req->tags.n + n_values + 1));
    uint32_t n_ids = 0;
    for (uint32_t i = 0; i < req->tags.n; i++) {
        if (!is_cert(MH_TAG_ID(req->tags.tags[i])))
            return refuse(m, MH_NSPI_ACCESS_DENIED,
                          apr_psprintf(cx->pool, "property 0x%08X cannot be changed",
                                       req->tags.tags[i]));
        ids[n_ids++] = MH_TAG_ID(req->tags.tags[i]);
    }
    mh_propval *add = apr_palloc(cx->pool, sizeof(mh_propval) * (n_values + 1));
    uint32_t n_add = 0, values = 0;
    for (uint32_t i = 0; i < n_values; i++) {
        const mh_propval *v = &req->values.v[i];
        uint16_t id = MH_TAG_ID(v->tag);
        if (!is_cert(id) || MH_TAG_TYPE(v->tag) != PT_MV_BINARY)
            return refuse(m, MH_NSPI_ACCESS_DENIED,
                          apr_psprintf(cx->pool, "property 0x%08X cannot be changed", v->tag));
        for (uint32_t k = 0; k < n_add; k++)
            if (MH_TAG_ID(add[k].tag) == id)
                return refuse(m, MH_NSPI_ACCESS_DENIED, "a property given twice");
        ids[n_ids++] = id;
        const mh_bin *b = v->v.mv.v;
        uint32_t n = b ? v->v.mv.n : 0;
        if (n > MH_NSPI_CERTS_MAX)
            return refuse(m, MH_NSPI_ACCESS_DENIED,
                          apr_psprintf(cx->pool, "more than %u certificates", MH_NSPI_CERTS_MAX));
        for (uint32_t k = 0; k < n; k++)
            if (!b[k].data || b[k].len == 0 || b[k].len > MH_NSPI_CERT_BYTES_MAX)
                return refuse(m, MH_NSPI_ACCESS_DENIED,
                              apr_psprintf(cx->pool, "a certificate of %u bytes", b[k].len));
        if (n) /* constraint 10: the row's values replace the old ones */
            add[n_add++] = *v;
        values += n;
    }
    if (!m->writable)
        return refuse(m, MH_NSPI_ACCESS_DENIED, "the backend's directory is read-only");
    if (!n_ids)
        return MH_NSPI_SUCCESS; /* nothing to change */
    /* constraints 8-9: the properties of both lists go first */
    mh_proplist props;
    props_replace(cx->pool, &o->e->props, ids, n_ids, add, n_add, &props);
    mh_error err = {MH_OK, NULL};
    mh_err r = put_props(m, o->e, &props, &err);
    if (r != MH_OK)
        return write_failed(m, r, &err);
    *changed_r = 1;
    mh_log(MH_LOG_INFO, MHLOGNO(01905) "ModProps by %s: %u certificate propert%s of %s "
           "replaced, %u values now", cx->user, n_ids, n_ids == 1 ? "y" : "ies", what, values);
    return MH_NSPI_SUCCESS;
}

void mh_nspi_modprops(const mh_nspi_ctx *cx, const mh_nspi_modprops_req *req,
                      mh_nspi_modprops_resp *resp)
{
    /* Reserved is ignored (constraint 4) */
    uint32_t ec = MH_NSPI_SUCCESS;
    if (!req->has_state)
        ec = MH_NSPI_INVALID_PARAMETER;
    else if (!mh_cp_supported(req->state.code_page))
        ec = MH_NSPI_INVALID_CODEPAGE; /* constraint 1 leaves it open: a clear one */
    else if (!req->has_tags)
        ec = MH_NSPI_INVALID_PARAMETER; /* constraint 5 */
    if (ec) {
        resp->error_code = ec;
        return;
    }
    modtx m;
    ec = mod_begin(cx, "ModProps", &m);
    int changed = 0;
    if (!ec)
        ec = modprops(&m, req, &changed);
    resp->error_code = mod_end(&m, ec, changed);
}
