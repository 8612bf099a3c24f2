/*
 * mh_emsmdb.c - the mailbox endpoint client: sessions (Connect, Execute,
 * Disconnect), ROP batches, and the ROPs whose buffers need no MS-OXCDATA
 * structures (the others are in mh_emsmdb_rops.c).  See mh_emsmdb.h.
 */
#include "mh_emsmdb.h"
#include "mh_bodies.h"
#include "mh_mapierr.h"
#include "mh_rpcext.h"
#include "mh_unicode.h"

#include <stdio.h>
#include <string.h>

#include <apr_strings.h>

/* ---------------------------------------------------------- names */

static const struct {
    uint8_t id;
    const char *name;
} rop_names[] = {
    {MH_ROPID_RELEASE, "RopRelease"},
    {MH_ROPID_OPEN_FOLDER, "RopOpenFolder"},
    {MH_ROPID_OPEN_MESSAGE, "RopOpenMessage"},
    {MH_ROPID_GET_HIERARCHY_TABLE, "RopGetHierarchyTable"},
    {MH_ROPID_GET_CONTENTS_TABLE, "RopGetContentsTable"},
    {MH_ROPID_CREATE_MESSAGE, "RopCreateMessage"},
    {MH_ROPID_GET_PROPS_SPECIFIC, "RopGetPropertiesSpecific"},
    {MH_ROPID_GET_PROPS_ALL, "RopGetPropertiesAll"},
    {MH_ROPID_GET_PROPS_LIST, "RopGetPropertiesList"},
    {MH_ROPID_SET_PROPS, "RopSetProperties"},
    {MH_ROPID_DELETE_PROPS, "RopDeleteProperties"},
    {MH_ROPID_SAVE_CHANGES_MESSAGE, "RopSaveChangesMessage"},
    {MH_ROPID_MODIFY_RECIPIENTS, "RopModifyRecipients"},
    {MH_ROPID_READ_RECIPIENTS, "RopReadRecipients"},
    {MH_ROPID_SET_MESSAGE_READ_FLAG, "RopSetMessageReadFlag"},
    {MH_ROPID_SET_COLUMNS, "RopSetColumns"},
    {MH_ROPID_SORT_TABLE, "RopSortTable"},
    {MH_ROPID_RESTRICT, "RopRestrict"},
    {MH_ROPID_QUERY_ROWS, "RopQueryRows"},
    {MH_ROPID_QUERY_POSITION, "RopQueryPosition"},
    {MH_ROPID_SEEK_ROW, "RopSeekRow"},
    {MH_ROPID_SEEK_ROW_BOOKMARK, "RopSeekRowBookmark"},
    {MH_ROPID_CREATE_BOOKMARK, "RopCreateBookmark"},
    {MH_ROPID_CREATE_FOLDER, "RopCreateFolder"},
    {MH_ROPID_DELETE_FOLDER, "RopDeleteFolder"},
    {MH_ROPID_DELETE_MESSAGES, "RopDeleteMessages"},
    {MH_ROPID_GET_ATTACHMENT_TABLE, "RopGetAttachmentTable"},
    {MH_ROPID_OPEN_ATTACHMENT, "RopOpenAttachment"},
    {MH_ROPID_CREATE_ATTACHMENT, "RopCreateAttachment"},
    {MH_ROPID_SAVE_CHANGES_ATTACHMENT, "RopSaveChangesAttachment"},
    {MH_ROPID_GET_RECEIVE_FOLDER, "RopGetReceiveFolder"},
    {MH_ROPID_NOTIFY, "RopNotify"},
    {MH_ROPID_OPEN_STREAM, "RopOpenStream"},
    {MH_ROPID_READ_STREAM, "RopReadStream"},
    {MH_ROPID_WRITE_STREAM, "RopWriteStream"},
    {MH_ROPID_SEEK_STREAM, "RopSeekStream"},
    {MH_ROPID_SET_STREAM_SIZE, "RopSetStreamSize"},
    {MH_ROPID_MOVE_COPY_MESSAGES, "RopMoveCopyMessages"},
    {MH_ROPID_MOVE_FOLDER, "RopMoveFolder"},
    {MH_ROPID_COPY_FOLDER, "RopCopyFolder"},
    {MH_ROPID_GET_PERMISSIONS_TABLE, "RopGetPermissionsTable"},
    {MH_ROPID_GET_RULES_TABLE, "RopGetRulesTable"},
    {MH_ROPID_MODIFY_PERMISSIONS, "RopModifyPermissions"},
    {MH_ROPID_MODIFY_RULES, "RopModifyRules"},
    {MH_ROPID_LONG_TERM_ID_FROM_ID, "RopLongTermIdFromId"},
    {MH_ROPID_ID_FROM_LONG_TERM_ID, "RopIdFromLongTermId"},
    {MH_ROPID_OPEN_EMBEDDED_MESSAGE, "RopOpenEmbeddedMessage"},
    {MH_ROPID_GET_ADDRESS_TYPES, "RopGetAddressTypes"},
    {MH_ROPID_FIND_ROW, "RopFindRow"},
    {MH_ROPID_GET_NAMES_FROM_IDS, "RopGetNamesFromPropertyIds"},
    {MH_ROPID_GET_IDS_FROM_NAMES, "RopGetPropertyIdsFromNames"},
    {MH_ROPID_EMPTY_FOLDER, "RopEmptyFolder"},
    {MH_ROPID_EXPAND_ROW, "RopExpandRow"},
    {MH_ROPID_COLLAPSE_ROW, "RopCollapseRow"},
    {MH_ROPID_COMMIT_STREAM, "RopCommitStream"},
    {MH_ROPID_GET_STREAM_SIZE, "RopGetStreamSize"},
    {MH_ROPID_SET_READ_FLAGS, "RopSetReadFlags"},
    {MH_ROPID_GET_TRANSPORT_FOLDER, "RopGetTransportFolder"},
    {MH_ROPID_PENDING, "RopPending"},
    {MH_ROPID_OPTIONS_DATA, "RopOptionsData"},
    {MH_ROPID_FREE_BOOKMARK, "RopFreeBookmark"},
    {MH_ROPID_HARD_DELETE_MESSAGES, "RopHardDeleteMessages"},
    {MH_ROPID_BACKOFF, "RopBackoff"},
    {MH_ROPID_LOGON, "RopLogon"},
    {MH_ROPID_BUFFER_TOO_SMALL, "RopBufferTooSmall"},
};

const char *mh_ropc_name(uint8_t rop_id, apr_pool_t *pool)
{
    for (size_t i = 0; i < sizeof(rop_names) / sizeof(rop_names[0]); i++)
        if (rop_names[i].id == rop_id)
            return rop_names[i].name;
    return apr_psprintf(pool, "Rop0x%02X", rop_id);
}

