/*
 * mh_nspi_tmpl.h - the display templates GetTemplateInfo answers with
 * (MS-OXNSPI 3.1.4.1.18, MS-OXOABKT 2.2.2): the dialogs Outlook shows for
 * "Properties" of a user, a distribution list and a mail contact.  Built in
 * code from the tables of mh_nspi_tmpl.c, in the code page and the language
 * the client asks for.  httpd-free.
 *
 * The template blob (PidTagTemplateData, MS-OXOABKT 2.2.2.1), all integers
 * 4 bytes little-endian:
 *
 *   TRowSet  Type (1), cRows, then cRows TRow structures of 36 bytes:
 *   TRow     XPos, DeltaX, YPos, DeltaY (pixels in the display area),
 *            ControlType (MH_DTCT_*), ControlFlags (MH_DT_*),
 *            CNTRL: dwType (the property the control shows, or 0),
 *                   ulSize (characters an edit control takes, else 0),
 *                   ulString (offset from the start of the TRowSet of a
 *                   NUL-terminated string in the requested code page)
 *   then the strings, each once.
 *
 * What a CNTRL's string is, per control (2.2.2.1.3.x): a label's, a
 * button's and a tabbed page's text ('&' marks the shortcut key; at most
 * 128 bytes with the NUL, 32 for a page), an edit control's filter of
 * allowed characters ("*": any; at most 15 bytes), "*" for list boxes.
 * A page control starts a tab; the controls after it are on that page.
 *
 * The templates (every control read-only: what a user may change goes
 * through ModProps and ModLinkAtt, see mh_nspi_mod.h):
 *
 *   DT_MAILUSER         General: first and last name, display name, alias,
 *                       title, company, department, office, telephone,
 *                       mobile, e-mail address; Member Of
 *                       (PR_EMS_AB_IS_MEMBER_OF_DL); Delegates
 *                       (PR_EMS_AB_PUBLIC_DELEGATES); E-mail Addresses
 *                       (PR_EMS_AB_PROXY_ADDRESSES)
 *   DT_DISTLIST         General: display name, alias, e-mail address, owner
 *                       (PR_EMS_AB_OWNER), members (PR_EMS_AB_MEMBER), the
 *                       "Modify members" button
 *                       (PidTagAddressBookManageDistributionList: Outlook's
 *                       member editor, which calls ModLinkAtt); Member Of;
 *                       E-mail Addresses
 *   DT_REMOTE_MAILUSER  General as a user's; Member Of; E-mail Addresses
 *
 * Languages: English, German, French, chosen by the primary language of the
 * LCID; any other valid LCID gets English, and so does a language whose
 * texts the code page cannot hold.  Not a template (InvalidLocale): another
 * display type, and an LCID with reserved bits (20-31) set or a language ID
 * of 0.
 */
#ifndef MH_NSPI_TMPL_H
#define MH_NSPI_TMPL_H

#include <stdint.h>
#include <apr_pools.h>

#include "mapihttp/props.h"

/* The properties GetTemplateInfo answers with (MS-OXOABKT 2.2.1). */
#define PR_TEMPLATE_DATA MH_TAG(0x0001, PT_BINARY) /* PidTagTemplateData */
#define PR_SCRIPT_DATA MH_TAG(0x0004, PT_BINARY)   /* PidTagScriptData */

/* TRowSet */
#define MH_TMPL_TYPE 0x00000001u      /* TRowSet.Type */
#define MH_TMPL_HEADER_LEN 8u
#define MH_TMPL_ROW_LEN 36u

/* ControlType (MS-OXOABKT 2.2.2.1.2) */
#define MH_DTCT_LABEL 0x00000000u
#define MH_DTCT_EDIT 0x00000001u
#define MH_DTCT_LBX 0x00000002u
#define MH_DTCT_CHECKBOX 0x00000005u
#define MH_DTCT_GROUPBOX 0x00000006u
#define MH_DTCT_BUTTON 0x00000007u
#define MH_DTCT_PAGE 0x00000008u
#define MH_DTCT_MVLISTBOX 0x0000000Bu
#define MH_DTCT_MVDDLBX 0x0000000Cu

/* ControlFlags */
#define MH_DT_MULTILINE 0x00000001u
#define MH_DT_EDITABLE 0x00000002u
#define MH_DT_REQUIRED 0x00000004u
#define MH_DT_SET_IMMEDIATE 0x00000008u
#define MH_DT_PASSWORD_EDIT 0x00000010u
#define MH_DT_ACCEPT_DBCS 0x00000020u
#define MH_DT_SET_SELECTION 0x00000040u

/* The longest strings a CNTRL may point to, with their NUL. */
#define MH_TMPL_TEXT_MAX 128u
#define MH_TMPL_PAGE_TEXT_MAX 32u
#define MH_TMPL_FILTER_MAX 15u

/* The LCID whose language a template named by DN (its locale ignored,
 * 3.1.4.1.18 constraint 5) is in. */
#define MH_TMPL_DEFAULT_LCID 0x0409u

/*
 * The display template of `display_type` for LCID `lcid`, its strings in
 * code page `cp` (one mh_cp_supported accepts), in pool memory.  Returns
 * MH_NSPI_SUCCESS or MH_NSPI_INVALID_LOCALE (no template for that display
 * type, or not a valid LCID).
 */
uint32_t mh_nspi_template(uint32_t display_type, uint32_t lcid, uint32_t cp, apr_pool_t *pool,
                          mh_bin *out);

#endif
