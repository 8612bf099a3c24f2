/*
 * mh_owner.h - storage that root prepares at start-up for the user httpd's
 * children run as (the session store, a backend's store).
 *
 * The directory belongs to that user, so whatever is in it may have been
 * put there by that user: root never opens or chowns a file in it by name.
 * It hands over what is there without following links (mh_hand_over) and
 * does the opening and creating in a child process that has become the
 * user (mh_run_as).
 */
#ifndef MH_OWNER_H
#define MH_OWNER_H

#include <apr_pools.h>

/* Creates a directory and its missing parents: parents 0755, itself 0700.
 * 0, or -1 with *why_r. */
int mh_make_dirs(const char *path, apr_pool_t *pool, const char **why_r);

/*
 * Gives `dir` and the files `names` (NULL-terminated, relative to dir) to
 * uid/gid (-1: leave): a file must be a plain file with one name, opened
 * without following links; a missing file is fine; a `dir` that is a link
 * is used as it is, unchanged.  0, or -1 with *why_r.
 */
int mh_hand_over(const char *dir, const char *const *names, long uid, long gid,
                 apr_pool_t *pool, const char **why_r);

/* Work done as the user: NULL on success, else what went wrong. */
typedef const char *mh_as_user_fn(void *baton, apr_pool_t *pool);

/*
 * Runs `fn` in a child process that has become uid/gid (-1: keep) and
 * waits for it.  The child leaves without running cleanups or exit
 * handlers.  0, or -1 with *why_r (fn's message when it failed).
 */
int mh_run_as(long uid, long gid, mh_as_user_fn *fn, void *baton, apr_pool_t *pool,
              const char **why_r);

#endif