/* MS-OXCDATA 2.4, with the ec names the Exchange specifications use. */
static const struct {
    uint32_t code;
    const char *name;
} err_names[] = {
    {EC_SUCCESS, "Success (ecNone)"},
    {MAPI_E_CALL_FAILED, "MAPI_E_CALL_FAILED (ecError)"},
    {MAPI_E_NOT_ENOUGH_MEMORY, "MAPI_E_NOT_ENOUGH_MEMORY (ecMAPIOOM)"},
    {MAPI_E_INVALID_PARAMETER, "MAPI_E_INVALID_PARAMETER (ecInvalidParam)"},
    {MAPI_E_INTERFACE_NOT_SUPPORTED, "MAPI_E_INTERFACE_NOT_SUPPORTED (ecInterfaceNotSupported)"},
    {MAPI_E_NO_ACCESS, "MAPI_E_NO_ACCESS (ecAccessDenied)"},
    {MAPI_E_NO_SUPPORT, "MAPI_E_NO_SUPPORT (ecNotSupported)"},
    {MAPI_E_BAD_CHARWIDTH, "MAPI_E_BAD_CHARWIDTH (ecBadCharwidth)"},
    {MAPI_E_STRING_TOO_LONG, "MAPI_E_STRING_TOO_LONG (ecStringTooLarge)"},
    {MAPI_E_UNKNOWN_FLAGS, "MAPI_E_UNKNOWN_FLAGS (ecUnknownFlags)"},
    {MAPI_E_INVALID_ENTRYID, "MAPI_E_INVALID_ENTRYID (ecInvalidEntryId)"},
    {MAPI_E_INVALID_OBJECT, "MAPI_E_INVALID_OBJECT (ecInvalidObject)"},
    {MAPI_E_OBJECT_CHANGED, "MAPI_E_OBJECT_CHANGED (ecObjectModified)"},
    {MAPI_E_OBJECT_DELETED, "MAPI_E_OBJECT_DELETED (ecObjectDeleted)"},
    {MAPI_E_BUSY, "MAPI_E_BUSY (ecBusy)"},
    {MAPI_E_NOT_ENOUGH_DISK, "MAPI_E_NOT_ENOUGH_DISK (ecDiskFull)"},
    {MAPI_E_NOT_ENOUGH_RESOURCES, "MAPI_E_NOT_ENOUGH_RESOURCES (ecInsufficientResrc)"},
    {MAPI_E_NOT_FOUND, "MAPI_E_NOT_FOUND (ecNotFound)"},
    {MAPI_E_VERSION, "MAPI_E_VERSION (ecVersionMismatch)"},
    {MAPI_E_LOGON_FAILED, "MAPI_E_LOGON_FAILED (ecLoginFailure)"},
    {MAPI_E_TOO_COMPLEX, "MAPI_E_TOO_COMPLEX (ecTooComplex)"},
    {MAPI_E_CORRUPT_DATA, "MAPI_E_CORRUPT_DATA (ecCorruptData)"},
    {MAPI_E_NETWORK_ERROR, "MAPI_E_NETWORK_ERROR (ecRpcFailed)"},
    {MAPI_E_DISK_ERROR, "MAPI_E_DISK_ERROR (ecDiskError)"},
    {MAPI_E_UNCONFIGURED, "MAPI_E_UNCONFIGURED (ecUnconfigured)"},
    {MAPI_E_END_OF_SESSION, "MAPI_E_END_OF_SESSION (ecEndOfSession)"},
    {MAPI_E_UNKNOWN_ENTRYID, "MAPI_E_UNKNOWN_ENTRYID (ecUnknownEntryId)"},
    {MAPI_E_MISSING_REQUIRED_COLUMN, "MAPI_E_MISSING_REQUIRED_COLUMN (ecMissingRequiredColumn)"},
    {MAPI_E_BAD_VALUE, "MAPI_E_BAD_VALUE (ecBadValue)"},
    {MAPI_E_INVALID_TYPE, "MAPI_E_INVALID_TYPE (ecInvalidType)"},
    {MAPI_E_TYPE_NO_SUPPORT, "MAPI_E_TYPE_NO_SUPPORT (ecTypeNotSupported)"},
    {MAPI_E_UNEXPECTED_TYPE, "MAPI_E_UNEXPECTED_TYPE (ecUnexpectedType)"},
    {MAPI_E_TOO_BIG, "MAPI_E_TOO_BIG (ecTooBig)"},
    {MAPI_E_DECLINE_COPY, "MAPI_E_DECLINE_COPY (ecDeclineCopy)"},
    {MAPI_E_UNEXPECTED_ID, "MAPI_E_UNEXPECTED_ID (ecUnexpectedId)"},
    {MAPI_E_UNABLE_TO_COMPLETE, "MAPI_E_UNABLE_TO_COMPLETE (ecUnableToComplete)"},
    {MAPI_E_TIMEOUT, "MAPI_E_TIMEOUT (ecTimeout)"},
    {MAPI_E_TABLE_EMPTY, "MAPI_E_TABLE_EMPTY (ecTableEmpty)"},
    {MAPI_E_TABLE_TOO_BIG, "MAPI_E_TABLE_TOO_BIG (ecTableTooBig)"},
    {MAPI_E_INVALID_BOOKMARK, "MAPI_E_INVALID_BOOKMARK (ecInvalidBookmark)"},
    {MAPI_E_WAIT, "MAPI_E_WAIT (ecWait)"},
    {MAPI_E_CANCEL, "MAPI_E_CANCEL (ecCancel)"},
    {MAPI_E_NOT_INITIALIZED, "MAPI_E_NOT_INITIALIZED (ecNotInitialized)"},
    {MAPI_E_NOT_IN_QUEUE, "MAPI_E_NOT_IN_QUEUE (ecNotInQueue)"},
    {MAPI_E_NO_SUPPRESS, "MAPI_E_NO_SUPPRESS (ecNoSuppress)"},
    {MAPI_E_COLLISION, "MAPI_E_COLLISION (ecDuplicateName)"},
    {MAPI_E_FOLDER_CYCLE, "MAPI_E_FOLDER_CYCLE (ecFolderCycle)"},
    {MAPI_E_NO_RECIPIENTS, "MAPI_E_NO_RECIPIENTS (ecNoRecipients)"},
    {MAPI_E_SUBMITTED, "MAPI_E_SUBMITTED (ecSubmitted)"},
    {MAPI_E_HAS_FOLDERS, "MAPI_E_HAS_FOLDERS (ecFolderHasChildren)"},
    {MAPI_E_HAS_MESSAGES, "MAPI_E_HAS_MESSAGES (ecFolderHasContents)"},
    {MAPI_E_AMBIGUOUS_RECIP, "MAPI_E_AMBIGUOUS_RECIP (ecAmbiguousRecip)"},
    {MAPI_E_NAMED_PROP_QUOTA_EXCEEDED, "MAPI_E_NAMED_PROP_QUOTA_EXCEEDED (ecNPQuotaExceeded)"},
    {MAPI_E_NOT_IMPLEMENTED, "MAPI_E_NOT_IMPLEMENTED (ecNotImplemented)"},
    {EC_RPC_FORMAT, "ecRpcFormat"},
    {EC_NULL_OBJECT, "ecNullObject"},
    {EC_DST_NULL_OBJECT, "ecDstNullObject"},
    {EC_BUFFER_TOO_SMALL, "ecBufferTooSmall"},
    {EC_QUOTA_EXCEEDED, "ecQuotaExceeded"},
    {EC_UNKNOWN_USER, "ecUnknownUser"},
    {EC_LOGIN_PERM, "ecLoginPerm"},
    {EC_WRONG_SERVER, "ecWrongServer"},
    {0x000003EFu, "ecUnknownCodePage"},
    {0x0000096Cu, "ecMailboxDisabled"},
    {0x0000050Cu, "ecMailboxInTransit"},
    {0x0000047Fu, "ecServerPaused"},
    {0x0000011Cu, "ecProfileNotConfigured"},
    {0x000004DFu, "ecClientVerDisallowed"},
    {0x000004E0u, "ecRpcHttpDisallowed"},
    {0x000004E1u, "ecCachedModeRequired"},
    {0x000007D8u, "ecProtocolDisabled"},
    {EC_STREAM_SIZE_ERROR, "STG_E_MEDIUMFULL (ecStreamSizeError)"},
    {EC_STREAM_ACCESS_DENIED, "STG_E_ACCESSDENIED (ecStreamAccessDenied)"},
    {EC_STREAM_INVALID_PARAM, "STG_E_INVALIDPARAMETER (ecStreamInvalidParam)"},
    {EC_STREAM_SEEK_ERROR, "STG_E_SEEKERROR (ecStreamSeekError)"},
    {EC_NOT_SUPPORTED_STG, "STG_E_INVALIDFUNCTION (ecStreamNotSupported)"},
    {MAPI_W_ERRORS_RETURNED, "MAPI_W_ERRORS_RETURNED (ecWarnWithErrors)"},
    {MAPI_W_POSITION_CHANGED, "MAPI_W_POSITION_CHANGED (ecWarnPositionChanged)"},
    {MAPI_W_APPROX_COUNT, "MAPI_W_APPROX_COUNT (ecWarnApproxCount)"},
    {MAPI_W_PARTIAL_COMPLETION, "MAPI_W_PARTIAL_COMPLETION (ecPartialCompletion)"},
};

const char *mh_mapi_err_name(uint32_t code, apr_pool_t *pool)
{
    for (size_t i = 0; i < sizeof(err_names) / sizeof(err_names[0]); i++)
        if (err_names[i].code == code)
            return err_names[i].name;
    return apr_psprintf(pool, "0x%08X", code);
}

/* --------------------------------------------------------- batches */

