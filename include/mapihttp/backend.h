/*
 * mapihttp/backend.h - the storage backend interface of mod_mapihttp.
 *
 * A backend stores mailboxes (folders, messages, their properties, IDs,
 * change numbers and tombstones, named-property maps, permissions, rules)
 * and the directory (users, distribution lists, the global address list).
 * mod_mapihttp owns everything that is protocol: encodings, ROPs, tables,
 * restrictions, sync state, uncommitted message changes.  The guide for
 * backend authors is docs/backend-guide.md; this header is the reference.
 *
 * ---------------------------------------------------------------------
 * Packaging
 *
 * A backend is an Apache module of its own.  Its register_hooks registers
 * a filled `mh_backend` as an httpd provider:
 *
 *     ap_register_provider(p, MH_BACKEND_PROVIDER_GROUP, "mybackend",
 *                          MH_BACKEND_PROVIDER_VERSION, &my_backend);
 *
 * and the administrator selects it with
 *
 *     MapiHttpBackend mybackend key=value ...
 *
 * which looks the provider up while the configuration is read (an unknown
 * name or version stops httpd, listing what is available) and hands the
 * key=value options to instance_create.  MH_BACKEND_EXPORT(my_backend) also
 * exports the struct under a plain C symbol, so the command-line tools can
 * load the module without httpd.
 *
 * ---------------------------------------------------------------------
 * Compatibility
 *
 * The struct begins with the interface version the backend was built for
 * and its own size; fill it with designated initializers:
 *
 *     static const mh_backend my_backend = {
 *         MH_BACKEND_HEADER,
 *         .name = "mybackend", .version = "1.0",
 *         .instance_create = my_create, ...
 *     };
 *
 * New slots are only ever appended, so a backend built against an older
 * header keeps working: mod_mapihttp treats slots past the backend's
 * struct_size as absent.  An incompatible change bumps
 * MH_BACKEND_ABI_VERSION and the provider version together.
 *
 * ---------------------------------------------------------------------
 * Rules every slot follows
 *
 *  - Results are allocated in the `pool` argument (the caller's: a request
 *    or a session pool) and stay valid as long as it lives; nothing a
 *    backend returns may point into its own storage (an LMDB page, say)
 *    after the call returns.
 *  - On failure a slot returns an mh_err other than MH_OK and fills `err`
 *    (mh_fail() does both); output arguments are then undefined.  A slot
 *    never returns MH_OK with a required output unset: mod_mapihttp checks
 *    and logs such a broken result as an internal error.
 *  - "Required" slots must be set; mod_mapihttp refuses to load a backend
 *    missing one.  An "optional" slot may be NULL, and calls to it answer
 *    MH_E_NOT_SUPPORTED without reaching the backend.
 *  - Every mailbox and directory call happens inside a transaction
 *    (txn_begin ... txn_commit/txn_abort), used by one thread at a time and
 *    never kept across HTTP requests.  Writes are invisible to other
 *    transactions until txn_commit returns MH_OK, and a commit is
 *    all-or-nothing: after a crash at any moment the store holds exactly
 *    the committed transactions.  txn_commit returning MH_OK means the data
 *    is as durable as the backend promises (documented by each backend).
 *  - Strings are UTF-8 (see mapihttp/props.h); names and addresses compare
 *    case-insensitively (ASCII case folding at least).
 *  - Instances are used from many threads at once; transactions are not
 *    shared between threads.
 */
#ifndef MAPIHTTP_BACKEND_H
#define MAPIHTTP_BACKEND_H

#include <stdint.h>
#include <apr_pools.h>
#include <apr_time.h>

#include "mapihttp/errors.h"
#include "mapihttp/fold.h"
#include "mapihttp/ids.h"
#include "mapihttp/props.h"

#define MH_BACKEND_ABI_VERSION 1
#define MH_BACKEND_PROVIDER_GROUP "mapihttp_backend"
#define MH_BACKEND_PROVIDER_VERSION "1"

typedef struct mh_backend mh_backend;
/* A configured backend: what one MapiHttpBackend directive describes. */
typedef struct mh_instance mh_instance;
/* A transaction on the directory, or on one mailbox and the directory. */
typedef struct mh_txn mh_txn;

/* ------------------------------------------------------------ mailboxes */

/*
 * Special folders (MS-OXOSFLD, MS-OXCSTOR 2.2.1.1.3).  The numbers are
 * stored: never change them, only append.  The first 13 are the folders
 * RopLogon returns, in its order.
 */
