/*
 * mh_nspi_wire.h - the address book server endpoint's bodies: every request
 * and response body of MS-OXCMAPIHTTP 2.2.5 (Bind ... GetAddressBookUrl),
 * the structures of 2.2.1 they are made of, STAT (MS-OXNSPI 2.2.8) and the
 * auxiliary buffer tail.  Wire layer only: no handler logic lives here.
 *
 * This header is the contract the NSPI handlers are written against.  For
 * each request type X there are four functions:
 *
 *   mh_nspi_parse_X_req   server: request body -> mh_nspi_X_req
 *   mh_nspi_build_X_resp  server: mh_nspi_X_resp -> response body
 *   mh_nspi_build_X_req   client (probe, tests): the request body
 *   mh_nspi_parse_X_resp  client: response body -> mh_nspi_X_resp
 *
 * and mh_nspi_parse_req / mh_nspi_build_resp dispatch on the request type.
 *
 * Parsing is strict: every count and size is checked against the bytes
 * really there before anything is allocated for it, and a body must end
 * exactly after its AuxiliaryBuffer.  Results:
 *   MH_BODY_OK         the structure is filled (pool memory)
 *   MH_BODY_MALFORMED  truncated, trailing bytes, a bad HasValue byte, an
 *                      unknown row flag ...: X-ResponseCode 12
 *   MH_BODY_LIMIT      well formed, but a count is beyond the limits below
 *                      (the RPC layer's [range] checks): a failure body with
 *                      StatusCode MH_RPC_X_BAD_STUB_DATA
 * and *why_r says what was wrong ("GetMatches: Columns runs past the end of
 * the body").  On anything but MH_BODY_OK the structure must not be used.
 *
 * Presence bytes.  The HasX byte before an optional field (HasState,
 * HasColumns, ...) is a boolean: the field follows when it is non-zero
 * (the spec's wording); writers send 0xFF and 0x00.  In memory every
 * optional field has an `int has_x` beside it: 1 present, 0 absent.
 *
 * Memory conventions (as mh_oxcdata.h): strings are UTF-8, property values
 * mh_propval with string tags retyped to PT_UNICODE / PT_MV_UNICODE; what
 * a writer puts on the wire for a PtypString8 value is in the code page of
 * the body (below).  Everything parsed lives in the pool given.
 */
#ifndef MH_NSPI_WIRE_H
#define MH_NSPI_WIRE_H

#include <stdint.h>
#include <apr_pools.h>

#include "mapihttp/props.h"
#include "mh_bodies.h"
#include "mh_http.h"
#include "mh_oxcdata.h"
#include "mh_wire.h"

/* ------------------------------------------------------------ constants */

/* Limits (MS-OXNSPI 2.2.2: [range(0,100000)] on every array the NSPI IDL
 * carries; LargePropertyTagArray, MS-OXCMAPIHTTP 2.2.1.8: 100,000 tags;
 * Binary_r: 2,097,152 bytes). */
#define MH_NSPI_ARRAY_MAX 100000u
#define MH_NSPI_BINARY_MAX 2097152u

/* PtypString8 values are read and written in the code page of the body:
 * its CodePage field, else its State's CodePage, else this one (the
 * CodePage or State comes before any value in every body). */
#define MH_NSPI_DEFAULT_CP 1252u
#define MH_NSPI_CP_WINUNICODE 0x04B0u /* MS-OXNSPI 2.2.5 CP_WINUNICODE */
#define MH_NSPI_CP_TELETEX 0x4F25u

/* ErrorCode values (MS-OXNSPI 2.2.1.2, values from MS-OXCDATA 2.4). */
#define MH_NSPI_SUCCESS 0x00000000u
#define MH_NSPI_UNBIND_SUCCESS 0x00000001u
#define MH_NSPI_UNBIND_FAILURE 0x00000002u
#define MH_NSPI_ERRORS_RETURNED 0x00040380u
#define MH_NSPI_GENERAL_FAILURE 0x80004005u
#define MH_NSPI_NOT_SUPPORTED 0x80040102u
#define MH_NSPI_INVALID_OBJECT 0x80040108u
#define MH_NSPI_OUT_OF_RESOURCES 0x8004010Eu
#define MH_NSPI_NOT_FOUND 0x8004010Fu
#define MH_NSPI_LOGON_FAILED 0x80040111u
#define MH_NSPI_TOO_COMPLEX 0x80040117u
#define MH_NSPI_INVALID_CODEPAGE 0x8004011Eu
#define MH_NSPI_INVALID_LOCALE 0x8004011Fu
#define MH_NSPI_TOO_BIG 0x80040305u
#define MH_NSPI_TABLE_TOO_BIG 0x80040403u
#define MH_NSPI_INVALID_BOOKMARK 0x80040405u
#define MH_NSPI_AMBIGUOUS_RECIPIENT 0x80040700u
#define MH_NSPI_ACCESS_DENIED 0x80070005u
#define MH_NSPI_NOT_ENOUGH_MEMORY 0x8007000Eu
#define MH_NSPI_INVALID_PARAMETER 0x80070057u

