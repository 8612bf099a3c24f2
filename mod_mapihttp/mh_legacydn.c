/*
 * mh_legacydn.c - the organization name and the legacy DN scheme (see
 * mh_legacydn.h).
 */
#include "mh_legacydn.h"

#include <string.h>
#include <apr_strings.h>

static int printable(unsigned char c)
{
    return c >= 0x20 && c <= 0x7E;
}

const char *mh_organization_check(const char *org, apr_pool_t *pool)
{
    size_t n = org ? strlen(org) : 0;
    if (n == 0 || n > MH_ORGANIZATION_MAX)
        return apr_psprintf(pool, "the organization name must have 1 to %d characters",
                            MH_ORGANIZATION_MAX);
    if (org[0] == ' ' || org[n - 1] == ' ')
        return "the organization name must not begin or end with a space";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)org[i];
        if (!printable(c) || strchr("/=%\"\\", c))
            return "the organization name may hold printable ASCII characters other than "
                   "/ = % \" and \\ (it becomes part of every legacy DN)";
    }
    return NULL;
}

const char *mh_legacy_dn_scheme_check(const char *scheme, apr_pool_t *pool)
{
    size_t n = scheme ? strlen(scheme) : 0;
    if (n == 0 || n > MH_LEGACY_DN_SCHEME_MAX)
        return apr_psprintf(pool, "the scheme must have 1 to %d characters",
                            MH_LEGACY_DN_SCHEME_MAX);
    if (strncasecmp(scheme, "/o=", 3) != 0)
        return "the scheme must begin with /o= (legacy DNs are /o=ORG/ou=.../cn=...)";
    int users = 0, orgs = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)scheme[i];
        if (!printable(c))
            return "the scheme may hold printable ASCII characters only";
        if (c != '%')
            continue;
        char e = scheme[++i];
        if (e == 'u')
            users++;
        else if (e == 'o')
            orgs++;
        else if (e != '%')
            return "the scheme knows %o (the organization), %u (the entry's name) and %% "
                   "(a percent sign), nothing else after %";
    }
    if (users != 1)
        return "the scheme must hold %u (the entry's name) exactly once, so that every "
               "entry gets a DN of its own";
    if (orgs > 1)
        return "the scheme may hold %o (the organization) at most once";
    return NULL;
}

const char *mh_legacy_dn_make(apr_pool_t *pool, const char *scheme, const char *org,
                              const char *name)
{
    if (!scheme)
        scheme = MH_DEFAULT_LEGACY_DN_SCHEME;
    if (!org)
        org = MH_DEFAULT_ORGANIZATION;
    if (!name)
        name = "";
    char *cn = apr_pstrdup(pool, name);
    for (char *p = cn; *p; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            *p = (char)(c - 'A' + 'a');
        else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                   c == '-' || c == '_' || c == '@'))
            *p = '_';
    }
    /* two passes: the length, then the text (the scheme may be unchecked) */
    char *out = NULL;
    size_t o = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            out = apr_palloc(pool, o + 1);
        o = 0;
        for (const char *s = scheme; *s; s++) {
            const char *put = NULL;
            if (*s == '%' && s[1]) {
                s++;
                put = *s == 'o' ? org : *s == 'u' ? cn : *s == '%' ? "%" : "";
            }
            size_t k = put ? strlen(put) : 1;
            if (out)
                memcpy(out + o, put ? put : s, k);
            o += k;
        }
    }
    out[o] = 0;
    return out;
}

const char *mh_entry_legacy_dn(apr_pool_t *pool, const char *scheme, const char *org,
                               const mh_dir_entry *e)
{
    if (e->legacy_dn && *e->legacy_dn)
        return e->legacy_dn;
    const char *name = e->login;
    if (!name && e->smtp)
        name = apr_pstrmemdup(pool, e->smtp, strcspn(e->smtp, "@"));
    return mh_legacy_dn_make(pool, scheme, org, name ? name : "");
}
