/*
 * mh_log.c - logging sink for the httpd-free core.
 */
#include "mh_log.h"

#include <stdio.h>

static void stderr_sink(void *baton, int level, const char *msg)
{
    static const char *const names[] = {"emerg", "alert", "crit", "error",
                                        "warn",  "notice", "info", "debug"};
    fprintf(stderr, "[%s] %s\n", names[level & 7], msg);
}

static mh_log_sink_fn *g_sink = stderr_sink;
static void *g_baton;
static int g_max_level = MH_LOG_NOTICE;

void mh_log_set_sink(mh_log_sink_fn *fn, void *baton, int max_level)
{
    g_sink = fn ? fn : stderr_sink;
    g_baton = baton;
    g_max_level = max_level;
}

void mh_log(int level, const char *fmt, ...)
{
    if (level > g_max_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    g_sink(g_baton, level, msg);
}
