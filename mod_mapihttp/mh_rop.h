/*
 * mh_rop.h - the ROP engine of the mailbox endpoint: Execute's ROP buffers
 * (MS-OXCROPS 2.2.1, 3.2.5; MS-OXCRPC 3.1.4.2), the server object handle
 * table, the session's objects, and the dispatch to the handlers of each
 * spec family (mh_oxcstor.c, mh_oxcfold.c, mh_oxctabl.c, mh_oxcmsg.c,
 * mh_oxcprpt.c, mh_oxcperm.c, mh_oxorule.c, mh_oxomsg.c).
 *
 * Objects.  Every object a ROP opens (logon, folder, message, attachment,
 * table, stream, ...) lives in the session state, not in a process: the
 * state is encoded into the session store after each Execute, so the next
 * request works whichever httpd process serves it.  Each object has its
 * own pool (a subpool of the session state pool) that lives until the
 * object is released; each type has a class with its state codec and, for
 * objects with properties, the property operations the MS-OXCPRPT ROPs
 * call.
 *
 * Handles.  Numbered the way Exchange numbers them (client-quirks.md):
 * (LogonId << 24) | n, n counting from 0 for the Logon object, per logon
 * id, never reused in the session.  0xFFFFFFFF is never a handle.
 *
 * A handler parses its request from rop->rd (the engine has already
 * checked with the skipper of mh_ropinfo that the bytes are well formed and
 * gives the handler exactly its request's bytes), does its work, writes
 * the response fields that follow ReturnValue into rop->body and returns
 * ReturnValue.  On failure it writes nothing unless the ROP's failure
 * response has fields of its own (mh_ropinfo's failure writer is used when
 * the body is left empty).  The engine writes RopId, the handle index and
 * ReturnValue, and puts the handle of an object the ROP created into the
 * handle table only when the ROP succeeded.
 */
#ifndef MH_ROP_H
#define MH_ROP_H

#include <stdint.h>
#include <apr_hash.h>
#include <apr_pools.h>

#include "mapihttp/backend.h"
#include "mh_backend.h"
#include "mh_mapierr.h"
#include "mh_oxcdata.h"
#include "mh_ropinfo.h"
#include "mh_wire.h"

#define MH_HANDLE_NONE 0xFFFFFFFFu
/* Replica ID of the mailbox's own replica GUID in FIDs and MIDs. */
#define MH_REPLID_LOCAL 0x0001

/* ------------------------------------------------------------ objects */

typedef enum mh_otype {
    MH_OT_NONE = 0,
    MH_OT_LOGON = 1,
    MH_OT_FOLDER = 2,
    MH_OT_MESSAGE = 3,
    MH_OT_ATTACHMENT = 4,
    MH_OT_TABLE = 5,
    MH_OT_STREAM = 6,
    MH_OT_NOTIFY = 7,
    MH_OT_FXSOURCE = 8,
    MH_OT_FXDEST = 9,
    MH_OT_ICS_DOWNLOAD = 10,
    MH_OT_ICS_UPLOAD = 11,
    MH_OT_COUNT = 12
} mh_otype;

typedef struct mh_object mh_object;
typedef struct mh_ropctx mh_ropctx;

struct mh_object {
    uint32_t handle;
    uint8_t type;         /* mh_otype */
    uint8_t logon_id;
    uint32_t parent;      /* the object it was opened from, or MH_HANDLE_NONE;
                             releasing a parent releases its children */
    apr_pool_t *pool;     /* the object's own, destroyed at release */
    void *data;           /* the class's state */
};

/*
 * Property operations of an object class (MS-OXCPRPT).  Each returns a
 * MAPI code (0 on success).  Tags carry the type the client asked for;
 * string values come and go as UTF-8 PT_UNICODE (mh_oxcdata converts).
 */
typedef struct mh_propops {
    /*
     * Values of `tags` (NULL: every property the object has), computed
     * properties included; absent ones are left out.  Values longer than
     * `large` bytes come back as MH_PV_LARGE (size known, content read with
     * `read`).
     */
    uint32_t (*get)(mh_ropctx *cx, mh_object *obj, const mh_proptag *tags, uint32_t n,
                    uint64_t large, apr_pool_t *pool, mh_proplist *out);
    /* Sets values; per-value problems into *problems_r (pool memory). */
    uint32_t (*set)(mh_ropctx *cx, mh_object *obj, const mh_proplist *vals,
                    mh_propproblem **problems_r, uint16_t *n_problems_r);
    /* Deletes values; per-tag problems as set. */
    uint32_t (*del)(mh_ropctx *cx, mh_object *obj, const mh_proptag *tags, uint32_t n,
                    mh_propproblem **problems_r, uint16_t *n_problems_r);
    /* Reads part of a (large) value; *got_r < len only at its end. */
    uint32_t (*read)(mh_ropctx *cx, mh_object *obj, mh_proptag tag, uint64_t offset,
                     void *buf, size_t len, size_t *got_r);
} mh_propops;

