/*
 * mapihttp/props.h - MAPI properties as the backend interface passes them
 * (MS-OXCDATA 2.9 property tags, 2.11.1 property types, MS-OXPROPS).
 *
 * Conventions a backend can rely on:
 *  - Strings reach a backend as UTF-8 with the type PT_UNICODE (0x001F).
 *    The protocol layer converts PT_STRING8 values in the client's code page
 *    to and from Unicode; a backend never sees PT_STRING8 and stores
 *    strings as it likes.  The same holds for PT_MV_UNICODE.
 *  - Every other type is stored and returned unchanged.  PT_OBJECT values
 *    are not properties a backend stores (embedded messages and attachment
 *    objects are structure, see mh_message).
 *  - A value list holds each tag at most once.
 *
 * Part of the backend interface: needs only APR.
 */
#ifndef MAPIHTTP_PROPS_H
#define MAPIHTTP_PROPS_H

#include <stdint.h>
#include <apr_pools.h>

#include "mapihttp/errors.h"
#include "mapihttp/ids.h"

/* ------------------------------------------------------------------ tags */

typedef uint32_t mh_proptag;
#define MH_TAG(id, type) ((mh_proptag)(((uint32_t)(id) << 16) | (uint16_t)(type)))
#define MH_TAG_ID(tag) ((uint16_t)((tag) >> 16))
#define MH_TAG_TYPE(tag) ((uint16_t)((tag)&0xFFFF))
#define MH_TAG_RETYPE(tag, type) MH_TAG(MH_TAG_ID(tag), (type))

/* Property types (MS-OXCDATA 2.11.1). */
#define PT_UNSPECIFIED 0x0000
#define PT_NULL 0x0001
#define PT_SHORT 0x0002    /* PtypInteger16 */
#define PT_LONG 0x0003     /* PtypInteger32 */
#define PT_FLOAT 0x0004    /* PtypFloating32 */
#define PT_DOUBLE 0x0005   /* PtypFloating64 */
#define PT_CURRENCY 0x0006 /* PtypCurrency: int64, 1/10000 units */
#define PT_APPTIME 0x0007  /* PtypFloatingTime: double */
#define PT_ERROR 0x000A    /* PtypErrorCode */
#define PT_BOOLEAN 0x000B
#define PT_OBJECT 0x000D
#define PT_I8 0x0014       /* PtypInteger64 */
#define PT_STRING8 0x001E  /* never reaches a backend */
#define PT_UNICODE 0x001F  /* PtypString: UTF-8 here */
#define PT_SYSTIME 0x0040  /* PtypTime: FILETIME, 100 ns units since 1601 */
#define PT_CLSID 0x0048    /* PtypGuid */
#define PT_SVREID 0x00FB   /* PtypServerId: opaque bytes */
#define PT_SRESTRICTION 0x00FD /* PtypRestriction: encoded bytes */
#define PT_ACTIONS 0x00FE  /* PtypRuleAction: encoded bytes */
#define PT_BINARY 0x0102
#define MV_FLAG 0x1000
#define PT_MV_SHORT (MV_FLAG | PT_SHORT)
#define PT_MV_LONG (MV_FLAG | PT_LONG)
#define PT_MV_FLOAT (MV_FLAG | PT_FLOAT)
#define PT_MV_DOUBLE (MV_FLAG | PT_DOUBLE)
#define PT_MV_CURRENCY (MV_FLAG | PT_CURRENCY)
#define PT_MV_APPTIME (MV_FLAG | PT_APPTIME)
#define PT_MV_I8 (MV_FLAG | PT_I8)
#define PT_MV_STRING8 (MV_FLAG | PT_STRING8)
#define PT_MV_UNICODE (MV_FLAG | PT_UNICODE)
#define PT_MV_SYSTIME (MV_FLAG | PT_SYSTIME)
#define PT_MV_CLSID (MV_FLAG | PT_CLSID)
#define PT_MV_BINARY (MV_FLAG | PT_BINARY)

