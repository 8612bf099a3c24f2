/*
 * mapihttp-admin - users, mailboxes and store maintenance for mod_mapihttp,
 * on the configured backend, with or without httpd running.
 *
 * Run with --help for the commands; docs/admin.md explains them.
 */
#include "config.h"
#include "mh_backend.h"
#include "mh_legacydn.h"
#include "mh_log.h"
#include "mh_password.h"
#include "mh_props.h"
#include "mh_provision.h"
#include "mh_tool.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_tables.h>

#define DEFAULT_BACKEND "lmdb path=/var/lib/mapihttp/store"

static const char *progname = "mapihttp-admin";

typedef struct opts {
    const char *backend;  /* "NAME key=value ..." */
    const char *module;
    const char *org;      /* NULL: MH_DEFAULT_ORGANIZATION */
    const char *legacy_dn_scheme; /* NULL: MH_DEFAULT_LEGACY_DN_SCHEME */
    const char *owner;    /* init: user[:group] */
    const char *name;     /* --name */
    const char *email;    /* --email */
    apr_array_header_t *aliases; /* --alias (repeatable) */
    int aliases_given;
    const char *password;
    int password_stdin;
    int no_mailbox;
    int repair;
    int disable, enable;
    const char *server;
    int cost;
    int verbose;
} opts;

