/*
 * mh_props.h - property values: copying, comparing, sizing, and a compact
 * binary encoding of values, lists and whole message trees.
 *
 * The encoding is what the LMDB backend stores and what session state uses
 * for uncommitted message instances; it is not a wire format of the
 * protocol.  Layout (little-endian):
 *   value:   u32 tag, u8 form (0 inline, 1 large reference), then
 *            inline: by type (fixed-size types as such; strings and
 *            binaries u32 length + bytes, strings without NUL; multi-valued
 *            u32 count + elements), large: u64 size, u64 reference
 *   list:    u32 count, values
 *   message: list, u32 recipients, lists, u32 attachments,
 *            each: u32 number, list, u8 embedded, [message]
 * Decoding copies everything into the pool and checks every count and
 * length against the bytes present.
 */
#ifndef MH_PROPS_H
#define MH_PROPS_H

#include <apr_pools.h>

#include "mapihttp/props.h"
#include "mh_wire.h"

void mh_propval_encode(mh_wr *wr, const mh_propval *v);
/* 0 on success; -1 on malformed input (rd->err set). */
int mh_propval_decode(mh_rd *rd, apr_pool_t *pool, mh_propval *v);

void mh_proplist_encode(mh_wr *wr, const mh_proplist *l);
int mh_proplist_decode(mh_rd *rd, apr_pool_t *pool, mh_proplist *l);
/* The same keeping only the values whose tag is one of `tags` (exactly);
 * the others are checked as far as their lengths and skipped, not copied.
 * For readers that want a few values of a long list. */
int mh_proplist_decode_tags(mh_rd *rd, apr_pool_t *pool, const mh_proptag *tags, uint32_t n,
                            mh_proplist *l);

void mh_message_encode(mh_wr *wr, const mh_message *m);
int mh_message_decode(mh_rd *rd, apr_pool_t *pool, mh_message **m_r);

/* An index of a message's own values (not its recipients' or attachments'),
 * written before the message so that a reader wanting a few of them (a
 * table row) goes straight to each instead of stepping over the others:
 *   index:   u32 n, n u32 tags strictly ascending, n u32 offsets
 *   then:    the message, as mh_message_encode writes it
 * An offset is where that value's encoding begins, counted from the start
 * of the message's encoding.  A tag that occurs twice in the list is
 * indexed at its first value (the one a linear reader meets first).
 * Nothing is trusted: mh_msgindex_read checks the length, and each value
 * is checked when it is picked (in bounds, decodes, has the index's tag);
 * an index out of order can make a value look absent, never read astray.
 * A store's checker compares a record with what mh_message_encode_indexed
 * makes of its decoded message (the encoding is deterministic). */
typedef struct mh_msgindex {
    uint32_t n;
    const unsigned char *tags; /* n little-endian u32, ascending */
    const unsigned char *offs; /* n little-endian u32 */
} mh_msgindex;

void mh_message_encode_indexed(mh_wr *wr, const mh_message *m);
/* Reads an index and leaves rd at the message after it.  0, or -1 (rd->err
 * set) when it is short.  (Reading it costs the same whatever its length.) */
int mh_msgindex_read(mh_rd *rd, mh_msgindex *ix);
/* The values of the message encoded in msg[0..len) whose tag is one of
 * `tags` (exactly; tags in any order, repeats ignored), found through ix,
 * in ascending tag order, decoded into pool.  0, or -1 when the index and
 * the message disagree (an offset out of bounds, a value there that does
 * not decode or has another tag): the record is damaged. */
int mh_message_decode_tags_indexed(const mh_msgindex *ix, const unsigned char *msg, size_t len,
                                   apr_pool_t *pool, const mh_proptag *tags, uint32_t n,
                                   mh_proplist *l);

/* Deep copies into pool. */
void mh_propval_copy(apr_pool_t *pool, mh_propval *dst, const mh_propval *src);
void mh_proplist_copy(apr_pool_t *pool, mh_proplist *dst, const mh_proplist *src);
mh_message *mh_message_copy(apr_pool_t *pool, const mh_message *src);

/* Equal tags and values (large references compare by size and ref). */
int mh_propval_equal(const mh_propval *a, const mh_propval *b);

/* The bytes a value takes (for PR_MESSAGE_SIZE and quotas). */
uint64_t mh_propval_bytes(const mh_propval *v);
uint64_t mh_message_bytes(const mh_message *m);

/* Sets (adds or replaces) a value in a list allocated in pool. */
void mh_proplist_set(apr_pool_t *pool, mh_proplist *l, const mh_propval *v);
/* Removes a tag from a list (no-op when absent). */
void mh_proplist_remove(mh_proplist *l, mh_proptag tag);

/* Convenience constructors (the value is not copied). */
mh_propval mh_pv_long(mh_proptag tag, int32_t v);
mh_propval mh_pv_bool(mh_proptag tag, int v);
mh_propval mh_pv_str(mh_proptag tag, const char *s);
mh_propval mh_pv_bin(mh_proptag tag, const void *data, uint32_t len);
mh_propval mh_pv_i8(mh_proptag tag, int64_t v);
mh_propval mh_pv_time(mh_proptag tag, uint64_t filetime);

/* APR time <-> FILETIME (100 ns units since 1601-01-01). */
uint64_t mh_filetime_from_apr(apr_time_t t);
apr_time_t mh_apr_from_filetime(uint64_t ft);

#endif