/* True for the types a backend stores (everything but the four above). */
static inline int mh_type_storable(uint16_t type)
{
    uint16_t base = type & (uint16_t)~MV_FLAG;
    if (type & MV_FLAG) {
        switch (base) {
        case PT_SHORT: case PT_LONG: case PT_FLOAT: case PT_DOUBLE: case PT_CURRENCY:
        case PT_APPTIME: case PT_I8: case PT_UNICODE: case PT_SYSTIME: case PT_CLSID:
        case PT_BINARY:
            return 1;
        default:
            return 0;
        }
    }
    switch (type) {
    case PT_SHORT: case PT_LONG: case PT_FLOAT: case PT_DOUBLE: case PT_CURRENCY:
    case PT_APPTIME: case PT_ERROR: case PT_BOOLEAN: case PT_I8: case PT_UNICODE:
    case PT_SYSTIME: case PT_CLSID: case PT_SVREID: case PT_SRESTRICTION: case PT_ACTIONS:
    case PT_BINARY:
        return 1;
    default:
        return 0;
    }
}

/* ---------------------------------------------------------------- values */

typedef struct mh_bin {
    uint32_t len;
    const uint8_t *data;
} mh_bin;

/* Reads part of a value a caller streams into a save (see MH_PV_SOURCE). */
typedef mh_err mh_value_reader_fn(void *baton, uint64_t offset, void *buf, size_t len,
                                  mh_error *err);

/* mh_propval.flags */
#define MH_PV_LARGE 0x1  /* (read) not loaded: v.large.size bytes, get it with value_read */
#define MH_PV_KEEP 0x2   /* (save) keep the value stored for this tag on this object */
#define MH_PV_SOURCE 0x4 /* (save) v.source supplies v.source.size bytes (binary/string) */

typedef struct mh_propval {
    mh_proptag tag;
    uint32_t flags;
    union {
        int16_t i16;   /* PT_SHORT */
        int32_t i32;   /* PT_LONG */
        float f32;     /* PT_FLOAT */
        double f64;    /* PT_DOUBLE, PT_APPTIME */
        int64_t i64;   /* PT_I8, PT_CURRENCY */
        uint8_t b;     /* PT_BOOLEAN: 0 or 1 */
        uint32_t err;  /* PT_ERROR */
        uint64_t ft;   /* PT_SYSTIME */
        const char *str;       /* PT_UNICODE: UTF-8, NUL-terminated */
        const mh_guid *guid;   /* PT_CLSID */
        mh_bin bin;            /* PT_BINARY, PT_SVREID, PT_SRESTRICTION, PT_ACTIONS */
        struct {
            uint32_t n;
            const void *v; /* n elements: int16_t, int32_t, float, double, int64_t,
                              uint64_t (SYSTIME), const char * (UNICODE),
                              mh_guid (CLSID) or mh_bin (BINARY) */
        } mv;
        struct {
            uint64_t size;     /* bytes (strings: UTF-8 bytes without the NUL) */
            uint64_t ref;      /* the backend's own reference; opaque to mod_mapihttp */
        } large;
        struct {
            uint64_t size;
            mh_value_reader_fn *read;
            void *baton;
        } source;
    } v;
} mh_propval;

typedef struct mh_proplist {
    uint32_t n;
    mh_propval *v;
} mh_proplist;

/* Finds a tag in a list (NULL when absent). */
static inline const mh_propval *mh_proplist_find(const mh_proplist *l, mh_proptag tag)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (l->v[i].tag == tag)
            return &l->v[i];
    return NULL;
}

/* ------------------------------------------------------------- messages */

/*
 * A message as a whole: its properties, its recipients (each a property
 * list holding PR_ROWID) and its attachments (each with PR_ATTACH_NUM in
 * `num`, possibly holding an embedded message).  Saves replace the stored
 * message with this tree in one transaction.
 */
typedef struct mh_message mh_message;
typedef struct mh_attachment {
    uint32_t num;          /* PR_ATTACH_NUM: unique within its message */
    mh_proplist props;
    mh_message *embedded;  /* the embedded message (ATTACH_EMBEDDED_MSG), or NULL */
} mh_attachment;

struct mh_message {
    mh_proplist props;
    uint32_t n_recipients;
    mh_proplist *recipients;
    uint32_t n_attachments;
    mh_attachment *attachments;
};

/* Deepest nesting of embedded messages a backend must accept. */
#define MH_MAX_EMBED_DEPTH 16

/*
 * Names an object of a mailbox whose values can be read piecewise:
 * the mailbox itself, a folder, a message, or an attachment or embedded
 * message inside a message (a path of attachment numbers: the attachment
 * path[0] of the message, then the attachment path[1] of the message
 * embedded in it, ...).  With `attachment` set the object is the last
 * attachment of the path; otherwise the message the path leads to.
 */