typedef enum mh_special_folder {
    MH_SF_ROOT = 0,
    MH_SF_DEFERRED_ACTION = 1,
    MH_SF_SPOOLER_QUEUE = 2,
    MH_SF_IPM_SUBTREE = 3,
    MH_SF_INBOX = 4,
    MH_SF_OUTBOX = 5,
    MH_SF_SENT_ITEMS = 6,
    MH_SF_DELETED_ITEMS = 7,
    MH_SF_COMMON_VIEWS = 8,
    MH_SF_SCHEDULE = 9,
    MH_SF_FINDER = 10,
    MH_SF_VIEWS = 11,
    MH_SF_SHORTCUTS = 12,
    MH_SF_DRAFTS = 13,
    MH_SF_CALENDAR = 14,
    MH_SF_CONTACTS = 15,
    MH_SF_JOURNAL = 16,
    MH_SF_NOTES = 17,
    MH_SF_TASKS = 18,
    MH_SF_JUNK = 19,
    MH_SF_SYNC_ISSUES = 20,
    MH_SF_CONFLICTS = 21,
    MH_SF_LOCAL_FAILURES = 22,
    MH_SF_SERVER_FAILURES = 23,
    MH_SF_CONVERSATION_ACTIONS = 24,
    MH_SF_REMINDERS = 25,
    MH_SF_FREEBUSY = 26,
    MH_SF_COUNT = 27
} mh_special_folder;

typedef struct mh_mailbox_info {
    mh_guid guid;                 /* the mailbox GUID = its replica GUID */
    uint32_t owner;               /* directory entry of the owner */
    mh_id special[MH_SF_COUNT];   /* 0 where not set */
    mh_id last_id;                /* highest ID or CN handed out so far */
    uint64_t message_bytes;       /* sum of PR_MESSAGE_SIZE */
    uint32_t message_count;       /* normal and associated messages */
    uint32_t folder_count;
    apr_time_t created;
} mh_mailbox_info;

/* ------------------------------------------------------------- folders */

#define MH_FOLDER_SEARCH 0x1      /* a search folder (FOLDER_SEARCH) */

typedef struct mh_folder_info {
    mh_id id;
    mh_id parent;                 /* 0 for the root folder */
    uint32_t flags;               /* MH_FOLDER_* */
    uint32_t content_count;       /* normal messages */
    uint32_t unread_count;        /* normal messages without MSGFLAG_READ */
    uint32_t fai_count;           /* folder-associated (FAI) messages */
    uint32_t child_count;         /* direct subfolders */
    uint64_t message_bytes;       /* sum of PR_MESSAGE_SIZE of its messages */
    mh_id cn;                     /* CN of the last change of its properties */
} mh_folder_info;

/* ------------------------------------------------------------ messages */

typedef struct mh_message_info {
    mh_id id;
    mh_id folder;
    int fai;                      /* a folder-associated message */
    int read;                     /* MSGFLAG_READ is set */
    mh_id cn;                     /* CN of the last save */
    mh_id read_cn;                /* CN of the last read-state change (0: none) */
    uint32_t size;                /* PR_MESSAGE_SIZE */
} mh_message_info;

/* message_save flags */
#define MH_SAVE_FAI 0x1           /* a new message is folder-associated */

/*
 * How a change is recorded (MS-OXCFXICS 2.2.2).  For a local change leave
 * everything zero: the backend gives the object a new ID (when created), a
 * new CN n, PR_SOURCE_KEY = XID(mailbox GUID, ID) (when created),
 * PR_CHANGE_KEY = XID(mailbox GUID, n) and PR_PREDECESSOR_CHANGE_LIST =
 * mh_pcl_merge(stored PCL, that change key).  A change a client imports
 * (cached mode) gives what it brought; the backend keeps it as given, and
 * still assigns a local CN.
 */
typedef struct mh_change_in {
    mh_id id;            /* create: use this ID (one from id_reserve); 0: assign */
    mh_bin source_key;   /* create: keep this PR_SOURCE_KEY */
    mh_bin change_key;   /* keep this PR_CHANGE_KEY */
    mh_bin pcl;          /* keep this PR_PREDECESSOR_CHANGE_LIST */
} mh_change_in;

/*
 * A position in a listing, opaque to the caller: what the last call
 * returned in next_r, or a zero-length cursor for the start.
 */
#define MH_CURSOR_MAX 300
typedef struct mh_cursor {
    uint32_t len;
    uint8_t key[MH_CURSOR_MAX];
} mh_cursor;

/* contents_list flags */
#define MH_LIST_FAI 0x1           /* folder-associated messages instead of normal ones */
#define MH_LIST_BACKWARD 0x2      /* walk from the end towards the start */

/* A sort order: one column.  Ties are broken by message ID, in the same
 * direction as the sort. */
typedef struct mh_sort {
    mh_proptag tag;
    int descending;
} mh_sort;

/* ---------------------------------------------------------------- ICS */

#define MH_CHANGE_FOLDER 0x1      /* a folder (else a message) */
#define MH_CHANGE_FAI 0x2         /* a folder-associated message */
#define MH_CHANGE_DELETED 0x4     /* a tombstone: the object was deleted */
#define MH_CHANGE_READ 0x8        /* a read-state change (not a content change) */

