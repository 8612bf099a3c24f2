/*
 * mod_mapihttp.h - the httpd glue's shared declarations: configuration
 * records and the directive table (mod_mapihttp_config.c), used by the
 * hooks and the handler (mod_mapihttp.c).
 */
#ifndef MOD_MAPIHTTP_H
#define MOD_MAPIHTTP_H

#include <httpd.h>
#include <http_config.h>
#include <apr_hash.h>

#include "mh_autodiscover.h"
#include "mh_backend.h"
#include "mh_call.h"
#include "mh_session.h"

extern module AP_MODULE_DECLARE_DATA mapihttp_module;

/* Unset markers: values merge from the enclosing scope when unset. */
#define MH_UNSET -1

/* Per-directory (<Location>, <VirtualHost>, server) configuration. */
typedef struct mh_dir_conf {
    int enabled; /* MapiHttp On|Off */
} mh_dir_conf;

/* Per-server configuration.  The session store settings are global. */
typedef struct mh_srv_conf {
    apr_int64_t idle_timeout_sec;     /* MapiHttpSessionIdleTimeout */
    apr_int64_t pending_period_ms;    /* MapiHttpPendingPeriod */
    apr_int64_t wait_timeout_sec;     /* MapiHttpNotificationWaitTimeout */
    apr_int64_t sessions_per_user;    /* MapiHttpSessionsPerUser */
    apr_int64_t max_body;             /* MapiHttpMaxRequestBody */
    apr_int64_t chain_responses;      /* MapiHttpChainedResponses (0/1) */
    mh_be *backend;                   /* MapiHttpBackend (NULL: inherit / none) */
    /* Autodiscover (NULL: inherit / the default) */
    const char *external_url;         /* MapiHttpExternalUrl, normalised */
    const char *internal_url;         /* MapiHttpInternalUrl, normalised */
    const char *organization;         /* MapiHttpOrganization */
    const char *legacy_dn_scheme;     /* MapiHttpLegacyDNScheme */
    apr_array_header_t *ad_redirects; /* MapiHttpAutodiscoverRedirect (mh_ad_redirect) */
    /* global only */
    const char *store_path;           /* MapiHttpSessionStore */
    apr_int64_t store_size_mb;        /* MapiHttpSessionStoreSize */
    apr_int64_t auth_cache_sec;       /* MapiHttpAuthCacheTimeout */
    apr_int64_t auth_cache_entries;   /* MapiHttpAuthCacheEntries */

    /* derived in post_config / child_init */
    mh_service svc;
    mh_ad_config ad;
} mh_srv_conf;

/* Defaults (documented in docs/admin.md and conf.d/mapihttp.conf). */
#define MH_DEFAULT_IDLE_TIMEOUT_SEC 900
#define MH_DEFAULT_PENDING_PERIOD_MS 30000
#define MH_DEFAULT_WAIT_TIMEOUT_SEC 300
#define MH_DEFAULT_SESSIONS_PER_USER 32
#define MH_DEFAULT_MAX_BODY (1024 * 1024)
#define MH_DEFAULT_STORE_DIR "mapihttp-sessions" /* under DefaultRuntimeDir */
#define MH_DEFAULT_STORE_SIZE_MB 1024
#define MH_WAIT_POLL_MS 200
#define MH_DEFAULT_AUTH_CACHE_SEC 300
#define MH_DEFAULT_AUTH_CACHE_ENTRIES 4096

extern const command_rec mh_directives[];

void *mh_create_dir_conf(apr_pool_t *p, char *dir);
void *mh_merge_dir_conf(apr_pool_t *p, void *base, void *add);
void *mh_create_srv_conf(apr_pool_t *p, server_rec *s);
void *mh_merge_srv_conf(apr_pool_t *p, void *base, void *add);

/* The session store directory of the main server (default applied). */
const char *mh_store_path(apr_pool_t *p, const mh_srv_conf *main_conf);

/* Pool userdata key set when any "MapiHttp On" was read. */
#define MH_USED_KEY "mod_mapihttp.used"

/*
 * Every backend instance the configuration made, in a hash (pconf userdata)
 * keyed by its directive text, so that identical MapiHttpBackend lines share
 * one instance.  NULL when there is none.
 */
apr_hash_t *mh_backend_instances(apr_pool_t *pconf);

#endif
