/*
 * mh_nspi.c - the NSPI request handlers (see mh_nspi.h; MS-OXNSPI
 * 3.1.4.1.x, the sections named at each function).
 */
#include "mh_nspi.h"
#include "mh_autodiscover.h"
#include "mh_log.h"
#include "mh_mapierr.h"
#include "mh_nspi_gal.h"
#include "mh_oxcdata.h"

#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include <apr_tables.h>

static uint32_t open_gal(const mh_nspi_ctx *cx, mh_gal **g_r)
{
    mh_gal_cfg cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.organization = cx->organization;
    cfg.server_guid = cx->server_guid;
    if (cx->base_url) {
        const char *h = strstr(cx->base_url, "://");
        h = h ? h + 3 : cx->base_url;
        cfg.host = apr_pstrmemdup(cx->pool, h, strcspn(h, ":/]"));
    }
    return mh_gal_open(cx->be, &cfg, cx->pool, g_r);
}

static int is_string(uint16_t t)
{
    return t == PT_STRING8 || t == PT_UNICODE || t == PT_MV_STRING8 || t == PT_MV_UNICODE;
}

static mh_propval *error_value(apr_pool_t *pool, mh_proptag tag, uint32_t err)
{
    mh_propval *v = apr_pcalloc(pool, sizeof(*v));
    v->tag = MH_TAG(MH_TAG_ID(tag), PT_ERROR);
    v->v.err = err;
    return v;
}

static unsigned eid_flags(uint32_t flags)
{
    return (flags & MH_NSPI_FEPHID) ? MH_GAL_EPHEMERAL : 0;
}

/* NspiDNToMId (3.1.4.1.13) */
static void do_dntomid(const mh_nspi_ctx *cx, mh_gal *g,
                       const mh_nspi_dntomid_req *req, mh_nspi_dntomid_resp *resp)
{
    uint32_t n = req->has_names ? req->names.n : 0;
    uint32_t *mids = apr_pcalloc(cx->pool, sizeof(uint32_t) * (n ? n : 1));
    for (uint32_t i = 0; i < n; i++) {
        const mh_gal_obj *o = mh_gal_find_dn(g, req->names.s[i]);
        mids[i] = o ? o->mid : 0; /* constraint 3: unknown DNs map to 0 */
    }
    resp->error_code = MH_NSPI_SUCCESS;
    resp->has_mids = 1;
    resp->mids.n = n;
    resp->mids.ids = mids;
}

/* ---------------------------------------------------------- properties */

/* NspiGetPropList (3.1.4.1.6) */
static uint32_t prop_list(mh_gal *g, uint32_t flags, uint32_t mid, apr_pool_t *pool,
                          mh_nspi_tags *out)
{
    const mh_gal_obj *o = mh_gal_get(g, mid);
    if (!o)
        return MH_NSPI_NOT_FOUND;
    mh_gal_tags(g, o, (flags & MH_NSPI_FSKIPOBJECTS) != 0, pool, out);
    return MH_NSPI_SUCCESS;
}

static void do_getproplist(const mh_nspi_ctx *cx, mh_gal *g,
                           const mh_nspi_getproplist_req *req, mh_nspi_getproplist_resp *resp)
{
    uint32_t ec = MH_NSPI_SUCCESS;
    if (!ec)
        ec = prop_list(g, req->flags, req->mid, cx->pool, &resp->tags);
    resp->error_code = ec;
    resp->has_tags = ec == MH_NSPI_SUCCESS;
}

