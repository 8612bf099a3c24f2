/*
 * mh_ropinfo.c - the RopId table (MS-OXCROPS 2.2.2), request skippers and
 * failure responses for every ROP (MS-OXCROPS 2.2.3 to 2.2.15).
 *
 * The skippers walk a request body exactly as MS-OXCROPS lays it out, so
 * that a ROP the server does not implement can be answered with a failure
 * and the ROPs after it still run.  The MS-OXCDATA structures in requests
 * (property values 2.11 with the rule actions inside them, tag arrays 2.9,
 * property rows 2.8.1, property names 2.6.1, restrictions 2.12, sort order
 * sets 2.13) are stepped over by mh_oxcdata's skippers, which are its
 * readers run without a pool: one code path knows each of those wire
 * structures, for skipping and for reading alike.  What is left here is
 * ROP framing and the one structure the codec does not read, the
 * recipient row (2.8.3.2).  Nothing here allocates, and every count is
 * checked against the bytes left before it drives a loop.  A structure
 * behind a size field (RestrictionDataSize, PropertyValueSize,
 * RecipientRowSize, ...) must fill exactly that size.
 */
#include "mh_ropinfo.h"

#include <string.h>

#include "mapihttp/props.h"
#include "mh_mapierr.h"
#include "mh_oxcdata.h"

/* RecipientFlags bits (MS-OXCDATA 2.8.3.1) */
#define RF_TYPE_MASK 0x0007
#define RF_TYPE_NONE 0x0
#define RF_TYPE_X500DN 0x1
#define RF_TYPE_PDL1 0x6
#define RF_TYPE_PDL2 0x7
#define RF_E 0x0008 /* EmailAddress present */
#define RF_D 0x0010 /* DisplayName present */
#define RF_T 0x0020 /* TransmittableDisplayName present */
#define RF_I 0x0400 /* SimpleDisplayName present */
#define RF_U 0x0200 /* strings are UTF-16LE */
#define RF_O 0x8000 /* AddressType present (with Type NoType) */

/* ------------------------------------------------------------ primitives */

static int bad(mh_rd *rd)
{
    rd->err = 1;
    return -1;
}

static int skip_n(mh_rd *rd, size_t n)
{
    if (!mh_rd_need(rd, n))
        return -1;
    rd->p += n;
    return 0;
}

/* An 8-bit string with its NUL byte. */
static int skip_str8(mh_rd *rd)
{
    if (rd->err)
        return -1;
    const unsigned char *nul = memchr(rd->p, 0, (size_t)(rd->end - rd->p));
    if (!nul)
        return bad(rd);
    rd->p = nul + 1;
    return 0;
}

/* A UTF-16LE string with its 2-byte NUL (at an even offset from its start). */
static int skip_str16(mh_rd *rd)
{
    if (rd->err)
        return -1;
    for (const unsigned char *q = rd->p; rd->end - q >= 2; q += 2) {
        if (q[0] == 0 && q[1] == 0) {
            rd->p = q + 2;
            return 0;
        }
    }
    return bad(rd);
}

static int skip_str(mh_rd *rd, int unicode)
{
    return unicode ? skip_str16(rd) : skip_str8(rd);
}

/* u16 byte count and the bytes */
static int skip_bin16(mh_rd *rd)
{
    uint16_t n = mh_rd_u16(rd);
    return rd->err ? -1 : skip_n(rd, n);
}

/* u32 byte count and the bytes */
static int skip_bin32(mh_rd *rd)
{
    uint32_t n = mh_rd_u32(rd);
    return rd->err ? -1 : skip_n(rd, n);
}

/* u16 element count and that many elements of `size` bytes */
static int skip_array16(mh_rd *rd, size_t size)
{
    uint16_t n = mh_rd_u16(rd);
    return rd->err ? -1 : skip_n(rd, (size_t)n * size);
}

/* PropertyTagArray in ROPs: u16 count, u32 tags (MS-OXCDATA 2.9.2) */
static int skip_tags(mh_rd *rd)
{
    return mh_skip_tag_array(rd);
}

/* u16 count, u64 ids (MessageIds, FolderIds) */
static int skip_ids(mh_rd *rd)
{
    return skip_array16(rd, 8);
}

/* A sub-reader over the next `size` bytes, which the caller then skips. */
static int sub_reader(mh_rd *rd, size_t size, mh_rd *sub)
{
    if (!mh_rd_need(rd, size))
        return -1;
    sub->p = rd->p;
    sub->end = rd->p + size;
    sub->err = 0;
    return 0;
}

/* ------------------------------------------------ MS-OXCDATA structures */

/* u16 count and that many TaggedPropertyValues (MS-OXCDATA 2.11.4) */
static int skip_tagged_array(mh_rd *rd)
{
    uint16_t n = mh_rd_u16(rd);
    if (rd->err || (size_t)n * 4 > mh_rd_left(rd))
        return bad(rd);
    for (uint16_t i = 0; i < n; i++)
        if (mh_skip_tagged_propval(rd, 2) < 0)
            return -1;
    return 0;
}

/*
 * Walks a structure that a size field in front of it says fills exactly
 * `size` bytes: anything left over, or a walk past them, is malformed.
 */
static int skip_sized(mh_rd *rd, size_t size, int (*walk)(mh_rd *sub))
{
    mh_rd sub;
    if (sub_reader(rd, size, &sub) < 0)
        return -1;
    if (walk(&sub) < 0 || sub.p != sub.end)
        return bad(rd);
    rd->p = sub.end;
    return 0;
}

/* Restriction (MS-OXCDATA 2.12) with the 2-byte counts of ROP buffers */
static int walk_restriction(mh_rd *rd)
{
    return mh_skip_restriction(rd, 2);
}

/* RestrictionDataSize u16 and RestrictionData (0 bytes: no restriction) */
static int skip_restriction_data(mh_rd *rd)
{
    uint16_t size = mh_rd_u16(rd);
    if (rd->err)
        return -1;
    return size ? skip_sized(rd, size, walk_restriction) : 0;
}

/*
 * RecipientRow (MS-OXCDATA 2.8.3.2) for the recipient columns `cols`
 * (`ncols` tags).  RecipientFlags (2.8.3.1) decide which of the standard
 * fields follow; then RecipientColumnCount u16 (at most ncols) and a
 * PropertyRow over the first RecipientColumnCount columns.
 */
static int skip_recipient_row(mh_rd *rd, const unsigned char *cols, uint16_t ncols)
{
    uint16_t flags = mh_rd_u16(rd);
    if (rd->err)
        return -1;
    int unicode = (flags & RF_U) != 0;
    switch (flags & RF_TYPE_MASK) {
    case RF_TYPE_X500DN: /* AddressPrefixUsed u8, DisplayType u8, X500DN */
        if (skip_n(rd, 2) < 0 || skip_str8(rd) < 0)
            return -1;
        break;
    case RF_TYPE_PDL1:
    case RF_TYPE_PDL2: /* EntryIdSize u16, EntryID, SearchKeySize u16, SearchKey */
        if (skip_bin16(rd) < 0 || skip_bin16(rd) < 0)
            return -1;
        break;
    case RF_TYPE_NONE:
        if ((flags & RF_O) && skip_str8(rd) < 0) /* AddressType */
            return -1;
        break;
    default:
        break;
    }
    if ((flags & RF_E) && skip_str(rd, unicode) < 0)
        return -1;
    if ((flags & RF_D) && skip_str(rd, unicode) < 0)
        return -1;
    if ((flags & RF_I) && skip_str(rd, unicode) < 0)
        return -1;
    if ((flags & RF_T) && skip_str(rd, unicode) < 0)
        return -1;
    uint16_t count = mh_rd_u16(rd);
    if (rd->err || count > ncols)
        return bad(rd);
    return mh_skip_proprow(rd, cols, count);
}