void mh_rop_batch_init(mh_rop_batch *b, apr_pool_t *pool)
{
    memset(b, 0, sizeof(*b));
    b->pool = pool;
    mh_wr_init(&b->rops, pool, 256);
    for (unsigned i = 0; i < MH_ROPC_MAX_HANDLES; i++)
        b->handles[i] = MH_HANDLE_UNUSED;
}

static void use_idx(mh_rop_batch *b, uint8_t idx)
{
    if ((unsigned)idx + 1 > b->n_handles)
        b->n_handles = (unsigned)idx + 1;
}

void mh_rop_batch_set_handle(mh_rop_batch *b, uint8_t idx, uint32_t handle)
{
    b->handles[idx] = handle;
    use_idx(b, idx);
}

const unsigned char *mh_rop_batch_buffer(const mh_rop_batch *b, size_t *len_r)
{
    /* RopSize counts itself and the RopsList (MS-OXCROPS 2.2.1) */
    if (b->rops.len > 0xFFFF - 2)
        return NULL;
    mh_wr wr;
    mh_wr_init(&wr, b->pool, 2 + b->rops.len + 4 * b->n_handles);
    mh_wr_u16(&wr, (uint16_t)(2 + b->rops.len));
    mh_wr_bytes(&wr, b->rops.buf, b->rops.len);
    for (unsigned i = 0; i < b->n_handles; i++)
        mh_wr_u32(&wr, b->handles[i]);
    *len_r = wr.len;
    return wr.buf;
}

/* RopId, LogonId and the handle indexes a request starts with. */
mh_wr *mh_ropc_begin(mh_rop_batch *b, uint8_t id, uint8_t logon_id, uint8_t idx)
{
    if (b->n_rops < sizeof(b->ids))
        b->ids[b->n_rops] = id;
    b->n_rops++;
    mh_wr_u8(&b->rops, id);
    mh_wr_u8(&b->rops, logon_id);
    mh_wr_u8(&b->rops, idx);
    use_idx(b, idx);
    return &b->rops;
}

static mh_wr *begin2(mh_rop_batch *b, uint8_t id, uint8_t logon_id, uint8_t idx1, uint8_t idx2)
{
    mh_wr *w = mh_ropc_begin(b, id, logon_id, idx1);
    mh_wr_u8(w, idx2);
    use_idx(b, idx2);
    return w;
}

/* The response header; -1 when it is another ROP's or truncated. */
int mh_ropc_rd_hdr(mh_rd *rd, uint8_t id, mh_ropc_hdr *h)
{
    memset(h, 0, sizeof(*h));
    if (!mh_rd_need(rd, 6))
        return -1;
    h->rop_id = mh_rd_u8(rd);
    if (h->rop_id != id) {
        rd->err = 1;
        return -1;
    }
    h->handle_idx = mh_rd_u8(rd);
    h->rv = mh_rd_u32(rd);
    return 0;
}

static int done(const mh_rd *rd)
{
    return rd->err ? -1 : 0;
}

int mh_ropc_peek(const mh_rd *rd)
{
    if (rd->err || rd->p >= rd->end)
        return -1;
    return rd->p[0];
}

int mh_ropc_simple_parse(mh_rd *rd, uint8_t rop_id, mh_ropc_hdr *h)
{
    if (mh_ropc_rd_hdr(rd, rop_id, h) < 0)
        return -1;
    return done(rd);
}

/* ------------------------------------------------ Connect, Execute */

const unsigned char *mh_emsc_connect_body(apr_pool_t *pool, const char *user_dn,
                                          uint32_t flags, uint32_t code_page,
                                          uint32_t lcid_sort, uint32_t lcid_string,
                                          size_t *len_r)
{
    mh_wr wr;
    mh_wr_init(&wr, pool, 64 + strlen(user_dn));
    mh_wr_asciiz(&wr, user_dn);
    mh_wr_u32(&wr, flags);
    mh_wr_u32(&wr, code_page);
    /* LcidSort before LcidString, as section 2.2.4.1.1 orders them */
    mh_wr_u32(&wr, lcid_sort);
    mh_wr_u32(&wr, lcid_string);
    mh_wr_u32(&wr, 0); /* AuxiliaryBufferSize */
    *len_r = wr.len;
    return wr.buf;
}

/* AuxiliaryBufferSize and the buffer, skipped (checked against what is left). */
static void skip_aux(mh_rd *rd)
{
    uint32_t n = mh_rd_u32(rd);
    mh_rd_bytes(rd, n);
}

int mh_emsc_parse_connect(const unsigned char *body, size_t len, apr_pool_t *pool,
                          mh_connect_info *ci, const char **why_r)
{
    mh_rd rd;
    memset(ci, 0, sizeof(*ci));
    mh_rd_init(&rd, body, len);
    ci->status_code = mh_rd_u32(&rd);
    if (!rd.err && ci->status_code == 0) {
        ci->error_code = mh_rd_u32(&rd);
        ci->polls_max = mh_rd_u32(&rd);
        ci->retry_count = mh_rd_u32(&rd);
        ci->retry_delay = mh_rd_u32(&rd);
        ci->dn_prefix = mh_rd_asciiz(&rd, 1024, pool);
        ci->display_name = mh_rd_utf16z(&rd, 1024, pool);
    }
    skip_aux(&rd);
    mh_rd_expect_end(&rd);
    if (rd.err) {
        *why_r = "malformed Connect response body (MS-OXCMAPIHTTP 2.2.4.1.2)";
        return -1;
    }
    return 0;
}

const unsigned char *mh_emsc_execute_body(apr_pool_t *pool, uint32_t flags,
                                          const unsigned char *payload, size_t plen,
                                          int compress, int obfuscate, uint32_t max_rop_out,
                                          size_t *len_r)
{
    mh_wr rops, wr;
    mh_wr_init(&rops, pool, plen + 16);
    mh_rpcext_append(&rops, payload, plen, compress, obfuscate, 1);
    mh_wr_init(&wr, pool, rops.len + 24);
    mh_wr_u32(&wr, flags);
    mh_wr_u32(&wr, (uint32_t)rops.len);
    mh_wr_bytes(&wr, rops.buf, rops.len);
    mh_wr_u32(&wr, max_rop_out);
    mh_wr_u32(&wr, 0); /* AuxiliaryBufferSize */
    *len_r = wr.len;
    return wr.buf;
}

int mh_emsc_parse_execute(const unsigned char *body, size_t len, apr_pool_t *pool,
                          mh_exec_result *res, const char **why_r)
{
    mh_rd rd;
    memset(res, 0, sizeof(*res));
    mh_rd_init(&rd, body, len);
    res->status_code = mh_rd_u32(&rd);
    if (!rd.err && res->status_code != 0) {
        /* 2.2.4.2.3: StatusCode, AuxiliaryBufferSize, AuxiliaryBuffer */
        skip_aux(&rd);
        mh_rd_expect_end(&rd);
        if (rd.err) {
            *why_r = "malformed Execute failure body (MS-OXCMAPIHTTP 2.2.4.2.3)";
            return -1;
        }
        return 0;
    }
    res->error_code = mh_rd_u32(&rd);
    res->flags = mh_rd_u32(&rd);
    uint32_t size = mh_rd_u32(&rd);
    const unsigned char *buf = mh_rd_bytes(&rd, size);
    skip_aux(&rd);
    mh_rd_expect_end(&rd);
    if (rd.err) {
        *why_r = "malformed Execute response body (MS-OXCMAPIHTTP 2.2.4.2.2)";
        return -1;
    }
    res->rop_buffer_size = size;
    if (size == 0)
        return 0;
    mh_rpcext_payload *pl = NULL;
    size_t n = 0;
    if (mh_rpcext_parse(buf, size, 0, pool, &pl, &n, why_r) < 0)
        return -1;
    res->outs = apr_pcalloc(pool, n * sizeof(*res->outs));
    for (size_t i = 0; i < n; i++) {
        /* MS-OXCROPS 2.2.1: RopSize (itself + RopsList), then handles */
        mh_rd p;
        mh_rd_init(&p, pl[i].data, pl[i].len);
        uint16_t rop_size = mh_rd_u16(&p);
        if (p.err || rop_size < 2 || rop_size > pl[i].len ||
            (pl[i].len - rop_size) % 4 != 0) {
            *why_r = apr_psprintf(pool, "ROP output buffer %zu: bad RopSize %u for %zu bytes "
                                  "(MS-OXCROPS 2.2.1)", i, rop_size, pl[i].len);
            return -1;
        }
        mh_rop_out *o = &res->outs[i];
        o->rops = pl[i].data + 2;
        o->rops_len = rop_size - 2u;
        o->n_handles = (uint32_t)((pl[i].len - rop_size) / 4);
        uint32_t *h = apr_palloc(pool, (o->n_handles ? o->n_handles : 1) * sizeof(uint32_t));
        for (uint32_t k = 0; k < o->n_handles; k++)
            h[k] = mh_get_u32(pl[i].data + rop_size + 4 * k);
        o->handles = h;
        o->ext_flags = pl[i].flags;
    }
    res->n_outs = n;
    return 0;
}

