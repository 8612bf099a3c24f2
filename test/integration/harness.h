/*
 * harness.h - a real httpd for the integration tests.
 *
 * Generates a server root (configuration, password file, TLS certificate)
 * in a fresh temporary directory, starts the distribution's httpd binary in
 * the foreground on free 127.0.0.1 ports with the chosen MPM and the
 * freshly built module, and stops it.  mh_httpd_check_log() fails a test on
 * any warning or error in the error log whose tag (AHnnnnn, MHnnnnn) was not
 * declared expected with mh_httpd_expect(), on crashed children and on
 * sanitizer reports.
 *
 * The server listens on three ports:
 *   port        HTTP, /mapi with MapiHttp On and Basic auth (users "ada"
 *               and "bob", password "secret-<user>")
 *   noauth_port HTTP, /mapi with MapiHttp On and no authentication
 *   tls_port    HTTPS, like `port` (self-signed certificate)
 */
#ifndef MH_HARNESS_H
#define MH_HARNESS_H

#include <sys/types.h>
#include <apr_pools.h>
#include <apr_tables.h>

#include "mh_client.h"

typedef struct mh_httpd {
    apr_pool_t *pool;
    const char *mpm;       /* "event" or "prefork" */
    const char *root;      /* server root (temporary directory) */
    const char *conf_path;
    const char *error_log, *access_log, *stderr_log;
    const char *store_path; /* the session store directory */
    int port, noauth_port, tls_port;
    pid_t pid;             /* the httpd parent, 0 when not running */
    const char *server_conf;   /* extra directives at server level */
    const char *location_conf; /* extra directives inside <Location /mapi> */
    const char *vhost_conf;    /* extra directives inside the `port` virtual host */
    const char *noauth_vhost_conf; /* ... and inside the `noauth_port` one */
    const char *tls_vhost_conf;    /* ... and inside the `tls_port` one */
    const char *auth_provider; /* AuthBasicProvider of `port` (default "file";
                                  the TLS port always uses "file") */
    const char *store_dir;     /* <root>/store: for a backend the test loads */
    const char *loglevel;      /* default "notice mapihttp:debug" */
    int max_connections_per_child; /* 0 = unlimited */
    apr_array_header_t *expected;  /* tags allowed at warn and above */
    long log_checked_to;           /* offset of the error log already checked */
} mh_httpd;

/* Prepares (does not start) a server with the given MPM. */
mh_httpd *mh_httpd_create(apr_pool_t *pool, const char *mpm);

/* Writes the configuration and starts httpd; waits until it accepts
 * connections.  Returns 0, or -1 with the reason printed. */
int mh_httpd_start(mh_httpd *h);

/*
 * Starts httpd expecting it to refuse: returns 0 when it exited non-zero
 * within the timeout, and puts what it printed (stderr and error log) in
 * *output_r.
 */
int mh_httpd_start_expect_failure(mh_httpd *h, const char **output_r);

/*
 * Starts httpd expecting it to refuse with a message containing
 * `must_say`: 0 when it did, else -1 with what it said printed.
 */
int mh_httpd_refuses(mh_httpd *h, const char *must_say);

/* Runs `httpd -t` on the generated configuration; returns its exit code. */
int mh_httpd_configtest(mh_httpd *h, const char *conf_path, const char **output_r);

/* Graceful restart (SIGUSR1); waits for the restarted generation. */
int mh_httpd_graceful(mh_httpd *h);
/* Stops httpd gracefully (SIGWINCH: requests in flight finish) and waits. */
int mh_httpd_stop(mh_httpd *h);

/* Declares a tag (e.g. "MH00106") expected at warn level or above. */
void mh_httpd_expect(mh_httpd *h, const char *tag);
/* Counts unexpected problem lines in the error log since the last check
 * (printing them); 0 means clean. */
int mh_httpd_check_log(mh_httpd *h);
/* Reads a whole log file (error_log, access_log ...). */
const char *mh_httpd_read_file(mh_httpd *h, const char *path);

/* Stops the server if running and removes its root. */
void mh_httpd_destroy(mh_httpd *h);

/*
 * Runs mapihttp-admin with `args` on the LMDB store in store_dir (as
 * "lmdb path=<store_dir>").  Returns its exit status; *out_r (may be NULL)
 * gets what it printed.
 */
int mh_httpd_admin(mh_httpd *h, const char *args, const char **out_r);

/* Server directives loading the LMDB backend on store_dir. */
const char *mh_httpd_lmdb_conf(mh_httpd *h);

/* A client for one of the ports. */
mh_client *mh_httpd_client(mh_httpd *h, apr_pool_t *pool, int port, int tls);

/*
 * Runs a test function (mh_test.h RUN) with `pool` set to a fresh child of
 * `root` that is destroyed after it, so the test's connections close.
 */
#define MH_IT_TEST(fn, pool, root)                                               \
    do {                                                                         \
        apr_pool_create(&(pool), (root));                                        \
        RUN(fn);                                                                 \
        apr_pool_destroy(pool);                                                  \
        (pool) = (root);                                                         \
    } while (0)

/* Credentials the generated password file holds. */
#define MH_TEST_USER "ada"
#define MH_TEST_PASSWORD "secret-ada"
#define MH_TEST_USER2 "bob"
#define MH_TEST_PASSWORD2 "secret-bob"

#endif