static void usage(FILE *f)
{
    fprintf(f,
"usage: %s [--backend SPEC] [--module FILE.so] [--conf FILE] [--verbose] COMMAND ...\n"
"\n"
"Run as root, it works as the user the store belongs to: --owner USER[:GROUP],\n"
"default www-data (init hands a new store to that user).\n"
"The backend: --backend \"NAME key=value ...\" as MapiHttpBackend names it,\n"
"or the MapiHttpBackend line of --conf FILE, or $MAPIHTTP_BACKEND, or\n"
"\"" DEFAULT_BACKEND "\".  Backends other than lmdb are loaded from\n"
"their module file with --module.\n"
"\n"
"Commands:\n"
"  init                              create the store\n"
"  user add LOGIN [--name NAME] [--email ADDR] [--alias ADDR]...\n"
"           [--password PW | --password-stdin] [--no-mailbox] [--server HOST]\n"
"           [--org ORG] [--legacy-dn-scheme SCHEME]\n"
"                                    a user and, unless --no-mailbox, a mailbox;\n"
"                                    the legacy DN follows the scheme and the\n"
"                                    organization of the options, else of the\n"
"                                    MapiHttpLegacyDNScheme and MapiHttpOrganization\n"
"                                    lines of --conf FILE, else the server's defaults\n"
"  user list                         every directory entry\n"
"  user show LOGIN\n"
"  user set LOGIN [--name NAME] [--email ADDR] [--alias ADDR]... [--disable|--enable]\n"
"  user rename LOGIN NEWLOGIN        change the login (addresses stay)\n"
"  user passwd LOGIN [--password PW | --password-stdin]  (asks when neither)\n"
"  user delete LOGIN                 the user and the mailbox\n"
"  group add ADDR --name NAME        a distribution list\n"
"  group members ADDR [LOGIN|ADDR]...  set its members\n"
"  group owner ADDR [LOGIN]          who may change the members from Outlook\n"
"                                    (none: administrators only)\n"
"  group delete ADDR\n"
"  mailbox create LOGIN              a mailbox for a user without one\n"
"  mailbox stats LOGIN               sizes, counts and the folder tree\n"
"  mailbox delete LOGIN              delete the mailbox and all its mail\n"
"  check [--repair] [LOGIN...]       consistency of the directory and the\n"
"                                    mailboxes (all, or those named)\n"
"  version\n",
            progname);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", progname);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static const char *guid_str(apr_pool_t *p, const mh_guid *g)
{
    /* Data1..Data3 little-endian on the wire */
    const uint8_t *b = g->b;
    return apr_psprintf(p,
                        "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                        b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11],
                        b[12], b[13], b[14], b[15]);
}

/* ------------------------------------------------------------ plumbing */

typedef struct ctx {
    apr_pool_t *pool;
    mh_be *b;
    opts *o;
} ctx;

static mh_betxn *begin(ctx *c, const mh_guid *mbx, int write)
{
    mh_betxn *t;
    mh_error e = {MH_OK, NULL};
    if (mh_be_begin(c->b, mbx, write ? MH_TXN_WRITE : MH_TXN_READ, c->pool, &t, &e) != MH_OK)
        die("cannot begin a transaction: %s", e.detail);
    return t;
}

static void commit(mh_betxn *t)
{
    mh_error e = {MH_OK, NULL};
    if (mh_be_commit(t, &e) != MH_OK)
        die("commit failed: %s", e.detail);
}

static void must(mh_err r, const mh_error *e, const char *what)
{
    if (r != MH_OK)
        die("%s: %s", what, e->detail ? e->detail : mh_err_name(r));
}

static mh_dir_entry find_user(ctx *c, mh_betxn *t, const char *login)
{
    mh_dir_entry ent;
    mh_error e = {MH_OK, NULL};
    mh_err r = mh_be_dir_find(t, MH_DIR_BY_LOGIN, login, &ent, &e);
    if (r == MH_E_NOT_FOUND)
        die("no user '%s'", login);
    must(r, &e, "directory lookup");
    return ent;
}

/* A group by address (or a user by login or address, for members). */
static mh_dir_entry find_entry(ctx *c, mh_betxn *t, const char *key)
{
    mh_dir_entry ent;
    mh_error e = {MH_OK, NULL};
    mh_err r = mh_be_dir_find(t, strchr(key, '@') ? MH_DIR_BY_SMTP : MH_DIR_BY_LOGIN, key,
                              &ent, &e);
    if (r == MH_E_NOT_FOUND)
        die("no directory entry '%s'", key);
    must(r, &e, "directory lookup");
    return ent;
}

static void need_write(ctx *c)
{
    if (!(c->b->be->capabilities & MH_BCAP_DIRECTORY_WRITE))
        die("backend %s keeps its directory elsewhere (e.g. LDAP): change users there",
            c->b->be->name);
}

/* The legacy DN of a new entry: the scheme the server uses (mh_legacydn.h). */
static const char *legacy_dn(ctx *c, const char *name)
{
    return mh_legacy_dn_make(c->pool, c->o->legacy_dn_scheme, c->o->org, name);
}

static const char *read_password(ctx *c, int ask)
{
    if (c->o->password)
        return c->o->password;
    if (c->o->password_stdin) {
        char buf[1024];
        if (!fgets(buf, sizeof(buf), stdin))
            die("no password on standard input");
        buf[strcspn(buf, "\r\n")] = 0;
        return apr_pstrdup(c->pool, buf);
    }
    if (!ask)
        return NULL;
    char a[256], b[256];
    apr_size_t la = sizeof(a), lb = sizeof(b);
    if (apr_password_get("New password: ", a, &la) != APR_SUCCESS ||
        apr_password_get("Again: ", b, &lb) != APR_SUCCESS)
        die("cannot read a password (use --password-stdin)");
    if (strcmp(a, b) != 0)
        die("the passwords differ");
    return apr_pstrdup(c->pool, a);
}

static const char *hash_password(ctx *c, const char *pw)
{
    if (!*pw)
        die("an empty password is not allowed");
    const char *h = mh_password_hash(c->pool, pw, (unsigned)c->o->cost);
    if (!h)
        die("cannot hash the password (no randomness?)");
    return h;
}

static const char *const *alias_list(ctx *c, uint32_t *n_r)
{
    *n_r = (uint32_t)c->o->aliases->nelts;
    return (const char *const *)c->o->aliases->elts;
}

static void check_address(const char *a)
{
    const char *at = strchr(a, '@');
    if (!at || at == a || !at[1] || strchr(at + 1, '@') || strpbrk(a, " \t<>\"(),;"))
        die("'%s' is not an e-mail address", a);
}

/* -------------------------------------------------------------- commands */

static int cmd_init(ctx *c)
{
    printf("store ready: %s\n", c->b->label);
    return 0;
}

static int cmd_user_add(ctx *c, const char *login)
{
    need_write(c);
    if (!*login || strpbrk(login, " \t:/\\") || strlen(login) > 256)
        die("'%s' is not a usable login (no spaces, ':', '/' or '\\')", login);
    if (c->o->email)
        check_address(c->o->email);
    for (int i = 0; i < c->o->aliases->nelts; i++)
        check_address(APR_ARRAY_IDX(c->o->aliases, i, const char *));
    const char *pw = read_password(c, 0);
    const char *hash = pw ? hash_password(c, pw) : NULL;
    mh_dir_entry ent;
    memset(&ent, 0, sizeof(ent));
    ent.type = MH_DIR_USER;
    ent.login = login;
    ent.display_name = c->o->name ? c->o->name : login;
    ent.smtp = c->o->email;
    ent.aliases = alias_list(c, &ent.n_aliases);
    ent.legacy_dn = legacy_dn(c, login);
    ent.server = c->o->server;
    /* the user and the mailbox in one transaction: both or neither */
    mh_guid g;
    mh_guid_random(&g);
    mh_betxn *t = begin(c, c->o->no_mailbox ? NULL : &g, 1);
    uint32_t id;
    mh_error e = {MH_OK, NULL};
    must(mh_be_dir_put(t, &ent, hash, &id, &e), &e, "cannot add the user");
    if (!c->o->no_mailbox)
        must(mh_provision_in(t, &g, id, &e), &e, "cannot create the mailbox");
    commit(t);
    printf("user %s added (directory entry %u)\n", login, id);
    if (!c->o->no_mailbox)
        printf("mailbox %s created\n", guid_str(c->pool, &g));
    return 0;
}

static void print_entry(ctx *c, const mh_dir_entry *e)
{
    static const char *const types[] = {"?", "user", "group", "contact"};
    printf("%-7s %-5u %-20s %-28s %s%s%s\n", types[(unsigned)e->type <= 3 ? e->type : 0], e->id,
           e->login ? e->login : "-", e->display_name, e->smtp ? e->smtp : "-",
           e->has_mailbox ? "" : " (no mailbox)", e->disabled ? " (disabled)" : "");
}

static int cmd_user_list(ctx *c)
{
    mh_betxn *t = begin(c, NULL, 0);
    mh_cursor cur = {0}, next;
    printf("%-7s %-5s %-20s %-28s %s\n", "TYPE", "ID", "LOGIN", "DISPLAY NAME", "ADDRESS");
    for (;;) {
        mh_dir_entry *es;
        uint32_t n;
        mh_error e = {MH_OK, NULL};
        must(mh_be_dir_list(t, &cur, 200, &es, &n, &next, &e), &e, "list");
        for (uint32_t i = 0; i < n; i++)
            print_entry(c, &es[i]);
        if (next.len == 0 || n == 0)
            break;
        cur = next;
    }
    mh_be_abort(t);
    return 0;
}

static int cmd_user_show(ctx *c, const char *login)
{
    mh_betxn *t = begin(c, NULL, 0);
    mh_dir_entry e = find_user(c, t, login);
    mh_error err = {MH_OK, NULL};
    const char *hash = NULL;
    int has_pw = MH_SLOT(c->b->be, dir_password) &&
                 mh_be_dir_password(t, login, &hash, &err) == MH_OK;
    /* the delegates the user chose in Outlook (NSPI ModLinkAtt) */
    const char *delegates = NULL;
    for (uint32_t i = 0; i < e.props.n; i++) {
        const mh_propval *v = &e.props.v[i];
        if (v->tag != MH_DIR_LINK_DELEGATES || !v->v.mv.v)
            continue;
        for (uint32_t k = 0; k < v->v.mv.n; k++) {
            mh_dir_entry d;
            if (mh_be_dir_get(t, (uint32_t)((const int32_t *)v->v.mv.v)[k], &d, &err) != MH_OK)
                continue; /* deleted since */
            const char *name = d.login ? d.login : d.smtp ? d.smtp : d.display_name;
            delegates = delegates ? apr_pstrcat(c->pool, delegates, ", ", name, NULL) : name;
        }
    }
    mh_be_abort(t);
    printf("login:        %s\n", e.login);
    printf("id:           %u\n", e.id);
    printf("display name: %s\n", e.display_name);
    printf("address:      %s\n", e.smtp ? e.smtp : "-");
    for (uint32_t i = 0; i < e.n_aliases; i++)
        printf("alias:        %s\n", e.aliases[i]);
    printf("legacy DN:    %s\n", e.legacy_dn);
    printf("mailbox:      %s\n", e.has_mailbox ? guid_str(c->pool, &e.mailbox) : "none");
    if (e.server)
        printf("server:       %s\n", e.server);
    printf("password:     %s\n", has_pw ? "set" : "none");
    printf("state:        %s\n", e.disabled ? "disabled" : "enabled");
    printf("delegates:    %s\n", delegates ? delegates : "none");
    return 0;
}

static int cmd_user_set(ctx *c, const char *login, const char *new_login)
{
    need_write(c);
    mh_betxn *t = begin(c, NULL, 1);
    mh_dir_entry e = find_user(c, t, login);
    if (new_login) {
        if (!*new_login || strpbrk(new_login, " \t:/\\"))
            die("'%s' is not a usable login", new_login);
        e.login = new_login;
    }
    if (c->o->name)
        e.display_name = c->o->name;
    if (c->o->email) {
        check_address(c->o->email);
        e.smtp = c->o->email;
    }
    if (c->o->aliases_given) {
        for (int i = 0; i < c->o->aliases->nelts; i++)
            check_address(APR_ARRAY_IDX(c->o->aliases, i, const char *));
        e.aliases = alias_list(c, &e.n_aliases);
    }
    if (c->o->disable)
        e.disabled = 1;
    if (c->o->enable)
        e.disabled = 0;
    uint32_t id;
    mh_error err = {MH_OK, NULL};
    must(mh_be_dir_put(t, &e, NULL, &id, &err), &err, "cannot change the user");
    commit(t);
    printf("user %s changed\n", new_login ? new_login : login);
    return 0;
}

static int cmd_user_passwd(ctx *c, const char *login)
{
    need_write(c);
    if (!(c->b->be->capabilities & MH_BCAP_PASSWORDS))
        die("backend %s does not keep passwords", c->b->be->name);
    const char *hash = hash_password(c, read_password(c, 1));
    mh_betxn *t = begin(c, NULL, 1);
    mh_dir_entry e = find_user(c, t, login);
    uint32_t id;
    mh_error err = {MH_OK, NULL};
    must(mh_be_dir_put(t, &e, hash, &id, &err), &err, "cannot set the password");
    commit(t);
    printf("password of %s set\n", login);
    return 0;
}

/*
 * Deletes a user's mailbox and then the user, or (keep_user) records that
 * the user has none: one transaction on the mailbox, which covers the
 * directory too, so neither is ever left without the other.
 */
static void delete_with_mailbox(ctx *c, const mh_dir_entry *found, int keep_user)
{
    mh_betxn *t = begin(c, &found->mailbox, 1);
    mh_error e = {MH_OK, NULL};
    mh_dir_entry ent;
    must(mh_be_dir_get(t, found->id, &ent, &e), &e, "directory lookup");
    if (!ent.has_mailbox || memcmp(ent.mailbox.b, found->mailbox.b, 16) != 0)
        die("%s changed meanwhile; try again", found->login);
    must(mh_be_mailbox_delete(t, &e), &e, "cannot delete the mailbox");
    if (keep_user) {
        ent.has_mailbox = 0;
        memset(&ent.mailbox, 0, sizeof(ent.mailbox));
        uint32_t id;
        must(mh_be_dir_put(t, &ent, NULL, &id, &e), &e, "cannot update the user");
    } else {
        must(mh_be_dir_delete(t, ent.id, &e), &e, "cannot delete the user");
    }
    commit(t);
}

static int cmd_user_delete(ctx *c, const char *login)
{
    need_write(c);
    mh_betxn *t = begin(c, NULL, 0);
    mh_dir_entry e = find_user(c, t, login);
    mh_be_abort(t);
    if (e.has_mailbox) {
        delete_with_mailbox(c, &e, 0);
        printf("user %s and mailbox %s deleted\n", login, guid_str(c->pool, &e.mailbox));
        return 0;
    }
    t = begin(c, NULL, 1);
    mh_error err = {MH_OK, NULL};
    must(mh_be_dir_delete(t, e.id, &err), &err, "cannot delete the user");
    commit(t);
    printf("user %s deleted\n", login);
    return 0;
}

static int cmd_group_add(ctx *c, const char *addr)
{
    need_write(c);
    check_address(addr);
    mh_dir_entry g;
    memset(&g, 0, sizeof(g));
    g.type = MH_DIR_GROUP;
    g.display_name = c->o->name ? c->o->name : addr;
    g.smtp = addr;
    g.aliases = alias_list(c, &g.n_aliases);
    g.legacy_dn = legacy_dn(c, addr);
    mh_betxn *t = begin(c, NULL, 1);
    uint32_t id;
    mh_error e = {MH_OK, NULL};
    must(mh_be_dir_put(t, &g, NULL, &id, &e), &e, "cannot add the list");
    commit(t);
    printf("distribution list %s added (directory entry %u)\n", addr, id);
    return 0;
}

static int cmd_group_members(ctx *c, const char *addr, int n, char **members)
{
    need_write(c);
    mh_betxn *t = begin(c, NULL, 1);
    mh_dir_entry g = find_entry(c, t, addr);
    uint32_t *ids = apr_palloc(c->pool, sizeof(uint32_t) * (n ? n : 1));
    for (int i = 0; i < n; i++)
        ids[i] = find_entry(c, t, members[i]).id;
    mh_error e = {MH_OK, NULL};
    must(mh_be_dir_set_members(t, g.id, ids, (uint32_t)n, &e), &e, "cannot set the members");
    commit(t);
    printf("%s has %d member%s\n", addr, n, n == 1 ? "" : "s");
    return 0;
}

/* The owner of a list: who may change its members from Outlook (NSPI
 * ModLinkAtt).  No owner: administrators only. */
static int cmd_group_owner(ctx *c, const char *addr, const char *owner)
{
    need_write(c);
    mh_betxn *t = begin(c, NULL, 1);
    mh_dir_entry g = find_entry(c, t, addr);
    if (g.type != MH_DIR_GROUP)
        die("%s is not a distribution list", addr);
    mh_error e = {MH_OK, NULL};
    if (owner) {
        mh_dir_entry o = find_entry(c, t, owner);
        if (o.type != MH_DIR_USER)
            die("%s is not a user", owner);
        mh_propval v = mh_pv_long(MH_DIR_LINK_OWNER, (int32_t)o.id);
        mh_proplist_set(c->pool, &g.props, &v);
    } else {
        mh_proplist_remove(&g.props, MH_DIR_LINK_OWNER);
    }
    uint32_t id;
    must(mh_be_dir_put(t, &g, NULL, &id, &e), &e, "cannot set the owner");
    commit(t);
    if (owner)
        printf("%s is owned by %s\n", addr, owner);
    else
        printf("%s has no owner\n", addr);
    return 0;
}

static int cmd_group_delete(ctx *c, const char *addr)
{
    need_write(c);
    mh_betxn *t = begin(c, NULL, 1);
    mh_dir_entry g = find_entry(c, t, addr);
    if (g.type != MH_DIR_GROUP)
        die("%s is not a distribution list", addr);
    mh_error e = {MH_OK, NULL};
    must(mh_be_dir_delete(t, g.id, &e), &e, "cannot delete the list");
    commit(t);
    printf("distribution list %s deleted\n", addr);
    return 0;
}

static int cmd_mailbox_create(ctx *c, const char *login)
{
    mh_betxn *t = begin(c, NULL, 0);
    mh_dir_entry e = find_user(c, t, login);
    mh_be_abort(t);
    mh_guid g;
    mh_error err = {MH_OK, NULL};
    must(mh_provision_mailbox(c->b, e.id, NULL, c->pool, &g, &err), &err,
         "cannot create the mailbox");
    printf("mailbox %s created for %s\n", guid_str(c->pool, &g), login);
    return 0;
}

static void print_tree(ctx *c, mh_betxn *t, mh_id folder, int depth, const mh_mailbox_info *mi)
{
    mh_folder_info fi;
    mh_error e = {MH_OK, NULL};
    must(mh_be_folder_info(t, folder, &fi, &e), &e, "folder");
    mh_objref ref = {.kind = MH_OBJ_FOLDER, .id = folder};
    mh_proptag tags[] = {PR_DISPLAY_NAME};
    mh_proplist l;
    must(mh_be_props_get(t, &ref, tags, 1, UINT64_MAX, &l, &e), &e, "folder");
    const mh_propval *name = mh_proplist_find(&l, PR_DISPLAY_NAME);
    printf("  %*s%-*s %8u %8u %6u %12" APR_UINT64_T_FMT "\n", depth * 2, "", 34 - depth * 2,
           name ? name->v.str : "?", fi.content_count, fi.unread_count, fi.fai_count,
           (apr_uint64_t)fi.message_bytes);
    mh_id *kids;
    uint32_t n;
    must(mh_be_folder_children(t, folder, &kids, &n, &e), &e, "folder");
    for (uint32_t i = 0; i < n; i++)
        print_tree(c, t, kids[i], depth + 1, mi);
}

static int cmd_mailbox_stats(ctx *c, const char *login)
{
    mh_betxn *t = begin(c, NULL, 0);
    mh_dir_entry e = find_user(c, t, login);
    mh_be_abort(t);
    if (!e.has_mailbox)
        die("%s has no mailbox", login);
    t = begin(c, &e.mailbox, 0);
    mh_mailbox_info mi;
    mh_error err = {MH_OK, NULL};
    must(mh_be_mailbox_info(t, &mi, &err), &err, "mailbox");
    char created[APR_RFC822_DATE_LEN];
    apr_rfc822_date(created, mi.created);
    printf("mailbox:  %s (%s)\n", guid_str(c->pool, &mi.guid), login);
    printf("created:  %s\n", created);
    printf("messages: %u\n", mi.message_count);
    printf("size:     %" APR_UINT64_T_FMT " bytes\n", (apr_uint64_t)mi.message_bytes);
    printf("folders:  %u\n", mi.folder_count);
    printf("last ID:  %" APR_UINT64_T_FMT "\n", (apr_uint64_t)mi.last_id);
    printf("  %-34s %8s %8s %6s %12s\n", "FOLDER", "ITEMS", "UNREAD", "HIDDEN", "BYTES");
    if (mi.special[MH_SF_ROOT])
        print_tree(c, t, mi.special[MH_SF_ROOT], 0, &mi);
    mh_be_abort(t);
    return 0;
}

static int cmd_mailbox_delete(ctx *c, const char *login)
{
    need_write(c);
    mh_betxn *t = begin(c, NULL, 0);
    mh_dir_entry e = find_user(c, t, login);
    mh_be_abort(t);
    if (!e.has_mailbox)
        die("%s has no mailbox", login);
    delete_with_mailbox(c, &e, 1);
    printf("mailbox of %s deleted\n", login);
    return 0;
}

static void report(void *baton, const char *problem)
{
    printf("  %s: %s\n", (const char *)baton, problem);
}

static uint32_t check_one(ctx *c, const mh_guid *g, const char *label)
{
    mh_betxn *t = begin(c, g, c->o->repair);
    uint32_t n = 0;
    mh_error e = {MH_OK, NULL};
    must(mh_be_check(t, c->o->repair, report, (void *)label, &n, &e), &e, "check");
    if (c->o->repair && n)
        commit(t);
    else
        mh_be_abort(t);
    return n;
}

static int cmd_check(ctx *c, int n, char **logins)
{
    if (!MH_SLOT(c->b->be, check))
        die("backend %s has no consistency check", c->b->be->name);
    uint32_t problems = 0, checked = 0;
    if (n == 0) {
        problems += check_one(c, NULL, "directory");
        mh_betxn *t = begin(c, NULL, 0);
        mh_guid *gs;
        uint32_t ng;
        mh_error e = {MH_OK, NULL};
        must(mh_be_mailbox_list(t, &gs, &ng, &e), &e, "list mailboxes");
        mh_be_abort(t);
        for (uint32_t i = 0; i < ng; i++, checked++)
            problems += check_one(c, &gs[i], guid_str(c->pool, &gs[i]));
    } else {
        for (int i = 0; i < n; i++, checked++) {
            mh_betxn *t = begin(c, NULL, 0);
            mh_dir_entry e = find_user(c, t, logins[i]);
            mh_be_abort(t);
            if (!e.has_mailbox)
                die("%s has no mailbox", logins[i]);
            problems += check_one(c, &e.mailbox, logins[i]);
        }
    }
    printf("%u mailbox%s checked%s: %u problem%s%s\n", checked, checked == 1 ? "" : "es",
           n == 0 ? " and the directory" : "", problems, problems == 1 ? "" : "s",
           problems && c->o->repair ? " (repaired what could be)" : "");
    return problems && !c->o->repair ? 2 : 0;
}

/* -------------------------------------------------------------- main */

static void owner_ids(const char *spec, long *uid, long *gid)
{
    char *user = strdup(spec), *group = strchr(user, ':');
    if (group)
        *group++ = 0;
    struct passwd *pw = getpwnam(user);
    if (!pw)
        die("no system user '%s'", user);
    *uid = (long)pw->pw_uid;
    *gid = (long)pw->pw_gid;
    if (group) {
        struct group *gr = getgrnam(group);
        if (!gr)
            die("no system group '%s'", group);
        *gid = (long)gr->gr_gid;
    }
    free(user);
}

int main(int argc, char **argv)
{
    apr_initialize();
    atexit(apr_terminate);
    apr_pool_t *pool;
    apr_pool_create(&pool, NULL);
    opts o;
    memset(&o, 0, sizeof(o));
    o.cost = MH_BCRYPT_COST;
    o.aliases = apr_array_make(pool, 4, sizeof(const char *));
    const char *conf = NULL;
    apr_array_header_t *args = apr_array_make(pool, 8, sizeof(char *));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define VALUE() (i + 1 < argc ? argv[++i] : (die("%s needs a value", a), ""))
        if (strcmp(a, "--backend") == 0 || strcmp(a, "-b") == 0)
            o.backend = VALUE();
        else if (strcmp(a, "--module") == 0 || strcmp(a, "-m") == 0)
            o.module = VALUE();
        else if (strcmp(a, "--conf") == 0)
            conf = VALUE();
        else if (strcmp(a, "--org") == 0)
            o.org = VALUE();
        else if (strcmp(a, "--legacy-dn-scheme") == 0)
            o.legacy_dn_scheme = VALUE();
        else if (strcmp(a, "--owner") == 0)
            o.owner = VALUE();
        else if (strcmp(a, "--name") == 0)
            o.name = VALUE();
        else if (strcmp(a, "--email") == 0)
            o.email = VALUE();
        else if (strcmp(a, "--alias") == 0) {
            APR_ARRAY_PUSH(o.aliases, const char *) = VALUE();
            o.aliases_given = 1;
        } else if (strcmp(a, "--no-aliases") == 0)
            o.aliases_given = 1;
        else if (strcmp(a, "--password") == 0)
            o.password = VALUE();
        else if (strcmp(a, "--password-stdin") == 0)
            o.password_stdin = 1;
        else if (strcmp(a, "--server") == 0)
            o.server = VALUE();
        else if (strcmp(a, "--bcrypt-cost") == 0) {
            o.cost = atoi(VALUE());
            if (o.cost < 4 || o.cost > 31)
                die("--bcrypt-cost: 4 to 31");
        } else if (strcmp(a, "--no-mailbox") == 0)
            o.no_mailbox = 1;
        else if (strcmp(a, "--repair") == 0)
            o.repair = 1;
        else if (strcmp(a, "--disable") == 0)
            o.disable = 1;
        else if (strcmp(a, "--enable") == 0)
            o.enable = 1;
        else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0)
            o.verbose = 1;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (a[0] == '-' && a[1])
            die("unknown option %s (see --help)", a);
        else
            APR_ARRAY_PUSH(args, char *) = argv[i];
#undef VALUE
    }
    /* failures are reported once, by the command; --verbose shows the
     * core's own log lines too */
    mh_log_set_sink(NULL, NULL, o.verbose ? MH_LOG_DEBUG : -1);
    int n = args->nelts;
    char **w = (char **)args->elts;
    if (n == 0) {
        usage(stderr);
        return 1;
    }
    if (strcmp(w[0], "version") == 0) {
        printf("mapihttp-admin %s (backend interface %d)\n", PACKAGE_VERSION,
               MH_BACKEND_ABI_VERSION);
        return 0;
    }
    if (o.disable && o.enable)
        die("--disable and --enable together");
    /* new users get the legacy DNs the server would derive */
    if (conf && !o.org)
        o.org = mh_tool_directive_from_conf(pool, conf, "MapiHttpOrganization");
    if (conf && !o.legacy_dn_scheme)
        o.legacy_dn_scheme = mh_tool_directive_from_conf(pool, conf, "MapiHttpLegacyDNScheme");
    const char *bad;
    if (o.org && (bad = mh_organization_check(o.org, pool)))
        die("organization '%s': %s", o.org, bad);
    if (o.legacy_dn_scheme && (bad = mh_legacy_dn_scheme_check(o.legacy_dn_scheme, pool)))
        die("legacy DN scheme '%s': %s", o.legacy_dn_scheme, bad);
    if (!o.backend && conf) {
        const char *module = NULL, *why = NULL;
        o.backend = mh_tool_backend_from_conf(pool, conf, &module, &why);
        if (!o.backend)
            die("%s", why);
        if (!o.module)
            o.module = module;
    }
    if (!o.backend)
        o.backend = getenv("MAPIHTTP_BACKEND");
    if (!o.backend || !*o.backend)
        o.backend = DEFAULT_BACKEND;

    int is_init = strcmp(w[0], "init") == 0;
    /* the store belongs to the user httpd's children run as; run as root,
     * the tool works as that user (and init hands the store to it) */
    long uid = -1, gid = -1;
    if (o.owner)
        owner_ids(o.owner, &uid, &gid);
    else if (geteuid() == 0 && getpwnam("www-data"))
        owner_ids("www-data", &uid, &gid);
    ctx c = {pool, NULL, &o};
    const char *why = NULL;
    if (mh_tool_backend(pool, o.backend, o.module, is_init, uid, gid, &c.b, &why) != 0)
        die("%s", why);