/* PermissionData (MS-OXCROPS 2.2.10.1.1) and RuleData (2.2.11.1.1):
 * flags u8, PropertyValueCount u16, TaggedPropertyValues */
static int skip_flagged_values(mh_rd *rd)
{
    if (skip_n(rd, 1) < 0)
        return -1;
    return skip_tagged_array(rd);
}

/* u16 count of PermissionData/RuleData entries (each at least 3 bytes) */
static int skip_flagged_values_list(mh_rd *rd)
{
    uint16_t n = mh_rd_u16(rd);
    if (rd->err || (size_t)n * 3 > mh_rd_left(rd))
        return bad(rd);
    for (uint16_t i = 0; i < n; i++)
        if (skip_flagged_values(rd) < 0)
            return -1;
    return 0;
}

/* ------------------------------------------------ fixed-size bodies */

#define FIXED(n)                                                                \
    static int skip_fixed_##n(mh_rd *rd)                                        \
    {                                                                           \
        return skip_n(rd, n);                                                   \
    }
FIXED(0)
FIXED(1)
FIXED(2)
FIXED(3)
FIXED(4)
FIXED(5)
FIXED(6)
FIXED(8)
FIXED(9)
FIXED(10)
FIXED(11)
FIXED(12)
FIXED(16)
FIXED(19)
FIXED(20)
FIXED(24)
FIXED(31)
#undef FIXED

/* --------------------------------------------- variable-size bodies */

/* RopLogon (2.2.3.1.1): LogonFlags u8, OpenFlags u32, StoreState u32,
 * EssdnSize u16, Essdn (NUL-terminated when present) */
static int skip_logon(mh_rd *rd)
{
    if (skip_n(rd, 9) < 0)
        return -1;
    uint16_t size = mh_rd_u16(rd);
    const unsigned char *essdn = mh_rd_bytes(rd, size);
    if (rd->err)
        return -1;
    if (size && essdn[size - 1] != 0)
        return bad(rd);
    return 0;
}

/* RopGetReceiveFolder (2.2.3.2.1): MessageClass */
static int skip_get_receive_folder(mh_rd *rd)
{
    return skip_str8(rd);
}

/* RopSetReceiveFolder (2.2.3.3.1): FolderId u64, MessageClass */
static int skip_set_receive_folder(mh_rd *rd)
{
    if (skip_n(rd, 8) < 0)
        return -1;
    return skip_str8(rd);
}

/* RopWritePerUserInformation (2.2.3.13.1): FolderId (LongTermID, 24),
 * HasFinished u8, DataOffset u32, DataSize u16, Data, ReplGuid (16, only
 * with DataOffset 0 on a private mailbox logon: see mh_ropinfo.h). */
static int skip_write_per_user_info(mh_rd *rd)
{
    if (skip_n(rd, 25) < 0)
        return -1;
    uint32_t offset = mh_rd_u32(rd);
    if (rd->err || skip_bin16(rd) < 0)
        return -1;
    return offset == 0 ? skip_n(rd, 16) : 0;
}

/* RopCreateFolder (2.2.4.2.1): FolderType, UseUnicodeStrings, OpenExisting,
 * Reserved (u8 each), DisplayName, Comment */
static int skip_create_folder(mh_rd *rd)
{
    if (skip_n(rd, 1) < 0)
        return -1;
    uint8_t unicode = mh_rd_u8(rd);
    if (skip_n(rd, 2) < 0)
        return -1;
    if (skip_str(rd, unicode) < 0)
        return -1;
    return skip_str(rd, unicode);
}

/* RopSetSearchCriteria (2.2.4.4.1): RestrictionDataSize u16,
 * RestrictionData, FolderIdCount u16, FolderIds, SearchFlags u32 */
static int skip_set_search_criteria(mh_rd *rd)
{
    if (skip_restriction_data(rd) < 0 || skip_ids(rd) < 0)
        return -1;
    return skip_n(rd, 4);
}

/* RopMoveCopyMessages (2.2.4.6.1) after DestHandleIndex: MessageIdCount
 * u16, MessageIds, WantAsynchronous u8, WantCopy u8 */
static int skip_move_copy_messages(mh_rd *rd)
{
    if (skip_ids(rd) < 0)
        return -1;
    return skip_n(rd, 2);
}

/* RopMoveFolder (2.2.4.7.1) after DestHandleIndex: WantAsynchronous u8,
 * UseUnicode u8, FolderId u64, NewFolderName */
static int skip_move_folder(mh_rd *rd)
{
    if (skip_n(rd, 1) < 0)
        return -1;
    uint8_t unicode = mh_rd_u8(rd);
    if (skip_n(rd, 8) < 0)
        return -1;
    return skip_str(rd, unicode);
}

/* RopCopyFolder (2.2.4.8.1) after DestHandleIndex: WantAsynchronous u8,
 * WantRecursive u8, UseUnicode u8, FolderId u64, NewFolderName */
static int skip_copy_folder(mh_rd *rd)
{
    if (skip_n(rd, 2) < 0)
        return -1;
    uint8_t unicode = mh_rd_u8(rd);
    if (skip_n(rd, 8) < 0)
        return -1;
    return skip_str(rd, unicode);
}

/* RopDeleteMessages (2.2.4.11.1), RopHardDeleteMessages (2.2.4.12.1),
 * RopSetReadFlags (2.2.6.10.1): two u8 flags, MessageIdCount u16, MessageIds */
static int skip_flags2_ids(mh_rd *rd)
{
    if (skip_n(rd, 2) < 0)
        return -1;
    return skip_ids(rd);
}

/* RopSetColumns (2.2.5.1.1): SetColumnsFlags u8, PropertyTagCount u16, PropertyTags */
static int skip_u8_tags(mh_rd *rd)
{
    if (skip_n(rd, 1) < 0)
        return -1;
    return skip_tags(rd);
}

/* RopSortTable (2.2.5.2.1): SortTableFlags u8, SortOrderCount u16,
 * CategorizedCount u16, ExpandedCount u16, SortOrders (SortOrder 2.13.1:
 * PropertyType u16, PropertyId u16, Order u8) */
static int skip_sort_table(mh_rd *rd)
{
    if (skip_n(rd, 1) < 0)
        return -1;
    return mh_skip_sort_set(rd);
}

/* RopRestrict (2.2.5.3.1): RestrictFlags u8, RestrictionDataSize u16, RestrictionData */
static int skip_restrict(mh_rd *rd)
{
    if (skip_n(rd, 1) < 0)
        return -1;
    return skip_restriction_data(rd);
}

/* RopSeekRowBookmark (2.2.5.9.1): BookmarkSize u16, Bookmark, RowCount
 * i32, WantRowMovedCount u8 */
static int skip_seek_row_bookmark(mh_rd *rd)
{
    if (skip_bin16(rd) < 0)
        return -1;
    return skip_n(rd, 5);
}

