/*
 * mh_provision.c - a new mailbox with its special folders.
 */
#include "mh_provision.h"
#include "mh_entryid.h"
#include "mh_props.h"
#include "mh_wire.h"

#include <string.h>
#include <apr_general.h>
#include <apr_time.h>

#define NONE MH_SF_COUNT

/*
 * The folders, parents first.  Names are the English ones Exchange gives a
 * new mailbox; classes per MS-OXOSFLD 2.2.1.  Roles are in mapihttp/backend.h.
 */
static const mh_provision_folder folders[] = {
    {MH_SF_ROOT, NONE, "Root Container", NULL, 0, 0},
    {MH_SF_DEFERRED_ACTION, MH_SF_ROOT, "Deferred Action", NULL, 0, 0},
    {MH_SF_SPOOLER_QUEUE, MH_SF_ROOT, "Spooler Queue", NULL, 0, 0},
    {MH_SF_COMMON_VIEWS, MH_SF_ROOT, "Common Views", NULL, 0, 0},
    {MH_SF_VIEWS, MH_SF_ROOT, "Views", NULL, 0, 0},
    {MH_SF_FINDER, MH_SF_ROOT, "Finder", NULL, 0, 0},
    {MH_SF_SCHEDULE, MH_SF_ROOT, "Schedule", NULL, 0, 0},
    {MH_SF_SHORTCUTS, MH_SF_ROOT, "Shortcuts", NULL, 0, 0},
    {MH_SF_REMINDERS, MH_SF_ROOT, "Reminders", "Outlook.Reminder", MH_FOLDER_SEARCH, 0},
    {MH_SF_FREEBUSY, MH_SF_ROOT, "Freebusy Data", NULL, 0, 0},
    {MH_SF_IPM_SUBTREE, MH_SF_ROOT, "Top of Information Store", NULL, 0, 0},
    {MH_SF_INBOX, MH_SF_IPM_SUBTREE, "Inbox", "IPF.Note", 0, 0},
    {MH_SF_OUTBOX, MH_SF_IPM_SUBTREE, "Outbox", "IPF.Note", 0, 0},
    {MH_SF_SENT_ITEMS, MH_SF_IPM_SUBTREE, "Sent Items", "IPF.Note", 0, 0},
    {MH_SF_DELETED_ITEMS, MH_SF_IPM_SUBTREE, "Deleted Items", "IPF.Note", 0, 0},
    {MH_SF_DRAFTS, MH_SF_IPM_SUBTREE, "Drafts", "IPF.Note", 0, 0},
    {MH_SF_CALENDAR, MH_SF_IPM_SUBTREE, "Calendar", "IPF.Appointment", 0, 0},
    {MH_SF_CONTACTS, MH_SF_IPM_SUBTREE, "Contacts", "IPF.Contact", 0, 0},
    {MH_SF_JOURNAL, MH_SF_IPM_SUBTREE, "Journal", "IPF.Journal", 0, 0},
    {MH_SF_NOTES, MH_SF_IPM_SUBTREE, "Notes", "IPF.StickyNote", 0, 0},
    {MH_SF_TASKS, MH_SF_IPM_SUBTREE, "Tasks", "IPF.Task", 0, 0},
    {MH_SF_JUNK, MH_SF_IPM_SUBTREE, "Junk Email", "IPF.Note", 0, 0},
    {MH_SF_SYNC_ISSUES, MH_SF_IPM_SUBTREE, "Sync Issues", "IPF.Note", 0, 0},
    {MH_SF_CONFLICTS, MH_SF_SYNC_ISSUES, "Conflicts", "IPF.Note", 0, 0},
    {MH_SF_LOCAL_FAILURES, MH_SF_SYNC_ISSUES, "Local Failures", "IPF.Note", 0, 0},
    {MH_SF_SERVER_FAILURES, MH_SF_SYNC_ISSUES, "Server Failures", "IPF.Note", 0, 0},
    {MH_SF_CONVERSATION_ACTIONS, MH_SF_IPM_SUBTREE, "Conversation Action Settings",
     "IPF.Configuration", 0, 1},
};

const mh_provision_folder *mh_provision_folders(unsigned *n_r)
{
    *n_r = sizeof(folders) / sizeof(folders[0]);
    return folders;
}