typedef enum mh_objkind { MH_OBJ_MAILBOX = 0, MH_OBJ_FOLDER = 1, MH_OBJ_MESSAGE = 2 } mh_objkind;

typedef struct mh_objref {
    mh_objkind kind;
    mh_id id;            /* folder or message ID (0 for the mailbox) */
    uint32_t depth;      /* entries used in path */
    uint32_t path[MH_MAX_EMBED_DEPTH];
    int attachment;      /* the object is path[depth-1] itself */
} mh_objref;

/* ----------------------------------------------------- named properties */

#define MH_MNID_ID 0
#define MH_MNID_STRING 1

/* MS-OXCDATA 2.6.1 PropertyName: a GUID and a number or a name. */
typedef struct mh_propname {
    mh_guid guid;
    uint32_t kind;     /* MH_MNID_ID or MH_MNID_STRING */
    uint32_t lid;      /* MH_MNID_ID */
    const char *name;  /* MH_MNID_STRING: UTF-8 */
} mh_propname;

/* Named property IDs are 0x8000..0xFFFE, per mailbox. */
#define MH_NAMED_FIRST 0x8000
#define MH_NAMED_LAST 0xFFFE

/* ----------------------------------------------- well-known properties */

/*
 * The tags the core and the shipped backends use, one definition each,
 * under their MAPI names; the comment gives the MS-OXPROPS canonical name
 * where it differs in more than spelling.
 */

/* Identity and access of any object (MS-OXPROPS, MS-OXCPRPT 2.2.1) */
#define PR_ENTRYID MH_TAG(0x0FFF, PT_BINARY)                /* PidTagEntryId */
#define PR_RECORD_KEY MH_TAG(0x0FF9, PT_BINARY)             /* PidTagRecordKey */
#define PR_SEARCH_KEY MH_TAG(0x300B, PT_BINARY)             /* PidTagSearchKey */
#define PR_OBJECT_TYPE MH_TAG(0x0FFE, PT_LONG)              /* PidTagObjectType */
#define PR_ACCESS MH_TAG(0x0FF4, PT_LONG)                   /* PidTagAccess */
#define PR_ACCESS_LEVEL MH_TAG(0x0FF7, PT_LONG)             /* PidTagAccessLevel */
#define PR_STORE_ENTRYID MH_TAG(0x0FFB, PT_BINARY)          /* PidTagStoreEntryId */
#define PR_STORE_RECORD_KEY MH_TAG(0x0FFA, PT_BINARY)       /* PidTagStoreRecordKey */
#define PR_PARENT_ENTRYID MH_TAG(0x0E09, PT_BINARY)         /* PidTagParentEntryId */
#define PR_MAPPING_SIGNATURE MH_TAG(0x0FF8, PT_BINARY)      /* PidTagMappingSignature */
#define PR_FID MH_TAG(0x6748, PT_I8)                        /* PidTagFolderId */
#define PR_PARENT_FID MH_TAG(0x6749, PT_I8)                 /* PidTagParentFolderId */
#define PR_MID MH_TAG(0x674A, PT_I8)                        /* PidTagMid */
#define PR_RIGHTS MH_TAG(0x6639, PT_LONG)                   /* PidTagRights */
#define PR_HAS_RULES MH_TAG(0x663A, PT_BOOLEAN)             /* PidTagHasRules */
#define PR_LOCAL_COMMIT_TIME_MAX MH_TAG(0x670A, PT_SYSTIME) /* PidTagLocalCommitTimeMax */
#define PR_DELETED_COUNT_TOTAL MH_TAG(0x670B, PT_LONG)      /* PidTagDeletedCountTotal */

/* Tables (MS-OXCTABL 2.2.1) */
#define PR_INSTANCE_KEY MH_TAG(0x0FF6, PT_BINARY)           /* PidTagInstanceKey */
#define PR_ROW_TYPE MH_TAG(0x0FF5, PT_LONG)                 /* PidTagRowType */
#define PR_DEPTH MH_TAG(0x3005, PT_LONG)                    /* PidTagDepth */
#define PR_INST_ID MH_TAG(0x674D, PT_I8)                    /* PidTagInstID */
#define PR_INSTANCE_NUM MH_TAG(0x674E, PT_LONG)             /* PidTagInstanceNum */