/* RopFindRow (2.2.5.13.1): FindRowFlags u8, RestrictionDataSize u16,
 * RestrictionData, Origin u8, BookmarkSize u16, Bookmark */
static int skip_find_row(mh_rd *rd)
{
    if (skip_n(rd, 1) < 0 || skip_restriction_data(rd) < 0 || skip_n(rd, 1) < 0)
        return -1;
    return skip_bin16(rd);
}

/* A u16 size and that many bytes: RopFreeBookmark, RopSetCollapseState,
 * RopWriteStream, RopWriteStreamExtended, RopWriteAndCommitStream,
 * RopFastTransferDestinationPutBuffer(Extended) */
static int skip_sized16(mh_rd *rd)
{
    return skip_bin16(rd);
}

/*
 * RopModifyRecipients (2.2.6.5.1): ColumnCount u16, RecipientColumns,
 * RowCount u16, RecipientRows: RowId u32, RecipientType u8,
 * RecipientRowSize u16, RecipientRow (2.2.6.5.1.1; absent when the size is
 * 0, which removes the recipient).  The row must fill its size exactly.
 */
static int skip_modify_recipients(mh_rd *rd)
{
    uint16_t ncols = mh_rd_u16(rd);
    const unsigned char *cols = mh_rd_bytes(rd, (size_t)ncols * 4);
    uint16_t nrows = mh_rd_u16(rd);
    if (rd->err || (size_t)nrows * 7 > mh_rd_left(rd))
        return bad(rd);
    for (uint16_t i = 0; i < nrows; i++) {
        if (skip_n(rd, 5) < 0)
            return -1;
        uint16_t size = mh_rd_u16(rd);
        mh_rd sub;
        if (rd->err || sub_reader(rd, size, &sub) < 0)
            return -1;
        if (size && (skip_recipient_row(&sub, cols, ncols) < 0 || sub.p != sub.end))
            return bad(rd);
        rd->p = sub.end;
    }
    return 0;
}

/* RopSetMessageReadFlag (2.2.6.11.1) after ResponseHandleIndex and
 * InputHandleIndex: ReadFlags u8 (ClientData only on public folder
 * logons: see mh_ropinfo.h) */
static int skip_set_message_read_flag(mh_rd *rd)
{
    return skip_n(rd, 1);
}

/* RopTransportNewMail (2.2.7.7.1): MessageId u64, FolderId u64,
 * MessageClass, MessageFlags u32 */
static int skip_transport_new_mail(mh_rd *rd)
{
    if (skip_n(rd, 16) < 0 || skip_str8(rd) < 0)
        return -1;
    return skip_n(rd, 4);
}

/* RopOptionsData (2.2.7.9.1): AddressType, WantWin32 u8 */
static int skip_options_data(mh_rd *rd)
{
    if (skip_str8(rd) < 0)
        return -1;
    return skip_n(rd, 1);
}

/* RopGetPropertyIdsFromNames (2.2.8.1.1): Flags u8, PropertyNameCount
 * u16, PropertyNames */
static int skip_get_ids_from_names(mh_rd *rd)
{
    if (skip_n(rd, 1) < 0)
        return -1;
    uint16_t n = mh_rd_u16(rd);
    if (rd->err || (size_t)n * 17 > mh_rd_left(rd))
        return bad(rd);
    for (uint16_t i = 0; i < n; i++)
        if (mh_skip_propname(rd) < 0)
            return -1;
    return 0;
}

/* RopGetNamesFromPropertyIds (2.2.8.2.1): PropertyIdCount u16, PropertyIds u16 */
static int skip_get_names_from_ids(mh_rd *rd)
{
    return skip_array16(rd, 2);
}

/* RopGetPropertiesSpecific (2.2.8.3.1): PropertySizeLimit u16,
 * WantUnicode u16, PropertyTagCount u16, PropertyTags */
static int skip_get_props_specific(mh_rd *rd)
{
    if (skip_n(rd, 4) < 0)
        return -1;
    return skip_tags(rd);
}

/* RopSetProperties (2.2.8.6.1), RopSetPropertiesNoReplicate (2.2.8.7.1):
 * PropertyValueSize u16 (of the two fields after it), PropertyValueCount
 * u16, PropertyValues */
static int skip_set_props(mh_rd *rd)
{
    uint16_t size = mh_rd_u16(rd);
    return rd->err ? -1 : skip_sized(rd, size, skip_tagged_array);
}

/* RopDeleteProperties(NoReplicate) (2.2.8.8.1, 2.2.8.9.1): tag array */
static int skip_tags_only(mh_rd *rd)
{
    return skip_tags(rd);
}

/* RopQueryNamedProperties (2.2.8.10.1): QueryFlags u8, HasGuid u8,
 * PropertyGuid (16, when HasGuid is nonzero) */
static int skip_query_named_props(mh_rd *rd)
{
    if (skip_n(rd, 1) < 0)
        return -1;
    uint8_t has_guid = mh_rd_u8(rd);
    if (rd->err)
        return -1;
    return has_guid ? skip_n(rd, 16) : 0;
}

/* RopCopyProperties (2.2.8.11.1) after DestHandleIndex: WantAsynchronous
 * u8, CopyFlags u8, PropertyTagCount u16, PropertyTags */
static int skip_copy_properties(mh_rd *rd)
{
    if (skip_n(rd, 2) < 0)
        return -1;
    return skip_tags(rd);
}

/* RopCopyTo (2.2.8.12.1) after DestHandleIndex: WantAsynchronous u8,
 * WantSubObjects u8, CopyFlags u8, ExcludedTagCount u16, ExcludedTags */
static int skip_copy_to(mh_rd *rd)
{
    if (skip_n(rd, 3) < 0)
        return -1;
    return skip_tags(rd);
}

/* RopReadStream (2.2.9.2.1): ByteCount u16, MaximumByteCount u32 (only
 * when ByteCount is 0xBABE) */
static int skip_read_stream(mh_rd *rd)
{
    uint16_t n = mh_rd_u16(rd);
    if (rd->err)
        return -1;
    return n == 0xBABE ? skip_n(rd, 4) : 0;
}

/* RopModifyPermissions (2.2.10.1.1): ModifyFlags u8, ModifyCount u16,
 * PermissionsData */
/* RopModifyRules (2.2.11.1.1): ModifyRulesFlag u8, RulesCount u16, RulesData */
static int skip_modify_list(mh_rd *rd)
{
    if (skip_n(rd, 1) < 0)
        return -1;
    return skip_flagged_values_list(rd);
}

/* RopUpdateDeferredActionMessages (2.2.11.3.1): ServerEntryIdSize u16,
 * ServerEntryId, ClientEntryIdSize u16, ClientEntryId */
static int skip_update_dam(mh_rd *rd)
{
    if (skip_bin16(rd) < 0)
        return -1;
    return skip_bin16(rd);
}

/* RopFastTransferSourceGetBuffer (2.2.12.4.1): BufferSize u16,
 * MaximumBufferSize u16 (only when BufferSize is 0xBABE) */
static int skip_ft_get_buffer(mh_rd *rd)
{
    uint16_t n = mh_rd_u16(rd);
    if (rd->err)
        return -1;
    return n == 0xBABE ? skip_n(rd, 2) : 0;
}

/* RopFastTransferSourceCopyMessages (2.2.12.6.1): MessageIdCount u16,
 * MessageIds, CopyFlags u8, SendOptions u8 */
