/*
 * mod_mapihttp_config.c - directives.  Every value is validated when it is
 * read: a wrong one stops httpd with a message naming the directive, the
 * value and what is allowed.
 */
#include "mod_mapihttp.h"
#include "mh_legacydn.h"

#include <ap_provider.h>
#include <http_log.h>
#include <errno.h>
#include <apr_hash.h>
#include <apr_strings.h>

APLOG_USE_MODULE(mapihttp);

void *mh_create_dir_conf(apr_pool_t *p, char *dir)
{
    mh_dir_conf *d = apr_pcalloc(p, sizeof(*d));
    d->enabled = MH_UNSET;
    return d;
}

void *mh_merge_dir_conf(apr_pool_t *p, void *base_, void *add_)
{
    mh_dir_conf *base = base_, *add = add_, *d = apr_pcalloc(p, sizeof(*d));
    d->enabled = add->enabled != MH_UNSET ? add->enabled : base->enabled;
    return d;
}

void *mh_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    mh_srv_conf *c = apr_pcalloc(p, sizeof(*c));
    c->idle_timeout_sec = MH_UNSET;
    c->pending_period_ms = MH_UNSET;
    c->wait_timeout_sec = MH_UNSET;
    c->sessions_per_user = MH_UNSET;
    c->max_body = MH_UNSET;
    c->chain_responses = MH_UNSET;
    c->store_size_mb = MH_UNSET;
    c->auth_cache_sec = MH_UNSET;
    c->auth_cache_entries = MH_UNSET;
    return c;
}

#define MERGE(f) c->f = add->f != MH_UNSET ? add->f : base->f
void *mh_merge_srv_conf(apr_pool_t *p, void *base_, void *add_)
{
    mh_srv_conf *base = base_, *add = add_, *c = apr_pcalloc(p, sizeof(*c));
    MERGE(idle_timeout_sec);
    MERGE(pending_period_ms);
    MERGE(wait_timeout_sec);
    MERGE(sessions_per_user);
    MERGE(max_body);
    MERGE(chain_responses);
    c->backend = add->backend ? add->backend : base->backend;
#define MERGE_PTR(f) c->f = add->f ? add->f : base->f
    MERGE_PTR(external_url);
    MERGE_PTR(internal_url);
    MERGE_PTR(organization);
    MERGE_PTR(legacy_dn_scheme);
    MERGE_PTR(ad_redirects); /* a virtual host's own list replaces the server's */
#undef MERGE_PTR
    /* global only: always the main server's */
    c->store_path = base->store_path;
    c->store_size_mb = base->store_size_mb;
    c->auth_cache_sec = base->auth_cache_sec;
    c->auth_cache_entries = base->auth_cache_entries;
    return c;
}
#undef MERGE

const char *mh_store_path(apr_pool_t *p, const mh_srv_conf *main_conf)
{
    if (main_conf->store_path)
        return main_conf->store_path;
    return ap_runtime_dir_relative(p, MH_DEFAULT_STORE_DIR);
}

/* Parses a whole decimal number within [min, max]. */
static const char *parse_range(cmd_parms *cmd, const char *arg, apr_int64_t min,
                               apr_int64_t max, const char *unit, apr_int64_t *out)
{
    char *end = NULL;
    apr_int64_t v;
    errno = 0;
    v = apr_strtoi64(arg, &end, 10);
    if (!*arg || errno || !end || *end || v < min || v > max)
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not allowed: give a whole number of %s "
                            "from %" APR_INT64_T_FMT " to %" APR_INT64_T_FMT,
                            cmd->directive->directive, arg, unit, min, max);
    *out = v;
    return NULL;
}

static mh_srv_conf *srv(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config, &mapihttp_module);
}

static const char *set_enabled(cmd_parms *cmd, void *dconf, int on)
{
    mh_dir_conf *d = dconf;
    d->enabled = on ? 1 : 0;
    if (on)
        apr_pool_userdata_setn("1", MH_USED_KEY, NULL, cmd->server->process->pconf);
    return NULL;
}

static const char *set_idle(cmd_parms *cmd, void *d, const char *arg)
{
    return parse_range(cmd, arg, 10, 86400, "seconds", &srv(cmd)->idle_timeout_sec);
}

