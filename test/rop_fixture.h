/*
 * rop_fixture.h - runs ROP batches through the ROP engine (mh_rop_execute)
 * against a real LMDB store in a temporary directory, without httpd.  The
 * unit tests of the ROP families are built on it.
 *
 *   mh_fixture f;
 *   if (mh_fixture_open(&f, "alice") != 0) ...;     // user + mailbox
 *   uint32_t logon;
 *   uint64_t fids[13];
 *   CHECK_EQ_U(mh_fixture_logon(&f, &logon, fids), 0);
 *   // a batch: ROP requests back to back, and a handle table
 *   uint32_t h[2] = {logon, 0xFFFFFFFF};
 *   const unsigned char *resp; size_t resp_len;
 *   mh_fixture_exec(&f, req, req_len, h, 2, &resp, &resp_len);
 *   // resp: the ROP responses (RopsList); h: the response handle table
 *   mh_fixture_close(&f);
 *
 * After every batch the session state is encoded and decoded again (as
 * when the next request lands in another httpd process), so object state
 * codecs are exercised by every test.
 */
#ifndef ROP_FIXTURE_H
#define ROP_FIXTURE_H

#include <stdint.h>
#include <apr_pools.h>

#include "mh_rop.h"

typedef struct mh_fixture {
    apr_pool_t *pool;        /* lives as long as the fixture */
    char dir[64];            /* the temporary store */
    mh_be *be;
    const char *user;        /* the logged-on login */
    const char *user_dn;     /* its legacy DN */
    mh_guid mailbox;         /* its mailbox */
    mh_id inbox;
    apr_pool_t *state_pool;  /* owns ses */
    mh_emsmdb *ses;
    uint32_t code_page;      /* for PT_STRING8 (default 1252) */
    uint32_t max_rop_out;    /* default 0x10008 */
    uint32_t exec_flags;     /* Execute Flags (default 0: compress + XOR) */
    int chain;               /* chained responses allowed (default 1) */
    apr_pool_t *batch_pool;  /* the last batch's responses; cleared per batch */
    size_t state_bytes;      /* size of the encoded state after the last batch */
    size_t out_bytes;        /* RopBuffer size of the last response (headers included) */
} mh_fixture;

/* A store with user `login` and its provisioned mailbox; the session runs
 * as that user.  0, or -1 with a message on stdout. */
int mh_fixture_open(mh_fixture *f, const char *login);
/* Another user with a mailbox in the same store (for permission tests). */
int mh_fixture_add_user(mh_fixture *f, const char *login, mh_guid *mailbox_r,
                        uint32_t *dir_id_r);
/* Runs the session as another login from now on (its objects stay). */
void mh_fixture_set_user(mh_fixture *f, const char *login);
void mh_fixture_close(mh_fixture *f);

/*
 * Runs one ROP input buffer: `rops` (len bytes of requests) with the
 * handle table `handles` (n slots, updated with the response's table).
 * Returns the EcDoRpcExt2 result; on 0, resp_r and resp_len_r get the ROP
 * responses of the first output payload (batch_pool memory); chained
 * payloads, if any, are ignored (mh_fixture_exec_bufs sees them).
 */
uint32_t mh_fixture_exec(mh_fixture *f, const void *rops, size_t len, uint32_t *handles,
                         uint32_t n, const unsigned char **resp_r, size_t *resp_len_r);

/* One ROP input buffer of an Execute (MS-OXCRPC 3.1.4.2.1.1.1): the
 * requests, the handle table, and how its extended buffer goes. */
typedef struct mh_fixture_in {
    const void *rops;
    size_t len;
    const uint32_t *handles;
    uint32_t n;
    int compress, obfuscate;  /* LZ77 (when smaller), XorMagic */
} mh_fixture_in;

/* One output payload of the response (an extended buffer). */
typedef struct mh_fixture_out {
    const unsigned char *rops; /* the RopsList */
    size_t len;
    const uint32_t *handles;   /* its handle table */
    uint32_t n;
    uint16_t ext_flags;        /* RPC_HEADER_EXT Flags as received */
} mh_fixture_out;

/*
 * Runs several ROP input buffers in one Execute, each in its own extended
 * buffer (Last on the final one).  On 0, *outs_r gets every output payload
 * in order (chained ones included; batch_pool memory), each checked: the
 * headers parse, RopSize fits, the handle table is whole.
 */
uint32_t mh_fixture_exec_bufs(mh_fixture *f, const mh_fixture_in *ins, size_t n_in,
                              mh_fixture_out **outs_r, size_t *n_out_r);

/* The same for a RopBuffer given as raw bytes (extended buffers and all):
 * for malformed input. */
uint32_t mh_fixture_exec_raw(mh_fixture *f, const void *rop_buffer, size_t len,
                             mh_fixture_out **outs_r, size_t *n_out_r);

/*
 * The session's objects in a canonical form (sorted by handle, each with
 * its class's encoding), to compare before and after a batch that must
 * change nothing.
 */
void mh_fixture_state(mh_fixture *f, apr_pool_t *pool, const unsigned char **buf_r,
                      size_t *len_r);

/* What the store has handed out and holds: changes when anything is written. */
typedef struct mh_fixture_mark {
    mh_id last_id;
    uint32_t messages, folders;
    uint64_t bytes;
} mh_fixture_mark;
int mh_fixture_store_mark(mh_fixture *f, mh_fixture_mark *m);

/* RopLogon to the user's own mailbox (logon id 0, private): the logon
 * handle and the 13 folder IDs in wire form.  Returns the ROP's
 * ReturnValue (or the Execute error). */
uint32_t mh_fixture_logon(mh_fixture *f, uint32_t *handle_r, uint64_t fids_r[13]);

#endif
