/*
 * mapihttp/module.h - for a backend's Apache module: registering the
 * backend, and an authentication provider when its directory holds
 * passwords.  Needs httpd's headers (the rest of include/mapihttp does not).
 *
 * A backend module's register_hooks does:
 *
 *     MH_AUTHN_PROVIDER(my_backend)          (at file level, once)
 *
 *     static void register_hooks(apr_pool_t *p)
 *     {
 *         ap_register_provider(p, MH_BACKEND_PROVIDER_GROUP, "mybackend",
 *                              MH_BACKEND_PROVIDER_VERSION, &my_backend);
 *         MH_AUTHN_REGISTER(my_backend, p);
 *     }
 *
 * after which "AuthBasicProvider mybackend" checks passwords against the
 * hashes dir_password returns, for the instance the server's
 * MapiHttpBackend line names.  mod_mapihttp does the work (through an
 * optional function, so a backend module links nothing of it): one
 * directory lookup per request, and the slow hash check only when these
 * credentials were not verified recently (MapiHttpAuthCacheTimeout).
 */
#ifndef MAPIHTTP_MODULE_H
#define MAPIHTTP_MODULE_H

#include <httpd.h>
#include <http_log.h>
#include <ap_provider.h>
#include <http_request.h>
#include <mod_auth.h>
#include <apr_optional.h>

#include "mapihttp/backend.h"

#ifndef MHLOGNO
#define MHLOGNO(n) "MH" #n ": "
#endif

/* Implemented by mod_mapihttp. */
APR_DECLARE_OPTIONAL_FN(authn_status, mapihttp_check_password,
                        (request_rec *r, const mh_backend *be, const char *user,
                         const char *password));

#define MH_AUTHN_PROVIDER(be_var)                                                   \
    static authn_status mh_authn_check_##be_var(request_rec *r, const char *user,   \
                                                const char *password)               \
    {                                                                               \
        APR_OPTIONAL_FN_TYPE(mapihttp_check_password) *fn =                         \
            APR_RETRIEVE_OPTIONAL_FN(mapihttp_check_password);                      \
        if (!fn) {                                                                  \
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, MHLOGNO(00020)               \
                          "AuthBasicProvider %s needs mod_mapihttp loaded",          \
                          (be_var).name);                                           \
            return AUTH_GENERAL_ERROR;                                              \
        }                                                                           \
        return fn(r, &(be_var), user, password);                                    \
    }                                                                               \
    static const authn_provider mh_authn_provider_##be_var = {                      \
        mh_authn_check_##be_var, NULL};

#define MH_AUTHN_REGISTER(be_var, pool)                                             \
    ap_register_auth_provider((pool), AUTHN_PROVIDER_GROUP, (be_var).name,          \
                              AUTHN_PROVIDER_VERSION, &mh_authn_provider_##be_var,  \
                              AP_AUTH_INTERNAL_PER_CONF)

#endif
