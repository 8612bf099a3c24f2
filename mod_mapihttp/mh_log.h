/*
 * mh_log.h - logging from the httpd-free core.
 *
 * Every message the project logs carries a unique tag, MHnnnnn, the way
 * httpd's APLOGNO does: the integration tests fail on any warning or error
 * in the error log whose tag they did not expect, and name the expected ones
 * by tag.  Allocate the next free number (test/check-logtags lists them and
 * fails on duplicates); never reuse a number for a different message.
 *
 * The core logs through a sink the embedding program installs: mod_mapihttp
 * forwards to ap_log_error, the tools and tests to stderr.
 */
#ifndef MH_LOG_H
#define MH_LOG_H

#include <stdarg.h>

#define MHLOGNO(n) "MH" #n ": "

/* Same numbering as syslog and httpd's APLOG_* levels. */
enum {
    MH_LOG_EMERG = 0,
    MH_LOG_ALERT,
    MH_LOG_CRIT,
    MH_LOG_ERR,
    MH_LOG_WARNING,
    MH_LOG_NOTICE,
    MH_LOG_INFO,
    MH_LOG_DEBUG
};

typedef void mh_log_sink_fn(void *baton, int level, const char *msg);

/* Installs the process-wide sink (call once at start-up, before threads). */
void mh_log_set_sink(mh_log_sink_fn *fn, void *baton, int max_level);

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void mh_log(int level, const char *fmt, ...);

#endif
