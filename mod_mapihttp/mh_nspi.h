/*
 * mh_nspi.h - the address book endpoint's request handlers: what each NSPI
 * method does (MS-OXNSPI 3.1.4.1, carried by MS-OXCMAPIHTTP 2.2.5), on the
 * address book model of mh_nspi_gal.h.  httpd-free: mh_call.c parses a
 * body with mh_nspi_wire.h, calls mh_nspi_handle and writes the response;
 * the unit tests call these functions directly against a real store.
 *
 * What every handler does the same way:
 *  - ErrorCode is the NSPI return value (MS-OXNSPI 2.2.1.2).  On an error
 *    the response's data fields are absent (HasX 0: "the server MUST return
 *    NULL"), and the STAT of calls that return one is the request's,
 *    unchanged ("MUST NOT modify pStat").
 *  - A STAT is needed by every call that takes one (HasState 0 answers
 *    InvalidParameter), and its CodePage must be one PtypString8 values can
 *    be written in: CP_WINUNICODE or a code page the server does not know
 *    answers InvalidCodepage (the spec leaves CP_WINUNICODE to the server:
 *    any return value; a clear one is chosen).
 *  - Reserved fields and flags the spec says to ignore are ignored.
 *  - An unknown ContainerID answers InvalidBookmark.
 *  - Rows: never more than the client asked for (QueryRows' Count,
 *    GetMatches' RowCount; client-quirks.md), at most MH_NSPI_ROWS_MAX per
 *    QueryRows; a property an object lacks is a flagged MAPI_E_NOT_FOUND,
 *    a link attribute (PR_EMS_AB_MEMBER ...) MAPI_E_NO_SUPPORT (read them
 *    with GetMatches, or as PtypMultipleString(8): their DNs).
 *
 * Per call (the choices the spec leaves open are marked *):
 *  UpdateStat    positions (mh_gal_position); CurrentRec not in the table:
 *                NotFound; Delta out: rows between start and end.
 *  QueryRows     Explicit Table: its first Count MIds (MIds naming nothing
 *                give rows of errors), STAT unchanged; else the STAT's
 *                table from its position, then the STAT moved past the rows.
 *                Count 0 without an Explicit Table: InvalidParameter*.  No
 *                rows left: Success with no rows*.  No columns: the default
 *                ones (3.1.4.1.8 constraint 6).
 *  SeekEntries   SortTypeDisplayName only (phonetic and others:
 *                GeneralFailure); the target must be PidTagDisplayName
 *                (GeneralFailure); the first row >= it (NotFound when none);
 *                the STAT gets CurrentRec, NumPos, TotalRecs (Delta kept);
 *                with columns, the rows from there: the Explicit Table's
 *                rest, or MH_NSPI_SEEK_ROWS* rows of the STAT's table.
 *  GetMatches    with a filter: the container's rows (or those of the
 *                request's MinimalIds, an Explicit Table*) it holds for, in
 *                table order (every SortType sorts by display name*);
 *                And, Or, Not, Content, Property,
 *                CompareProps, BitMask, Size, Exist (others: TooComplex);
 *                a Property or Content restriction on PR_ANR is ambiguous
 *                name resolution (mh_gal_anr).  Without: the link attribute
 *                the ContainerID names of the object CurrentRec names
 *                (unknown object: GeneralFailure; PropertyName or
 *                SortTypeDisplayName_W: NotSupported).  More rows than
 *                RowCount: TableTooBig.  ContainerID := CurrentRec.
 *  ResortRestriction  MIds naming no entry dropped, sorted; NumPos is
 *                CurrentRec's place, or 0 and MID_BEGINNING_OF_TABLE.
 *  CompareMIds   positions in the container's table (not in it:
 *                GeneralFailure); Result -1, 0 or 1.
 *  DNToMId       legacy DNs and address list DNs; unknown ones 0.
 *  GetPropList   the object's properties, strings as PtypString8 (unknown
 *                MId: NotFound*).
 *  GetProps      the listed properties (or GetPropList's) in request order;
 *                any missing: ErrorsReturned with PtypErrorCode values.  A
 *                link attribute (members, owner, delegates, member of) asked
 *                for as PtypMultipleString(8): the DNs it names*.
 *  QueryColumns  every property mh_gal knows.
 *  GetSpecialTable  the hierarchy table (mh_gal_hierarchy), no rows when
 *                the client's Version is MH_GAL_HIERARCHY_VERSION; address
 *                creation templates: none (an empty table, Success).
 *  GetMailboxUrl / GetAddressBookUrl  the server DN of a mailbox
 *                (mh_gal_server_dn) or a user's DN to that mailbox's
 *                /mapi/emsmdb or /mapi/nspi URL, on the host the directory
 *                names (unknown: NotFound).
 *  ResolveNames  per name mh_gal_anr (resolve): MID_UNRESOLVED,
 *                MID_AMBIGUOUS or the entry's MId; rows for the resolved
 *                ones (as QueryRows with fEphID).
 *  GetTemplateInfo  the display template (mh_nspi_tmpl.h) of ulType in the
 *                LCID's language* and the code page asked for, or with a
 *                DN the template of that object's display type (English*).
 *                A code page not served: InvalidCodepage; no template
 *                (display types other than user, list and contact; an
 *                invalid LCID; a DN naming no entry): InvalidLocale.  The
 *                row: PidTagTemplateData for TI_TEMPLATE, PidTagScriptData
 *                as the error NotFound for TI_SCRIPT (display templates
 *                have no script*); no other flag adds anything.
 *  ModProps, ModLinkAtt  what a user may change (delegates, members of
 *                a list the user owns, certificates), else the spec's
 *                refusal: mh_nspi_mod.h.
 */
