/*
 * mh_rop.c - the ROP engine (MS-OXCROPS 2.2.1, 3.2.5; MS-OXCRPC 3.1.4.2):
 * ROP input buffers in, ROP output buffers out, the handle table, the
 * session's objects and their state codec.
 */
#include "mh_rop.h"
#include "mh_bodies.h"
#include "mh_http.h"
#include "mh_log.h"
#include "mh_rpcext.h"

#include <string.h>

/* --------------------------------------------------------- registry */

/* The object classes: each spec family adds its own here. */
static const mh_objclass *const classes[MH_OT_COUNT] = {
    [MH_OT_LOGON] = &mh_logon_class,
    [MH_OT_FOLDER] = &mh_folder_class,
    [MH_OT_MESSAGE] = &mh_message_class,
    [MH_OT_ATTACHMENT] = &mh_attachment_class,
    [MH_OT_TABLE] = &mh_table_class,
    [MH_OT_STREAM] = &mh_stream_class,
};

const mh_objclass *mh_objclass_of(mh_otype type)
{
    return (unsigned)type < MH_OT_COUNT ? classes[type] : NULL;
}

const char *mh_otype_name(mh_otype type)
{
    static const char *const names[MH_OT_COUNT] = {
        "none", "logon", "folder", "message", "attachment", "table", "stream",
        "notification", "fast-transfer source", "fast-transfer destination",
        "ICS download", "ICS upload"};
    return (unsigned)type < MH_OT_COUNT ? names[type] : "unknown";
}

/* RopRelease (MS-OXCROPS 2.2.15.3): releases the object and what was
 * opened from it; an unused slot (0xFFFFFFFF) is ignored, as some clients
 * release those.  There is no response. */
static uint32_t rop_release(mh_ropctx *cx, mh_rop *rop)
{
    if (rop->h.in_idx < rop->n_handles) {
        mh_object *o = mh_obj_find(cx, rop->handles[rop->h.in_idx]);
        if (o)
            mh_obj_release(cx, o);
    }
    return MH_ROP_NO_RESPONSE;
}

static const mh_rop_entry core_rops[] = {
    {0x01, rop_release},
    {0, NULL}};

/* The ROP tables of the spec families: each adds its own here. */
static const mh_rop_entry *const families[] = {
    core_rops,
    mh_rops_oxcstor,
    mh_rops_oxcfold,
    mh_rops_oxcperm,
    mh_rops_oxcmsg,
    mh_rops_oxctabl,
    mh_rops_oxcprpt,
    mh_rops_oxorule,
    mh_rops_oxomsg,
};

mh_rop_fn *mh_rop_handler(uint8_t rop_id)
{
    for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
        for (const mh_rop_entry *e = families[f]; e->fn; e++)
            if (e->id == rop_id)
                return e->fn;
    return NULL;
}

/* ---------------------------------------------------------- objects */

mh_emsmdb *mh_emsmdb_new(apr_pool_t *pool)
{
    mh_emsmdb *s = apr_pcalloc(pool, sizeof(*s));
    s->pool = pool;
    s->objects = apr_hash_make(pool);
    return s;
}

mh_object *mh_obj_find(mh_ropctx *cx, uint32_t handle)
{
    if (handle == MH_HANDLE_NONE)
        return NULL;
    return apr_hash_get(cx->ses->objects, &handle, sizeof(handle));
}

mh_object *mh_obj_logon(mh_ropctx *cx, uint8_t logon_id)
{
    /* the Logon object of a logon id is the one whose data is a logon; its
     * handle is (id << 24) | n for the n it got, so look it up by walking
     * (sessions hold a handful of objects per logon) */
    for (apr_hash_index_t *hi = apr_hash_first(cx->pool, cx->ses->objects); hi;
         hi = apr_hash_next(hi)) {
        mh_object *o = apr_hash_this_val(hi);
        if (o->type == MH_OT_LOGON && o->logon_id == logon_id)
            return o;
    }
    return NULL;
}

mh_logon *mh_obj_logon_data(mh_ropctx *cx, const mh_object *obj)
{
    mh_object *l = mh_obj_logon(cx, obj->logon_id);
    return l ? l->data : NULL;
}

