/*
 * mh_nspi_mod.h - the address book calls that change it: NspiModLinkAtt
 * (MS-OXNSPI 3.1.4.1.15) and NspiModProps (3.1.4.1.14).  httpd-free; the
 * changes go through the backend's directory calls (dir_put,
 * dir_set_members) in one writing transaction, the checks included, so a
 * refused or failed call changes nothing (constraints 1-2).  Readers see a
 * change with their next request (GetMatches on the link attribute,
 * GetProps of it as PtypMultipleString: the DNs; GetProps of a
 * certificate).
 *
 * What a user may change, and nothing else:
 *
 *  ModLinkAtt
 *   PR_EMS_AB_PUBLIC_DELEGATES  of a user (DT_MAILUSER): only that user
 *                          (the authenticated login's own entry).  The
 *                          values must be users; at most
 *                          MH_NSPI_DELEGATES_MAX.  Kept in the directory as
 *                          MH_DIR_LINK_DELEGATES.
 *   PR_EMS_AB_MEMBER       of a distribution list (DT_DISTLIST): only the
 *                          list's owner (PR_EMS_AB_OWNER, kept as
 *                          MH_DIR_LINK_OWNER; an administrator sets it with
 *                          `mapihttp-admin group owner`).  A list without an
 *                          owner is changed by administrators only.  The
 *                          values may be any entry but the list itself.
 *   Entry IDs: Ephemeral ones of this server and Permanent ones (a DN);
 *   fDelete removes those present (others are ignored), else those not
 *   present are added (others ignored); an entry ID that names no entry is
 *   ignored when deleting and refused when adding.
 *
 *  ModProps
 *   The certificates of the user's own entry: PR_USER_X509_CERTIFICATE and
 *   PR_EMS_AB_X509_CERT (3.1.4.1.14 names these two), PtypMultipleBinary,
 *   at most MH_NSPI_CERTS_MAX values of at most MH_NSPI_CERT_BYTES_MAX
 *   bytes each, none empty.  The properties of pPropTags and of pRow are
 *   removed, then pRow's values stored (constraints 8-10).
 *
 * Errors, in the order they are checked (the spec's constraints):
 *  ModLinkAtt  a property id the address book does not know: NotFound (3);
 *              an MId naming no object, or no EntryIds: InvalidParameter
 *              (4); the wrong display type for the property (a list's
 *              delegates, a user's members, a container), a property users
 *              cannot change, another user's entry, a list the user does
 *              not own, a directory the backend cannot write
 *              (MH_BCAP_DIRECTORY_WRITE unset), a value refused above, a
 *              backend failure while writing: AccessDenied (5, 8).
 *  ModProps    no STAT or no pPropTags: InvalidParameter (5); a code page
 *              not served (CP_WINUNICODE included): InvalidCodepage (1);
 *              CurrentRec naming no object: InvalidParameter (6); an object
 *              other than a user: InvalidObject (7); another user's entry,
 *              another property, a value refused above, a directory the
 *              backend cannot write, a backend failure: AccessDenied (11).
 *  Both: GeneralFailure when the directory cannot be read at all.
 * Changes are logged at info level (MH01903), refusals at info (MH01902),
 * backend failures while writing as warnings (MH01901).
 */
#ifndef MH_NSPI_MOD_H
#define MH_NSPI_MOD_H

#include "mh_nspi.h"

#define MH_NSPI_DELEGATES_MAX 1000u    /* delegates one user may have */
#define MH_NSPI_CERTS_MAX 32u          /* values of a certificate property */
#define MH_NSPI_CERT_BYTES_MAX 65536u  /* bytes of one certificate */

void mh_nspi_modlinkatt(const mh_nspi_ctx *cx, const mh_nspi_modlinkatt_req *req,
                        mh_nspi_modlinkatt_resp *resp);
void mh_nspi_modprops(const mh_nspi_ctx *cx, const mh_nspi_modprops_req *req,
                      mh_nspi_modprops_resp *resp);

#endif
