/*
 * mh_aux.c - MS-OXCRPC auxiliary buffers (sections 2.2.2.2, 3.1.4.1.2) and
 * the client version of X-ClientApplication.
 */
#include "mh_aux.h"
#include "mh_bodies.h"
#include "mh_rpcext.h"
#include "mh_unicode.h"

#include <string.h>
#include <apr_strings.h>

/*
 * One block: the bytes from its AUX_HEADER to the end of its Size.  Every
 * offset in a block counts from the start of its AUX_HEADER (2.2.2.2.4 and
 * the other blocks with variable parts), so reads are relative to `p` and
 * limited to `size`.
 */
typedef struct aux_block {
    const unsigned char *p;
    size_t size;       /* AUX_HEADER Size: header + block */
    size_t fixed_end;  /* offset where the fixed part ends */
    uint8_t version;
    uint8_t type;
    int bad;           /* an offset or size did not fit: ignore the block */
} aux_block;

/* A reader over the fixed part, which must be at least `fixed` bytes. */
static int block_fixed(aux_block *b, size_t fixed, mh_rd *rd)
{
    if (b->size < MH_AUX_HEADER_LEN + fixed)
        return 0;
    b->fixed_end = MH_AUX_HEADER_LEN + fixed;
    mh_rd_init(rd, b->p + MH_AUX_HEADER_LEN, fixed);
    return 1;
}

/*
 * A NUL-terminated UTF-16LE string at `off` (0: absent).  It must start
 * after the fixed part and end, NUL included, inside the block; longer
 * strings than MH_AUX_STRING_MAX code units are cut.
 */
static const char *block_string(aux_block *b, uint16_t off, apr_pool_t *pool)
{
    if (off == 0 || b->bad)
        return NULL;
    if (off < b->fixed_end || off >= b->size) {
        b->bad = 1;
        return NULL;
    }
    const unsigned char *s = b->p + off;
    size_t avail = (b->size - off) / 2, units = 0;
    while (units < avail && (s[2 * units] | s[2 * units + 1]) != 0)
        units++;
    if (units == avail) { /* no terminator inside the block */
        b->bad = 1;
        return NULL;
    }
    if (units > MH_AUX_STRING_MAX)
        units = MH_AUX_STRING_MAX;
    unsigned char *tmp = apr_palloc(pool, 2 * units + 2);
    memcpy(tmp, s, 2 * units);
    tmp[2 * units] = tmp[2 * units + 1] = 0;
    mh_rd rd;
    mh_rd_init(&rd, tmp, 2 * units + 2);
    const char *r = mh_rd_utf16z(&rd, units, pool);
    if (!r)
        b->bad = 1;
    return r;
}

/* Raw bytes at `off`, `n` long (absent when either is 0). */
static const unsigned char *block_bytes(aux_block *b, uint16_t off, uint16_t n,
                                        apr_pool_t *pool)
{
    if (off == 0 || n == 0 || b->bad)
        return NULL;
    if (off < b->fixed_end || (size_t)off + n > b->size) {
        b->bad = 1;
        return NULL;
    }
    return apr_pmemdup(pool, b->p + off, n);
}

static void rd_guid(mh_rd *rd, mh_guid *g)
{
    mh_rd_copy(rd, g->b, sizeof(g->b));
}

static void add_report(mh_aux_info *info, const mh_aux_report *r)
{
    if (r->kind == MH_AUX_REPORT_FAILURE)
        info->n_failure++;
    else
        info->n_success++;
    if (info->n_reports < MH_AUX_MAX_REPORTS)
        info->reports[info->n_reports++] = *r;
}