uint32_t mh_rop_object(mh_ropctx *cx, const mh_rop *rop, uint8_t idx, uint32_t types,
                       mh_object **obj_r)
{
    *obj_r = NULL;
    if (idx >= rop->n_handles)
        return EC_NULL_OBJECT;
    mh_object *o = mh_obj_find(cx, rop->handles[idx]);
    if (!o)
        return EC_NULL_OBJECT;
    if (types && !(types & MH_OTM(o->type)))
        return MAPI_E_NO_SUPPORT;
    *obj_r = o;
    return 0;
}

uint32_t mh_rop_folder(mh_ropctx *cx, const mh_rop *rop, mh_object **obj_r, mh_folder **f_r,
                       mh_logon **lg_r)
{
    uint32_t ec = mh_rop_object(cx, rop, rop->h.in_idx, MH_OTM(MH_OT_FOLDER), obj_r);
    if (ec)
        return ec;
    *lg_r = mh_obj_logon_data(cx, *obj_r);
    if (!*lg_r)
        return EC_NULL_OBJECT;
    *f_r = (*obj_r)->data;
    return 0;
}

static mh_object *obj_alloc(mh_emsmdb *s, uint32_t handle, uint8_t type, uint8_t logon_id,
                            uint32_t parent)
{
    apr_pool_t *p;
    apr_pool_create(&p, s->pool);
    mh_object *o = apr_pcalloc(p, sizeof(*o));
    o->handle = handle;
    o->type = type;
    o->logon_id = logon_id;
    o->parent = parent;
    o->pool = p;
    apr_hash_set(s->objects, &o->handle, sizeof(o->handle), o);
    return o;
}

mh_object *mh_obj_create(mh_ropctx *cx, mh_rop *rop, mh_otype type, uint8_t logon_id,
                         uint32_t parent)
{
    mh_emsmdb *s = cx->ses;
    uint32_t n = s->next_n[logon_id]++;
    /* (LogonId << 24) | n: 2^24 objects per logon id and session; past
     * that numbers would wrap into another id, so refuse (the caller sees
     * NULL and answers MAPI_E_NOT_ENOUGH_RESOURCES) */
    if (n > 0xFFFFFFu) {
        s->next_n[logon_id]--;
        return NULL;
    }
    uint32_t handle = ((uint32_t)logon_id << 24) | n;
    if (handle == MH_HANDLE_NONE)
        return NULL;
    mh_object *o = obj_alloc(s, handle, (uint8_t)type, logon_id, parent);
    rop->out_handle = handle;
    cx->changed = 1;
    return o;
}

void mh_obj_release(mh_ropctx *cx, mh_object *obj)
{
    /* children first: every object whose parent is this one */
    int again = 1;
    while (again) {
        again = 0;
        for (apr_hash_index_t *hi = apr_hash_first(cx->pool, cx->ses->objects); hi;
             hi = apr_hash_next(hi)) {
            mh_object *o = apr_hash_this_val(hi);
            if (o->parent == obj->handle && o != obj) {
                mh_obj_release(cx, o);
                again = 1; /* the hash changed under the iterator */
                break;
            }
        }
    }
    const mh_objclass *cls = mh_objclass_of((mh_otype)obj->type);
    if (cls && cls->release)
        cls->release(cx, obj);
    apr_hash_set(cx->ses->objects, &obj->handle, sizeof(obj->handle), NULL);
    apr_pool_destroy(obj->pool);
    cx->changed = 1;
}

/* ---------------------------------------------------------- helpers */

uint32_t mh_rop_txn(mh_ropctx *cx, const mh_logon *lg, unsigned flags, mh_betxn **t_r)
{
    mh_error err = {MH_OK, NULL};
    if (!cx->be)
        return MAPI_E_NO_SUPPORT;
    mh_err e = mh_be_begin(cx->be, lg ? &lg->mailbox : NULL, flags, cx->pool, t_r, &err);
    return e == MH_OK ? 0 : mh_err_to_mapi(e);
}

