/*
 * mh_nspi_gal.h - the address book as the NSPI handlers see it: the
 * backend's directory turned into address book objects (MS-OXOABK), their
 * minimal entry IDs (MS-OXNSPI 2.2.9.1), the containers and the address
 * book hierarchy table (MS-OXOABK 3.1.4.1, MS-OXNSPI 3.1.4.4.3.1), the
 * sorted tables of the containers, STAT positioning (MS-OXNSPI 3.1.4.5),
 * the properties Outlook reads and ambiguous name resolution (3.1.4.7).
 * httpd-free; one mh_gal per request, in that request's pool.
 *
 * Minimal entry IDs.  An entry's MId is its directory ID plus
 * MH_GAL_MID_MIN - 1: directory IDs are stable and never reused, so MIds
 * are the same in every process, after restarts and in every session of a
 * server GUID (3.1.4.6), and never one of the values below 0x10 the
 * protocol gives a meaning of its own (MID_BEGINNING_OF_TABLE, MID_CURRENT,
 * MID_END_OF_TABLE, MID_UNRESOLVED ...).  The containers have fixed MIds at
 * the top of the range (MH_GAL_MID_*); the global address list is
 * container 0, as clients expect (a STAT of zeroes browses the GAL).
 * Directory IDs above MH_GAL_DIR_ID_MAX have no MId and are left out of
 * the address book (a directory would need four billion entries first).
 *
 * Containers (the hierarchy table, in this order):
 *   Global Address List      MId 0, DN "/", every entry
 *   All Address Lists        no entries, only the lists below it
 *     All Users              users (MH_DIR_USER)
 *     All Distribution Lists distribution lists (MH_DIR_GROUP)
 *     All Contacts           mail contacts (MH_DIR_CONTACT)
 * The address lists' DNs are "/guid=" and a GUID derived from the
 * organization and the list, the same on every server of the organization
 * (MS-OXOABK 2.2.1.1 addresslist-dn).
 *
 * Order.  Every table is sorted by display name with mh_str_collate
 * (case and accents ignored first, as mapihttp/fold.h folds them: the
 * NSPI_DEFAULT_LOCALE comparison, MS-OXNSPI 3.1.4.3.5, as far as it goes
 * here), equal names by MId.  Name resolution folds the same way.  The
 * one order serves every SortLocale and both SortTypeDisplayName and the
 * read-only / writable variants; SortTypePhoneticDisplayName is not
 * supported (the handlers answer as the spec says for that).
 */
#ifndef MH_NSPI_GAL_H
#define MH_NSPI_GAL_H

#include <stdint.h>
#include <apr_hash.h>
#include <apr_pools.h>

#include "mapihttp/backend.h"
#include "mh_backend.h"
#include "mh_nspi_wire.h"

/* --------------------------------------------------------------- MIds */

#define MH_GAL_MID_MIN 0x10u            /* the smallest MId of an entry */
#define MH_GAL_MID_GAL 0x00000000u      /* the global address list */
#define MH_GAL_MID_ALL_LISTS 0xFFFFFFF0u
#define MH_GAL_MID_USERS 0xFFFFFFF1u
#define MH_GAL_MID_GROUPS 0xFFFFFFF2u
#define MH_GAL_MID_CONTACTS 0xFFFFFFF3u
#define MH_GAL_MID_MAX 0xFFFFFFEFu      /* the largest MId of an entry */
#define MH_GAL_DIR_ID_MAX (MH_GAL_MID_MAX - (MH_GAL_MID_MIN - 1))

/* The MId of directory entry `id` (0 when it has none). */
static inline uint32_t mh_gal_mid_of(uint32_t id)
{
    return id && id <= MH_GAL_DIR_ID_MAX ? id + (MH_GAL_MID_MIN - 1) : 0;
}
/* The directory ID an entry MId names (0 when it names no entry). */
static inline uint32_t mh_gal_dir_id_of(uint32_t mid)
{
    return mid >= MH_GAL_MID_MIN && mid <= MH_GAL_MID_MAX ? mid - (MH_GAL_MID_MIN - 1) : 0;
}