/* Flags fields (MS-OXNSPI 2.2.1.x); the server ignores other bits. */
#define MH_NSPI_FANONYMOUSLOGIN 0x00000020u  /* Bind */
#define MH_NSPI_FSKIPOBJECTS 0x00000001u     /* GetPropList, GetProps, QueryRows */
#define MH_NSPI_FEPHID 0x00000002u           /* GetProps, QueryRows */
#define MH_NSPI_ADDRESS_CREATION_TEMPLATES 0x00000002u /* GetSpecialTable */
#define MH_NSPI_UNICODE_STRINGS 0x00000004u  /* GetSpecialTable */
#define MH_NSPI_UNICODE_PROPTYPES 0x80000000u /* QueryColumns */
#define MH_NSPI_TI_TEMPLATE 0x00000001u      /* GetTemplateInfo */
#define MH_NSPI_TI_SCRIPT 0x00000004u
#define MH_NSPI_TI_EMT 0x00000010u
#define MH_NSPI_TI_HELPFILE_NAME 0x00000020u
#define MH_NSPI_TI_HELPFILE_CONTENTS 0x00000040u
#define MH_NSPI_FDELETE 0x00000001u          /* ModLinkAtt */

/* Minimal Entry IDs with a meaning of their own (MS-OXNSPI 2.2.1.8-9). */
#define MH_NSPI_MID_BEGINNING_OF_TABLE 0x00000000u
#define MH_NSPI_MID_CURRENT 0x00000001u
#define MH_NSPI_MID_END_OF_TABLE 0x00000002u
#define MH_NSPI_MID_UNRESOLVED 0x00000000u
#define MH_NSPI_MID_AMBIGUOUS 0x00000001u
#define MH_NSPI_MID_RESOLVED 0x00000002u

/* SortType (MS-OXNSPI 2.2.1.10). */
#define MH_NSPI_SORT_DISPLAY_NAME 0x00000000u
#define MH_NSPI_SORT_PHONETIC_DISPLAY_NAME 0x00000003u
#define MH_NSPI_SORT_DISPLAY_NAME_RO 0x000003E8u
#define MH_NSPI_SORT_DISPLAY_NAME_W 0x000003E9u

/* ---------------------------------------------------------------- STAT */

/* MS-OXNSPI 2.2.8 STAT: 36 bytes, every field 4 bytes little-endian. */
typedef struct mh_stat {
    uint32_t sort_type;
    uint32_t container_id;
    uint32_t current_rec;
    int32_t delta;
    uint32_t num_pos;
    uint32_t total_recs;
    uint32_t code_page;
    uint32_t template_locale;
    uint32_t sort_locale;
} mh_stat;

#define MH_STAT_LEN 36
void mh_rd_stat(mh_rd *rd, mh_stat *st);
void mh_wr_stat(mh_wr *wr, const mh_stat *st);

/* ------------------------------------------------------ common arrays */

/* An array of MinimalEntryIDs (MS-OXNSPI 2.2.9.1): u32 count, u32 each. */
typedef struct mh_nspi_mids {
    uint32_t n;
    uint32_t *ids;
} mh_nspi_mids;

/* LargePropertyTagArray (2.2.1.8): u32 count (at most 100,000), tags. */
typedef struct mh_nspi_tags {
    uint32_t n;
    mh_proptag *tags;
} mh_nspi_tags;

/* StringArray_r / WStringsArray_r: u32 count, then that many ASCIIZ
 * (DNToMId: kept as sent, DNs are ASCII) or UTF-16Z (ResolveNames:
 * UTF-8 in memory) strings, with no presence bytes. */
typedef struct mh_nspi_strings {
    uint32_t n;
    const char **s;
} mh_nspi_strings;