uint32_t mh_rop_commit(mh_ropctx *cx, mh_betxn *t)
{
    (void)cx;
    mh_error err = {MH_OK, NULL};
    mh_err e = mh_be_commit(t, &err);
    return e == MH_OK ? 0 : mh_err_to_mapi(e);
}

/* ------------------------------------------------------ state codec */

#define STATE_VERSION 2

apr_status_t mh_emsmdb_encode(const mh_emsmdb *s, apr_pool_t *pool, const void **buf_r,
                              size_t *len_r)
{
    mh_wr wr;
    mh_wr_init(&wr, pool, 256);
    mh_wr_u8(&wr, STATE_VERSION);
    mh_wr_u32(&wr, s->flags);
    mh_wr_u32(&wr, s->code_page);
    mh_wr_u32(&wr, s->lcid_sort);
    mh_wr_u32(&wr, s->lcid_string);
    mh_wr_asciiz(&wr, s->user_dn ? s->user_dn : "");
    mh_wr_asciiz(&wr, s->client_app ? s->client_app : "");
    for (int i = 0; i < 4; i++)
        mh_wr_u16(&wr, s->client_version[i]);
    mh_wr_u32(&wr, s->dir_user);
    /* handle counters in use: (logon id, next n) */
    size_t at = wr.len;
    uint16_t used = 0;
    mh_wr_u16(&wr, 0);
    for (int i = 0; i < 256; i++)
        if (s->next_n[i]) {
            mh_wr_u8(&wr, (uint8_t)i);
            mh_wr_u32(&wr, s->next_n[i]);
            used++;
        }
    mh_wr_put_u16_at(&wr, at, used);
    /* objects, parents before children is not needed: decode links by handle */
    mh_wr_u32(&wr, apr_hash_count(s->objects));
    for (apr_hash_index_t *hi = apr_hash_first(pool, s->objects); hi; hi = apr_hash_next(hi)) {
        const mh_object *o = apr_hash_this_val(hi);
        const mh_objclass *cls = mh_objclass_of(o->type);
        mh_wr_u32(&wr, o->handle);
        mh_wr_u8(&wr, o->type);
        mh_wr_u8(&wr, o->logon_id);
        mh_wr_u32(&wr, o->parent);
        size_t len_at = wr.len;
        mh_wr_u32(&wr, 0);
        if (cls && cls->encode)
            cls->encode(&wr, o->data);
        mh_wr_put_u32_at(&wr, len_at, (uint32_t)(wr.len - len_at - 4));
    }
    *buf_r = wr.buf;
    *len_r = wr.len;
    return APR_SUCCESS;
}

apr_status_t mh_emsmdb_decode(const void *buf, size_t len, apr_pool_t *pool, mh_emsmdb **s_r)
{
    mh_emsmdb *s = mh_emsmdb_new(pool);
    mh_rd rd;
    mh_rd_init(&rd, buf, len);
    if (mh_rd_u8(&rd) != STATE_VERSION)
        return APR_EINVAL;
    s->flags = mh_rd_u32(&rd);
    s->code_page = mh_rd_u32(&rd);
    s->lcid_sort = mh_rd_u32(&rd);
    s->lcid_string = mh_rd_u32(&rd);
    s->user_dn = mh_rd_asciiz(&rd, MH_USERDN_MAX, pool);
    s->client_app = mh_rd_asciiz(&rd, MH_CLIENT_APP_MAX, pool);
    for (int i = 0; i < 4; i++)
        s->client_version[i] = mh_rd_u16(&rd);
    s->dir_user = mh_rd_u32(&rd);
    uint16_t used = mh_rd_u16(&rd);
    for (uint16_t i = 0; i < used && !rd.err; i++) {
        uint8_t id = mh_rd_u8(&rd);
        s->next_n[id] = mh_rd_u32(&rd);
    }
    uint32_t n = mh_rd_u32(&rd);
    for (uint32_t i = 0; i < n && !rd.err; i++) {
        uint32_t handle = mh_rd_u32(&rd);
        uint8_t type = mh_rd_u8(&rd);
        uint8_t logon_id = mh_rd_u8(&rd);
        uint32_t parent = mh_rd_u32(&rd);
        uint32_t dlen = mh_rd_u32(&rd);
        const unsigned char *d = mh_rd_bytes(&rd, dlen);
        const mh_objclass *cls = mh_objclass_of(type);
        if (rd.err || !cls || handle == MH_HANDLE_NONE)
            return APR_EINVAL;
        mh_object *o = obj_alloc(s, handle, type, logon_id, parent);
        mh_rd od;
        mh_rd_init(&od, d, dlen);
        if (cls->decode(&od, o->pool, &o->data) != 0 || od.err)
            return APR_EINVAL;
        mh_rd_expect_end(&od);
        if (od.err)
            return APR_EINVAL;
    }
    mh_rd_expect_end(&rd);
    if (rd.err)
        return APR_EINVAL;
    *s_r = s;
    return APR_SUCCESS;
}

