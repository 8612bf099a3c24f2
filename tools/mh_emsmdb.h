/*
 * mh_emsmdb.h - a client of the mailbox endpoint (/mapi/emsmdb) that
 * speaks it as Outlook does: Connect, Execute and Disconnect
 * (MS-OXCMAPIHTTP 2.2.4) over mh_client, ROP input buffers with their
 * handle table (MS-OXCROPS 2.2.1) inside extended buffers (MS-OXCRPC
 * 2.2.2.1, optionally LZ77-compressed and XORed), and for each ROP a
 * request builder and a response parser (MS-OXCROPS 2.2.3 - 2.2.11).
 * The probe tool and the tests are built on it.
 *
 * Naming: the session is an mh_emsc ("EMSMDB client"); the server's own
 * types (mh_rop.h) keep the mh_rop_ and mh_emsmdb names.  A ROP's request
 * builder is mh_ropc_NAME(batch, ...) and its response parser
 * mh_ropc_NAME_parse(rd, ...).
 *
 * Response parsers read one ROP response from a reader over the response
 * RopsList (the ROPs come back in request order; RopRelease has none).
 * Each returns 0 when the response was well formed - its ReturnValue is
 * then in the result's `rv`, and the fields after it are valid only when
 * rv is 0 (except where noted) - or -1 when it was malformed or is the
 * response of another ROP (rd->err set).  They never read past the
 * buffer and check counts against the bytes left before allocating.
 */
#ifndef MH_EMSMDB_H
#define MH_EMSMDB_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>

#include "mapihttp/props.h"
#include "mh_client.h"
#include "mh_http.h"
#include "mh_oxcdata.h"
#include "mh_wire.h"

/* ------------------------------------------------------------ RopIds */

/* MS-OXCROPS 2.2.2 */
#define MH_ROPID_RELEASE 0x01
#define MH_ROPID_OPEN_FOLDER 0x02
#define MH_ROPID_OPEN_MESSAGE 0x03
#define MH_ROPID_GET_HIERARCHY_TABLE 0x04
#define MH_ROPID_GET_CONTENTS_TABLE 0x05
#define MH_ROPID_CREATE_MESSAGE 0x06
#define MH_ROPID_GET_PROPS_SPECIFIC 0x07
#define MH_ROPID_GET_PROPS_ALL 0x08
#define MH_ROPID_GET_PROPS_LIST 0x09
#define MH_ROPID_SET_PROPS 0x0A
#define MH_ROPID_DELETE_PROPS 0x0B
#define MH_ROPID_SAVE_CHANGES_MESSAGE 0x0C
#define MH_ROPID_MODIFY_RECIPIENTS 0x0E
#define MH_ROPID_READ_RECIPIENTS 0x0F
#define MH_ROPID_SET_MESSAGE_READ_FLAG 0x11
#define MH_ROPID_SET_COLUMNS 0x12
#define MH_ROPID_SORT_TABLE 0x13
#define MH_ROPID_RESTRICT 0x14
#define MH_ROPID_QUERY_ROWS 0x15
#define MH_ROPID_QUERY_POSITION 0x17
#define MH_ROPID_SEEK_ROW 0x18
#define MH_ROPID_SEEK_ROW_BOOKMARK 0x19
#define MH_ROPID_CREATE_BOOKMARK 0x1B
#define MH_ROPID_CREATE_FOLDER 0x1C
#define MH_ROPID_DELETE_FOLDER 0x1D
#define MH_ROPID_DELETE_MESSAGES 0x1E
#define MH_ROPID_GET_ATTACHMENT_TABLE 0x21
#define MH_ROPID_OPEN_ATTACHMENT 0x22
#define MH_ROPID_CREATE_ATTACHMENT 0x23
#define MH_ROPID_SAVE_CHANGES_ATTACHMENT 0x25
#define MH_ROPID_GET_RECEIVE_FOLDER 0x27
#define MH_ROPID_NOTIFY 0x2A
#define MH_ROPID_OPEN_STREAM 0x2B
#define MH_ROPID_READ_STREAM 0x2C
#define MH_ROPID_WRITE_STREAM 0x2D
#define MH_ROPID_SEEK_STREAM 0x2E
#define MH_ROPID_SET_STREAM_SIZE 0x2F
#define MH_ROPID_MOVE_COPY_MESSAGES 0x33
#define MH_ROPID_MOVE_FOLDER 0x35
#define MH_ROPID_COPY_FOLDER 0x36
#define MH_ROPID_GET_PERMISSIONS_TABLE 0x3E
#define MH_ROPID_GET_RULES_TABLE 0x3F
#define MH_ROPID_MODIFY_PERMISSIONS 0x40
#define MH_ROPID_MODIFY_RULES 0x41
#define MH_ROPID_LONG_TERM_ID_FROM_ID 0x43
#define MH_ROPID_ID_FROM_LONG_TERM_ID 0x44
#define MH_ROPID_OPEN_EMBEDDED_MESSAGE 0x46
#define MH_ROPID_GET_ADDRESS_TYPES 0x49
#define MH_ROPID_FIND_ROW 0x4F
#define MH_ROPID_GET_NAMES_FROM_IDS 0x55
#define MH_ROPID_GET_IDS_FROM_NAMES 0x56
#define MH_ROPID_EMPTY_FOLDER 0x58
#define MH_ROPID_EXPAND_ROW 0x59
#define MH_ROPID_COLLAPSE_ROW 0x5A
#define MH_ROPID_COMMIT_STREAM 0x5D
#define MH_ROPID_GET_STREAM_SIZE 0x5E
#define MH_ROPID_SET_READ_FLAGS 0x66
#define MH_ROPID_GET_TRANSPORT_FOLDER 0x6D
#define MH_ROPID_PENDING 0x6E
#define MH_ROPID_OPTIONS_DATA 0x6F
#define MH_ROPID_FREE_BOOKMARK 0x89
#define MH_ROPID_HARD_DELETE_MESSAGES 0x91
#define MH_ROPID_BACKOFF 0xF9
#define MH_ROPID_LOGON 0xFE
#define MH_ROPID_BUFFER_TOO_SMALL 0xFF

