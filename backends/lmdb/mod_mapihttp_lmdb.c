/*
 * mod_mapihttp_lmdb.c - the LMDB backend as an Apache module: registers the
 * "lmdb" provider of group mapihttp_backend, which `MapiHttpBackend lmdb
 * path=...` selects, and the "lmdb" authentication provider
 * (`AuthBasicProvider lmdb`), which checks passwords against the hashes in
 * the store's directory.  The backend itself (lmdb_*.c) is httpd-free.
 */
#include <httpd.h>
#include <http_config.h>
#include <ap_provider.h>

#include "lmdb_be.h"
#include "mapihttp/module.h"

MH_BACKEND_EXPORT(mh_lmdb_backend)
MH_AUTHN_PROVIDER(mh_lmdb_backend)

static void register_hooks(apr_pool_t *p)
{
    ap_register_provider(p, MH_BACKEND_PROVIDER_GROUP, "lmdb", MH_BACKEND_PROVIDER_VERSION,
                         &mh_lmdb_backend);
    MH_AUTHN_REGISTER(mh_lmdb_backend, p);
}

AP_DECLARE_MODULE(mapihttp_lmdb) = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL,
    register_hooks,
#if defined(AP_MODULE_FLAG_NONE)
    AP_MODULE_FLAG_NONE
#endif
};
