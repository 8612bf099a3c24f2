/*
 * mh_password.c - bcrypt hashes and the verified-credentials cache.
 */
#include "mh_password.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_md5.h>
#include <apr_strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#include <openssl/core_names.h>
#define MH_HMAC_TEMPLATE 1
#endif

#define DIGEST_LEN 32

const char *mh_password_hash(apr_pool_t *pool, const char *password, unsigned cost)
{
    unsigned char salt[16];
    char out[128];
    if (apr_generate_random_bytes(salt, sizeof(salt)) != APR_SUCCESS)
        return NULL;
    if (apr_bcrypt_encode(password, cost, salt, sizeof(salt), out, sizeof(out)) != APR_SUCCESS)
        return NULL;
    return apr_pstrdup(pool, out);
}

typedef struct slot {
    unsigned char digest[DIGEST_LEN];
    apr_time_t expires; /* 0: empty */
} slot;

struct mh_authcache {
    unsigned n;
    apr_interval_time_t ttl;
    unsigned char key[32];
    pthread_mutex_t lock;
    slot *slots;
#ifdef MH_HMAC_TEMPLATE
    /* HMAC-SHA256 keyed once; each digest works on a copy.  OpenSSL 3
     * looks algorithms up by name under locks that every thread of the
     * process shares: HMAC() did so on every request. */
    EVP_MAC *mac;
    EVP_MAC_CTX *keyed;
#endif
};

static apr_status_t cache_cleanup(void *data)
{
    mh_authcache *c = data;
    OPENSSL_cleanse(c->key, sizeof(c->key));
    pthread_mutex_destroy(&c->lock);
#ifdef MH_HMAC_TEMPLATE
    EVP_MAC_CTX_free(c->keyed);
    EVP_MAC_free(c->mac);
    c->keyed = NULL;
    c->mac = NULL;
#endif
    return APR_SUCCESS;
}

mh_authcache *mh_authcache_create(apr_pool_t *pool, unsigned slots, apr_interval_time_t ttl)
{
    mh_authcache *c = apr_pcalloc(pool, sizeof(*c));
    c->ttl = ttl;
    c->n = slots;
    if (apr_generate_random_bytes(c->key, sizeof(c->key)) != APR_SUCCESS)
        c->n = 0; /* no key, no cache */
    if (c->n == 0 || ttl <= 0) {
        c->n = 0;
        return c;
    }
    c->slots = apr_pcalloc(pool, sizeof(slot) * c->n);
    pthread_mutex_init(&c->lock, NULL);
#ifdef MH_HMAC_TEMPLATE
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                            (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};
    if ((c->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
        (c->keyed = EVP_MAC_CTX_new(c->mac)) == NULL ||
        !EVP_MAC_init(c->keyed, c->key, sizeof(c->key), params)) {
        /* digest() falls back on HMAC() */
        EVP_MAC_CTX_free(c->keyed);
        c->keyed = NULL;
    }
#endif
    apr_pool_cleanup_register(pool, c, cache_cleanup, apr_pool_cleanup_null);
    return c;
}

/* HMAC over the lengths and bytes of user, password and hash. */
static int digest(const mh_authcache *c, const char *user, const char *password,
                  const char *hash, unsigned char out[DIGEST_LEN])
{
    const char *parts[3] = {user, password, hash};
    size_t lens[3], total = 0;
    for (int i = 0; i < 3; i++)
        total += 8 + (lens[i] = strlen(parts[i]));
    unsigned char *buf = malloc(total), *p = buf;
    if (!buf)
        return 0;
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 8; j++)
            *p++ = (unsigned char)((uint64_t)lens[i] >> (8 * j));
        memcpy(p, parts[i], lens[i]);
        p += lens[i];
    }
    int ok = 0;
#ifdef MH_HMAC_TEMPLATE
    if (c->keyed) {
        EVP_MAC_CTX *x = EVP_MAC_CTX_dup(c->keyed);
        size_t olen = 0;
        ok = x && EVP_MAC_update(x, buf, total) && EVP_MAC_final(x, out, &olen, DIGEST_LEN) &&
             olen == DIGEST_LEN;
        EVP_MAC_CTX_free(x);
    } else
#endif
    {
        unsigned int olen = 0;
        ok = HMAC(EVP_sha256(), c->key, (int)sizeof(c->key), buf, total, out, &olen) != NULL &&
             olen == DIGEST_LEN;
    }
    OPENSSL_cleanse(buf, total);
    free(buf);
    return ok;
}

static unsigned slot_of(const mh_authcache *c, const unsigned char d[DIGEST_LEN])
{
    unsigned v = (unsigned)d[0] | ((unsigned)d[1] << 8) | ((unsigned)d[2] << 16) |
                 ((unsigned)d[3] << 24);
    return v % c->n;
}

int mh_password_verify(mh_authcache *c, const char *user, const char *password,
                       const char *hash, apr_time_t now, int *cached_r)
{
    unsigned char d[DIGEST_LEN];
    int have = 0;
    if (cached_r)
        *cached_r = 0;
    if (!user || !password || !hash || !*hash)
        return 0;
    if (c && c->n && digest(c, user, password, hash, d)) {
        have = 1;
        slot *s = &c->slots[slot_of(c, d)];
        pthread_mutex_lock(&c->lock);
        int hit = s->expires > now && CRYPTO_memcmp(s->digest, d, DIGEST_LEN) == 0;
        pthread_mutex_unlock(&c->lock);
        if (hit) {
            if (cached_r)
                *cached_r = 1;
            return 1;
        }
    }
    if (apr_password_validate(password, hash) != APR_SUCCESS)
        return 0;
    if (have) {
        slot *s = &c->slots[slot_of(c, d)];
        pthread_mutex_lock(&c->lock);
        memcpy(s->digest, d, DIGEST_LEN);
        s->expires = now + c->ttl;
        pthread_mutex_unlock(&c->lock);
    }
    return 1;
}

static char dummy_hash[128];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
    unsigned char pw[24], salt[16];
    char pws[sizeof(pw) * 2 + 1];
    if (apr_generate_random_bytes(pw, sizeof(pw)) != APR_SUCCESS ||
        apr_generate_random_bytes(salt, sizeof(salt)) != APR_SUCCESS)
        memset(salt, 0x5a, sizeof(salt));
    for (size_t i = 0; i < sizeof(pw); i++)
        snprintf(pws + 2 * i, 3, "%02x", pw[i]);
    if (apr_bcrypt_encode(pws, MH_BCRYPT_COST, salt, sizeof(salt), dummy_hash,
                          sizeof(dummy_hash)) != APR_SUCCESS)
        dummy_hash[0] = 0;
    OPENSSL_cleanse(pws, sizeof(pws));
}

const char *mh_password_dummy_hash(void)
{
    /* made once per process, of a random password nobody keeps */
    pthread_once(&dummy_once, make_dummy);
    return dummy_hash;
}
