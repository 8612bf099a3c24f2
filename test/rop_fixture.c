/*
 * rop_fixture.c - see rop_fixture.h.
 */
#include "rop_fixture.h"
#include "mh_bodies.h"
#include "mh_rpcext.h"
#include "mh_tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>

int mh_fixture_open(mh_fixture *f, const char *login)
{
    memset(f, 0, sizeof(*f));
    apr_pool_create(&f->pool, NULL);
    snprintf(f->dir, sizeof(f->dir), "/tmp/mh-ropfix-XXXXXX");
    if (!mkdtemp(f->dir)) {
        printf("# cannot make a temporary directory\n");
        return -1;
    }
    const char *why = NULL;
    const char *spec = apr_psprintf(f->pool, "lmdb path=%s size=1G sync=none", f->dir);
    if (mh_tool_backend(f->pool, spec, NULL, 1, -1, -1, &f->be, &why) != 0) {
        printf("# backend: %s\n", why);
        return -1;
    }
    if (mh_tool_user_mailbox(f->be, login, f->pool, &f->mailbox, &f->inbox, &why) != 0) {
        printf("# %s\n", why);
        return -1;
    }
    f->user = apr_pstrdup(f->pool, login);
    f->user_dn = apr_pstrcat(f->pool, "/o=Test/ou=Exchange Administrative Group "
                                      "(FYDIBOHF23SPDLT)/cn=Recipients/cn=", login, NULL);
    apr_pool_create(&f->state_pool, NULL);
    f->ses = mh_emsmdb_new(f->state_pool);
    f->code_page = 1252;
    f->ses->code_page = 1252;
    f->ses->lcid_sort = f->ses->lcid_string = 1033;
    f->ses->user_dn = f->user_dn;
    f->max_rop_out = 0x10008;
    f->chain = 1;
    apr_pool_create(&f->batch_pool, f->pool);
    return 0;
}

int mh_fixture_add_user(mh_fixture *f, const char *login, mh_guid *mailbox_r,
                        uint32_t *dir_id_r)
{
    const char *why = NULL;
    mh_id inbox;
    if (mh_tool_user_mailbox(f->be, login, f->pool, mailbox_r, &inbox, &why) != 0) {
        printf("# %s\n", why);
        return -1;
    }
    if (dir_id_r) {
        mh_betxn *t;
        mh_error e = {MH_OK, NULL};
        mh_dir_entry ent;
        if (mh_be_begin(f->be, NULL, MH_TXN_READ, f->pool, &t, &e) != MH_OK)
            return -1;
        mh_err r = mh_be_dir_find(t, MH_DIR_BY_LOGIN, login, &ent, &e);
        mh_be_abort(t);
        if (r != MH_OK)
            return -1;
        *dir_id_r = ent.id;
    }
    return 0;
}

void mh_fixture_set_user(mh_fixture *f, const char *login)
{
    f->user = apr_pstrdup(f->pool, login);
}

void mh_fixture_close(mh_fixture *f)
{
    if (f->state_pool)
        apr_pool_destroy(f->state_pool);
    if (f->pool)
        apr_pool_destroy(f->pool);
    if (f->dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
        if (system(cmd) != 0)
            printf("# could not remove %s\n", f->dir);
    }
    memset(f, 0, sizeof(*f));
}

/* Runs a RopBuffer through the engine, then carries the session state
 * over as if the next request ran in another process. */