/* "RopOpenFolder"; "Rop0x.." for ids this client does not know. */
const char *mh_ropc_name(uint8_t rop_id, apr_pool_t *pool);

/* ------------------------------------------------------- error names */

/* The MS-OXCDATA 2.4 name of a MAPI code ("MAPI_E_NOT_FOUND (ecNotFound)"),
 * or "0x%08X" for codes without one. */
const char *mh_mapi_err_name(uint32_t code, apr_pool_t *pool);
/* The meaning of an X-ResponseCode: mh_response_code_name() of mh_http.h. */

/* --------------------------------------------------------- ROP batches */

#define MH_HANDLE_UNUSED 0xFFFFFFFFu
/* Handle indexes are a byte (MS-OXCROPS 2.2.1). */
#define MH_ROPC_MAX_HANDLES 256

/*
 * A ROP input buffer being built: the RopsList, and the server object
 * handle table sized to the highest index any ROP uses (slots the caller
 * did not set hold 0xFFFFFFFF, as a client fills slots that are only
 * outputs; MS-OXCROPS 3.1.4.1).
 */
typedef struct mh_rop_batch {
    apr_pool_t *pool;
    mh_wr rops;
    uint32_t handles[MH_ROPC_MAX_HANDLES];
    unsigned n_handles;       /* slots in the table (highest index + 1) */
    unsigned n_rops;
    uint8_t ids[64];          /* RopIds of the first 64 ROPs (for messages) */
} mh_rop_batch;

void mh_rop_batch_init(mh_rop_batch *b, apr_pool_t *pool);
/* Puts a server object handle into slot idx (and sizes the table). */
void mh_rop_batch_set_handle(mh_rop_batch *b, uint8_t idx, uint32_t handle);
/*
 * The ROP input buffer (MS-OXCROPS 2.2.1): RopSize, RopsList,
 * ServerObjectHandleTable.  NULL when RopSize would not fit 16 bits.
 */
const unsigned char *mh_rop_batch_buffer(const mh_rop_batch *b, size_t *len_r);

/* ------------------------------------------------- Connect and Execute */

/* A Connect request body (MS-OXCMAPIHTTP 2.2.4.1.1). */
const unsigned char *mh_emsc_connect_body(apr_pool_t *pool, const char *user_dn,
                                          uint32_t flags, uint32_t code_page,
                                          uint32_t lcid_sort, uint32_t lcid_string,
                                          size_t *len_r);

/* A Connect response body (2.2.4.1.2 success, 2.2.4.1.3 failure). */
typedef struct mh_connect_info {
    uint32_t status_code;     /* non-zero: a failure body, nothing else set */
    uint32_t error_code;      /* EcDoConnectEx result */
    uint32_t polls_max, retry_count, retry_delay;
    const char *dn_prefix;
    const char *display_name; /* UTF-8 */
} mh_connect_info;
int mh_emsc_parse_connect(const unsigned char *body, size_t len, apr_pool_t *pool,
                          mh_connect_info *ci, const char **why_r);

/*
 * An Execute request body (2.2.4.2.1) holding one extended buffer with
 * `payload` (compressed and/or XORed as asked).
 */
const unsigned char *mh_emsc_execute_body(apr_pool_t *pool, uint32_t flags,
                                          const unsigned char *payload, size_t plen,
                                          int compress, int obfuscate, uint32_t max_rop_out,
                                          size_t *len_r);

/* One ROP output buffer of a response (one extended buffer's payload). */
typedef struct mh_rop_out {
    const unsigned char *rops; /* the RopsList */
    size_t rops_len;
    const uint32_t *handles;   /* the response's handle table */
    uint32_t n_handles;
    uint16_t ext_flags;        /* the RPC_HEADER_EXT flags it came with */
} mh_rop_out;

/* An Execute response body (2.2.4.2.2; a failure body sets status_code). */
typedef struct mh_exec_result {
    uint32_t status_code;
    uint32_t error_code;       /* EcDoRpcExt2 result */
    uint32_t flags;
    mh_rop_out *outs;          /* one per extended buffer (chained responses) */
    size_t n_outs;
    size_t rop_buffer_size;    /* RopBufferSize as received */
} mh_exec_result;

int mh_emsc_parse_execute(const unsigned char *body, size_t len, apr_pool_t *pool,
                          mh_exec_result *res, const char **why_r);

/* A reader over output buffer i's RopsList (an empty one past the end). */
void mh_exec_reader(const mh_exec_result *res, size_t i, mh_rd *rd);
/* The handle in slot idx of the first output buffer (0xFFFFFFFF if none). */
uint32_t mh_exec_handle(const mh_exec_result *res, uint8_t idx);

/* The RopId of the next response without consuming it; -1 at the end. */
int mh_ropc_peek(const mh_rd *rd);

/* ------------------------------------------------------------ sessions */

