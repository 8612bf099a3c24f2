/*
 * mh_ruleaction.h - the RuleAction structure of server-side rules
 * (MS-OXORULE 2.2.5): the value of PidTagRuleActions (PtypRuleAction) in
 * standard rules and, with 4-byte counts and entry IDs in place of FIDs,
 * of PidTagExtendedRuleMessageActions in extended rules (2.2.4.1.9).
 *
 * The two forms (2.2.5, 2.2.5.1, 2.2.5.1.2.x):
 *
 *                       standard (ROP buffers)        extended
 *   NoOfActions         u16                           u32
 *   ActionLength        u16                           u32
 *   OP_MOVE, OP_COPY    FolderInThisStore u8,         StoreEIDSize u32, StoreEID,
 *                       StoreEIDSize u16, StoreEID,   FolderEIDSize u32,
 *                       FolderEIDSize u16, FolderEID  FolderEID (a Folder EntryID)
 *                       (a ServerEid when in this
 *                       store, else client data)
 *   OP_REPLY,           ReplyTemplateFID u64,         MessageEIDSize u32,
 *   OP_OOF_REPLY        ReplyTemplateMID u64,         ReplyTemplateMessageEID,
 *                       ReplyTemplateGUID             ReplyTemplateGUID
 *   OP_FORWARD,         RecipientCount u16,           u32, and NoOfProperties
 *   OP_DELEGATE         RecipientBlockData:           u32
 *                       Reserved u8, NoOfProperties
 *                       u16, TaggedPropertyValues
 *   OP_TAG              a TaggedPropertyValue (COUNT 2 or 4 bytes inside)
 *   OP_BOUNCE           BounceCode u32
 *   OP_DEFER_ACTION     client data, ActionLength - 9 bytes
 *   OP_DELETE,          nothing
 *   OP_MARK_AS_READ
 *
 * In memory, property values follow mh_oxcdata's rules: strings are UTF-8
 * with PT_UNICODE tags, whatever they were on the wire.  Writing the
 * parsed structure back therefore gives the canonical bytes of a value
 * (strings as PtypString); mh_rule_actions_retype turns them into
 * PtypString8 for a client that asked for 8-bit strings.
 */
#ifndef MH_RULEACTION_H
#define MH_RULEACTION_H

#include <stdint.h>
#include <apr_pools.h>

#include "mapihttp/props.h"
#include "mh_wire.h"

/* ActionType (2.2.5.1) */
#define MH_OP_MOVE 0x01
#define MH_OP_COPY 0x02
#define MH_OP_REPLY 0x03
#define MH_OP_OOF_REPLY 0x04
#define MH_OP_DEFER_ACTION 0x05
#define MH_OP_BOUNCE 0x06
#define MH_OP_FORWARD 0x07
#define MH_OP_DELEGATE 0x08
#define MH_OP_TAG 0x09
#define MH_OP_DELETE 0x0A
#define MH_OP_MARK_AS_READ 0x0B

/* ActionFlavor (2.2.5.1.1) of OP_FORWARD */
#define MH_FWD_PRESERVE_SENDER 0x00000001u  /* PR */
#define MH_FWD_DO_NOT_MUNGE 0x00000002u     /* NC */
#define MH_FWD_AS_ATTACHMENT 0x00000004u    /* AT: alone */
#define MH_FWD_AS_SMS 0x00000008u           /* TM: alone */
/* ActionFlavor of OP_REPLY and OP_OOF_REPLY: one of these, or 0 */
#define MH_REPLY_NOT_TO_SENDER 0x00000001u  /* NS */
#define MH_REPLY_STOCK_TEXT 0x00000002u     /* ST */

/* BounceCode (2.2.5.1.2.5) */
#define MH_BOUNCE_TOO_LARGE 0x0000000Du
#define MH_BOUNCE_CANNOT_DISPLAY 0x0000001Fu
#define MH_BOUNCE_DENIED 0x00000026u

