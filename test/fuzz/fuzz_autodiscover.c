/*
 * libFuzzer target: Autodiscover (mh_autodiscover.c).  The first byte
 * chooses what the rest is:
 *   0: a POX request body, through the parser, then as the text of every
 *      element of a settings body, which must stay well-formed XML and
 *      give the text back (escaping, invalid UTF-8);
 *   1: a JSON request, "path?query", served without a backend;
 *   2: a directive value: a base URL, a redirect target, a legacy DN
 *      scheme and an organization (their checks, then their use).
 * Aborts when an answer breaks its promises.
 */
#include "mh_autodiscover.h"
#include "mh_legacydn.h"
#include "mh_log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_strings.h>

#include <libxml/parser.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int well_formed(const char *text, size_t len)
{
    xmlDocPtr d = xmlReadMemory(text, (int)len, "f.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!d)
        return 0;
    xmlFreeDoc(d);
    return 1;
}

static void fuzz_pox(apr_pool_t *pool, const uint8_t *data, size_t size)
{
    mh_ad_request req;
    const char *why = NULL;
    int rc = mh_ad_parse_request(data, size, pool, &req, &why);
    if (rc != MH_AD_OK && rc != MH_AD_E_INVALID && rc != MH_AD_E_SCHEMA)
        abort();
    if (rc == MH_AD_E_INVALID && !why)
        abort();
    if (rc == MH_AD_OK && (!req.schema || (!req.email && !req.legacy_dn)))
        abort();
    /* the same bytes as text in every element of an answer */
    char *s = apr_pstrmemdup(pool, (const char *)data, size);
    mh_ad_settings st = {s, s, s, s, s, s, s, s, 1};
    size_t len;
    const char *body = mh_ad_pox_settings(pool, &st, &len);
    if (len != strlen(body) || !well_formed(body, len))
        abort();
    body = mh_ad_pox_error(pool, 600, s, 0, 1, &len);
    if (!well_formed(body, len))
        abort();
    body = mh_ad_pox_redirect_addr(pool, s, &len);
    if (!well_formed(body, len))
        abort();
    (void)mh_ad_json_error(pool, s, s, &len);
    (void)mh_ad_valid_address(s);
}

static void fuzz_json(apr_pool_t *pool, const uint8_t *data, size_t size)
{
    char *s = apr_pstrmemdup(pool, (const char *)data, size);
    char *q = strchr(s, '?');
    if (q)
        *q++ = 0;
    static const mh_ad_redirect rd[] = {
        {"partner.example", "https://ad.partner.example/autodiscover/autodiscover.xml", NULL},
        {"old.example", NULL, "example.com"}};
    mh_ad_config cfg = {NULL, NULL, NULL, NULL, rd, 2};
    mh_ad_in in;
    memset(&in, 0, sizeof(in));
    in.method = "GET";
    in.path = apr_pstrcat(pool, "/autodiscover/autodiscover.json", s, NULL);
    in.query = q;
    in.user = (size & 1) ? "ada" : NULL;
    in.self_url = "https://mail.example.com";
    mh_ad_out out;
    mh_ad_serve(&cfg, NULL, &in, pool, &out);
    if (out.status < 200 || out.status > 599 || (out.body && strlen(out.body) != out.body_len))
        abort();
    if (out.status == 302 && (!out.location || strpbrk(out.location, " \r\n")))
        abort();
}

static void fuzz_directives(apr_pool_t *pool, const uint8_t *data, size_t size)
{
    char *s = apr_pstrmemdup(pool, (const char *)data, size);
    const char *norm = NULL;
    if (!mh_ad_base_url_check(s, pool, &norm)) {
        mh_guid g = {{0}};
        if (!norm || !mh_ad_mailbox_url(pool, norm, NULL, "emsmdb", &g, "example.com"))
            abort();
        (void)mh_ad_mailbox_url(pool, norm, s + (size > 8 ? 8 : 0), "nspi", &g, s);
    }
    mh_ad_redirect r;
    (void)mh_ad_redirect_check(s, s, pool, &r);
    (void)mh_ad_redirect_check("a.example", s, pool, &r);
    const char *scheme_why = mh_legacy_dn_scheme_check(s, pool);
    const char *org_why = mh_organization_check(s, pool);
    const char *dn = mh_legacy_dn_make(pool, scheme_why ? NULL : s, org_why ? NULL : s, s);
    if (!scheme_why && strncasecmp(dn, "/o=", 3) != 0)
        abort();
    (void)mh_ad_deployment_id(pool, s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *pool;
    if (!pool) {
        apr_initialize();
        apr_pool_create(&pool, NULL);
        mh_log_set_sink(NULL, NULL, -1);
        mh_ad_init();
    }
    if (size == 0)
        return 0;
    switch (data[0] % 3) {
    case 0:
        fuzz_pox(pool, data + 1, size - 1);
        break;
    case 1:
        fuzz_json(pool, data + 1, size - 1);
        break;
    default:
        fuzz_directives(pool, data + 1, size - 1);
    }
    apr_pool_clear(pool);
    return 0;
}
