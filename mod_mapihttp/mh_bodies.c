/*
 * mh_bodies.c - MS-OXCMAPIHTTP section 2.2.4 bodies and the auxiliary
 * buffer tail every body ends with.
 */
#include "mh_bodies.h"
#include "mh_unicode.h"

/* AuxiliaryBufferSize + AuxiliaryBuffer, the tail of every request body. */
static mh_body_status rd_aux(mh_rd *rd, mh_aux_in *aux, const char **why_r)
{
    aux->len = mh_rd_u32(rd);
    if (rd->err) {
        *why_r = "body ends before AuxiliaryBufferSize";
        return MH_BODY_MALFORMED;
    }
    aux->data = mh_rd_bytes(rd, aux->len);
    if (rd->err) {
        *why_r = "AuxiliaryBufferSize runs past the body";
        return MH_BODY_MALFORMED;
    }
    return MH_BODY_OK;
}

static mh_body_status finish(mh_rd *rd, const mh_aux_in *aux, const char **why_r)
{
    mh_rd_expect_end(rd);
    if (rd->err) {
        *why_r = "bytes after the AuxiliaryBuffer";
        return MH_BODY_MALFORMED;
    }
    if (aux && aux->len > MH_AUX_MAX) {
        *why_r = "AuxiliaryBufferSize above 0x1008";
        return MH_BODY_LIMIT;
    }
    return MH_BODY_OK;
}

mh_body_status mh_rd_aux_tail(mh_rd *rd, mh_aux_in *aux, const char **why_r)
{
    mh_body_status st = rd_aux(rd, aux, why_r);
    if (st != MH_BODY_OK)
        return st;
    return finish(rd, aux, why_r);
}

mh_body_status mh_parse_connect(const void *body, size_t len, apr_pool_t *pool,
                                mh_connect_req *req, const char **why_r)
{
    mh_rd rd;
    mh_body_status st;
    mh_rd_init(&rd, body, len);
    req->user_dn = mh_rd_asciiz(&rd, MH_USERDN_MAX, pool);
    if (rd.err) {
        *why_r = "UserDn is not a NUL-terminated string of at most 1024 bytes";
        return MH_BODY_MALFORMED;
    }
    req->flags = mh_rd_u32(&rd);
    req->default_code_page = mh_rd_u32(&rd);
    req->lcid_sort = mh_rd_u32(&rd);
    req->lcid_string = mh_rd_u32(&rd);
    if (rd.err) {
        *why_r = "body ends inside the Connect fields";
        return MH_BODY_MALFORMED;
    }
    if ((st = rd_aux(&rd, &req->aux, why_r)) != MH_BODY_OK)
        return st;
    return finish(&rd, &req->aux, why_r);
}

void mh_build_connect(mh_wr *wr, const mh_connect_resp *resp)
{
    mh_wr_u32(wr, 0); /* StatusCode */
    mh_wr_u32(wr, resp->error_code);
    mh_wr_u32(wr, resp->polls_max);
    mh_wr_u32(wr, resp->retry_count);
    mh_wr_u32(wr, resp->retry_delay);
    mh_wr_asciiz(wr, resp->dn_prefix ? resp->dn_prefix : "");
    mh_wr_utf16z(wr, resp->display_name ? resp->display_name : "");
    mh_wr_u32(wr, resp->aux_len);
    mh_wr_bytes(wr, resp->aux, resp->aux_len);
}

