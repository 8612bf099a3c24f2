/*
 * mh_idset.h - GLOBSETs and serialized IDSETs (MS-OXCFXICS 2.2.2.4 to
 * 2.2.2.6, 3.1.5.4): sets of 48-bit counters (GLOBCNTs) compressed with a
 * common byte stack and five commands, and the IDSETs built of them.  The
 * per-user read state of public folders (MS-OXCSTOR 3.2.5.12, 3.2.5.13)
 * travels as an IDSET with REPLGUIDs; ICS states use the same forms.
 *
 * A GLOBCNT is held as an integer: its 6 bytes big-endian (the order they
 * have in the encoding, high-order bytes first).
 */
#ifndef MH_IDSET_H
#define MH_IDSET_H

#include <stdint.h>
#include <apr_pools.h>

#include "mh_wire.h"

#define MH_GLOBCNT_MAX 0xFFFFFFFFFFFFull

/* A range of GLOBCNTs, low <= high. */
typedef struct mh_globrange {
    uint64_t low, high;
} mh_globrange;

/*
 * Decodes one GLOBSET (2.2.2.6) up to and including its End command:
 * Push (0x01..0x06 and that many bytes; six bytes on the stack are a
 * singleton, popped again at once), Pop (0x50), Bitmask (0x42 StartingValue
 * Bitmask, with exactly five bytes on the stack), Range (0x52 LowValue
 * HighValue, each 6 - stack bytes, low <= high), End (0x00, stack empty).
 * The ranges come back in the order the commands give them (*r_r in pool;
 * with a NULL pool nothing is kept: a check).  Returns 0, or -1 with
 * rd->err set on anything else (unknown command, stack over six bytes,
 * Pop or End on the wrong stack, truncation).
 */
int mh_globset_read(mh_rd *rd, apr_pool_t *pool, mh_globrange **r_r, uint32_t *n_r);

/*
 * Encodes ranges as a GLOBSET: each singleton as a six-byte Push, each
 * other range as a Range command with the high-order bytes low and high
 * share pushed first, then End.  The ranges need not be sorted or
 * disjoint; they are written as given.
 */
void mh_globset_write(mh_wr *wr, const mh_globrange *r, uint32_t n);

/*
 * Whether bytes are a serialized IDSET with REPLGUIDs (2.2.2.4.2): entries
 * of a 16-byte REPLGUID and a GLOBSET, to the end of the bytes (none at
 * all is the empty set).  1 or 0.
 */
int mh_idset_guid_valid(const void *data, size_t len);

#endif