uint32_t mh_fixture_exec_raw(mh_fixture *f, const void *rop_buffer, size_t len,
                             mh_fixture_out **outs_r, size_t *n_out_r)
{
    apr_pool_t *p = f->batch_pool;
    mh_ropctx cx;
    memset(&cx, 0, sizeof(cx));
    cx.pool = p;
    cx.ses = f->ses;
    cx.be = f->be;
    cx.user = f->user;
    cx.cp = f->code_page;
    f->ses->code_page = f->code_page;
    mh_exec_opts opts = {f->exec_flags, f->max_rop_out, f->chain};
    mh_wr out;
    uint32_t ec = mh_rop_execute(&cx, rop_buffer, len, &opts, &out);
    f->out_bytes = ec == 0 ? out.len : 0;

    const void *blob;
    size_t blob_len;
    mh_emsmdb_encode(f->ses, p, &blob, &blob_len);
    f->state_bytes = blob_len;
    void *copy = apr_pmemdup(p, blob, blob_len);
    apr_pool_t *np;
    apr_pool_create(&np, NULL);
    mh_emsmdb *ns;
    if (mh_emsmdb_decode(copy, blob_len, np, &ns) != APR_SUCCESS) {
        printf("# the session state does not decode\n");
        apr_pool_destroy(np);
        return 0xDEADBEEF;
    }
    ns->user_dn = apr_pstrdup(np, f->user_dn);
    apr_pool_destroy(f->state_pool);
    f->state_pool = np;
    f->ses = ns;

    if (ec != 0)
        return ec;
    if (out.len > f->max_rop_out) {
        printf("# the response (%zu bytes) exceeds MaxRopOut (%u)\n", out.len,
               (unsigned)f->max_rop_out);
        return 0xDEADBEEF;
    }
    mh_rpcext_payload *pl;
    size_t npl;
    const char *why;
    if (mh_rpcext_parse(out.buf, out.len, 0, p, &pl, &npl, &why) != 0) {
        printf("# the response does not parse: %s\n", why);
        return 0xDEADBEEF;
    }
    mh_fixture_out *o = apr_pcalloc(p, npl * sizeof(*o));
    for (size_t i = 0; i < npl; i++) {
        uint16_t rop_size = pl[i].len >= 2 ? mh_get_u16(pl[i].data) : 0;
        if (rop_size < 2 || rop_size > pl[i].len || (pl[i].len - rop_size) % 4 != 0) {
            printf("# output payload %zu: RopSize or handle table is wrong\n", i);
            return 0xDEADBEEF;
        }
        o[i].rops = pl[i].data + 2;
        o[i].len = rop_size - 2u;
        o[i].n = (uint32_t)((pl[i].len - rop_size) / 4);
        uint32_t *h = apr_palloc(p, (o[i].n ? o[i].n : 1) * sizeof(uint32_t));
        for (uint32_t k = 0; k < o[i].n; k++)
            h[k] = mh_get_u32(pl[i].data + rop_size + 4 * k);
        o[i].handles = h;
        o[i].ext_flags = pl[i].flags;
    }
    *outs_r = o;
    *n_out_r = npl;
    return 0;
}

uint32_t mh_fixture_exec_bufs(mh_fixture *f, const mh_fixture_in *ins, size_t n_in,
                              mh_fixture_out **outs_r, size_t *n_out_r)
{
    apr_pool_clear(f->batch_pool);
    apr_pool_t *p = f->batch_pool;
    mh_wr ext;
    mh_wr_init(&ext, p, 256);
    for (size_t i = 0; i < n_in; i++) {
        /* the ROP input buffer: RopSize, the requests, the handle table */
        mh_wr in;
        mh_wr_init(&in, p, ins[i].len + 4 * ins[i].n + 2);
        mh_wr_u16(&in, (uint16_t)(ins[i].len + 2));
        mh_wr_bytes(&in, ins[i].rops, ins[i].len);
        for (uint32_t k = 0; k < ins[i].n; k++)
            mh_wr_u32(&in, ins[i].handles[k]);
        mh_rpcext_append(&ext, in.buf, in.len, ins[i].compress, ins[i].obfuscate,
                         i + 1 == n_in);
    }
    return mh_fixture_exec_raw(f, ext.buf, ext.len, outs_r, n_out_r);
}

uint32_t mh_fixture_exec(mh_fixture *f, const void *rops, size_t len, uint32_t *handles,
                         uint32_t n, const unsigned char **resp_r, size_t *resp_len_r)
{
    mh_fixture_in in = {rops, len, handles, n, 1, 1};
    mh_fixture_out *o;
    size_t no;
    uint32_t ec = mh_fixture_exec_bufs(f, &in, 1, &o, &no);
    if (ec != 0)
        return ec;
    if (no < 1 || o[0].n != n) {
        printf("# the response's handle table is wrong\n");
        return 0xDEADBEEF;
    }
    for (uint32_t i = 0; i < n; i++)
        handles[i] = o[0].handles[i];
    *resp_r = o[0].rops;
    *resp_len_r = o[0].len;
    return 0;
}

