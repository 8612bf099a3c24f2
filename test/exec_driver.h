/*
 * exec_driver.h - drives MAPI/HTTP requests of the mailbox endpoint through
 * mh_call in-process, as mod_mapihttp does after the HTTP layer: headers,
 * body, the session store (busy mark, sequence cookie, state codec) and the
 * ROP engine, against a real LMDB store with one user, without httpd.  The
 * Execute fuzz target (test/fuzz/fuzz_execute.c) and test_call_execute use it.
 * The address book endpoint goes the same way (its request types are sent
 * to /mapi/nspi/ with that endpoint's cookies): fuzz_nspi_calls.c.
 *
 *   mh_xdriver d;
 *   if (mh_xd_open(&d, "alice") != 0) ...;
 *   mh_xd_connect(&d);                       // a session: cookies kept in d
 *   body = mh_xd_execute_body(pool, ...);    // or any bytes
 *   code = mh_xd_call(&d, pool, "Execute", body, len, &resp, &resp_len);
 *   mh_xd_disconnect(&d);
 *   mh_xd_close(&d);
 */
#ifndef EXEC_DRIVER_H
#define EXEC_DRIVER_H

#include <stdint.h>
#include <apr_pools.h>

#include "mh_backend.h"
#include "mh_call.h"

typedef struct mh_xdriver {
    apr_pool_t *pool;          /* lives as long as the driver */
    char dir[64];              /* the temporary stores */
    mh_be *be;
    mh_service svc;            /* chain_responses may be changed between calls */
    const char *user;          /* the authenticated login */
    const char *user_dn;       /* its legacy DN */
    mh_guid mailbox;
    uint64_t special[13];      /* the logon folders' FIDs, wire form */
    /* the session's cookies, "name=value" (NULL: none) */
    apr_pool_t *cookie_pool;
    const char *ctx, *seq;
    /* what the last call did to its response stream, one letter per
     * operation: w write, s stream, f flush (truncated to fit) */
    char io_trace[64];
    /* the meta-tags and additional headers of its response (up to and
     * without the empty line), in the pool of the call */
    const char *io_meta;
    /* the address book session's cookies (Bind ... Unbind), as ctx/seq */
    const char *nspi_ctx, *nspi_seq;
    mh_endpoint call_ep;       /* the endpoint of the call under way */
} mh_xdriver;

/* A store with `login` and its mailbox, a session store.  0, or -1 with a
 * message on stderr. */
int mh_xd_open(mh_xdriver *d, const char *login);
void mh_xd_close(mh_xdriver *d);

/*
 * One request of `type` ("Connect", "Execute", ...) with the session's
 * cookies, through mh_call_check_headers, _accept, _headers and _run.
 * Returns the X-ResponseCode; on 0, resp_r and len_r get the response body
 * after the meta block (pool memory).  The cookies the response sets are
 * kept for the next call.
 */
int mh_xd_call(mh_xdriver *d, apr_pool_t *pool, const char *type, const void *body,
               size_t len, const unsigned char **resp_r, size_t *len_r);

/* Connect as the user (a new session); Disconnect.  0, or -1. */
int mh_xd_connect(mh_xdriver *d);
int mh_xd_disconnect(mh_xdriver *d);

/* Bind as the user (an address book session: Flags 0, a STAT of code page
 * 1252 and locale 0x409); Unbind.  0, or -1. */
int mh_xd_bind(mh_xdriver *d);
int mh_xd_unbind(mh_xdriver *d);

/*
 * A small directory next to the user (directory ID 1), for the address
 * book: users, a disabled user, a user whose mailbox is on another server,
 * a contact and two lists (one nested in the other, the user owning the
 * outer one).  0, or -1 with a message on stderr.  Directory IDs:
 */
enum {
    MH_XD_DIR_USER = 1,     /* the login (mh_xd_open) */
    MH_XD_DIR_ADA,          /* "Ada Lovelace", alias lovelace@ */
    MH_XD_DIR_ADAM,         /* "Adam Smith" */
    MH_XD_DIR_BOB,          /* "Bob Marley", mailbox on mail2.example.com */
    MH_XD_DIR_MALLORY,      /* "Mallory Disabled", disabled, no mailbox */
    MH_XD_DIR_CAROL,        /* "Carol External", a contact */
    MH_XD_DIR_ANALYSTS,     /* "Analysts": Ada, Adam */
    MH_XD_DIR_TEAM,         /* "Team": Analysts, Bob, the user; owned by the user */
    MH_XD_DIR_COUNT_
};
int mh_xd_add_directory(mh_xdriver *d);

/* An Execute request body (MS-OXCMAPIHTTP 2.2.4.2.1) with one ROP input
 * buffer: RopSize, `rops`, the handle table, in one extended buffer. */
const unsigned char *mh_xd_execute_body(apr_pool_t *pool, uint32_t flags,
                                        const unsigned char *rops, size_t rops_len,
                                        const uint32_t *handles, uint32_t n, int compress,
                                        int obfuscate, uint32_t max_rop_out, size_t *len_r);

/* An Execute response body (2.2.4.2.2). */
typedef struct mh_xd_result {
    uint32_t status_code;      /* non-zero: a failure body, nothing else set */
    uint32_t error_code;
    const unsigned char *rop_buffer;
    uint32_t rop_buffer_len;
} mh_xd_result;
/* 0, or -1 when the body is not a well-formed Execute response. */
int mh_xd_parse_execute(const unsigned char *body, size_t len, mh_xd_result *r);

#endif