/* What went wrong in the last call of a session. */
typedef enum mh_emsc_fail {
    MH_EMSC_OK = 0,
    MH_EMSC_TRANSPORT,      /* no connection or no complete HTTP response */
    MH_EMSC_HTTP,           /* HTTP status other than 200 */
    MH_EMSC_RESPONSE_CODE,  /* X-ResponseCode other than 0 */
    MH_EMSC_STATUS,         /* a failure body (StatusCode) */
    MH_EMSC_ERROR_CODE,     /* ErrorCode of the call (EcDoConnectEx, EcDoRpcExt2, ...) */
    MH_EMSC_MALFORMED       /* a response this client cannot parse */
} mh_emsc_fail;

typedef struct mh_emsc mh_emsc;
/* Called with each request and response body (for --verbose dumps). */
typedef void mh_emsc_trace_fn(void *baton, const char *what, const unsigned char *p,
                              size_t n);

struct mh_emsc {
    apr_pool_t *pool;
    mh_mapi *mapi;               /* HTTP, cookies, X-* headers */
    /* Execute options */
    uint32_t exec_flags;         /* MH_EXEC_* of mh_bodies.h (default 0) */
    int compress, obfuscate;     /* how request buffers go (default both) */
    uint32_t max_rop_out;        /* default 0x10008, as Outlook */
    uint32_t code_page;          /* Connect's DefaultCodePage (1252) */
    /* After Connect */
    mh_connect_info info;
    int connected;
    /* The last call */
    mh_emsc_fail fail;
    int http_status;
    int response_code;
    uint32_t status_code, error_code;
    const char *detail;          /* what failed, for messages */
    mh_emsc_trace_fn *trace;
    void *trace_baton;
};

/* A session with the endpoint at `path` ("/mapi/emsmdb/?MailboxId=..."). */
mh_emsc *mh_emsc_create(apr_pool_t *pool, mh_client *conn, const char *path,
                        const char *user, const char *password);
/* Connect as user_dn (flags 0, code page 1252, LCIDs 1033).  0 on success
 * (ErrorCode 0; em->info holds the answer), -1 with em->fail set. */
int mh_emsc_connect(mh_emsc *em, const char *user_dn);
/* Runs a batch.  0 when the call succeeded (the ROPs' own results are in
 * their responses), -1 with em->fail set. */
int mh_emsc_execute(mh_emsc *em, apr_pool_t *pool, const mh_rop_batch *b,
                    mh_exec_result *res);
/* Sends an Execute request body made by mh_emsc_execute_body (the same
 * body may be sent again: it holds no per-call values) and hands back the
 * response body unparsed, for mh_emsc_parse_execute.  0 when the HTTP
 * exchange succeeded with X-ResponseCode 0 and a complete response stream,
 * -1 with em->fail set.  *resp_r lives in `pool`. */
int mh_emsc_execute_send(mh_emsc *em, apr_pool_t *pool, const unsigned char *body, size_t len,
                         const unsigned char **resp_r, size_t *resp_len_r);
/* Ends the session context.  0, or -1 with em->fail set. */
int mh_emsc_disconnect(mh_emsc *em);

/* ================================================================ ROPs */

/* Every response starts with this (MS-OXCROPS 2.2.3 - 2.2.11). */
typedef struct mh_ropc_hdr {
    uint8_t rop_id;
    uint8_t handle_idx;   /* the Input, Output or Response handle index */
    uint32_t rv;          /* ReturnValue */
} mh_ropc_hdr;

/* For the builders and parsers of this client: starts a request (RopId,
 * LogonId, one handle index, which sizes the handle table) and reads a
 * response header (-1 when truncated or another ROP's). */
mh_wr *mh_ropc_begin(mh_rop_batch *b, uint8_t rop_id, uint8_t logon_id, uint8_t idx);
int mh_ropc_rd_hdr(mh_rd *rd, uint8_t rop_id, mh_ropc_hdr *h);

/* -------------------------------------------- logon (2.2.3, MS-OXCSTOR) */

#define MH_LOGON_PRIVATE 0x01
/* OpenFlags Outlook sends for its own mailbox: USE_PER_MDB_REPLID_MAPPING |
 * NO_MAIL | TAKE_OWNERSHIP | HOME_LOGON (MS-OXCSTOR 2.2.1.1.1). */
#define MH_LOGON_OPEN_DEFAULT 0x0100040Cu

void mh_ropc_logon(mh_rop_batch *b, uint8_t logon_id, uint8_t out_idx, uint8_t logon_flags,
                   uint32_t open_flags, uint32_t store_state, const char *essdn);

/* Index of each FolderIds entry of a private logon (MS-OXCSTOR 2.2.1.1.3). */
enum {
    MH_LF_ROOT = 0, MH_LF_DEFERRED_ACTION, MH_LF_SPOOLER_QUEUE, MH_LF_IPM_SUBTREE,
    MH_LF_INBOX, MH_LF_OUTBOX, MH_LF_SENT_ITEMS, MH_LF_DELETED_ITEMS, MH_LF_COMMON_VIEWS,
    MH_LF_SCHEDULE, MH_LF_SEARCH, MH_LF_VIEWS, MH_LF_SHORTCUTS, MH_LF_COUNT
};

typedef struct mh_ropc_logon_r {
    mh_ropc_hdr h;
    uint8_t logon_flags;
    uint64_t folder_ids[MH_LF_COUNT];
    uint8_t response_flags;
    mh_guid mailbox_guid;
    uint16_t repl_id;
    mh_guid repl_guid;
    struct { uint8_t sec, min, hour, wday, day, month; uint16_t year; } logon_time;
    uint64_t gwart_time;
    uint32_t store_state;
    const char *server_name;  /* the redirect response (rv = ecWrongServer) */
} mh_ropc_logon_r;
/* Private-mailbox success response (2.2.3.1.2), redirect (2.2.3.1.3) or
 * failure (2.2.3.1.4).  Public-folder logons are not parsed. */