/* --------------------------------------------------- property tags */

/* MS-OXPROPS / MS-OXOABK names in comments. */
#define PR_ENTRYID MH_TAG(0x0FFF, PT_BINARY)            /* PidTagEntryId */
#define PR_OBJECT_TYPE MH_TAG(0x0FFE, PT_LONG)          /* PidTagObjectType */
#define PR_RECORD_KEY MH_TAG(0x0FF9, PT_BINARY)         /* PidTagRecordKey */
#define PR_MAPPING_SIGNATURE MH_TAG(0x0FF8, PT_BINARY)  /* PidTagMappingSignature */
#define PR_INSTANCE_KEY MH_TAG(0x0FF6, PT_BINARY)       /* PidTagInstanceKey */
#define PR_ADDRTYPE MH_TAG(0x3002, PT_UNICODE)          /* PidTagAddressType */
#define PR_EMAIL_ADDRESS MH_TAG(0x3003, PT_UNICODE)     /* PidTagEmailAddress */
#define PR_DEPTH MH_TAG(0x3005, PT_LONG)                /* PidTagDepth */
#define PR_SEARCH_KEY MH_TAG(0x300B, PT_BINARY)         /* PidTagSearchKey */
#define PR_CONTAINER_FLAGS MH_TAG(0x3600, PT_LONG)      /* PidTagContainerFlags */
#define PR_ANR MH_TAG(0x360C, PT_UNICODE)               /* PidTagAnr */
#define PR_DISPLAY_TYPE MH_TAG(0x3900, PT_LONG)         /* PidTagDisplayType */
#define PR_TEMPLATEID MH_TAG(0x3902, PT_BINARY)         /* PidTagTemplateid */
#define PR_DISPLAY_TYPE_EX MH_TAG(0x3905, PT_LONG)      /* PidTagDisplayTypeEx */
#define PR_SMTP_ADDRESS MH_TAG(0x39FE, PT_UNICODE)      /* PidTagSmtpAddress */
#define PR_EMS_AB_DISPLAY_NAME_PRINTABLE MH_TAG(0x39FF, PT_UNICODE)
#define PR_ACCOUNT MH_TAG(0x3A00, PT_UNICODE)           /* PidTagAccount */
#define PR_BUSINESS_TELEPHONE_NUMBER MH_TAG(0x3A08, PT_UNICODE)
#define PR_GIVEN_NAME MH_TAG(0x3A06, PT_UNICODE)
#define PR_SURNAME MH_TAG(0x3A11, PT_UNICODE)
#define PR_COMPANY_NAME MH_TAG(0x3A16, PT_UNICODE)
#define PR_TITLE MH_TAG(0x3A17, PT_UNICODE)
#define PR_DEPARTMENT_NAME MH_TAG(0x3A18, PT_UNICODE)   /* PidTagDepartmentName */
#define PR_OFFICE_LOCATION MH_TAG(0x3A19, PT_UNICODE)   /* PidTagOfficeLocation */
#define PR_PRIMARY_TELEPHONE_NUMBER MH_TAG(0x3A1A, PT_UNICODE)
#define PR_MOBILE_TELEPHONE_NUMBER MH_TAG(0x3A1C, PT_UNICODE)
#define PR_TRANSMITABLE_DISPLAY_NAME MH_TAG(0x3A20, PT_UNICODE)
#define PR_EMS_AB_HOME_MDB MH_TAG(0x8006, PT_UNICODE)   /* PidTagAddressBookHomeMessageDatabase */
#define PR_EMS_AB_IS_MEMBER_OF_DL MH_TAG(0x8008, PT_OBJECT)
#define PR_EMS_AB_MEMBER MH_TAG(0x8009, PT_OBJECT)      /* PidTagAddressBookMember */
#define PR_EMS_AB_MANAGER MH_TAG(0x8005, PT_OBJECT)
#define PR_EMS_AB_OWNER MH_TAG(0x800C, PT_OBJECT)
#define PR_EMS_AB_REPORTS MH_TAG(0x800E, PT_OBJECT)
#define PR_EMS_AB_PROXY_ADDRESSES MH_TAG(0x800F, PT_MV_UNICODE)
#define PR_EMS_AB_TARGET_ADDRESS MH_TAG(0x8011, PT_UNICODE)
#define PR_EMS_AB_PUBLIC_DELEGATES MH_TAG(0x8015, PT_OBJECT)
#define PR_EMS_AB_OBJ_DIST_NAME MH_TAG(0x803C, PT_UNICODE)
#define PR_EMS_AB_OBJECT_GUID MH_TAG(0x8C6D, PT_BINARY) /* PidTagAddressBookObjectGuid */
#define PR_EMS_AB_IS_MASTER MH_TAG(0xFFFB, PT_BOOLEAN)
#define PR_EMS_AB_PARENT_ENTRYID MH_TAG(0xFFFC, PT_BINARY)
#define PR_EMS_AB_CONTAINERID MH_TAG(0xFFFD, PT_LONG)  /* PidTagAddressBookContainerId */
#define PR_USER_X509_CERTIFICATE MH_TAG(0x3A70, PT_MV_BINARY) /* PidTagUserX509Certificate */
#define PR_EMS_AB_X509_CERT MH_TAG(0x8C6A, PT_MV_BINARY) /* PidTagAddressBookX509Certificate */
#define PR_EMS_AB_MANAGE_DL MH_TAG(0x6704, PT_OBJECT) /* PidTagAddressBookManageDistributionList */