void mh_exec_reader(const mh_exec_result *res, size_t i, mh_rd *rd)
{
    if (i < res->n_outs)
        mh_rd_init(rd, res->outs[i].rops, res->outs[i].rops_len);
    else
        mh_rd_init(rd, NULL, 0);
}

uint32_t mh_exec_handle(const mh_exec_result *res, uint8_t idx)
{
    if (res->n_outs == 0 || idx >= res->outs[0].n_handles)
        return MH_HANDLE_UNUSED;
    return res->outs[0].handles[idx];
}

/* --------------------------------------------------------- sessions */

mh_emsc *mh_emsc_create(apr_pool_t *pool, mh_client *conn, const char *path,
                        const char *user, const char *password)
{
    mh_emsc *em = apr_pcalloc(pool, sizeof(*em));
    em->pool = pool;
    em->mapi = mh_mapi_create(pool, conn, path, user, password);
    /* Outlook 2016 sends 0x10008 (MS-OXCMAPIHTTP examples) and compresses
     * and obfuscates its request buffers (client-quirks.md) */
    em->max_rop_out = 0x10008;
    em->compress = 1;
    em->obfuscate = 1;
    em->code_page = 1252;
    return em;
}

static void fail(mh_emsc *em, mh_emsc_fail kind, const char *detail)
{
    em->fail = kind;
    em->detail = detail;
}

/*
 * One request: the transport checks every call shares.  On success
 * *body_r is the response's binary body.
 */
static int call(mh_emsc *em, apr_pool_t *pool, const char *type, const void *body,
                size_t len, const unsigned char **body_r, size_t *len_r)
{
    em->fail = MH_EMSC_OK;
    em->detail = NULL;
    em->http_status = 0;
    em->response_code = -1;
    em->status_code = 0;
    em->error_code = 0;
    if (em->trace)
        em->trace(em->trace_baton, apr_pstrcat(pool, type, " request", NULL), body, len);
    mh_response *r = NULL;
    if (mh_mapi_call(em->mapi, pool, type, body, len, &r) != APR_SUCCESS || !r) {
        fail(em, MH_EMSC_TRANSPORT, mh_client_error(em->mapi->conn));
        return -1;
    }
    em->http_status = r->status;
    em->response_code = mh_response_code(r);
    if (em->trace)
        em->trace(em->trace_baton, apr_pstrcat(pool, type, " response", NULL), r->body,
                  r->body_len);
    if (r->status != 200) {
        fail(em, MH_EMSC_HTTP, apr_psprintf(pool, "HTTP %d %s", r->status,
                                            r->reason ? r->reason : ""));
        return -1;
    }
    if (em->response_code != 0) {
        const char *n = mh_response_code_name(em->response_code);
        fail(em, MH_EMSC_RESPONSE_CODE,
             em->response_code < 0 ? "no X-ResponseCode header"
                                   : apr_psprintf(pool, "X-ResponseCode %d (%s)",
                                                  em->response_code, n ? n : "undefined"));
        return -1;
    }
    if (!r->inner_ok) {
        fail(em, MH_EMSC_MALFORMED,
             "the response is not a complete MAPI/HTTP response stream "
             "(PROCESSING/DONE, MS-OXCMAPIHTTP 2.2.2.2)");
        return -1;
    }
    *body_r = r->payload;
    *len_r = r->payload_len;
    return 0;
}

int mh_emsc_connect(mh_emsc *em, const char *user_dn)
{
    size_t n, rlen;
    const unsigned char *body = mh_emsc_connect_body(em->pool, user_dn, 0, em->code_page,
                                                     0x409, 0x409, &n);
    const unsigned char *resp;
    if (call(em, em->pool, "Connect", body, n, &resp, &rlen) < 0)
        return -1;
    const char *why = NULL;
    if (mh_emsc_parse_connect(resp, rlen, em->pool, &em->info, &why) < 0) {
        fail(em, MH_EMSC_MALFORMED, why);
        return -1;
    }
    if (em->info.status_code) {
        em->status_code = em->info.status_code;
        fail(em, MH_EMSC_STATUS, apr_psprintf(em->pool, "Connect StatusCode 0x%08X",
                                              em->info.status_code));
        return -1;
    }
    if (em->info.error_code) {
        em->error_code = em->info.error_code;
        fail(em, MH_EMSC_ERROR_CODE,
             apr_psprintf(em->pool, "Connect ErrorCode %s",
                          mh_mapi_err_name(em->info.error_code, em->pool)));
        return -1;
    }
    em->connected = 1;
    return 0;
}

int mh_emsc_execute(mh_emsc *em, apr_pool_t *pool, const mh_rop_batch *b, mh_exec_result *res)
{
    size_t plen, n, rlen;
    memset(res, 0, sizeof(*res));
    const unsigned char *payload = mh_rop_batch_buffer(b, &plen);
    if (!payload || plen > MH_RPCEXT_MAX_PAYLOAD) {
        fail(em, MH_EMSC_MALFORMED, "the ROP batch is larger than one extended buffer (32 KB)");
        return -1;
    }
    if (em->trace)
        em->trace(em->trace_baton, "ROP input buffer", payload, plen);
    const unsigned char *body = mh_emsc_execute_body(pool, em->exec_flags, payload, plen,
                                                     em->compress, em->obfuscate,
                                                     em->max_rop_out, &n);
    const unsigned char *resp;
    if (call(em, pool, "Execute", body, n, &resp, &rlen) < 0)
        return -1;
    const char *why = NULL;
    if (mh_emsc_parse_execute(resp, rlen, pool, res, &why) < 0) {
        fail(em, MH_EMSC_MALFORMED, why);
        return -1;
    }
    if (res->status_code) {
        em->status_code = res->status_code;
        fail(em, MH_EMSC_STATUS, apr_psprintf(pool, "Execute StatusCode 0x%08X",
                                              res->status_code));
        return -1;
    }
    if (res->error_code) {
        em->error_code = res->error_code;
        fail(em, MH_EMSC_ERROR_CODE, apr_psprintf(pool, "Execute ErrorCode %s",
                                                  mh_mapi_err_name(res->error_code, pool)));
        return -1;
    }
    if (em->trace)
        for (size_t i = 0; i < res->n_outs; i++)
            em->trace(em->trace_baton, "ROP output buffer (RopsList)", res->outs[i].rops,
                      res->outs[i].rops_len);
    return 0;
}

int mh_emsc_execute_send(mh_emsc *em, apr_pool_t *pool, const unsigned char *body, size_t len,
                         const unsigned char **resp_r, size_t *resp_len_r)
{
    return call(em, pool, "Execute", body, len, resp_r, resp_len_r);
}

int mh_emsc_disconnect(mh_emsc *em)
{
    /* 2.2.4.3.1: AuxiliaryBufferSize, AuxiliaryBuffer */
    static const unsigned char body[4] = {0, 0, 0, 0};
    const unsigned char *resp;
    size_t rlen;
    if (call(em, em->pool, "Disconnect", body, sizeof(body), &resp, &rlen) < 0)
        return -1;
    mh_rd rd;
    mh_rd_init(&rd, resp, rlen);
    uint32_t status = mh_rd_u32(&rd);
    uint32_t ec = status ? 0 : mh_rd_u32(&rd);
    skip_aux(&rd);
    mh_rd_expect_end(&rd);
    if (rd.err) {
        fail(em, MH_EMSC_MALFORMED, "malformed Disconnect response body (2.2.4.3.2)");
        return -1;
    }
    em->connected = 0;
    if (status) {
        em->status_code = status;
        fail(em, MH_EMSC_STATUS, apr_psprintf(em->pool, "Disconnect StatusCode 0x%08X",
                                              status));
        return -1;
    }
    if (ec) {
        em->error_code = ec;
        fail(em, MH_EMSC_ERROR_CODE, apr_psprintf(em->pool, "Disconnect ErrorCode %s",
                                                  mh_mapi_err_name(ec, em->pool)));
        return -1;
    }
    return 0;
}

