/*
 * mapihttp/fold.h - the one case and accent folding of names.
 *
 * The address book sorts by display name and finds entries by what a user
 * types (ambiguous name resolution, MS-OXNSPI 3.1.4.7), and both must agree:
 * "muller", "MULLER" and "Müll" find "Müller", and "Müller" sorts where
 * "Muller" would.  mod_mapihttp compares names through this header, and a
 * backend's dir_search (mapihttp/backend.h) must match prefixes of exactly
 * this folded form, so it is defined here, header-only, for backends to use
 * as it is.
 *
 * The folding works per Unicode code point (a string is decoded as UTF-8;
 * a malformed sequence reads as U+FFFD):
 *   - combining marks (U+0300-036F, 1AB0-1AFF, 1DC0-1DFF, 20D0-20FF,
 *     FE20-FE2F) are dropped, so decomposed text folds as composed text;
 *   - accented Latin letters become their base letter: Latin-1
 *     (U+00C0-00FF: À->A, Ø->O, Æ->A, Ð->D ...), Latin Extended-A
 *     (U+0100-017F: Č->C, Ł->L, Ő->O, Ş->S ...) and Ș Ț (U+0218-021B);
 *     ligatures and letters of their own (ß, Þ, Œ, Ĳ, Ŋ) stay;
 *   - then letters become lower case: ASCII, Latin-1, Latin Extended-A,
 *     Greek (final sigma as sigma) and Cyrillic.
 * One code point folds to one code point (or none): "ß" does not match
 * "ss".  This is the first level of the sort order (mh_str_collate ties
 * are then broken by case, then by the bytes, then by ID).
 *
 * The folded form encoded as UTF-8 compares with memcmp/strcmp in the same
 * order as the folded code points, so it can be an index key.  Changing
 * the folding changes keys: a backend that stores folded keys records
 * MH_FOLD_VERSION and re-indexes when it changes.
 */
#ifndef MAPIHTTP_FOLD_H
#define MAPIHTTP_FOLD_H

#include <stddef.h>
#include <stdint.h>

/* Bumped whenever the folding below changes. */
#define MH_FOLD_VERSION 2

#define MH_FOLD_CASE 0x1     /* lower case */
#define MH_FOLD_ACCENTS 0x2  /* drop marks, accented letters to their base */

/* The bytes mh_fold_utf8 may need for `len` bytes of input (a malformed
 * byte becomes U+FFFD, three bytes) and the terminating NUL. */
#define MH_FOLD_SIZE(len) (3 * (size_t)(len) + 1)

/* One code point of UTF-8 at s (n > 0 bytes left); *len_r: bytes used. */
static inline uint32_t mh_utf8_decode(const unsigned char *s, size_t n, size_t *len_r)
{
    uint32_t c = s[0], min;
    size_t extra;
    *len_r = 1;
    if (c < 0x80)
        return c;
    if ((c & 0xE0) == 0xC0)
        extra = 1, c &= 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0)
        extra = 2, c &= 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0)
        extra = 3, c &= 0x07, min = 0x10000;
    else
        return 0xFFFD;
    for (size_t i = 1; i <= extra; i++) {
        if (i >= n || (s[i] & 0xC0) != 0x80) {
            *len_r = i;
            return 0xFFFD;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    *len_r = extra + 1;
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0xFFFD;
    return c;
}

/* Encodes code point c (< 0x110000) as UTF-8 into o; returns the bytes. */
static inline size_t mh_utf8_encode(uint32_t c, unsigned char *o)
{
    if (c < 0x80) {
        o[0] = (unsigned char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (unsigned char)(0xC0 | (c >> 6));
        o[1] = (unsigned char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (c >> 12));
        o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (c >> 18));
    o[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (c & 0x3F));
    return 4;
}

/* Lower case: Latin (Basic, Latin-1, Extended-A), Greek, Cyrillic. */
static inline uint32_t mh_fold_case(uint32_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c + 32;
    if (c < 0xC0)
        return c;
    if (c <= 0xDE)
        return c == 0xD7 ? c : c + 32;
    if (c >= 0x100 && c <= 0x17F) {
        if (c == 0x130)
            return 'i';
        if (c == 0x178)
            return 0xFF;
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
            return (c & 1) ? c + 1 : c;
        if (c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17F)
            return c;
        return (c & 1) ? c : c + 1;
    }
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2)
        return c + 32;
    if (c == 0x3C2) /* final sigma */
        return 0x3C3;
    if (c >= 0x410 && c <= 0x42F)
        return c + 32;
    if (c >= 0x400 && c <= 0x40F)
        return c + 80;
    return c;
}

/* The base letter of an accented Latin letter; others unchanged. */
static inline uint32_t mh_fold_accent(uint32_t c)
{
    /* U+00C0-00FF; '*' keeps the letter */
    static const char lat1[] = "AAAAAAACEEEEIIIIDNOOOOO*OUUUUY**aaaaaaaceeeeiiiidnooooo*ouuuuy*y";
    /* U+0100-017F */
    static const char latA[] = "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIi**JjKk*LlLlLlL"
                               "lLlNnNnNn***OoOoOo**RrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZz*";
    char b = '*';
    if (c >= 0xC0 && c <= 0xFF)
        b = lat1[c - 0xC0];
    else if (c >= 0x100 && c <= 0x17F)
        b = latA[c - 0x100];
    else if (c >= 0x218 && c <= 0x21B) /* Ș ș Ț ț */
        b = "SsTt"[c - 0x218];
    return b == '*' ? c : (uint32_t)(unsigned char)b;
}

/* Whether c is a combining (non-spacing) mark. */
static inline int mh_fold_is_mark(uint32_t c)
{
    return (c >= 0x300 && c <= 0x36F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
           (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
           (c >= 0xFE20 && c <= 0xFE2F);
}

/* One code point folded as `how` (MH_FOLD_*) asks; 0 when it is dropped. */
static inline uint32_t mh_fold_point(uint32_t c, unsigned how)
{
    if (how & MH_FOLD_ACCENTS) {
        if (mh_fold_is_mark(c))
            return 0;
        c = mh_fold_accent(c);
    }
    if (how & MH_FOLD_CASE)
        c = mh_fold_case(c);
    return c;
}

/*
 * The folded form (case and accents) of the NUL-terminated UTF-8 string s
 * into out, NUL-terminated, at most cap - 1 bytes (cap > 0) and never part
 * of a character: MH_FOLD_SIZE(strlen(s)) bytes always hold all of it.
 * Returns the length written.
 */
static inline size_t mh_fold_utf8(const char *s, char *out, size_t cap)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = 0, o = 0;
    while (u[len])
        len++;
    for (size_t i = 0; i < len;) {
        size_t k;
        uint32_t c = mh_fold_point(mh_utf8_decode(u + i, len - i, &k), MH_FOLD_CASE | MH_FOLD_ACCENTS);
        i += k;
        if (!c)
            continue;
        unsigned char b[4];
        size_t m = mh_utf8_encode(c, b);
        if (o + m >= cap)
            break;
        for (size_t j = 0; j < m; j++)
            out[o++] = (char)b[j];
    }
    out[o] = 0;
    return o;
}

#endif
