/* Unit tests: mh_aux (MS-OXCRPC 2.2.2.2 auxiliary blocks, 3.1.4.1.2.1
 * Connect rgbAuxOut) and the X-ClientApplication version.
 *
 * MS-OXCRPC section 4 has no auxiliary buffer bytes to reuse (its Connect
 * example, 4.1, sends rgbAuxIn NULL / cbAuxIn 0), so the blocks below are
 * built by hand from the field tables of 2.2.2.2.1-2.2.2.2.23, one hex line
 * per field group. */
#include "mh_aux.h"
#include "mh_bodies.h"
#include "mh_rpcext.h"
#include "mh_test.h"

static apr_pool_t *pool;

#define GUID_HEX "00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff"

/* Every client-sent block type once (and two unknown ones). */
static const char *const blocks_hex[] = {
    /* AUX_PERF_REQUESTID (2.2.2.2.1): Size 8, V1, Type 1;
     * SessionID 0x1234, RequestID 0x5678 */
    "08 00 01 01  34 12 78 56",
    /* AUX_PERF_SESSIONINFO (2.2.2.2.2): Size 24; SessionID 7, Reserved, GUID */
    "18 00 01 04  07 00 ff ff " GUID_HEX,
    /* AUX_PERF_CLIENTINFO (2.2.2.2.4): Size 76 */
    "4c 00 01 02"
    " a0 86 01 00"             /* AdapterSpeed 100000 */
    " 03 00"                   /* ClientID 3 */
    " 20 00 2a 00"             /* MachineNameOffset 32, UserNameOffset 42 */
    " 04 00 34 00"             /* ClientIPSize 4, ClientIPOffset 52 */
    " 04 00 38 00"             /* ClientIPMaskSize 4, ClientIPMaskOffset 56 */
    " 3c 00"                   /* AdapterNameOffset 60 */
    " 06 00 44 00"             /* MacAddressSize 6, MacAddressOffset 68 */
    " 02 00 00 00"             /* ClientMode 2 (cached), Reserved */
    " 57 00 53 00 30 00 31 00 00 00" /* 32: "WS01" */
    " 6a 00 64 00 6f 00 65 00 00 00" /* 42: "jdoe" */
    " c0 a8 01 0a"             /* 52: 192.168.1.10 */
    " ff ff ff 00"             /* 56: mask */
    " 65 00 74 00 68 00 00 00" /* 60: "eth" */
    " 00 11 22 33 44 55"       /* 68: MAC */
    " 00 00",                  /* 74: padding to 76 */
    /* AUX_PERF_PROCESSINFO (2.2.2.2.6), Version 2: Size 52 */
    "34 00 02 0b  05 00 00 00 " GUID_HEX " 1c 00 00 00"
    " 4f 00 55 00 54 00 4c 00 4f 00 4f 00 4b 00 2e 00 45 00 58 00 45 00 00 00",
    /* AUX_CLIENT_CONNECTION_INFO (2.2.2.2.20): Size 40; GUID, offset 32,
     * Reserved, ConnectionAttempts 3, ConnectionFlags 1, "ab", padding */
    "28 00 01 4a " GUID_HEX " 20 00 00 00  03 00 00 00  01 00 00 00"
    " 61 00 62 00 00 00 00 00",
    /* AUX_PERF_FAILURE (2.2.2.2.13): Size 28; ClientID 1, ServerID 2,
     * SessionID 3, RequestID 4, TimeSince 1000, TimeToFail 250,
     * ResultCode 0x80040115, RequestOperation 7, Reserved[3] */
    "1c 00 01 09  01 00 02 00 03 00 04 00  e8 03 00 00  fa 00 00 00"
    " 15 01 04 80  07 00 00 00",
    /* AUX_PERF_FAILURE_V2 (2.2.2.2.14) as FG (0x15), Version 2: Size 32;
     * ProcessID 9, ..., Reserved_1, 10, 20, 0x4B9, op 10 */
    "20 00 02 15  09 00 01 00 02 00 03 00 04 00 00 00  0a 00 00 00"
    " 14 00 00 00  b9 04 00 00  0a 00 00 00",
    /* AUX_PERF_MDB_SUCCESS (2.2.2.2.9): Size 20 */
    "14 00 01 07  01 00 02 00 03 00 04 00  64 00 00 00  05 00 00 00",
    /* AUX_PERF_MDB_SUCCESS_V2 (2.2.2.2.10) as BG (0x0E): Size 24 */
    "18 00 02 0e  09 00 01 00 02 00 03 00 04 00 00 00  64 00 00 00  05 00 00 00",
    /* AUX_PERF_GC_SUCCESS (2.2.2.2.11): Size 24 */
    "18 00 01 08  01 00 02 00 03 00 00 00  0a 00 00 00  0b 00 00 00  0c 00 00 00",
    /* AUX_PERF_GC_SUCCESS_V2 (2.2.2.2.12) as FG (0x14): Size 24 */
    "18 00 02 14  09 00 01 00 02 00 03 00  0a 00 00 00  0b 00 00 00  0c 00 00 00",
    /* AUX_PERF_DEFMDB_SUCCESS (2.2.2.2.7): Size 16; 16, 32, RequestID 6 */
    "10 00 01 05  10 00 00 00  20 00 00 00  06 00 00 00",
    /* AUX_PERF_DEFGC_SUCCESS (2.2.2.2.8) as BG (0x0D): Size 20 */
    "14 00 01 0d  02 00 03 00  10 00 00 00  20 00 00 00  0d 00 00 00",
    /* AUX_PERF_ACCOUNTINFO (2.2.2.2.18): Size 24; ClientID 3 */
    "18 00 01 18  03 00 00 00 " GUID_HEX,
    /* AUX_PERF_SERVERINFO (2.2.2.2.5): Size 24; ServerID 1, ServerType 1,
     * ServerDNOffset 12, ServerNameOffset 0, "/o=x", padding */
    "18 00 01 03  01 00 01 00 0c 00 00 00  2f 00 6f 00 3d 00 78 00 00 00 00 00",
    /* AUX_PROTOCOL_DEVICE_IDENTIFICATION (2.2.2.2.23): Size 24; "A" at 14,
     * "B" at 18, the rest absent */
    "18 00 01 4e  0e 00 12 00 00 00 00 00 00 00  41 00 00 00 42 00 00 00 00 00",
    /* unknown: Version 3 of a known type, and an unknown type */
    "08 00 03 02  de ad be ef",
    "06 00 01 7f  00 00",
};
#define N_BLOCKS (sizeof(blocks_hex) / sizeof(blocks_hex[0]))