/* NspiGetProps (3.1.4.1.7) */
static void do_getprops(const mh_nspi_ctx *cx, mh_gal *g,
                        const mh_nspi_getprops_req *req, mh_nspi_getprops_resp *resp)
{
    const mh_stat *st = &req->state;
    uint32_t ec = req->has_state ? MH_NSPI_SUCCESS : MH_NSPI_INVALID_PARAMETER;
    if (!ec && st->code_page == MH_NSPI_CP_WINUNICODE) {
        /* constraint 1: 8-bit strings asked for in the Unicode code page */
        int string8 = !req->has_tags;
        for (uint32_t i = 0; req->has_tags && i < req->tags.n; i++) {
            uint16_t ty = MH_TAG_TYPE(req->tags.tags[i]);
            if (ty == PT_STRING8 || ty == PT_MV_STRING8)
                string8 = 1;
        }
        if (string8)
            ec = MH_NSPI_INVALID_CODEPAGE;
    } else if (!ec && !mh_cp_supported(st->code_page)) {
        ec = MH_NSPI_INVALID_CODEPAGE;
    }
    if (!ec && !mh_gal_container_find(st->container_id))
        ec = MH_NSPI_INVALID_BOOKMARK;
    mh_nspi_tags tags;
    if (!ec) {
        if (req->has_tags)
            tags = req->tags;
        else
            ec = prop_list(g, req->flags, st->current_rec, cx->pool, &tags);
    }
    resp->code_page = req->has_state ? st->code_page : MH_NSPI_DEFAULT_CP;
    if (ec) {
        resp->error_code = ec;
        return;
    }
    const mh_gal_obj *o = mh_gal_get(g, st->current_rec);
    unsigned flags = eid_flags(req->flags);
    mh_propval *vals = apr_pcalloc(cx->pool, sizeof(mh_propval) * (tags.n ? tags.n : 1));
    for (uint32_t i = 0; i < tags.n; i++) {
        mh_proptag tag = tags.tags[i];
        const mh_propval *v = o ? mh_gal_prop(g, o, tag, flags) : NULL;
        if (v && MH_TAG_TYPE(v->tag) != PT_OBJECT && MH_TAG_TYPE(tag) != PT_ERROR) {
            vals[i] = *v;
            /* the client's type (PT_STRING8 makes the writer convert), or
             * the value's own for PT_UNSPECIFIED */
            if (MH_TAG_TYPE(tag) != PT_UNSPECIFIED)
                vals[i].tag = tag;
            else if (is_string(MH_TAG_TYPE(v->tag)))
                vals[i].tag = v->tag;
        } else {
            vals[i] = *error_value(cx->pool, tag,
                                   v && MH_TAG_TYPE(v->tag) == PT_OBJECT ? MAPI_E_NO_SUPPORT
                                                                         : MAPI_E_NOT_FOUND);
            ec = MH_NSPI_ERRORS_RETURNED;
        }
    }
    resp->error_code = ec;
    resp->has_values = 1;
    resp->values.n = tags.n;
    resp->values.v = vals;
}

/* NspiQueryColumns (3.1.4.1.5) */
static void do_querycolumns(const mh_nspi_ctx *cx, mh_gal *g,
                            const mh_nspi_querycolumns_req *req, mh_nspi_querycolumns_resp *resp)
{
    mh_gal_all_tags((req->mapi_flags & MH_NSPI_UNICODE_PROPTYPES) != 0, cx->pool,
                    &resp->columns);
    resp->error_code = MH_NSPI_SUCCESS;
    resp->has_columns = 1;
}

/* NspiGetSpecialTable (3.1.4.1.3) */
static void do_getspecialtable(const mh_nspi_ctx *cx, mh_gal *g,
                               const mh_nspi_getspecialtable_req *req,
                               mh_nspi_getspecialtable_resp *resp)
{
    uint32_t cp = req->has_state ? req->state.code_page : MH_NSPI_DEFAULT_CP;
    resp->code_page = cp;
    if (req->flags & MH_NSPI_ADDRESS_CREATION_TEMPLATES) {
        /* constraints 4, 9-11: no address creation table for any locale
         * is a table without rows, not an error */
        resp->error_code = MH_NSPI_SUCCESS;
        resp->has_version = req->has_version;
        resp->version = req->version;
        resp->has_rows = 1;
        resp->rows.n = 0;
        return;
    }
    int unicode = (req->flags & MH_NSPI_UNICODE_STRINGS) != 0;
    uint32_t ec = MH_NSPI_SUCCESS;
    if (!unicode && !mh_cp_supported(cp))
        ec = MH_NSPI_INVALID_CODEPAGE; /* constraint 1, and code pages not known */
    resp->error_code = ec;
    if (ec)
        return;
    resp->has_version = 1;
    resp->version = MH_GAL_HIERARCHY_VERSION;
    resp->has_rows = 1;
    if (req->has_version && req->version == MH_GAL_HIERARCHY_VERSION)
        resp->rows.n = 0; /* constraint 7: the client's copy is current */
    else
        mh_gal_hierarchy(g, unicode, cx->pool, &resp->rows);
}