/* The performance report blocks, 2.2.2.2.7-2.2.2.2.14. */
static int parse_report(aux_block *b, mh_aux_info *info)
{
    mh_rd rd;
    mh_aux_report r;
    memset(&r, 0, sizeof(r));
    r.type = b->type;
    r.version = b->version;
    int v2 = b->version == MH_AUX_VERSION_2;
    switch (b->type) {
    case MH_AUX_TYPE_PERF_DEFMDB_SUCCESS:
    case MH_AUX_TYPE_PERF_BG_DEFMDB_SUCCESS:
    case MH_AUX_TYPE_PERF_FG_DEFMDB_SUCCESS:
        /* 2.2.2.2.7: TimeSinceRequest, TimeToCompleteRequest, RequestID, Reserved */
        if (v2 || !block_fixed(b, 12, &rd))
            return v2 ? 0 : -1;
        r.kind = MH_AUX_REPORT_MDB_SUCCESS;
        r.time_since_request = mh_rd_u32(&rd);
        r.time_to_complete = mh_rd_u32(&rd);
        r.request_id = mh_rd_u16(&rd);
        break;
    case MH_AUX_TYPE_PERF_DEFGC_SUCCESS:
    case MH_AUX_TYPE_PERF_BG_DEFGC_SUCCESS:
    case MH_AUX_TYPE_PERF_FG_DEFGC_SUCCESS:
        /* 2.2.2.2.8: ServerID, SessionID, TimeSince, TimeToComplete,
         * RequestOperation u8, Reserved[3] */
        if (v2 || !block_fixed(b, 16, &rd))
            return v2 ? 0 : -1;
        r.kind = MH_AUX_REPORT_GC_SUCCESS;
        r.server_id = mh_rd_u16(&rd);
        r.session_id = mh_rd_u16(&rd);
        r.time_since_request = mh_rd_u32(&rd);
        r.time_to_complete = mh_rd_u32(&rd);
        r.request_operation = mh_rd_u8(&rd);
        break;
    case MH_AUX_TYPE_PERF_MDB_SUCCESS:
    case MH_AUX_TYPE_PERF_BG_MDB_SUCCESS:
    case MH_AUX_TYPE_PERF_FG_MDB_SUCCESS:
        /* 2.2.2.2.9: ClientID, ServerID, SessionID, RequestID, TimeSince,
         * TimeToComplete.  2.2.2.2.10 (_V2) puts ProcessID first and a
         * Reserved u16 after RequestID. */
        if (!block_fixed(b, v2 ? 20 : 16, &rd))
            return -1;
        r.kind = MH_AUX_REPORT_MDB_SUCCESS;
        if (v2)
            r.process_id = mh_rd_u16(&rd);
        r.client_id = mh_rd_u16(&rd);
        r.server_id = mh_rd_u16(&rd);
        r.session_id = mh_rd_u16(&rd);
        r.request_id = mh_rd_u16(&rd);
        if (v2)
            (void)mh_rd_u16(&rd); /* Reserved */
        r.time_since_request = mh_rd_u32(&rd);
        r.time_to_complete = mh_rd_u32(&rd);
        break;
    case MH_AUX_TYPE_PERF_GC_SUCCESS:
    case MH_AUX_TYPE_PERF_BG_GC_SUCCESS:
    case MH_AUX_TYPE_PERF_FG_GC_SUCCESS:
        /* 2.2.2.2.11: ClientID, ServerID, SessionID, Reserved_1, TimeSince,
         * TimeToComplete, RequestOperation u8, Reserved_2[3].
         * 2.2.2.2.12 (_V2): ProcessID, ClientID, ServerID, SessionID, ... */
        if (!block_fixed(b, 20, &rd))
            return -1;
        r.kind = MH_AUX_REPORT_GC_SUCCESS;
        if (v2)
            r.process_id = mh_rd_u16(&rd);
        r.client_id = mh_rd_u16(&rd);
        r.server_id = mh_rd_u16(&rd);
        r.session_id = mh_rd_u16(&rd);
        if (!v2)
            (void)mh_rd_u16(&rd); /* Reserved_1 */
        r.time_since_request = mh_rd_u32(&rd);
        r.time_to_complete = mh_rd_u32(&rd);
        r.request_operation = mh_rd_u8(&rd);
        break;
    case MH_AUX_TYPE_PERF_FAILURE:
    case MH_AUX_TYPE_PERF_BG_FAILURE:
    case MH_AUX_TYPE_PERF_FG_FAILURE:
        /* 2.2.2.2.13: ClientID, ServerID, SessionID, RequestID, TimeSince,
         * TimeToFail, ResultCode, RequestOperation u8, Reserved[3].
         * 2.2.2.2.14 (_V2): ProcessID first, Reserved_1 u16 after RequestID. */
        if (!block_fixed(b, v2 ? 28 : 24, &rd))
            return -1;
        r.kind = MH_AUX_REPORT_FAILURE;
        if (v2)
            r.process_id = mh_rd_u16(&rd);
        r.client_id = mh_rd_u16(&rd);
        r.server_id = mh_rd_u16(&rd);
        r.session_id = mh_rd_u16(&rd);
        r.request_id = mh_rd_u16(&rd);
        if (v2)
            (void)mh_rd_u16(&rd); /* Reserved_1 */
        r.time_since_request = mh_rd_u32(&rd);
        r.time_to_complete = mh_rd_u32(&rd);
        r.result_code = mh_rd_u32(&rd);
        r.request_operation = mh_rd_u8(&rd);
        break;
    default:
        return 0;
    }
    add_report(info, &r);
    return 1;
}