typedef struct mh_objclass {
    const char *name;
    /* The state codec (session store).  decode allocates in `pool` (the
     * object's) and returns 0, or -1 on malformed bytes. */
    void (*encode)(mh_wr *wr, const void *data);
    int (*decode)(mh_rd *rd, apr_pool_t *pool, void **data_r);
    const mh_propops *props; /* NULL: no properties */
    /*
     * Optional: what releasing an object of the class does besides freeing
     * it.  mh_obj_release calls it once per object, objects opened from it
     * first (so the object's parent is still there), before the handle
     * goes and its pool is destroyed: on RopRelease, on the release of a
     * parent, when a RopLogon replaces a logon, and when a handler fails
     * after creating the object (obj->data may then be NULL).  Not called
     * when a whole session ends (Disconnect, expiry): MAPI gives that no
     * meaning.  RopRelease has no response, so the hook reports nothing;
     * it may use the backend through cx and logs what goes wrong.
     */
    void (*release)(mh_ropctx *cx, mh_object *obj);
} mh_objclass;

/* The classes, defined by the file of each spec family. */
extern const mh_objclass mh_logon_class;      /* mh_oxcstor.c */
extern const mh_objclass mh_folder_class;     /* mh_oxcfold.c */
extern const mh_objclass mh_message_class;    /* mh_oxcmsg.c */
extern const mh_objclass mh_attachment_class; /* mh_oxcmsg.c */
extern const mh_objclass mh_table_class;      /* mh_oxctabl.c */
extern const mh_objclass mh_stream_class;     /* mh_oxcprpt.c */

const mh_objclass *mh_objclass_of(mh_otype type);
const char *mh_otype_name(mh_otype type);

/* ------------------------------------------------------ logon objects */

/* A logon (MS-OXCSTOR): the mailbox a logon id reaches. */
typedef struct mh_logon {
    mh_guid mailbox;              /* mailbox GUID = its replica GUID */
    uint32_t owner;               /* directory entry of the mailbox owner */
    uint32_t user;                /* directory entry of the logged-on user */
    int own;                      /* the user's own mailbox */
    uint8_t logon_flags;          /* RopLogon LogonFlags */
    uint32_t open_flags;          /* RopLogon OpenFlags */
    mh_id special[MH_SF_COUNT];   /* the special folders at logon */
    const char *owner_dn;         /* the owner's legacy DN */
    const char *owner_name;       /* the owner's display name */
    mh_guid per_user;             /* RopGetPerUserGuid / Logon PerUserGuid */
    struct mh_peruser_write *pu_write; /* RopWritePerUserInformation under way (oxcstor) */
} mh_logon;

/* Entry IDs of the store (MS-OXCDATA 2.2.4.3) and of an address book
 * object named by its legacy DN (2.2.5.2).  (mh_oxcstor.c) */
void mh_store_entryid(const mh_logon *lg, apr_pool_t *pool, mh_bin *out);
void mh_ab_entryid(const char *legacy_dn, uint32_t display_type, apr_pool_t *pool,
                   mh_bin *out);
/* The ProviderUID of address book entry IDs (MS-OXCDATA 2.2.5.2). */
extern const uint8_t mh_ab_provider_uid[16];
#define MH_AB_DT_MAILUSER 0x00000000u
#define MH_AB_DT_DISTLIST 0x00000001u

/* ---------------------------------------------------- session state */

/* What a mailbox context (Connect) keeps: its parameters and objects. */
typedef struct mh_emsmdb {
    apr_pool_t *pool;             /* the session state pool */
    uint32_t flags, code_page, lcid_sort, lcid_string;
    const char *user_dn;
    const char *client_app;
    const char *display_name;     /* for the Connect response; not kept */
    uint16_t client_version[4];
    uint32_t dir_user;            /* the user's directory entry */
    apr_hash_t *objects;          /* handle (uint32_t) -> mh_object */
    uint32_t next_n[256];         /* next handle number per logon id */
} mh_emsmdb;