/* BinaryArray_r (ModLinkAtt EntryIds): u32 count, then per entry ID a u32
 * byte count (at most 2,097,152) and the bytes, Ephemeral or Permanent
 * Entry IDs as sent (MS-OXNSPI 2.2.9.2-3; not decoded here).  The spec's
 * table shows no per-entry length; Microsoft's test suite client writes
 * one and its MAPI inspector reads one, as gromox does now. */
typedef struct mh_nspi_bins {
    uint32_t n;
    mh_bin *b;
} mh_nspi_bins;

/* GetMatches' PropertyNameGuid + PropertyNameId. */
typedef struct mh_nspi_propname {
    mh_guid guid;
    uint32_t id;
} mh_nspi_propname;

/* ---------------------------------------------- property values (2.2.1) */

/*
 * AddressBookPropertyValue (2.2.1.1): for PtypString, PtypString8,
 * PtypBinary and every PtypMultiple* type a HasValue byte (0xFF or 0x00:
 * anything else is malformed), the value only after 0xFF; other types
 * have none.  The value is an MS-OXCDATA 2.11.2.1 PropertyValue with
 * 4-byte COUNTs (MS-OXCDATA 2.11.1.1: binary lengths and value counts).
 *
 * HasValue FALSE in memory: the value's pointer is NULL (v.str for
 * strings, v.bin.data for binaries, v.mv.v for multi-valued types); values
 * parsed from a HasValue TRUE always have non-NULL pointers.
 *
 * Inside PtypMultipleString, PtypMultipleString8 and PtypMultipleBinary
 * values every element is led by its own presence byte (0xFF, or 0x00 for
 * a null element: NULL string, {0, NULL} binary).  The spec does not show
 * these bytes; Microsoft's MAPI inspector reads them for string arrays
 * ("real MapiHttp traffic"), gromox, which serves Outlook, writes them for
 * strings and binaries.  To confirm with Outlook.  Restrictions
 * (MS-OXCDATA 2.12, 4-byte counts) are read and written as mh_oxcdata
 * does, without presence bytes (as the inspector; gromox expects them on
 * Property and Content restriction values: also to confirm).
 *
 * Limits: binaries above 2,097,152 bytes and multi-valued values above
 * 100,000 values are MH_BODY_LIMIT.  PtypUnspecified is not a value type
 * (typed and tagged values of it are malformed).
 *
 * Writers convert between the string kinds; a value of any other type than
 * the one the context asks for is written as its own type in tagged and
 * typed values, and as the error MAPI_E_NOT_FOUND in rows (the property of
 * that tag, id and type, does not exist).  MH_PV_LARGE values are written as
 * the error MAPI_E_NOT_ENOUGH_MEMORY, values of a type with no place here
 * (PtypServerId, PtypRestriction, PtypRuleAction, unknown ones) as
 * MAPI_E_NO_SUPPORT: in tagged values as a PtypErrorCode value of the
 * tag's id, in rows as a flagged error.
 */
mh_body_status mh_nspi_rd_propval(mh_rd *rd, uint16_t type, uint32_t cp, apr_pool_t *pool,
                                  mh_propval *v, const char **why_r);
/* The bare value has no room for an error: a value that cannot go out as
 * `type` (NULL, an error, another type, not loaded) is written as no value
 * (HasValue 0x00) or, for types without HasValue, as zero. */
void mh_nspi_wr_propval(mh_wr *wr, uint16_t type, const mh_propval *v, uint32_t cp);

/* AddressBookTaggedPropertyValue (2.2.1.2): PropertyType u16, PropertyId
 * u16 (one u32 tag), AddressBookPropertyValue.  v->tag: the id with the
 * memory type. */
mh_body_status mh_nspi_rd_tagged_propval(mh_rd *rd, uint32_t cp, apr_pool_t *pool,
                                         mh_propval *v, const char **why_r);
void mh_nspi_wr_tagged_propval(mh_wr *wr, mh_proptag wire_tag, const mh_propval *v,
                               uint32_t cp);

/* AddressBookPropertyValueList (2.2.1.3): u32 count, tagged values.  Each
 * value's tag is also its wire tag (with PT_UNICODE values written as
 * PT_STRING8 when their tag says so: set the tag's type to choose). */
mh_body_status mh_nspi_rd_propval_list(mh_rd *rd, uint32_t cp, apr_pool_t *pool,
                                       mh_proplist *l, const char **why_r);