static const char *set_pending(cmd_parms *cmd, void *d, const char *arg)
{
    return parse_range(cmd, arg, 100, 300000, "milliseconds", &srv(cmd)->pending_period_ms);
}

static const char *set_wait(cmd_parms *cmd, void *d, const char *arg)
{
    return parse_range(cmd, arg, 1, 3600, "seconds", &srv(cmd)->wait_timeout_sec);
}

static const char *set_per_user(cmd_parms *cmd, void *d, const char *arg)
{
    return parse_range(cmd, arg, 1, 10000, "contexts", &srv(cmd)->sessions_per_user);
}

static const char *set_chain(cmd_parms *cmd, void *d, int flag)
{
    (void)d;
    srv(cmd)->chain_responses = flag ? 1 : 0;
    return NULL;
}

static const char *set_max_body(cmd_parms *cmd, void *d, const char *arg)
{
    return parse_range(cmd, arg, 65536, 64 * 1024 * 1024, "bytes", &srv(cmd)->max_body);
}

static const char *set_store(cmd_parms *cmd, void *d, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    if (err)
        return err;
    if (!*arg)
        return "MapiHttpSessionStore: give a directory";
    const char *path = ap_server_root_relative(cmd->pool, arg);
    if (!path)
        return apr_psprintf(cmd->pool, "MapiHttpSessionStore: '%s' is not a valid path", arg);
    srv(cmd)->store_path = path;
    return NULL;
}

static const char *set_store_size(cmd_parms *cmd, void *d, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    if (err)
        return err;
    return parse_range(cmd, arg, 16, 1024 * 1024, "megabytes", &srv(cmd)->store_size_mb);
}

static const char *set_auth_cache_sec(cmd_parms *cmd, void *d, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    if (err)
        return err;
    return parse_range(cmd, arg, 0, 86400, "seconds", &srv(cmd)->auth_cache_sec);
}

static const char *set_auth_cache_entries(cmd_parms *cmd, void *d, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    if (err)
        return err;
    return parse_range(cmd, arg, 0, 1000000, "entries", &srv(cmd)->auth_cache_entries);
}

/* ------------------------------------------------------ Autodiscover */

static const char *set_base_url(cmd_parms *cmd, const char *arg, const char **slot)
{
    const char *norm = NULL;
    const char *why = mh_ad_base_url_check(arg, cmd->pool, &norm);
    if (why)
        return apr_psprintf(cmd->pool, "%s: '%s' is not allowed: %s",
                            cmd->directive->directive, arg, why);
    *slot = norm;
    return NULL;
}

static const char *set_external_url(cmd_parms *cmd, void *d, const char *arg)
{
    return set_base_url(cmd, arg, &srv(cmd)->external_url);
}

static const char *set_internal_url(cmd_parms *cmd, void *d, const char *arg)
{
    return set_base_url(cmd, arg, &srv(cmd)->internal_url);
}

static const char *set_organization(cmd_parms *cmd, void *d, const char *arg)
{
    const char *why = mh_organization_check(arg, cmd->pool);
    if (why)
        return apr_psprintf(cmd->pool, "MapiHttpOrganization: '%s' is not allowed: %s", arg,
                            why);
    srv(cmd)->organization = arg;
    return NULL;
}

static const char *set_legacy_dn_scheme(cmd_parms *cmd, void *d, const char *arg)
{
    const char *why = mh_legacy_dn_scheme_check(arg, cmd->pool);
    if (why)
        return apr_psprintf(cmd->pool, "MapiHttpLegacyDNScheme: '%s' is not allowed: %s "
                            "(default: %s)", arg, why, MH_DEFAULT_LEGACY_DN_SCHEME);
    srv(cmd)->legacy_dn_scheme = arg;
    return NULL;
}

static const char *set_ad_redirect(cmd_parms *cmd, void *d, const char *domain,
                                   const char *target)
{
    mh_ad_redirect rd;
    const char *why = mh_ad_redirect_check(domain, target, cmd->pool, &rd);
    if (why)
        return apr_psprintf(cmd->pool, "MapiHttpAutodiscoverRedirect %s %s: %s", domain,
                            target, why);
    mh_srv_conf *c = srv(cmd);
    if (!c->ad_redirects)
        c->ad_redirects = apr_array_make(cmd->pool, 4, sizeof(mh_ad_redirect));
    for (int i = 0; i < c->ad_redirects->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(c->ad_redirects, i, mh_ad_redirect).domain, rd.domain) == 0)
            return apr_psprintf(cmd->pool, "MapiHttpAutodiscoverRedirect: domain %s is "
                                "redirected twice", rd.domain);
    APR_ARRAY_PUSH(c->ad_redirects, mh_ad_redirect) = rd;
    return NULL;
}