/* ================================================== logon (2.2.3) */

void mh_ropc_logon(mh_rop_batch *b, uint8_t logon_id, uint8_t out_idx, uint8_t logon_flags,
                   uint32_t open_flags, uint32_t store_state, const char *essdn)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_LOGON, logon_id, out_idx);
    mh_wr_u8(w, logon_flags);
    mh_wr_u32(w, open_flags);
    mh_wr_u32(w, store_state);
    /* EssdnSize counts the terminating NUL; 0 and no Essdn when absent
     * (2.2.3.1.1) */
    size_t n = essdn ? strlen(essdn) + 1 : 0;
    mh_wr_u16(w, (uint16_t)n);
    if (n)
        mh_wr_bytes(w, essdn, n);
}

static void rd_guid(mh_rd *rd, mh_guid *g)
{
    mh_rd_copy(rd, g->b, 16);
}

int mh_ropc_logon_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_logon_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_LOGON, &r->h) < 0)
        return -1;
    if (r->h.rv == EC_WRONG_SERVER) {
        /* 2.2.3.1.3: LogonFlags, ServerNameSize, ServerName (ASCIIZ) */
        r->logon_flags = mh_rd_u8(rd);
        uint8_t n = mh_rd_u8(rd);
        const unsigned char *s = mh_rd_bytes(rd, n);
        if (s && (n == 0 || s[n - 1] != 0))
            rd->err = 1;
        if (!rd->err)
            r->server_name = n ? apr_pstrmemdup(pool, (const char *)s, n - 1u) : "";
        return done(rd);
    }
    if (r->h.rv != 0)
        return done(rd);
    r->logon_flags = mh_rd_u8(rd);
    if (!(r->logon_flags & MH_LOGON_PRIVATE)) {
        /* the public-folders layout differs (2.2.3.1.2); not spoken here */
        rd->err = 1;
        return -1;
    }
    for (int i = 0; i < MH_LF_COUNT; i++)
        r->folder_ids[i] = mh_rd_u64(rd);
    r->response_flags = mh_rd_u8(rd);
    rd_guid(rd, &r->mailbox_guid);
    r->repl_id = mh_rd_u16(rd);
    rd_guid(rd, &r->repl_guid);
    r->logon_time.sec = mh_rd_u8(rd);
    r->logon_time.min = mh_rd_u8(rd);
    r->logon_time.hour = mh_rd_u8(rd);
    r->logon_time.wday = mh_rd_u8(rd);
    r->logon_time.day = mh_rd_u8(rd);
    r->logon_time.month = mh_rd_u8(rd);
    r->logon_time.year = mh_rd_u16(rd);
    r->gwart_time = mh_rd_u64(rd);
    r->store_state = mh_rd_u32(rd);
    return done(rd);
}

void mh_ropc_release(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx)
{
    mh_ropc_begin(b, MH_ROPID_RELEASE, logon_id, in_idx);
}

void mh_ropc_get_receive_folder(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                const char *message_class)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_GET_RECEIVE_FOLDER, logon_id, in_idx);
    mh_wr_asciiz(w, message_class ? message_class : "");
}

int mh_ropc_get_receive_folder_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_receive_folder_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_GET_RECEIVE_FOLDER, &r->h) < 0)
        return -1;
    if (r->h.rv == 0) {
        r->folder_id = mh_rd_u64(rd);
        /* message classes are at most 255 characters (MS-OXCSTOR 2.2.1.2.1) */
        r->explicit_class = mh_rd_asciiz(rd, 255, pool);
    }
    return done(rd);
}

void mh_ropc_long_term_id_from_id(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                  uint64_t object_id)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_LONG_TERM_ID_FROM_ID, logon_id, in_idx);
    mh_wr_u64(w, object_id);
}

int mh_ropc_long_term_id_from_id_parse(mh_rd *rd, mh_ropc_ltid_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_LONG_TERM_ID_FROM_ID, &r->h) < 0)
        return -1;
    if (r->h.rv == 0) {
        rd_guid(rd, &r->ltid.guid);
        mh_rd_copy(rd, r->ltid.counter, 6);
        r->ltid.pad = mh_rd_u16(rd);
    }
    return done(rd);
}

void mh_ropc_id_from_long_term_id(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                  const mh_long_term_id *ltid)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_ID_FROM_LONG_TERM_ID, logon_id, in_idx);
    mh_wr_bytes(w, ltid->guid.b, 16);
    mh_wr_bytes(w, ltid->counter, 6);
    mh_wr_u16(w, ltid->pad);
}

int mh_ropc_id_from_long_term_id_parse(mh_rd *rd, mh_ropc_id_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_ID_FROM_LONG_TERM_ID, &r->h) < 0)
        return -1;
    if (r->h.rv == 0)
        r->object_id = mh_rd_u64(rd);
    return done(rd);
}

/* ============================================== transport (2.2.7) */

void mh_ropc_get_address_types(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx)
{
    mh_ropc_begin(b, MH_ROPID_GET_ADDRESS_TYPES, logon_id, in_idx);
}

int mh_ropc_get_address_types_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_address_types_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_GET_ADDRESS_TYPES, &r->h) < 0)
        return -1;
    if (r->h.rv != 0)
        return done(rd);
    /* AddressTypeCount, AddressTypeSize (the strings with their NULs),
     * AddressTypes (2.2.7.3.2); every string takes at least its NUL */
    uint16_t n = mh_rd_u16(rd), size = mh_rd_u16(rd);
    const unsigned char *p = mh_rd_bytes(rd, size);
    if (!p || n > size) {
        rd->err = 1;
        return -1;
    }
    mh_rd sub;
    mh_rd_init(&sub, p, size);
    r->types = apr_pcalloc(pool, ((size_t)n + 1) * sizeof(*r->types));
    for (uint16_t i = 0; i < n && !sub.err; i++)
        r->types[i] = mh_rd_asciiz(&sub, size, pool);
    mh_rd_expect_end(&sub);
    if (sub.err)
        rd->err = 1;
    r->n = n;
    return done(rd);
}

void mh_ropc_get_transport_folder(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx)
{
    mh_ropc_begin(b, MH_ROPID_GET_TRANSPORT_FOLDER, logon_id, in_idx);
}

int mh_ropc_get_transport_folder_parse(mh_rd *rd, mh_ropc_id_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_GET_TRANSPORT_FOLDER, &r->h) < 0)
        return -1;
    if (r->h.rv == 0)
        r->object_id = mh_rd_u64(rd);
    return done(rd);
}

void mh_ropc_options_data(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                          const char *address_type, int want_win32)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_OPTIONS_DATA, logon_id, in_idx);
    mh_wr_asciiz(w, address_type ? address_type : "");
    mh_wr_u8(w, want_win32 ? 1 : 0);
}

static void rd_sized_u16_bin(mh_rd *rd, apr_pool_t *pool, mh_bin *bin)
{
    uint16_t n = mh_rd_u16(rd);
    const unsigned char *p = mh_rd_bytes(rd, n);
    if (p) {
        bin->len = n;
        bin->data = apr_pmemdup(pool, p, n ? n : 1);
    }
}

int mh_ropc_options_data_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_options_data_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_OPTIONS_DATA, &r->h) < 0)
        return -1;
    if (r->h.rv != 0)
        return done(rd);
    /* Reserved, OptionsInfoSize, OptionsInfo, HelpFileSize, HelpFile, and
     * HelpFileName only when there is a help file (2.2.7.9.2) */
    r->reserved = mh_rd_u8(rd);
    rd_sized_u16_bin(rd, pool, &r->options_info);
    rd_sized_u16_bin(rd, pool, &r->help_file);
    if (!rd->err && r->help_file.len > 0)
        r->help_file_name = mh_rd_asciiz(rd, mh_rd_left(rd), pool);
    return done(rd);
}