static int cmp_obj(const void *a, const void *b)
{
    uint32_t x = (*(const mh_object *const *)a)->handle;
    uint32_t y = (*(const mh_object *const *)b)->handle;
    return x < y ? -1 : x > y;
}

void mh_fixture_state(mh_fixture *f, apr_pool_t *pool, const unsigned char **buf_r,
                      size_t *len_r)
{
    mh_emsmdb *s = f->ses;
    unsigned n = apr_hash_count(s->objects);
    mh_object **v = apr_palloc(pool, (n ? n : 1) * sizeof(*v));
    unsigned k = 0;
    for (apr_hash_index_t *hi = apr_hash_first(pool, s->objects); hi; hi = apr_hash_next(hi))
        v[k++] = apr_hash_this_val(hi);
    qsort(v, k, sizeof(*v), cmp_obj);
    mh_wr w;
    mh_wr_init(&w, pool, 256);
    for (int i = 0; i < 256; i++)
        mh_wr_u32(&w, s->next_n[i]);
    for (unsigned i = 0; i < k; i++) {
        const mh_objclass *cls = mh_objclass_of(v[i]->type);
        mh_wr_u32(&w, v[i]->handle);
        mh_wr_u8(&w, v[i]->type);
        mh_wr_u8(&w, v[i]->logon_id);
        mh_wr_u32(&w, v[i]->parent);
        if (cls && cls->encode)
            cls->encode(&w, v[i]->data);
    }
    *buf_r = w.buf;
    *len_r = w.len;
}

int mh_fixture_store_mark(mh_fixture *f, mh_fixture_mark *m)
{
    mh_betxn *t;
    mh_error err = {MH_OK, NULL};
    mh_mailbox_info mi;
    apr_pool_t *tp;
    apr_pool_create(&tp, f->pool);
    mh_err e = mh_be_begin(f->be, &f->mailbox, MH_TXN_READ, tp, &t, &err);
    if (e == MH_OK) {
        e = mh_be_mailbox_info(t, &mi, &err);
        mh_be_abort(t);
    }
    apr_pool_destroy(tp);
    if (e != MH_OK)
        return -1;
    m->last_id = mi.last_id;
    m->messages = mi.message_count;
    m->folders = mi.folder_count;
    m->bytes = mi.message_bytes;
    return 0;
}

uint32_t mh_fixture_logon(mh_fixture *f, uint32_t *handle_r, uint64_t fids_r[13])
{
    unsigned char req[512];
    size_t dn_len = strlen(f->user_dn) + 1;
    size_t k = 0;
    req[k++] = 0xFE; /* RopLogon */
    req[k++] = 0;    /* LogonId */
    req[k++] = 0;    /* OutputHandleIndex */
    req[k++] = 0x01; /* LogonFlags: Private */
    mh_put_u32(req + k, 0x01000000); /* OpenFlags: USE_PER_MDB_REPLID_MAPPING */
    k += 4;
    mh_put_u32(req + k, 0); /* StoreState */
    k += 4;
    mh_put_u16(req + k, (uint16_t)dn_len);
    k += 2;
    memcpy(req + k, f->user_dn, dn_len);
    k += dn_len;
    uint32_t h[1] = {0xFFFFFFFF};
    const unsigned char *resp;
    size_t rlen;
    uint32_t ec = mh_fixture_exec(f, req, k, h, 1, &resp, &rlen);
    if (ec)
        return ec;
    if (rlen < 6 || resp[0] != 0xFE)
        return 0xDEADBEEF;
    uint32_t rv = mh_get_u32(resp + 2);
    if (rv)
        return rv;
    if (rlen < 6 + 1 + 13 * 8)
        return 0xDEADBEEF;
    for (int i = 0; i < 13; i++) {
        uint64_t v = 0;
        for (int b = 7; b >= 0; b--)
            v = (v << 8) | resp[7 + 8 * i + b];
        fids_r[i] = v;
    }
    *handle_r = h[0];
    return 0;
}