/*
 * Decodes one block into info.  Returns 1 when decoded, 0 when the
 * version/type pair is not known (skipped), -1 when it is known but does
 * not fit its block (ignored; nothing of it reaches info).
 */
static int parse_block(aux_block *b, apr_pool_t *pool, mh_aux_info *info)
{
    mh_rd rd;
    int v1 = b->version == MH_AUX_VERSION_1, v2 = b->version == MH_AUX_VERSION_2;
    if (!v1 && !v2)
        return 0;
    switch (b->type) {
    case MH_AUX_TYPE_PERF_REQUESTID: { /* 2.2.2.2.1 */
        if (!v1)
            return 0;
        if (!block_fixed(b, 4, &rd))
            return -1;
        info->request_session_id = mh_rd_u16(&rd);
        info->request_id = mh_rd_u16(&rd);
        info->has_request_id = 1;
        return 1;
    }
    case MH_AUX_TYPE_PERF_SESSIONINFO: { /* 2.2.2.2.2; _V2 2.2.2.2.3 */
        if (!block_fixed(b, v2 ? 24 : 20, &rd))
            return -1;
        uint16_t id = mh_rd_u16(&rd);
        (void)mh_rd_u16(&rd); /* Reserved */
        rd_guid(&rd, &info->session_guid);
        info->session_id = id;
        info->has_connection_id = v2;
        info->connection_id = v2 ? mh_rd_u32(&rd) : 0;
        info->has_session_info = 1;
        return 1;
    }
    case MH_AUX_TYPE_PERF_CLIENTINFO: { /* 2.2.2.2.4 */
        if (!v1)
            return 0;
        if (!block_fixed(b, 28, &rd))
            return -1;
        uint32_t speed = mh_rd_u32(&rd);
        uint16_t client_id = mh_rd_u16(&rd);
        uint16_t machine_off = mh_rd_u16(&rd);
        uint16_t user_off = mh_rd_u16(&rd);
        uint16_t ip_size = mh_rd_u16(&rd);
        uint16_t ip_off = mh_rd_u16(&rd);
        uint16_t mask_size = mh_rd_u16(&rd);
        uint16_t mask_off = mh_rd_u16(&rd);
        uint16_t adapter_off = mh_rd_u16(&rd);
        uint16_t mac_size = mh_rd_u16(&rd);
        uint16_t mac_off = mh_rd_u16(&rd);
        uint16_t mode = mh_rd_u16(&rd);
        const char *machine = block_string(b, machine_off, pool);
        const char *user = block_string(b, user_off, pool);
        const char *adapter = block_string(b, adapter_off, pool);
        const unsigned char *ip = block_bytes(b, ip_off, ip_size, pool);
        (void)block_bytes(b, mask_off, mask_size, pool); /* checked, not kept */
        const unsigned char *mac = block_bytes(b, mac_off, mac_size, pool);
        if (b->bad)
            return -1;
        info->adapter_speed = speed;
        info->client_id = client_id;
        info->client_mode = mode;
        info->machine_name = machine;
        info->user_name = user;
        info->adapter_name = adapter;
        info->client_ip = ip;
        info->client_ip_len = ip ? ip_size : 0;
        info->mac_address = mac;
        info->mac_address_len = mac ? mac_size : 0;
        info->has_client_info = 1;
        return 1;
    }
    case MH_AUX_TYPE_PERF_SERVERINFO: { /* 2.2.2.2.5 */
        if (!v1)
            return 0;
        if (!block_fixed(b, 8, &rd))
            return -1;
        uint16_t id = mh_rd_u16(&rd);
        uint16_t stype = mh_rd_u16(&rd);
        uint16_t dn_off = mh_rd_u16(&rd);
        uint16_t name_off = mh_rd_u16(&rd);
        const char *dn = block_string(b, dn_off, pool);
        const char *name = block_string(b, name_off, pool);
        if (b->bad)
            return -1;
        info->server_id = id;
        info->server_type = stype;
        info->server_dn = dn;
        info->server_name = name;
        info->has_server_info = 1;
        return 1;
    }
    case MH_AUX_TYPE_PERF_PROCESSINFO: { /* 2.2.2.2.6, sent as version 2 */
        if (!block_fixed(b, 24, &rd))
            return -1;
        uint16_t pid = mh_rd_u16(&rd);
        (void)mh_rd_u16(&rd); /* Reserved_1 */
        mh_guid g;
        rd_guid(&rd, &g);
        uint16_t name_off = mh_rd_u16(&rd);
        const char *name = block_string(b, name_off, pool);
        if (b->bad)
            return -1;
        info->process_id = pid;
        info->process_guid = g;
        info->process_name = name;
        info->has_process_info = 1;
        return 1;
    }
    case MH_AUX_TYPE_CLIENT_CONTROL: /* 2.2.2.2.15 */
        if (!v1)
            return 0;
        if (!block_fixed(b, 8, &rd))
            return -1;
        info->enable_flags = mh_rd_u32(&rd);
        info->expiry_time = mh_rd_u32(&rd);
        info->has_client_control = 1;
        return 1;
    case MH_AUX_TYPE_OSVERSIONINFO: /* 2.2.2.2.16 */
        if (!v1)
            return 0;
        /* OSVersionInfoSize, Major, Minor, Build, Reserved_1[132],
         * ServicePackMajor u16, ServicePackMinor u16, Reserved_2 u32 */
        if (!block_fixed(b, 16 + 132 + 8, &rd))
            return -1;
        (void)mh_rd_u32(&rd);
        info->os_major = mh_rd_u32(&rd);
        info->os_minor = mh_rd_u32(&rd);
        info->os_build = mh_rd_u32(&rd);
        (void)mh_rd_bytes(&rd, 132);
        info->os_sp_major = mh_rd_u16(&rd);
        info->os_sp_minor = mh_rd_u16(&rd);
        info->has_osversion = 1;
        return 1;
    case MH_AUX_TYPE_EXORGINFO: /* 2.2.2.2.17 */
        if (!v1)
            return 0;
        if (!block_fixed(b, 4, &rd))
            return -1;
        info->org_flags = mh_rd_u32(&rd);
        info->has_exorginfo = 1;
        return 1;
    case MH_AUX_TYPE_PERF_ACCOUNTINFO: /* 2.2.2.2.18 */
        if (!v1)
            return 0;
        if (!block_fixed(b, 20, &rd))
            return -1;
        info->account_client_id = mh_rd_u16(&rd);
        (void)mh_rd_u16(&rd); /* Reserved */
        rd_guid(&rd, &info->account_guid);
        info->has_account_info = 1;
        return 1;
    case MH_AUX_TYPE_ENDPOINT_CAPABILITIES: /* 2.2.2.2.19 */
        if (!v1)
            return 0;
        if (!block_fixed(b, 4, &rd))
            return -1;
        info->endpoint_capability_flags = mh_rd_u32(&rd);
        info->has_endpoint_capabilities = 1;
        return 1;
    case MH_AUX_TYPE_CLIENT_CONNECTION_INFO: { /* 2.2.2.2.20 */
        if (!v1)
            return 0;
        /* ConnectionGUID, OffsetConnectionContextInfo u16, Reserved u16,
         * ConnectionAttempts u32, ConnectionFlags u32.  The Reserved u16
         * aligns ConnectionAttempts to 4 bytes, so Attempts is 4 bytes
         * (as MAPIInspector reads it), whatever the older requirement
         * row says. */
        if (!block_fixed(b, 28, &rd))
            return -1;
        mh_guid g;
        rd_guid(&rd, &g);
        uint16_t off = mh_rd_u16(&rd);
        (void)mh_rd_u16(&rd);
        uint32_t attempts = mh_rd_u32(&rd);
        uint32_t flags = mh_rd_u32(&rd);
        const char *ctx = block_string(b, off, pool);
        if (b->bad)
            return -1;
        info->connection_guid = g;
        info->connection_attempts = attempts;
        info->connection_flags = flags;
        info->connection_context_info = ctx;
        info->has_connection_info = 1;
        return 1;
    }
    case MH_AUX_TYPE_SERVER_CAPABILITIES: /* 2.2.2.2.21 */
        if (!v1)
            return 0;
        if (!block_fixed(b, 4, &rd))
            return -1;
        info->server_capability_flags = mh_rd_u32(&rd);
        info->has_server_capabilities = 1;
        return 1;
    case MH_AUX_TYPE_SERVER_SESSION_INFO: { /* 2.2.2.2.22 */
        if (!v1)
            return 0;
        if (!block_fixed(b, 2, &rd))
            return -1;
        uint16_t off = mh_rd_u16(&rd);
        const char *s = block_string(b, off, pool);
        if (b->bad)
            return -1;
        info->server_session_info = s;
        info->has_server_session_info = 1;
        return 1;
    }
    case MH_AUX_TYPE_PROTOCOL_DEVICE_IDENTIFICATION: { /* 2.2.2.2.23 */
        if (!v1)
            return 0;
        if (!block_fixed(b, 10, &rd))
            return -1;
        uint16_t off[5];
        for (int i = 0; i < 5; i++)
            off[i] = mh_rd_u16(&rd);
        const char *s[5];
        for (int i = 0; i < 5; i++)
            s[i] = block_string(b, off[i], pool);
        if (b->bad)
            return -1;
        info->device_manufacturer = s[0];
        info->device_model = s[1];
        info->device_serial_number = s[2];
        info->device_version = s[3];
        info->device_firmware_version = s[4];
        info->has_device_id = 1;
        return 1;
    }
    default:
        return parse_report(b, info);
    }
}