typedef struct mh_change {
    mh_id id;
    mh_id folder;                 /* the folder it is in (folders: the parent) */
    mh_id cn;
    uint32_t flags;               /* MH_CHANGE_* */
    mh_bin source_key;            /* PR_SOURCE_KEY (also kept for tombstones) */
} mh_change;

/* changes_list kinds */
#define MH_CHANGES_MESSAGES 0x1   /* normal messages saved after the CN */
#define MH_CHANGES_FAI 0x2        /* FAI messages saved after the CN */
#define MH_CHANGES_DELETES 0x4    /* tombstones (of the kinds asked for) */
#define MH_CHANGES_READ 0x8       /* read-state changes */
#define MH_CHANGES_FOLDERS 0x10   /* folders of the subtree (hierarchy sync) */

/* ------------------------------------------------------- permissions */

#define MH_MEMBER_DEFAULT 0       /* everybody without an entry of their own */
#define MH_MEMBER_ANONYMOUS (-1)  /* unauthenticated users */

typedef struct mh_permission {
    int64_t member;               /* a directory entry ID, or MH_MEMBER_* */
    uint32_t rights;              /* FRIGHTS_* (MS-OXCPERM 2.2.7) */
} mh_permission;

typedef struct mh_receive_folder {
    const char *message_class;    /* "" is the default entry */
    mh_id folder;
    apr_time_t modified;
} mh_receive_folder;

/* ------------------------------------------------------- per-user data */

/* LongTermID (MS-OXCDATA 2.2.1.3.1): a replica GUID, a 6-byte counter, two
 * bytes of padding. */
#define MH_LTID_LEN 24

/*
 * A row of a mailbox's per-user data table (MS-OXCSTOR 3.2.5.10 to
 * 3.2.5.13): the read state of one public folder as a client cached it in
 * the mailbox.  mod_mapihttp checks the data before it stores it (a
 * serialized IDSET with REPLGUIDs, MS-OXCFXICS 2.2.2.4.2); a backend keeps
 * it as bytes.
 */
typedef struct mh_peruser {
    uint8_t folder[MH_LTID_LEN];  /* the public folder (its LongTermID): the key */
    mh_guid replguid;             /* REPLGUID of the public store the data came from */
    mh_bin data;                  /* the change numbers read: opaque bytes */
    apr_time_t modified;          /* when the row was last written */
} mh_peruser;

/* ----------------------------------------------------------- directory */

typedef enum mh_dir_type {
    MH_DIR_USER = 1,              /* a user, usually with a mailbox */
    MH_DIR_GROUP = 2,             /* a distribution list */
    MH_DIR_CONTACT = 3            /* a mail address without a mailbox here */
} mh_dir_type;

typedef struct mh_dir_entry {
    uint32_t id;                  /* stable, unique, never reused; 0 = none */
    mh_dir_type type;
    const char *login;            /* users: the name httpd authenticates; else NULL */
    const char *display_name;
    const char *smtp;             /* primary SMTP address, NULL if none */
    uint32_t n_aliases;           /* further SMTP addresses */
    const char *const *aliases;
    const char *legacy_dn;        /* "/o=.../ou=.../cn=Recipients/cn=...", unique */
    int has_mailbox;
    mh_guid mailbox;              /* when has_mailbox */
    const char *server;           /* host holding the mailbox; NULL: this one */
    int disabled;                 /* may not log on */
    mh_proplist props;            /* further address-book properties */
} mh_dir_entry;

/*
 * Links between entries kept in mh_dir_entry.props.  The address book's
 * link attributes (MS-OXOABK PtypEmbeddedTable properties) that users may
 * change through NSPI are stored as plain values under their property id,
 * naming other entries by directory ID; mod_mapihttp reads and writes them
 * (dir_get, dir_put), a backend only stores them as it stores any value:
 *
 *   MH_DIR_LINK_OWNER      on a list: its owner (PidTagAddressBookOwner),
 *                          who may change its members through NSPI
 *   MH_DIR_LINK_DELEGATES  on a user: its public delegates
 *                          (PidTagAddressBookPublicDelegates), in order
 *
 * IDs are never reused, so an ID whose entry was deleted names nothing and
 * readers skip it.  An LDAP-backed directory maps them to its own
 * attributes (managedBy, publicDelegates) or leaves them out.
 */
#define MH_DIR_LINK_OWNER MH_TAG(0x800C, PT_LONG)
#define MH_DIR_LINK_DELEGATES MH_TAG(0x8015, PT_MV_LONG)

typedef enum mh_dir_key {
    MH_DIR_BY_LOGIN = 1,
    MH_DIR_BY_SMTP = 2,           /* primary address or an alias */
    MH_DIR_BY_LEGACY_DN = 3
} mh_dir_key;

/* --------------------------------------------------------- capabilities */

