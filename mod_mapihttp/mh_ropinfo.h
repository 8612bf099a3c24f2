/*
 * mh_ropinfo.h - every RopId of MS-OXCROPS (2.2.2): its name, the common
 * request fields it has, a bounds-checked skipper for its request body and
 * the writer of its failure response.  The ROP engine reads every request
 * through this table, so a ROP the server does not implement still gets
 * its own error response and the rest of the batch runs.
 */
#ifndef MH_ROPINFO_H
#define MH_ROPINFO_H

#include <stdint.h>

#include "mh_wire.h"

#define MH_ROPF_INPUT 0x01         /* request has InputHandleIndex after LogonId */
#define MH_ROPF_OUTPUT 0x02        /* request has OutputHandleIndex: creates an object */
#define MH_ROPF_RESPONSE_ONLY 0x04 /* RopNotify, RopPending, RopBufferTooSmall, RopBackoff */
#define MH_ROPF_NO_RESPONSE 0x08   /* RopRelease: no response at all */

typedef struct mh_ropinfo {
    uint8_t id;
    const char *name;  /* "RopOpenFolder" */
    const char *spec;  /* defining document and MS-OXCROPS section */
    uint8_t flags;     /* MH_ROPF_* */
    /* Consumes the request body after the common fields.  0, or -1 with
     * rd->err set when malformed or truncated. */
    int (*skip)(mh_rd *rd);
} mh_ropinfo;

/* The entry of a RopId; NULL for reserved and unknown ids. */
const mh_ropinfo *mh_ropinfo_get(uint8_t rop_id);

/*
 * Writes the complete failure response of a ROP: RopId, the response's
 * handle index, ReturnValue = ec, and the fields that ROP's failure
 * response carries.  `dest_idx` is the request's destination handle index
 * for ROPs that have one.  Returns 0; -1 if the ROP has no response.
 */
int mh_rop_write_failure(mh_wr *wr, uint8_t rop_id, uint8_t handle_idx, uint32_t ec,
                         uint8_t dest_idx);

/* The common request header. */
typedef struct mh_ropheader {
    uint8_t id, logon_id, in_idx, out_idx;
    const mh_ropinfo *info;
} mh_ropheader;
/* Reads it per the table; -1 for an unknown id or truncated input. */
int mh_rd_ropheader(mh_rd *rd, mh_ropheader *h);

#endif
