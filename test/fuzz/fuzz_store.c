/* libFuzzer target: decoders of the core's own encodings and identifiers
 * that carry outside bytes: private-mailbox entry IDs (clients send them in
 * ROPs; mh_entryid.c) and the property/message encoding (mh_props.c: LMDB
 * records and session state).  Whatever decodes must encode back to the
 * same bytes, and picking some of a list's values (by a walk, or through a
 * message's index) must give those values. */
#include "mh_entryid.h"
#include "mh_props.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_t *pool;
    apr_pool_create(&pool, root);
    mh_eid e;
    if (mh_eid_parse(data, size, &e) == 0) {
        uint8_t back[MH_MESSAGE_EID_LEN];
        if (e.type == MH_EID_TYPE_PRIVATE_FOLDER)
            mh_eid_folder(&e.provider, &e.folder_replica, e.folder, back);
        else
            mh_eid_message(&e.provider, &e.folder_replica, e.folder, &e.message_replica,
                           e.message, back);
        if (memcmp(back, data, size) != 0)
            abort();
    }
    mh_rd rd;
    mh_rd_init(&rd, data, size);
    mh_message *m;
    if (mh_message_decode(&rd, pool, &m) == 0 && !rd.err) {
        size_t used = size - mh_rd_left(&rd);
        mh_wr w;
        mh_wr_init(&w, pool, used + 16);
        mh_message_encode(&w, m);
        if (w.len != used || memcmp(w.buf, data, used) != 0)
            abort();
        (void)mh_message_bytes(m);
        (void)mh_message_copy(pool, m);
        /* with its index: the same message after it, and a value picked
         * through the index is the first of its tag */
        mh_wr_init(&w, pool, used + 64);
        mh_message_encode_indexed(&w, m);
        mh_msgindex ix;
        mh_rd_init(&rd, w.buf, w.len);
        if (mh_msgindex_read(&rd, &ix) != 0 || mh_rd_left(&rd) != used ||
            memcmp(rd.p, data, used) != 0)
            abort();
        mh_proptag *tags = apr_palloc(pool, (m->props.n + 1) * sizeof(*tags));
        for (uint32_t i = 0; i < m->props.n; i++)
            tags[i] = m->props.v[i].tag;
        mh_proplist some;
        if (mh_message_decode_tags_indexed(&ix, rd.p, used, pool, tags, m->props.n, &some) != 0 ||
            some.n != ix.n)
            abort();
        for (uint32_t i = 0; i < some.n; i++)
            if (!mh_propval_equal(&some.v[i], mh_proplist_find(&m->props, some.v[i].tag)))
                abort();
    }
    mh_rd_init(&rd, data, size);
    mh_proplist l;
    if (mh_proplist_decode(&rd, pool, &l) == 0 && !rd.err) {
        for (uint32_t i = 0; i < l.n; i++)
            (void)mh_propval_equal(&l.v[i], &l.v[i]);
        /* picking every other value: the same values, the same end */
        size_t used = size - mh_rd_left(&rd);
        mh_proptag *tags = apr_palloc(pool, (l.n + 1) * sizeof(*tags));
        uint32_t n = 0;
        for (uint32_t i = 0; i < l.n; i += 2)
            tags[n++] = l.v[i].tag;
        mh_proplist some;
        mh_rd_init(&rd, data, size);
        if (mh_proplist_decode_tags(&rd, pool, tags, n, &some) != 0 || rd.err ||
            size - mh_rd_left(&rd) != used)
            abort();
        for (uint32_t i = 0, k = 0; i < l.n; i++) {
            int asked = 0;
            for (uint32_t j = 0; j < n; j++)
                asked |= tags[j] == l.v[i].tag;
            if (asked && (k >= some.n || !mh_propval_equal(&some.v[k++], &l.v[i])))
                abort();
        }
    }
    /* whatever the bytes, picking values never reads past them */
    static const mh_proptag some_tags[] = {PR_SUBJECT, PR_MESSAGE_FLAGS, PR_BODY,
                                           MH_TAG(0x8001, PT_MV_UNICODE)};
    mh_rd_init(&rd, data, size);
    (void)mh_proplist_decode_tags(&rd, pool, some_tags, 4, &l);
    /* ... nor through an index, whatever it says */
    mh_msgindex ix;
    mh_rd_init(&rd, data, size);
    if (mh_msgindex_read(&rd, &ix) == 0)
        (void)mh_message_decode_tags_indexed(&ix, rd.p, mh_rd_left(&rd), pool, some_tags, 4, &l);
    apr_pool_destroy(pool);
    return 0;
}