/* ---------------------------------------------------------------- URLs */

/* The URL of `endpoint` for the mailbox of entry e. */
static const char *mailbox_url(const mh_nspi_ctx *cx, const mh_dir_entry *e,
                               const char *endpoint)
{
    if (!cx->base_url || !e->has_mailbox)
        return NULL;
    const char *domain = e->smtp ? strrchr(e->smtp, '@') : NULL;
    if (domain && domain[1]) {
        domain++;
    } else {
        const char *h = strstr(cx->base_url, "://");
        h = h ? h + 3 : cx->base_url;
        domain = apr_pstrmemdup(cx->pool, h, strcspn(h, ":/"));
    }
    return mh_ad_mailbox_url(cx->pool, cx->base_url, e->server && *e->server ? e->server : NULL,
                             endpoint, &e->mailbox, domain);
}

/* GetMailboxUrl (MS-OXCMAPIHTTP 2.2.5.18): a server DN, or failing that a
 * user's DN, to its /mapi/emsmdb URL */
static void do_getmailboxurl(const mh_nspi_ctx *cx, mh_gal *g,
                             const mh_nspi_getmailboxurl_req *req, mh_nspi_getmailboxurl_resp *resp)
{
    uint32_t ec = MH_NSPI_SUCCESS;
    const mh_gal_obj *o = NULL;
    if (!ec) {
        mh_guid mbx;
        if (mh_gal_parse_server_dn(req->server_dn, &mbx) == 0)
            o = mh_gal_find_mailbox(g, &mbx);
        else
            o = mh_gal_find_dn(g, req->server_dn);
        if (!o || !o->e || !o->e->has_mailbox)
            ec = MH_NSPI_NOT_FOUND;
    }
    if (!ec && !(resp->server_url = mailbox_url(cx, o->e, "emsmdb")))
        ec = MH_NSPI_GENERAL_FAILURE;
    resp->error_code = ec;
}

/* GetAddressBookUrl (MS-OXCMAPIHTTP 2.2.5.19): a user's DN to the
 * /mapi/nspi URL of their mailbox (the caller's own for entries without
 * one: the address book is the same everywhere) */
static void do_getaddressbookurl(const mh_nspi_ctx *cx, mh_gal *g,
                                 const mh_nspi_getaddressbookurl_req *req,
                                 mh_nspi_getaddressbookurl_resp *resp)
{
    uint32_t ec = MH_NSPI_SUCCESS;
    const mh_gal_obj *o = NULL;
    if (!ec) {
        o = mh_gal_find_dn(g, req->user_dn);
        if (!o || !o->e)
            ec = MH_NSPI_NOT_FOUND;
        else if (!o->e->has_mailbox)
            o = mh_gal_find_login(g, cx->user);
    }
    if (!ec && (!o || !o->e || !(resp->server_url = mailbox_url(cx, o->e, "nspi"))))
        ec = MH_NSPI_GENERAL_FAILURE;
    resp->error_code = ec;
}

/* ---------------------------------------------------------------- Bind */