void mh_nspi_wr_propval_list(mh_wr *wr, const mh_proplist *l, uint32_t cp);

/* AddressBookTypedPropertyValue (2.2.1.4): u16 type, value. */
mh_body_status mh_nspi_rd_typed_propval(mh_rd *rd, uint32_t cp, apr_pool_t *pool,
                                        mh_propval *v, const char **why_r);
void mh_nspi_wr_typed_propval(mh_wr *wr, uint16_t type, const mh_propval *v, uint32_t cp);

/*
 * AddressBookPropertyRow (2.2.1.7) for the columns `cols`: vals[i] is the
 * value of column i or NULL when there is none.  Written as Flags 0x0
 * (values only) when every column has a proper value, else Flags 0x1 with
 * an AddressBookFlaggedPropertyValue per column (2.2.1.5: 0x0 + value, or
 * 0xA + the PtypErrorCode; 0x1, "no value", is only read).  NULL is the
 * error MAPI_E_NOT_FOUND, a PT_ERROR value its own error (unless the
 * column is of type PtypErrorCode).  Columns of type PtypUnspecified carry
 * the type: AddressBookTypedPropertyValue and
 * AddressBookFlaggedPropertyValueWithType (2.2.1.6, type PtypErrorCode for
 * an error); the value's own tag type is written (retype a PT_UNICODE
 * value's tag to PT_STRING8 to send an 8-bit string).
 *
 * Read back: row->vals[i] is the value, a PT_ERROR value (flag 0xA) with
 * the column's id, or NULL (flag 0x1).  A HasValue FALSE value is a value
 * (with its NULL pointer), also in a Flags 0x0 row.
 */
typedef struct mh_nspi_row {
    const mh_propval **vals; /* one per column */
} mh_nspi_row;

mh_body_status mh_nspi_rd_row(mh_rd *rd, const mh_nspi_tags *cols, uint32_t cp,
                              apr_pool_t *pool, mh_nspi_row *row, const char **why_r);
void mh_nspi_wr_row(mh_wr *wr, const mh_nspi_tags *cols, const mh_nspi_row *row, uint32_t cp);

/* Columns + RowCount + RowData, as the HasColumnsAndRows field of
 * GetMatches, QueryRows, ResolveNames and SeekEntries responses carries a
 * PropertyRowSet_r: a LargePropertyTagArray, u32 row count (at most
 * 100,000), AddressBookPropertyRows against those columns. */
typedef struct mh_nspi_rowset {
    mh_nspi_tags cols;
    uint32_t n_rows;
    mh_nspi_row *rows;
} mh_nspi_rowset;

/* LargePropertyTagArray on its own. */
mh_body_status mh_nspi_rd_tags(mh_rd *rd, apr_pool_t *pool, mh_nspi_tags *t, const char **why_r);
void mh_nspi_wr_tags(mh_wr *wr, const mh_nspi_tags *t);

/* GetSpecialTable's Rows: u32 count, AddressBookPropertyValueLists. */
typedef struct mh_nspi_lists {
    uint32_t n;
    mh_proplist *lists;
} mh_nspi_lists;

/* ------------------------------------------------------ request bodies */

/* Every body ends with AuxiliaryBufferSize + AuxiliaryBuffer (at most
 * MH_AUX_MAX bytes, else MH_BODY_LIMIT); `aux` points into the body. */

/* 2.2.5.1.1 Bind */
typedef struct mh_nspi_bind_req {
    uint32_t flags;          /* MH_NSPI_FANONYMOUSLOGIN */
    int has_state;
    mh_stat state;
    mh_aux_in aux;
} mh_nspi_bind_req;

/* 2.2.5.2.1 Unbind.  An empty body is accepted too (section 3.1.5.4 speaks
 * of no body at all); it parses as reserved 0, no aux. */
typedef struct mh_nspi_unbind_req {
    uint32_t reserved;
    mh_aux_in aux;
} mh_nspi_unbind_req;

/* 2.2.5.3.1 CompareMIds */
typedef struct mh_nspi_comparemids_req {
    uint32_t reserved;
    int has_state;
    mh_stat state;
    uint32_t mid1, mid2;
    mh_aux_in aux;
} mh_nspi_comparemids_req;

/* 2.2.5.4.1 DNToMId (DnToMinId) */
typedef struct mh_nspi_dntomid_req {
    uint32_t reserved;
    int has_names;
    mh_nspi_strings names;   /* ASCIIZ DNs */
    mh_aux_in aux;
} mh_nspi_dntomid_req;

