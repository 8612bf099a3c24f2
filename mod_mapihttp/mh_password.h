/*
 * mh_password.h - password hashes in the directory, and verifying them fast.
 *
 * Passwords are stored as bcrypt hashes ("$2y$..."), which cost tens of
 * milliseconds to check on purpose.  A MAPI/HTTP client sends its
 * credentials with every request, so mod_mapihttp remembers which
 * (user, password, stored hash) triples it has verified:
 *
 *  - the cache holds HMAC-SHA256(per-process random key, user, password,
 *    stored hash), never a password or anything that can be tested offline
 *    without the key, which never leaves the process's memory;
 *  - the stored hash is part of what is remembered, so a password change
 *    (a new hash) or a deleted or disabled user (no hash: the directory is
 *    asked on every request) takes effect at once;
 *  - entries expire after `ttl`; only successes are remembered, so a wrong
 *    password always pays for the full bcrypt check;
 *  - the table has a fixed number of slots (a newer entry replaces an older
 *    one in its slot), so memory is bounded whatever clients send.
 */
#ifndef MH_PASSWORD_H
#define MH_PASSWORD_H

#include <apr_pools.h>
#include <apr_time.h>

/* bcrypt cost of new hashes (2^cost rounds). */
#define MH_BCRYPT_COST 10

/* A new bcrypt hash of `password`; NULL when the system has no randomness. */
const char *mh_password_hash(apr_pool_t *pool, const char *password, unsigned cost);

typedef struct mh_authcache mh_authcache;

/* A cache of `slots` entries living `ttl` (slots 0 or ttl 0: no caching).
 * Safe for concurrent use by the threads of a process. */
mh_authcache *mh_authcache_create(apr_pool_t *pool, unsigned slots, apr_interval_time_t ttl);

/*
 * Whether `password` matches the stored `hash` of `user`: from the cache
 * when this exact triple was verified within the ttl, else by the hash's
 * own algorithm (and then remembered).  `cached_r` (may be NULL) tells
 * which.  1 on a match, 0 otherwise.
 */
int mh_password_verify(mh_authcache *c, const char *user, const char *password,
                       const char *hash, apr_time_t now, int *cached_r);

/*
 * A bcrypt hash (cost MH_BCRYPT_COST) no password matches: checked against
 * when a user is unknown, so that a failed login takes as long either way.
 */
const char *mh_password_dummy_hash(void);

#endif
