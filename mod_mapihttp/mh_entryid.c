/*
 * mh_entryid.c - private-mailbox folder and message entry IDs.
 */
#include "mh_entryid.h"

#include <string.h>

static uint8_t *put_gc(uint8_t *p, const mh_guid *replica, mh_id counter)
{
    memcpy(p, replica->b, 16);
    for (int i = 5; i >= 0; i--) {
        p[16 + i] = (uint8_t)counter;
        counter >>= 8;
    }
    p[22] = p[23] = 0; /* Pad */
    return p + 24;
}

static uint8_t *put_head(uint8_t *p, const mh_guid *provider, uint16_t type)
{
    memset(p, 0, 4); /* Flags */
    memcpy(p + 4, provider->b, 16);
    p[20] = (uint8_t)type;
    p[21] = (uint8_t)(type >> 8);
    return p + 22;
}

void mh_eid_folder(const mh_guid *provider, const mh_guid *replica, mh_id folder,
                   uint8_t out[MH_FOLDER_EID_LEN])
{
    put_gc(put_head(out, provider, MH_EID_TYPE_PRIVATE_FOLDER), replica, folder);
}

void mh_eid_message(const mh_guid *provider, const mh_guid *folder_replica, mh_id folder,
                    const mh_guid *message_replica, mh_id message,
                    uint8_t out[MH_MESSAGE_EID_LEN])
{
    uint8_t *p = put_head(out, provider, MH_EID_TYPE_PRIVATE_MESSAGE);
    p = put_gc(p, folder_replica, folder);
    put_gc(p, message_replica, message);
}

static int get_gc(const uint8_t *p, mh_guid *replica, mh_id *counter)
{
    memcpy(replica->b, p, 16);
    mh_id v = 0;
    for (int i = 0; i < 6; i++)
        v = (v << 8) | p[16 + i];
    *counter = v;
    return (v != 0 && p[22] == 0 && p[23] == 0) ? 0 : -1;
}

int mh_eid_parse(const uint8_t *data, size_t len, mh_eid *out)
{
    memset(out, 0, sizeof(*out));
    if (len < MH_FOLDER_EID_LEN || data[0] | data[1] | data[2] | data[3])
        return -1;
    memcpy(out->provider.b, data + 4, 16);
    out->type = (uint16_t)(data[20] | (data[21] << 8));
    if (out->type == MH_EID_TYPE_PRIVATE_FOLDER && len == MH_FOLDER_EID_LEN)
        return get_gc(data + 22, &out->folder_replica, &out->folder);
    if (out->type == MH_EID_TYPE_PRIVATE_MESSAGE && len == MH_MESSAGE_EID_LEN) {
        if (get_gc(data + 22, &out->folder_replica, &out->folder) != 0)
            return -1;
        return get_gc(data + 46, &out->message_replica, &out->message);
    }
    return -1;
}