/* 2.2.5.5.1 GetMatches */
typedef struct mh_nspi_getmatches_req {
    uint32_t reserved;
    int has_state;
    mh_stat state;
    int has_mids;
    mh_nspi_mids mids;       /* an Explicit Table to restrict */
    uint32_t interface_option_flags; /* reserved */
    int has_filter;
    mh_restriction *filter;  /* has_filter with NULL is written as the empty AND */
    int has_propname;
    mh_nspi_propname propname;
    uint32_t row_count;
    int has_columns;
    mh_nspi_tags columns;
    mh_aux_in aux;
} mh_nspi_getmatches_req;

/* 2.2.5.6.1 GetPropList */
typedef struct mh_nspi_getproplist_req {
    uint32_t flags;          /* MH_NSPI_FSKIPOBJECTS */
    uint32_t mid;
    uint32_t code_page;
    mh_aux_in aux;
} mh_nspi_getproplist_req;

/* 2.2.5.7.1 GetProps */
typedef struct mh_nspi_getprops_req {
    uint32_t flags;          /* MH_NSPI_FSKIPOBJECTS, MH_NSPI_FEPHID */
    int has_state;
    mh_stat state;
    int has_tags;
    mh_nspi_tags tags;
    mh_aux_in aux;
} mh_nspi_getprops_req;

/* 2.2.5.8.1 GetSpecialTable */
typedef struct mh_nspi_getspecialtable_req {
    uint32_t flags;          /* MH_NSPI_ADDRESS_CREATION_TEMPLATES, MH_NSPI_UNICODE_STRINGS */
    int has_state;
    mh_stat state;
    int has_version;
    uint32_t version;
    mh_aux_in aux;
} mh_nspi_getspecialtable_req;

/* 2.2.5.9.1 GetTemplateInfo */
typedef struct mh_nspi_gettemplateinfo_req {
    uint32_t flags;          /* MH_NSPI_TI_* */
    uint32_t display_type;
    int has_template_dn;
    const char *template_dn; /* ASCIIZ as sent */
    uint32_t code_page;
    uint32_t locale_id;
    mh_aux_in aux;
} mh_nspi_gettemplateinfo_req;

/* 2.2.5.10.1 ModLinkAtt */
typedef struct mh_nspi_modlinkatt_req {
    uint32_t flags;          /* MH_NSPI_FDELETE */
    mh_proptag tag;
    uint32_t mid;
    int has_entry_ids;
    mh_nspi_bins entry_ids;
    mh_aux_in aux;
} mh_nspi_modlinkatt_req;

/* 2.2.5.11.1 ModProps */
typedef struct mh_nspi_modprops_req {
    uint32_t reserved;
    int has_state;
    mh_stat state;
    int has_tags;
    mh_nspi_tags tags;       /* the properties to remove */
    int has_values;
    mh_proplist values;      /* AddressBookPropertyValueList */
    mh_aux_in aux;
} mh_nspi_modprops_req;

/* 2.2.5.12.1 QueryColumns */
typedef struct mh_nspi_querycolumns_req {
    uint32_t reserved;
    uint32_t mapi_flags;     /* MH_NSPI_UNICODE_PROPTYPES */
    mh_aux_in aux;
} mh_nspi_querycolumns_req;

/* 2.2.5.13.1 QueryRows: the Explicit Table has no Has byte (its count may
 * be 0). */
typedef struct mh_nspi_queryrows_req {
    uint32_t flags;          /* MH_NSPI_FSKIPOBJECTS, MH_NSPI_FEPHID */
    int has_state;
    mh_stat state;
    mh_nspi_mids explicit_table;
    uint32_t row_count;
    int has_columns;
    mh_nspi_tags columns;
    mh_aux_in aux;
} mh_nspi_queryrows_req;

/* 2.2.5.14.1 ResolveNames */
typedef struct mh_nspi_resolvenames_req {
    uint32_t reserved;       /* Outlook sends 0x80000000 */
    int has_state;
    mh_stat state;
    int has_tags;
    mh_nspi_tags tags;
    int has_names;
    mh_nspi_strings names;   /* UTF-16Z on the wire, UTF-8 here */
    mh_aux_in aux;
} mh_nspi_resolvenames_req;

