/*
 * mapihttp/ids.h - identifiers: GUIDs, object IDs, change numbers, XIDs,
 * source keys, change keys and predecessor change lists (MS-OXCDATA 2.2.1,
 * MS-OXCFXICS 2.2.2).  Part of the backend interface: needs only C99.
 *
 * Every object of a mailbox (folder, message) has an ID: a 48-bit counter
 * in the mailbox's own replica, whose replica GUID is the mailbox GUID.
 * The wire forms (the 64-bit FID/MID with a 16-bit replica id, LongTermIds,
 * entry IDs) are made by the protocol layer; a backend stores the counter.
 * Change numbers (CNs) come from the same per-mailbox counter, so IDs and
 * CNs never collide and both only grow.
 *
 * An XID is a replica GUID followed by a counter in big-endian order; the
 * source keys and change keys mod_mapihttp makes are 22-byte XIDs (a 6-byte
 * counter).  Objects a client imports (cached mode) may carry XIDs of other
 * replicas; a backend stores them as given.
 */
#ifndef MAPIHTTP_IDS_H
#define MAPIHTTP_IDS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct mh_guid {
    uint8_t b[16]; /* as on the wire: Data1..Data3 little-endian, Data4 as is */
} mh_guid;

/* An object ID or a change number: a counter below 2^48; 0 means none. */
typedef uint64_t mh_id;
#define MH_ID_MAX ((mh_id)0xFFFFFFFFFFFFull)

/* XID (MS-OXCFXICS 2.2.2.2) with a 6-byte counter: 22 bytes. */
#define MH_XID_LEN 22

/* Writes GUID || counter as 6 big-endian bytes into out[22]. */
static inline void mh_xid_make(const mh_guid *guid, mh_id counter, uint8_t out[MH_XID_LEN])
{
    memcpy(out, guid->b, 16);
    for (int i = 5; i >= 0; i--) {
        out[16 + i] = (uint8_t)counter;
        counter >>= 8;
    }
}

/* Reads the counter of an XID of `len` bytes (17..24); 0 when malformed. */
static inline mh_id mh_xid_counter(const uint8_t *xid, size_t len)
{
    mh_id v = 0;
    if (len < 17 || len > 24)
        return 0;
    for (size_t i = 16; i < len; i++)
        v = (v << 8) | xid[i];
    return v;
}

/*
 * Predecessor change lists (MS-OXCFXICS 2.2.2.4): a sequence of SizedXid
 * entries, each a 1-byte size then an XID of that size, at most one per
 * replica GUID (the one with the highest counter).
 *
 * mh_pcl_merge() writes into `out` (capacity `cap`) the PCL `pcl` (may be
 * NULL/0) with `xid` added: it replaces an entry of the same GUID when its
 * counter is higher, and appends it otherwise.  Returns the length written,
 * or 0 when `pcl` is malformed or `cap` too small (out needs at most
 * pcl_len + 1 + xid_len bytes).
 */
static inline size_t mh_pcl_merge(const uint8_t *pcl, size_t pcl_len, const uint8_t *xid,
                                  size_t xid_len, uint8_t *out, size_t cap)
{
    size_t o = 0, i = 0;
    int placed = 0;
    if (xid_len < 17 || xid_len > 24)
        return 0;
    while (i < pcl_len) {
        size_t n = pcl[i];
        if (n < 17 || n > 24 || i + 1 + n > pcl_len)
            return 0;
        const uint8_t *x = pcl + i + 1;
        if (!placed && memcmp(x, xid, 16) == 0) {
            placed = 1;
            if (mh_xid_counter(xid, xid_len) > mh_xid_counter(x, n)) {
                x = xid;
                n = xid_len;
            }
        }
        if (o + 1 + n > cap)
            return 0;
        out[o++] = (uint8_t)n;
        memcpy(out + o, x, n);
        o += n;
        i += 1 + pcl[i];
    }
    if (!placed) {
        if (o + 1 + xid_len > cap)
            return 0;
        out[o++] = (uint8_t)xid_len;
        memcpy(out + o, xid, xid_len);
        o += xid_len;
    }
    return o;
}

#endif
