/*
 * mh_test.h - the smallest test framework that does the job: TAP output,
 * CHECK macros that report file:line and keep going, a non-zero exit when
 * anything failed (automake's test driver reads the exit status).
 *
 *   static void test_x(void) { CHECK(1 + 1 == 2); CHECK_EQ_U(v, 7); }
 *   int main(void) { MH_TEST_INIT(); RUN(test_x); return MH_TEST_DONE(); }
 */
#ifndef MH_TEST_H
#define MH_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

static int mh_t_failures, mh_t_checks, mh_t_tests, mh_t_current_failed;

#define CHECK(cond)                                                              \
    do {                                                                         \
        mh_t_checks++;                                                           \
        if (!(cond)) {                                                           \
            mh_t_failures++;                                                     \
            mh_t_current_failed = 1;                                             \
            printf("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                        \
    } while (0)

#define CHECK_EQ_U(a, b)                                                         \
    do {                                                                         \
        unsigned long long mh_a_ = (unsigned long long)(a);                     \
        unsigned long long mh_b_ = (unsigned long long)(b);                     \
        mh_t_checks++;                                                           \
        if (mh_a_ != mh_b_) {                                                    \
            mh_t_failures++;                                                     \
            mh_t_current_failed = 1;                                             \
            printf("# %s:%d: %s == %s failed: %llu (0x%llx) != %llu (0x%llx)\n", \
                   __FILE__, __LINE__, #a, #b, mh_a_, mh_a_, mh_b_, mh_b_);      \
        }                                                                        \
    } while (0)

#define CHECK_STR(a, b)                                                          \
    do {                                                                         \
        const char *mh_a_ = (a), *mh_b_ = (b);                                   \
        mh_t_checks++;                                                           \
        if (!mh_a_ || !mh_b_ || strcmp(mh_a_, mh_b_) != 0) {                     \
            mh_t_failures++;                                                     \
            mh_t_current_failed = 1;                                             \
            printf("# %s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__,     \
                   __LINE__, #a, #b, mh_a_ ? mh_a_ : "(null)",                   \
                   mh_b_ ? mh_b_ : "(null)");                                    \
        }                                                                        \
    } while (0)

#define CHECK_MEM(a, alen, b, blen)                                              \
    do {                                                                         \
        size_t mh_al_ = (size_t)(alen), mh_bl_ = (size_t)(blen);                 \
        mh_t_checks++;                                                           \
        if (mh_al_ != mh_bl_ || memcmp((a), (b), mh_al_) != 0) {                 \
            mh_t_failures++;                                                     \
            mh_t_current_failed = 1;                                             \
            printf("# %s:%d: bytes of %s (%zu) differ from %s (%zu)\n", __FILE__,\
                   __LINE__, #a, mh_al_, #b, mh_bl_);                            \
            mh_test_hexdump("got", (const unsigned char *)(a), mh_al_);          \
            mh_test_hexdump("want", (const unsigned char *)(b), mh_bl_);         \
        }                                                                        \
    } while (0)

/* Stops the current test function (for checks later ones depend on). */
#define REQUIRE(cond)                                                            \
    do {                                                                         \
        int mh_ok_ = (cond) ? 1 : 0; /* evaluated once: it may have effects */  \
        mh_t_checks++;                                                           \
        if (!mh_ok_) {                                                           \
            mh_t_failures++;                                                     \
            mh_t_current_failed = 1;                                             \
            printf("# %s:%d: required check failed: %s\n", __FILE__, __LINE__,  \
                   #cond);                                                       \
            return;                                                              \
        }                                                                        \
    } while (0)

static inline void mh_test_hexdump(const char *label, const unsigned char *p, size_t n)
{
    printf("#   %s:", label);
    for (size_t i = 0; i < n && i < 96; i++)
        printf(" %02x", p[i]);
    printf("%s\n", n > 96 ? " ..." : "");
}

#define RUN(fn)                                                                  \
    do {                                                                         \
        mh_t_current_failed = 0;                                                 \
        mh_t_tests++;                                                            \
        fn();                                                                    \
        printf("%s %d - %s\n", mh_t_current_failed ? "not ok" : "ok",           \
               mh_t_tests, #fn);                                                 \
        fflush(stdout);                                                          \
    } while (0)

#define MH_TEST_INIT()                                                           \
    do {                                                                         \
        apr_initialize();                                                        \
        atexit(apr_terminate);                                                   \
        setvbuf(stdout, NULL, _IOLBF, 0);                                        \
    } while (0)

#define MH_TEST_DONE()                                                           \
    (printf("1..%d\n# %d checks, %d failed\n", mh_t_tests, mh_t_checks,         \
            mh_t_failures),                                                      \
     mh_t_failures ? 1 : 0)

/* Parses "0a 1b ..." hex into buf; returns the byte count. */
static inline size_t mh_test_unhex(const char *hex, unsigned char *buf, size_t cap)
{
    size_t n = 0;
    while (*hex && n < cap) {
        while (*hex == ' ' || *hex == '\n')
            hex++;
        if (!*hex)
            break;
        unsigned v;
        if (sscanf(hex, "%2x", &v) != 1)
            break;
        buf[n++] = (unsigned char)v;
        hex += 2;
    }
    return n;
}

#endif