int mh_ropc_logon_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_logon_r *r);

/* RopRelease (2.2.15.3): no response. */
void mh_ropc_release(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx);

void mh_ropc_get_receive_folder(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                const char *message_class);
typedef struct mh_ropc_receive_folder_r {
    mh_ropc_hdr h;
    uint64_t folder_id;
    const char *explicit_class;
} mh_ropc_receive_folder_r;
int mh_ropc_get_receive_folder_parse(mh_rd *rd, apr_pool_t *pool,
                                     mh_ropc_receive_folder_r *r);

/* LongTermID (MS-OXCDATA 2.2.1.3.1): DatabaseGuid, GlobalCounter, Pad. */
typedef struct mh_long_term_id {
    mh_guid guid;
    uint8_t counter[6];
    uint16_t pad;
} mh_long_term_id;

void mh_ropc_long_term_id_from_id(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                  uint64_t object_id);
typedef struct mh_ropc_ltid_r {
    mh_ropc_hdr h;
    mh_long_term_id ltid;
} mh_ropc_ltid_r;
int mh_ropc_long_term_id_from_id_parse(mh_rd *rd, mh_ropc_ltid_r *r);

void mh_ropc_id_from_long_term_id(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                  const mh_long_term_id *ltid);
typedef struct mh_ropc_id_r {
    mh_ropc_hdr h;
    uint64_t object_id;
} mh_ropc_id_r;
int mh_ropc_id_from_long_term_id_parse(mh_rd *rd, mh_ropc_id_r *r);

/* ------------------------------------ transport (2.2.7, MS-OXOMSG) */

/* RopGetAddressTypes (2.2.7.3): the address types the server's transport
 * takes.  The input object is the logon (the server ignores it). */
void mh_ropc_get_address_types(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx);
typedef struct mh_ropc_address_types_r {
    mh_ropc_hdr h;
    uint16_t n;
    const char **types;   /* ASCII, n of them */
} mh_ropc_address_types_r;
/* Checks that AddressTypeSize holds exactly AddressTypeCount strings. */
int mh_ropc_get_address_types_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_address_types_r *r);

/* RopGetTransportFolder (2.2.7.8) on the logon: the folder ID in
 * r->object_id. */
void mh_ropc_get_transport_folder(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx);
int mh_ropc_get_transport_folder_parse(mh_rd *rd, mh_ropc_id_r *r);

/* RopOptionsData (2.2.7.9): the options of an address type ("SMTP"). */
void mh_ropc_options_data(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                          const char *address_type, int want_win32);
typedef struct mh_ropc_options_data_r {
    mh_ropc_hdr h;
    uint8_t reserved;             /* 0x01 */
    mh_bin options_info;
    mh_bin help_file;
    const char *help_file_name;   /* only with a help file (HelpFileSize > 0) */
} mh_ropc_options_data_r;
int mh_ropc_options_data_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_options_data_r *r);

/* ------------------------------------------- folders (2.2.4, MS-OXCFOLD) */

void mh_ropc_open_folder(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t out_idx,
                         uint64_t folder_id, uint8_t open_mode);
typedef struct mh_ropc_open_folder_r {
    mh_ropc_hdr h;
    uint8_t has_rules;
    uint8_t is_ghosted;
    uint16_t server_count, cheap_server_count;
    const char **servers;
} mh_ropc_open_folder_r;
int mh_ropc_open_folder_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_open_folder_r *r);

/* FolderType of RopCreateFolder (MS-OXCFOLD 2.2.1.2.1); MH_ROPC_ since
 * backend.h has MH_FOLDER_SEARCH, a folder flag of another value */
#define MH_ROPC_FOLDER_GENERIC 1
#define MH_ROPC_FOLDER_SEARCH 2
/* Names go as UTF-16 when `unicode`, else as 8-bit strings (code page
 * 1252: the caller passes ASCII). */
void mh_ropc_create_folder(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t out_idx,
                           uint8_t folder_type, int unicode, int open_existing,
                           const char *name, const char *comment);
typedef struct mh_ropc_create_folder_r {
    mh_ropc_hdr h;
    uint64_t folder_id;
    uint8_t is_existing;
    uint8_t has_rules, is_ghosted;   /* when is_existing */
    uint16_t server_count, cheap_server_count;
    const char **servers;
} mh_ropc_create_folder_r;
int mh_ropc_create_folder_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_create_folder_r *r);

/* DeleteFolderFlags (MS-OXCFOLD 2.2.1.3.1) */
#define MH_DEL_MESSAGES 0x01
#define MH_DEL_FOLDERS 0x04
#define MH_DEL_HARD_DELETE 0x10
void mh_ropc_delete_folder(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t flags,
                           uint64_t folder_id);
/* The responses that carry only PartialCompletion (DeleteFolder,
 * DeleteMessages, HardDeleteMessages, EmptyFolder, SetReadFlags,
 * MoveCopyMessages, MoveFolder, CopyFolder).  partial is read on failure
 * too, as those responses carry it; dest_idx is set for the null
 * destination response (rv = ecDstNullObject). */
typedef struct mh_ropc_partial_r {
    mh_ropc_hdr h;
    uint8_t partial;
    uint32_t dest_idx;
} mh_ropc_partial_r;
int mh_ropc_delete_folder_parse(mh_rd *rd, mh_ropc_partial_r *r);

void mh_ropc_delete_messages(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                             int want_async, int notify_non_read, const uint64_t *mids,
                             uint16_t n);
int mh_ropc_delete_messages_parse(mh_rd *rd, mh_ropc_partial_r *r);
void mh_ropc_hard_delete_messages(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                  int want_async, int notify_non_read, const uint64_t *mids,
                                  uint16_t n);
