/*
 * mh_oxomsg.c - the transport ROPs of MS-OXOMSG (MS-OXCROPS 2.2.7) a client
 * asks before sending: RopGetAddressTypes (2.2.4.3), RopGetTransportFolder
 * (2.2.5.2) and RopOptionsData (2.2.4.4).
 */
#include "mh_rop.h"

#include <string.h>

#define ROP_GET_ADDRESS_TYPES 0x49
#define ROP_GET_TRANSPORT_FOLDER 0x6D
#define ROP_OPTIONS_DATA 0x6F

/* The address types this server's transport delivers: Exchange's own
 * (legacy DNs, what the address book hands out) and Internet mail. */
static const char *const address_types[] = {"EX", "SMTP"};

/* Address types are short ASCII names ("EX", "SMTP", "X400", ...). */
#define ADDRESS_TYPE_MAX 255

/* RopGetAddressTypes (MS-OXCROPS 2.2.7.3, MS-OXOMSG 2.2.4.3): the input is
 * the Logon object, which the server ignores (any live object will do). */
static uint32_t rop_get_address_types(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *o;
    uint32_t ec = mh_rop_object(cx, rop, rop->h.in_idx, 0, &o);
    if (ec)
        return ec;
    size_t n = sizeof(address_types) / sizeof(address_types[0]), size = 0;
    for (size_t i = 0; i < n; i++)
        size += strlen(address_types[i]) + 1;
    /* AddressTypeCount, AddressTypeSize (the bytes of the strings with
     * their NULs), AddressTypes */
    mh_wr_u16(rop->body, (uint16_t)n);
    mh_wr_u16(rop->body, (uint16_t)size);
    for (size_t i = 0; i < n; i++)
        mh_wr_asciiz(rop->body, address_types[i]);
    return 0;
}

/* RopGetTransportFolder (MS-OXCROPS 2.2.7.8, MS-OXOMSG 2.2.5.2): where a
 * client may put outgoing messages before RopTransportSend; the Outbox. */
static uint32_t rop_get_transport_folder(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *o;
    uint32_t ec = mh_rop_object(cx, rop, rop->h.in_idx, MH_OTM(MH_OT_LOGON), &o);
    if (ec)
        return ec;
    const mh_logon *lg = o->data;
    if (!lg->special[MH_SF_OUTBOX])
        return MAPI_E_NOT_FOUND;
    mh_wr_u64(rop->body, mh_id_to_wire(lg->special[MH_SF_OUTBOX], MH_REPLID_LOCAL));
    return 0;
}

/* RopOptionsData (MS-OXCROPS 2.2.7.9, MS-OXOMSG 2.2.4.4): no options and
 * no help file for any address type; OptionsInfo empty, as servers
 * SHOULD answer (MS-OXCROPS 2.2.7.9.2). */
static uint32_t rop_options_data(mh_ropctx *cx, mh_rop *rop)
{
    const char *type = mh_rd_asciiz(rop->rd, mh_rd_left(rop->rd), cx->pool);
    (void)mh_rd_u8(rop->rd); /* WantWin32: about help files, and there are none */
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *o;
    uint32_t ec = mh_rop_object(cx, rop, rop->h.in_idx, 0, &o);
    if (ec)
        return ec;
    size_t len = strlen(type);
    if (len == 0 || len > ADDRESS_TYPE_MAX)
        return MAPI_E_INVALID_PARAMETER;
    for (size_t i = 0; i < len; i++)
        if (type[i] < 0x20 || type[i] > 0x7E)
            return MAPI_E_INVALID_PARAMETER; /* an ASCII string (2.2.4.4.1) */
    mh_wr_u8(rop->body, 0x01);  /* Reserved: MUST be 0x01 */
    mh_wr_u16(rop->body, 0);    /* OptionsInfoSize */
    mh_wr_u16(rop->body, 0);    /* HelpFileSize: no HelpFile, no HelpFileName */
    return 0;
}

const mh_rop_entry mh_rops_oxomsg[] = {
    {ROP_GET_ADDRESS_TYPES, rop_get_address_types},
    {ROP_GET_TRANSPORT_FOLDER, rop_get_transport_folder},
    {ROP_OPTIONS_DATA, rop_options_data},
    {0, NULL},
};