/* PidTagObjectType values (MS-OXOABK 2.2.3.10) */
#define MH_MAPI_ABCONT 4
#define MH_MAPI_MAILUSER 6
#define MH_MAPI_DISTLIST 8
/* PidTagDisplayType values (MS-OXOABK 2.2.3.11) */
#define MH_DT_MAILUSER 0x00000000u
#define MH_DT_DISTLIST 0x00000001u
#define MH_DT_REMOTE_MAILUSER 0x00000006u
#define MH_DT_CONTAINER 0x00000100u
#define MH_DTE_FLAG_ACL_CAPABLE 0x40000000u
/* PidTagContainerFlags (MS-OXOABK 2.2.2.1) */
#define MH_AB_RECIPIENTS 0x1u
#define MH_AB_SUBCONTAINERS 0x2u
#define MH_AB_UNMODIFIABLE 0x8u

/* ------------------------------------------------------- containers */

typedef struct mh_gal_container {
    uint32_t mid;         /* PidTagAddressBookContainerId */
    const char *name;     /* PidTagDisplayName */
    const char *key;      /* what its GUID is derived from */
    uint32_t flags;       /* PidTagContainerFlags */
    uint32_t depth;       /* PidTagDepth */
    int parent;           /* index of the parent container, -1 at the top */
    unsigned types;       /* entries it lists: bits (1 << mh_dir_type); 0 none */
} mh_gal_container;

/* The hierarchy, in hierarchy table order. */
const mh_gal_container *mh_gal_containers(uint32_t *n_r);
/* The container with this MId (0 is the GAL), or NULL. */
const mh_gal_container *mh_gal_container_find(uint32_t mid);

/* The version of the hierarchy table (GetSpecialTable's lpVersion): the
 * table never changes, so neither does this. */
#define MH_GAL_HIERARCHY_VERSION 0x4D480001u

/* -------------------------------------------------------- the model */

typedef struct mh_gal_cfg {
    const char *organization; /* NULL: MH_DEFAULT_ORGANIZATION */
    mh_guid server_guid;      /* Bind's ServerGuid: ephemeral entry IDs carry it */
    const char *host;         /* domain of server DNs for entries without SMTP address */
    const char *legacy_dn_scheme; /* MapiHttpLegacyDNScheme, for entries the
                                     directory keeps no legacy DN for (NULL:
                                     the default; mh_entry_legacy_dn) */
} mh_gal_cfg;