/* 2.2.5.15.1 ResortRestriction */
typedef struct mh_nspi_resortrestriction_req {
    uint32_t reserved;
    int has_state;
    mh_stat state;
    int has_mids;
    mh_nspi_mids mids;
    mh_aux_in aux;
} mh_nspi_resortrestriction_req;

/* 2.2.5.16.1 SeekEntries: Target is an AddressBookTaggedPropertyValue. */
typedef struct mh_nspi_seekentries_req {
    uint32_t reserved;
    int has_state;
    mh_stat state;
    int has_target;
    mh_propval target;
    int has_explicit_table;
    mh_nspi_mids explicit_table;
    int has_columns;
    mh_nspi_tags columns;
    mh_aux_in aux;
} mh_nspi_seekentries_req;

/* 2.2.5.17.1 UpdateStat */
typedef struct mh_nspi_updatestat_req {
    uint32_t reserved;
    int has_state;
    mh_stat state;
    uint8_t delta_requested; /* a boolean byte as sent: non-zero requests Delta */
    mh_aux_in aux;
} mh_nspi_updatestat_req;

/* 2.2.5.18.1 GetMailboxUrl */
typedef struct mh_nspi_getmailboxurl_req {
    uint32_t flags;          /* unused */
    const char *server_dn;   /* UTF-16Z on the wire */
    mh_aux_in aux;
} mh_nspi_getmailboxurl_req;

/* 2.2.5.19.1 GetAddressBookUrl */
typedef struct mh_nspi_getaddressbookurl_req {
    uint32_t flags;          /* unused */
    const char *user_dn;     /* UTF-16Z on the wire */
    mh_aux_in aux;
} mh_nspi_getaddressbookurl_req;

/* ----------------------------------------------------- response bodies */

/*
 * Every response starts with StatusCode and ErrorCode.  A builder given a
 * non-zero status_code writes the failure body (StatusCode,
 * AuxiliaryBufferSize, AuxiliaryBuffer; the 2.2.5.x.3 bodies) and nothing
 * else; a parser reading one sets status_code and aux only.  Otherwise the
 * success body (StatusCode 0, ErrorCode, the fields, aux).  Which optional
 * fields a handler sets when ErrorCode is not Success is its business
 * (MS-OXNSPI 3.1.4.1: usually none).
 */

/* 2.2.5.1.2 Bind */
typedef struct mh_nspi_bind_resp {
    uint32_t status_code, error_code;
    mh_guid server_guid;
    mh_aux_in aux;
} mh_nspi_bind_resp;

/* 2.2.5.2.2 Unbind: ErrorCode MH_NSPI_UNBIND_SUCCESS or _FAILURE */
typedef struct mh_nspi_unbind_resp {
    uint32_t status_code, error_code;
    mh_aux_in aux;
} mh_nspi_unbind_resp;

/* 2.2.5.3.2 CompareMIds */
typedef struct mh_nspi_comparemids_resp {
    uint32_t status_code, error_code;
    int32_t result;          /* <0: mid1 first, 0: same, >0: mid2 first */
    mh_aux_in aux;
} mh_nspi_comparemids_resp;

/* 2.2.5.4.2 DNToMId */
typedef struct mh_nspi_dntomid_resp {
    uint32_t status_code, error_code;
    int has_mids;
    mh_nspi_mids mids;
    mh_aux_in aux;
} mh_nspi_dntomid_resp;

/* 2.2.5.5.2 GetMatches */
typedef struct mh_nspi_getmatches_resp {
    uint32_t status_code, error_code;
    int has_state;
    mh_stat state;
    int has_mids;
    mh_nspi_mids mids;
    int has_rows;            /* HasColumnsAndRows */
    mh_nspi_rowset rows;
    mh_aux_in aux;
} mh_nspi_getmatches_resp;

/* 2.2.5.6.2 GetPropList */
typedef struct mh_nspi_getproplist_resp {
    uint32_t status_code, error_code;
    int has_tags;
    mh_nspi_tags tags;
    mh_aux_in aux;
} mh_nspi_getproplist_resp;

/* 2.2.5.7.2 GetProps */
typedef struct mh_nspi_getprops_resp {
    uint32_t status_code, error_code;
    uint32_t code_page;
    int has_values;
    mh_proplist values;      /* AddressBookPropertyValueList */
    mh_aux_in aux;
} mh_nspi_getprops_resp;

