/*
 * rop_fold_util.h - request builders and store checks shared by the folder
 * and permission ROP tests (test_rop_fold.c, test_rop_perm.c).
 */
#ifndef ROP_FOLD_UTIL_H
#define ROP_FOLD_UTIL_H

#include "mh_test.h"
#include "rop_fixture.h"
#include "mh_props.h"

#include <string.h>

#define NOH 0xFFFFFFFFu
/* not every test uses every helper */
#define MH_UNUSED_FN __attribute__((unused))

typedef struct req {
    unsigned char b[4096];
    size_t n;
} req;

MH_UNUSED_FN static void r_u8(req *q, uint8_t v) { q->b[q->n++] = v; }
MH_UNUSED_FN static void r_u16(req *q, uint16_t v) { mh_put_u16(q->b + q->n, v); q->n += 2; }
MH_UNUSED_FN static void r_u32(req *q, uint32_t v) { mh_put_u32(q->b + q->n, v); q->n += 4; }
/* A u16 count and that many property tags (PropertyTagArray, MS-OXCDATA 2.9.1) */
MH_UNUSED_FN static void r_tags(req *q, const mh_proptag *tags, uint16_t n)
{
    r_u16(q, n);
    for (uint16_t i = 0; i < n; i++)
        r_u32(q, tags[i]);
}
MH_UNUSED_FN static void r_u64(req *q, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        q->b[q->n++] = (unsigned char)(v >> (8 * i));
}
MH_UNUSED_FN static void r_str(req *q, const char *s)
{
    size_t l = strlen(s) + 1;
    memcpy(q->b + q->n, s, l);
    q->n += l;
}
MH_UNUSED_FN static void r_bytes(req *q, const void *p, size_t n)
{
    memcpy(q->b + q->n, p, n);
    q->n += n;
}

MH_UNUSED_FN static uint64_t rd_u64le(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Runs one batch; the first response's ReturnValue (or 0xDEADBEEF). */
MH_UNUSED_FN static uint32_t run(mh_fixture *f, const req *q, uint32_t *h, uint32_t n,
                    const unsigned char **r_r, size_t *rl_r)
{
    const unsigned char *r;
    size_t rl;
    if (mh_fixture_exec(f, q->b, q->n, h, n, &r, &rl) != 0 || rl < 6)
        return 0xDEADBEEF;
    if (r_r)
        *r_r = r;
    if (rl_r)
        *rl_r = rl;
    return mh_get_u32(r + 2);
}

/* RopOpenFolder of `fid` on the object in h[in]; the folder at h[out]. */
MH_UNUSED_FN static uint32_t open_folder(mh_fixture *f, uint32_t *h, uint32_t n, uint8_t in, uint8_t out,
                            uint64_t fid)
{
    req q = {{0}, 0};
    r_u8(&q, 0x02); r_u8(&q, 0); r_u8(&q, in); r_u8(&q, out);
    r_u64(&q, fid); r_u8(&q, 0);
    const unsigned char *r;
    size_t rl;
    uint32_t ec = run(f, &q, h, n, &r, &rl);
    if (ec == 0 && rl != 8)
        return 0xDEADBEEF; /* HasRules, IsGhosted and nothing more */
    return ec;
}

/* RopCreateFolder (8-bit strings) under h[in]; the folder at h[out]. */
MH_UNUSED_FN static uint32_t create_folder(mh_fixture *f, uint32_t *h, uint32_t n, uint8_t in, uint8_t out,
                              uint8_t type, uint8_t open_existing, const char *name,
                              uint64_t *fid_r, int *existing_r)
{
    req q = {{0}, 0};
    r_u8(&q, 0x1C); r_u8(&q, 0); r_u8(&q, in); r_u8(&q, out);
    r_u8(&q, type); r_u8(&q, 0); r_u8(&q, open_existing); r_u8(&q, 0);
    r_str(&q, name); r_str(&q, "a comment");
    const unsigned char *r;
    size_t rl;
    uint32_t ec = run(f, &q, h, n, &r, &rl);
    if (ec)
        return ec;
    if (rl < 15)
        return 0xDEADBEEF;
    if (fid_r)
        *fid_r = rd_u64le(r + 6);
    int existing = r[14] != 0;
    if (existing_r)
        *existing_r = existing;
    /* MS-OXCROPS 2.2.4.2.2: HasRules and IsGhosted only for an existing one */
    if (rl != (existing ? 17u : 15u))
        return 0xDEADBEEF;
    return 0;
}

/* A read transaction on the fixture user's mailbox. */
MH_UNUSED_FN static mh_betxn *rtxn(mh_fixture *f, const mh_guid *mb)
{
    mh_betxn *t = NULL;
    mh_error e;
    if (mh_be_begin(f->be, mb ? mb : &f->mailbox, MH_TXN_READ, f->batch_pool, &t, &e) != MH_OK)
        return NULL;
    return t;
}

MH_UNUSED_FN static int folder_exists(mh_fixture *f, mh_id fid)
{
    mh_betxn *t = rtxn(f, NULL);
    mh_folder_info fi;
    mh_error e;
    int ok = t && mh_be_folder_info(t, fid, &fi, &e) == MH_OK;
    if (t)
        mh_be_abort(t);
    return ok;
}

MH_UNUSED_FN static mh_folder_info folder_info(mh_fixture *f, mh_id fid)
{
    mh_folder_info fi;
    memset(&fi, 0, sizeof(fi));
    mh_betxn *t = rtxn(f, NULL);
    mh_error e;
    if (t) {
        if (mh_be_folder_info(t, fid, &fi, &e) != MH_OK)
            memset(&fi, 0, sizeof(fi));
        mh_be_abort(t);
    }
    return fi;
}

/* Saves a message with a subject straight through the backend. */
MH_UNUSED_FN static mh_id put_message(mh_fixture *f, mh_id folder, const char *subject, int fai)
{
    mh_betxn *t;
    mh_error e;
    if (mh_be_begin(f->be, &f->mailbox, MH_TXN_WRITE, f->pool, &t, &e) != MH_OK)
        return 0;
    mh_propval v[2];
    v[0] = mh_pv_str(PR_SUBJECT, subject);
    v[1] = mh_pv_str(PR_MESSAGE_CLASS, "IPM.Note");
    mh_message m;
    memset(&m, 0, sizeof(m));
    m.props.n = 2;
    m.props.v = v;
    mh_id id = 0, cn;
    if (mh_be_message_save(t, folder, 0, fai ? MH_SAVE_FAI : 0, &m, NULL, &id, &cn, &e) != MH_OK ||
        mh_be_commit(t, &e) != MH_OK) {
        mh_be_abort(t);
        return 0;
    }
    return id;
}

MH_UNUSED_FN static int message_in(mh_fixture *f, mh_id mid, mh_id *folder_r)
{
    mh_betxn *t = rtxn(f, NULL);
    mh_message_info mi;
    mh_error e;
    int ok = t && mh_be_message_info(t, mid, &mi, &e) == MH_OK;
    if (t)
        mh_be_abort(t);
    if (ok && folder_r)
        *folder_r = mi.folder;
    return ok;
}

MH_UNUSED_FN static mh_id child_named(mh_fixture *f, mh_id parent, const char *name)
{
    mh_betxn *t = rtxn(f, NULL);
    mh_id id = 0;
    mh_error e;
    if (t) {
        if (mh_be_folder_find(t, parent, name, &id, &e) != MH_OK)
            id = 0;
        mh_be_abort(t);
    }
    return id;
}

#endif
