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

uint32_t mh_fixture_exec(mh_fixture *f, const void *rops, size_t len, uint32_t *handles,
                         uint32_t n, const unsigned char **resp_r, size_t *resp_len_r)
{
    apr_pool_clear(f->batch_pool);
    apr_pool_t *p = f->batch_pool;
    /* the ROP input buffer: RopSize, the requests, the handle table */
    mh_wr in;
    mh_wr_init(&in, p, len + 4 * n + 2);
    mh_wr_u16(&in, (uint16_t)(len + 2));
    mh_wr_bytes(&in, rops, len);
    for (uint32_t i = 0; i < n; i++)
        mh_wr_u32(&in, handles[i]);
    mh_wr ext;
    mh_wr_init(&ext, p, in.len + 16);
    mh_rpcext_append(&ext, in.buf, in.len, 1, 1, 1);

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
    uint32_t ec = mh_rop_execute(&cx, ext.buf, ext.len, &opts, &out);

    /* as if the next request ran in another process */
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
    mh_rpcext_payload *pl;
    size_t npl;
    const char *why;
    if (mh_rpcext_parse(out.buf, out.len, 0, p, &pl, &npl, &why) != 0) {
        printf("# the response does not parse: %s\n", why);
        return 0xDEADBEEF;
    }
    uint16_t rop_size = mh_get_u16(pl[0].data);
    if (rop_size < 2 || rop_size > pl[0].len || (pl[0].len - rop_size) / 4 != n) {
        printf("# the response's RopSize or handle table is wrong\n");
        return 0xDEADBEEF;
    }
    for (uint32_t i = 0; i < n; i++)
        handles[i] = mh_get_u32(pl[0].data + rop_size + 4 * i);
    *resp_r = pl[0].data + 2;
    *resp_len_r = rop_size - 2u;
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