#ifndef MH_NSPI_H
#define MH_NSPI_H

#include <apr_pools.h>

#include "mh_backend.h"
#include "mh_http.h"
#include "mh_nspi_wire.h"

#define MH_NSPI_ROWS_MAX 5000u   /* rows one QueryRows returns at most */
#define MH_NSPI_SEEK_ROWS 50u    /* rows SeekEntries returns from the STAT's table */
#define MH_NSPI_ANR_MAX 16u      /* PR_ANR restrictions in one GetMatches filter */

/* What a handler knows of its request. */
typedef struct mh_nspi_ctx {
    apr_pool_t *pool;          /* the request's */
    const mh_be *be;           /* NULL: no backend (an empty address book) */
    const char *user;          /* the authenticated login */
    mh_guid server_guid;       /* the ServerGuid Bind reports */
    const char *organization;  /* MapiHttpOrganization; NULL: the default */
    const char *legacy_dn_scheme; /* MapiHttpLegacyDNScheme; NULL: the default */
    const char *base_url;      /* "scheme://host[:port]" of the URLs handed out */
} mh_nspi_ctx;

/*
 * Bind (3.1.4.1.1): the checks before a context is made.  Returns
 * MH_NSPI_SUCCESS, MH_NSPI_INVALID_CODEPAGE (the STAT's code page is
 * CP_WINUNICODE or unknown), MH_NSPI_LOGON_FAILED (with a backend: the
 * user is not in the directory, or is disabled) or MH_NSPI_GENERAL_FAILURE
 * (the directory failed); *why_r says why for the log.
 */
uint32_t mh_nspi_bind(const mh_nspi_ctx *cx, const mh_nspi_bind_req *req, const char **why_r);

/*
 * Any request type but Bind and Unbind: `req` the member of the union for
 * `rt`, `resp` filled likewise (StatusCode 0).
 */
void mh_nspi_handle(const mh_nspi_ctx *cx, mh_reqtype rt, const mh_nspi_req *req,
                    mh_nspi_resp *resp);

#endif
