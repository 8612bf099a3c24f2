/*
 * mh_ropinfo.h - the table of every RopId (MS-OXCROPS 2.2.2) with what the
 * ROP engine needs to know about a ROP it may not implement: the common
 * fields of its request, how to step over the rest of its request (so that
 * the remaining ROPs of the batch still run), and the exact bytes of its
 * failure response (MS-OXCROPS 2.2.3 to 2.2.15).
 *
 * Request layout as this table sees it:
 *
 *   RopId u8, LogonId u8,
 *   [ResponseHandleIndex u8]      MH_ROPF_RESPONSE_INDEX (RopSaveChangesMessage,
 *                                 RopSaveChangesAttachment, RopSetMessageReadFlag)
 *   [InputHandleIndex u8]         MH_ROPF_INPUT (all but RopLogon)
 *   [DestHandleIndex u8]          MH_ROPF_DEST (the copy and move ROPs)
 *   [OutputHandleIndex u8]        MH_ROPF_OUTPUT (ROPs that create an object)
 *   body                          consumed by mh_ropinfo.skip
 *
 * Two request bodies depend on the kind of logon (MS-OXCROPS 2.2.6.11.1,
 * 2.2.3.13.1): the skippers assume a private mailbox logon, the only kind
 * this server grants (RopSetMessageReadFlag carries no ClientData, and
 * RopWritePerUserInformation carries ReplGuid when DataOffset is 0).
 */
#ifndef MH_ROPINFO_H
#define MH_ROPINFO_H

#include <stdint.h>

#include "mh_wire.h"

#define MH_ROPF_INPUT 0x01         /* request has InputHandleIndex (u8) after LogonId */
#define MH_ROPF_OUTPUT 0x02        /* request has OutputHandleIndex (u8): the ROP creates an object */
#define MH_ROPF_RESPONSE_ONLY 0x04 /* RopNotify, RopPending, RopBufferTooSmall, RopBackoff: never in requests */
#define MH_ROPF_NO_RESPONSE 0x08   /* RopRelease: no response at all */
#define MH_ROPF_DEST 0x10          /* request has DestHandleIndex (u8) right after InputHandleIndex */
#define MH_ROPF_RESPONSE_INDEX 0x20 /* request has ResponseHandleIndex (u8) before InputHandleIndex;
                                     * the response carries it */

typedef struct mh_ropinfo {
    uint8_t id;
    const char *name; /* "RopOpenFolder" */
    const char *spec; /* defining document and MS-OXCROPS section, e.g. "MS-OXCFOLD; MS-OXCROPS 2.2.4.1" */
    uint8_t flags;    /* MH_ROPF_* */
    /*
     * Consumes the request body that follows the common fields (RopId,
     * LogonId, and the handle indexes the flags say; RopLogon is RopId,
     * LogonId, OutputHandleIndex, ...).  Returns 0, or -1 with rd->err set
     * when the bytes are malformed or truncated.  NULL for response-only
     * ROPs.
     */
    int (*skip)(mh_rd *rd);
    uint8_t failure; /* MH_ROPFAIL_*: the shape of the failure response */
} mh_ropinfo;

/* Shapes of failure responses after RopId, handle index, ReturnValue. */
enum {
    MH_ROPFAIL_PLAIN = 0,     /* nothing more */
    MH_ROPFAIL_NONE,          /* no response (RopRelease) or no request (response-only) */
    MH_ROPFAIL_LOGON,         /* ecWrongServer: LogonFlags, ServerNameSize, ServerName */
    MH_ROPFAIL_PARTIAL,       /* PartialCompletion u8 */
    MH_ROPFAIL_DEST_PARTIAL,  /* ecDstNullObject: DestHandleIndex u32; then PartialCompletion u8 */
    MH_ROPFAIL_DEST,          /* ecDstNullObject: DestHandleIndex u32 */
    MH_ROPFAIL_COPYTOSTREAM,  /* [ecDstNullObject: DestHandleIndex u32], ReadByteCount u64,
                               * WrittenByteCount u64 */
    MH_ROPFAIL_WRITTEN16,     /* WrittenSize u16 */
    MH_ROPFAIL_WRITTEN32,     /* WrittenSize u32 */
    MH_ROPFAIL_READSTREAM,    /* DataSize u16 (0) */
    MH_ROPFAIL_PUTBUFFER,     /* TransferStatus, InProgressCount, TotalStepCount u16, Reserved u8,
                               * BufferUsedSize u16 */
    MH_ROPFAIL_PUTBUFFER_EXT, /* the same with BufferUsedSize u32 */
    MH_ROPFAIL_GETBUFFER      /* ecServerBusy: BackoffTime u32; else TransferStatus,
                               * InProgressCount, TotalStepCount u16, Reserved u8,
                               * TransferBufferSize u16 (0) */
};

/* The number of ids with an entry (MS-OXCROPS 2.2.2: 132). */
#define MH_ROPINFO_COUNT 132

/* The entry of a RopId, NULL for reserved/unknown ids (MS-OXCROPS says the
 * server should fail the whole Execute on these). */
const mh_ropinfo *mh_ropinfo_get(uint8_t rop_id);

/*
 * Writes the complete failure response of a ROP: RopId, the response's
 * handle index (OutputHandleIndex for object-creating ROPs,
 * ResponseHandleIndex for the three ROPs that have one, otherwise
 * InputHandleIndex; mh_ropheader.resp_idx holds the right one),
 * ReturnValue = ec, followed by whatever fields that ROP's failure response
 * carries (MH_ROPFAIL_*).  `dest_idx` is the request's DestHandleIndex for
 * ROPs that have one (else ignored).  ec must not be 0.  RopLogon with
 * ecWrongServer gets the redirect layout with LogonFlags 0 and an empty
 * server name here (its handler names the server with
 * mh_rop_logon_redirect_body).  Returns 0; -1 if the ROP has no response
 * (RopRelease, response-only and unknown ids).
 */
int mh_rop_write_failure(mh_wr *wr, uint8_t rop_id, uint8_t handle_idx, uint32_t ec,
                         uint8_t dest_idx);

/*
 * The fields of RopLogon's redirect response after its ReturnValue
 * ecWrongServer (MS-OXCROPS 2.2.3.1.4): LogonFlags, ServerNameSize (a u8
 * that counts the NUL), ServerName.  The one writer of that layout: the
 * RopLogon handler writes it as its response body, mh_rop_write_failure
 * after the common header.  `server` is ASCII; NULL is "".  Returns 0, or
 * -1 with nothing written when it is longer than 254 characters (a cut
 * name would send the client to the wrong server).
 */
int mh_rop_logon_redirect_body(mh_wr *wr, uint8_t logon_flags, const char *server);

/* Reads the common request header per the table: logon id, input index,
 * output index (0xFF... leave absent ones 0). */
typedef struct mh_ropheader {
    uint8_t id, logon_id, in_idx, out_idx;
    const mh_ropinfo *info;
    uint8_t dest_idx; /* DestHandleIndex (MH_ROPF_DEST), else 0 */
    uint8_t resp_idx; /* the handle index the response carries */
} mh_ropheader;
/*
 * -1: unknown id or truncated.  On an unknown, reserved or response-only
 * id, h->id is set, h->info is NULL (reserved) or the response-only entry,
 * and rd->err is left clear; on truncation rd->err is set.
 */
int mh_rd_ropheader(mh_rd *rd, mh_ropheader *h);

#endif
