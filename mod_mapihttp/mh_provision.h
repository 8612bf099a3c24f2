/*
 * mh_provision.h - creating a user's mailbox with the special folders
 * Outlook expects (MS-OXOSFLD 2.2.1, MS-OXCSTOR 2.2.1.1.3).
 *
 * Provisioning is protocol knowledge, so it lives in the core and works on
 * any backend: one writing transaction creates the mailbox, its folder tree
 *
 *   Root Container
 *     Deferred Action, Spooler Queue, Common Views, Views, Finder,
 *     Schedule, Shortcuts, Reminders (a search folder), Freebusy Data
 *     Top of Information Store
 *       Inbox, Outbox, Sent Items, Deleted Items, Drafts, Calendar,
 *       Contacts, Journal, Notes, Tasks, Junk Email,
 *       Sync Issues (Conflicts, Local Failures, Server Failures),
 *       Conversation Action Settings (hidden)
 *
 * with their container classes, records each folder's special role, puts
 * the special-folder entry ID properties on the root and the Inbox
 * (MS-OXOSFLD 2.2.3-2.2.5), fills the receive folder table ("", "IPM",
 * "REPORT.IPM" -> Inbox, "IPC" -> root) and, when the backend's directory
 * is writable, points the owner's directory entry at the new mailbox.
 * Either all of that is committed or nothing is.
 */
#ifndef MH_PROVISION_H
#define MH_PROVISION_H

#include "mh_backend.h"

/* One folder of the provisioned tree. */
typedef struct mh_provision_folder {
    mh_special_folder role;
    mh_special_folder parent; /* MH_SF_COUNT for the root itself */
    const char *name;
    const char *container_class; /* NULL: none */
    unsigned flags;              /* MH_FOLDER_SEARCH */
    int hidden;                  /* PR_ATTR_HIDDEN */
} mh_provision_folder;

/* The tree, parents before children; *n_r entries. */
const mh_provision_folder *mh_provision_folders(unsigned *n_r);

/*
 * Creates the mailbox of directory entry `owner` (a user without a
 * mailbox).  `guid` is the mailbox GUID to use, or NULL for a new random
 * one; the GUID is returned in *guid_r.  Errors: MH_E_NOT_FOUND (no such
 * entry), MH_E_INVALID (not a user), MH_E_EXISTS (it has a mailbox already,
 * or the GUID is taken), and whatever the backend reports.
 */
mh_err mh_provision_mailbox(const mh_be *b, uint32_t owner, const mh_guid *guid,
                            apr_pool_t *pool, mh_guid *guid_r, mh_error *err);

/*
 * The same inside a writing transaction the caller began on the new
 * mailbox `guid` (and commits or aborts), e.g. one that also creates the
 * owner's directory entry.
 */
mh_err mh_provision_in(mh_betxn *t, const mh_guid *guid, uint32_t owner, mh_error *err);

/* A new random GUID (RFC 4122 version 4, in wire byte order). */
void mh_guid_random(mh_guid *g);

#endif