static int skip_ft_copy_messages(mh_rd *rd)
{
    if (skip_ids(rd) < 0)
        return -1;
    return skip_n(rd, 2);
}

/* RopFastTransferSourceCopyTo (2.2.12.7.1): Level u8, CopyFlags u32,
 * SendOptions u8, PropertyTagCount u16, PropertyTags */
static int skip_ft_copy_to(mh_rd *rd)
{
    if (skip_n(rd, 6) < 0)
        return -1;
    return skip_tags(rd);
}

/* RopFastTransferSourceCopyProperties (2.2.12.8.1): Level u8, CopyFlags
 * u8, SendOptions u8, PropertyTagCount u16, PropertyTags */
static int skip_ft_copy_props(mh_rd *rd)
{
    if (skip_n(rd, 3) < 0)
        return -1;
    return skip_tags(rd);
}

/* RopSynchronizationConfigure (2.2.13.1.1): SynchronizationType u8,
 * SendOptions u8, SynchronizationFlags u16, RestrictionDataSize u16,
 * RestrictionData, SynchronizationExtraFlags u32, PropertyTagCount u16,
 * PropertyTags */
static int skip_sync_configure(mh_rd *rd)
{
    if (skip_n(rd, 4) < 0 || skip_restriction_data(rd) < 0 || skip_n(rd, 4) < 0)
        return -1;
    return skip_tags(rd);
}

/* RopSynchronizationImportMessageChange (2.2.13.2.1): ImportFlag u8,
 * PropertyValueCount u16, PropertyValues; RopSynchronizationImportDeletes
 * (2.2.13.5.1): ImportDeleteFlags u8, the same */
static int skip_u8_values(mh_rd *rd)
{
    if (skip_n(rd, 1) < 0)
        return -1;
    return skip_tagged_array(rd);
}

/* RopSynchronizationImportReadStateChanges (2.2.13.3.1):
 * MessageReadStateSize u16, MessageReadStates (MessageIdSize u16,
 * MessageId, MarkAsRead u8) filling exactly that size */
static int walk_read_states(mh_rd *rd)
{
    while (rd->p < rd->end)
        if (skip_bin16(rd) < 0 || skip_n(rd, 1) < 0)
            return -1;
    return 0;
}

static int skip_import_read_states(mh_rd *rd)
{
    uint16_t size = mh_rd_u16(rd);
    return rd->err ? -1 : skip_sized(rd, size, walk_read_states);
}

/* RopSynchronizationImportHierarchyChange (2.2.13.4.1):
 * HierarchyValueCount u16, HierarchyValues, PropertyValueCount u16,
 * PropertyValues */
static int skip_import_hierarchy(mh_rd *rd)
{
    if (skip_tagged_array(rd) < 0)
        return -1;
    return skip_tagged_array(rd);
}

/* RopSynchronizationImportMessageMove (2.2.13.6.1): five u32-sized byte
 * fields (SourceFolderId, SourceMessageId, PredecessorChangeList,
 * DestinationMessageId, ChangeNumber) */
static int skip_import_message_move(mh_rd *rd)
{
    for (int i = 0; i < 5; i++)
        if (skip_bin32(rd) < 0)
            return -1;
    return 0;
}

/* RopSynchronizationUploadStateStreamContinue (2.2.13.10.1):
 * StreamDataSize u32, StreamData */
static int skip_upload_state_continue(mh_rd *rd)
{
    return skip_bin32(rd);
}

/* RopSetLocalReplicaMidsetDeleted (2.2.13.12.1): DataSize u16 (of the
 * fields after it), LongTermIdRangeCount u32, LongTermIdRanges (48 bytes
 * each: MinLongTermId, MaxLongTermId) */
static int walk_ltid_ranges(mh_rd *rd)
{
    uint32_t n = mh_rd_u32(rd);
    return rd->err ? -1 : skip_n(rd, (size_t)n * 48);
}

static int skip_set_midset_deleted(mh_rd *rd)
{
    uint16_t size = mh_rd_u16(rd);
    return rd->err ? -1 : skip_sized(rd, size, walk_ltid_ranges);
}

/* RopRegisterNotification (2.2.14.1.1): NotificationTypes u8, Reserved
 * u8, WantWholeStore u8, FolderId u64 and MessageId u64 (only when
 * WantWholeStore is zero) */
static int skip_register_notification(mh_rd *rd)
{
    if (skip_n(rd, 2) < 0)
        return -1;
    uint8_t whole = mh_rd_u8(rd);
    if (rd->err)
        return -1;
    return whole ? 0 : skip_n(rd, 16);
}

/* ------------------------------------------------------------ the table */

#define IN MH_ROPF_INPUT
#define OUT MH_ROPF_OUTPUT
#define DST MH_ROPF_DEST
#define RSP MH_ROPF_RESPONSE_INDEX
#define ONLY MH_ROPF_RESPONSE_ONLY
#define NORESP MH_ROPF_NO_RESPONSE

#define R(i, nm, sp, fl, sk, fa) [i] = { i, nm, sp, fl, sk, MH_ROPFAIL_##fa }

