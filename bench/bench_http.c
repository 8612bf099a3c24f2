/*
 * bench_http.c - request rate and latency of a running httpd, with keep-alive
 * connections from several threads:
 *
 *   bench-http --port P --mode ping   --user U --password W --user-dn DN [--threads N]
 *              [--seconds S]
 *   bench-http --port P --mode static --path /static-1k.txt [--user U --password W] ...
 *
 * ping:   each thread makes one emsmdb session (Connect as the user's legacy
 *         DN) and then sends
 *         PING with it, over Basic auth, as Outlook's keep-alive traffic does;
 *         every response is checked (HTTP 200, X-ResponseCode 0, DONE).
 * static: GET of a file, with Basic credentials when --user is given;
 *         every response must be 200 with the file's length.
 *
 * Prints a table row: requests per second, the latency distribution
 * (median, 90th and 99th percentile, microseconds), errors, and this
 * client's own CPU time per request (microseconds), labelled --label.  See
 * bench/README.md and bench/run-http.sh.
 */
#include "mh_client.h"
#include "mh_wire.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include <apr_general.h>
#include <apr_base64.h>
#include <apr_strings.h>
#include "bench_util.h"

static int port, seconds = 10, threads = 8, ping_mode;
static const char *path = "/static-1k.txt", *user, *password, *user_dn, *label = "requests";
static volatile int stop;

#define MAX_SAMPLES 2000000
static double *lat;
static long n_lat;
static long errors;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
    (void)arg;
    apr_pool_t *root, *p;
    apr_pool_create(&root, NULL);
    mh_client_opts o = {0};
    o.host = "127.0.0.1";
    o.port = port;
    mh_client *c = mh_client_create(root, &o);
    mh_mapi *m = NULL;
    apr_table_t *h = apr_table_make(root, 2);
    if (user) {
        const char *cred = apr_pstrcat(root, user, ":", password, NULL);
        char *enc = apr_palloc(root, (apr_size_t)apr_base64_encode_len((int)strlen(cred)));
        apr_base64_encode(enc, cred, (int)strlen(cred));
        apr_table_set(h, "Authorization", apr_pstrcat(root, "Basic ", enc, NULL));
    }
    if (ping_mode) {
        m = mh_mapi_create(root, c, "/mapi/emsmdb/", user, password);
        size_t n;
        const unsigned char *b = mh_mapi_connect_body(root, user_dn, 0, &n);
        mh_response *r;
        if (mh_mapi_call(m, root, "Connect", b, n, &r) != APR_SUCCESS || r->status != 200 ||
            mh_response_code(r) != 0 || !mh_cookie_jar_get(m->jar, "MapiContext", NULL)) {
            fprintf(stderr, "bench-http: Connect failed\n");
            __sync_fetch_and_add(&errors, 1);
            return NULL;
        }
    }
    double *mine = malloc(sizeof(double) * 200000);
    long n_mine = 0;
    apr_pool_create(&p, root);
    while (!stop) {
        mh_response *r = NULL;
        double t0 = now_us();
        int ok;
        if (ping_mode) {
            ok = mh_mapi_call(m, p, "PING", NULL, 0, &r) == APR_SUCCESS && r->status == 200 &&
                 mh_response_code(r) == 0 && r->inner_ok;
        } else {
            ok = mh_client_request(c, p, "GET", path, h, NULL, 0, &r) == APR_SUCCESS &&
                 r->status == 200 && r->body_len == 1024;
        }
        double dt = now_us() - t0;
        if (!ok && __sync_fetch_and_add(&errors, 1) == 0)
            fprintf(stderr, "bench-http: first failure: HTTP %d, X-ResponseCode %d%s\n",
                    r ? r->status : 0, r ? mh_response_code(r) : -1,
                    r ? "" : " (no response)");
        else if (n_mine < 200000)
            mine[n_mine++] = dt;
        apr_pool_clear(p);
    }
    pthread_mutex_lock(&lock);
    for (long i = 0; i < n_mine && n_lat < MAX_SAMPLES; i++)
        lat[n_lat++] = mine[i];
    pthread_mutex_unlock(&lock);
    free(mine);
    apr_pool_destroy(root);
    return NULL;
}

int main(int argc, char **argv)
{
    apr_initialize();
    signal(SIGPIPE, SIG_IGN);
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--mode") == 0)
            ping_mode = strcmp(argv[i + 1], "ping") == 0;
        else if (strcmp(argv[i], "--path") == 0)
            path = argv[i + 1];
        else if (strcmp(argv[i], "--user") == 0)
            user = argv[i + 1];
        else if (strcmp(argv[i], "--user-dn") == 0)
            user_dn = argv[i + 1];
        else if (strcmp(argv[i], "--password") == 0)
            password = argv[i + 1];
        else if (strcmp(argv[i], "--threads") == 0)
            threads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--label") == 0)
            label = argv[i + 1];
    }
    if (!port || threads < 1 || threads > 256 || (ping_mode && (!user || !password || !user_dn))) {
        fprintf(stderr, "usage: bench-http --port P --mode ping|static [--path P] "
                        "[--user U --password W] [--user-dn DN] [--threads N] [--seconds S] "
                        "[--label L]\n");
        return 2;
    }
    lat = malloc(sizeof(double) * MAX_SAMPLES);
    pthread_t *t = calloc((size_t)threads, sizeof(pthread_t));
    double t0 = now_us(), c0 = cpu_us();
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    struct timespec d = {seconds, 0};
    nanosleep(&d, NULL);
    stop = 1;
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    double elapsed = (now_us() - t0) / 1e6;
    double client_cpu = cpu_us() - c0;
    qsort(lat, (size_t)n_lat, sizeof(double), cmp_d);
    if (n_lat == 0) {
        fprintf(stderr, "bench-http: no successful requests (%ld errors)\n", errors);
        return 1;
    }
    printf("| %-40s | %8.0f | %7.0f | %7.0f | %7.0f | %6ld | %7.0f |\n", label, n_lat / elapsed,
           lat[n_lat / 2], lat[(n_lat * 9) / 10], lat[(n_lat * 99) / 100], errors,
           client_cpu / n_lat);
    return errors ? 1 : 0;
}
