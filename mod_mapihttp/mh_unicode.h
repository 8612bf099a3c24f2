/*
 * mh_unicode.h - UTF-8 <-> UTF-16LE, as MAPI strings travel in UTF-16LE
 * (PtypString, "UTF-16Z" in the MAPI/HTTP bodies) and the core keeps UTF-8.
 */
#ifndef MH_UNICODE_H
#define MH_UNICODE_H

#include <stddef.h>
#include <apr_pools.h>

#include "mh_wire.h"

/*
 * Appends s (UTF-8) to wr as UTF-16LE followed by a 2-byte NUL.  Invalid
 * UTF-8 sequences become U+FFFD; code points above U+FFFF become surrogate
 * pairs.
 */
void mh_wr_utf16z(mh_wr *wr, const char *s);

/*
 * Reads a NUL-terminated UTF-16LE string of at most max_units code units
 * (not counting the NUL) and returns it as UTF-8 in pool memory.  Unpaired
 * surrogates become U+FFFD.  NULL and rd->err on a missing terminator.
 */
const char *mh_rd_utf16z(mh_rd *rd, size_t max_units, apr_pool_t *pool);

#endif
