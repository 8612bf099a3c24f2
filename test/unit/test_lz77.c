/* Unit tests: mh_lz77 against the MS-XCA section 3.1 examples. */
#include "mh_lz77.h"
#include "mh_test.h"

#include <pthread.h>
#include <stdint.h>

/* MS-XCA 3.1: "abcdefghijklmnopqrstuvwxyz" as 26 literals */
static const char *const XCA_ALPHABET =
    "3f 00 00 00 61 62 63 64 65 66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75 76 77 78 79 7a";
/* MS-XCA 3.1: "abc" x 100 = abc + [match distance 3, length 297] */
static const char *const XCA_ABC300 = "ff ff ff 1f 61 62 63 17 00 0f ff 26 01";

static void abc300(unsigned char *out)
{
    for (int i = 0; i < 300; i++)
        out[i] = (unsigned char)("abc"[i % 3]);
}

static void test_xca_decompress(void)
{
    unsigned char in[64], out[300], want[300];
    size_t n = mh_test_unhex(XCA_ALPHABET, in, sizeof(in));
    REQUIRE(n == 30);
    CHECK(mh_lz77_decompress(in, n, out, 26) == 0);
    CHECK_MEM(out, 26, "abcdefghijklmnopqrstuvwxyz", 26);

    n = mh_test_unhex(XCA_ABC300, in, sizeof(in));
    REQUIRE(n == 13);
    abc300(want);
    CHECK(mh_lz77_decompress(in, n, out, 300) == 0);
    CHECK_MEM(out, 300, want, 300);
}

static void test_xca_compress_byte_exact(void)
{
    unsigned char want[64], out[512], src[300];
    size_t wn = mh_test_unhex(XCA_ALPHABET, want, sizeof(want));
    size_t n = mh_lz77_compress((const unsigned char *)"abcdefghijklmnopqrstuvwxyz", 26, out);
    CHECK_MEM(out, n, want, wn);

    abc300(src);
    wn = mh_test_unhex(XCA_ABC300, want, sizeof(want));
    n = mh_lz77_compress(src, 300, out);
    CHECK_MEM(out, n, want, wn);
}

static void test_size_must_match(void)
{
    unsigned char in[64], out[400];
    size_t n = mh_test_unhex(XCA_ABC300, in, sizeof(in));
    /* SizeActual too small: the match would overflow the output */
    CHECK(mh_lz77_decompress(in, n, out, 299) != 0);
    /* SizeActual too large: the stream ends early */
    CHECK(mh_lz77_decompress(in, n, out, 301) != 0);
    /* truncated streams never succeed */
    for (size_t cut = 0; cut < n; cut++)
        CHECK(mh_lz77_decompress(in, cut, out, 300) != 0);
}

static void test_malformed(void)
{
    unsigned char out[64];
    /* a match reaching before the start of the output */
    const unsigned char back[] = {0xff, 0xff, 0xff, 0x7f, 'a', 0x08, 0x00};
    CHECK(mh_lz77_decompress(back, sizeof(back), out, 4) != 0);
    /* a 16-bit length below the escape minimum (must be >= 22) */
    const unsigned char shortlen[] = {0xff, 0xff, 0xff, 0x7f, 'a', 0x07, 0x00, 0x0f, 0xff, 0x05, 0x00};
    CHECK(mh_lz77_decompress(shortlen, sizeof(shortlen), out, 64) != 0);
    /* a literal flag with no input left */
    const unsigned char nolit[] = {0x00, 0x00, 0x00, 0x00};
    CHECK(mh_lz77_decompress(nolit, sizeof(nolit), out, 1) != 0);
}

static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Round trips: text-like, random, runs, lengths around every escape step. */
static void test_roundtrip(void)
{
    static unsigned char src[0x8000], comp[0x8000 + 0x8000 / 8 + 64], back[0x8000];
    const size_t sizes[] = {0, 1, 2, 3, 9, 10, 24, 25, 31, 32, 33, 279, 280, 281, 1000, 0x8000};
    for (int kind = 0; kind < 4; kind++) {
        for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
            size_t n = sizes[si];
            for (size_t i = 0; i < n; i++) {
                switch (kind) {
                case 0: src[i] = (unsigned char)("the quick brown fox "[rng() % 20]); break;
                case 1: src[i] = (unsigned char)rng(); break;
                case 2: src[i] = 0xff; break;
                default: src[i] = (unsigned char)(i / 300); break;
                }
            }
            size_t cn = mh_lz77_compress(src, n, comp);
            CHECK(cn <= mh_lz77_bound(n));
            int rc = mh_lz77_decompress(comp, cn, back, n);
            CHECK(rc == 0);
            if (rc == 0)
                CHECK_MEM(back, n, src, n);
        }
    }
}

/* Every length from 3 to 400 as a single match after one literal. */
static void test_every_length(void)
{
    unsigned char src[512], comp[1024], back[512];
    for (size_t len = 3; len <= 400; len++) {
        size_t n = len + 1;
        for (size_t i = 0; i < n; i++)
            src[i] = 'z';
        size_t cn = mh_lz77_compress(src, n, comp);
        CHECK(mh_lz77_decompress(comp, cn, back, n) == 0);
        CHECK_MEM(back, n, src, n);
    }
}

