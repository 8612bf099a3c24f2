/*
 * mh_legacydn.h - the organization name and the scheme of the legacy DNs
 * (X.500 "distinguished names" such as /o=First Organization/ou=Exchange
 * Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ada) that
 * Exchange clients use to name address book entries (MS-OXOABK 2.2.3.1).
 *
 * One source for both: the module (MapiHttpOrganization,
 * MapiHttpLegacyDNScheme) and mapihttp-admin (--org, --legacy-dn-scheme,
 * which gives new users their DN) use these defaults and this function, so
 * that what the tool stores and what the server derives agree.  A
 * directory entry's stored legacy DN always wins; the scheme only makes DNs
 * for new entries and for entries a directory keeps without one.
 */
#ifndef MH_LEGACYDN_H
#define MH_LEGACYDN_H

#include <apr_pools.h>

#include "mapihttp/backend.h"

#define MH_DEFAULT_ORGANIZATION "First Organization"
/* %o: the organization, %u: the entry's name (see mh_legacy_dn_make), %%: % */
#define MH_DEFAULT_LEGACY_DN_SCHEME \
    "/o=%o/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=%u"

/* Longest organization name and scheme accepted. */
#define MH_ORGANIZATION_MAX 64
#define MH_LEGACY_DN_SCHEME_MAX 256

/*
 * Checks an organization name: 1 to 64 printable ASCII characters, none of
 * '/', '=', '%', '"' or '\\', no space at either end.  NULL when usable,
 * else why not (in `pool`).
 */
const char *mh_organization_check(const char *org, apr_pool_t *pool);

/*
 * Checks a scheme: printable ASCII starting with "/o=", at most 256
 * characters, %u exactly once, %o at most once, no other % escape than %%.
 * NULL when usable, else why not.
 */
const char *mh_legacy_dn_scheme_check(const char *scheme, apr_pool_t *pool);

/*
 * The legacy DN of an entry called `name` (a login or an address): the
 * scheme with %o replaced by `org` and %u by `name` in lower case, every
 * character other than [a-z0-9.-_@] replaced by '_'.  NULL arguments mean
 * the defaults.  The scheme and org must have passed the checks above.
 */
const char *mh_legacy_dn_make(apr_pool_t *pool, const char *scheme, const char *org,
                              const char *name);

/*
 * The legacy DN of directory entry `e`, the one derivation every part of
 * the server uses (Autodiscover's LegacyDN, Connect's UserDn check): the DN
 * the entry keeps, else (a directory that keeps none, such as LDAP) the
 * scheme's for its login, or for an entry without one the local part of
 * its SMTP address.  NULL scheme and org: the defaults.  Never NULL.
 */
const char *mh_entry_legacy_dn(apr_pool_t *pool, const char *scheme, const char *org,
                               const mh_dir_entry *e);

#endif