/* 2.2.5.8.2 GetSpecialTable */
typedef struct mh_nspi_getspecialtable_resp {
    uint32_t status_code, error_code;
    uint32_t code_page;
    int has_version;
    uint32_t version;
    int has_rows;
    mh_nspi_lists rows;      /* RowsCount + AddressBookPropertyValueLists */
    mh_aux_in aux;
} mh_nspi_getspecialtable_resp;

/* 2.2.5.9.2 GetTemplateInfo */
typedef struct mh_nspi_gettemplateinfo_resp {
    uint32_t status_code, error_code;
    uint32_t code_page;
    int has_row;
    mh_proplist row;         /* AddressBookPropertyValueList */
    mh_aux_in aux;
} mh_nspi_gettemplateinfo_resp;

/* 2.2.5.10.2 ModLinkAtt */
typedef struct mh_nspi_modlinkatt_resp {
    uint32_t status_code, error_code;
    mh_aux_in aux;
} mh_nspi_modlinkatt_resp;

/* 2.2.5.11.2 ModProps */
typedef struct mh_nspi_modprops_resp {
    uint32_t status_code, error_code;
    mh_aux_in aux;
} mh_nspi_modprops_resp;

/* 2.2.5.12.2 QueryColumns */
typedef struct mh_nspi_querycolumns_resp {
    uint32_t status_code, error_code;
    int has_columns;
    mh_nspi_tags columns;
    mh_aux_in aux;
} mh_nspi_querycolumns_resp;

/* 2.2.5.13.2 QueryRows */
typedef struct mh_nspi_queryrows_resp {
    uint32_t status_code, error_code;
    int has_state;
    mh_stat state;
    int has_rows;            /* HasColumnsAndRows */
    mh_nspi_rowset rows;
    mh_aux_in aux;
} mh_nspi_queryrows_resp;

/* 2.2.5.14.2 ResolveNames */
typedef struct mh_nspi_resolvenames_resp {
    uint32_t status_code, error_code;
    uint32_t code_page;
    int has_mids;
    mh_nspi_mids mids;       /* MH_NSPI_MID_UNRESOLVED/_AMBIGUOUS or an MId per name */
    int has_rows;            /* HasRowsAndCols */
    mh_nspi_rowset rows;
    mh_aux_in aux;
} mh_nspi_resolvenames_resp;

/* 2.2.5.15.2 ResortRestriction */
typedef struct mh_nspi_resortrestriction_resp {
    uint32_t status_code, error_code;
    int has_state;
    mh_stat state;
    int has_mids;
    mh_nspi_mids mids;
    mh_aux_in aux;
} mh_nspi_resortrestriction_resp;

/* 2.2.5.16.2 SeekEntries */
typedef struct mh_nspi_seekentries_resp {
    uint32_t status_code, error_code;
    int has_state;
    mh_stat state;
    int has_rows;            /* HasColumnsAndRows */
    mh_nspi_rowset rows;
    mh_aux_in aux;
} mh_nspi_seekentries_resp;

/* 2.2.5.17.2 UpdateStat */
typedef struct mh_nspi_updatestat_resp {
    uint32_t status_code, error_code;
    int has_state;
    mh_stat state;
    int has_delta;
    int32_t delta;
    mh_aux_in aux;
} mh_nspi_updatestat_resp;

/* 2.2.5.18.2 GetMailboxUrl */
typedef struct mh_nspi_getmailboxurl_resp {
    uint32_t status_code, error_code;
    const char *server_url;  /* UTF-16Z on the wire; NULL is written as "" */
    mh_aux_in aux;
} mh_nspi_getmailboxurl_resp;

/* 2.2.5.19.2 GetAddressBookUrl */
typedef struct mh_nspi_getaddressbookurl_resp {
    uint32_t status_code, error_code;
    const char *server_url;  /* UTF-16Z on the wire; NULL is written as "" */
    mh_aux_in aux;
} mh_nspi_getaddressbookurl_resp;

/* --------------------------------------------------------- functions */

#define MH_NSPI_BODY_DECL(x)                                                           \
    mh_body_status mh_nspi_parse_##x##_req(const void *body, size_t len, apr_pool_t *pool, \
                                           mh_nspi_##x##_req *req, const char **why_r);   \
    void mh_nspi_build_##x##_req(mh_wr *wr, const mh_nspi_##x##_req *req);               \
    void mh_nspi_build_##x##_resp(mh_wr *wr, const mh_nspi_##x##_resp *resp);            \
    mh_body_status mh_nspi_parse_##x##_resp(const void *body, size_t len, apr_pool_t *pool, \
                                            mh_nspi_##x##_resp *resp, const char **why_r)

