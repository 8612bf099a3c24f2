/*
 * mapihttp/errors.h - the errors a storage backend reports.
 *
 * A small set of classes, so the protocol layer can map each to the right
 * MAPI error code in one place (mod_mapihttp/mh_backend.c), plus a detail
 * string for the administrator's log.  The detail is never shown to a
 * client.  Part of the backend interface: needs only APR.
 */
#ifndef MAPIHTTP_ERRORS_H
#define MAPIHTTP_ERRORS_H

#include <stdarg.h>
#include <stdio.h>
#include <apr_pools.h>
#include <apr_strings.h>

typedef enum mh_err {
    MH_OK = 0,
    MH_E_NOT_FOUND = 1,     /* the object, entry or value does not exist */
    MH_E_EXISTS = 2,        /* an object with that key or name exists already */
    MH_E_PERMISSION = 3,    /* the backend refuses (e.g. a read-only store) */
    MH_E_QUOTA = 4,         /* a size or count limit was reached */
    MH_E_TEMPORARY = 5,     /* busy or timed out: the same call may work later */
    MH_E_UNAVAILABLE = 6,   /* the storage is out of service (disk, network) */
    MH_E_CORRUPT = 7,       /* stored data is damaged */
    MH_E_INVALID = 8,       /* the caller passed something the call does not accept */
    MH_E_NOT_SUPPORTED = 9, /* this backend does not implement the call or option */
    MH_E_CONFLICT = 10,     /* the object changed meanwhile, or is not empty */
    MH_E_TOO_BIG = 11,      /* a value or object is beyond the backend's limits */
    MH_E_INTERNAL = 12      /* anything else: a bug; the detail says what */
} mh_err;

#define MH_ERR_COUNT 13

/*
 * Where a call reports the detail of a failure.  A backend sets both fields
 * when it returns anything but MH_OK; `detail` is allocated in the pool the
 * call was given (or is a string constant).
 */
typedef struct mh_error {
    mh_err code;
    const char *detail;
} mh_error;

/* The class name ("not found", ...), for logs. */
static inline const char *mh_err_name(mh_err e)
{
    static const char *const names[MH_ERR_COUNT] = {
        "ok",        "not found",   "exists",        "permission denied",
        "quota",     "temporary",   "unavailable",   "corrupt data",
        "invalid argument", "not supported", "conflict", "too big",
        "internal error"};
    return (unsigned)e < MH_ERR_COUNT ? names[e] : "unknown error";
}

/*
 * Formats into `pool` with the C library's printf rules (APR's own
 * formatter does not know %llu or %zu).
 */
static inline const char *mh_vformat(apr_pool_t *pool, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return fmt;
    char *buf = (char *)apr_palloc(pool, (apr_size_t)n + 1);
    vsnprintf(buf, (size_t)n + 1, fmt, ap);
    return buf;
}

/*
 * Sets *err and returns the code, so a backend can write
 *     return mh_fail(err, pool, MH_E_NOT_FOUND, "no folder %llu", id);
 * The format is the C library's printf format.  `err` may be NULL.
 */
static inline mh_err mh_fail(mh_error *err, apr_pool_t *pool, mh_err code, const char *fmt,
                             ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static inline mh_err mh_fail(mh_error *err, apr_pool_t *pool, mh_err code, const char *fmt,
                             ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        err->detail = pool ? mh_vformat(pool, fmt, ap) : "(no pool for the detail)";
        va_end(ap);
    }
    return code;
}

#endif