mh_emsmdb *mh_emsmdb_new(apr_pool_t *pool);
/* The state codec for the session store. */
apr_status_t mh_emsmdb_encode(const mh_emsmdb *s, apr_pool_t *pool, const void **buf_r,
                              size_t *len_r);
apr_status_t mh_emsmdb_decode(const void *buf, size_t len, apr_pool_t *pool,
                              mh_emsmdb **s_r);

/* ------------------------------------------------------------ context */

/* What one Execute runs with. */
struct mh_ropctx {
    apr_pool_t *pool;             /* the request's: scratch memory */
    mh_emsmdb *ses;
    const mh_be *be;              /* NULL: no backend configured */
    const char *user;             /* the authenticated login */
    uint32_t cp;                  /* code page of PT_STRING8 values */
    /* Called between ROPs and in long loops: keep-alives.  May be NULL. */
    void (*tick)(void *baton);
    void *tick_baton;
    int changed;                  /* the session state changed */
};

/* One ROP being run. */
typedef struct mh_rop {
    mh_ropheader h;               /* id, logon_id, in_idx, out_idx, info */
    mh_rd *rd;                    /* exactly this ROP's request fields */
    mh_wr *body;                  /* response fields after ReturnValue */
    uint32_t *handles;            /* the handle table (n_handles slots) */
    uint32_t n_handles;
    size_t room;                  /* most bytes the body may take */
    uint32_t out_handle;          /* set by mh_obj_create */
    uint8_t resp_idx;             /* index echoed in the response (preset) */
    uint8_t dest_idx;             /* destination index, for failure writers */
    /* Chained responses (MS-OXCRPC 3.1.4.2.1.2.2): a handler of
     * RopQueryRows/RopReadStream/RopFastTransferSourceGetBuffer that has
     * more to give sets chain_req to the request fields of its continuation
     * (as if the client had asked again for the rest). */
    const unsigned char *chain_req;
    size_t chain_req_len;
} mh_rop;

/* Handler result codes besides MAPI codes (never sent). */
#define MH_ROP_NO_RESPONSE 0xFFFFFFF0u /* RopRelease: nothing written */
#define MH_ROP_TOO_SMALL 0xFFFFFFF1u   /* does not fit rop->room; nothing done */

typedef uint32_t mh_rop_fn(mh_ropctx *cx, mh_rop *rop);

typedef struct mh_rop_entry {
    uint8_t id;
    mh_rop_fn *fn;
} mh_rop_entry;

/* Implemented ROPs of each family, ended by {0, NULL}. */
extern const mh_rop_entry mh_rops_oxcstor[];
extern const mh_rop_entry mh_rops_oxcfold[];
extern const mh_rop_entry mh_rops_oxctabl[];
extern const mh_rop_entry mh_rops_oxcmsg[];
extern const mh_rop_entry mh_rops_oxcprpt[];
extern const mh_rop_entry mh_rops_oxcperm[];
extern const mh_rop_entry mh_rops_oxorule[];
extern const mh_rop_entry mh_rops_oxomsg[];

/* The handler of a RopId, NULL when not implemented. */
mh_rop_fn *mh_rop_handler(uint8_t rop_id);

/* --------------------------------------------------- handler helpers */

/*
 * The object at handle table index `idx` (EC_NULL_OBJECT when the index
 * is outside the table or the slot holds no live object).  With a
 * `types` mask (1u << MH_OT_x ...; 0: any), a wrong type is
 * MAPI_E_NO_SUPPORT.
 */
uint32_t mh_rop_object(mh_ropctx *cx, const mh_rop *rop, uint8_t idx, uint32_t types,
                       mh_object **obj_r);
#define MH_OTM(t) (1u << (t))

/* The object with this handle, or NULL. */
mh_object *mh_obj_find(mh_ropctx *cx, uint32_t handle);
/* The logon object of a logon id, or NULL. */
mh_object *mh_obj_logon(mh_ropctx *cx, uint8_t logon_id);

/*
 * Creates an object for the ROP's output index: a new handle and a pool;
 * the handler then fills obj->data, allocated in obj->pool.  The handle
 * goes into the handle table when the handler returns success; a handler
 * that fails after creating an object releases it (mh_obj_release).
 */
mh_object *mh_obj_create(mh_ropctx *cx, mh_rop *rop, mh_otype type, uint8_t logon_id,
                         uint32_t parent);
/* Releases an object and every object opened from it (children first,
 * each through its class's release hook). */
void mh_obj_release(mh_ropctx *cx, mh_object *obj);

/* The logon data of an object's logon (NULL if it went away). */
mh_logon *mh_obj_logon_data(mh_ropctx *cx, const mh_object *obj);