/* The store object (MS-OXCSTOR 2.2.2) */
#define PR_MDB_PROVIDER MH_TAG(0x3414, PT_BINARY)           /* PidTagStoreProvider */
#define PR_STORE_SUPPORT_MASK MH_TAG(0x340D, PT_LONG)       /* PidTagStoreSupportMask */
#define PR_STORE_STATE MH_TAG(0x340E, PT_LONG)              /* PidTagStoreState */
#define PR_USER_ENTRYID MH_TAG(0x6619, PT_BINARY)           /* PidTagUserEntryId */
#define PR_USER_NAME MH_TAG(0x661A, PT_UNICODE)             /* PidTagUserName */
#define PR_MAILBOX_OWNER_ENTRYID MH_TAG(0x661B, PT_BINARY)  /* PidTagMailboxOwnerEntryId */
#define PR_MAILBOX_OWNER_NAME MH_TAG(0x661C, PT_UNICODE)    /* PidTagMailboxOwnerName */
#define PR_OOF_STATE MH_TAG(0x661D, PT_BOOLEAN)             /* PidTagOutOfOfficeState */
#define PR_LOCALE_ID MH_TAG(0x66A1, PT_LONG)                /* PidTagLocaleId */
#define PR_CODE_PAGE_ID MH_TAG(0x66C3, PT_LONG)             /* PidTagCodePageId */
#define PR_SORT_LOCALE_ID MH_TAG(0x6705, PT_LONG)           /* PidTagSortLocaleId */
#define PR_SERIALIZED_REPLID_GUID_MAP MH_TAG(0x6783, PT_BINARY) /* PidTagSerializedReplidGuidMap */
/* the Shortcuts folder (MS-OXOSFLD) as Exchange names it in the store */
#define PR_IPM_FAVORITES_ENTRYID MH_TAG(0x6630, PT_BINARY)

/* Permissions and rules (MS-OXCPERM 2.2, MS-OXORULE 2.2.1) */
#define PR_MEMBER_ID MH_TAG(0x6671, PT_I8)                  /* PidTagMemberId */
#define PR_MEMBER_NAME MH_TAG(0x6672, PT_UNICODE)           /* PidTagMemberName */
#define PR_MEMBER_RIGHTS MH_TAG(0x6673, PT_LONG)            /* PidTagMemberRights */
#define PR_RULE_ID MH_TAG(0x6674, PT_I8)                    /* PidTagRuleId */

/* Sub-objects, as CopyTo's ExcludedTags and SubObject restrictions name
 * them (MS-OXCPRPT 2.2.11.1, MS-OXCDATA 2.12.9) */
#define PR_MESSAGE_RECIPIENTS MH_TAG(0x0E12, PT_OBJECT)     /* PidTagMessageRecipients */
#define PR_MESSAGE_ATTACHMENTS MH_TAG(0x0E13, PT_OBJECT)    /* PidTagMessageAttachments */
#define PR_ATTACH_DATA_OBJ MH_TAG(0x3701, PT_OBJECT)        /* PidTagAttachDataObject */
#define PR_CONTAINER_HIERARCHY MH_TAG(0x360E, PT_OBJECT)    /* PidTagContainerHierarchy */
#define PR_CONTAINER_CONTENTS MH_TAG(0x360F, PT_OBJECT)     /* PidTagContainerContents */
#define PR_FOLDER_ASSOCIATED_CONTENTS MH_TAG(0x3610, PT_OBJECT) /* PidTagFolderAssociatedContents */

/* Objects in general (MS-OXPROPS) */
#define PR_DISPLAY_NAME MH_TAG(0x3001, PT_UNICODE)
#define PR_COMMENT MH_TAG(0x3004, PT_UNICODE)
#define PR_CREATION_TIME MH_TAG(0x3007, PT_SYSTIME)
#define PR_LAST_MODIFICATION_TIME MH_TAG(0x3008, PT_SYSTIME)
#define PR_SOURCE_KEY MH_TAG(0x65E0, PT_BINARY)
#define PR_PARENT_SOURCE_KEY MH_TAG(0x65E1, PT_BINARY)
#define PR_CHANGE_KEY MH_TAG(0x65E2, PT_BINARY)
#define PR_PREDECESSOR_CHANGE_LIST MH_TAG(0x65E3, PT_BINARY)
#define PR_CHANGE_NUMBER MH_TAG(0x67A4, PT_I8)
#define PR_ATTR_HIDDEN MH_TAG(0x10F4, PT_BOOLEAN)