#define MH_BCAP_DIRECTORY_WRITE 0x1   /* dir_put/dir_delete/dir_set_members work */
#define MH_BCAP_PASSWORDS 0x2         /* the directory holds password hashes */

/* txn_begin flags */
#define MH_TXN_READ 0x0
#define MH_TXN_WRITE 0x1

/* ============================================================= the struct */

struct mh_backend {
    /* ---- header: MH_BACKEND_HEADER fills these two */
    uint32_t abi_version;         /* MH_BACKEND_ABI_VERSION the backend was built for */
    uint32_t struct_size;         /* sizeof(mh_backend) the backend was built with */

    const char *name;             /* the provider name, e.g. "lmdb" (required) */
    const char *version;          /* the backend's own version, for logs (required) */
    uint32_t capabilities;        /* MH_BCAP_* */
    /*
     * Sort orders contents_list serves from an index, ended by a 0 tag
     * (may be NULL: none).  Other orders are sorted by mod_mapihttp.
     */
    const mh_proptag *sort_tags;

    /* ---- instance lifecycle ------------------------------------------ */

    /*
     * Required.  Called while httpd reads its configuration (in the parent
     * process, possibly as root) and by the tools: builds an instance from
     * the directive's key=value options, checking them (no I/O beyond
     * that).  Allocate in `pconf`; the instance lives as long as it.
     * Errors: MH_E_INVALID with a detail naming the option and what is
     * allowed (httpd prints it and refuses to start).
     */
    mh_err (*instance_create)(apr_pool_t *pconf, int argc, const char *const *argv,
                              mh_instance **inst_r, mh_error *err);

    /*
     * Optional.  Called once at start-up in the httpd parent (as root,
     * before the children exist) and by the tools: create or check the
     * storage (directories, databases), and when uid/gid are not -1 give
     * what the children must write to that user and group.  Must not leave
     * anything open that a forked child would inherit.
     * Errors: MH_E_UNAVAILABLE, MH_E_PERMISSION, MH_E_CORRUPT (httpd
     * refuses to start with the detail).
     */
    mh_err (*instance_prepare)(mh_instance *inst, long uid, long gid, apr_pool_t *ptemp,
                               mh_error *err);

    /*
     * Required.  Called in each process that uses the instance (each httpd
     * child, in child_init; each tool run) before any other call: open
     * environments, connections, files.  Register cleanups on `pchild` to
     * close them.  Errors: MH_E_UNAVAILABLE, MH_E_CORRUPT.
     */
    mh_err (*instance_open)(mh_instance *inst, apr_pool_t *pchild, mh_error *err);

    /* ---- transactions -------------------------------------------------- */

    /*
     * Required.  Starts a transaction, read-only (MH_TXN_READ) or writing
     * (MH_TXN_WRITE), on the mailbox `mailbox` (NULL: directory only).  The
     * transaction object is allocated in `pool`, which outlives it.
     * Errors: MH_E_NOT_FOUND (no such mailbox; mailbox_create is allowed
     * in a writing transaction on a mailbox that does not exist yet),
     * MH_E_TEMPORARY, MH_E_UNAVAILABLE.
     */
    mh_err (*txn_begin)(mh_instance *inst, const mh_guid *mailbox, unsigned flags,
                        apr_pool_t *pool, mh_txn **txn_r, mh_error *err);
    /* Required.  Makes every change of the transaction visible and durable,
     * or none.  The transaction is over either way.  Errors:
     * MH_E_QUOTA, MH_E_TEMPORARY, MH_E_UNAVAILABLE. */
    mh_err (*txn_commit)(mh_txn *txn, mh_error *err);
    /* Required.  Ends the transaction, discarding its changes.  Never fails. */
    void (*txn_abort)(mh_txn *txn);

    /* ---- directory ----------------------------------------------------- */

