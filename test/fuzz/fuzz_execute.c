/*
 * libFuzzer target: the whole Execute path of the mailbox endpoint, as
 * mod_mapihttp runs it after the HTTP layer - mh_call (headers, the
 * Execute body of MS-OXCMAPIHTTP 2.2.4.2, the session store with its
 * busy mark, sequence cookie and state codec) and under it mh_rop_execute
 * (RPC_HEADER_EXT, LZ77, XorMagic, every ROP handler) - against a real
 * LMDB store provisioned once per process with one user.
 *
 * An input is a control byte and up to MAX_CALLS Execute request bodies,
 * each behind a u32 length (the last may run to the end):
 *
 *   control: bit 0  log on first (RopLogon of the user's own mailbox, so
 *                   the logon is handle 0 in slot 0 of the next calls)
 *            bit 1  MapiHttpChainedResponses on
 *   then:    [u32 length][Execute body] ...
 *
 * The calls share one session (Connect before, Disconnect after), so
 * objects, handles and table positions carry from call to call, through
 * the session state codec.  What must hold, whatever the bytes:
 *   - no crash, leak or undefined behaviour (ASan, UBSan);
 *   - an Execute that succeeds answers with a RopBuffer that parses
 *     (extended buffers, RopSize, whole handle tables) and is no larger
 *     than the request's MaxRopOut;
 *   - the core logs none of the errors that mean an engine bug (a handler
 *     disagreeing with its skipper, a handler writing past its room).
 *
 * The seeds in test/fuzz/corpus/fuzz_execute/ are real batches (logon,
 * folders, tables, messages, streams, in every RopBuffer form); they are
 * written by running the target with MH_FUZZ_EXECUTE_SEEDS=<dir> (they
 * hold the folder IDs a fresh store provisions, which are the same every
 * time).
 */
#include "exec_driver.h"
#include "mh_bodies.h"
#include "mh_log.h"
#include "mh_rop.h"
#include "mh_rpcext.h"
#include "mh_wire.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <apr_general.h>
#include <apr_strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define MAX_CALLS 4

static apr_pool_t *root;
static mh_xdriver D;
static int trace; /* MH_FUZZ_EXECUTE_TRACE: print each response (to check seeds) */

/* --------------------------------------------------------- oracles */

static void log_sink(void *baton, int level, const char *msg)
{
    (void)baton;
    /* the errors that mean the engine or a handler is wrong */
    static const char *const bugs[] = {"MH00501", "MH00502", "MH01101", "MH01102"};
    for (size_t i = 0; i < sizeof(bugs) / sizeof(bugs[0]); i++)
        if (level <= MH_LOG_ERR && strstr(msg, bugs[i])) {
            fprintf(stderr, "fuzz_execute: %s\n", msg);
            abort();
        }
}

static void cleanup(void)
{
    mh_xd_close(&D);
}

/* The Execute response must be well formed whatever the request. */
static void check_execute(const unsigned char *req, size_t req_len, const unsigned char *resp,
                          size_t len, apr_pool_t *pool)
{
    mh_execute_req er;
    const char *why;
    if (mh_parse_execute(req, req_len, pool, &er, &why) != MH_BODY_OK)
        return; /* refused: a failure body */
    mh_xd_result r;
    if (mh_xd_parse_execute(resp, len, &r) != 0)
        abort();
    if (r.status_code != 0)
        return;
    if (r.error_code != 0) {
        if (trace)
            fprintf(stderr, "Execute ErrorCode 0x%08x\n", (unsigned)r.error_code);
        if (r.rop_buffer_len != 0)
            abort();
        return;
    }
    /* never more than the client takes (an empty body takes the most) */
    if (r.rop_buffer_len > er.max_rop_out)
        abort();
    mh_rpcext_payload *pl;
    size_t npl;
    if (mh_rpcext_parse(r.rop_buffer, r.rop_buffer_len, 0, pool, &pl, &npl, &why) != 0)
        abort();
    for (size_t i = 0; i < npl; i++) {
        if (pl[i].len < 2)
            abort();
        uint16_t rs = mh_get_u16(pl[i].data);
        if (rs < 2 || rs > pl[i].len || (pl[i].len - rs) % 4 != 0)
            abort();
        if (trace) {
            fprintf(stderr, "payload %zu:", i);
            for (size_t k = 2; k < rs && k < 120; k++)
                fprintf(stderr, " %02x", pl[i].data[k]);
            fprintf(stderr, "%s\n", rs > 120 ? " ..." : "");
        }
    }
}