#define BACKENDS_KEY "mod_mapihttp.backends"

apr_hash_t *mh_backend_instances(apr_pool_t *pconf)
{
    void *h = NULL;
    apr_pool_userdata_get(&h, BACKENDS_KEY, pconf);
    return h;
}

/* "lmdb (interface 1), maildir (interface 1)": every backend httpd knows. */
static const char *available_backends(apr_pool_t *p)
{
    const char *list = NULL;
    apr_array_header_t *groups = ap_list_provider_groups(p);
    for (int i = 0; groups && i < groups->nelts; i++) {
        const ap_list_provider_groups_t *g = &APR_ARRAY_IDX(groups, i, ap_list_provider_groups_t);
        if (strcmp(g->provider_group, MH_BACKEND_PROVIDER_GROUP) != 0)
            continue;
        apr_array_header_t *names =
            ap_list_provider_names(p, MH_BACKEND_PROVIDER_GROUP, g->provider_version);
        for (int j = 0; names && j < names->nelts; j++) {
            const char *item = apr_psprintf(
                p, "%s (interface %s)",
                APR_ARRAY_IDX(names, j, ap_list_provider_names_t).provider_name,
                g->provider_version);
            list = list ? apr_pstrcat(p, list, ", ", item, NULL) : item;
        }
    }
    return list;
}

/*
 * MapiHttpBackend NAME [key=value ...]: looks the backend up now, so that a
 * wrong name or interface version stops httpd here, and builds (or reuses)
 * the instance from the options.
 */
static const char *set_backend(cmd_parms *cmd, void *d, const char *args)
{
    apr_pool_t *p = cmd->pool;
    const char *name = ap_getword_conf(p, &args);
    if (!*name)
        return "MapiHttpBackend: give a backend and its options, e.g. "
               "MapiHttpBackend lmdb path=/var/lib/mapihttp/store";
    apr_array_header_t *opts = apr_array_make(p, 4, sizeof(const char *));
    const char *label = name;
    for (;;) {
        const char *w = ap_getword_conf(p, &args);
        if (!*w)
            break;
        APR_ARRAY_PUSH(opts, const char *) = w;
        label = apr_pstrcat(p, label, " ", w, NULL);
    }
    const mh_backend *be =
        ap_lookup_provider(MH_BACKEND_PROVIDER_GROUP, name, MH_BACKEND_PROVIDER_VERSION);
    if (!be) {
        const char *avail = available_backends(cmd->temp_pool);
        return apr_psprintf(p,
                            "MapiHttpBackend: no backend '%s' for backend interface %s is "
                            "loaded; available: %s.  Load the backend's module (e.g. "
                            "LoadModule mapihttp_lmdb_module .../mod_mapihttp_lmdb.so) "
                            "before this line, or rebuild it for interface %s",
                            name, MH_BACKEND_PROVIDER_VERSION, avail ? avail : "none",
                            MH_BACKEND_PROVIDER_VERSION);
    }
    apr_hash_t *all = mh_backend_instances(cmd->server->process->pconf);
    if (!all) {
        all = apr_hash_make(cmd->server->process->pconf);
        apr_pool_userdata_set(all, BACKENDS_KEY, apr_pool_cleanup_null,
                              cmd->server->process->pconf);
    }
    mh_be *b = apr_hash_get(all, label, APR_HASH_KEY_STRING);
    if (!b) {
        mh_error err = {MH_OK, NULL};
        if (mh_be_create(be, cmd->server->process->pconf, opts->nelts,
                         (const char *const *)opts->elts, &b, &err) != MH_OK)
            return apr_psprintf(p, "MapiHttpBackend %s: %s", name,
                                err.detail ? err.detail : "the backend refused its options");
        b->label = label;
        apr_hash_set(all, label, APR_HASH_KEY_STRING, b);
    }
    srv(cmd)->backend = b;
    return NULL;
}

