/*
 * mh_aux.h - MS-OXCRPC auxiliary buffers (rgbAuxIn / rgbAuxOut): the
 * AUX_HEADER framing (section 2.2.2.2) and the auxiliary block structures
 * (2.2.2.2.1-2.2.2.2.23) carried in every MAPI/HTTP AuxiliaryBuffer, plus
 * the client version taken from X-ClientApplication.
 *
 * What a client sends is performance and identification data (3.2.4.1.2.1):
 * nothing in it is trusted or acted upon, it is decoded for the log only.
 * What the server returns on Connect (3.1.4.1.2.1) changes client behaviour:
 * AUX_EXORGINFO, AUX_CLIENT_CONTROL, AUX_SERVER_SESSION_INFO.
 */
#ifndef MH_AUX_H
#define MH_AUX_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>

#include "mapihttp/ids.h"
#include "mh_wire.h"

/* AUX_HEADER (2.2.2.2): Size u16 (header + block), Version u8, Type u8. */
#define MH_AUX_HEADER_LEN 4
#define MH_AUX_VERSION_1 0x01
#define MH_AUX_VERSION_2 0x02

/* Type codes (2.2.2.2).  The _V2 structures share the type code and are
 * told apart by Version 2; BG/FG are background/foreground variants. */
enum {
    MH_AUX_TYPE_PERF_REQUESTID = 0x01,
    MH_AUX_TYPE_PERF_CLIENTINFO = 0x02,
    MH_AUX_TYPE_PERF_SERVERINFO = 0x03,
    MH_AUX_TYPE_PERF_SESSIONINFO = 0x04,
    MH_AUX_TYPE_PERF_DEFMDB_SUCCESS = 0x05,
    MH_AUX_TYPE_PERF_DEFGC_SUCCESS = 0x06,
    MH_AUX_TYPE_PERF_MDB_SUCCESS = 0x07,
    MH_AUX_TYPE_PERF_GC_SUCCESS = 0x08,
    MH_AUX_TYPE_PERF_FAILURE = 0x09,
    MH_AUX_TYPE_CLIENT_CONTROL = 0x0A,
    MH_AUX_TYPE_PERF_PROCESSINFO = 0x0B,
    MH_AUX_TYPE_PERF_BG_DEFMDB_SUCCESS = 0x0C,
    MH_AUX_TYPE_PERF_BG_DEFGC_SUCCESS = 0x0D,
    MH_AUX_TYPE_PERF_BG_MDB_SUCCESS = 0x0E,
    MH_AUX_TYPE_PERF_BG_GC_SUCCESS = 0x0F,
    MH_AUX_TYPE_PERF_BG_FAILURE = 0x10,
    MH_AUX_TYPE_PERF_FG_DEFMDB_SUCCESS = 0x11,
    MH_AUX_TYPE_PERF_FG_DEFGC_SUCCESS = 0x12,
    MH_AUX_TYPE_PERF_FG_MDB_SUCCESS = 0x13,
    MH_AUX_TYPE_PERF_FG_GC_SUCCESS = 0x14,
    MH_AUX_TYPE_PERF_FG_FAILURE = 0x15,
    MH_AUX_TYPE_OSVERSIONINFO = 0x16,
    MH_AUX_TYPE_EXORGINFO = 0x17,
    MH_AUX_TYPE_PERF_ACCOUNTINFO = 0x18,
    MH_AUX_TYPE_SERVER_CAPABILITIES = 0x46,
    MH_AUX_TYPE_ENDPOINT_CAPABILITIES = 0x48,
    MH_AUX_TYPE_CLIENT_CONNECTION_INFO = 0x4A,
    MH_AUX_TYPE_SERVER_SESSION_INFO = 0x4B,
    MH_AUX_TYPE_PROTOCOL_DEVICE_IDENTIFICATION = 0x4E
};

/* AUX_CLIENT_CONTROL EnableFlags (2.2.2.2.15). */
#define MH_AUX_ENABLE_PERF_SENDTOSERVER 0x00000001u
#define MH_AUX_ENABLE_PERF_SENDTOMAILBOX 0x00000002u
#define MH_AUX_ENABLE_COMPRESSION 0x00000004u
#define MH_AUX_ENABLE_HTTP_TUNNELING 0x00000008u
#define MH_AUX_ENABLE_PERF_SENDGCDATA 0x00000010u
/* AUX_EXORGINFO OrgFlags (2.2.2.2.17). */
#define MH_AUX_PUBLIC_FOLDERS_ENABLED 0x00000001u
#define MH_AUX_USE_AUTODISCOVER_FOR_PUBLIC_FOLDER_CONFIGURATION 0x00000002u
/* AUX_ENDPOINT_CAPABILITIES (2.2.2.2.19). */
#define MH_AUX_ENDPOINT_CAPABILITIES_SINGLE_ENDPOINT 0x00000001u
/* AUX_PERF_CLIENTINFO ClientMode (2.2.2.2.4). */
#define MH_AUX_CLIENTMODE_UNKNOWN 0
#define MH_AUX_CLIENTMODE_CLASSIC 1
#define MH_AUX_CLIENTMODE_CACHED 2
/* AUX_CLIENT_CONNECTION_INFO ConnectionFlags (2.2.2.2.20). */
#define MH_AUX_CONNECTION_FLAG_CLIENT_IS_CACHED 0x00000001u