static const mh_ropinfo rop_table[256] = {
    /* MS-OXCSTOR: logon ROPs (MS-OXCROPS 2.2.3) */
    R(0xFE, "RopLogon", "MS-OXCSTOR; MS-OXCROPS 2.2.3.1", OUT, skip_logon, LOGON),
    R(0x27, "RopGetReceiveFolder", "MS-OXCSTOR; MS-OXCROPS 2.2.3.2", IN, skip_get_receive_folder, PLAIN),
    R(0x26, "RopSetReceiveFolder", "MS-OXCSTOR; MS-OXCROPS 2.2.3.3", IN, skip_set_receive_folder, PLAIN),
    R(0x68, "RopGetReceiveFolderTable", "MS-OXCSTOR; MS-OXCROPS 2.2.3.4", IN, skip_fixed_0, PLAIN),
    R(0x7B, "RopGetStoreState", "MS-OXCSTOR; MS-OXCROPS 2.2.3.5", IN, skip_fixed_0, PLAIN),
    R(0x42, "RopGetOwningServers", "MS-OXCSTOR; MS-OXCROPS 2.2.3.6", IN, skip_fixed_8, PLAIN),
    R(0x45, "RopPublicFolderIsGhosted", "MS-OXCSTOR; MS-OXCROPS 2.2.3.7", IN, skip_fixed_8, PLAIN),
    R(0x43, "RopLongTermIdFromId", "MS-OXCSTOR; MS-OXCROPS 2.2.3.8", IN, skip_fixed_8, PLAIN),
    R(0x44, "RopIdFromLongTermId", "MS-OXCSTOR; MS-OXCROPS 2.2.3.9", IN, skip_fixed_24, PLAIN),
    R(0x60, "RopGetPerUserLongTermIds", "MS-OXCSTOR; MS-OXCROPS 2.2.3.10", IN, skip_fixed_16, PLAIN),
    R(0x61, "RopGetPerUserGuid", "MS-OXCSTOR; MS-OXCROPS 2.2.3.11", IN, skip_fixed_24, PLAIN),
    /* FolderId (LongTermID 24), Reserved u8, DataOffset u32, MaxDataSize u16 */
    R(0x63, "RopReadPerUserInformation", "MS-OXCSTOR; MS-OXCROPS 2.2.3.12", IN, skip_fixed_31, PLAIN),
    R(0x64, "RopWritePerUserInformation", "MS-OXCSTOR; MS-OXCROPS 2.2.3.13", IN, skip_write_per_user_info, PLAIN),

    /* MS-OXCFOLD: folder ROPs (2.2.4) */
    /* FolderId u64, OpenModeFlags u8 */
    R(0x02, "RopOpenFolder", "MS-OXCFOLD; MS-OXCROPS 2.2.4.1", IN | OUT, skip_fixed_9, PLAIN),
    R(0x1C, "RopCreateFolder", "MS-OXCFOLD; MS-OXCROPS 2.2.4.2", IN | OUT, skip_create_folder, PLAIN),
    /* DeleteFolderFlags u8, FolderId u64 */
    R(0x1D, "RopDeleteFolder", "MS-OXCFOLD; MS-OXCROPS 2.2.4.3", IN, skip_fixed_9, PARTIAL),
    R(0x30, "RopSetSearchCriteria", "MS-OXCFOLD; MS-OXCROPS 2.2.4.4", IN, skip_set_search_criteria, PLAIN),
    /* UseUnicode, IncludeRestriction, IncludeFolders (u8 each) */
    R(0x31, "RopGetSearchCriteria", "MS-OXCFOLD; MS-OXCROPS 2.2.4.5", IN, skip_fixed_3, PLAIN),
    R(0x33, "RopMoveCopyMessages", "MS-OXCFOLD; MS-OXCROPS 2.2.4.6", IN | DST, skip_move_copy_messages, DEST_PARTIAL),
    R(0x35, "RopMoveFolder", "MS-OXCFOLD; MS-OXCROPS 2.2.4.7", IN | DST, skip_move_folder, DEST_PARTIAL),
    R(0x36, "RopCopyFolder", "MS-OXCFOLD; MS-OXCROPS 2.2.4.8", IN | DST, skip_copy_folder, DEST_PARTIAL),
    /* WantAsynchronous u8, WantDeleteAssociated u8 */
    R(0x58, "RopEmptyFolder", "MS-OXCFOLD; MS-OXCROPS 2.2.4.9", IN, skip_fixed_2, PARTIAL),
    R(0x92, "RopHardDeleteMessagesAndSubfolders", "MS-OXCFOLD; MS-OXCROPS 2.2.4.10", IN, skip_fixed_2, PARTIAL),
    R(0x1E, "RopDeleteMessages", "MS-OXCFOLD; MS-OXCROPS 2.2.4.11", IN, skip_flags2_ids, PARTIAL),
    R(0x91, "RopHardDeleteMessages", "MS-OXCFOLD; MS-OXCROPS 2.2.4.12", IN, skip_flags2_ids, PARTIAL),
    /* TableFlags u8 */
    R(0x04, "RopGetHierarchyTable", "MS-OXCFOLD; MS-OXCROPS 2.2.4.13", IN | OUT, skip_fixed_1, PLAIN),
    R(0x05, "RopGetContentsTable", "MS-OXCFOLD; MS-OXCROPS 2.2.4.14", IN | OUT, skip_fixed_1, PLAIN),

    /* MS-OXCTABL: table ROPs (2.2.5) */
    R(0x12, "RopSetColumns", "MS-OXCTABL; MS-OXCROPS 2.2.5.1", IN, skip_u8_tags, PLAIN),
    R(0x13, "RopSortTable", "MS-OXCTABL; MS-OXCROPS 2.2.5.2", IN, skip_sort_table, PLAIN),
    R(0x14, "RopRestrict", "MS-OXCTABL; MS-OXCROPS 2.2.5.3", IN, skip_restrict, PLAIN),
    /* QueryRowsFlags u8, ForwardRead u8, RowCount u16 */
    R(0x15, "RopQueryRows", "MS-OXCTABL; MS-OXCROPS 2.2.5.4", IN, skip_fixed_4, PLAIN),
    R(0x38, "RopAbort", "MS-OXCTABL; MS-OXCROPS 2.2.5.5", IN, skip_fixed_0, PLAIN),
    R(0x16, "RopGetStatus", "MS-OXCTABL; MS-OXCROPS 2.2.5.6", IN, skip_fixed_0, PLAIN),
    R(0x17, "RopQueryPosition", "MS-OXCTABL; MS-OXCROPS 2.2.5.7", IN, skip_fixed_0, PLAIN),
    /* Origin u8, RowCount i32, WantRowMovedCount u8 */
    R(0x18, "RopSeekRow", "MS-OXCTABL; MS-OXCROPS 2.2.5.8", IN, skip_fixed_6, PLAIN),
    R(0x19, "RopSeekRowBookmark", "MS-OXCTABL; MS-OXCROPS 2.2.5.9", IN, skip_seek_row_bookmark, PLAIN),
    /* Numerator u32, Denominator u32 */
    R(0x1A, "RopSeekRowFractional", "MS-OXCTABL; MS-OXCROPS 2.2.5.10", IN, skip_fixed_8, PLAIN),
    R(0x1B, "RopCreateBookmark", "MS-OXCTABL; MS-OXCROPS 2.2.5.11", IN, skip_fixed_0, PLAIN),
    R(0x37, "RopQueryColumnsAll", "MS-OXCTABL; MS-OXCROPS 2.2.5.12", IN, skip_fixed_0, PLAIN),
    R(0x4F, "RopFindRow", "MS-OXCTABL; MS-OXCROPS 2.2.5.13", IN, skip_find_row, PLAIN),
    R(0x89, "RopFreeBookmark", "MS-OXCTABL; MS-OXCROPS 2.2.5.14", IN, skip_sized16, PLAIN),
    R(0x81, "RopResetTable", "MS-OXCTABL; MS-OXCROPS 2.2.5.15", IN, skip_fixed_0, PLAIN),
    /* MaxRowCount u16, CategoryId u64 */
    R(0x59, "RopExpandRow", "MS-OXCTABL; MS-OXCROPS 2.2.5.16", IN, skip_fixed_10, PLAIN),
    /* CategoryId u64 */
    R(0x5A, "RopCollapseRow", "MS-OXCTABL; MS-OXCROPS 2.2.5.17", IN, skip_fixed_8, PLAIN),
    /* RowId u64, RowInstanceNumber u32 */
    R(0x6B, "RopGetCollapseState", "MS-OXCTABL; MS-OXCROPS 2.2.5.18", IN, skip_fixed_12, PLAIN),
    R(0x6C, "RopSetCollapseState", "MS-OXCTABL; MS-OXCROPS 2.2.5.19", IN, skip_sized16, PLAIN),

    /* MS-OXCMSG: message and attachment ROPs (2.2.6) */
    /* CodePageId u16, FolderId u64, OpenModeFlags u8, MessageId u64 */
    R(0x03, "RopOpenMessage", "MS-OXCMSG; MS-OXCROPS 2.2.6.1", IN | OUT, skip_fixed_19, PLAIN),
    /* CodePageId u16, FolderId u64, AssociatedFlag u8 */
    R(0x06, "RopCreateMessage", "MS-OXCMSG; MS-OXCROPS 2.2.6.2", IN | OUT, skip_fixed_11, PLAIN),
    /* SaveFlags u8 */
    R(0x0C, "RopSaveChangesMessage", "MS-OXCMSG; MS-OXCROPS 2.2.6.3", RSP | IN, skip_fixed_1, PLAIN),
    /* Reserved u32 */
    R(0x0D, "RopRemoveAllRecipients", "MS-OXCMSG; MS-OXCROPS 2.2.6.4", IN, skip_fixed_4, PLAIN),
    R(0x0E, "RopModifyRecipients", "MS-OXCMSG; MS-OXCROPS 2.2.6.5", IN, skip_modify_recipients, PLAIN),
    /* RowId u32, Reserved u16 */
    R(0x0F, "RopReadRecipients", "MS-OXCMSG; MS-OXCROPS 2.2.6.6", IN, skip_fixed_6, PLAIN),
    /* Reserved u16 */
    R(0x10, "RopReloadCachedInformation", "MS-OXCMSG; MS-OXCROPS 2.2.6.7", IN, skip_fixed_2, PLAIN),
    /* MessageId u64, MessageStatusFlags u32, MessageStatusMask u32 */
    R(0x20, "RopSetMessageStatus", "MS-OXCMSG; MS-OXCROPS 2.2.6.8", IN, skip_fixed_16, PLAIN),
    /* MessageId u64 */
    R(0x1F, "RopGetMessageStatus", "MS-OXCMSG; MS-OXCROPS 2.2.6.9", IN, skip_fixed_8, PLAIN),
    R(0x66, "RopSetReadFlags", "MS-OXCMSG; MS-OXCROPS 2.2.6.10", IN, skip_flags2_ids, PARTIAL),
    R(0x11, "RopSetMessageReadFlag", "MS-OXCMSG; MS-OXCROPS 2.2.6.11", RSP | IN, skip_set_message_read_flag, PLAIN),
    /* OpenAttachmentFlags u8, AttachmentID u32 */
    R(0x22, "RopOpenAttachment", "MS-OXCMSG; MS-OXCROPS 2.2.6.12", IN | OUT, skip_fixed_5, PLAIN),
    R(0x23, "RopCreateAttachment", "MS-OXCMSG; MS-OXCROPS 2.2.6.13", IN | OUT, skip_fixed_0, PLAIN),
    /* AttachmentID u32 */
    R(0x24, "RopDeleteAttachment", "MS-OXCMSG; MS-OXCROPS 2.2.6.14", IN, skip_fixed_4, PLAIN),
    /* SaveFlags u8 */
    R(0x25, "RopSaveChangesAttachment", "MS-OXCMSG; MS-OXCROPS 2.2.6.15", RSP | IN, skip_fixed_1, PLAIN),
    /* CodePageId u16, OpenModeFlags u8 */
    R(0x46, "RopOpenEmbeddedMessage", "MS-OXCMSG; MS-OXCROPS 2.2.6.16", IN | OUT, skip_fixed_3, PLAIN),
    /* TableFlags u8 */
    R(0x21, "RopGetAttachmentTable", "MS-OXCMSG; MS-OXCROPS 2.2.6.17", IN | OUT, skip_fixed_1, PLAIN),
    R(0x52, "RopGetValidAttachments", "MS-OXCMSG; MS-OXCROPS 2.2.6.18", IN, skip_fixed_0, PLAIN),

    /* MS-OXOMSG: transport ROPs (2.2.7) */
    /* SubmitFlags u8 */
    R(0x32, "RopSubmitMessage", "MS-OXOMSG; MS-OXCROPS 2.2.7.1", IN, skip_fixed_1, PLAIN),
    /* FolderId u64, MessageId u64 */
    R(0x34, "RopAbortSubmit", "MS-OXOMSG; MS-OXCROPS 2.2.7.2", IN, skip_fixed_16, PLAIN),
    R(0x49, "RopGetAddressTypes", "MS-OXOMSG; MS-OXCROPS 2.2.7.3", IN, skip_fixed_0, PLAIN),
    R(0x47, "RopSetSpooler", "MS-OXOMSG; MS-OXCROPS 2.2.7.4", IN, skip_fixed_0, PLAIN),
    /* MessageId u64, LockState u8 */
    R(0x48, "RopSpoolerLockMessage", "MS-OXOMSG; MS-OXCROPS 2.2.7.5", IN, skip_fixed_9, PLAIN),
    R(0x4A, "RopTransportSend", "MS-OXOMSG; MS-OXCROPS 2.2.7.6", IN, skip_fixed_0, PLAIN),
    R(0x51, "RopTransportNewMail", "MS-OXOMSG; MS-OXCROPS 2.2.7.7", IN, skip_transport_new_mail, PLAIN),
    R(0x6D, "RopGetTransportFolder", "MS-OXOMSG; MS-OXCROPS 2.2.7.8", IN, skip_fixed_0, PLAIN),
    R(0x6F, "RopOptionsData", "MS-OXOMSG; MS-OXCROPS 2.2.7.9", IN, skip_options_data, PLAIN),

    /* MS-OXCPRPT: property ROPs (2.2.8) */
    R(0x56, "RopGetPropertyIdsFromNames", "MS-OXCPRPT; MS-OXCROPS 2.2.8.1", IN, skip_get_ids_from_names, PLAIN),
    R(0x55, "RopGetNamesFromPropertyIds", "MS-OXCPRPT; MS-OXCROPS 2.2.8.2", IN, skip_get_names_from_ids, PLAIN),
    R(0x07, "RopGetPropertiesSpecific", "MS-OXCPRPT; MS-OXCROPS 2.2.8.3", IN, skip_get_props_specific, PLAIN),
    /* PropertySizeLimit u16, WantUnicode u16 */
    R(0x08, "RopGetPropertiesAll", "MS-OXCPRPT; MS-OXCROPS 2.2.8.4", IN, skip_fixed_4, PLAIN),
    R(0x09, "RopGetPropertiesList", "MS-OXCPRPT; MS-OXCROPS 2.2.8.5", IN, skip_fixed_0, PLAIN),
    R(0x0A, "RopSetProperties", "MS-OXCPRPT; MS-OXCROPS 2.2.8.6", IN, skip_set_props, PLAIN),
    R(0x79, "RopSetPropertiesNoReplicate", "MS-OXCPRPT; MS-OXCROPS 2.2.8.7", IN, skip_set_props, PLAIN),
    R(0x0B, "RopDeleteProperties", "MS-OXCPRPT; MS-OXCROPS 2.2.8.8", IN, skip_tags_only, PLAIN),
    R(0x7A, "RopDeletePropertiesNoReplicate", "MS-OXCPRPT; MS-OXCROPS 2.2.8.9", IN, skip_tags_only, PLAIN),
    R(0x5F, "RopQueryNamedProperties", "MS-OXCPRPT; MS-OXCROPS 2.2.8.10", IN, skip_query_named_props, PLAIN),
    R(0x67, "RopCopyProperties", "MS-OXCPRPT; MS-OXCROPS 2.2.8.11", IN | DST, skip_copy_properties, DEST),
    R(0x39, "RopCopyTo", "MS-OXCPRPT; MS-OXCROPS 2.2.8.12", IN | DST, skip_copy_to, DEST),
    /* WantCancel u8 */
    R(0x50, "RopProgress", "MS-OXCPRPT; MS-OXCROPS 2.2.8.13", IN, skip_fixed_1, PLAIN),

    /* MS-OXCPRPT: stream ROPs (2.2.9) */
    /* PropertyTag u32, OpenModeFlags u8 */
    R(0x2B, "RopOpenStream", "MS-OXCPRPT; MS-OXCROPS 2.2.9.1", IN | OUT, skip_fixed_5, PLAIN),
    R(0x2C, "RopReadStream", "MS-OXCPRPT; MS-OXCROPS 2.2.9.2", IN, skip_read_stream, READSTREAM),
    R(0x2D, "RopWriteStream", "MS-OXCPRPT; MS-OXCROPS 2.2.9.3", IN, skip_sized16, WRITTEN16),
    R(0xA3, "RopWriteStreamExtended", "MS-OXCPRPT; MS-OXCROPS 2.2.9.4", IN, skip_sized16, WRITTEN32),
    R(0x5D, "RopCommitStream", "MS-OXCPRPT; MS-OXCROPS 2.2.9.5", IN, skip_fixed_0, PLAIN),
    R(0x5E, "RopGetStreamSize", "MS-OXCPRPT; MS-OXCROPS 2.2.9.6", IN, skip_fixed_0, PLAIN),
    /* StreamSize u64 */
    R(0x2F, "RopSetStreamSize", "MS-OXCPRPT; MS-OXCROPS 2.2.9.7", IN, skip_fixed_8, PLAIN),
    /* Origin u8, Offset i64 */
    R(0x2E, "RopSeekStream", "MS-OXCPRPT; MS-OXCROPS 2.2.9.8", IN, skip_fixed_9, PLAIN),
    /* ByteCount u64 (after DestHandleIndex) */
    R(0x3A, "RopCopyToStream", "MS-OXCPRPT; MS-OXCROPS 2.2.9.9", IN | DST, skip_fixed_8, COPYTOSTREAM),
    /* RegionOffset u64, RegionSize u64, LockFlags u32 */
    R(0x5B, "RopLockRegionStream", "MS-OXCPRPT; MS-OXCROPS 2.2.9.10", IN, skip_fixed_20, PLAIN),
    R(0x5C, "RopUnlockRegionStream", "MS-OXCPRPT; MS-OXCROPS 2.2.9.11", IN, skip_fixed_20, PLAIN),
    R(0x90, "RopWriteAndCommitStream", "MS-OXCPRPT; MS-OXCROPS 2.2.9.12", IN, skip_sized16, WRITTEN16),
    R(0x3B, "RopCloneStream", "MS-OXCPRPT; MS-OXCROPS 2.2.9.13", IN | OUT, skip_fixed_0, PLAIN),

    /* MS-OXCPERM: permission ROPs (2.2.10) */
    R(0x40, "RopModifyPermissions", "MS-OXCPERM; MS-OXCROPS 2.2.10.1", IN, skip_modify_list, PLAIN),
    /* TableFlags u8 */
    R(0x3E, "RopGetPermissionsTable", "MS-OXCPERM; MS-OXCROPS 2.2.10.2", IN | OUT, skip_fixed_1, PLAIN),

    /* MS-OXORULE: rule ROPs (2.2.11) */
    R(0x41, "RopModifyRules", "MS-OXORULE; MS-OXCROPS 2.2.11.1", IN, skip_modify_list, PLAIN),
    /* TableFlags u8 */
    R(0x3F, "RopGetRulesTable", "MS-OXORULE; MS-OXCROPS 2.2.11.2", IN | OUT, skip_fixed_1, PLAIN),
    R(0x57, "RopUpdateDeferredActionMessages", "MS-OXORULE; MS-OXCROPS 2.2.11.3", IN, skip_update_dam, PLAIN),

    /* MS-OXCFXICS: fast transfer ROPs (2.2.12) */
    /* SourceOperation u8, CopyFlags u8 */
    R(0x53, "RopFastTransferDestinationConfigure", "MS-OXCFXICS; MS-OXCROPS 2.2.12.1", IN | OUT, skip_fixed_2, PLAIN),
    R(0x54, "RopFastTransferDestinationPutBuffer", "MS-OXCFXICS; MS-OXCROPS 2.2.12.2", IN, skip_sized16, PUTBUFFER),
    R(0x9D, "RopFastTransferDestinationPutBufferExtended", "MS-OXCFXICS; MS-OXCROPS 2.2.12.3", IN, skip_sized16, PUTBUFFER_EXT),
    R(0x4E, "RopFastTransferSourceGetBuffer", "MS-OXCFXICS; MS-OXCROPS 2.2.12.4", IN, skip_ft_get_buffer, GETBUFFER),
    /* CopyFlags u8, SendOptions u8 */
    R(0x4C, "RopFastTransferSourceCopyFolder", "MS-OXCFXICS; MS-OXCROPS 2.2.12.5", IN | OUT, skip_fixed_2, PLAIN),
    R(0x4B, "RopFastTransferSourceCopyMessages", "MS-OXCFXICS; MS-OXCROPS 2.2.12.6", IN | OUT, skip_ft_copy_messages, PLAIN),
    R(0x4D, "RopFastTransferSourceCopyTo", "MS-OXCFXICS; MS-OXCROPS 2.2.12.7", IN | OUT, skip_ft_copy_to, PLAIN),
    R(0x69, "RopFastTransferSourceCopyProperties", "MS-OXCFXICS; MS-OXCROPS 2.2.12.8", IN | OUT, skip_ft_copy_props, PLAIN),
    /* Version: three u16 */
    R(0x86, "RopTellVersion", "MS-OXCFXICS; MS-OXCROPS 2.2.12.9", IN, skip_fixed_6, PLAIN),

    /* MS-OXCFXICS: incremental change synchronization ROPs (2.2.13) */
    R(0x70, "RopSynchronizationConfigure", "MS-OXCFXICS; MS-OXCROPS 2.2.13.1", IN | OUT, skip_sync_configure, PLAIN),
    R(0x72, "RopSynchronizationImportMessageChange", "MS-OXCFXICS; MS-OXCROPS 2.2.13.2", IN | OUT, skip_u8_values, PLAIN),
    R(0x80, "RopSynchronizationImportReadStateChanges", "MS-OXCFXICS; MS-OXCROPS 2.2.13.3", IN, skip_import_read_states, PLAIN),
    R(0x73, "RopSynchronizationImportHierarchyChange", "MS-OXCFXICS; MS-OXCROPS 2.2.13.4", IN, skip_import_hierarchy, PLAIN),
    R(0x74, "RopSynchronizationImportDeletes", "MS-OXCFXICS; MS-OXCROPS 2.2.13.5", IN, skip_u8_values, PLAIN),
    R(0x78, "RopSynchronizationImportMessageMove", "MS-OXCFXICS; MS-OXCROPS 2.2.13.6", IN, skip_import_message_move, PLAIN),
    /* IsContentsCollector u8 */
    R(0x7E, "RopSynchronizationOpenCollector", "MS-OXCFXICS; MS-OXCROPS 2.2.13.7", IN | OUT, skip_fixed_1, PLAIN),
    R(0x82, "RopSynchronizationGetTransferState", "MS-OXCFXICS; MS-OXCROPS 2.2.13.8", IN | OUT, skip_fixed_0, PLAIN),
    /* StateProperty u32, TransferBufferSize u32 */
    R(0x75, "RopSynchronizationUploadStateStreamBegin", "MS-OXCFXICS; MS-OXCROPS 2.2.13.9", IN, skip_fixed_8, PLAIN),
    R(0x76, "RopSynchronizationUploadStateStreamContinue", "MS-OXCFXICS; MS-OXCROPS 2.2.13.10", IN, skip_upload_state_continue, PLAIN),
    R(0x77, "RopSynchronizationUploadStateStreamEnd", "MS-OXCFXICS; MS-OXCROPS 2.2.13.11", IN, skip_fixed_0, PLAIN),
    R(0x93, "RopSetLocalReplicaMidsetDeleted", "MS-OXCFXICS; MS-OXCROPS 2.2.13.12", IN, skip_set_midset_deleted, PLAIN),
    /* IdCount u32 */
    R(0x7F, "RopGetLocalReplicaIds", "MS-OXCFXICS; MS-OXCROPS 2.2.13.13", IN, skip_fixed_4, PLAIN),

    /* MS-OXCNOTIF: notification ROPs (2.2.14) */
    R(0x29, "RopRegisterNotification", "MS-OXCNOTIF; MS-OXCROPS 2.2.14.1", IN | OUT, skip_register_notification, PLAIN),
    R(0x2A, "RopNotify", "MS-OXCNOTIF; MS-OXCROPS 2.2.14.2", ONLY, NULL, NONE),
    R(0x6E, "RopPending", "MS-OXCNOTIF; MS-OXCROPS 2.2.14.3", ONLY, NULL, NONE),

    /* MS-OXCROPS: other ROPs (2.2.15) */
    R(0xFF, "RopBufferTooSmall", "MS-OXCROPS 2.2.15.1", ONLY, NULL, NONE),
    R(0xF9, "RopBackoff", "MS-OXCROPS 2.2.15.2", ONLY, NULL, NONE),
    R(0x01, "RopRelease", "MS-OXCROPS 2.2.15.3", IN | NORESP, skip_fixed_0, NONE),
};