const command_rec mh_directives[] = {
    AP_INIT_FLAG("MapiHttp", set_enabled, NULL, RSRC_CONF | ACCESS_CONF,
                 "On to serve MAPI over HTTP (/mapi/emsmdb, /mapi/nspi) and Autodiscover "
                 "(/autodiscover/autodiscover.xml, .json) here"),
    AP_INIT_TAKE1("MapiHttpSessionIdleTimeout", set_idle, NULL, RSRC_CONF,
                  "seconds a session context lives without requests (10-86400, "
                  "default 900)"),
    AP_INIT_TAKE1("MapiHttpPendingPeriod", set_pending, NULL, RSRC_CONF,
                  "milliseconds between PENDING keep-alives (100-300000, default 30000)"),
    AP_INIT_TAKE1("MapiHttpNotificationWaitTimeout", set_wait, NULL, RSRC_CONF,
                  "seconds a NotificationWait waits for events (1-3600, default 300)"),
    AP_INIT_TAKE1("MapiHttpSessionsPerUser", set_per_user, NULL, RSRC_CONF,
                  "live session contexts per user before the least recently used "
                  "is destroyed (1-10000, default 32)"),
    AP_INIT_FLAG("MapiHttpChainedResponses", set_chain, NULL, RSRC_CONF,
                 "On to pack several ROP response buffers into one Execute response "
                 "when the client allows it (MS-OXCRPC 3.1.4.2.1.2.2); Off if a "
                 "client has trouble with them (default On)"),
    AP_INIT_TAKE1("MapiHttpMaxRequestBody", set_max_body, NULL, RSRC_CONF,
                  "largest request body in bytes (65536-67108864, default 1048576)"),
    AP_INIT_TAKE1("MapiHttpSessionStore", set_store, NULL, RSRC_CONF,
                  "directory of the session store shared by all httpd processes "
                  "(default: mapihttp-sessions under DefaultRuntimeDir)"),
    AP_INIT_TAKE1("MapiHttpSessionStoreSize", set_store_size, NULL, RSRC_CONF,
                  "size limit of the session store in megabytes (16-1048576, "
                  "default 1024)"),
    AP_INIT_RAW_ARGS("MapiHttpBackend", set_backend, NULL, RSRC_CONF,
                     "the storage backend and its key=value options, e.g. "
                     "MapiHttpBackend lmdb path=/var/lib/mapihttp/store"),
    AP_INIT_TAKE1("MapiHttpAuthCacheTimeout", set_auth_cache_sec, NULL, RSRC_CONF,
                  "seconds verified credentials of a backend's authentication provider "
                  "are remembered (0-86400, 0 turns the cache off, default 300)"),
    AP_INIT_TAKE1("MapiHttpAuthCacheEntries", set_auth_cache_entries, NULL, RSRC_CONF,
                  "verified credentials remembered per process (0-1000000, default 4096)"),
    AP_INIT_TAKE1("MapiHttpExternalUrl", set_external_url, NULL, RSRC_CONF,
                  "the base URL (https://host[:port]) Autodiscover hands out for the "
                  "MAPI/HTTP endpoints (default: the server's own URL)"),
    AP_INIT_TAKE1("MapiHttpInternalUrl", set_internal_url, NULL, RSRC_CONF,
                  "the base URL for clients inside the network (default: "
                  "MapiHttpExternalUrl)"),
    AP_INIT_TAKE1("MapiHttpOrganization", set_organization, NULL, RSRC_CONF,
                  "the organization name in legacy DNs and the Autodiscover DeploymentId "
                  "(default: " MH_DEFAULT_ORGANIZATION ")"),
    AP_INIT_TAKE1("MapiHttpLegacyDNScheme", set_legacy_dn_scheme, NULL, RSRC_CONF,
                  "legacy DNs for directory entries without one: %o the organization, "
                  "%u the name (default: " MH_DEFAULT_LEGACY_DN_SCHEME ")"),
    AP_INIT_TAKE2("MapiHttpAutodiscoverRedirect", set_ad_redirect, NULL, RSRC_CONF,
                  "DOMAIN TARGET: Autodiscover for unknown addresses of DOMAIN goes to "
                  "TARGET, the https:// URL of another Autodiscover server or @DOMAIN2 "
                  "(the same address in another domain)"),
    {NULL, {NULL}, NULL, 0, RAW_ARGS, NULL}};