/* Longest string kept from a block, in UTF-16 code units. */
#define MH_AUX_STRING_MAX 1024
/* Performance reports kept in mh_aux_info (the rest are only counted). */
#define MH_AUX_MAX_REPORTS 16

/* One AUX_PERF_*_SUCCESS or AUX_PERF_FAILURE(_V2) report. */
typedef enum mh_aux_report_kind {
    MH_AUX_REPORT_MDB_SUCCESS,    /* DEFMDB_SUCCESS and MDB_SUCCESS(_V2) */
    MH_AUX_REPORT_GC_SUCCESS,     /* DEFGC_SUCCESS and GC_SUCCESS(_V2) */
    MH_AUX_REPORT_FAILURE         /* FAILURE(_V2) */
} mh_aux_report_kind;

typedef struct mh_aux_report {
    mh_aux_report_kind kind;
    uint8_t type;                 /* the AUX_HEADER Type (plain, BG or FG) */
    uint8_t version;
    uint16_t process_id;          /* _V2 only, else 0 */
    uint16_t client_id;
    uint16_t server_id;
    uint16_t session_id;
    uint16_t request_id;
    uint32_t time_since_request;  /* ms */
    uint32_t time_to_complete;    /* ms: TimeToCompleteRequest or TimeToFailRequest */
    uint32_t result_code;         /* failures only */
    uint8_t request_operation;    /* GC and failure blocks only */
} mh_aux_report;

/*
 * What an auxiliary buffer said.  Strings are UTF-8 in the parse pool, NULL
 * when absent.  A block that occurs more than once leaves its last values.
 */
typedef struct mh_aux_info {
    uint16_t rpcext_flags;        /* RPC_HEADER_EXT Flags as received */
    unsigned blocks;              /* AUX_HEADER blocks seen */
    unsigned unknown;             /* skipped: version/type not known */
    unsigned malformed;           /* known type that did not fit its block */

    /* AUX_PERF_CLIENTINFO (2.2.2.2.4) */
    int has_client_info;
    uint32_t adapter_speed;       /* kbit/s */
    uint16_t client_id;
    uint16_t client_mode;         /* MH_AUX_CLIENTMODE_* */
    const char *machine_name;
    const char *user_name;
    const char *adapter_name;
    const unsigned char *client_ip; /* raw bytes as sent (pool copy) */
    uint16_t client_ip_len;
    const unsigned char *mac_address;
    uint16_t mac_address_len;

    /* AUX_PERF_SERVERINFO (2.2.2.2.5) */
    int has_server_info;
    uint16_t server_id;
    uint16_t server_type;
    const char *server_dn;
    const char *server_name;

    /* AUX_PERF_PROCESSINFO (2.2.2.2.6) */
    int has_process_info;
    uint16_t process_id;
    mh_guid process_guid;
    const char *process_name;

    /* AUX_PERF_SESSIONINFO(_V2) (2.2.2.2.2, 2.2.2.2.3) */
    int has_session_info;
    int has_connection_id;        /* set by the _V2 form */
    uint16_t session_id;
    mh_guid session_guid;
    uint32_t connection_id;

    /* AUX_PERF_REQUESTID (2.2.2.2.1) */
    int has_request_id;
    uint16_t request_session_id;
    uint16_t request_id;

    /* AUX_PERF_ACCOUNTINFO (2.2.2.2.18) */
    int has_account_info;
    uint16_t account_client_id;
    mh_guid account_guid;

    /* AUX_CLIENT_CONNECTION_INFO (2.2.2.2.20) */
    int has_connection_info;
    mh_guid connection_guid;
    uint32_t connection_attempts;
    uint32_t connection_flags;    /* MH_AUX_CONNECTION_FLAG_* */
    const char *connection_context_info;

    /* AUX_PROTOCOL_DEVICE_IDENTIFICATION (2.2.2.2.23) */
    int has_device_id;
    const char *device_manufacturer;
    const char *device_model;
    const char *device_serial_number;
    const char *device_version;
    const char *device_firmware_version;

    /* Performance reports: counted, the first MH_AUX_MAX_REPORTS kept. */
    unsigned n_success;
    unsigned n_failure;
    unsigned n_reports;
    mh_aux_report reports[MH_AUX_MAX_REPORTS];

    /* Server-to-client blocks (decoded so that a client, the probe, and the
     * tests can read an rgbAuxOut with the same parser). */
    int has_client_control;
    uint32_t enable_flags;        /* MH_AUX_ENABLE_* */
    uint32_t expiry_time;         /* ms */
    int has_exorginfo;
    uint32_t org_flags;           /* MH_AUX_PUBLIC_FOLDERS_ENABLED ... */
    int has_osversion;
    uint32_t os_major, os_minor, os_build;
    uint16_t os_sp_major, os_sp_minor;
    int has_server_capabilities;
    uint32_t server_capability_flags;
    int has_endpoint_capabilities;
    uint32_t endpoint_capability_flags;
    int has_server_session_info;
    const char *server_session_info;
} mh_aux_info;