/* RopLogon, private, the user's own mailbox (an empty Essdn). */
static void wr_logon(mh_wr *w, uint8_t out_idx)
{
    mh_wr_u8(w, 0xFE);
    mh_wr_u8(w, 0);
    mh_wr_u8(w, out_idx);
    mh_wr_u8(w, 0x01);        /* LogonFlags: Private */
    mh_wr_u32(w, 0x0100040C); /* OpenFlags as Outlook */
    mh_wr_u32(w, 0);          /* StoreState */
    mh_wr_u16(w, 0);          /* EssdnSize */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    apr_pool_t *pool, *cp;
    apr_pool_create(&pool, root);
    uint8_t control = data[0];
    D.svc.chain_responses = (control & 0x02) != 0;
    const unsigned char *resp;
    size_t rlen, blen;
    if (mh_xd_connect(&D) != 0)
        abort(); /* the user exists and may connect */

    if (control & 0x01) {
        mh_wr w;
        mh_wr_init(&w, pool, 32);
        wr_logon(&w, 0);
        uint32_t h = MH_HANDLE_NONE;
        const unsigned char *b =
            mh_xd_execute_body(pool, 0, w.buf, w.len, &h, 1, 1, 1, 0x10008, &blen);
        apr_pool_create(&cp, pool);
        if (mh_xd_call(&D, cp, "Execute", b, blen, &resp, &rlen) != MH_RC_SUCCESS)
            abort();
        apr_pool_destroy(cp);
    }

    const uint8_t *p = data + 1, *end = data + size;
    for (int i = 0; i < MAX_CALLS && p < end; i++) {
        size_t n = (size_t)(end - p);
        if (n >= 4) {
            uint32_t l = mh_get_u32(p);
            if (l <= n - 4) {
                p += 4;
                n = l;
            }
        }
        apr_pool_create(&cp, pool);
        int rc = mh_xd_call(&D, cp, "Execute", p, n, &resp, &rlen);
        if (rc < 0)
            abort(); /* mh_call_run failed on an io that never fails */
        if (rc == MH_RC_SUCCESS)
            check_execute(p, n, resp, rlen, cp);
        apr_pool_destroy(cp);
        p += n;
    }
    mh_xd_disconnect(&D);
    apr_pool_destroy(pool);
    return 0;
}

/* --------------------------------------------------------- seeds */

static void put_seed(const char *dirname, const char *name, uint8_t control,
                     const unsigned char *const *bodies, const size_t *lens, int n)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dirname, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputc(control, f);
    for (int i = 0; i < n; i++) {
        unsigned char l[4];
        mh_put_u32(l, (uint32_t)lens[i]);
        fwrite(l, 1, 4, f);
        fwrite(bodies[i], 1, lens[i], f);
    }
    fclose(f);
}

static void rq(mh_wr *w, uint8_t id, uint8_t in)
{
    mh_wr_u8(w, id);
    mh_wr_u8(w, 0);
    mh_wr_u8(w, in);
}