typedef struct mh_gal mh_gal;

/* An address book object: a directory entry or a container. */
typedef struct mh_gal_obj {
    uint32_t mid;
    const mh_dir_entry *e;        /* the entry, or NULL for a container */
    const mh_gal_container *c;    /* the container, or NULL for an entry */
} mh_gal_obj;

/* A container's entries, sorted: a view of the process's snapshot of the
 * directory, valid until mh_gal_close (see mh_nspi_gal.c). */
typedef struct mh_gal_table {
    uint32_t n;
    const uint32_t *mids;         /* the n MIds in order */
    /* the model's own */
    const struct gal_snap *snap;
    const uint32_t *gpos;         /* positions of mids in the GAL (NULL: it is the GAL) */
    unsigned types;               /* the entry types it lists (bits 1 << mh_dir_type) */
} mh_gal_table;

/* How long a snapshot is reused when the backend has no dir_generation
 * (with it: exactly as long as the directory did not change). */
#define MH_GAL_SNAPSHOT_TTL apr_time_from_sec(5)

/*
 * Opens the address book of backend `be` for one request: a read
 * transaction on the directory, held until mh_gal_close.  Returns an
 * NSPI ErrorCode: MH_NSPI_SUCCESS, or MH_NSPI_GENERAL_FAILURE when the
 * backend fails (logged).  `be` NULL (no backend configured) is an address
 * book with no entries.
 */
uint32_t mh_gal_open(const mh_be *be, const mh_gal_cfg *cfg, apr_pool_t *pool, mh_gal **g_r);
/*
 * The address book read through a transaction the caller began and ends
 * (a writing one, for ModProps and ModLinkAtt: what is checked and what is
 * changed are the same state).  `t` NULL: no backend.  Returns
 * MH_NSPI_SUCCESS.  mh_gal_close leaves the transaction alone.  The model
 * caches what it read: after a write through `t`, open a new one to see it.
 */
uint32_t mh_gal_open_txn(mh_betxn *t, const mh_gal_cfg *cfg, apr_pool_t *pool, mh_gal **g_r);
/* Ends the read transaction (nothing read from the model after this).
 * Idempotent. */
void mh_gal_close(mh_gal *g);

/* The object of an MId (entries and containers but the GAL, whose MId 0
 * names no object: 2.2.9.1), or NULL. */
const mh_gal_obj *mh_gal_get(mh_gal *g, uint32_t mid);
/* The object with this DN (legacy DN of an entry, "/" or "/guid=..." of a
 * container; compared case-insensitively), or NULL. */
const mh_gal_obj *mh_gal_find_dn(mh_gal *g, const char *dn);
/* The entry a login names, or NULL. */
const mh_gal_obj *mh_gal_find_login(mh_gal *g, const char *login);

/*
 * The sorted table of container `mid`.  Returns MH_NSPI_SUCCESS,
 * MH_NSPI_INVALID_BOOKMARK (no such container) or MH_NSPI_GENERAL_FAILURE.
 * Costs one dir_generation call when the process's snapshot of the
 * directory is current, a rebuild (dir_list, sort) when it is not.
 */
uint32_t mh_gal_table_of(mh_gal *g, uint32_t container, const mh_gal_table **t_r);
/* The index of `mid` in `t`, or -1.  O(log N). */
long mh_gal_table_index(const mh_gal_table *t, uint32_t mid);
/* The display name of row i of `t` (NULL past the end). */
const char *mh_gal_table_name(const mh_gal_table *t, uint32_t i);
/* The first row of `t` whose display name sorts at or after `target`
 * (mh_str_collate), t->n when none (SeekEntries).  O(log N). */
uint32_t mh_gal_seek(const mh_gal_table *t, const char *target);
/* Snapshots the process built so far (tests: a call that found its
 * snapshot current built none). */
