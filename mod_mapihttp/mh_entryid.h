/*
 * mh_entryid.h - folder and message entry IDs of a private mailbox
 * (MS-OXCDATA 2.2.4.1 Folder EntryID, 2.2.4.2 Message EntryID).
 *
 *   Folder EntryID (46 bytes):
 *     Flags u32 = 0 | ProviderUID[16] | FolderType u16 = 0x0001 |
 *     DatabaseGuid[16] | GlobalCounter[6] big-endian | Pad u16 = 0
 *   Message EntryID (70 bytes):
 *     Flags u32 = 0 | ProviderUID[16] | MessageType u16 = 0x0007 |
 *     FolderDatabaseGuid[16] | FolderGlobalCounter[6] | Pad u16 |
 *     MessageDatabaseGuid[16] | MessageGlobalCounter[6] | Pad u16
 *
 * For a private mailbox the ProviderUID is the mailbox GUID RopLogon
 * returns, and the database GUID is the replica GUID of the object, which
 * for objects made here is the mailbox GUID too (mapihttp/ids.h).
 */
#ifndef MH_ENTRYID_H
#define MH_ENTRYID_H

#include <stddef.h>
#include <stdint.h>

#include "mapihttp/ids.h"

#define MH_FOLDER_EID_LEN 46
#define MH_MESSAGE_EID_LEN 70

#define MH_EID_TYPE_PRIVATE_FOLDER 0x0001
#define MH_EID_TYPE_PRIVATE_MESSAGE 0x0007

void mh_eid_folder(const mh_guid *provider, const mh_guid *replica, mh_id folder,
                   uint8_t out[MH_FOLDER_EID_LEN]);
void mh_eid_message(const mh_guid *provider, const mh_guid *folder_replica, mh_id folder,
                    const mh_guid *message_replica, mh_id message,
                    uint8_t out[MH_MESSAGE_EID_LEN]);

/* A parsed private-mailbox entry ID. */
typedef struct mh_eid {
    uint16_t type;       /* MH_EID_TYPE_* */
    mh_guid provider;
    mh_guid folder_replica;
    mh_id folder;
    mh_guid message_replica; /* messages only */
    mh_id message;           /* messages only */
} mh_eid;

/*
 * Parses a folder or message entry ID of a private mailbox.  0 on success;
 * -1 when the bytes are not one (wrong length, flags, type, pad or a zero
 * counter).
 */
int mh_eid_parse(const uint8_t *data, size_t len, mh_eid *out);

#endif