static void write_seeds(const char *to)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    const unsigned char *bodies[MAX_CALLS];
    size_t lens[MAX_CALLS];
    uint32_t h[8];
    for (int i = 0; i < 8; i++)
        h[i] = MH_HANDLE_NONE;

    /* 1. logon, receive folder, open the Inbox, its contents table with
     * columns, query rows; every RopBuffer form */
    mh_wr w;
    mh_wr_init(&w, p, 256);
    wr_logon(&w, 0);
    rq(&w, 0x27, 0); /* RopGetReceiveFolder "IPM" */
    mh_wr_asciiz(&w, "IPM");
    rq(&w, 0x02, 0); /* RopOpenFolder Inbox -> 1 */
    mh_wr_u8(&w, 1);
    mh_wr_u64(&w, D.special[4]);
    mh_wr_u8(&w, 0);
    rq(&w, 0x05, 1); /* RopGetContentsTable -> 2 */
    mh_wr_u8(&w, 2);
    mh_wr_u8(&w, 0);
    rq(&w, 0x12, 2); /* RopSetColumns: PR_SUBJECT_W, PidTagMid */
    mh_wr_u8(&w, 0);
    mh_wr_u16(&w, 2);
    mh_wr_u32(&w, 0x0037001F);
    mh_wr_u32(&w, 0x674A0014);
    rq(&w, 0x15, 2); /* RopQueryRows, packed */
    mh_wr_u8(&w, 0x02);
    mh_wr_u8(&w, 1);
    mh_wr_u16(&w, 100);
    static const struct {
        int c, x;
        uint32_t flags;
        const char *name;
    } forms[] = {
        {0, 0, MH_EXEC_NO_COMPRESSION | MH_EXEC_NO_XOR_MAGIC, "logon-table-plain"},
        {1, 0, 0, "logon-table-lz77"},
        {0, 1, MH_EXEC_CHAIN, "logon-table-xor-chain"},
        {1, 1, MH_EXEC_CHAIN, "logon-table-lz77-xor-chain"},
    };
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        bodies[0] = mh_xd_execute_body(p, forms[i].flags, w.buf, w.len, h, 3, forms[i].c,
                                       forms[i].x, 0x10008, &lens[0]);
        put_seed(to, forms[i].name, 0x02, bodies, lens, 1);
    }

    /* 2. (logged on by the control byte) the hierarchy, then a message
     * created with properties and a recipient, saved, a body written
     * through a stream; a second call reads it back */
    uint32_t hl[8];
    for (int i = 0; i < 8; i++)
        hl[i] = MH_HANDLE_NONE;
    hl[0] = 0; /* the logon is the session's first object */
    mh_wr_init(&w, p, 256);
    rq(&w, 0x02, 0); /* RopOpenFolder IPM subtree -> 1 */
    mh_wr_u8(&w, 1);
    mh_wr_u64(&w, D.special[3]);
    mh_wr_u8(&w, 0);
    rq(&w, 0x04, 1); /* RopGetHierarchyTable -> 2, Depth */
    mh_wr_u8(&w, 2);
    mh_wr_u8(&w, 0x04);
    rq(&w, 0x02, 0); /* RopOpenFolder Inbox -> 3 */
    mh_wr_u8(&w, 3);
    mh_wr_u64(&w, D.special[4]);
    mh_wr_u8(&w, 0);
    rq(&w, 0x06, 3); /* RopCreateMessage -> 4 */
    mh_wr_u8(&w, 4);
    mh_wr_u16(&w, 0x0FFF);
    mh_wr_u64(&w, D.special[4]);
    mh_wr_u8(&w, 0);
    rq(&w, 0x0A, 4); /* RopSetProperties: subject, importance */
    {
        mh_wr v;
        mh_wr_init(&v, p, 64);
        mh_wr_u16(&v, 2);
        mh_wr_u32(&v, 0x0037001F);
        mh_wr_bytes(&v, "h\0i\0\0\0", 6);
        mh_wr_u32(&v, 0x00170003);
        mh_wr_u32(&v, 2);
        mh_wr_u16(&w, (uint16_t)v.len);
        mh_wr_bytes(&w, v.buf, v.len);
    }
    rq(&w, 0x0E, 4); /* RopModifyRecipients: one column, one row */
    mh_wr_bytes(&w, "\x01\x00\x1f\x00\x01\x30\x01\x00\x00\x00\x00\x00\x01\x0d\x00"
                    "\x13\x02\x41\x00\x00\x00\x01\x00\x00\x42\x00\x00\x00", 28);
    mh_wr_u8(&w, 0x0C); /* RopSaveChangesMessage: response index 4, input 4 */
    mh_wr_u8(&w, 0);
    mh_wr_u8(&w, 4);
    mh_wr_u8(&w, 4);
    mh_wr_u8(&w, 0x0A); /* KeepOpenReadWrite */
    rq(&w, 0x2B, 4); /* RopOpenStream PR_BODY_W -> 5, create */
    mh_wr_u8(&w, 5);
    mh_wr_u32(&w, 0x1000001F);
    mh_wr_u8(&w, 0x02);
    rq(&w, 0x2D, 5); /* RopWriteStream */
    mh_wr_u16(&w, 8);
    mh_wr_bytes(&w, "b\0o\0d\0y\0", 8);
    rq(&w, 0x5D, 5); /* RopCommitStream */
    bodies[0] = mh_xd_execute_body(p, 0, w.buf, w.len, hl, 6, 1, 1, 0x10008, &lens[0]);
    mh_wr_init(&w, p, 64);
    rq(&w, 0x2E, 5); /* RopSeekStream to the start */
    mh_wr_u8(&w, 0);
    mh_wr_u64(&w, 0);
    rq(&w, 0x2C, 5); /* RopReadStream 0xBABE */
    mh_wr_u16(&w, 0xBABE);
    mh_wr_u32(&w, 0x10000);
    rq(&w, 0x07, 4); /* RopGetPropertiesSpecific */
    mh_wr_u16(&w, 0);
    mh_wr_u16(&w, 1);
    mh_wr_u16(&w, 2);
    mh_wr_u32(&w, 0x0037001F);
    mh_wr_u32(&w, 0x0E080003);
    rq(&w, 0x01, 5); /* RopRelease */
    /* the second call's handle table: the slots as the first left them
     * (handles are counted from 0 in a fresh session) */
    uint32_t h2[6] = {0, 1, 2, 3, 4, 5};
    bodies[1] = mh_xd_execute_body(p, MH_EXEC_CHAIN, w.buf, w.len, h2, 6, 0, 1, 0x10008,
                                   &lens[1]);
    put_seed(to, "message-create-save-stream", 0x03, bodies, lens, 2);

    /* 3. a folder created, its permissions table; and a second input
     * buffer in the same Execute */
    mh_wr_init(&w, p, 128);
    rq(&w, 0x02, 0);
    mh_wr_u8(&w, 1);
    mh_wr_u64(&w, D.special[4]);
    mh_wr_u8(&w, 0);
    rq(&w, 0x1C, 1); /* RopCreateFolder "F", OpenExisting -> 2 */
    mh_wr_u8(&w, 2);
    mh_wr_bytes(&w, "\x01\x00\x01\x00" "F\0" "\0", 7);
    rq(&w, 0x3E, 2); /* RopGetPermissionsTable -> 3 */
    mh_wr_u8(&w, 3);
    mh_wr_u8(&w, 0);
    rq(&w, 0x37, 3); /* RopQueryColumnsAll */
    {
        mh_wr in1, in2, ext, body;
        mh_wr_init(&in1, p, 256);
        mh_wr_u16(&in1, (uint16_t)(w.len + 2));
        mh_wr_bytes(&in1, w.buf, w.len);
        for (int i = 0; i < 4; i++)
            mh_wr_u32(&in1, hl[i]);
        mh_wr_init(&in2, p, 64);
        mh_wr_u16(&in2, 5);
        mh_wr_bytes(&in2, "\x7B\x00\x00", 3); /* RopGetStoreState */
        mh_wr_u32(&in2, 0);
        mh_wr_init(&ext, p, 512);
        mh_rpcext_append(&ext, in1.buf, in1.len, 1, 1, 0);
        mh_rpcext_append(&ext, in2.buf, in2.len, 0, 0, 1);
        mh_wr_init(&body, p, 600);
        mh_wr_u32(&body, 0);
        mh_wr_u32(&body, (uint32_t)ext.len);
        mh_wr_bytes(&body, ext.buf, ext.len);
        mh_wr_u32(&body, 0x10008);
        mh_wr_u32(&body, 0);
        bodies[0] = body.buf;
        lens[0] = body.len;
    }
    put_seed(to, "folder-permissions-two-buffers", 0x01, bodies, lens, 1);

    /* 4. a small MaxRopOut (RopBufferTooSmall), and an empty Execute */
    mh_wr_init(&w, p, 64);
    for (int i = 0; i < 20; i++)
        rq(&w, 0x7B, 0);
    bodies[0] = mh_xd_execute_body(p, 0, w.buf, w.len, hl, 1, 0, 0, 300, &lens[0]);
    bodies[1] = (const unsigned char *)"";
    lens[1] = 0;
    put_seed(to, "too-small-and-empty", 0x01, bodies, lens, 2);
    apr_pool_destroy(p);
}

/* ------------------------------------------------------------ setup */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    apr_initialize();
    apr_pool_create(&root, NULL);
    mh_log_set_sink(log_sink, NULL, MH_LOG_ERR);
    if (mh_xd_open(&D, "fuzz") != 0)
        exit(1);
    atexit(cleanup);
    trace = getenv("MH_FUZZ_EXECUTE_TRACE") != NULL;
    const char *seeds = getenv("MH_FUZZ_EXECUTE_SEEDS");
    if (seeds && *seeds) {
        write_seeds(seeds);
        exit(0);
    }
    return 0;
}