uint64_t mh_gal_cache_builds(const mh_be *b);
/* Makes the process's current snapshot older by `by` (tests of the
 * MH_GAL_SNAPSHOT_TTL reuse). */
void mh_gal_cache_age(const mh_be *b, apr_interval_time_t by);

/* Orders two objects as tables do (display name, then MId). */
int mh_gal_cmp(const mh_gal_obj *a, const mh_gal_obj *b);

/* PidTagDisplayType of an object (MH_DT_*). */
uint32_t mh_gal_display_type(const mh_gal_obj *o);

/*
 * The entry an address book entry ID names (MS-OXNSPI 2.2.9.2-3): an
 * Ephemeral Entry ID of this server (ID type 0x87, this Bind's server GUID,
 * its MId) or a Permanent Entry ID (ID type 0x00, the NSPI provider UID,
 * its DN), or NULL (malformed, another server's, naming nothing, a
 * container).
 */
const mh_gal_obj *mh_gal_find_entryid(mh_gal *g, const mh_bin *eid);

/* The links of an entry as the directory keeps them (MH_DIR_LINK_*):
 * a list's owner (0: none) and a user's delegates (IDs in the entry's
 * memory, in order; IDs naming nothing included). */
uint32_t mh_gal_dir_owner(const mh_dir_entry *e);
void mh_gal_dir_delegates(const mh_dir_entry *e, const uint32_t **ids_r, uint32_t *n_r);

/* ------------------------------------------------------ positioning */

/*
 * Resolves the position a STAT names in a table of n rows (MS-OXNSPI
 * 3.1.4.5): absolute (CurrentRec an MId, or MID_BEGINNING_OF_TABLE /
 * MID_END_OF_TABLE) or fractional (CurrentRec MID_CURRENT: NumPos of the
 * client's TotalRecs, truncated; a TotalRecs of 0 is the beginning), then
 * moved by Delta and kept within [0, n] (n: one past the last row).
 * Returns 0, or -1 when CurrentRec is an MId that is not in the table.
 */
int mh_gal_position(const mh_gal_table *t, const mh_stat *st, uint32_t *pos_r);
/* Sets CurrentRec (the MId at pos, MID_END_OF_TABLE at n), NumPos (pos),
 * TotalRecs (n) and Delta (0) of a STAT. */
void mh_gal_set_position(const mh_gal_table *t, uint32_t pos, mh_stat *st);

/* ------------------------------------------------------- properties */

#define MH_GAL_EPHEMERAL 0x1  /* PidTagEntryId as an Ephemeral Entry ID (fEphID) */

/*
 * Every property of an object, in memory form (strings PT_UNICODE).  Link
 * attributes the object has (PR_EMS_AB_MEMBER of a list ...) are values of
 * type PT_OBJECT: their values are read with GetMatches, not GetProps.
 */
const mh_proplist *mh_gal_props(mh_gal *g, const mh_gal_obj *o, unsigned flags);
/*
 * The value of property `tag` (its id, and a type that fits: the same,
 * PT_STRING8 for PT_UNICODE and back, the multi-valued kinds alike, or
 * PT_UNSPECIFIED), or NULL.  A link attribute (mh_gal_links) asked for as
 * PT_MV_UNICODE or PT_MV_STRING8 is the legacy DNs of the objects it names,
 * in table order (NULL when it names none): how a client reads delegates,
 * owner or members with GetProps and QueryRows.
 */
const mh_propval *mh_gal_prop(mh_gal *g, const mh_gal_obj *o, mh_proptag tag, unsigned flags);
/* The tags of the properties an object has (GetPropList): strings as
 * PtypString8; PT_OBJECT ones left out with skip_objects. */
void mh_gal_tags(mh_gal *g, const mh_gal_obj *o, int skip_objects, apr_pool_t *pool,
                 mh_nspi_tags *out);
/* Every property the server knows (QueryColumns): strings as PtypString
 * with `unicode`, else as PtypString8. */