mh_body_status mh_parse_execute(const void *body, size_t len, apr_pool_t *pool,
                                mh_execute_req *req, const char **why_r)
{
    mh_rd rd;
    mh_body_status st;
    req->empty = (len == 0);
    if (req->empty) {
        req->flags = 0;
        req->rop_buffer = NULL;
        req->rop_buffer_size = 0;
        req->max_rop_out = MH_ROP_OUT_MAX;
        req->aux.data = NULL;
        req->aux.len = 0;
        return MH_BODY_OK;
    }
    mh_rd_init(&rd, body, len);
    req->flags = mh_rd_u32(&rd);
    req->rop_buffer_size = mh_rd_u32(&rd);
    if (rd.err) {
        *why_r = "body ends before RopBufferSize";
        return MH_BODY_MALFORMED;
    }
    req->rop_buffer = mh_rd_bytes(&rd, req->rop_buffer_size);
    if (rd.err) {
        *why_r = "RopBufferSize runs past the body";
        return MH_BODY_MALFORMED;
    }
    req->max_rop_out = mh_rd_u32(&rd);
    if (rd.err) {
        *why_r = "body ends before MaxRopOut";
        return MH_BODY_MALFORMED;
    }
    if ((st = rd_aux(&rd, &req->aux, why_r)) != MH_BODY_OK)
        return st;
    if ((st = finish(&rd, &req->aux, why_r)) != MH_BODY_OK)
        return st;
    if (req->rop_buffer_size > MH_ROP_BUFFER_MAX) {
        *why_r = "RopBufferSize above 0x40000";
        return MH_BODY_LIMIT;
    }
    if (req->max_rop_out > MH_ROP_OUT_MAX) {
        *why_r = "MaxRopOut above 0x40000";
        return MH_BODY_LIMIT;
    }
    return MH_BODY_OK;
}

void mh_build_execute(mh_wr *wr, uint32_t error_code, const unsigned char *rop_buffer,
                      uint32_t rop_buffer_len, const unsigned char *aux,
                      uint32_t aux_len)
{
    mh_wr_u32(wr, 0); /* StatusCode */
    mh_wr_u32(wr, error_code);
    mh_wr_u32(wr, 0); /* Flags: reserved, the server sets 0 */
    mh_wr_u32(wr, rop_buffer_len);
    mh_wr_bytes(wr, rop_buffer, rop_buffer_len);
    mh_wr_u32(wr, aux_len);
    mh_wr_bytes(wr, aux, aux_len);
}

mh_body_status mh_parse_disconnect(const void *body, size_t len, mh_aux_in *aux,
                                   const char **why_r)
{
    mh_rd rd;
    aux->data = NULL;
    aux->len = 0;
    if (len == 0)
        return MH_BODY_OK; /* no body at all (3.1.5.4) */
    mh_rd_init(&rd, body, len);
    return mh_rd_aux_tail(&rd, aux, why_r);
}

mh_body_status mh_parse_notification_wait(const void *body, size_t len,
                                          uint32_t *flags_r, mh_aux_in *aux,
                                          const char **why_r)
{
    mh_rd rd;
    mh_body_status st;
    mh_rd_init(&rd, body, len);
    *flags_r = mh_rd_u32(&rd); /* the client sends 0; the server ignores it */
    if (rd.err) {
        *why_r = "body ends inside Flags";
        return MH_BODY_MALFORMED;
    }
    if ((st = rd_aux(&rd, aux, why_r)) != MH_BODY_OK)
        return st;
    return finish(&rd, aux, why_r);
}

void mh_build_notification_wait(mh_wr *wr, uint32_t error_code, uint32_t event_pending)
{
    mh_wr_u32(wr, 0); /* StatusCode */
    mh_wr_u32(wr, error_code);
    mh_wr_u32(wr, event_pending);
    mh_wr_u32(wr, 0); /* AuxiliaryBufferSize */
}

void mh_build_status_error(mh_wr *wr, uint32_t error_code)
{
    mh_wr_u32(wr, 0); /* StatusCode */
    mh_wr_u32(wr, error_code);
    mh_wr_u32(wr, 0); /* AuxiliaryBufferSize */
}

void mh_build_failure(mh_wr *wr, uint32_t status_code)
{
    mh_wr_u32(wr, status_code);
    mh_wr_u32(wr, 0); /* AuxiliaryBufferSize */
}