/* ----------------------------------------------------------- Execute */

/* Room a RopBufferTooSmall response needs besides the requests it
 * returns: RopId u8, SizeNeeded u16 (MS-OXCROPS 2.2.15.1). */
#define TOO_SMALL_FIXED 3
/* The least room a ROP is started with: enough for any fixed-size
 * response (RopLogon's is the largest, 160-odd bytes), so that a ROP with
 * side effects never runs when its answer could not be sent. */
#define MIN_ROP_ROOM 256
/* A response of a ROP the engine answers itself: RopId, index, ReturnValue
 * and at most a few failure fields. */
#define ROP_ID_BUFFER_TOO_SMALL 0xFF
#define ROP_ID_QUERY_ROWS 0x15
#define ROP_ID_READ_STREAM 0x2C
#define ROP_ID_FT_GET_BUFFER 0x4E
/* MS-OXCRPC 3.1.4.2.1.2.2: stop chaining below these */
#define CHAIN_MIN_ROOM_ROWS 0x8000
#define CHAIN_MIN_ROOM_STREAM 0x2000

/* One parsed ROP request of the input. */
typedef struct rop_req {
    mh_ropheader h;
    const unsigned char *start;  /* the request, from its RopId */
    const unsigned char *fields; /* after the common header */
    size_t fields_len;
    size_t len;                  /* the whole request */
} rop_req;

/* One ROP input buffer (an extended buffer's payload). */
typedef struct rop_input {
    rop_req *reqs;
    size_t n;
    uint32_t *handles;
    uint32_t n_handles;
    const unsigned char *rops_start; /* RopsList */
    const unsigned char *rops_end;
} rop_input;

/* Parses RopSize, every request (through the skippers) and the handle
 * table, before anything runs.  0, or -1 when unparsable. */