uint32_t mh_nspi_bind(const mh_nspi_ctx *cx, const mh_nspi_bind_req *req, const char **why_r)
{
    *why_r = NULL;
    if (req->has_state && !mh_cp_supported(req->state.code_page)) {
        /* constraint 5 (and constraint 1: CP_WINUNICODE) */
        *why_r = apr_psprintf(cx->pool, "code page %u is not served", req->state.code_page);
        return MH_NSPI_INVALID_CODEPAGE;
    }
    if (!cx->be)
        return MH_NSPI_SUCCESS;
    mh_betxn *t;
    mh_error err = {MH_OK, NULL};
    mh_dir_entry e;
    mh_err r = mh_be_begin(cx->be, NULL, MH_TXN_READ, cx->pool, &t, &err);
    if (r == MH_OK) {
        r = mh_be_dir_find(t, MH_DIR_BY_LOGIN, cx->user, &e, &err);
        mh_be_abort(t);
    }
    if (r == MH_E_NOT_FOUND) {
        *why_r = "the user is not in the directory";
        return MH_NSPI_LOGON_FAILED;
    }
    if (r != MH_OK) {
        *why_r = apr_psprintf(cx->pool, "directory lookup failed: %s", mh_err_name(r));
        return MH_NSPI_GENERAL_FAILURE;
    }
    if (e.disabled) {
        *why_r = "the user is disabled in the directory";
        return MH_NSPI_LOGON_FAILED;
    }
    return MH_NSPI_SUCCESS;
}

int mh_nspi_served(mh_reqtype rt)
{
    switch (rt) {
    case MH_RT_UPDATESTAT:
    case MH_RT_QUERYROWS:
    case MH_RT_SEEKENTRIES:
    case MH_RT_GETMATCHES:
    case MH_RT_RESORTRESTRICTION:
    case MH_RT_COMPAREMIDS:
    case MH_RT_RESOLVENAMES:
        return 0;
    default:
        return 1;
    }
}

/* ------------------------------------------------------------ dispatch */

void mh_nspi_handle(const mh_nspi_ctx *cx, mh_reqtype rt, const mh_nspi_req *req,
                    mh_nspi_resp *resp)
{
    memset(resp, 0, sizeof(*resp));
    mh_gal *g = NULL;
    switch (rt) {
    case MH_RT_GETTEMPLATEINFO:
        /* display templates are not served yet: the properties dialog
         * falls back to Outlook's own */
        resp->gettemplateinfo.error_code = MH_NSPI_NOT_SUPPORTED;
        resp->gettemplateinfo.code_page = req->gettemplateinfo.code_page;
        return;
    case MH_RT_MODPROPS:
        resp->modprops.error_code = MH_NSPI_NOT_SUPPORTED;
        return;
    case MH_RT_MODLINKATT:
        resp->modlinkatt.error_code = MH_NSPI_NOT_SUPPORTED;
        return;
    case MH_RT_BIND:
    case MH_RT_UNBIND:
        /* they make and end contexts: mh_call's */
        resp->unbind.error_code = MH_NSPI_GENERAL_FAILURE;
        return;
    default:
        break;
    }
    /* one read transaction for the whole call */
    uint32_t ec = open_gal(cx, &g);
    if (ec) {
        /* every response struct begins with status_code, error_code */
        resp->unbind.error_code = ec;
        return;
    }
    switch (rt) {
    case MH_RT_DNTOMID:
        do_dntomid(cx, g, &req->dntomid, &resp->dntomid);
        break;
    case MH_RT_GETPROPLIST:
        do_getproplist(cx, g, &req->getproplist, &resp->getproplist);
        break;
    case MH_RT_GETPROPS:
        do_getprops(cx, g, &req->getprops, &resp->getprops);
        break;
    case MH_RT_QUERYCOLUMNS:
        do_querycolumns(cx, g, &req->querycolumns, &resp->querycolumns);
        break;
    case MH_RT_GETSPECIALTABLE:
        do_getspecialtable(cx, g, &req->getspecialtable, &resp->getspecialtable);
        break;
    case MH_RT_GETMAILBOXURL:
        do_getmailboxurl(cx, g, &req->getmailboxurl, &resp->getmailboxurl);
        break;
    case MH_RT_GETADDRESSBOOKURL:
        do_getaddressbookurl(cx, g, &req->getaddressbookurl, &resp->getaddressbookurl);
        break;
    default:
        resp->unbind.error_code = MH_NSPI_GENERAL_FAILURE; /* not an NSPI type */
        break;
    }
    mh_gal_close(g);
}