/* ================================================ folders (2.2.4) */

void mh_ropc_open_folder(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t out_idx,
                         uint64_t folder_id, uint8_t open_mode)
{
    mh_wr *w = begin2(b, MH_ROPID_OPEN_FOLDER, logon_id, in_idx, out_idx);
    mh_wr_u64(w, folder_id);
    mh_wr_u8(w, open_mode);
}

/* HasRules, IsGhosted and, when ghosted, the replica servers
 * (2.2.4.1.2, 2.2.4.2.2). */
static void rd_ghost_info(mh_rd *rd, apr_pool_t *pool, uint8_t *has_rules, uint8_t *ghosted,
                          uint16_t *count, uint16_t *cheap, const char ***servers)
{
    *has_rules = mh_rd_u8(rd);
    *ghosted = mh_rd_u8(rd);
    if (!*ghosted || rd->err)
        return;
    *count = mh_rd_u16(rd);
    *cheap = mh_rd_u16(rd);
    /* each name takes at least its NUL */
    if (*cheap > *count || !mh_rd_need(rd, *count)) {
        rd->err = 1;
        return;
    }
    *servers = apr_pcalloc(pool, (*count + 1u) * sizeof(char *));
    for (uint16_t i = 0; i < *count && !rd->err; i++)
        (*servers)[i] = mh_rd_asciiz(rd, 1024, pool);
}

int mh_ropc_open_folder_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_open_folder_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_OPEN_FOLDER, &r->h) < 0)
        return -1;
    if (r->h.rv == 0)
        rd_ghost_info(rd, pool, &r->has_rules, &r->is_ghosted, &r->server_count,
                      &r->cheap_server_count, &r->servers);
    return done(rd);
}

/* A string as 8-bit (the caller's ASCII) or UTF-16, each with its NUL. */
static void wr_string(mh_wr *w, const char *s, int unicode)
{
    if (unicode)
        mh_wr_utf16z(w, s ? s : "");
    else
        mh_wr_asciiz(w, s ? s : "");
}

void mh_ropc_create_folder(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t out_idx,
                           uint8_t folder_type, int unicode, int open_existing,
                           const char *name, const char *comment)
{
    mh_wr *w = begin2(b, MH_ROPID_CREATE_FOLDER, logon_id, in_idx, out_idx);
    mh_wr_u8(w, folder_type);
    mh_wr_u8(w, unicode ? 1 : 0);
    mh_wr_u8(w, open_existing ? 1 : 0);
    mh_wr_u8(w, 0); /* Reserved */
    wr_string(w, name, unicode);
    wr_string(w, comment, unicode);
}

int mh_ropc_create_folder_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_create_folder_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_CREATE_FOLDER, &r->h) < 0)
        return -1;
    if (r->h.rv == 0) {
        r->folder_id = mh_rd_u64(rd);
        r->is_existing = mh_rd_u8(rd);
        if (r->is_existing)
            rd_ghost_info(rd, pool, &r->has_rules, &r->is_ghosted, &r->server_count,
                          &r->cheap_server_count, &r->servers);
    }
    return done(rd);
}

void mh_ropc_delete_folder(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t flags,
                           uint64_t folder_id)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_DELETE_FOLDER, logon_id, in_idx);
    mh_wr_u8(w, flags);
    mh_wr_u64(w, folder_id);
}

/* Header and PartialCompletion; the null destination response of the
 * two-handle ROPs (ecDstNullObject) has DestHandleIndex u32 before it. */
static int rd_partial(mh_rd *rd, uint8_t id, int has_dest, mh_ropc_partial_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, id, &r->h) < 0)
        return -1;
    if (has_dest && r->h.rv == EC_DST_NULL_OBJECT)
        r->dest_idx = mh_rd_u32(rd);
    r->partial = mh_rd_u8(rd);
    return done(rd);
}

int mh_ropc_delete_folder_parse(mh_rd *rd, mh_ropc_partial_r *r)
{
    return rd_partial(rd, MH_ROPID_DELETE_FOLDER, 0, r);
}

static void wr_mids(mh_wr *w, const uint64_t *mids, uint16_t n)
{
    mh_wr_u16(w, n);
    for (uint16_t i = 0; i < n; i++)
        mh_wr_u64(w, mids[i]);
}

static void delete_messages(mh_rop_batch *b, uint8_t id, uint8_t logon_id, uint8_t in_idx,
                            int want_async, int notify_non_read, const uint64_t *mids,
                            uint16_t n)
{
    mh_wr *w = mh_ropc_begin(b, id, logon_id, in_idx);
    mh_wr_u8(w, want_async ? 1 : 0);
    mh_wr_u8(w, notify_non_read ? 1 : 0);
    wr_mids(w, mids, n);
}

void mh_ropc_delete_messages(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                             int want_async, int notify_non_read, const uint64_t *mids,
                             uint16_t n)
{
    delete_messages(b, MH_ROPID_DELETE_MESSAGES, logon_id, in_idx, want_async,
                    notify_non_read, mids, n);
}

int mh_ropc_delete_messages_parse(mh_rd *rd, mh_ropc_partial_r *r)
{
    return rd_partial(rd, MH_ROPID_DELETE_MESSAGES, 0, r);
}

void mh_ropc_hard_delete_messages(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                  int want_async, int notify_non_read, const uint64_t *mids,
                                  uint16_t n)
{
    delete_messages(b, MH_ROPID_HARD_DELETE_MESSAGES, logon_id, in_idx, want_async,
                    notify_non_read, mids, n);
}

int mh_ropc_hard_delete_messages_parse(mh_rd *rd, mh_ropc_partial_r *r)
{
    return rd_partial(rd, MH_ROPID_HARD_DELETE_MESSAGES, 0, r);
}

void mh_ropc_move_copy_messages(mh_rop_batch *b, uint8_t logon_id, uint8_t src_idx,
                                uint8_t dst_idx, const uint64_t *mids, uint16_t n,
                                int want_async, int want_copy)
{
    mh_wr *w = begin2(b, MH_ROPID_MOVE_COPY_MESSAGES, logon_id, src_idx, dst_idx);
    wr_mids(w, mids, n);
    mh_wr_u8(w, want_async ? 1 : 0);
    mh_wr_u8(w, want_copy ? 1 : 0);
}

int mh_ropc_move_copy_messages_parse(mh_rd *rd, mh_ropc_partial_r *r)
{
    return rd_partial(rd, MH_ROPID_MOVE_COPY_MESSAGES, 1, r);
}

void mh_ropc_move_folder(mh_rop_batch *b, uint8_t logon_id, uint8_t src_idx, uint8_t dst_idx,
                         int want_async, int unicode, uint64_t folder_id,
                         const char *new_name)
{
    mh_wr *w = begin2(b, MH_ROPID_MOVE_FOLDER, logon_id, src_idx, dst_idx);
    mh_wr_u8(w, want_async ? 1 : 0);
    mh_wr_u8(w, unicode ? 1 : 0);
    mh_wr_u64(w, folder_id);
    wr_string(w, new_name, unicode);
}

int mh_ropc_move_folder_parse(mh_rd *rd, mh_ropc_partial_r *r)
{
    return rd_partial(rd, MH_ROPID_MOVE_FOLDER, 1, r);
}

void mh_ropc_copy_folder(mh_rop_batch *b, uint8_t logon_id, uint8_t src_idx, uint8_t dst_idx,
                         int want_async, int want_recursive, int unicode, uint64_t folder_id,
                         const char *new_name)
{
    mh_wr *w = begin2(b, MH_ROPID_COPY_FOLDER, logon_id, src_idx, dst_idx);
    mh_wr_u8(w, want_async ? 1 : 0);
    mh_wr_u8(w, want_recursive ? 1 : 0);
    mh_wr_u8(w, unicode ? 1 : 0);
    mh_wr_u64(w, folder_id);
    wr_string(w, new_name, unicode);
}

int mh_ropc_copy_folder_parse(mh_rd *rd, mh_ropc_partial_r *r)
{
    return rd_partial(rd, MH_ROPID_COPY_FOLDER, 1, r);
}