    /* Required.  The entry with this ID.  Errors: MH_E_NOT_FOUND. */
    mh_err (*dir_get)(mh_txn *txn, uint32_t id, apr_pool_t *pool, mh_dir_entry *entry_r,
                      mh_error *err);
    /* Required.  The entry with this login, SMTP address (primary or
     * alias) or legacy DN, compared case-insensitively.  Errors:
     * MH_E_NOT_FOUND. */
    mh_err (*dir_find)(mh_txn *txn, mh_dir_key by, const char *key, apr_pool_t *pool,
                       mh_dir_entry *entry_r, mh_error *err);
    /*
     * Required.  The global address list in display-name order (the folded
     * form of mapihttp/fold.h, ties by ID; mod_mapihttp sorts again, so
     * this order is a convenience): at most `max` entries after `after`
     * (zero length: from the start); *next_r is the cursor for the next
     * call (len 0 when the list ended).  *entries_r is an array of *n_r
     * entries in `pool`.
     */
    mh_err (*dir_list)(mh_txn *txn, const mh_cursor *after, uint32_t max, apr_pool_t *pool,
                       mh_dir_entry **entries_r, uint32_t *n_r, mh_cursor *next_r,
                       mh_error *err);
    /* Required.  Number of entries in the global address list. */
    mh_err (*dir_count)(mh_txn *txn, uint32_t *n_r, mh_error *err);
    /*
     * Required.  Entries whose display name (from any of its words on:
     * "lovelace k" finds "Ada Lovelace King"), given name or surname
     * (PidTagGivenName, PidTagSurname in props, from any word on), login
     * or SMTP address (primary or alias, local part or whole) begins with
     * `prefix`, both compared in the folded form of mapihttp/fold.h (case
     * and accents ignored: "muller", "MULLER" and "Müll" find "Müller"),
     * at most `max`, in display-name order.  This is the ambiguous name
     * resolution of the address book (MS-OXNSPI 3.1.4.7); it must cost
     * about O(log N + matches), not a scan of the directory (an index of
     * folded words, as the LMDB backend keeps).
     */
    mh_err (*dir_search)(mh_txn *txn, const char *prefix, uint32_t max, apr_pool_t *pool,
                         mh_dir_entry **entries_r, uint32_t *n_r, mh_error *err);
    /* Required.  Member entry IDs of a distribution list.  Errors:
     * MH_E_NOT_FOUND, MH_E_INVALID (not a list). */
    mh_err (*dir_members)(mh_txn *txn, uint32_t group, apr_pool_t *pool, uint32_t **ids_r,
                          uint32_t *n_r, mh_error *err);
    /*
     * Optional (MH_BCAP_PASSWORDS).  The stored password hash of a login,
     * in a form apr_password_validate() checks (bcrypt "$2y$...").  Errors:
     * MH_E_NOT_FOUND (no such login, or no password: another
     * authentication provider may still know the user), MH_E_PERMISSION
     * (the user is disabled: access is refused outright).
     */
    mh_err (*dir_password)(mh_txn *txn, const char *login, apr_pool_t *pool,
                           const char **hash_r, mh_error *err);
    /*
     * Optional (MH_BCAP_DIRECTORY_WRITE), writing transaction.  Creates
     * (entry->id 0: the backend assigns and returns the ID) or replaces an
     * entry.  `password_hash` NULL leaves the stored one (the empty string
     * removes it).  Errors: MH_E_EXISTS (login, address or legacy DN taken
     * by another entry), MH_E_NOT_FOUND (replace of an unknown ID),
     * MH_E_INVALID.
     */
    mh_err (*dir_put)(mh_txn *txn, const mh_dir_entry *entry, const char *password_hash,
                      uint32_t *id_r, mh_error *err);
    /* Optional (MH_BCAP_DIRECTORY_WRITE).  Deletes an entry (and its
     * list memberships).  Its ID is never reused.  Errors: MH_E_NOT_FOUND. */
    mh_err (*dir_delete)(mh_txn *txn, uint32_t id, mh_error *err);
    /* Optional (MH_BCAP_DIRECTORY_WRITE).  Replaces the members of a
     * distribution list.  Errors: MH_E_NOT_FOUND (list or member),
     * MH_E_INVALID (not a list). */
    mh_err (*dir_set_members)(mh_txn *txn, uint32_t group, const uint32_t *ids, uint32_t n,
                              mh_error *err);

    /* ---- mailboxes ----------------------------------------------------- */

    /*
     * Required.  In a writing transaction begun on a mailbox that does not
     * exist: creates it, empty (mod_mapihttp provisions the folders),
     * owned by directory entry `owner`.  Errors: MH_E_EXISTS.
     */
    mh_err (*mailbox_create)(mh_txn *txn, uint32_t owner, mh_error *err);
    /* Optional.  Deletes the transaction's mailbox and everything in it. */
    mh_err (*mailbox_delete)(mh_txn *txn, mh_error *err);
    /* Required.  Facts about the transaction's mailbox. */
    mh_err (*mailbox_info)(mh_txn *txn, mh_mailbox_info *info_r, mh_error *err);
    /* Required.  Records which folder plays a special role (0 clears). */
    mh_err (*mailbox_set_special)(mh_txn *txn, mh_special_folder role, mh_id folder,
                                  mh_error *err);
    /* Optional.  Every mailbox GUID (a directory transaction). */
    mh_err (*mailbox_list)(mh_txn *txn, apr_pool_t *pool, mh_guid **guids_r, uint32_t *n_r,
                           mh_error *err);
    /*
     * Required.  Reserves `count` consecutive IDs that no object or CN will
     * get otherwise (RopGetLocalReplicaIds: a client makes IDs offline and
     * creates objects with them later, passing them in mh_change_in.id).
     * Errors: MH_E_QUOTA (the 48-bit space would run out).
     */
    mh_err (*id_reserve)(mh_txn *txn, uint32_t count, mh_id *first_r, mh_error *err);