/* The AUX blocks above, back to back (the payload of the aux buffer). */
static size_t all_blocks(unsigned char *buf, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < N_BLOCKS; i++)
        n += mh_test_unhex(blocks_hex[i], buf + n, cap - n);
    return n;
}

/* RPC_HEADER_EXT Version 0, Flags Last, Size = SizeActual = len. */
static size_t wrap_plain(const unsigned char *pay, size_t len, unsigned char *out)
{
    mh_put_u16(out, 0);
    mh_put_u16(out + 2, MH_RPCEXT_LAST);
    mh_put_u16(out + 4, (uint16_t)len);
    mh_put_u16(out + 6, (uint16_t)len);
    if (len)
        memcpy(out + 8, pay, len);
    return len + 8;
}

static void check_guid(const mh_guid *g)
{
    static const unsigned char want[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
                                           0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
                                           0xcc, 0xdd, 0xee, 0xff};
    CHECK_MEM(g->b, 16, want, 16);
}

/* Every field of every block in blocks_hex. */
static void check_all_fields(const mh_aux_info *in)
{
    CHECK_EQ_U(in->blocks, N_BLOCKS);
    CHECK_EQ_U(in->unknown, 2);
    CHECK_EQ_U(in->malformed, 0);

    CHECK(in->has_request_id);
    CHECK_EQ_U(in->request_session_id, 0x1234);
    CHECK_EQ_U(in->request_id, 0x5678);

    CHECK(in->has_session_info);
    CHECK(!in->has_connection_id);
    CHECK_EQ_U(in->session_id, 7);
    check_guid(&in->session_guid);

    CHECK(in->has_client_info);
    CHECK_EQ_U(in->adapter_speed, 100000);
    CHECK_EQ_U(in->client_id, 3);
    CHECK_EQ_U(in->client_mode, MH_AUX_CLIENTMODE_CACHED);
    CHECK_STR(in->machine_name, "WS01");
    CHECK_STR(in->user_name, "jdoe");
    CHECK_STR(in->adapter_name, "eth");
    static const unsigned char ip[4] = {192, 168, 1, 10};
    static const unsigned char mac[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
    CHECK(in->client_ip != NULL);
    if (in->client_ip)
        CHECK_MEM(in->client_ip, in->client_ip_len, ip, 4);
    CHECK(in->mac_address != NULL);
    if (in->mac_address)
        CHECK_MEM(in->mac_address, in->mac_address_len, mac, 6);

    CHECK(in->has_process_info);
    CHECK_EQ_U(in->process_id, 5);
    check_guid(&in->process_guid);
    CHECK_STR(in->process_name, "OUTLOOK.EXE");

    CHECK(in->has_connection_info);
    check_guid(&in->connection_guid);
    CHECK_EQ_U(in->connection_attempts, 3);
    CHECK_EQ_U(in->connection_flags, MH_AUX_CONNECTION_FLAG_CLIENT_IS_CACHED);
    CHECK_STR(in->connection_context_info, "ab");

    CHECK(in->has_account_info);
    CHECK_EQ_U(in->account_client_id, 3);
    check_guid(&in->account_guid);

    CHECK(in->has_server_info);
    CHECK_EQ_U(in->server_id, 1);
    CHECK_EQ_U(in->server_type, 1);
    CHECK_STR(in->server_dn, "/o=x");
    CHECK(in->server_name == NULL);

    CHECK(in->has_device_id);
    CHECK_STR(in->device_manufacturer, "A");
    CHECK_STR(in->device_model, "B");
    CHECK(in->device_serial_number == NULL);
    CHECK(in->device_firmware_version == NULL);

    /* the reports, in buffer order */
    CHECK_EQ_U(in->n_failure, 2);
    CHECK_EQ_U(in->n_success, 6);
    REQUIRE(in->n_reports == 8);
    const mh_aux_report *r = in->reports;
    CHECK_EQ_U(r[0].kind, MH_AUX_REPORT_FAILURE);
    CHECK_EQ_U(r[0].type, MH_AUX_TYPE_PERF_FAILURE);
    CHECK_EQ_U(r[0].client_id, 1);
    CHECK_EQ_U(r[0].server_id, 2);
    CHECK_EQ_U(r[0].session_id, 3);
    CHECK_EQ_U(r[0].request_id, 4);
    CHECK_EQ_U(r[0].time_since_request, 1000);
    CHECK_EQ_U(r[0].time_to_complete, 250);
    CHECK_EQ_U(r[0].result_code, 0x80040115u);
    CHECK_EQ_U(r[0].request_operation, 7);

    CHECK_EQ_U(r[1].kind, MH_AUX_REPORT_FAILURE);
    CHECK_EQ_U(r[1].type, MH_AUX_TYPE_PERF_FG_FAILURE);
    CHECK_EQ_U(r[1].version, 2);
    CHECK_EQ_U(r[1].process_id, 9);
    CHECK_EQ_U(r[1].client_id, 1);
    CHECK_EQ_U(r[1].request_id, 4);
    CHECK_EQ_U(r[1].time_since_request, 10);
    CHECK_EQ_U(r[1].time_to_complete, 20);
    CHECK_EQ_U(r[1].result_code, 0x4B9);
    CHECK_EQ_U(r[1].request_operation, 10);

    for (int i = 2; i <= 3; i++) { /* MDB_SUCCESS, MDB_SUCCESS_V2 */
        CHECK_EQ_U(r[i].kind, MH_AUX_REPORT_MDB_SUCCESS);
        CHECK_EQ_U(r[i].client_id, 1);
        CHECK_EQ_U(r[i].server_id, 2);
        CHECK_EQ_U(r[i].session_id, 3);
        CHECK_EQ_U(r[i].request_id, 4);
        CHECK_EQ_U(r[i].time_since_request, 100);
        CHECK_EQ_U(r[i].time_to_complete, 5);
    }
    CHECK_EQ_U(r[2].process_id, 0);
    CHECK_EQ_U(r[3].process_id, 9);
    CHECK_EQ_U(r[3].type, MH_AUX_TYPE_PERF_BG_MDB_SUCCESS);
    for (int i = 4; i <= 5; i++) { /* GC_SUCCESS, GC_SUCCESS_V2 */
        CHECK_EQ_U(r[i].kind, MH_AUX_REPORT_GC_SUCCESS);
        CHECK_EQ_U(r[i].client_id, 1);
        CHECK_EQ_U(r[i].server_id, 2);
        CHECK_EQ_U(r[i].session_id, 3);
        CHECK_EQ_U(r[i].time_since_request, 10);
        CHECK_EQ_U(r[i].time_to_complete, 11);
        CHECK_EQ_U(r[i].request_operation, 12);
    }
    CHECK_EQ_U(r[4].process_id, 0);
    CHECK_EQ_U(r[5].process_id, 9);
    CHECK_EQ_U(r[6].kind, MH_AUX_REPORT_MDB_SUCCESS); /* DEFMDB */
    CHECK_EQ_U(r[6].time_since_request, 16);
    CHECK_EQ_U(r[6].time_to_complete, 32);
    CHECK_EQ_U(r[6].request_id, 6);
    CHECK_EQ_U(r[7].kind, MH_AUX_REPORT_GC_SUCCESS); /* DEFGC, BG */
    CHECK_EQ_U(r[7].type, MH_AUX_TYPE_PERF_BG_DEFGC_SUCCESS);
    CHECK_EQ_U(r[7].server_id, 2);
    CHECK_EQ_U(r[7].session_id, 3);
    CHECK_EQ_U(r[7].time_since_request, 16);
    CHECK_EQ_U(r[7].time_to_complete, 32);
    CHECK_EQ_U(r[7].request_operation, 13);
}

static void test_every_block(void)
{
    unsigned char pay[1024], buf[1100];
    size_t n = all_blocks(pay, sizeof(pay));
    size_t len = wrap_plain(pay, n, buf);
    mh_aux_info info;
    const char *why = NULL;
    REQUIRE(mh_aux_parse(buf, len, pool, &info, &why) == 0);
    CHECK_EQ_U(info.rpcext_flags, MH_RPCEXT_LAST);
    check_all_fields(&info);
}

static void test_sessioninfo_v2(void)
{
    unsigned char pay[64], buf[80];
    /* AUX_PERF_SESSIONINFO_V2 (2.2.2.2.3): Size 28, Version 2, Type 4;
     * SessionID 7, Reserved, GUID, ConnectionID 42 */
    size_t n = mh_test_unhex("1c 00 02 04  07 00 00 00 " GUID_HEX " 2a 00 00 00",
                             pay, sizeof(pay));
    CHECK_EQ_U(n, 28);
    size_t len = wrap_plain(pay, n, buf);
    mh_aux_info info;
    const char *why;
    REQUIRE(mh_aux_parse(buf, len, pool, &info, &why) == 0);
    CHECK(info.has_session_info);
    CHECK(info.has_connection_id);
    CHECK_EQ_U(info.session_id, 7);
    CHECK_EQ_U(info.connection_id, 42);
    check_guid(&info.session_guid);
}

static void test_empty_and_framing(void)
{
    mh_aux_info info;
    const char *why = NULL;
    /* no buffer at all */
    CHECK(mh_aux_parse(NULL, 0, pool, &info, &why) == 0);
    CHECK_EQ_U(info.blocks, 0);
    /* a header with no blocks */
    unsigned char buf[64];
    size_t len = wrap_plain(NULL, 0, buf);
    CHECK(mh_aux_parse(buf, len, pool, &info, &why) == 0);
    CHECK_EQ_U(info.blocks, 0);
    /* Size 3 cannot even hold the AUX_HEADER: no way to go on */
    unsigned char pay[8] = {0x03, 0x00, 0x01, 0x01, 0, 0, 0, 0};
    len = wrap_plain(pay, 8, buf);
    why = NULL;
    CHECK(mh_aux_parse(buf, len, pool, &info, &why) != 0);
    CHECK(why != NULL);
    /* Size past the payload */
    mh_put_u16(pay, 9);
    len = wrap_plain(pay, 8, buf);
    CHECK(mh_aux_parse(buf, len, pool, &info, &why) != 0);
    /* a good block, then 2 stray bytes: the first block is still reported */
    unsigned char pay2[10];
    size_t n = mh_test_unhex("08 00 01 01 34 12 78 56 00 00", pay2, sizeof(pay2));
    len = wrap_plain(pay2, n, buf);
    CHECK(mh_aux_parse(buf, len, pool, &info, &why) != 0);
    CHECK(info.has_request_id);
    CHECK_EQ_U(info.request_id, 0x5678);
    /* the extended buffer itself must have Last (3.1.4.1.1.1.1) */
    len = wrap_plain(pay2, 8, buf);
    mh_put_u16(buf + 2, 0);
    CHECK(mh_aux_parse(buf, len, pool, &info, &why) != 0);
}

/* Offsets pointing outside the block make that block, and only it, count
 * as malformed; its fields stay unset and the next block is read. */
static void test_bad_offsets(void)
{
    static const char *const cases[] = {
        /* CLIENTINFO with MachineNameOffset 0x200 */
        "20 00 01 02  00 00 00 00 00 00 00 02 00 00 00 00 00 00 00 00 00 00 00 00"
        " 00 00 00 00 02 00 00 00",
        /* CLIENTINFO with ClientIP 8 bytes at 28: runs past Size 32 */
        "20 00 01 02  00 00 00 00 00 00 00 00 00 00 08 00 1c 00 00 00 00 00 00 00"
        " 00 00 00 00 02 00 00 00",
        /* PROCESSINFO whose name has no NUL inside the block */
        "20 00 02 0b  05 00 00 00 " GUID_HEX " 1c 00 00 00 41 00 42 00",
        /* PROCESSINFO whose name offset points into the fixed part */
        "20 00 02 0b  05 00 00 00 " GUID_HEX " 04 00 00 00 41 00 00 00",
        /* CLIENT_CONNECTION_INFO with the string offset at Size */
        "20 00 01 4a " GUID_HEX " 20 00 00 00 01 00 00 00 00 00 00 00",
        /* SERVER_SESSION_INFO shorter than its fixed part */
        "05 00 01 4b 00",
        /* FAILURE_V2 cut at 24 bytes */
        "1c 00 02 09  09 00 01 00 02 00 03 00 04 00 00 00  0a 00 00 00"
        " 14 00 00 00  b9 04 00 00",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned char pay[128], buf[160];
        size_t n = mh_test_unhex(cases[i], pay, sizeof(pay));
        CHECK_EQ_U(mh_get_u16(pay), n); /* the case's own Size is right */
        n += mh_test_unhex("08 00 01 01 34 12 78 56", pay + n, sizeof(pay) - n);
        size_t len = wrap_plain(pay, n, buf);
        mh_aux_info info;
        const char *why = NULL;
        CHECK(mh_aux_parse(buf, len, pool, &info, &why) == 0);
        CHECK_EQ_U(info.blocks, 2);
        CHECK_EQ_U(info.malformed, 1);
        CHECK(!info.has_client_info && !info.has_process_info &&
              !info.has_connection_info && !info.has_server_session_info);
        CHECK_EQ_U(info.n_reports, 0);
        CHECK(info.has_request_id);
        if (mh_t_current_failed) {
            printf("# case %zu\n", i);
            return;
        }
    }
}

/*
 * Truncations: (1) every prefix of a valid rgbAuxIn (the RPC_HEADER_EXT
 * Size then disagrees: refused), (2) every prefix of the block payload in
 * a fresh, valid header (framing broken at the cut block: refused, the
 * blocks before it reported), (3) every block with its Size and bytes cut
 * to each shorter length (framing intact: the block is malformed or, for
 * string padding, still fine).  Each input sits in its own malloc'd buffer
 * of the exact length so that ASan sees any read past it.
 */
static void test_truncations(void)
{
    unsigned char pay[1024], full[1100];
    size_t n = all_blocks(pay, sizeof(pay));
    size_t full_len = wrap_plain(pay, n, full);
    mh_aux_info info;
    const char *why;
    for (size_t cut = 0; cut < full_len; cut++) {
        unsigned char *b = malloc(cut ? cut : 1);
        memcpy(b, full, cut);
        int r = mh_aux_parse(b, cut, pool, &info, &why);
        CHECK(cut == 0 ? r == 0 : r != 0);
        free(b);
    }
    /* block starts, to know which cuts fall on a boundary */
    size_t starts[N_BLOCKS + 1], off = 0;
    for (size_t i = 0; i < N_BLOCKS; i++) {
        starts[i] = off;
        off += mh_get_u16(pay + off);
    }
    starts[N_BLOCKS] = off;
    REQUIRE(off == n);
    for (size_t cut = 0; cut <= n; cut++) {
        unsigned char *b = malloc(cut + 8);
        size_t len = wrap_plain(pay, cut, b);
        int boundary = 0;
        size_t whole = 0;
        for (size_t i = 0; i <= N_BLOCKS; i++) {
            if (starts[i] == cut)
                boundary = 1;
            if (starts[i] <= cut)
                whole = i;
        }
        int r = mh_aux_parse(b, len, pool, &info, &why);
        CHECK(boundary ? r == 0 : r != 0);
        CHECK_EQ_U(info.blocks, whole);
        CHECK_EQ_U(info.malformed, 0);
        free(b);
    }
    for (size_t i = 0; i < N_BLOCKS; i++) {
        size_t size = starts[i + 1] - starts[i];
        for (size_t s = MH_AUX_HEADER_LEN; s < size; s++) {
            unsigned char *b = malloc(s + 8);
            size_t len = wrap_plain(pay + starts[i], s, b);
            mh_put_u16(b + 8, (uint16_t)s);
            int r = mh_aux_parse(b, len, pool, &info, &why);
            CHECK(r == 0);
            CHECK_EQ_U(info.blocks, 1);
            CHECK_EQ_U(info.unknown + info.malformed + (info.n_reports ? 1 : 0) +
                           info.has_client_info + info.has_process_info +
                           info.has_connection_info + info.has_server_info +
                           info.has_device_id + info.has_request_id +
                           info.has_session_info + info.has_account_info,
                       1);
            free(b);
        }
    }
}

static void test_xor_and_compressed(void)
{
    unsigned char pay[1024];
    size_t n = all_blocks(pay, sizeof(pay));
    /* XorMagic by hand: every payload byte XOR 0xA5 (3.1.4.1.1.3) */
    unsigned char *x = malloc(n + 8);
    wrap_plain(pay, n, x);
    mh_put_u16(x + 2, MH_RPCEXT_LAST | MH_RPCEXT_XORMAGIC);
    for (size_t i = 0; i < n; i++)
        x[8 + i] ^= 0xA5;
    mh_aux_info info;
    const char *why;
    CHECK(mh_aux_parse(x, n + 8, pool, &info, &why) == 0);
    CHECK_EQ_U(info.rpcext_flags, MH_RPCEXT_LAST | MH_RPCEXT_XORMAGIC);
    check_all_fields(&info);
    free(x);
    /* compressed, and compressed then XORed */
    for (int xor = 0; xor < 2; xor++) {
        mh_wr wr;
        mh_wr_init(&wr, pool, 64);
        mh_rpcext_append(&wr, pay, n, 1, xor, 1);
        uint16_t flags = mh_get_u16(wr.buf + 2);
        CHECK(flags & MH_RPCEXT_COMPRESSED);
        CHECK(mh_get_u16(wr.buf + 4) < n);
        REQUIRE(mh_aux_parse(wr.buf, wr.len, pool, &info, &why) == 0);
        CHECK_EQ_U(info.rpcext_flags, flags);
        check_all_fields(&info);
    }
}

static void test_connect_bytes(void)
{
    mh_aux_connect_opts o;
    mh_aux_connect_defaults(&o);
    CHECK_EQ_U(o.enable_flags, MH_AUX_ENABLE_COMPRESSION | MH_AUX_ENABLE_HTTP_TUNNELING);
    CHECK_EQ_U(o.org_flags, 0);
    CHECK(!o.endpoint_capabilities);
    o.expiry_time = 604800000; /* 0x240C8400 */
    o.server_session_info = "s-1";
    mh_wr wr;
    mh_wr_init(&wr, pool, 16);
    mh_aux_build_connect(&wr, &o, 0, 0);
    unsigned char want[64];
    size_t wn = mh_test_unhex(
        "00 00 04 00 24 00 24 00"     /* RPC_HEADER_EXT: Last, 36 bytes */
        " 08 00 01 17 00 00 00 00"    /* AUX_EXORGINFO, OrgFlags 0 */
        " 0c 00 01 0a 0c 00 00 00 00 84 0c 24" /* AUX_CLIENT_CONTROL */
        " 10 00 01 4b 06 00 73 00 2d 00 31 00 00 00 00 00", /* SESSION_INFO */
        want, sizeof(want));
    CHECK_MEM(wr.buf, wr.len, want, wn);
    /* the empty form */
    mh_wr_init(&wr, pool, 16);
    mh_aux_build_empty(&wr);
    static const unsigned char empty[8] = {0, 0, 4, 0, 0, 0, 0, 0};
    CHECK_MEM(wr.buf, wr.len, empty, 8);
}

static void test_connect_round_trip(void)
{
    for (int mode = 0; mode < 4; mode++) {
        mh_aux_connect_opts o;
        mh_aux_connect_defaults(&o);
        o.enable_flags |= MH_AUX_ENABLE_PERF_SENDTOSERVER;
        o.expiry_time = 123456;
        o.org_flags = MH_AUX_PUBLIC_FOLDERS_ENABLED;
        o.server_session_info = "{3F2504E0-4F89-11D3-9A0C-0305E82C3301} é€𝄞";
        o.endpoint_capabilities = mode & 1;
        mh_wr wr;
        mh_wr_init(&wr, pool, 16);
        mh_aux_build_connect(&wr, &o, (mode & 2) != 0, (mode & 2) != 0);
        CHECK(wr.len <= MH_AUX_MAX);
        mh_aux_info info;
        const char *why;
        REQUIRE(mh_aux_parse(wr.buf, wr.len, pool, &info, &why) == 0);
        CHECK_EQ_U(info.blocks, 3 + (mode & 1));
        CHECK_EQ_U(info.unknown + info.malformed, 0);
        CHECK(info.has_client_control);
        CHECK_EQ_U(info.enable_flags, o.enable_flags);
        CHECK_EQ_U(info.expiry_time, 123456);
        CHECK(info.has_exorginfo);
        CHECK_EQ_U(info.org_flags, MH_AUX_PUBLIC_FOLDERS_ENABLED);
        CHECK(info.has_server_session_info);
        CHECK_STR(info.server_session_info, o.server_session_info);
        CHECK_EQ_U(info.has_endpoint_capabilities, mode & 1);
        if (mode & 1)
            CHECK_EQ_U(info.endpoint_capability_flags,
                       MH_AUX_ENDPOINT_CAPABILITIES_SINGLE_ENDPOINT);
        CHECK_EQ_U(info.rpcext_flags & MH_RPCEXT_XORMAGIC, (mode & 2) ? MH_RPCEXT_XORMAGIC : 0);
        /* every block 4-byte aligned */
        CHECK_EQ_U(mh_get_u16(wr.buf + 6) % 4, 0);
    }
    /* no session string: no AUX_SERVER_SESSION_INFO */
    mh_aux_connect_opts o;
    mh_aux_connect_defaults(&o);
    mh_wr wr;
    mh_wr_init(&wr, pool, 16);
    mh_aux_build_connect(&wr, &o, 0, 0);
    mh_aux_info info;
    const char *why;
    REQUIRE(mh_aux_parse(wr.buf, wr.len, pool, &info, &why) == 0);
    CHECK_EQ_U(info.blocks, 2);
    CHECK(!info.has_server_session_info);
}

/* A session string far beyond the limit is cut (on a character boundary)
 * and the whole rgbAuxOut stays within pcbAuxOut's 0x1008 (3.1.4.1). */
static void test_connect_limit(void)
{
    char *big = apr_palloc(pool, 9001);
    for (int i = 0; i < 9000; i += 3) { /* U+20AC, 3 bytes in UTF-8 */
        big[i] = (char)0xE2;
        big[i + 1] = (char)0x82;
        big[i + 2] = (char)0xAC;
    }
    big[9000] = '\0';
    mh_aux_connect_opts o;
    mh_aux_connect_defaults(&o);
    o.server_session_info = big;
    o.endpoint_capabilities = 1;
    mh_wr wr;
    mh_wr_init(&wr, pool, 16);
    mh_aux_build_connect(&wr, &o, 0, 0);
    CHECK(wr.len <= MH_AUX_MAX);
    mh_aux_info info;
    const char *why;
    REQUIRE(mh_aux_parse(wr.buf, wr.len, pool, &info, &why) == 0);
    REQUIRE(info.server_session_info != NULL);
    size_t got = strlen(info.server_session_info);
    CHECK(got <= MH_AUX_SERVER_SESSION_INFO_MAX);
    CHECK(got >= MH_AUX_SERVER_SESSION_INFO_MAX - 2);
    CHECK_EQ_U(got % 3, 0);
    CHECK(strncmp(info.server_session_info, big, got) == 0);
}

static void test_summary(void)
{
    unsigned char pay[1024], buf[1100];
    size_t n = all_blocks(pay, sizeof(pay));
    size_t len = wrap_plain(pay, n, buf);
    mh_aux_info info;
    const char *why;
    REQUIRE(mh_aux_parse(buf, len, pool, &info, &why) == 0);
    const char *s = mh_aux_summary(&info, pool);
    CHECK(strstr(s, "blocks=18") != NULL);
    CHECK(strstr(s, "machine=\"WS01\"") != NULL);
    CHECK(strstr(s, "user=\"jdoe\"") != NULL);
    CHECK(strstr(s, "mode=cached") != NULL);
    CHECK(strstr(s, "ip=192.168.1.10") != NULL);
    CHECK(strstr(s, "process=\"OUTLOOK.EXE\"") != NULL);
    CHECK(strstr(s, "session=7/33221100-5544-7766-8899-aabbccddeeff") != NULL);
    CHECK(strstr(s, "attempts=3 flags=0x1") != NULL);
    CHECK(strstr(s, "ctx=\"ab\"") != NULL);
    CHECK(strstr(s, "fail=0x80040115/op7/250ms") != NULL);
    CHECK(strstr(s, "failed=2") != NULL);
    CHECK(strstr(s, "unknown=2") != NULL);
    /* a machine name with a line break and a quote cannot split the log
     * line or close the quotes */
    unsigned char p2[64];
    size_t m = mh_test_unhex("24 00 01 02  00 00 00 00 00 00 20 00 00 00 00 00"
                             " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
                             " 41 00 0a 00 22 00 42 00",
                             p2, sizeof(p2));
    /* pad: "A\n\"B" needs its NUL */
    p2[m++] = 0;
    p2[m++] = 0;
    mh_put_u16(p2, (uint16_t)m);
    len = wrap_plain(p2, m, buf);
    REQUIRE(mh_aux_parse(buf, len, pool, &info, &why) == 0);
    REQUIRE(info.machine_name != NULL);
    s = mh_aux_summary(&info, pool);
    CHECK(strchr(s, '\n') == NULL);
    CHECK(strstr(s, "machine=\"A??B\"") != NULL);
}

static void test_client_version(void)
{
    uint16_t v[4];
    CHECK(mh_client_version_parse("Outlook/15.0.4569.1506", v) == 0);
    CHECK(v[0] == 15 && v[1] == 0 && v[2] == 4569 && v[3] == 1506);
    CHECK(mh_client_version_parse("MapiHttpClient/15.00.0847.4040", v) == 0);
    CHECK(v[0] == 15 && v[1] == 0 && v[2] == 847 && v[3] == 4040);
    CHECK(mh_client_version_parse("Outlook/16.0.17928.20114 (Windows NT 10.0)", v) == 0);
    CHECK(v[0] == 16 && v[2] == 17928 && v[3] == 20114);
    CHECK(mh_client_version_parse("Outlook/16.0", v) == 0);
    CHECK(v[0] == 16 && v[1] == 0 && v[2] == 0 && v[3] == 0);
    CHECK(mh_client_version_parse("15.0.4569.1506", v) == 0);
    CHECK(v[2] == 4569);
    CHECK(mh_client_version_parse("Foo/ 1.2.3", v) == 0);
    CHECK(v[0] == 1 && v[1] == 2 && v[2] == 3 && v[3] == 0);
    /* no version */
    CHECK(mh_client_version_parse(NULL, v) != 0);
    CHECK(mh_client_version_parse("", v) != 0);
    CHECK(mh_client_version_parse("Outlook", v) != 0);
    CHECK(mh_client_version_parse("Outlook/", v) != 0);
    CHECK(mh_client_version_parse("Outlook/16", v) != 0);
    CHECK(mh_client_version_parse("Outlook/x.1", v) != 0);
    CHECK(mh_client_version_parse("Outlook/16.0.65536.1", v) != 0);
    CHECK(v[0] == 0 && v[1] == 0 && v[2] == 0 && v[3] == 0);
    /* comparison */
    uint16_t a[4] = {15, 0, 4569, 1506}, b[4] = {15, 0, 847, 4040},
             c[4] = {16, 0, 0, 0};
    CHECK(mh_client_version_cmp(a, b) > 0);
    CHECK(mh_client_version_cmp(b, a) < 0);
    CHECK(mh_client_version_cmp(a, a) == 0);
    CHECK(mh_client_version_cmp(c, a) > 0);
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&pool, NULL);
    RUN(test_every_block);
    RUN(test_sessioninfo_v2);
    RUN(test_empty_and_framing);
    RUN(test_bad_offsets);
    RUN(test_truncations);
    RUN(test_xor_and_compressed);
    RUN(test_connect_bytes);
    RUN(test_connect_round_trip);
    RUN(test_connect_limit);
    RUN(test_summary);
    RUN(test_client_version);
    return MH_TEST_DONE();
}