int mh_ropc_hard_delete_messages_parse(mh_rd *rd, mh_ropc_partial_r *r);

void mh_ropc_move_copy_messages(mh_rop_batch *b, uint8_t logon_id, uint8_t src_idx,
                                uint8_t dst_idx, const uint64_t *mids, uint16_t n,
                                int want_async, int want_copy);
int mh_ropc_move_copy_messages_parse(mh_rd *rd, mh_ropc_partial_r *r);

void mh_ropc_move_folder(mh_rop_batch *b, uint8_t logon_id, uint8_t src_idx, uint8_t dst_idx,
                         int want_async, int unicode, uint64_t folder_id,
                         const char *new_name);
int mh_ropc_move_folder_parse(mh_rd *rd, mh_ropc_partial_r *r);
void mh_ropc_copy_folder(mh_rop_batch *b, uint8_t logon_id, uint8_t src_idx, uint8_t dst_idx,
                         int want_async, int want_recursive, int unicode, uint64_t folder_id,
                         const char *new_name);
int mh_ropc_copy_folder_parse(mh_rd *rd, mh_ropc_partial_r *r);

void mh_ropc_empty_folder(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, int want_async,
                          int want_delete_associated);
int mh_ropc_empty_folder_parse(mh_rd *rd, mh_ropc_partial_r *r);

/* TableFlags of the Get*Table ROPs (MS-OXCFOLD 2.2.1.13.1, 2.2.1.14.1) */
#define MH_TABLE_ASSOCIATED 0x02
#define MH_TABLE_DEPTH 0x04
#define MH_TABLE_DEFERRED_ERRORS 0x08
#define MH_TABLE_NO_NOTIFICATIONS 0x10
#define MH_TABLE_SOFT_DELETES 0x20
#define MH_TABLE_USE_UNICODE 0x40
#define MH_TABLE_SUPPRESS_NOTIFICATIONS 0x80

void mh_ropc_get_hierarchy_table(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                 uint8_t out_idx, uint8_t table_flags);
void mh_ropc_get_contents_table(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                uint8_t out_idx, uint8_t table_flags);
typedef struct mh_ropc_table_r {
    mh_ropc_hdr h;
    uint32_t row_count;
} mh_ropc_table_r;
int mh_ropc_get_hierarchy_table_parse(mh_rd *rd, mh_ropc_table_r *r);
int mh_ropc_get_contents_table_parse(mh_rd *rd, mh_ropc_table_r *r);

/* ROPs whose response is the header alone (GetAttachmentTable,
 * OpenAttachment, SaveChangesAttachment, SetStreamSize, CommitStream,
 * FreeBookmark, ModifyRecipients, GetPermissionsTable, GetRulesTable,
 * ModifyPermissions, ModifyRules).  `rop_id` is the ROP expected. */
int mh_ropc_simple_parse(mh_rd *rd, uint8_t rop_id, mh_ropc_hdr *h);

/* --------------------------------------------- tables (2.2.5, MS-OXCTABL) */

/* TableStatus (MS-OXCTABL 2.2.2.1.3) comes with SetColumns, SortTable and
 * Restrict. */
typedef struct mh_ropc_status_r {
    mh_ropc_hdr h;
    uint8_t table_status;
} mh_ropc_status_r;

void mh_ropc_set_columns(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t flags,
                         const mh_proptag *tags, uint16_t n);
int mh_ropc_set_columns_parse(mh_rd *rd, mh_ropc_status_r *r);
void mh_ropc_sort_table(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t flags,
                        const mh_sort_set *sort);
int mh_ropc_sort_table_parse(mh_rd *rd, mh_ropc_status_r *r);
/* res NULL: remove the restriction (RestrictionDataSize 0). */
void mh_ropc_restrict(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t flags,
                      const mh_restriction *res, uint32_t cp);
int mh_ropc_restrict_parse(mh_rd *rd, mh_ropc_status_r *r);

/* QueryRowsFlags (MS-OXCTABL 2.2.2.5.1) */
#define MH_QUERY_ADVANCE 0x00
#define MH_QUERY_NO_ADVANCE 0x01
#define MH_QUERY_ENABLE_PACKED_BUFFERS 0x02
void mh_ropc_query_rows(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t flags,
                        int forward, uint16_t row_count);
/* Rows: values per column in the order of the table's columns, as
 * mh_rd_proprow gives them. */
typedef struct mh_ropc_rows_r {
    mh_ropc_hdr h;
    uint8_t origin;
    uint16_t n_rows;
    mh_propval **rows;
} mh_ropc_rows_r;
/* Bookmark origins (MS-OXCTABL 2.2.2.1.1) */
#define MH_BOOKMARK_BEGINNING 0x00
#define MH_BOOKMARK_CURRENT 0x01
#define MH_BOOKMARK_END 0x02
#define MH_BOOKMARK_CUSTOM 0x03
int mh_ropc_query_rows_parse(mh_rd *rd, const mh_proptag *cols, uint16_t n_cols, uint32_t cp,
                             apr_pool_t *pool, mh_ropc_rows_r *r);

void mh_ropc_query_position(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx);
typedef struct mh_ropc_position_r {
    mh_ropc_hdr h;
    uint32_t numerator, denominator;
} mh_ropc_position_r;
int mh_ropc_query_position_parse(mh_rd *rd, mh_ropc_position_r *r);

void mh_ropc_seek_row(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t origin,
                      int32_t row_count, int want_moved_count);