    /* ---- properties of the mailbox, folders, messages, attachments --- */

    /*
     * Required.  Values of an object: the tags asked for (absent ones are
     * left out of the result), or every stored value when `tags` is NULL.
     * Values longer than `large` bytes (binary, string) come back as
     * MH_PV_LARGE with their size, to be read with value_read; pass
     * UINT64_MAX to get everything.  Folders and messages always have
     * PR_SOURCE_KEY, PR_CHANGE_KEY, PR_PREDECESSOR_CHANGE_LIST and
     * PR_CHANGE_NUMBER.  Errors: MH_E_NOT_FOUND.
     */
    mh_err (*props_get)(mh_txn *txn, const mh_objref *obj, const mh_proptag *tags, uint32_t n,
                        uint64_t large, apr_pool_t *pool, mh_proplist *values_r,
                        mh_error *err);
    /*
     * Required.  Sets and deletes properties of the mailbox or a folder
     * (messages change only through message_save and message_set_read).
     * A folder change gets a CN as mh_change_in describes (*cn_r; the
     * mailbox object has none: 0).  Errors: MH_E_NOT_FOUND, MH_E_INVALID
     * (a type that is not storable, or a change-tracking property:
     * PR_SOURCE_KEY, PR_CHANGE_KEY, PR_PREDECESSOR_CHANGE_LIST and
     * PR_CHANGE_NUMBER come only through mh_change_in), MH_E_EXISTS (a
     * folder's display name taken by a sibling).
     */
    mh_err (*props_set)(mh_txn *txn, const mh_objref *obj, const mh_proplist *set,
                        const mh_proptag *del, uint32_t n_del, const mh_change_in *change,
                        mh_id *cn_r, mh_error *err);
    /*
     * Required.  Reads `len` bytes from `offset` of a value (*got_r < len
     * only at its end).  Errors: MH_E_NOT_FOUND (object or value),
     * MH_E_INVALID (offset past the end).
     */
    mh_err (*value_read)(mh_txn *txn, const mh_objref *obj, mh_proptag tag, uint64_t offset,
                         void *buf, size_t len, size_t *got_r, mh_error *err);

    /* ---- folders --------------------------------------------------------- */

    /*
     * Required.  Creates a folder under `parent` (0 only for the first
     * folder of a mailbox, its root) with these properties; PR_DISPLAY_NAME
     * is required and unique among the siblings.  Errors: MH_E_NOT_FOUND
     * (parent), MH_E_EXISTS (name), MH_E_INVALID.
     */
    mh_err (*folder_create)(mh_txn *txn, mh_id parent, const mh_proplist *props,
                            unsigned flags, const mh_change_in *change, mh_id *id_r,
                            mh_error *err);
    /* Required.  Errors: MH_E_NOT_FOUND. */
    mh_err (*folder_info)(mh_txn *txn, mh_id folder, mh_folder_info *info_r, mh_error *err);
    /* Required.  The direct subfolders, in creation order. */
    mh_err (*folder_children)(mh_txn *txn, mh_id folder, apr_pool_t *pool, mh_id **ids_r,
                              uint32_t *n_r, mh_error *err);
    /* Required.  The subfolder of `parent` with this display name
     * (case-insensitive).  Errors: MH_E_NOT_FOUND. */
    mh_err (*folder_find)(mh_txn *txn, mh_id parent, const char *display_name, mh_id *id_r,
                          mh_error *err);
    /* Required.  Moves a folder under another parent (a new CN).  Errors:
     * MH_E_NOT_FOUND, MH_E_EXISTS (name taken there), MH_E_INVALID (into
     * itself or a descendant, or the root). */
    mh_err (*folder_move)(mh_txn *txn, mh_id folder, mh_id new_parent,
                          const mh_change_in *change, mh_error *err);
    /* Required.  Deletes an empty folder (no messages, FAI or subfolders:
     * else MH_E_CONFLICT), leaving a tombstone with a new CN; its
     * permissions, rules and receive folder entries go with it. */
    mh_err (*folder_delete)(mh_txn *txn, mh_id folder, mh_error *err);

    /*
     * Required.  Messages of a folder, normal or (MH_LIST_FAI) associated,
     * in `sort` order (NULL: by ID): at most `max` IDs into ids (the
     * caller's array), after the position `from` (zero length: the start,
     * or the end with MH_LIST_BACKWARD).  *next_r continues the walk (len 0
     * when it ended).  Sorts not in sort_tags: MH_E_NOT_SUPPORTED.
     * Missing values sort first.  Strings sort case-insensitively.
     */
    mh_err (*contents_list)(mh_txn *txn, mh_id folder, unsigned flags, const mh_sort *sort,
                            const mh_cursor *from, uint32_t max, mh_id *ids, uint32_t *n_r,
                            mh_cursor *next_r, mh_error *err);