/*
 * Begins a backend transaction on a logon's mailbox.  Returns a MAPI code:
 * MAPI_E_NO_SUPPORT without backend, else the backend error mapped.
 */
uint32_t mh_rop_txn(mh_ropctx *cx, const mh_logon *lg, unsigned flags, mh_betxn **t_r);
/* Commits; a MAPI code. */
uint32_t mh_rop_commit(mh_ropctx *cx, mh_betxn *t);

/* FID/MID wire form (MS-OXCDATA 2.2.1.1/2.2.1.2): ReplicaId u16 then the
 * 6-byte GlobalCounter, big-endian, read as a little-endian u64 (so the
 * counter's bytes are the u64's top six, reversed).  The counter's top
 * 16 bits are not part of it. */
static inline uint64_t mh_id_to_wire(mh_id counter, uint16_t replid)
{
    return __builtin_bswap64(counter & 0xFFFFFFFFFFFFull) | replid;
}
static inline mh_id mh_id_from_wire(uint64_t wire, uint16_t *replid_r)
{
    if (replid_r)
        *replid_r = (uint16_t)wire;
    return __builtin_bswap64(wire) & 0xFFFFFFFFFFFFull;
}

/* ------------------------------------------ shared between families */

/* A folder object (mh_oxcfold.c). */
typedef struct mh_folder {
    mh_id fid;
    uint32_t rights;              /* the user's effective rights (FRIGHTS_*) */
} mh_folder;

/* The folder object of the ROP's input handle, its data and its logon;
 * 0 or the MAPI error (mh_rop_object's, or EC_NULL_OBJECT without a
 * logon). */
uint32_t mh_rop_folder(mh_ropctx *cx, const mh_rop *rop, mh_object **obj_r, mh_folder **f_r,
                       mh_logon **lg_r);

/*
 * The user's effective rights on a folder of a logon's mailbox
 * (MS-OXCPERM): everything for the owner, else the permission table's row
 * of the user, of a group of theirs, or Default.  `cx` may be NULL: the
 * answer depends on the logon and the store only (Autodiscover asks it
 * outside any ROP).  (mh_oxcfold.c)
 */
uint32_t mh_folder_rights(mh_ropctx *cx, const mh_logon *lg, mh_betxn *t, mh_id fid,
                          uint32_t *rights_r);

/*
 * Values of a folder or a message as tables and property ROPs show them:
 * stored ones and the computed ones (entry IDs, PR_FID/PR_MID, parent,
 * counts, sizes, access and rights, record keys, ...).  tags NULL: every
 * property.  Values longer than `large` come back MH_PV_LARGE.
 * (mh_oxcfold.c, mh_oxcmsg.c)
 */
uint32_t mh_folder_props(mh_ropctx *cx, const mh_logon *lg, mh_betxn *t, mh_id fid,
                         const mh_proptag *tags, uint32_t n, uint64_t large,
                         apr_pool_t *pool, mh_proplist *out);
uint32_t mh_message_props(mh_ropctx *cx, const mh_logon *lg, mh_betxn *t, mh_id mid,
                          const mh_proptag *tags, uint32_t n, uint64_t large,
                          apr_pool_t *pool, mh_proplist *out);
/*
 * The same for many messages and the same tags (a table's rows): what to
 * read and what to compute is worked out once by mh_message_plan_make
 * (the plan refers to `tags`, which must live as long), then each message
 * costs its own reading.  (mh_oxcmsg.c)
 */
typedef struct mh_message_plan mh_message_plan;
const mh_message_plan *mh_message_plan_make(apr_pool_t *pool, const mh_proptag *tags,
                                            uint32_t n);
uint32_t mh_message_props_planned(mh_ropctx *cx, const mh_logon *lg, mh_betxn *t, mh_id mid,
                                  const mh_message_plan *plan, uint64_t large,
                                  apr_pool_t *pool, mh_proplist *out);

/* The rows of a message object's attachment table (its current instance;
 * each row has PR_ATTACH_NUM and the attachment's properties).
 * (mh_oxcmsg.c) */
uint32_t mh_message_attachment_rows(mh_ropctx *cx, mh_object *msg, apr_pool_t *pool,
                                    mh_proplist **rows_r, uint32_t *n_r);