/* Folders (MS-OXCFOLD, MS-OXOSFLD) */
#define PR_CONTAINER_CLASS MH_TAG(0x3613, PT_UNICODE)
#define PR_FOLDER_TYPE MH_TAG(0x3601, PT_LONG)
#define PR_CONTENT_COUNT MH_TAG(0x3602, PT_LONG)
#define PR_CONTENT_UNREAD MH_TAG(0x3603, PT_LONG)
#define PR_ASSOC_CONTENT_COUNT MH_TAG(0x3617, PT_LONG)
#define PR_FOLDER_CHILD_COUNT MH_TAG(0x6638, PT_LONG)
#define PR_SUBFOLDERS MH_TAG(0x360A, PT_BOOLEAN)
#define PR_IPM_APPOINTMENT_ENTRYID MH_TAG(0x36D0, PT_BINARY)
#define PR_IPM_CONTACT_ENTRYID MH_TAG(0x36D1, PT_BINARY)
#define PR_IPM_JOURNAL_ENTRYID MH_TAG(0x36D2, PT_BINARY)
#define PR_IPM_NOTE_ENTRYID MH_TAG(0x36D3, PT_BINARY)
#define PR_IPM_TASK_ENTRYID MH_TAG(0x36D4, PT_BINARY)
#define PR_REM_ONLINE_ENTRYID MH_TAG(0x36D5, PT_BINARY)
#define PR_IPM_DRAFTS_ENTRYID MH_TAG(0x36D7, PT_BINARY)
#define PR_ADDITIONAL_REN_ENTRYIDS MH_TAG(0x36D8, PT_MV_BINARY)
#define PR_ADDITIONAL_REN_ENTRYIDS_EX MH_TAG(0x36D9, PT_BINARY)
#define PR_FREEBUSY_ENTRYIDS MH_TAG(0x36E4, PT_MV_BINARY)
#define PR_IPM_SUBTREE_ENTRYID MH_TAG(0x35E0, PT_BINARY)
#define PR_IPM_OUTBOX_ENTRYID MH_TAG(0x35E2, PT_BINARY)
#define PR_IPM_WASTEBASKET_ENTRYID MH_TAG(0x35E3, PT_BINARY)
#define PR_IPM_SENTMAIL_ENTRYID MH_TAG(0x35E4, PT_BINARY)
#define PR_VIEWS_ENTRYID MH_TAG(0x35E5, PT_BINARY)
#define PR_COMMON_VIEWS_ENTRYID MH_TAG(0x35E6, PT_BINARY)
#define PR_FINDER_ENTRYID MH_TAG(0x35E7, PT_BINARY)

/* Messages (MS-OXCMSG, MS-OXOMSG) */
#define PR_MESSAGE_CLASS MH_TAG(0x001A, PT_UNICODE)
#define PR_SUBJECT MH_TAG(0x0037, PT_UNICODE)
#define PR_SUBJECT_PREFIX MH_TAG(0x003D, PT_UNICODE)
#define PR_NORMALIZED_SUBJECT MH_TAG(0x0E1D, PT_UNICODE)
#define PR_IMPORTANCE MH_TAG(0x0017, PT_LONG)
#define PR_CLIENT_SUBMIT_TIME MH_TAG(0x0039, PT_SYSTIME)
#define PR_SENT_REPRESENTING_NAME MH_TAG(0x0042, PT_UNICODE)
#define PR_SENDER_NAME MH_TAG(0x0C1A, PT_UNICODE)
#define PR_SENDER_EMAIL_ADDRESS MH_TAG(0x0C1F, PT_UNICODE)
#define PR_MESSAGE_DELIVERY_TIME MH_TAG(0x0E06, PT_SYSTIME)
#define PR_MESSAGE_FLAGS MH_TAG(0x0E07, PT_LONG)
#define PR_MESSAGE_SIZE MH_TAG(0x0E08, PT_LONG)
#define PR_HASATTACH MH_TAG(0x0E1B, PT_BOOLEAN)
#define PR_FLAG_STATUS MH_TAG(0x1090, PT_LONG)
#define PR_BODY MH_TAG(0x1000, PT_UNICODE)
#define PR_RTF_COMPRESSED MH_TAG(0x1009, PT_BINARY)
#define PR_HTML MH_TAG(0x1013, PT_BINARY)
#define PR_ROWID MH_TAG(0x3000, PT_LONG)
#define PR_ATTACH_DATA_BIN MH_TAG(0x3701, PT_BINARY)
#define PR_ATTACH_METHOD MH_TAG(0x3705, PT_LONG)
#define PR_ATTACH_NUM MH_TAG(0x0E21, PT_LONG)
#define PR_ATTACH_SIZE MH_TAG(0x0E20, PT_LONG)
#define PR_MESSAGE_SIZE_EXTENDED MH_TAG(0x0E08, PT_I8)       /* PidTagMessageSizeExtended */
#define PR_DISPLAY_BCC MH_TAG(0x0E02, PT_UNICODE)           /* PidTagDisplayBcc */
#define PR_DISPLAY_CC MH_TAG(0x0E03, PT_UNICODE)            /* PidTagDisplayCc */
#define PR_DISPLAY_TO MH_TAG(0x0E04, PT_UNICODE)            /* PidTagDisplayTo */
#define PR_MSG_STATUS MH_TAG(0x0E17, PT_LONG)               /* PidTagMessageStatus */
#define PR_SENSITIVITY MH_TAG(0x0036, PT_LONG)              /* PidTagSensitivity */
#define PR_TRUST_SENDER MH_TAG(0x0E79, PT_LONG)             /* PidTagTrustSender */
#define PR_ASSOCIATED MH_TAG(0x67AA, PT_BOOLEAN)            /* PidTagAssociated */
#define PR_CREATOR_ENTRYID MH_TAG(0x3FF9, PT_BINARY)        /* PidTagCreatorEntryId */
#define PR_LAST_MODIFIER_ENTRYID MH_TAG(0x3FFB, PT_BINARY)  /* PidTagLastModifierEntryId */
#define PR_RENDERING_POSITION MH_TAG(0x370B, PT_LONG)       /* PidTagRenderingPosition */