void mh_guid_random(mh_guid *g)
{
    if (apr_generate_random_bytes(g->b, sizeof(g->b)) != APR_SUCCESS) {
        /* no entropy source: still unique enough within one store */
        apr_time_t now = apr_time_now();
        static unsigned counter;
        memcpy(g->b, &now, sizeof(now));
        unsigned c = ++counter;
        memcpy(g->b + 8, &c, sizeof(c));
    }
    /* Data3 (bytes 6-7, little-endian): version 4; Data4[0]: variant 10 */
    g->b[7] = (uint8_t)((g->b[7] & 0x0F) | 0x40);
    g->b[8] = (uint8_t)((g->b[8] & 0x3F) | 0x80);
}

/* PersistData block ids (MS-OXOSFLD 2.2.5) */
#define RSF_PID_CONV_ACTIONS 0x8006
#define RSF_ELID_ENTRYID 0x0001

typedef struct prov {
    const mh_be *b; /* the transaction's */
    mh_betxn *t;
    apr_pool_t *pool;
    mh_guid guid;
    mh_id id[MH_SF_COUNT];
} prov;

static mh_bin eid(prov *p, mh_special_folder role)
{
    uint8_t *buf = apr_palloc(p->pool, MH_FOLDER_EID_LEN);
    mh_eid_folder(&p->guid, &p->guid, p->id[role], buf);
    mh_bin b = {MH_FOLDER_EID_LEN, buf};
    return b;
}

/* The special-folder entry IDs Outlook reads from the root and the Inbox. */
static mh_proplist eid_props(prov *p)
{
    static const struct {
        mh_proptag tag;
        mh_special_folder role;
    } single[] = {
        {PR_IPM_APPOINTMENT_ENTRYID, MH_SF_CALENDAR},
        {PR_IPM_CONTACT_ENTRYID, MH_SF_CONTACTS},
        {PR_IPM_JOURNAL_ENTRYID, MH_SF_JOURNAL},
        {PR_IPM_NOTE_ENTRYID, MH_SF_NOTES},
        {PR_IPM_TASK_ENTRYID, MH_SF_TASKS},
        {PR_REM_ONLINE_ENTRYID, MH_SF_REMINDERS},
        {PR_IPM_DRAFTS_ENTRYID, MH_SF_DRAFTS},
    };
    const size_t n_single = sizeof(single) / sizeof(single[0]);
    mh_proplist l;
    l.n = 0;
    l.v = apr_pcalloc(p->pool, (n_single + 2) * sizeof(mh_propval));
    for (size_t i = 0; i < n_single; i++) {
        mh_bin b = eid(p, single[i].role);
        l.v[l.n++] = mh_pv_bin(single[i].tag, b.data, b.len);
    }
    /* PidTagAdditionalRenEntryIds: Conflicts, Sync Issues, Local Failures,
     * Server Failures, Junk Email, in that order (MS-OXOSFLD 2.2.4) */
    static const mh_special_folder ren[] = {MH_SF_CONFLICTS, MH_SF_SYNC_ISSUES,
                                            MH_SF_LOCAL_FAILURES, MH_SF_SERVER_FAILURES,
                                            MH_SF_JUNK};
    mh_bin *mv = apr_palloc(p->pool, sizeof(ren) / sizeof(ren[0]) * sizeof(mh_bin));
    for (size_t i = 0; i < sizeof(ren) / sizeof(ren[0]); i++)
        mv[i] = eid(p, ren[i]);
    mh_propval *v = &l.v[l.n++];
    v->tag = PR_ADDITIONAL_REN_ENTRYIDS;
    v->v.mv.n = sizeof(ren) / sizeof(ren[0]);
    v->v.mv.v = mv;
    /* PidTagAdditionalRenEntryIdsEx: one PersistData block for the
     * Conversation Action Settings folder, then PERSIST_SENTINEL */
    mh_wr w;
    mh_wr_init(&w, p->pool, 64);
    mh_wr_u16(&w, RSF_PID_CONV_ACTIONS);
    mh_wr_u16(&w, 4 + MH_FOLDER_EID_LEN);
    mh_wr_u16(&w, RSF_ELID_ENTRYID);
    mh_wr_u16(&w, MH_FOLDER_EID_LEN);
    mh_bin ca = eid(p, MH_SF_CONVERSATION_ACTIONS);
    mh_wr_bytes(&w, ca.data, ca.len);
    mh_wr_u32(&w, 0); /* PERSIST_SENTINEL, DataElementsSize 0 */
    l.v[l.n++] = mh_pv_bin(PR_ADDITIONAL_REN_ENTRYIDS_EX, w.buf, (uint32_t)w.len);
    return l;
}