/*
 * RopCopyTo's sub-objects (MS-OXCPRPT 3.2.5.8), each named by the tag
 * that excludes it: recipients (PidTagMessageRecipients) and attachments
 * (PidTagMessageAttachments) of a message, the embedded message of an
 * attachment (PidTagAttachDataObject), the subfolders
 * (PidTagContainerHierarchy), messages (PidTagContainerContents) and
 * folder associated messages (PidTagFolderAssociatedContents) of a folder.
 * CopyFlags (MS-OXCPRPT 2.2.10.1, 2.2.11.1) are MH_COPY_*.
 */
#define MH_SUB_RECIPIENTS 0x01u
#define MH_SUB_ATTACHMENTS 0x02u
#define MH_SUB_EMBEDDED 0x04u
#define MH_SUB_SUBFOLDERS 0x08u
#define MH_SUB_CONTENTS 0x10u
#define MH_SUB_FAI 0x20u
#define MH_COPY_MOVE 0x01
#define MH_COPY_NOOVERWRITE 0x02

/*
 * The sub-objects of a message or attachment object copied into another
 * of the same kind (their instances), in two steps so that nothing changes
 * unless everything can: mh_subcopy_prepare checks (destination writable,
 * source too for a move) and builds the copies with every value loaded,
 * changing nothing; mh_subcopy_apply (which cannot fail) puts them into the
 * destination instance and, for a move, takes them out of the source's.
 * Without MH_COPY_NOOVERWRITE the destination's recipients, attachments or
 * embedded message are replaced by the source's; with it, recipients and
 * an embedded message only go where there are none, attachments are added.
 * Copied attachments get new numbers.  (mh_oxcmsg.c)
 */
typedef struct mh_subcopy mh_subcopy;
uint32_t mh_subcopy_prepare(mh_ropctx *cx, mh_object *src, mh_object *dst, unsigned subs,
                            uint8_t flags, mh_subcopy **sc_r);
void mh_subcopy_apply(mh_ropctx *cx, mh_subcopy *sc);

/*
 * RopCopyTo between folder objects, in one transaction: the stored values
 * of `src` not excluded (by id) onto `dst`, then the sub-objects of `subs`:
 * subfolders (with everything below them; a name taken in `dst` is
 * MAPI_E_COLLISION, `dst` within `src` MAPI_E_FOLDER_CYCLE), messages,
 * associated messages; MH_COPY_MOVE moves the sub-objects (the folder keeps
 * its own values).  (mh_oxcfold.c)
 */
uint32_t mh_folder_copy_to(mh_ropctx *cx, mh_object *src, mh_object *dst,
                           const mh_proptag *excl, uint16_t nexcl, unsigned subs,
                           uint8_t flags);

/* Table kinds (mh_oxctabl.c). */
#define MH_TBL_HIERARCHY 1        /* parent: a folder; flags: Depth, ... */
#define MH_TBL_CONTENTS 2         /* parent: a folder; flags: Associated, ... */
#define MH_TBL_ATTACHMENTS 3      /* parent: a message */
#define MH_TBL_PERMISSIONS 4      /* parent: a folder */
#define MH_TBL_RULES 5            /* parent: a folder */

/*
 * Opens a table object at the ROP's output index over `parent` (the
 * ROP's TableFlags in `flags`).  *row_count_r gets the row count the
 * Get*Table responses carry.  (mh_oxctabl.c)
 */
uint32_t mh_table_open(mh_ropctx *cx, mh_rop *rop, mh_object *parent, uint8_t kind,
                       uint32_t flags, uint32_t *row_count_r);

/* ------------------------------------------------------------ Execute */

typedef struct mh_exec_opts {
    uint32_t flags;               /* Execute Flags (MH_EXEC_*) */
    uint32_t max_rop_out;         /* MaxRopOut */
    int chain_allowed;            /* the server's switch (MapiHttpChainedResponses) */
} mh_exec_opts;

/*
 * Runs the ROP input buffers of one Execute (the RopBuffer, one or more
 * extended buffers, in order, each answered in its own output payload)
 * and builds the RopBuffer of the response into `out`, never more than
 * opts->max_rop_out bytes.  Returns the EcDoRpcExt2 result for ErrorCode:
 * 0; EC_RPC_FORMAT (the buffer cannot be parsed: nothing was run);
 * EC_BUFFER_TOO_SMALL (not even a RopBufferTooSmall returning the
 * requests fits: nothing was run).  Requests that do not fit come back in
 * a RopBufferTooSmall at the end of their payload; input buffers after
 * that one come back whole the same way, none of their requests run.
 */
uint32_t mh_rop_execute(mh_ropctx *cx, const unsigned char *rop_buffer, size_t len,
                        const mh_exec_opts *opts, mh_wr *out);

#endif