/* Sizes of fixed structures: ServerEid (2.2.5.1.2.1.1), Folder EntryID and
 * Message EntryID (MS-OXCDATA 2.2.4.1, 2.2.4.2). */
#define MH_SERVER_EID_LEN 21
#define MH_FOLDER_EID_LEN 46
#define MH_MESSAGE_EID_LEN 70

/* RecipientBlockData (2.2.5.1.2.4.1) */
typedef struct mh_rule_recipient {
    uint8_t reserved;             /* implementation-specific; kept as sent */
    uint32_t n;
    mh_propval *props;
} mh_rule_recipient;

/* One ActionBlock (2.2.5.1); the fields of its ActionType are set. */
typedef struct mh_rule_action {
    uint8_t type;                 /* MH_OP_* */
    uint32_t flavor;
    uint32_t flags;               /* ActionFlags: the client's, stored only */
    /* OP_MOVE, OP_COPY.  Standard form: in_this_store and, when it is set,
     * folder_eid holds a ServerEid whose FolderId is in folder_id.
     * Extended form: folder_eid is a Folder EntryID. */
    uint8_t in_this_store;
    mh_bin store_eid;
    mh_bin folder_eid;
    uint64_t folder_id;           /* wire form (ReplicaId, GlobalCounter) */
    /* OP_REPLY, OP_OOF_REPLY.  Standard: the template's FID and MID (wire
     * form); extended: its Message EntryID. */
    uint64_t template_fid, template_mid;
    mh_bin template_eid;
    mh_guid template_guid;
    /* OP_DEFER_ACTION */
    mh_bin defer;
    /* OP_BOUNCE */
    uint32_t bounce_code;
    /* OP_FORWARD, OP_DELEGATE */
    uint32_t n_recips;
    mh_rule_recipient *recips;
    /* OP_TAG */
    mh_propval tag;
} mh_rule_action;

typedef struct mh_rule_actions {
    int extended;                 /* the extended-rule form (4-byte counts) */
    uint32_t n;
    mh_rule_action *a;
} mh_rule_actions;

/*
 * Reads and checks a RuleAction: every ActionLength must cover exactly its
 * ActionType's data, ActionType must be one of 2.2.5.1, ActionFlavor one
 * its type allows (unused bits are ignored, as 2.2.5.1.1 says), NoOfActions,
 * RecipientCount and NoOfProperties above zero, BounceCode one of the three,
 * a ServerEid's Ours 1 and its MessageId and Instance zero, entry IDs of
 * their size.  Property values of OP_TAG and of recipients must be of a
 * type a store keeps (mh_type_storable, PT_STRING8 included) other than a
 * restriction or rule action.  PT_STRING8 values are read in code page
 * `cp`.  Returns 0, or -1 with rd->err set and *why_r (static text) saying
 * what was wrong.
 */
int mh_rd_rule_actions(mh_rd *rd, int extended, uint32_t cp, apr_pool_t *pool,
                       mh_rule_actions **acts_r, const char **why_r);

/* Writes a RuleAction in the form it was read in (acts->extended), with
 * the ActionLengths computed; PT_STRING8 values in code page `cp`. */
void mh_wr_rule_actions(mh_wr *wr, const mh_rule_actions *acts, uint32_t cp);

/* Retypes the string values (OP_TAG, recipient properties) to `type`:
 * PT_STRING8 or PT_UNICODE (and their multi-valued forms). */
void mh_rule_actions_retype(mh_rule_actions *acts, uint16_t type);

/*
 * The canonical bytes of a standard-form RuleAction read in code page cp:
 * checked as mh_rd_rule_actions does and written back with every string a
 * PtypString.  Returns 0, or -1 with *why_r.
 */
int mh_rule_actions_canonical(const mh_bin *in, uint32_t cp, apr_pool_t *pool, mh_bin *out,
                              const char **why_r);

#endif
