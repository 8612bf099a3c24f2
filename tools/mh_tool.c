/*
 * mh_tool.c - backends for the command-line tools.
 */
#include "mh_tool.h"
#include "mh_provision.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <apr_tables.h>

extern const mh_backend mh_lmdb_backend;

int mh_tool_split(apr_pool_t *pool, const char *line, const char ***argv_r)
{
    apr_array_header_t *a = apr_array_make(pool, 8, sizeof(const char *));
    const char *p = line;
    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        char *w = apr_palloc(pool, strlen(p) + 1), *o = w;
        int quoted = 0;
        while (*p && (quoted || !isspace((unsigned char)*p))) {
            if (*p == '"') {
                quoted = !quoted;
                p++;
                continue;
            }
            if (*p == '\\' && p[1])
                p++;
            *o++ = *p++;
        }
        *o = 0;
        APR_ARRAY_PUSH(a, const char *) = w;
    }
    APR_ARRAY_PUSH(a, const char *) = NULL;
    *argv_r = (const char **)a->elts;
    return a->nelts - 1;
}

int mh_tool_backend(apr_pool_t *pool, const char *spec, const char *module, int prepare,
                    long uid, long gid, mh_be **b_r, const char **why_r)
{
    const char **argv;
    int argc = mh_tool_split(pool, spec, &argv);
    return mh_tool_backend_argv(pool, argc, argv, module, prepare, uid, gid, b_r, why_r);
}

int mh_tool_backend_argv(apr_pool_t *pool, int argc, const char *const *argv,
                         const char *module, int prepare, long uid, long gid, mh_be **b_r,
                         const char **why_r)
{
    const char *spec = argc > 0 ? argv[0] : "";
    for (int i = 1; i < argc; i++)
        spec = apr_pstrcat(pool, spec, " ", argv[i], NULL);
    if (argc < 1) {
        *why_r = "no backend named (e.g. --backend \"lmdb path=/var/lib/mapihttp/store\")";
        return -1;
    }
    const mh_backend *be = NULL;
    if (module) {
        void *h = dlopen(module, RTLD_NOW | RTLD_LOCAL);
        if (!h) /* a module may refer to httpd's symbols: leave them unresolved */
            h = dlopen(module, RTLD_LAZY | RTLD_LOCAL);
        if (!h) {
            *why_r = apr_psprintf(pool, "cannot load %s: %s", module, dlerror());
            return -1;
        }
        const mh_backend *(*entry)(void) =
            (const mh_backend *(*)(void))dlsym(h, MH_BACKEND_ENTRY_SYMBOL);
        if (!entry) {
            *why_r = apr_psprintf(pool, "%s exports no backend (%s)", module,
                                  MH_BACKEND_ENTRY_SYMBOL);
            return -1;
        }
        be = entry();
    } else if (strcmp(argv[0], "lmdb") == 0) {
        be = &mh_lmdb_backend;
    }
    if (!be || !be->name || strcmp(be->name, argv[0]) != 0) {
        *why_r = module ? apr_psprintf(pool, "%s holds backend '%s', not '%s'", module,
                                       be && be->name ? be->name : "?", argv[0])
                        : apr_psprintf(pool, "no built-in backend '%s' (built in: lmdb; "
                                             "load others with --module FILE.so)",
                                       argv[0]);
        return -1;
    }
    mh_error err = {MH_OK, NULL};
    mh_be *b;
    if (mh_be_create(be, pool, argc - 1, argv + 1, &b, &err) != MH_OK ||
        (prepare && mh_be_prepare(b, uid, gid, pool, &err) != MH_OK)) {
        *why_r = apr_psprintf(pool, "backend %s: %s", spec,
                              err.detail ? err.detail : mh_err_name(err.code));
        return -1;
    }
    if (geteuid() == 0 && (uid != -1 || gid != -1) &&
        ((gid != -1 && (setgroups(0, NULL) != 0 || setgid((gid_t)gid) != 0)) ||
         (uid != -1 && setuid((uid_t)uid) != 0))) {
        *why_r = apr_psprintf(pool, "cannot become uid %ld gid %ld: %s", uid, gid,
                              strerror(errno));
        return -1;
    }
    if (mh_be_open(b, pool, &err) != MH_OK) {
        *why_r = apr_psprintf(pool, "backend %s: %s", spec,
                              err.detail ? err.detail : mh_err_name(err.code));
        return -1;
    }
    b->label = apr_pstrdup(pool, spec);
    *b_r = b;
    return 0;
}