void mh_ropc_empty_folder(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, int want_async,
                          int want_delete_associated)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_EMPTY_FOLDER, logon_id, in_idx);
    mh_wr_u8(w, want_async ? 1 : 0);
    mh_wr_u8(w, want_delete_associated ? 1 : 0);
}

int mh_ropc_empty_folder_parse(mh_rd *rd, mh_ropc_partial_r *r)
{
    return rd_partial(rd, MH_ROPID_EMPTY_FOLDER, 0, r);
}

static void get_table(mh_rop_batch *b, uint8_t id, uint8_t logon_id, uint8_t in_idx,
                      uint8_t out_idx, uint8_t table_flags)
{
    mh_wr *w = begin2(b, id, logon_id, in_idx, out_idx);
    mh_wr_u8(w, table_flags);
}

void mh_ropc_get_hierarchy_table(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                 uint8_t out_idx, uint8_t table_flags)
{
    get_table(b, MH_ROPID_GET_HIERARCHY_TABLE, logon_id, in_idx, out_idx, table_flags);
}

void mh_ropc_get_contents_table(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                uint8_t out_idx, uint8_t table_flags)
{
    get_table(b, MH_ROPID_GET_CONTENTS_TABLE, logon_id, in_idx, out_idx, table_flags);
}

static int rd_table(mh_rd *rd, uint8_t id, mh_ropc_table_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, id, &r->h) < 0)
        return -1;
    if (r->h.rv == 0)
        r->row_count = mh_rd_u32(rd);
    return done(rd);
}

int mh_ropc_get_hierarchy_table_parse(mh_rd *rd, mh_ropc_table_r *r)
{
    return rd_table(rd, MH_ROPID_GET_HIERARCHY_TABLE, r);
}

int mh_ropc_get_contents_table_parse(mh_rd *rd, mh_ropc_table_r *r)
{
    return rd_table(rd, MH_ROPID_GET_CONTENTS_TABLE, r);
}

/* ================================================= tables (2.2.5) */

static int rd_status(mh_rd *rd, uint8_t id, mh_ropc_status_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, id, &r->h) < 0)
        return -1;
    if (r->h.rv == 0)
        r->table_status = mh_rd_u8(rd);
    return done(rd);
}

int mh_ropc_set_columns_parse(mh_rd *rd, mh_ropc_status_r *r)
{
    return rd_status(rd, MH_ROPID_SET_COLUMNS, r);
}

int mh_ropc_sort_table_parse(mh_rd *rd, mh_ropc_status_r *r)
{
    return rd_status(rd, MH_ROPID_SORT_TABLE, r);
}

int mh_ropc_restrict_parse(mh_rd *rd, mh_ropc_status_r *r)
{
    return rd_status(rd, MH_ROPID_RESTRICT, r);
}

void mh_ropc_query_rows(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t flags,
                        int forward, uint16_t row_count)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_QUERY_ROWS, logon_id, in_idx);
    mh_wr_u8(w, flags);
    mh_wr_u8(w, forward ? 1 : 0);
    mh_wr_u16(w, row_count);
}

void mh_ropc_query_position(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx)
{
    mh_ropc_begin(b, MH_ROPID_QUERY_POSITION, logon_id, in_idx);
}

int mh_ropc_query_position_parse(mh_rd *rd, mh_ropc_position_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_QUERY_POSITION, &r->h) < 0)
        return -1;
    if (r->h.rv == 0) {
        r->numerator = mh_rd_u32(rd);
        r->denominator = mh_rd_u32(rd);
    }
    return done(rd);
}

void mh_ropc_seek_row(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t origin,
                      int32_t row_count, int want_moved_count)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_SEEK_ROW, logon_id, in_idx);
    mh_wr_u8(w, origin);
    mh_wr_u32(w, (uint32_t)row_count);
    mh_wr_u8(w, want_moved_count ? 1 : 0);
}

int mh_ropc_seek_row_parse(mh_rd *rd, mh_ropc_seek_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_SEEK_ROW, &r->h) < 0)
        return -1;
    if (r->h.rv == 0) {
        r->has_sought_less = mh_rd_u8(rd);
        r->rows_sought = (int32_t)mh_rd_u32(rd);
    }
    return done(rd);
}

void mh_ropc_create_bookmark(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx)
{
    mh_ropc_begin(b, MH_ROPID_CREATE_BOOKMARK, logon_id, in_idx);
}

int mh_ropc_create_bookmark_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_bookmark_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_CREATE_BOOKMARK, &r->h) < 0)
        return -1;
    if (r->h.rv == 0) {
        uint16_t n = mh_rd_u16(rd);
        const unsigned char *p = mh_rd_bytes(rd, n);
        if (p) {
            r->bookmark.len = n;
            r->bookmark.data = apr_pmemdup(pool, p, n ? n : 1);
        }
    }
    return done(rd);
}

static void wr_bookmark(mh_wr *w, const mh_bin *bm)
{
    mh_wr_u16(w, (uint16_t)bm->len);
    mh_wr_bytes(w, bm->data, bm->len);
}

void mh_ropc_seek_row_bookmark(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                               const mh_bin *bookmark, int32_t row_count,
                               int want_moved_count)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_SEEK_ROW_BOOKMARK, logon_id, in_idx);
    wr_bookmark(w, bookmark);
    mh_wr_u32(w, (uint32_t)row_count);
    mh_wr_u8(w, want_moved_count ? 1 : 0);
}

int mh_ropc_seek_row_bookmark_parse(mh_rd *rd, mh_ropc_seek_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_SEEK_ROW_BOOKMARK, &r->h) < 0)
        return -1;
    if (r->h.rv == 0) {
        r->row_no_longer_visible = mh_rd_u8(rd);
        r->has_sought_less = mh_rd_u8(rd);
        r->rows_sought = (int32_t)mh_rd_u32(rd);
    }
    return done(rd);
}

void mh_ropc_free_bookmark(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                           const mh_bin *bookmark)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_FREE_BOOKMARK, logon_id, in_idx);
    wr_bookmark(w, bookmark);
}

void mh_ropc_expand_row(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                        uint16_t max_rows, uint64_t category_id)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_EXPAND_ROW, logon_id, in_idx);
    mh_wr_u16(w, max_rows);
    mh_wr_u64(w, category_id);
}

void mh_ropc_collapse_row(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                          uint64_t category_id)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_COLLAPSE_ROW, logon_id, in_idx);
    mh_wr_u64(w, category_id);
}

int mh_ropc_collapse_row_parse(mh_rd *rd, mh_ropc_collapse_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_COLLAPSE_ROW, &r->h) < 0)
        return -1;
    if (r->h.rv == 0)
        r->collapsed_count = mh_rd_u32(rd);
    return done(rd);
}

/* ============================================== messages (2.2.6) */

void mh_ropc_create_message(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t out_idx,
                            uint16_t code_page, uint64_t folder_id, int associated)
{
    mh_wr *w = begin2(b, MH_ROPID_CREATE_MESSAGE, logon_id, in_idx, out_idx);
    mh_wr_u16(w, code_page);
    mh_wr_u64(w, folder_id);
    mh_wr_u8(w, associated ? 1 : 0);
}

int mh_ropc_create_message_parse(mh_rd *rd, mh_ropc_create_message_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_CREATE_MESSAGE, &r->h) < 0)
        return -1;
    if (r->h.rv == 0) {
        r->has_message_id = mh_rd_u8(rd);
        if (r->has_message_id)
            r->message_id = mh_rd_u64(rd);
    }
    return done(rd);
}

void mh_ropc_open_message(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t out_idx,
                          uint16_t code_page, uint64_t folder_id, uint8_t open_mode,
                          uint64_t message_id)
{
    mh_wr *w = begin2(b, MH_ROPID_OPEN_MESSAGE, logon_id, in_idx, out_idx);
    mh_wr_u16(w, code_page);
    mh_wr_u64(w, folder_id);
    mh_wr_u8(w, open_mode);
    mh_wr_u64(w, message_id);
}

void mh_ropc_open_embedded_message(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                   uint8_t out_idx, uint16_t code_page, uint8_t open_mode)
{
    mh_wr *w = begin2(b, MH_ROPID_OPEN_EMBEDDED_MESSAGE, logon_id, in_idx, out_idx);
    mh_wr_u16(w, code_page);
    mh_wr_u8(w, open_mode);
}

