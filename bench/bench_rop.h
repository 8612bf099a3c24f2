/*
 * bench_rop.h - what bench-rop's two halves share: the Inbox the fill step
 * writes and the run step checks, every value following from a message's
 * number k (bench_rop_fill.c), and the fill step itself.
 */
#ifndef BENCH_ROP_H
#define BENCH_ROP_H

#include <stdint.h>
#include <apr_pools.h>

/* Received times: message k arrives at rank (k * mul + 13) mod n (0 the
 * oldest), T_STEP apart from T_BASE, so that the order of saving says
 * nothing about the order of arrival.  mul is coprime to n. */
#define BENCH_T_BASE 134100000000000000ull /* 2025-12-15, FILETIME */
#define BENCH_T_STEP 970000000ull          /* 97 s */
uint64_t bench_perm_mul(uint64_t n);

/* What message k shows in a list view. */
typedef struct bench_expect {
    const char *subject;
    const char *sender;
    const char *message_class;
    int32_t importance;
    int read, attach;
    int32_t flag_status;          /* 0: no PidTagFlagStatus */
} bench_expect;
void bench_expect_of(apr_pool_t *p, uint32_t k, bench_expect *e);

/* Puts n messages into the Inbox of `login` through the backend `spec`;
 * prints the user's legacy DN.  0, or 1 with a message on stderr. */
int bench_rop_fill(const char *spec, const char *login, uint32_t n, const char *owner);
/* The same through an open backend; prints the DN only with print_dn. */
struct mh_be;
int bench_rop_fill_be(struct mh_be *b, const char *login, uint32_t n, int print_dn);

#endif