const char *mh_tool_backend_from_conf(apr_pool_t *pool, const char *path,
                                      const char **module_r, const char **why_r)
{
    FILE *f = fopen(path, "r");
    *module_r = NULL;
    if (!f) {
        *why_r = apr_psprintf(pool, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char line[4096];
    const char *found = NULL, *server_root = NULL, *module = NULL;
    int in_vhost = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = 0;
        const char **w;
        int n = mh_tool_split(pool, line, &w);
        if (n == 0 || w[0][0] == '#')
            continue;
        if (strncasecmp(w[0], "<VirtualHost", 12) == 0)
            in_vhost = 1;
        else if (strcasecmp(w[0], "</VirtualHost>") == 0)
            in_vhost = 0;
        else if (in_vhost)
            continue; /* the main server's backend is what the tools use */
        else if (n >= 2 && strcasecmp(w[0], "ServerRoot") == 0)
            server_root = w[1];
        else if (n >= 2 && strcasecmp(w[0], "MapiHttpBackend") == 0)
            found = apr_pstrdup(pool, strstr(line, w[0]) + strlen(w[0])); /* the last wins */
        else if (n >= 3 && strcasecmp(w[0], "LoadModule") == 0 &&
                 strncmp(w[1], "mapihttp_", 9) == 0 && strcmp(w[1], "mapihttp_module") != 0 &&
                 strcmp(w[1], "mapihttp_lmdb_module") != 0)
            module = w[2];
    }
    fclose(f);
    if (module && module[0] != '/' && server_root)
        module = apr_pstrcat(pool, server_root, "/", module, NULL); /* as httpd resolves it */
    *module_r = module;
    if (!found)
        *why_r = apr_psprintf(pool, "%s has no MapiHttpBackend line outside <VirtualHost>", path);
    return found;
}

const char *mh_tool_directive_from_conf(apr_pool_t *pool, const char *path, const char *name)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char line[4096];
    const char *found = NULL;
    int in_vhost = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = 0;
        const char **w;
        int n = mh_tool_split(pool, line, &w);
        if (n == 0 || w[0][0] == '#')
            continue;
        if (strncasecmp(w[0], "<VirtualHost", 12) == 0)
            in_vhost = 1;
        else if (strcasecmp(w[0], "</VirtualHost>") == 0)
            in_vhost = 0;
        else if (!in_vhost && n >= 2 && strcasecmp(w[0], name) == 0)
            found = w[1]; /* the last wins, as in httpd */
    }
    fclose(f);
    return found;
}

int mh_tool_user_mailbox(const mh_be *b, const char *login, apr_pool_t *pool, mh_guid *mbx_r,
                         mh_id *inbox_r, const char **why_r)
{
    mh_betxn *t;
    mh_error e = {MH_OK, NULL};
    mh_dir_entry u;
    memset(&u, 0, sizeof(u));
    u.type = MH_DIR_USER;
    u.login = login;
    u.display_name = login;
    u.legacy_dn = apr_pstrcat(pool, "/o=Test/ou=Exchange Administrative Group "
                                    "(FYDIBOHF23SPDLT)/cn=Recipients/cn=", login, NULL);
    uint32_t uid;
    mh_mailbox_info mi;
    if (mh_be_begin(b, NULL, MH_TXN_WRITE, pool, &t, &e) != MH_OK ||
        mh_be_dir_put(t, &u, NULL, &uid, &e) != MH_OK || mh_be_commit(t, &e) != MH_OK ||
        mh_provision_mailbox(b, uid, NULL, pool, mbx_r, &e) != MH_OK ||
        mh_be_begin(b, mbx_r, MH_TXN_READ, pool, &t, &e) != MH_OK ||
        mh_be_mailbox_info(t, &mi, &e) != MH_OK) {
        *why_r = apr_psprintf(pool, "cannot make user %s and a mailbox: %s", login,
                              e.detail ? e.detail : mh_err_name(e.code));
        return -1;
    }
    mh_be_abort(t);
    *inbox_r = mi.special[MH_SF_INBOX];
    return 0;
}