void mh_gal_all_tags(int unicode, apr_pool_t *pool, mh_nspi_tags *out);

/* Entry IDs (MS-OXNSPI 2.2.9.2-3). */
void mh_gal_permanent_eid(const char *dn, uint32_t display_type, apr_pool_t *pool, mh_bin *out);
void mh_gal_ephemeral_eid(const mh_guid *server, uint32_t display_type, uint32_t mid,
                          apr_pool_t *pool, mh_bin *out);

/* The hierarchy table's rows (GetSpecialTable): per container its
 * PidTagEntryId, PidTagContainerFlags, PidTagDepth,
 * PidTagAddressBookContainerId, PidTagDisplayName (PT_UNICODE with
 * `unicode`, else PT_STRING8), PidTagAddressBookIsMaster and, below the
 * top, PidTagAddressBookParentEntryId (MS-OXNSPI 3.1.4.1.3). */
void mh_gal_hierarchy(mh_gal *g, int unicode, apr_pool_t *pool, mh_nspi_lists *rows);

/* The DN of the server holding an entry's mailbox (MS-OXOABK
 * PidTagAddressBookHomeMessageDatabase without its last RDN) and the
 * mailbox GUID such a DN names (0, or -1 when it is not one of ours). */
const char *mh_gal_server_dn(mh_gal *g, const mh_dir_entry *e, apr_pool_t *pool);
int mh_gal_parse_server_dn(const char *dn, mh_guid *mailbox_r);
/* The entry whose mailbox has this GUID, or NULL. */
const mh_gal_obj *mh_gal_find_mailbox(mh_gal *g, const mh_guid *mailbox);

/* -------------------------------------------- links and resolution */

/*
 * The objects a link attribute of `o` names (GetMatches without a filter,
 * MS-OXNSPI 3.1.4.4.2.2), sorted: PR_EMS_AB_MEMBER (the members of a
 * distribution list), PR_EMS_AB_IS_MEMBER_OF_DL (the lists an entry is in),
 * PR_EMS_AB_OWNER (a list's owner), PR_EMS_AB_PUBLIC_DELEGATES (a user's
 * delegates); PR_EMS_AB_MANAGER and _REPORTS have no values here.  IDs
 * naming no entry are left out.  Tags compare by id.  Returns MH_NSPI_SUCCESS, MH_NSPI_NOT_SUPPORTED
 * (not a link attribute) or MH_NSPI_GENERAL_FAILURE.
 */
uint32_t mh_gal_links(mh_gal *g, const mh_gal_obj *o, mh_proptag tag, apr_pool_t *pool,
                      uint32_t **mids_r, uint32_t *n_r);

/*
 * Ambiguous name resolution (MS-OXNSPI 3.1.4.7) of `s` in container
 * `container`: the entries it names, sorted.  What names an entry:
 *   "=text"          exactly the display name, account or an address;
 *   a DN ("/o=...")   that legacy DN;
 *   "SMTP:addr"       that address;
 *   "addr@domain"     that address when an entry has it, else as below;
 *   anything else     a prefix of the display name or one of its words
 *                     ("lovelace" finds "Ada Lovelace"), of the given name
 *                     or surname, of the account or of an SMTP address
 *                     (local part or whole), case and accents ignored
 *                     (mapihttp/fold.h: "muller" finds "Müller"): the
 *                     backend's dir_search.
 * With `resolve` (ResolveNames: one answer is wanted), when several entries
 * begin with the text but exactly one matches it whole (display name,
 * account, address or local part; case and accents ignored), that one
 * alone.  Blanks around the text are ignored; the empty string names
 * nothing.  Returns MH_NSPI_SUCCESS, MH_NSPI_INVALID_BOOKMARK or
 * MH_NSPI_GENERAL_FAILURE.
 */
uint32_t mh_gal_anr(mh_gal *g, uint32_t container, const char *s, int resolve,
                    apr_pool_t *pool, uint32_t **mids_r, uint32_t *n_r);

#endif