int mh_aux_parse(const unsigned char *buf, size_t len, apr_pool_t *pool,
                 mh_aux_info *info, const char **why_r)
{
    memset(info, 0, sizeof(*info));
    if (len == 0)
        return 0;
    mh_rpcext_payload *pl;
    size_t n;
    if (mh_rpcext_parse(buf, len, 1, pool, &pl, &n, why_r) != 0)
        return -1;
    info->rpcext_flags = pl[0].flags;
    const unsigned char *p = pl[0].data;
    size_t left = pl[0].len;
    while (left > 0) {
        if (left < MH_AUX_HEADER_LEN) {
            *why_r = "truncated AUX_HEADER";
            return -1;
        }
        aux_block b;
        memset(&b, 0, sizeof(b));
        b.p = p;
        b.size = mh_get_u16(p);
        b.version = p[2];
        b.type = p[3];
        if (b.size < MH_AUX_HEADER_LEN) {
            *why_r = "AUX_HEADER Size smaller than the header";
            return -1;
        }
        if (b.size > left) {
            *why_r = "AUX_HEADER Size runs past the buffer";
            return -1;
        }
        info->blocks++;
        int r = parse_block(&b, pool, info);
        if (r == 0)
            info->unknown++;
        else if (r < 0)
            info->malformed++;
        p += b.size;
        left -= b.size;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Log summary                                                            */
/* ---------------------------------------------------------------------- */

/* A client string made safe for one log line: at most 64 bytes (cut on a
 * UTF-8 boundary), control characters, quotes and backslashes as '?'. */
static const char *log_safe(const char *s, apr_pool_t *pool)
{
    size_t n = strlen(s);
    if (n > 64) {
        n = 64;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    char *r = apr_pstrmemdup(pool, s, n);
    for (char *c = r; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (u < 0x20 || u == 0x7F || u == '"' || u == '\\')
            *c = '?';
    }
    return r;
}

static const char *guid_str(const mh_guid *g, apr_pool_t *pool)
{
    const uint8_t *b = g->b;
    return apr_psprintf(pool,
                        "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                        (unsigned)mh_get_u32(b), (unsigned)mh_get_u16(b + 4),
                        (unsigned)mh_get_u16(b + 6), b[8], b[9], b[10], b[11],
                        b[12], b[13], b[14], b[15]);
}

static const char *mode_name(uint16_t mode)
{
    switch (mode) {
    case MH_AUX_CLIENTMODE_CLASSIC:
        return "online";
    case MH_AUX_CLIENTMODE_CACHED:
        return "cached";
    default:
        return "unknown";
    }
}

const char *mh_aux_summary(const mh_aux_info *info, apr_pool_t *pool)
{
    char *s = apr_psprintf(pool, "blocks=%u", info->blocks);
#define ADD(...) (s = apr_pstrcat(pool, s, " ", apr_psprintf(pool, __VA_ARGS__), NULL))
    if (info->unknown)
        ADD("unknown=%u", info->unknown);
    if (info->malformed)
        ADD("malformed=%u", info->malformed);
    if (info->has_client_info) {
        ADD("machine=\"%s\" user=\"%s\" mode=%s",
            info->machine_name ? log_safe(info->machine_name, pool) : "",
            info->user_name ? log_safe(info->user_name, pool) : "",
            mode_name(info->client_mode));
        if (info->client_ip_len == 4)
            ADD("ip=%u.%u.%u.%u", info->client_ip[0], info->client_ip[1],
                info->client_ip[2], info->client_ip[3]);
    }
    if (info->has_process_info)
        ADD("process=\"%s\"",
            info->process_name ? log_safe(info->process_name, pool) : "");
    if (info->has_session_info) {
        ADD("session=%u/%s", info->session_id, guid_str(&info->session_guid, pool));
        if (info->has_connection_id)
            ADD("connid=%u", (unsigned)info->connection_id);
    }
    if (info->has_connection_info) {
        ADD("conn=%s attempts=%u flags=0x%x",
            guid_str(&info->connection_guid, pool),
            (unsigned)info->connection_attempts, (unsigned)info->connection_flags);
        if (info->connection_context_info)
            ADD("ctx=\"%s\"", log_safe(info->connection_context_info, pool));
    }
    if (info->has_account_info)
        ADD("account=%s", guid_str(&info->account_guid, pool));
    if (info->has_request_id)
        ADD("reqid=%u/%u", info->request_session_id, info->request_id);
    if (info->has_device_id)
        ADD("device=\"%s %s\"",
            info->device_manufacturer ? log_safe(info->device_manufacturer, pool) : "",
            info->device_model ? log_safe(info->device_model, pool) : "");
    if (info->n_success)
        ADD("ok=%u", info->n_success);
    if (info->n_failure) {
        ADD("failed=%u", info->n_failure);
        /* the result codes of the failures kept, most useful in a log */
        for (unsigned i = 0; i < info->n_reports; i++)
            if (info->reports[i].kind == MH_AUX_REPORT_FAILURE)
                ADD("fail=0x%08x/op%u/%ums", (unsigned)info->reports[i].result_code,
                    info->reports[i].request_operation,
                    (unsigned)info->reports[i].time_to_complete);
    }
    if (info->has_client_control)
        ADD("control=0x%x/%ums", (unsigned)info->enable_flags,
            (unsigned)info->expiry_time);
    if (info->has_exorginfo)
        ADD("org=0x%x", (unsigned)info->org_flags);
    if (info->has_server_session_info && info->server_session_info)
        ADD("server_session=\"%s\"", log_safe(info->server_session_info, pool));
#undef ADD
    return s;
}

/* ---------------------------------------------------------------------- */
/* Connect rgbAuxOut                                                      */
/* ---------------------------------------------------------------------- */

void mh_aux_connect_defaults(mh_aux_connect_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->enable_flags = MH_AUX_ENABLE_COMPRESSION | MH_AUX_ENABLE_HTTP_TUNNELING;
    o->endpoint_capability_flags = MH_AUX_ENDPOINT_CAPABILITIES_SINGLE_ENDPOINT;
}

/* Starts a block; returns the offset of its AUX_HEADER for block_end. */
static size_t block_begin(mh_wr *wr, uint8_t version, uint8_t type)
{
    size_t start = wr->len;
    mh_wr_u16(wr, 0); /* Size, set by block_end */
    mh_wr_u8(wr, version);
    mh_wr_u8(wr, type);
    return start;
}

/* Pads the block to a multiple of 4 bytes (every fixed block is 4-byte
 * aligned by its Reserved fields; the pad keeps the next AUX_HEADER
 * aligned after a string) and sets its Size, header included. */
static void block_end(mh_wr *wr, size_t start)
{
    while ((wr->len - start) % 4)
        mh_wr_u8(wr, 0);
    mh_wr_put_u16_at(wr, start, (uint16_t)(wr->len - start));
}

void mh_aux_build_connect(mh_wr *wr, const mh_aux_connect_opts *o, int compress,
                          int obfuscate)
{
    mh_wr pay;
    mh_wr_init(&pay, wr->pool, 256);
    size_t b;

    /* AUX_EXORGINFO (2.2.2.2.17): without it the client assumes public
     * folders exist (3.1.4.1.2.1) and looks for a public store. */
    b = block_begin(&pay, MH_AUX_VERSION_1, MH_AUX_TYPE_EXORGINFO);
    mh_wr_u32(&pay, o->org_flags);
    block_end(&pay, b);

    /* AUX_CLIENT_CONTROL (2.2.2.2.15) */
    b = block_begin(&pay, MH_AUX_VERSION_1, MH_AUX_TYPE_CLIENT_CONTROL);
    mh_wr_u32(&pay, o->enable_flags);
    mh_wr_u32(&pay, o->expiry_time);
    block_end(&pay, b);

    /* AUX_SERVER_SESSION_INFO (2.2.2.2.22): the string follows the 2-byte
     * offset field, 6 bytes from the AUX_HEADER. */
    if (o->server_session_info) {
        const char *s = o->server_session_info;
        size_t n = strlen(s);
        if (n > MH_AUX_SERVER_SESSION_INFO_MAX) {
            n = MH_AUX_SERVER_SESSION_INFO_MAX;
            while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
                n--; /* cut on a UTF-8 character boundary */
            s = apr_pstrmemdup(wr->pool, s, n);
        }
        b = block_begin(&pay, MH_AUX_VERSION_1, MH_AUX_TYPE_SERVER_SESSION_INFO);
        mh_wr_u16(&pay, MH_AUX_HEADER_LEN + 2);
        mh_wr_utf16z(&pay, s);
        block_end(&pay, b);
    }

    /* AUX_ENDPOINT_CAPABILITIES (2.2.2.2.19): about RFRI/NSPI/EMSMDB on one
     * RPC/HTTP endpoint, so only on request. */
    if (o->endpoint_capabilities) {
        b = block_begin(&pay, MH_AUX_VERSION_1, MH_AUX_TYPE_ENDPOINT_CAPABILITIES);
        mh_wr_u32(&pay, o->endpoint_capability_flags);
        block_end(&pay, b);
    }

    /* At most 4 + 12 + 8 + (8 + 2 * 513 + 2) + 8 bytes: with the 8-byte
     * RPC_HEADER_EXT far below pcbAuxOut's 0x1008 (3.1.4.1), and
     * compression never makes a payload larger (mh_rpcext_append keeps
     * the plain form then). */
    mh_rpcext_append(wr, pay.buf, pay.len, compress, obfuscate, 1);
}

void mh_aux_build_empty(mh_wr *wr)
{
    static const unsigned char none[1];
    mh_rpcext_append(wr, none, 0, 0, 0, 1);
}

/* ---------------------------------------------------------------------- */
/* Client version                                                         */
/* ---------------------------------------------------------------------- */

int mh_client_version_parse(const char *s, uint16_t ver[4])
{
    memset(ver, 0, 4 * sizeof(ver[0]));
    if (!s)
        return -1;
    const char *slash = strchr(s, '/');
    const char *p = slash ? slash + 1 : s;
    while (*p == ' ' || *p == '\t')
        p++;
    int parts = 0;
    uint16_t v[4] = {0, 0, 0, 0};
    while (parts < 4 && *p >= '0' && *p <= '9') {
        uint32_t x = 0;
        while (*p >= '0' && *p <= '9') {
            x = x * 10 + (uint32_t)(*p - '0');
            if (x > 0xFFFF)
                return -1;
            p++;
        }
        v[parts++] = (uint16_t)x;
        if (*p != '.')
            break;
        p++;
    }
    if (parts < 2)
        return -1;
    memcpy(ver, v, sizeof(v));
    return 0;
}

int mh_client_version_cmp(const uint16_t a[4], const uint16_t b[4])
{
    for (int i = 0; i < 4; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}