/*
 * Parses an auxiliary buffer: one RPC_HEADER_EXT with Last (maybe XORed and
 * compressed, via mh_rpcext_parse) followed by AUX_HEADER blocks.  len 0 is
 * an empty buffer (success, nothing found).
 *
 * Unknown version/type pairs are skipped by their Size, as 3.1.4.1.2
 * requires.  A known block whose fixed part or whose offsets/sizes do not
 * fit inside its own Size is counted in `malformed` and ignored; that does
 * not fail the buffer.  The buffer fails (-1, *why_r set) only when the
 * extended buffer is invalid or the AUX_HEADER framing is broken (Size
 * below 4 or past the payload); *info then keeps what the blocks before
 * the fault said.  Never reads outside buf.
 */
int mh_aux_parse(const unsigned char *buf, size_t len, apr_pool_t *pool,
                 mh_aux_info *info, const char **why_r);

/*
 * A one-line summary of *info for the debug log, e.g.
 * "blocks=5 client=WS01/jdoe mode=cached process=OUTLOOK.EXE session=...".
 * Only the fields present are named.  Client strings are cut to a sane
 * length and control characters replaced, so a client cannot forge log
 * lines.  Pool memory.
 */
const char *mh_aux_summary(const mh_aux_info *info, apr_pool_t *pool);

/* What the server puts into the Connect rgbAuxOut (3.1.4.1.2.1). */
typedef struct mh_aux_connect_opts {
    uint32_t enable_flags;        /* AUX_CLIENT_CONTROL EnableFlags */
    uint32_t expiry_time;         /* AUX_CLIENT_CONTROL ExpiryTime, ms */
    uint32_t org_flags;           /* AUX_EXORGINFO OrgFlags; 0: no public folders */
    const char *server_session_info; /* UTF-8, e.g. the session id; NULL: block omitted */
    int endpoint_capabilities;    /* add AUX_ENDPOINT_CAPABILITIES (RPC/HTTP only) */
    uint32_t endpoint_capability_flags;
} mh_aux_connect_opts;

/* Longest server session string sent, in UTF-8 bytes (keeps rgbAuxOut well
 * inside the 0x1008 bytes of 3.1.4.1). */
#define MH_AUX_SERVER_SESSION_INFO_MAX 512

/* The defaults: ENABLE_COMPRESSION | ENABLE_HTTP_TUNNELING (performance
 * reporting off), ExpiryTime 0, OrgFlags 0, no session string, no
 * endpoint capabilities. */
void mh_aux_connect_defaults(mh_aux_connect_opts *o);

/*
 * Appends a complete Connect rgbAuxOut to wr: RPC_HEADER_EXT (Last) and the
 * blocks AUX_EXORGINFO, AUX_CLIENT_CONTROL, AUX_SERVER_SESSION_INFO (when a
 * string is given) and AUX_ENDPOINT_CAPABILITIES (when asked), each padded
 * to a multiple of 4 bytes.  compress/obfuscate as for mh_rpcext_append
 * (the caller passes 0 when the request asked for no compression / no XOR).
 * The result never exceeds MH_AUX_MAX (0x1008) bytes.
 */
void mh_aux_build_connect(mh_wr *wr, const mh_aux_connect_opts *o, int compress,
                          int obfuscate);

/*
 * Appends an auxiliary buffer with no blocks: an RPC_HEADER_EXT with Last
 * and Size 0 (8 bytes).  An AuxiliaryBufferSize of 0 with nothing at all is
 * the other way to say "nothing"; this form is for callers that want the
 * header.
 */
void mh_aux_build_empty(mh_wr *wr);

/*
 * The client version from X-ClientApplication, e.g. "Outlook/15.0.4569.1506"
 * or "MapiHttpClient/15.00.0847.4040 (more text)": the first run of up to
 * four dot-separated decimal numbers after the first '/', or at the start
 * when there is no '/'.  At least major.minor is required; missing parts are
 * 0; each part must fit 16 bits.  Returns 0 with ver[] set, or -1 (ver[]
 * zeroed) when there is no version.
 */
int mh_client_version_parse(const char *x_client_application, uint16_t ver[4]);

/* <0, 0, >0 as a is older than, equal to, newer than b (part by part). */
int mh_client_version_cmp(const uint16_t a[4], const uint16_t b[4]);

#endif