#undef R

const mh_ropinfo *mh_ropinfo_get(uint8_t rop_id)
{
    const mh_ropinfo *e = &rop_table[rop_id];
    return e->name ? e : NULL;
}

/* ---------------------------------------------------- request header */

int mh_rd_ropheader(mh_rd *rd, mh_ropheader *h)
{
    memset(h, 0, sizeof(*h));
    h->id = mh_rd_u8(rd);
    if (rd->err)
        return -1;
    h->info = mh_ropinfo_get(h->id);
    if (!h->info || (h->info->flags & MH_ROPF_RESPONSE_ONLY))
        return -1;
    uint8_t fl = h->info->flags;
    h->logon_id = mh_rd_u8(rd);
    uint8_t resp = 0;
    if (fl & MH_ROPF_RESPONSE_INDEX)
        resp = mh_rd_u8(rd);
    if (fl & MH_ROPF_INPUT)
        h->in_idx = mh_rd_u8(rd);
    if (fl & MH_ROPF_DEST)
        h->dest_idx = mh_rd_u8(rd);
    if (fl & MH_ROPF_OUTPUT)
        h->out_idx = mh_rd_u8(rd);
    if (rd->err)
        return -1;
    h->resp_idx = (fl & MH_ROPF_OUTPUT) ? h->out_idx
                  : (fl & MH_ROPF_RESPONSE_INDEX) ? resp : h->in_idx;
    return 0;
}