/* Matches overlapping their own output at every distance from 1 to 20
 * (a period-d pattern repeated: one long match at offset d). */
static void test_overlapping_matches(void)
{
    unsigned char src[600], comp[1200], back[600];
    for (size_t d = 1; d <= 20; d++) {
        for (size_t i = 0; i < sizeof(src); i++)
            src[i] = (unsigned char)('a' + (i % d) * 7 % 26 + (i % d));
        size_t cn = mh_lz77_compress(src, sizeof(src), comp);
        CHECK(cn < sizeof(src) / 4); /* it did find the repetition */
        CHECK(mh_lz77_decompress(comp, cn, back, sizeof(back)) == 0);
        CHECK_MEM(back, sizeof(back), src, sizeof(src));
    }
}

/* Inputs longer than 64 KB: positions kept in 16 bits wrap; what is found
 * must still be the real bytes (text-like, so there are matches on both
 * sides of every wrap). */
static void test_past_64k(void)
{
    static unsigned char src[200000], comp[200000 + 200000 / 8 + 64], back[200000];
    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (unsigned char)("subject sender date flag "[rng() % 25]);
    size_t cn = mh_lz77_compress(src, sizeof(src), comp);
    CHECK(cn < sizeof(src));
    CHECK(mh_lz77_decompress(comp, cn, back, sizeof(back)) == 0);
    CHECK_MEM(back, sizeof(back), src, sizeof(src));
}

/* Short matches at distances 8 to 15 that overlap their own output (the
 * decompressor copies matches of up to 16 bytes as two words), with room
 * after them (that fast path) and at the very end of the output (the
 * byte-wise one); runs of literals likewise, up to 16 and longer. */
static void test_short_overlaps(void)
{
    unsigned char src[64], comp[160], back[64];
    for (size_t off = 8; off <= 15; off++) {
        for (size_t len = 3; len <= 20; len++) {
            for (int tail = 0; tail <= 1; tail++) {
                size_t n = 0;
                for (size_t i = 0; i < off; i++)
                    src[n++] = (unsigned char)('A' + i);
                for (size_t i = 0; i < len; i++, n++)
                    src[n] = src[n - off];
                for (size_t i = 0; tail && i < 20; i++)
                    src[n++] = (unsigned char)('a' + (i * 7) % 26);
                size_t cn = mh_lz77_compress(src, n, comp);
                memset(back, 0xEE, sizeof(back));
                CHECK(mh_lz77_decompress(comp, cn, back, n) == 0);
                CHECK_MEM(back, n, src, n);
                CHECK(back[n] == 0xEE); /* nothing written past the output */
            }
        }
    }
}

/* The output must depend on the input alone (the match table is the
 * call's; an earlier design kept a thread's table between calls).  Each
 * input is compressed in this thread, after a history of other inputs
 * (among them the same text), and in a new thread: the bytes must be the
 * same.  (An earlier call's entry could never make the output wrong, as
 * every candidate is compared byte by byte; it would make it depend on
 * history.) */
typedef struct fresh_job {
    const unsigned char *in;
    size_t n;
    unsigned char *out;
    size_t out_n;
} fresh_job;

static void *compress_fresh(void *arg)
{
    fresh_job *j = arg;
    j->out_n = mh_lz77_compress(j->in, j->n, j->out);
    return NULL;
}

static void test_calls_independent(void)
{
    static unsigned char in[6000], here[8000], there[8000], back[6000], noise[6000],
        junk[8000];
    static const char *const words[] = {"subject ", "sender ", "date ", "flag ", "RE: ",
                                        "IPM.Note ", "a", "bc", "xyz", "\x01\x00"};
    int differ = 0;
    for (int round = 0; round < 40; round++) {
        size_t n = 64 + rng() % (sizeof(in) - 64), k = 0;
        while (k < n) {
            const char *w = words[rng() % 10];
            for (size_t i = 0; w[i] && k < n; i++)
                in[k++] = (unsigned char)w[i];
            if (rng() % 3 == 0 && k < n)
                in[k++] = (unsigned char)rng();
        }
        /* a history: the same text shifted, and noise */
        memcpy(noise, in + 1, n - 1);
        (void)mh_lz77_compress(noise, n - 1, junk);
        for (size_t i = 0; i < n; i++)
            noise[i] = (unsigned char)rng();
        (void)mh_lz77_compress(noise, n, junk);
        size_t hn = mh_lz77_compress(in, n, here);
        fresh_job j = {in, n, there, 0};
        pthread_t t;
        REQUIRE(pthread_create(&t, NULL, compress_fresh, &j) == 0);
        pthread_join(t, NULL);
        if (hn != j.out_n || memcmp(here, there, hn) != 0)
            differ++;
        CHECK(mh_lz77_decompress(here, hn, back, n) == 0 && memcmp(back, in, n) == 0);
    }
    CHECK_EQ_U(differ, 0);
}

int main(void)
{
    MH_TEST_INIT();
    RUN(test_xca_decompress);
    RUN(test_xca_compress_byte_exact);
    RUN(test_size_must_match);
    RUN(test_malformed);
    RUN(test_roundtrip);
    RUN(test_every_length);
    RUN(test_calls_independent);
    RUN(test_short_overlaps);
    RUN(test_overlapping_matches);
    RUN(test_past_64k);
    return MH_TEST_DONE();
}
