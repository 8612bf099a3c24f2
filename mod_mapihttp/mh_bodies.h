/*
 * mh_bodies.h - MS-OXCMAPIHTTP request and response bodies of the mailbox
 * server endpoint, section 2.2.4 (Connect, Execute, Disconnect,
 * NotificationWait), and what every body shares: the parse status, the
 * auxiliary buffer tail, the failure body.  The address book bodies
 * (2.2.5, Bind and Unbind included) are in mh_nspi_wire.h.  Parsers are
 * strict: every byte must be accounted for.
 */
#ifndef MH_BODIES_H
#define MH_BODIES_H

#include <stdint.h>
#include <apr_pools.h>

#include "mh_wire.h"

/* Limits on the auxiliary buffers (MS-OXCRPC cbAuxIn / pcbAuxOut). */
#define MH_AUX_MAX 0x1008
/* Longest legacy DN accepted in Connect's UserDn. */
#define MH_USERDN_MAX 1024

/* Outcome of parsing a request body. */
typedef enum mh_body_status {
    MH_BODY_OK = 0,
    MH_BODY_MALFORMED, /* X-ResponseCode 12 */
    MH_BODY_LIMIT      /* well formed, but a size is beyond the RPC limits:
                          failure body with StatusCode RPC_X_BAD_STUB_DATA */
} mh_body_status;

/* RPC status codes used as StatusCode in failure bodies. */
#define MH_RPC_S_PROCNUM_OUT_OF_RANGE 0x000006D1u /* request type not served */
#define MH_RPC_X_BAD_STUB_DATA 0x000006F7u
#define MH_RPC_S_SERVER_TOO_BUSY 0x000006BBu

/* The auxiliary buffer as received (opaque at this level). */
typedef struct mh_aux_in {
    const unsigned char *data;
    uint32_t len;
} mh_aux_in;

/*
 * The tail of every request and response body: AuxiliaryBufferSize (u32),
 * AuxiliaryBuffer, and then the end of the body.  MH_BODY_MALFORMED when
 * the size runs past the body or bytes follow it; MH_BODY_LIMIT when the
 * buffer is longer than MH_AUX_MAX.  aux->data points into the body.
 */
mh_body_status mh_rd_aux_tail(mh_rd *rd, mh_aux_in *aux, const char **why_r);

/* 2.2.4.1.1 Connect request body. */
typedef struct mh_connect_req {
    const char *user_dn;   /* ASCIIZ */
    uint32_t flags;
    uint32_t default_code_page;
    uint32_t lcid_sort;    /* before LcidString, as section 2.2.4.1.1 orders */
    uint32_t lcid_string;
    mh_aux_in aux;
} mh_connect_req;

mh_body_status mh_parse_connect(const void *body, size_t len, apr_pool_t *pool,
                                mh_connect_req *req, const char **why_r);

/* 2.2.4.1.2 Connect success response body. */
typedef struct mh_connect_resp {
    uint32_t error_code;
    uint32_t polls_max;     /* ms */
    uint32_t retry_count;
    uint32_t retry_delay;   /* ms */
    const char *dn_prefix;  /* ASCII */
    const char *display_name; /* UTF-8, sent as UTF-16LE */
    const unsigned char *aux;
    uint32_t aux_len;
} mh_connect_resp;

void mh_build_connect(mh_wr *wr, const mh_connect_resp *resp);

/* 2.2.4.2.1 Execute request body.  An empty body (section 2.2.4.4.2: the
 * client's Execute after NotificationWait when it has nothing to send) is
 * accepted and reported with `empty` set. */
typedef struct mh_execute_req {
    int empty;
    uint32_t flags;
    const unsigned char *rop_buffer;
    uint32_t rop_buffer_size;
    uint32_t max_rop_out;
    mh_aux_in aux;
} mh_execute_req;

/* Execute request Flags (MS-OXCRPC pulFlags). */
#define MH_EXEC_NO_COMPRESSION 0x00000001u
#define MH_EXEC_NO_XOR_MAGIC 0x00000002u
#define MH_EXEC_CHAIN 0x00000004u

/* RopBufferSize and MaxRopOut bounds (MS-OXCRPC 3.1.4.2). */
#define MH_ROP_BUFFER_MAX 0x40000u
#define MH_ROP_OUT_MAX 0x40000u

mh_body_status mh_parse_execute(const void *body, size_t len, apr_pool_t *pool,
                                mh_execute_req *req, const char **why_r);

/* 2.2.4.2.2 Execute success response body. */
void mh_build_execute(mh_wr *wr, uint32_t error_code, const unsigned char *rop_buffer,
                      uint32_t rop_buffer_len, const unsigned char *aux,
                      uint32_t aux_len);

/* 2.2.4.3.1 Disconnect request body: the auxiliary buffer.  An empty body
 * is accepted too: section 3.1.5.4 speaks of no body at all. */
mh_body_status mh_parse_disconnect(const void *body, size_t len, mh_aux_in *aux,
                                   const char **why_r);

/* 2.2.4.4.1 NotificationWait request body. */
mh_body_status mh_parse_notification_wait(const void *body, size_t len,
                                          uint32_t *flags_r, mh_aux_in *aux,
                                          const char **why_r);

/* 2.2.4.4.2 NotificationWait success body. */
void mh_build_notification_wait(mh_wr *wr, uint32_t error_code,
                                uint32_t event_pending);

/* A success body holding only StatusCode 0, ErrorCode and an empty
 * auxiliary buffer: Disconnect (2.2.4.3.2). */
void mh_build_status_error(mh_wr *wr, uint32_t error_code);

/* Every failure response body: StatusCode (non-zero), empty aux buffer. */
void mh_build_failure(mh_wr *wr, uint32_t status_code);

#endif