MH_NSPI_BODY_DECL(bind);
MH_NSPI_BODY_DECL(unbind);
MH_NSPI_BODY_DECL(comparemids);
MH_NSPI_BODY_DECL(dntomid);
MH_NSPI_BODY_DECL(getmatches);
MH_NSPI_BODY_DECL(getproplist);
MH_NSPI_BODY_DECL(getprops);
MH_NSPI_BODY_DECL(getspecialtable);
MH_NSPI_BODY_DECL(gettemplateinfo);
MH_NSPI_BODY_DECL(modlinkatt);
MH_NSPI_BODY_DECL(modprops);
MH_NSPI_BODY_DECL(querycolumns);
MH_NSPI_BODY_DECL(queryrows);
MH_NSPI_BODY_DECL(resolvenames);
MH_NSPI_BODY_DECL(resortrestriction);
MH_NSPI_BODY_DECL(seekentries);
MH_NSPI_BODY_DECL(updatestat);
MH_NSPI_BODY_DECL(getmailboxurl);
MH_NSPI_BODY_DECL(getaddressbookurl);

/* Any NSPI request or response, for code that dispatches on the type. */
typedef union mh_nspi_req {
    mh_nspi_bind_req bind;
    mh_nspi_unbind_req unbind;
    mh_nspi_comparemids_req comparemids;
    mh_nspi_dntomid_req dntomid;
    mh_nspi_getmatches_req getmatches;
    mh_nspi_getproplist_req getproplist;
    mh_nspi_getprops_req getprops;
    mh_nspi_getspecialtable_req getspecialtable;
    mh_nspi_gettemplateinfo_req gettemplateinfo;
    mh_nspi_modlinkatt_req modlinkatt;
    mh_nspi_modprops_req modprops;
    mh_nspi_querycolumns_req querycolumns;
    mh_nspi_queryrows_req queryrows;
    mh_nspi_resolvenames_req resolvenames;
    mh_nspi_resortrestriction_req resortrestriction;
    mh_nspi_seekentries_req seekentries;
    mh_nspi_updatestat_req updatestat;
    mh_nspi_getmailboxurl_req getmailboxurl;
    mh_nspi_getaddressbookurl_req getaddressbookurl;
} mh_nspi_req;

typedef union mh_nspi_resp {
    mh_nspi_bind_resp bind;
    mh_nspi_unbind_resp unbind;
    mh_nspi_comparemids_resp comparemids;
    mh_nspi_dntomid_resp dntomid;
    mh_nspi_getmatches_resp getmatches;
    mh_nspi_getproplist_resp getproplist;
    mh_nspi_getprops_resp getprops;
    mh_nspi_getspecialtable_resp getspecialtable;
    mh_nspi_gettemplateinfo_resp gettemplateinfo;
    mh_nspi_modlinkatt_resp modlinkatt;
    mh_nspi_modprops_resp modprops;
    mh_nspi_querycolumns_resp querycolumns;
    mh_nspi_queryrows_resp queryrows;
    mh_nspi_resolvenames_resp resolvenames;
    mh_nspi_resortrestriction_resp resortrestriction;
    mh_nspi_seekentries_resp seekentries;
    mh_nspi_updatestat_resp updatestat;
    mh_nspi_getmailboxurl_resp getmailboxurl;
    mh_nspi_getaddressbookurl_resp getaddressbookurl;
} mh_nspi_resp;

/*
 * The same by request type (the NSPI members of mh_reqtype, MH_RT_BIND ..
 * MH_RT_GETADDRESSBOOKURL): the union member of that type is used.  For a
 * type that is not an NSPI one, parsers answer MH_BODY_MALFORMED ("not an
 * address book request type") and builders write nothing.
 */
mh_body_status mh_nspi_parse_req(mh_reqtype rt, const void *body, size_t len,
                                 apr_pool_t *pool, mh_nspi_req *req, const char **why_r);
void mh_nspi_build_req(mh_reqtype rt, mh_wr *wr, const mh_nspi_req *req);
void mh_nspi_build_resp(mh_reqtype rt, mh_wr *wr, const mh_nspi_resp *resp);
mh_body_status mh_nspi_parse_resp(mh_reqtype rt, const void *body, size_t len,
                                  apr_pool_t *pool, mh_nspi_resp *resp, const char **why_r);

#endif