typedef struct mh_ropc_seek_r {
    mh_ropc_hdr h;
    uint8_t row_no_longer_visible;   /* SeekRowBookmark only */
    uint8_t has_sought_less;
    int32_t rows_sought;
} mh_ropc_seek_r;
int mh_ropc_seek_row_parse(mh_rd *rd, mh_ropc_seek_r *r);

void mh_ropc_create_bookmark(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx);
typedef struct mh_ropc_bookmark_r {
    mh_ropc_hdr h;
    mh_bin bookmark;
} mh_ropc_bookmark_r;
int mh_ropc_create_bookmark_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_bookmark_r *r);

void mh_ropc_seek_row_bookmark(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                               const mh_bin *bookmark, int32_t row_count,
                               int want_moved_count);
int mh_ropc_seek_row_bookmark_parse(mh_rd *rd, mh_ropc_seek_r *r);
void mh_ropc_free_bookmark(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                           const mh_bin *bookmark);

/* FindRowFlags: 0x00 forward, 0x01 backward */
void mh_ropc_find_row(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t flags,
                      const mh_restriction *res, uint8_t origin, const mh_bin *bookmark,
                      uint32_t cp);
typedef struct mh_ropc_find_row_r {
    mh_ropc_hdr h;
    uint8_t row_no_longer_visible;
    uint8_t has_row;
    mh_propval *row;
} mh_ropc_find_row_r;
int mh_ropc_find_row_parse(mh_rd *rd, const mh_proptag *cols, uint16_t n_cols, uint32_t cp,
                           apr_pool_t *pool, mh_ropc_find_row_r *r);

void mh_ropc_expand_row(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                        uint16_t max_rows, uint64_t category_id);
typedef struct mh_ropc_expand_r {
    mh_ropc_hdr h;
    uint32_t expanded_count;
    uint16_t n_rows;
    mh_propval **rows;
} mh_ropc_expand_r;
int mh_ropc_expand_row_parse(mh_rd *rd, const mh_proptag *cols, uint16_t n_cols, uint32_t cp,
                             apr_pool_t *pool, mh_ropc_expand_r *r);
void mh_ropc_collapse_row(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                          uint64_t category_id);
typedef struct mh_ropc_collapse_r {
    mh_ropc_hdr h;
    uint32_t collapsed_count;
} mh_ropc_collapse_r;
int mh_ropc_collapse_row_parse(mh_rd *rd, mh_ropc_collapse_r *r);

/* --------------------------------------------- messages (2.2.6, MS-OXCMSG) */

/* OpenModeFlags of messages (MS-OXCMSG 2.2.3.1.1) */
#define MH_OPEN_READ_ONLY 0x00
#define MH_OPEN_READ_WRITE 0x01
#define MH_OPEN_BEST_ACCESS 0x03
#define MH_OPEN_SOFT_DELETED 0x04

void mh_ropc_create_message(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t out_idx,
                            uint16_t code_page, uint64_t folder_id, int associated);
typedef struct mh_ropc_create_message_r {
    mh_ropc_hdr h;
    uint8_t has_message_id;
    uint64_t message_id;
} mh_ropc_create_message_r;
int mh_ropc_create_message_parse(mh_rd *rd, mh_ropc_create_message_r *r);

/* TypedString (MS-OXCROPS 2.2.6.1.2): StringType 0 none, 1 empty, 2 8-bit,
 * 3 reduced Unicode, 4 Unicode; read as UTF-8 (NULL for type 0). */
typedef struct mh_recipient {
    uint8_t recipient_type;   /* PR_RECIPIENT_TYPE value (1 To, 2 Cc, 3 Bcc) */
    uint32_t row_id;          /* ReadRecipients only */
    uint16_t code_page;
    uint16_t flags;           /* RecipientFlags (MS-OXCDATA 2.8.3.1) */
    uint8_t address_prefix_used, display_type;
    const char *x500_dn;
    mh_bin entry_id, search_key;
    const char *address_type, *email, *display_name, *simple_display_name,
        *transmittable_name;
    uint16_t n_cols;          /* RecipientColumnCount */
    mh_propval *vals;         /* values of the first n_cols columns */
} mh_recipient;

/* RecipientFlags (MS-OXCDATA 2.8.3.1), as a little-endian u16 */
#define MH_RF_TYPE_MASK 0x0007
#define MH_RF_TYPE_NONE 0x0
#define MH_RF_TYPE_X500DN 0x1
#define MH_RF_TYPE_SMTP 0x3
#define MH_RF_TYPE_PDL1 0x6
#define MH_RF_TYPE_PDL2 0x7
#define MH_RF_E 0x0008   /* EmailAddress present */
#define MH_RF_D 0x0010   /* DisplayName present */
#define MH_RF_T 0x0020   /* TransmittableDisplayName present */
#define MH_RF_S 0x0040   /* TransmittableDisplayName is DisplayName */
#define MH_RF_R 0x0080   /* reserved */
#define MH_RF_N 0x0100   /* no rich info */
#define MH_RF_U 0x0200   /* strings are UTF-16 */
#define MH_RF_I 0x0400   /* SimpleDisplayName present */
#define MH_RF_O 0x8000   /* AddressType present (Type none) */

/* RecipientRow (MS-OXCDATA 2.8.3.2) for `cols` (the message's recipient
 * columns).  The writer puts the strings of r that are set and sets the
 * flags to match (plus r->flags' Type and N bits), in UTF-16. */
void mh_wr_recipient_row(mh_wr *wr, const mh_recipient *r, const mh_proptag *cols,
                         uint32_t cp);
int mh_rd_recipient_row(mh_rd *rd, const mh_proptag *cols, uint16_t n_cols, uint32_t cp,
                        apr_pool_t *pool, mh_recipient *r);

