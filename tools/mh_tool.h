/*
 * mh_tool.h - what the command-line tools share: choosing and opening a
 * storage backend outside httpd.
 *
 * A backend is named the way MapiHttpBackend names it, "NAME key=value ...".
 * The LMDB backend is built into the tools; any other is loaded from its
 * Apache module file (--module), which exports it (MH_BACKEND_EXPORT) so
 * that no httpd is needed.
 */
#ifndef MH_TOOL_H
#define MH_TOOL_H

#include <apr_pools.h>

#include "mh_backend.h"

/* Splits a MapiHttpBackend-style line into words ("..." groups words). */
int mh_tool_split(apr_pool_t *pool, const char *line, const char ***argv_r);

/*
 * The backend `spec` names, from the module file `module` (NULL: built in),
 * instantiated with the spec's options.  With `prepare`, the storage is
 * created or checked first (and given to uid/gid unless -1).  Then opened
 * for this process; a process running as root becomes uid/gid first (when
 * not -1), so that root never opens files in storage another user owns.
 * 0 on success; -1 with *why_r otherwise.
 */
int mh_tool_backend(apr_pool_t *pool, const char *spec, const char *module, int prepare,
                    long uid, long gid, mh_be **b_r, const char **why_r);

/* The same with the words already split (argv[0] is the name). */
int mh_tool_backend_argv(apr_pool_t *pool, int argc, const char *const *argv,
                         const char *module, int prepare, long uid, long gid, mh_be **b_r,
                         const char **why_r);

/*
 * The backend the main server of an httpd configuration file uses: its
 * last MapiHttpBackend line outside <VirtualHost> (Include is not
 * followed), or NULL with *why_r.  *module_r: the file a LoadModule line
 * names for a backend module other than the built-in ones (relative paths
 * taken from ServerRoot, as httpd does), or NULL.
 */
const char *mh_tool_backend_from_conf(apr_pool_t *pool, const char *path,
                                      const char **module_r, const char **why_r);

/*
 * The argument of the main server's last `name` line in an httpd
 * configuration file (outside <VirtualHost>; Include is not followed; "..."
 * quoting as httpd reads it), or NULL when there is none or the file cannot
 * be read.  mapihttp-admin takes MapiHttpOrganization and
 * MapiHttpLegacyDNScheme from it, so that new users get the DNs the server
 * derives.
 */
const char *mh_tool_directive_from_conf(apr_pool_t *pool, const char *path, const char *name);

/*
 * For tests and benchmarks on an empty store: a user `login` and its
 * provisioned mailbox; *mbx_r is the mailbox, *inbox_r its Inbox.  0 on
 * success; -1 with *why_r otherwise.
 */
int mh_tool_user_mailbox(const mh_be *b, const char *login, apr_pool_t *pool, mh_guid *mbx_r,
                         mh_id *inbox_r, const char **why_r);

#endif