/* --------------------------------------------------- failure responses */

int mh_rop_logon_redirect_body(mh_wr *wr, uint8_t logon_flags, const char *server)
{
    size_t len = server ? strlen(server) : 0;
    if (len > 254) /* ServerNameSize is a u8 that counts the NUL */
        return -1;
    mh_wr_u8(wr, logon_flags);
    mh_wr_u8(wr, (uint8_t)(len + 1));
    mh_wr_bytes(wr, server ? server : "", len);
    mh_wr_u8(wr, 0);
    return 0;
}

int mh_rop_write_failure(mh_wr *wr, uint8_t rop_id, uint8_t handle_idx, uint32_t ec,
                         uint8_t dest_idx)
{
    const mh_ropinfo *info = mh_ropinfo_get(rop_id);
    if (!info || info->failure == MH_ROPFAIL_NONE)
        return -1;
    /* MS-OXCROPS 2.2.6.9.2: RopGetMessageStatus answers with RopId 0x20,
     * the id of RopSetMessageStatus, whose response it shares. */
    mh_wr_u8(wr, rop_id == 0x1F ? 0x20 : rop_id);
    mh_wr_u8(wr, handle_idx);
    mh_wr_u32(wr, ec);
    switch (info->failure) {
    case MH_ROPFAIL_LOGON:
        /* 2.2.3.1.4: ecWrongServer always carries the redirect fields */
        if (ec == EC_WRONG_SERVER)
            mh_rop_logon_redirect_body(wr, 0, "");
        break;
    case MH_ROPFAIL_PARTIAL:
        mh_wr_u8(wr, 0); /* PartialCompletion: the whole ROP failed */
        break;
    case MH_ROPFAIL_DEST_PARTIAL:
        /* 2.2.4.6.3, 2.2.4.7.3, 2.2.4.8.3 null destination failure */
        if (ec == EC_DST_NULL_OBJECT)
            mh_wr_u32(wr, dest_idx);
        mh_wr_u8(wr, 0);
        break;
    case MH_ROPFAIL_DEST:
        /* 2.2.8.11.3, 2.2.8.12.3 null destination failure */
        if (ec == EC_DST_NULL_OBJECT)
            mh_wr_u32(wr, dest_idx);
        break;
    case MH_ROPFAIL_COPYTOSTREAM:
        /* 2.2.9.9.2, 2.2.9.9.3: the byte counts travel in every response */
        if (ec == EC_DST_NULL_OBJECT)
            mh_wr_u32(wr, dest_idx);
        mh_wr_u64(wr, 0); /* ReadByteCount */
        mh_wr_u64(wr, 0); /* WrittenByteCount */
        break;
    case MH_ROPFAIL_WRITTEN16:
        mh_wr_u16(wr, 0); /* WrittenSize */
        break;
    case MH_ROPFAIL_WRITTEN32:
        mh_wr_u32(wr, 0);
        break;
    case MH_ROPFAIL_READSTREAM:
        mh_wr_u16(wr, 0); /* DataSize, no Data */
        break;
    case MH_ROPFAIL_PUTBUFFER:
    case MH_ROPFAIL_PUTBUFFER_EXT:
        mh_wr_u16(wr, 0); /* TransferStatus */
        mh_wr_u16(wr, 0); /* InProgressCount */
        mh_wr_u16(wr, 0); /* TotalStepCount */
        mh_wr_u8(wr, 0);  /* Reserved */
        if (info->failure == MH_ROPFAIL_PUTBUFFER)
            mh_wr_u16(wr, 0); /* BufferUsedSize */
        else
            mh_wr_u32(wr, 0);
        break;
    case MH_ROPFAIL_GETBUFFER:
        /* 2.2.12.4.2: BackoffTime replaces the transfer fields on ecServerBusy */
        if (ec == EC_SERVER_BUSY) {
            mh_wr_u32(wr, 0); /* BackoffTime (ms) */
        } else {
            mh_wr_u16(wr, 0); /* TransferStatus: Error */
            mh_wr_u16(wr, 0); /* InProgressCount */
            mh_wr_u16(wr, 0); /* TotalStepCount */
            mh_wr_u8(wr, 0);  /* Reserved */
            mh_wr_u16(wr, 0); /* TransferBufferSize */
        }
        break;
    default: /* PLAIN */
        break;
    }
    return 0;
}