void mh_ropc_open_message(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t out_idx,
                          uint16_t code_page, uint64_t folder_id, uint8_t open_mode,
                          uint64_t message_id);
typedef struct mh_ropc_open_message_r {
    mh_ropc_hdr h;
    uint8_t reserved;           /* OpenEmbeddedMessage only */
    uint64_t message_id;        /* OpenEmbeddedMessage only */
    uint8_t has_named_props;
    const char *subject_prefix, *normalized_subject;
    uint16_t recipient_count;
    uint16_t n_cols;
    mh_proptag *cols;
    uint8_t n_rows;
    mh_recipient *rows;
} mh_ropc_open_message_r;
int mh_ropc_open_message_parse(mh_rd *rd, uint32_t cp, apr_pool_t *pool,
                               mh_ropc_open_message_r *r);

void mh_ropc_open_embedded_message(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                   uint8_t out_idx, uint16_t code_page, uint8_t open_mode);
int mh_ropc_open_embedded_message_parse(mh_rd *rd, uint32_t cp, apr_pool_t *pool,
                                        mh_ropc_open_message_r *r);

/* SaveFlags (MS-OXCMSG 2.2.3.3.1) */
#define MH_SAVE_KEEP_OPEN_READ_ONLY 0x01
#define MH_SAVE_KEEP_OPEN_READ_WRITE 0x02
#define MH_SAVE_FORCE_SAVE 0x04
void mh_ropc_save_changes_message(mh_rop_batch *b, uint8_t logon_id, uint8_t resp_idx,
                                  uint8_t in_idx, uint8_t save_flags);
typedef struct mh_ropc_save_message_r {
    mh_ropc_hdr h;              /* handle_idx: the ResponseHandleIndex */
    uint8_t in_idx;
    uint64_t message_id;
} mh_ropc_save_message_r;
int mh_ropc_save_changes_message_parse(mh_rd *rd, mh_ropc_save_message_r *r);

/* Rows to change: row_id, recipient_type and the recipient (NULL: delete
 * the row, RecipientRowSize 0). */
typedef struct mh_modify_recipient {
    uint32_t row_id;
    uint8_t recipient_type;
    const mh_recipient *row;
} mh_modify_recipient;
void mh_ropc_modify_recipients(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                               const mh_proptag *cols, uint16_t n_cols,
                               const mh_modify_recipient *rows, uint16_t n_rows, uint32_t cp);

void mh_ropc_read_recipients(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                             uint32_t row_id);
typedef struct mh_ropc_read_recipients_r {
    mh_ropc_hdr h;
    uint8_t n_rows;
    mh_recipient *rows;
} mh_ropc_read_recipients_r;
/* cols: the recipient columns (those of OpenMessage / ModifyRecipients). */
int mh_ropc_read_recipients_parse(mh_rd *rd, const mh_proptag *cols, uint16_t n_cols,
                                  uint32_t cp, apr_pool_t *pool, mh_ropc_read_recipients_r *r);

/* ReadFlags (MS-OXCMSG 2.2.3.10.1) */
#define MH_READ_DEFAULT 0x00
#define MH_READ_SUPPRESS_RECEIPT 0x01
#define MH_READ_CLEAR_READ_FLAG 0x04
/* client_data: 24 bytes, sent only on public-folder logons (NULL here). */
void mh_ropc_set_message_read_flag(mh_rop_batch *b, uint8_t logon_id, uint8_t resp_idx,
                                   uint8_t in_idx, uint8_t read_flags,
                                   const uint8_t *client_data);
typedef struct mh_ropc_read_flag_r {
    mh_ropc_hdr h;
    uint8_t read_status_changed;
    uint8_t logon_id;           /* public logons, when changed */
    uint8_t client_data[24];
} mh_ropc_read_flag_r;
int mh_ropc_set_message_read_flag_parse(mh_rd *rd, int public_logon, mh_ropc_read_flag_r *r);

void mh_ropc_set_read_flags(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, int want_async,
                            uint8_t read_flags, const uint64_t *mids, uint16_t n);
int mh_ropc_set_read_flags_parse(mh_rd *rd, mh_ropc_partial_r *r);

void mh_ropc_get_attachment_table(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                  uint8_t out_idx, uint8_t table_flags);
void mh_ropc_open_attachment(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                             uint8_t out_idx, uint8_t flags, uint32_t attach_num);
void mh_ropc_create_attachment(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                               uint8_t out_idx);
typedef struct mh_ropc_create_attachment_r {
    mh_ropc_hdr h;
    uint32_t attach_num;
} mh_ropc_create_attachment_r;
int mh_ropc_create_attachment_parse(mh_rd *rd, mh_ropc_create_attachment_r *r);
void mh_ropc_save_changes_attachment(mh_rop_batch *b, uint8_t logon_id, uint8_t resp_idx,
                                     uint8_t in_idx, uint8_t save_flags);

/* ------------------------------------------ properties (2.2.8, MS-OXCPRPT) */

void mh_ropc_get_props_specific(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                uint16_t size_limit, int want_unicode, const mh_proptag *tags,
                                uint16_t n);
typedef struct mh_ropc_props_r {
    mh_ropc_hdr h;
    mh_propval *vals;    /* GetPropertiesSpecific: one per tag asked */
    uint16_t n;          /* GetPropertiesAll: the count received */
} mh_ropc_props_r;
int mh_ropc_get_props_specific_parse(mh_rd *rd, const mh_proptag *tags, uint16_t n,
                                     uint32_t cp, apr_pool_t *pool, mh_ropc_props_r *r);