void mh_ropc_save_changes_message(mh_rop_batch *b, uint8_t logon_id, uint8_t resp_idx,
                                  uint8_t in_idx, uint8_t save_flags)
{
    mh_wr *w = begin2(b, MH_ROPID_SAVE_CHANGES_MESSAGE, logon_id, resp_idx, in_idx);
    mh_wr_u8(w, save_flags);
}

int mh_ropc_save_changes_message_parse(mh_rd *rd, mh_ropc_save_message_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_SAVE_CHANGES_MESSAGE, &r->h) < 0)
        return -1;
    if (r->h.rv == 0) {
        r->in_idx = mh_rd_u8(rd);
        r->message_id = mh_rd_u64(rd);
    }
    return done(rd);
}

void mh_ropc_read_recipients(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                             uint32_t row_id)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_READ_RECIPIENTS, logon_id, in_idx);
    mh_wr_u32(w, row_id);
    mh_wr_u16(w, 0); /* Reserved */
}

void mh_ropc_set_message_read_flag(mh_rop_batch *b, uint8_t logon_id, uint8_t resp_idx,
                                   uint8_t in_idx, uint8_t read_flags,
                                   const uint8_t *client_data)
{
    mh_wr *w = begin2(b, MH_ROPID_SET_MESSAGE_READ_FLAG, logon_id, resp_idx, in_idx);
    mh_wr_u8(w, read_flags);
    if (client_data)
        mh_wr_bytes(w, client_data, 24);
}

int mh_ropc_set_message_read_flag_parse(mh_rd *rd, int public_logon, mh_ropc_read_flag_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_SET_MESSAGE_READ_FLAG, &r->h) < 0)
        return -1;
    if (r->h.rv == 0) {
        r->read_status_changed = mh_rd_u8(rd);
        /* LogonId and ClientData come back only in public folder mode when
         * the status changed (MS-OXCMSG 2.2.3.11.2) */
        if (r->read_status_changed && public_logon) {
            r->logon_id = mh_rd_u8(rd);
            mh_rd_copy(rd, r->client_data, 24);
        }
    }
    return done(rd);
}

void mh_ropc_set_read_flags(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, int want_async,
                            uint8_t read_flags, const uint64_t *mids, uint16_t n)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_SET_READ_FLAGS, logon_id, in_idx);
    mh_wr_u8(w, want_async ? 1 : 0);
    mh_wr_u8(w, read_flags);
    wr_mids(w, mids, n);
}

int mh_ropc_set_read_flags_parse(mh_rd *rd, mh_ropc_partial_r *r)
{
    return rd_partial(rd, MH_ROPID_SET_READ_FLAGS, 0, r);
}

void mh_ropc_get_attachment_table(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                  uint8_t out_idx, uint8_t table_flags)
{
    get_table(b, MH_ROPID_GET_ATTACHMENT_TABLE, logon_id, in_idx, out_idx, table_flags);
}

void mh_ropc_open_attachment(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                             uint8_t out_idx, uint8_t flags, uint32_t attach_num)
{
    mh_wr *w = begin2(b, MH_ROPID_OPEN_ATTACHMENT, logon_id, in_idx, out_idx);
    mh_wr_u8(w, flags);
    mh_wr_u32(w, attach_num);
}

void mh_ropc_create_attachment(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                               uint8_t out_idx)
{
    begin2(b, MH_ROPID_CREATE_ATTACHMENT, logon_id, in_idx, out_idx);
}

int mh_ropc_create_attachment_parse(mh_rd *rd, mh_ropc_create_attachment_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_CREATE_ATTACHMENT, &r->h) < 0)
        return -1;
    if (r->h.rv == 0)
        r->attach_num = mh_rd_u32(rd);
    return done(rd);
}

void mh_ropc_save_changes_attachment(mh_rop_batch *b, uint8_t logon_id, uint8_t resp_idx,
                                     uint8_t in_idx, uint8_t save_flags)
{
    mh_wr *w = begin2(b, MH_ROPID_SAVE_CHANGES_ATTACHMENT, logon_id, resp_idx, in_idx);
    mh_wr_u8(w, save_flags);
}

/* ================================================ streams (2.2.9) */

void mh_ropc_open_stream(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t out_idx,
                         mh_proptag tag, uint8_t open_mode)
{
    mh_wr *w = begin2(b, MH_ROPID_OPEN_STREAM, logon_id, in_idx, out_idx);
    mh_wr_u32(w, tag);
    mh_wr_u8(w, open_mode);
}

static int rd_stream_size(mh_rd *rd, uint8_t id, mh_ropc_stream_size_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, id, &r->h) < 0)
        return -1;
    if (r->h.rv == 0)
        r->size = mh_rd_u32(rd);
    return done(rd);
}

int mh_ropc_open_stream_parse(mh_rd *rd, mh_ropc_stream_size_r *r)
{
    return rd_stream_size(rd, MH_ROPID_OPEN_STREAM, r);
}

void mh_ropc_read_stream(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                         uint16_t byte_count, uint32_t max_byte_count)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_READ_STREAM, logon_id, in_idx);
    mh_wr_u16(w, byte_count);
    if (byte_count == 0xBABE)
        mh_wr_u32(w, max_byte_count);
}

int mh_ropc_read_stream_parse(mh_rd *rd, mh_ropc_read_stream_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_READ_STREAM, &r->h) < 0)
        return -1;
    r->size = mh_rd_u16(rd);
    r->data = mh_rd_bytes(rd, r->size);
    return done(rd);
}

void mh_ropc_write_stream(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, const void *data,
                          uint16_t len)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_WRITE_STREAM, logon_id, in_idx);
    mh_wr_u16(w, len);
    mh_wr_bytes(w, data, len);
}

int mh_ropc_write_stream_parse(mh_rd *rd, mh_ropc_written_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_WRITE_STREAM, &r->h) < 0)
        return -1;
    r->written = mh_rd_u16(rd);
    return done(rd);
}

void mh_ropc_commit_stream(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx)
{
    mh_ropc_begin(b, MH_ROPID_COMMIT_STREAM, logon_id, in_idx);
}

void mh_ropc_get_stream_size(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx)
{
    mh_ropc_begin(b, MH_ROPID_GET_STREAM_SIZE, logon_id, in_idx);
}

int mh_ropc_get_stream_size_parse(mh_rd *rd, mh_ropc_stream_size_r *r)
{
    return rd_stream_size(rd, MH_ROPID_GET_STREAM_SIZE, r);
}

void mh_ropc_set_stream_size(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint64_t size)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_SET_STREAM_SIZE, logon_id, in_idx);
    mh_wr_u64(w, size);
}

void mh_ropc_seek_stream(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t origin,
                         int64_t offset)
{
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_SEEK_STREAM, logon_id, in_idx);
    mh_wr_u8(w, origin);
    mh_wr_u64(w, (uint64_t)offset);
}

int mh_ropc_seek_stream_parse(mh_rd *rd, mh_ropc_seek_stream_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_ropc_rd_hdr(rd, MH_ROPID_SEEK_STREAM, &r->h) < 0)
        return -1;
    if (r->h.rv == 0)
        r->new_position = mh_rd_u64(rd);
    return done(rd);
}

/* ====================================== permissions, rules (2.2.10) */

void mh_ropc_get_permissions_table(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                   uint8_t out_idx, uint8_t table_flags)
{
    get_table(b, MH_ROPID_GET_PERMISSIONS_TABLE, logon_id, in_idx, out_idx, table_flags);
}

void mh_ropc_get_rules_table(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                             uint8_t out_idx, uint8_t table_flags)
{
    get_table(b, MH_ROPID_GET_RULES_TABLE, logon_id, in_idx, out_idx, table_flags);
}

/* ========================================= RopBufferTooSmall (2.2.15.1) */

int mh_ropc_buffer_too_small_parse(mh_rd *rd, mh_ropc_too_small_r *r)
{
    memset(r, 0, sizeof(*r));
    if (mh_rd_u8(rd) != MH_ROPID_BUFFER_TOO_SMALL) {
        rd->err = 1;
        return -1;
    }
    r->size_needed = mh_rd_u16(rd);
    r->requests_len = mh_rd_left(rd);
    r->requests = mh_rd_bytes(rd, r->requests_len);
    return done(rd);
}