/* Recipients and address book objects (MS-OXCMSG 2.2.1, MS-OXOABK) */
#define PR_RECIPIENT_TYPE MH_TAG(0x0C15, PT_LONG)           /* PidTagRecipientType */
#define PR_ADDRTYPE MH_TAG(0x3002, PT_UNICODE)              /* PidTagAddressType */
#define PR_EMAIL_ADDRESS MH_TAG(0x3003, PT_UNICODE)         /* PidTagEmailAddress */
#define PR_DISPLAY_TYPE MH_TAG(0x3900, PT_LONG)             /* PidTagDisplayType */
#define PR_SMTP_ADDRESS MH_TAG(0x39FE, PT_UNICODE)          /* PidTagSmtpAddress */
#define PR_7BIT_DISPLAY_NAME MH_TAG(0x39FF, PT_UNICODE)     /* PidTagAddressBookDisplayNamePrintable */
#define PR_TRANSMITABLE_DISPLAY_NAME MH_TAG(0x3A20, PT_UNICODE) /* PidTagTransmittableDisplayName */
#define PR_SEND_RICH_INFO MH_TAG(0x3A40, PT_BOOLEAN)        /* PidTagSendRichInfo */

/* PR_MESSAGE_FLAGS bits (MS-OXCMSG 2.2.1.6) */
#define MSGFLAG_READ 0x00000001
#define MSGFLAG_UNMODIFIED 0x00000002
#define MSGFLAG_SUBMIT 0x00000004
#define MSGFLAG_UNSENT 0x00000008
#define MSGFLAG_HASATTACH 0x00000010
#define MSGFLAG_FROMME 0x00000020
#define MSGFLAG_ASSOCIATED 0x00000040
#define MSGFLAG_RN_PENDING 0x00000100
#define MSGFLAG_NRN_PENDING 0x00000200

/* PR_ATTACH_METHOD values */
#define ATTACH_BY_VALUE 1
#define ATTACH_EMBEDDED_MSG 5

/* Folder rights (MS-OXCPERM 2.2.7) */
#define FRIGHTS_READ_ANY 0x00000001
#define FRIGHTS_CREATE 0x00000002
#define FRIGHTS_EDIT_OWNED 0x00000008
#define FRIGHTS_DELETE_OWNED 0x00000010
#define FRIGHTS_EDIT_ANY 0x00000020
#define FRIGHTS_DELETE_ANY 0x00000040
#define FRIGHTS_CREATE_SUBFOLDER 0x00000080
#define FRIGHTS_OWNER 0x00000100
#define FRIGHTS_CONTACT 0x00000200
#define FRIGHTS_VISIBLE 0x00000400
#define FRIGHTS_FREEBUSY_SIMPLE 0x00000800
#define FRIGHTS_FREEBUSY_DETAILED 0x00001000

#endif