    /* ---- messages -------------------------------------------------------- */

    /* Required.  Errors: MH_E_NOT_FOUND. */
    mh_err (*message_info)(mh_txn *txn, mh_id message, mh_message_info *info_r,
                           mh_error *err);
    /*
     * Required.  The whole message: properties, recipients, attachments,
     * embedded messages.  Values longer than `large` come back as
     * MH_PV_LARGE (read them with value_read and an mh_objref).
     */
    mh_err (*message_read)(mh_txn *txn, mh_id message, uint64_t large, apr_pool_t *pool,
                           mh_message **msg_r, mh_error *err);
    /*
     * Required.  Stores `msg` as the message `message` (0: a new one in
     * `folder`, normal or MH_SAVE_FAI) replacing everything stored before;
     * values flagged MH_PV_KEEP keep their stored value, MH_PV_SOURCE
     * values are read from their source.  Assigns a CN and the change
     * properties as mh_change_in says; updates the folder's counts and
     * indexes.  Returns the message ID and the CN.  Errors: MH_E_NOT_FOUND
     * (folder, message, or a kept value), MH_E_INVALID, MH_E_QUOTA,
     * MH_E_TOO_BIG.
     */
    mh_err (*message_save)(mh_txn *txn, mh_id folder, mh_id message, unsigned flags,
                           const mh_message *msg, const mh_change_in *change, mh_id *id_r,
                           mh_id *cn_r, mh_error *err);
    /* Required.  Deletes a message, leaving a tombstone with a new CN. */
    mh_err (*message_delete)(mh_txn *txn, mh_id message, mh_error *err);
    /*
     * Required.  Copies (`copy`) or moves a message into `folder` under a
     * new ID; a move leaves a tombstone in the source folder.  The change
     * describes the new object (its ID, source key).  Errors:
     * MH_E_NOT_FOUND.
     */
    mh_err (*message_move)(mh_txn *txn, mh_id message, mh_id folder, int copy,
                           const mh_change_in *change, mh_id *id_r, mh_error *err);
    /* Required.  Sets or clears MSGFLAG_READ, recording a read-state CN;
     * unchanged state: MH_OK and *cn_r 0. */
    mh_err (*message_set_read)(mh_txn *txn, mh_id message, int read, mh_id *cn_r,
                               mh_error *err);

    /* ---- changes (cached-mode sync) -------------------------------------- */

    /*
     * Required.  What changed in `folder` (or, with MH_CHANGES_FOLDERS, in
     * the folder tree below it) after CN `after`: at most `max` changes into
     * out (the caller's array) in CN order, *next_r the CN to continue
     * from.  Each object appears with its latest change only.
     */
    mh_err (*changes_list)(mh_txn *txn, mh_id folder, unsigned kinds, mh_id after,
                           uint32_t max, apr_pool_t *pool, mh_change *out, uint32_t *n_r,
                           mh_id *next_r, mh_error *err);
    /*
     * Required.  The folder or message whose PR_SOURCE_KEY is `source_key`
     * (cached mode identifies objects that way), and whether only its
     * tombstone is left.  Errors: MH_E_NOT_FOUND.
     */
    mh_err (*object_by_source_key)(mh_txn *txn, const mh_bin *source_key, mh_objkind *kind_r,
                                   mh_id *id_r, int *deleted_r, mh_error *err);

    /* ---- named properties ------------------------------------------------ */

    /*
     * Required.  The property IDs of names in this mailbox (0 for unknown
     * ones), creating IDs for unknown names when `create` is set (a
     * writing transaction).  Errors: MH_E_QUOTA (all 32767 IDs used).
     */
    mh_err (*named_ids)(mh_txn *txn, const mh_propname *names, uint32_t n, int create,
                        uint16_t *ids_r, mh_error *err);
    /* Required.  The names of property IDs; found_r[i] is 0 for unknown IDs. */
    mh_err (*named_names)(mh_txn *txn, const uint16_t *ids, uint32_t n, apr_pool_t *pool,
                          mh_propname *names_r, uint8_t *found_r, mh_error *err);
    /* Required.  Every name of the mailbox with its ID. */
    mh_err (*named_list)(mh_txn *txn, apr_pool_t *pool, mh_propname **names_r,
                         uint16_t **ids_r, uint32_t *n_r, mh_error *err);

    /* ---- permissions, rules, receive folders ----------------------------- */