static int parse_input(apr_pool_t *pool, const unsigned char *p, size_t len, rop_input *in,
                       const char **why_r)
{
    mh_rd rd;
    mh_rd_init(&rd, p, len);
    uint16_t rop_size = mh_rd_u16(&rd);
    if (rd.err || rop_size < 2 || rop_size > len) {
        *why_r = "RopSize is out of range";
        return -1;
    }
    if ((len - rop_size) % 4 != 0) {
        *why_r = "the handle table is not a whole number of handles";
        return -1;
    }
    mh_rd list;
    mh_rd_init(&list, p + 2, rop_size - 2u);
    size_t cap = 8;
    in->reqs = apr_palloc(pool, cap * sizeof(*in->reqs));
    in->n = 0;
    while (mh_rd_left(&list) > 0) {
        rop_req r;
        r.start = list.p;
        if (mh_rd_ropheader(&list, &r.h) != 0) {
            *why_r = "unknown RopId or truncated ROP header";
            return -1;
        }
        if (r.h.info->flags & MH_ROPF_RESPONSE_ONLY) {
            *why_r = "a response-only RopId in the request";
            return -1;
        }
        r.fields = list.p;
        if (r.h.info->skip(&list) != 0 || list.err) {
            *why_r = "a ROP request is malformed or truncated";
            return -1;
        }
        r.fields_len = (size_t)(list.p - r.fields);
        r.len = (size_t)(list.p - r.start);
        if (in->n == cap) {
            rop_req *nr = apr_palloc(pool, 2 * cap * sizeof(*nr));
            memcpy(nr, in->reqs, cap * sizeof(*nr));
            in->reqs = nr;
            cap *= 2;
        }
        in->reqs[in->n++] = r;
    }
    in->rops_start = p + 2;
    in->rops_end = p + rop_size;
    in->n_handles = (uint32_t)((len - rop_size) / 4);
    in->handles = apr_palloc(pool, (in->n_handles ? in->n_handles : 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < in->n_handles; i++)
        in->handles[i] = mh_get_u32(p + rop_size + 4 * i);
    return 0;
}

/* An output payload under construction. */
typedef struct out_payload {
    mh_wr w;       /* RopSize placeholder, then responses */
    size_t limit;  /* payload bytes allowed, handle table included */
} out_payload;

static void payload_start(out_payload *o, apr_pool_t *pool, size_t limit)
{
    /* room for all it may hold, at once (a buffer that doubled as the
     * responses came would copy them into fresh memory each time) */
    mh_wr_init(&o->w, pool, limit > 1024 ? limit : 1024);
    mh_wr_u16(&o->w, 0);
    o->limit = limit;
}

static void payload_finish(out_payload *o, const uint32_t *handles, uint32_t n)
{
    mh_wr_put_u16_at(&o->w, 0, (uint16_t)o->w.len);
    for (uint32_t i = 0; i < n; i++)
        mh_wr_u32(&o->w, handles[i]);
}

/* Bytes left for responses in a payload with an n-slot handle table. */
static size_t payload_room(const out_payload *o, uint32_t n_handles)
{
    size_t used = o->w.len + 4u * n_handles;
    return used < o->limit ? o->limit - used : 0;
}

/*
 * Runs one request.  Writes its response (or nothing: RopRelease) to
 * o->w.  Returns 0, or 1 when it did not fit (nothing done).
 *
 * A request starts only when the payload still has room for a
 * RopBufferTooSmall that returns it and every request after it, so that
 * whatever it does, the client can always be told which requests did not
 * run.  `reserve` is that room for the requests after this one (0 when it
 * is the last): the ROP's response may not eat into it.
 */
static int run_one(mh_ropctx *cx, const rop_req *r, rop_input *in, out_payload *o,
                   size_t reserve, mh_rop *last_rop)
{
    mh_rop rop;
    memset(&rop, 0, sizeof(rop));
    rop.h = r->h;
    rop.handles = in->handles;
    rop.n_handles = in->n_handles;
    rop.resp_idx = r->h.resp_idx;
    rop.dest_idx = r->h.dest_idx;
    rop.out_handle = MH_HANDLE_NONE;

    size_t room = payload_room(o, in->n_handles);
    if (room < TOO_SMALL_FIXED + r->len + (reserve ? reserve - TOO_SMALL_FIXED : 0))
        return 1;
    if (!(r->h.info->flags & MH_ROPF_NO_RESPONSE) && room < MIN_ROP_ROOM + reserve)
        return 1;
    /* RopId, index, ReturnValue; RopRelease has no response and no room */
    rop.room = room >= reserve + 6 ? room - reserve - 6 : 0;

    mh_rd rd;
    mh_rd_init(&rd, r->fields, r->fields_len);
    /* The response is written where it goes: in the payload, after room
     * for its RopId, index and ReturnValue (payload_start made the
     * payload as large as its limit).  A handler that outgrows that room
     * gets a buffer of its own from mh_wr_grow, copied in below. */
    mh_wr body;
    size_t base = o->w.len + 6;
    unsigned char *in_place = NULL;
    if (o->w.cap > base) {
        in_place = o->w.buf + base;
        body.pool = cx->pool;
        body.buf = in_place;
        body.len = 0;
        body.cap = o->w.cap - base;
    } else {
        mh_wr_init(&body, cx->pool, 64);
    }
    rop.rd = &rd;
    rop.body = &body;

    uint32_t ec;
    mh_rop_fn *fn = mh_rop_handler(r->h.id);
    if ((r->h.info->flags & MH_ROPF_OUTPUT) && r->h.out_idx >= in->n_handles) {
        ec = EC_NULL_OBJECT; /* nowhere to put the new object */
    } else if (fn && (r->h.info->flags & MH_ROPF_INPUT) &&
               !(r->h.info->flags & MH_ROPF_NO_RESPONSE) && !mh_obj_logon(cx, r->h.logon_id)) {
        /* every ROP but RopLogon runs on a logon session named by its
         * LogonId (MS-OXCROPS 3.1.4.2); one the session does not have
         * names no object: nothing runs (objects made under it would be
         * orphans no later ROP could use) */
        ec = EC_NULL_OBJECT;
    } else if (fn) {
        ec = fn(cx, &rop);
        if (ec == MH_ROP_TOO_SMALL)
            return 1;
        /* A success (or warning) must come from the whole request, read
         * as the skipper read it.  A failure may stop reading anywhere,
         * and may come from a reader the handler's stricter parser
         * (mh_oxcdata) refused: a value the skipper's structure allows
         * but the ROP does not (an unknown sort Order, a name without
         * its NUL).  Only the first is a bug. */
        int ok = ec == 0 || (ec & 0xFFFF0000u) == 0x00040000u;
        int bad = 0;
        if (ec == MH_ROP_NO_RESPONSE) {
            ok = 0; /* RopRelease reads nothing of note */
        } else if (ok && rd.err) {
            mh_log(MH_LOG_ERR, MHLOGNO(00502) "%s: the handler found the request "
                   "malformed after the skipper accepted it", r->h.info->name);
            bad = 1;
            ec = MAPI_E_INVALID_PARAMETER;
        } else if (ok && rd.p != rd.end) {
            /* the skipper and the handler disagree on the layout */
            mh_log(MH_LOG_ERR, MHLOGNO(00501) "%s: the handler read %zu of %zu request bytes",
                   r->h.info->name, (size_t)(rd.p - r->fields), r->fields_len);
        } else if (!ok && rd.err) {
            /* the client's mistake, answered with the ROP's error: not a
             * server fault, so not an error in the log */
            mh_log(MH_LOG_INFO, MHLOGNO(01103) "%s: a value of the request is malformed "
                   "(the ROP gets 0x%08x)", r->h.info->name, (unsigned)ec);
        }
        if (ec != MH_ROP_NO_RESPONSE && !bad && body.len > rop.room) {
            /* a handler must fit rop.room (or answer MH_ROP_TOO_SMALL):
             * sending more would break RopSize or MaxRopOut */
            mh_log(MH_LOG_ERR, MHLOGNO(01101) "%s: the handler wrote %zu response bytes "
                   "where %zu were left", r->h.info->name, body.len, rop.room);
            bad = 1;
            ec = MAPI_E_CALL_FAILED;
        }
        if (bad) {
            if (rop.out_handle != MH_HANDLE_NONE) {
                mh_object *created = mh_obj_find(cx, rop.out_handle);
                if (created)
                    mh_obj_release(cx, created);
            }
            body.len = 0;
        }
    } else {
        ec = MAPI_E_NO_SUPPORT;
    }
    if (ec == MH_ROP_NO_RESPONSE)
        return 0;
    if (ec != 0 && body.len == 0) {
        mh_rop_write_failure(&o->w, r->h.id, rop.resp_idx, ec, rop.dest_idx);
    } else if (body.buf == in_place) {
        unsigned char *h = mh_wr_reserve(&o->w, 6 + body.len); /* within cap: no move */
        h[0] = r->h.id;
        h[1] = rop.resp_idx;
        mh_put_u32(h + 2, ec);
    } else {
        mh_wr_u8(&o->w, r->h.id);
        mh_wr_u8(&o->w, rop.resp_idx);
        mh_wr_u32(&o->w, ec);
        mh_wr_bytes(&o->w, body.buf, body.len);
    }
    if (ec == 0 && (r->h.info->flags & MH_ROPF_OUTPUT) && rop.out_handle != MH_HANDLE_NONE)
        in->handles[r->h.out_idx] = rop.out_handle;
    if (last_rop)
        *last_rop = rop;
    return 0;
}

/* RopBufferTooSmall (MS-OXCROPS 2.2.15.1): the requests not run. */
static void write_too_small(out_payload *o, const rop_req *from, const unsigned char *end)
{
    mh_wr_u8(&o->w, ROP_ID_BUFFER_TOO_SMALL);
    mh_wr_u16(&o->w, (uint16_t)MH_RPCEXT_MAX_PAYLOAD);
    mh_wr_bytes(&o->w, from->start, (size_t)(end - from->start));
}

static int chainable(uint8_t id)
{
    return id == ROP_ID_QUERY_ROWS || id == ROP_ID_READ_STREAM || id == ROP_ID_FT_GET_BUFFER;
}

/* The smallest answer an input buffer can get: its payload with a
 * RopBufferTooSmall returning every request (none when it has none). */
static size_t min_answer(const rop_input *in)
{
    size_t rops = (size_t)(in->rops_end - in->rops_start);
    return MH_RPCEXT_HEADER_LEN + 2 + (in->n ? TOO_SMALL_FIXED + rops : 0) +
           4u * in->n_handles;
}

/* The payload of an input buffer none of whose requests ran. */
static void answer_unrun(out_payload *o, apr_pool_t *pool, const rop_input *in)
{
    payload_start(o, pool, MH_RPCEXT_MAX_PAYLOAD);
    if (in->n)
        write_too_small(o, &in->reqs[0], in->rops_end);
    payload_finish(o, in->handles, in->n_handles);
}

uint32_t mh_rop_execute(mh_ropctx *cx, const unsigned char *rop_buffer, size_t len,
                        const mh_exec_opts *opts, mh_wr *out)
{
    mh_rpcext_payload *pl;
    size_t npl;
    const char *why = NULL;
    if (mh_rpcext_parse(rop_buffer, len, 0, cx->pool, &pl, &npl, &why) != 0) {
        mh_log(MH_LOG_DEBUG, MHLOGNO(00503) "Execute: ROP buffer rejected: %s", why);
        return EC_RPC_FORMAT;
    }
    /* Everything is parsed before anything runs: a malformed buffer fails
     * the call with nothing done (MS-OXCROPS 3.2.5.1). */
    rop_input *ins = apr_palloc(cx->pool, npl * sizeof(*ins));
    for (size_t i = 0; i < npl; i++)
        if (parse_input(cx->pool, pl[i].data, pl[i].len, &ins[i], &why) != 0) {
            mh_log(MH_LOG_DEBUG, MHLOGNO(00504) "Execute: ROP input %zu rejected: %s", i, why);
            return EC_RPC_FORMAT;
        }

    int compress = !(opts->flags & MH_EXEC_NO_COMPRESSION);
    int xor = !(opts->flags & MH_EXEC_NO_XOR_MAGIC);
    size_t total = opts->max_rop_out;

    /*
     * Every input buffer gets an answer (MS-OXCRPC 3.1.4.2.1.1): while one
     * runs, the room the later ones need at least (min_answer) is kept
     * back, so that when a buffer stops with RopBufferTooSmall each later
     * one can still return its requests the same way (none of them runs:
     * the client sends them again, in order).  When not even that fits
     * the call fails with ecBufferTooSmall before anything ran
     * (MS-OXCROPS 3.2.4.3).
     */
    size_t *later = apr_palloc(cx->pool, (npl + 1) * sizeof(*later));
    later[npl] = 0;
    for (size_t i = npl; i-- > 0;) {
        size_t m = min_answer(&ins[i]);
        if (i > 0 && m - MH_RPCEXT_HEADER_LEN > MH_RPCEXT_MAX_PAYLOAD)
            return EC_BUFFER_TOO_SMALL;
        later[i] = later[i + 1] + (i > 0 ? m : 0);
    }
    if (MH_RPCEXT_HEADER_LEN + 2 + 4u * ins[0].n_handles + later[1] > total)
        return EC_BUFFER_TOO_SMALL;

    mh_wr_init(out, cx->pool, 1024);
    out_payload *outs = apr_palloc(cx->pool, (npl + MH_RPCEXT_MAX_BUFFERS) * sizeof(*outs));
    size_t nout = 0;
    size_t used = 0;
    mh_rop last;
    const rop_req *last_req = NULL;
    int stopped = 0;

    for (size_t i = 0; i < npl; i++) {
        rop_input *in = &ins[i];
        out_payload *o = &outs[nout++];
        if (stopped) {
            answer_unrun(o, cx->pool, in);
            used += MH_RPCEXT_HEADER_LEN + o->w.len;
            continue;
        }
        /* the room reserved above makes this at least min_answer */
        size_t limit = total - later[i + 1] - used - MH_RPCEXT_HEADER_LEN;
        if (limit > MH_RPCEXT_MAX_PAYLOAD)
            limit = MH_RPCEXT_MAX_PAYLOAD;
        payload_start(o, cx->pool, limit);
        for (size_t k = 0; k < in->n; k++) {
            const rop_req *r = &in->reqs[k];
            if (cx->tick)
                cx->tick(cx->tick_baton);
            size_t after = (size_t)(in->rops_end - (r->start + r->len));
            size_t reserve = after ? TOO_SMALL_FIXED + after : 0;
            if (run_one(cx, r, in, o, reserve, &last) != 0) {
                /* the client resends the rest with a bigger buffer
                 * (MS-OXCROPS 3.2.4.3); that always fits but for the
                 * first request of the first buffer (nothing ran yet) */
                size_t need = TOO_SMALL_FIXED + (size_t)(in->rops_end - r->start);
                if (need > payload_room(o, in->n_handles))
                    return EC_BUFFER_TOO_SMALL;
                write_too_small(o, r, in->rops_end);
                stopped = 1;
                last_req = NULL;
                break;
            }
            last_req = r;
        }
        payload_finish(o, in->handles, in->n_handles);
        used += MH_RPCEXT_HEADER_LEN + o->w.len;
    }

    /* Chained responses (MS-OXCRPC 3.1.4.2.1.2.2): the last ROP of the
     * request is asked again for the rest, one payload each. */
    rop_input *last_in = &ins[npl - 1];
    if (opts->chain_allowed && (opts->flags & MH_EXEC_CHAIN) && !stopped && last_in->n &&
        last_req == &last_in->reqs[last_in->n - 1] && chainable(last_req->h.id)) {
        size_t min_room = last_req->h.id == ROP_ID_QUERY_ROWS ? CHAIN_MIN_ROOM_ROWS
                                                               : CHAIN_MIN_ROOM_STREAM;
        while (last.chain_req && nout < MH_RPCEXT_MAX_BUFFERS && total > used &&
               total - used >= min_room) {
            rop_req cr = *last_req;
            /* a fresh request: the same header, the continuation fields */
            mh_wr rq;
            mh_wr_init(&rq, cx->pool, last_req->len);
            mh_wr_bytes(&rq, last_req->start, (size_t)(last_req->fields - last_req->start));
            mh_wr_bytes(&rq, last.chain_req, last.chain_req_len);
            cr.start = rq.buf;
            cr.fields = rq.buf + (last_req->fields - last_req->start);
            cr.fields_len = last.chain_req_len;
            cr.len = rq.len;
            size_t limit = total - used - MH_RPCEXT_HEADER_LEN;
            if (limit > MH_RPCEXT_MAX_PAYLOAD)
                limit = MH_RPCEXT_MAX_PAYLOAD;
            out_payload *o = &outs[nout];
            payload_start(o, cx->pool, limit);
            mh_rop prev = last;
            if (run_one(cx, &cr, last_in, o, 0, &last) != 0) {
                last = prev;
                break;
            }
            payload_finish(o, last_in->handles, last_in->n_handles);
            nout++;
            used += MH_RPCEXT_HEADER_LEN + o->w.len;
            if (last.chain_req == prev.chain_req)
                break; /* no progress: never loop */
        }
    }

    for (size_t i = 0; i < nout; i++)
        mh_rpcext_append(out, outs[i].w.buf, outs[i].w.len, compress, xor, i + 1 == nout);
    if (out->len > total) {
        /* compression never grows a payload and every one kept to its
         * limit: a bug if seen */
        mh_log(MH_LOG_ERR, MHLOGNO(01102) "Execute: %zu response bytes for MaxRopOut %zu",
               out->len, total);
        return EC_BUFFER_TOO_SMALL;
    }
    return 0;
}