static mh_err create_folders(prov *p, mh_error *err)
{
    mh_err e;
    for (size_t i = 0; i < sizeof(folders) / sizeof(folders[0]); i++) {
        const mh_provision_folder *f = &folders[i];
        mh_propval v[3];
        mh_proplist l = {0, v};
        v[l.n++] = mh_pv_str(PR_DISPLAY_NAME, f->name);
        if (f->container_class)
            v[l.n++] = mh_pv_str(PR_CONTAINER_CLASS, f->container_class);
        if (f->hidden)
            v[l.n++] = mh_pv_bool(PR_ATTR_HIDDEN, 1);
        mh_id parent = f->parent == NONE ? 0 : p->id[f->parent];
        if ((e = mh_be_folder_create(p->t, parent, &l, f->flags, NULL, &p->id[f->role], err)) !=
                MH_OK ||
            (e = mh_be_mailbox_set_special(p->t, f->role, p->id[f->role], err)) != MH_OK)
            return e;
    }
    return MH_OK;
}

static mh_err fill(prov *p, uint32_t owner, mh_error *err)
{
    mh_err e;
    if ((e = mh_be_mailbox_create(p->t, owner, err)) != MH_OK ||
        (e = create_folders(p, err)) != MH_OK)
        return e;
    mh_proplist l = eid_props(p);
    mh_objref ref;
    memset(&ref, 0, sizeof(ref));
    ref.kind = MH_OBJ_FOLDER;
    mh_id cn;
    static const mh_special_folder holders[] = {MH_SF_ROOT, MH_SF_INBOX};
    for (size_t i = 0; i < 2; i++) {
        ref.id = p->id[holders[i]];
        if ((e = mh_be_props_set(p->t, &ref, &l, NULL, 0, NULL, &cn, err)) != MH_OK)
            return e;
    }
    static const struct {
        const char *cls;
        mh_special_folder role;
    } recv[] = {{"", MH_SF_INBOX}, {"IPM", MH_SF_INBOX}, {"REPORT.IPM", MH_SF_INBOX},
                {"IPC", MH_SF_ROOT}};
    for (size_t i = 0; i < sizeof(recv) / sizeof(recv[0]); i++)
        if ((e = mh_be_receive_folder_set(p->t, recv[i].cls, p->id[recv[i].role], err)) !=
            MH_OK)
            return e;
    return MH_OK;
}

mh_err mh_provision_in(mh_betxn *t, const mh_guid *guid, uint32_t owner, mh_error *err)
{
    prov p;
    memset(&p, 0, sizeof(p));
    p.b = t->b;
    p.t = t;
    p.pool = t->pool;
    p.guid = *guid;
    mh_dir_entry ent;
    mh_err e;
    if ((e = mh_be_dir_get(t, owner, &ent, err)) != MH_OK)
        return e;
    if (ent.type != MH_DIR_USER)
        return mh_fail(err, t->pool, MH_E_INVALID, "directory entry %u is not a user", owner);
    if (ent.has_mailbox)
        return mh_fail(err, t->pool, MH_E_EXISTS, "user %s has a mailbox already",
                       ent.login ? ent.login : ent.display_name);
    if ((e = fill(&p, owner, err)) != MH_OK)
        return e;
    if (t->b->be->capabilities & MH_BCAP_DIRECTORY_WRITE) {
        ent.has_mailbox = 1;
        ent.mailbox = p.guid;
        uint32_t id;
        if ((e = mh_be_dir_put(t, &ent, NULL, &id, err)) != MH_OK)
            return e;
    }
    return MH_OK;
}

mh_err mh_provision_mailbox(const mh_be *b, uint32_t owner, const mh_guid *guid,
                            apr_pool_t *pool, mh_guid *guid_r, mh_error *err)
{
    mh_guid g;
    if (guid)
        g = *guid;
    else
        mh_guid_random(&g);
    mh_betxn *t;
    mh_err e = mh_be_begin(b, &g, MH_TXN_WRITE, pool, &t, err);
    if (e != MH_OK)
        return e;
    if ((e = mh_provision_in(t, &g, owner, err)) != MH_OK ||
        (e = mh_be_commit(t, err)) != MH_OK) {
        mh_be_abort(t);
        return e;
    }
    if (guid_r)
        *guid_r = g;
    return MH_OK;
}
