/*
 * libFuzzer target: the client side of Autodiscover (tools/mh_adclient.c),
 * what mapihttp-probe reads from a server it does not trust.  The first
 * byte chooses what the rest is:
 *   0: a POX response body, through the parser;
 *   1: a URL: one that parses prints back as a URL that parses the same;
 *   2: an address: its candidate URLs parse, and the request body made for
 *      it is well-formed XML.
 * Aborts when an answer breaks its promises.
 */
#include "mh_adclient.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_strings.h>

#include <libxml/parser.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_response(apr_pool_t *pool, const uint8_t *data, size_t size)
{
    mh_adc_response r;
    const char *why = NULL;
    int rc = mh_adc_parse_response(data, size, pool, &r, &why);
    if (rc == 0) {
        if (why || r.action < MH_ADC_SETTINGS || r.action > MH_ADC_ERROR)
            abort();
        if (r.action == MH_ADC_REDIRECT_ADDR && (!r.redirect_addr || !*r.redirect_addr))
            abort();
        if (r.action == MH_ADC_REDIRECT_URL && (!r.redirect_url || !*r.redirect_url))
            abort();
        if (r.has_mapihttp && r.n_protocols < 1)
            abort();
        if (r.mailstore.internal)
            (void)strlen(r.mailstore.internal);
    } else if (rc != -1 || !why || r.action != 0) {
        abort();
    }
}

static void fuzz_url(apr_pool_t *pool, const uint8_t *data, size_t size)
{
    const char *s = apr_pstrmemdup(pool, (const char *)data, size);
    mh_url u, v;
    if (mh_url_parse(pool, s, &u) != 0)
        return;
    if (!u.host || !*u.host || u.port <= 0 || u.port > 65535 || !u.path || u.path[0] != '/')
        abort();
    if (mh_url_parse(pool, mh_url_text(pool, &u), &v) != 0 || v.tls != u.tls ||
        v.port != u.port || strcmp(v.host, u.host) != 0 || strcmp(v.path, u.path) != 0)
        abort();
    (void)mh_url_origin(pool, &u);
}

static void fuzz_address(apr_pool_t *pool, const uint8_t *data, size_t size)
{
    const char *s = apr_pstrmemdup(pool, (const char *)data, size);
    const char *urls[2];
    if (mh_adc_candidates(pool, s, urls) != 2)
        return;
    mh_url u;
    if (mh_url_parse(pool, urls[0], &u) != 0 || mh_url_parse(pool, urls[1], &u) != 0)
        abort();
    size_t len;
    const char *body = mh_adc_request_body(pool, s, s, &len);
    xmlDocPtr d = xmlReadMemory(body, (int)len, "r.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    /* the address may hold bytes XML cannot carry (not UTF-8, controls
     * above 0x7F are refused by the candidates check only below 0x20) */
    if (d)
        xmlFreeDoc(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *pool;
    if (!pool) {
        apr_initialize();
        apr_pool_create(&pool, NULL);
        mh_adc_init();
    }
    if (size == 0)
        return 0;
    switch (data[0] % 3) {
    case 0:
        fuzz_response(pool, data + 1, size - 1);
        break;
    case 1:
        fuzz_url(pool, data + 1, size - 1);
        break;
    default:
        fuzz_address(pool, data + 1, size - 1);
    }
    apr_pool_clear(pool);
    return 0;
}