#define NEED(k) do { if (n != (k)) { usage(stderr); return 1; } } while (0)
    if (is_init) {
        NEED(1);
        return cmd_init(&c);
    }
    if (strcmp(w[0], "user") == 0 && n >= 2) {
        if (strcmp(w[1], "add") == 0) { NEED(3); return cmd_user_add(&c, w[2]); }
        if (strcmp(w[1], "list") == 0) { NEED(2); return cmd_user_list(&c); }
        if (strcmp(w[1], "show") == 0) { NEED(3); return cmd_user_show(&c, w[2]); }
        if (strcmp(w[1], "set") == 0) { NEED(3); return cmd_user_set(&c, w[2], NULL); }
        if (strcmp(w[1], "rename") == 0) { NEED(4); return cmd_user_set(&c, w[2], w[3]); }
        if (strcmp(w[1], "passwd") == 0) { NEED(3); return cmd_user_passwd(&c, w[2]); }
        if (strcmp(w[1], "delete") == 0) { NEED(3); return cmd_user_delete(&c, w[2]); }
    } else if (strcmp(w[0], "group") == 0 && n >= 3) {
        if (strcmp(w[1], "add") == 0) { NEED(3); return cmd_group_add(&c, w[2]); }
        if (strcmp(w[1], "members") == 0) return cmd_group_members(&c, w[2], n - 3, w + 3);
        if (strcmp(w[1], "delete") == 0) { NEED(3); return cmd_group_delete(&c, w[2]); }
        if (strcmp(w[1], "owner") == 0 && n <= 4)
            return cmd_group_owner(&c, w[2], n == 4 ? w[3] : NULL);
    } else if (strcmp(w[0], "mailbox") == 0 && n == 3) {
        if (strcmp(w[1], "create") == 0) return cmd_mailbox_create(&c, w[2]);
        if (strcmp(w[1], "stats") == 0) return cmd_mailbox_stats(&c, w[2]);
        if (strcmp(w[1], "delete") == 0) return cmd_mailbox_delete(&c, w[2]);
    } else if (strcmp(w[0], "check") == 0) {
        return cmd_check(&c, n - 1, w + 1);
    }
#undef NEED
    usage(stderr);
    return 1;
}
