/* libFuzzer target for the RuleAction codec (mh_ruleaction.c, MS-OXORULE
 * 2.2.5): the first byte picks the form (bit 0: extended) and the code
 * page of 8-bit strings (bit 1: 1252, else 932), the rest is the
 * RuleAction.  Whatever parses is written back and read again, and the
 * second reading must write the same bytes as the first; the 8-bit
 * rewriting a non-Unicode rules table does must parse as well.  For the
 * standard form the canonical-bytes path and mh_oxcdata's row writer
 * (with and without MH_WR_STRING8) are run on the input too. */
#include "mh_oxcdata.h"
#include "mh_ruleaction.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const mh_wr *a, const mh_wr *b)
{
    if (a->len != b->len || memcmp(a->buf, b->buf, a->len) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    if (size < 1)
        return 0;
    apr_pool_t *pool;
    apr_pool_create(&pool, root);
    int extended = data[0] & 1;
    uint32_t cp = (data[0] & 2) ? 1252 : 932;
    const uint8_t *in = data + 1;
    size_t len = size - 1;

    mh_rd rd;
    mh_rd_init(&rd, in, len);
    mh_rule_actions *acts;
    const char *why = NULL;
    if (mh_rd_rule_actions(&rd, extended, cp, pool, &acts, &why) == 0) {
        if (rd.err || !acts || acts->n == 0)
            abort();
        mh_wr w1;
        mh_wr_init(&w1, pool, 256);
        mh_wr_rule_actions(&w1, acts, cp);
        mh_rd r2;
        mh_rd_init(&r2, w1.buf, w1.len);
        mh_rule_actions *again;
        if (mh_rd_rule_actions(&r2, extended, cp, pool, &again, &why) != 0 || r2.p != r2.end)
            abort(); /* the writer made what the reader refuses */
        mh_wr w2;
        mh_wr_init(&w2, pool, 256);
        mh_wr_rule_actions(&w2, again, cp);
        same(&w1, &w2);
        /* the 8-bit form a non-Unicode table sends */
        mh_rule_actions_retype(again, PT_STRING8);
        mh_wr w3;
        mh_wr_init(&w3, pool, 256);
        mh_wr_rule_actions(&w3, again, cp);
        mh_rd r3;
        mh_rd_init(&r3, w3.buf, w3.len);
        if (mh_rd_rule_actions(&r3, extended, cp, pool, &again, &why) != 0 || r3.p != r3.end)
            abort();
    } else if (!rd.err || !why) {
        abort(); /* a refusal says why and marks the reader */
    }

    if (!extended) {
        mh_bin b = {(uint32_t)len, in}, canon;
        if (mh_rule_actions_canonical(&b, cp, pool, &canon, &why) == 0) {
            /* canonical bytes are their own canonical form */
            mh_bin c2;
            if (mh_rule_actions_canonical(&canon, cp, pool, &c2, &why) != 0 ||
                c2.len != canon.len || memcmp(c2.data, canon.data, c2.len) != 0)
                abort();
        }
        /* a row holding the bytes as a PtypRuleAction value, written the
         * way rules tables write rows: never a crash, whatever the bytes */
        mh_propval v;
        memset(&v, 0, sizeof(v));
        v.tag = MH_TAG(0x6680, PT_ACTIONS);
        v.v.bin.len = (uint32_t)len;
        v.v.bin.data = in;
        const mh_propval *vals[1] = {&v};
        mh_proptag col = v.tag;
        mh_wr w;
        mh_wr_init(&w, pool, 256);
        mh_wr_proprow_ex(&w, &col, 1, vals, cp, MH_WR_STRING8);
        mh_wr_proprow_ex(&w, &col, 1, vals, cp, 0);
    }
    apr_pool_destroy(pool);
    return 0;
}