    /* Required.  A folder's permission table (no rows: nobody but the
     * owner has rights). */
    mh_err (*permissions_get)(mh_txn *txn, mh_id folder, apr_pool_t *pool,
                              mh_permission **rows_r, uint32_t *n_r, mh_error *err);
    /* Required.  Replaces a folder's permission table (one row per member). */
    mh_err (*permissions_set)(mh_txn *txn, mh_id folder, const mh_permission *rows,
                              uint32_t n, mh_error *err);
    /* Optional.  A folder's rules, each a property list as the client
     * wrote it (MS-OXORULE), in the order stored. */
    mh_err (*rules_get)(mh_txn *txn, mh_id folder, apr_pool_t *pool, mh_proplist **rules_r,
                        uint32_t *n_r, mh_error *err);
    /* Optional.  Replaces a folder's rules. */
    mh_err (*rules_set)(mh_txn *txn, mh_id folder, const mh_proplist *rules, uint32_t n,
                        mh_error *err);
    /* Required.  The receive folder table (message class -> folder). */
    mh_err (*receive_folders_get)(mh_txn *txn, apr_pool_t *pool, mh_receive_folder **rows_r,
                                  uint32_t *n_r, mh_error *err);
    /* Required.  Sets (folder 0: removes) the entry of a message class. */
    mh_err (*receive_folder_set)(mh_txn *txn, const char *message_class, mh_id folder,
                                 mh_error *err);

    /* ---- maintenance ----------------------------------------------------- */

    /*
     * Optional.  Checks the consistency of the transaction's mailbox
     * (indexes against data, counts, references) or, in a directory
     * transaction (no mailbox), of the directory and of the links between
     * entries and mailboxes; calls `report` for each problem found; with
     * `repair` (a writing transaction) fixes what it can.  *problems_r
     * counts what was found.
     */
    mh_err (*check)(mh_txn *txn, int repair,
                    void (*report)(void *baton, const char *problem), void *baton,
                    uint32_t *problems_r, mh_error *err);

    /* ---- per-user data (MS-OXCSTOR 3.2.5.10-3.2.5.13) --------------------- */

    /*
     * Optional, the three together (a backend without them serves an empty
     * per-user data table and refuses to write one).  The row of the
     * transaction's mailbox for the public folder `folder` (a LongTermID),
     * data included, in `pool`.  Errors: MH_E_NOT_FOUND (no row).
     */
    mh_err (*peruser_get)(mh_txn *txn, const uint8_t folder[MH_LTID_LEN], apr_pool_t *pool,
                          mh_peruser *row_r, mh_error *err);
    /* Optional.  Every row of the mailbox's table, data left out (len 0),
     * in any order: an array of *n_r rows in `pool`. */
    mh_err (*peruser_list)(mh_txn *txn, apr_pool_t *pool, mh_peruser **rows_r,
                           uint32_t *n_r, mh_error *err);
    /*
     * Optional, writing transaction.  Adds the row of row->folder or
     * replaces it whole (REPLGUID, data, time).  The rows go with the
     * mailbox (mailbox_delete).  Errors: MH_E_TOO_BIG (data beyond the
     * backend's limit), MH_E_QUOTA.
     */
    mh_err (*peruser_set)(mh_txn *txn, const mh_peruser *row, mh_error *err);

    /* ---- directory changes (the address book's snapshot) ------------------ */

    /*
     * Optional.  The directory's generation, as the transaction sees it: a
     * number that grows with every committed transaction that changed the
     * directory (dir_put, dir_delete, dir_set_members, a repairing check,
     * anything else that changes what dir_get, dir_list, dir_search or
     * dir_members answer), and that stays the same otherwise.  Two
     * transactions that read the same value see the same directory; a
     * larger value is a later directory.  Bump it in the same transaction
     * as the change it counts, so that no reader sees the change with the
     * old value; a value read in a writing transaction after its own
     * changes is never trusted beyond it (the transaction may abort).
     * It must be cheap (one key read): the address book asks at every
     * table call.
     *
     * Why: the address book keeps, per process, a snapshot of the GAL in
     * its sort order (positions are what NSPI's STAT is made of, and a
     * sorted index has no positions), and rebuilds it from dir_list only
     * when this value moved.  Without the slot it cannot tell, and reuses
     * a snapshot for a few seconds (MH_GAL_SNAPSHOT_TTL in
     * docs/backend-guide.md): changes then show up late.
     */
    mh_err (*dir_generation)(mh_txn *txn, uint64_t *gen_r, mh_error *err);
};

#define MH_BACKEND_HEADER                                                      \
    .abi_version = MH_BACKEND_ABI_VERSION, .struct_size = sizeof(mh_backend)

/*
 * Exports the backend under a plain C name, for the tools that load a
 * backend module without httpd (mapihttp-admin --module, the conformance
 * suite).
 */
#define MH_BACKEND_ENTRY_SYMBOL "mapihttp_backend_entry"
#define MH_BACKEND_EXPORT(var)                                                 \
    __attribute__((visibility("default"))) const mh_backend *mapihttp_backend_entry(void); \
    __attribute__((visibility("default"))) const mh_backend *mapihttp_backend_entry(void) \
    {                                                                          \
        return &(var);                                                         \
    }

#endif
