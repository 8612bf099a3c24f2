/* libFuzzer target: decoders of the core's own encodings and identifiers
 * that carry outside bytes: private-mailbox entry IDs (clients send them in
 * ROPs; mh_entryid.c) and the property/message encoding (mh_props.c: LMDB
 * records and session state).  Whatever decodes must encode back to the
 * same bytes. */
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
    }
    mh_rd_init(&rd, data, size);
    mh_proplist l;
    if (mh_proplist_decode(&rd, pool, &l) == 0 && !rd.err) {
        for (uint32_t i = 0; i < l.n; i++)
            (void)mh_propval_equal(&l.v[i], &l.v[i]);
    }
    apr_pool_destroy(pool);
    return 0;
}