void mh_ropc_get_props_all(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                           uint16_t size_limit, int want_unicode);
int mh_ropc_get_props_all_parse(mh_rd *rd, uint32_t cp, apr_pool_t *pool, mh_ropc_props_r *r);

void mh_ropc_get_props_list(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx);
typedef struct mh_ropc_tags_r {
    mh_ropc_hdr h;
    mh_proptag *tags;
    uint16_t n;
} mh_ropc_tags_r;
int mh_ropc_get_props_list_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_tags_r *r);

/* Values keep their tags' types on the wire (strings: PT_UNICODE tags go
 * as UTF-16). */
void mh_ropc_set_props(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                       const mh_propval *vals, uint16_t n, uint32_t cp);
typedef struct mh_ropc_problems_r {
    mh_ropc_hdr h;
    mh_propproblem *problems;
    uint16_t n;
} mh_ropc_problems_r;
int mh_ropc_set_props_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_problems_r *r);
void mh_ropc_delete_props(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                          const mh_proptag *tags, uint16_t n);
int mh_ropc_delete_props_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_problems_r *r);

/* Flags: 0x02 create the names that are missing (MS-OXCPRPT 2.2.12.1) */
#define MH_NAMES_CREATE 0x02
void mh_ropc_get_ids_from_names(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                uint8_t flags, const mh_propname *names, uint16_t n);
typedef struct mh_ropc_ids_r {
    mh_ropc_hdr h;
    uint16_t *ids;
    uint16_t n;
} mh_ropc_ids_r;
int mh_ropc_get_ids_from_names_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_ids_r *r);
void mh_ropc_get_names_from_ids(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                const uint16_t *ids, uint16_t n);
typedef struct mh_ropc_names_r {
    mh_ropc_hdr h;
    mh_propname *names;
    uint16_t n;
} mh_ropc_names_r;
int mh_ropc_get_names_from_ids_parse(mh_rd *rd, apr_pool_t *pool, mh_ropc_names_r *r);

/* ---------------------------------------------- streams (2.2.9, MS-OXCPRPT) */

/* OpenModeFlags of streams (MS-OXCPRPT 2.2.14.1) */
#define MH_STREAM_READ_ONLY 0x00
#define MH_STREAM_READ_WRITE 0x01
#define MH_STREAM_CREATE 0x02
void mh_ropc_open_stream(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t out_idx,
                         mh_proptag tag, uint8_t open_mode);
typedef struct mh_ropc_stream_size_r {
    mh_ropc_hdr h;
    uint32_t size;
} mh_ropc_stream_size_r;
int mh_ropc_open_stream_parse(mh_rd *rd, mh_ropc_stream_size_r *r);

/* byte_count 0xBABE: read up to max_byte_count (MS-OXCPRPT 2.2.15.1). */
void mh_ropc_read_stream(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                         uint16_t byte_count, uint32_t max_byte_count);
typedef struct mh_ropc_read_stream_r {
    mh_ropc_hdr h;
    uint16_t size;
    const unsigned char *data;   /* points into the response */
} mh_ropc_read_stream_r;
/* DataSize and Data are present whatever ReturnValue (2.2.9.2.2). */
int mh_ropc_read_stream_parse(mh_rd *rd, mh_ropc_read_stream_r *r);

void mh_ropc_write_stream(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, const void *data,
                          uint16_t len);
typedef struct mh_ropc_written_r {
    mh_ropc_hdr h;
    uint16_t written;
} mh_ropc_written_r;
/* WrittenSize is present whatever ReturnValue (2.2.9.3.2). */
int mh_ropc_write_stream_parse(mh_rd *rd, mh_ropc_written_r *r);
void mh_ropc_commit_stream(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx);
void mh_ropc_get_stream_size(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx);
int mh_ropc_get_stream_size_parse(mh_rd *rd, mh_ropc_stream_size_r *r);
void mh_ropc_set_stream_size(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                             uint64_t size);

/* Origin: 0 beginning, 1 current, 2 end */
void mh_ropc_seek_stream(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t origin,
                         int64_t offset);
typedef struct mh_ropc_seek_stream_r {
    mh_ropc_hdr h;
    uint64_t new_position;
} mh_ropc_seek_stream_r;
int mh_ropc_seek_stream_parse(mh_rd *rd, mh_ropc_seek_stream_r *r);

/* ----------------------------- permissions and rules (2.2.10, 2.2.11) */

void mh_ropc_get_permissions_table(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                   uint8_t out_idx, uint8_t table_flags);
void mh_ropc_get_rules_table(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                             uint8_t out_idx, uint8_t table_flags);

/* One PermissionData / RuleData entry: flags (0x01 add, 0x02 modify,
 * 0x04 remove) and its values. */
typedef struct mh_modify_row {
    uint8_t flags;
    const mh_propval *vals;
    uint16_t n;
} mh_modify_row;
void mh_ropc_modify_permissions(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx,
                                uint8_t flags, const mh_modify_row *rows, uint16_t n,
                                uint32_t cp);
void mh_ropc_modify_rules(mh_rop_batch *b, uint8_t logon_id, uint8_t in_idx, uint8_t flags,
                          const mh_modify_row *rows, uint16_t n, uint32_t cp);

/* ----------------------------------------- responses without a request */

/* RopBufferTooSmall (2.2.15.1): SizeNeeded and the unprocessed requests. */
typedef struct mh_ropc_too_small_r {
    uint16_t size_needed;
    const unsigned char *requests;
    size_t requests_len;
} mh_ropc_too_small_r;
/* It is always the last response: the rest of the RopsList. */
int mh_ropc_buffer_too_small_parse(mh_rd *rd, mh_ropc_too_small_r *r);

#endif
