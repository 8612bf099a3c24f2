/*
 * harness.c - a real httpd for the integration tests (see harness.h).
 */
#include "config.h"
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_md5.h>
#include <apr_strings.h>

#ifndef MH_BUILD_DIR
#error MH_BUILD_DIR must be defined
#endif

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    socklen_t len = sizeof(a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static int write_file(const char *path, const char *content, mode_t mode)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        printf("# cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    fputs(content, f);
    fclose(f);
    chmod(path, mode);
    return 0;
}

const char *mh_httpd_read_file(mh_httpd *h, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return "";
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = apr_palloc(h->pool, (apr_size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = 0;
    fclose(f);
    return buf;
}

/* The user the children run as when httpd starts as root. */
static const char *run_user(void)
{
    return getpwnam("www-data") ? "www-data" : "nobody";
}

static const char *run_group(void)
{
    return getgrnam("www-data") ? "www-data" : "nogroup";
}

mh_httpd *mh_httpd_create(apr_pool_t *pool, const char *mpm)
{
    mh_httpd *h = apr_pcalloc(pool, sizeof(*h));
    h->pool = pool;
    h->mpm = mpm;
    h->expected = apr_array_make(pool, 8, sizeof(const char *));
    h->loglevel = "notice mapihttp:debug";
    char *tmpl = apr_pstrdup(pool, "/tmp/mh-httpd-XXXXXX");
    if (!mkdtemp(tmpl)) {
        printf("# mkdtemp: %s\n", strerror(errno));
        return NULL;
    }
    chmod(tmpl, 0755);
    h->root = tmpl;
    h->conf_path = apr_pstrcat(pool, tmpl, "/httpd.conf", NULL);
    h->error_log = apr_pstrcat(pool, tmpl, "/error.log", NULL);
    h->access_log = apr_pstrcat(pool, tmpl, "/access.log", NULL);
    h->stderr_log = apr_pstrcat(pool, tmpl, "/stderr.log", NULL);
    h->store_path = apr_pstrcat(pool, tmpl, "/run/mapihttp-sessions", NULL);
    h->store_dir = apr_pstrcat(pool, tmpl, "/store", NULL);
    mkdir(apr_pstrcat(pool, tmpl, "/run", NULL), 0755);
    mkdir(apr_pstrcat(pool, tmpl, "/htdocs", NULL), 0755);
    h->port = free_port();
    h->noauth_port = free_port();
    h->tls_port = free_port();

    /* the password file (APR's MD5 scheme, which mod_authn_file reads) */
    char salt[9], hash1[120], hash2[120];
    unsigned char rnd[8];
    apr_generate_random_bytes(rnd, sizeof(rnd));
    for (int i = 0; i < 8; i++)
        salt[i] = "abcdefghijklmnopqrstuvwxyzABCDEF"[rnd[i] % 32];
    salt[8] = 0;
    apr_md5_encode(MH_TEST_PASSWORD, salt, hash1, sizeof(hash1));
    apr_md5_encode(MH_TEST_PASSWORD2, salt, hash2, sizeof(hash2));
    write_file(apr_pstrcat(pool, tmpl, "/htpasswd", NULL),
               apr_psprintf(pool, "%s:%s\n%s:%s\n", MH_TEST_USER, hash1, MH_TEST_USER2, hash2),
               0644);

    /* a self-signed certificate for the TLS port */
    const char *cmd = apr_psprintf(
        pool,
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-keyout %s/key.pem -out %s/cert.pem -days 2 -subj /CN=127.0.0.1 "
        "-addext subjectAltName=IP:127.0.0.1 -addext basicConstraints=critical,CA:FALSE "
        ">/dev/null 2>&1",
        tmpl, tmpl);
    if (system(cmd) != 0)
        printf("# could not make a TLS certificate (is openssl installed?)\n");
    chmod(apr_pstrcat(pool, tmpl, "/key.pem", NULL), 0644);
    return h;
}

int mh_httpd_admin(mh_httpd *h, const char *args, const char **out_r)
{
    const char *cmd = apr_psprintf(h->pool,
                                   "'%s/tools/mapihttp-admin' --backend 'lmdb path=%s' "
                                   "--bcrypt-cost 4 %s 2>&1",
                                   MH_BUILD_DIR, h->store_dir, args);
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    char buf[4096];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    int status = pclose(f);
    if (out_r)
        *out_r = apr_pstrdup(h->pool, buf);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const char *mh_httpd_lmdb_conf(mh_httpd *h)
{
    return apr_psprintf(h->pool,
                        "LoadModule mapihttp_lmdb_module %s/.libs/mod_mapihttp_lmdb.so\n"
                        "MapiHttpBackend lmdb path=%s size=256M\n",
                        MH_BUILD_DIR, h->store_dir);
}

static const char *build_conf(mh_httpd *h)
{
    const char *moddir = MH_APXS_LIBEXECDIR;
    const char *mpm_conf;
    if (strcmp(h->mpm, "prefork") == 0 && h->max_connections_per_child == 1)
        /* a process per connection: keep many ready, since prefork makes
         * new ones only once a second (at most 32 at a time) */
        mpm_conf = "StartServers 128\nMinSpareServers 128\nMaxSpareServers 160\n"
                   "MaxRequestWorkers 160\nServerLimit 160\nMaxConnectionsPerChild 1\n";
    else if (strcmp(h->mpm, "prefork") == 0)
        mpm_conf = apr_psprintf(h->pool,
                                "StartServers 4\nMinSpareServers 4\nMaxSpareServers 8\n"
                                "MaxRequestWorkers 64\nServerLimit 64\nMaxConnectionsPerChild %d\n",
                                h->max_connections_per_child);
    else
        mpm_conf = apr_psprintf(h->pool,
                                "StartServers 2\nServerLimit 4\nThreadLimit 16\n"
                                "ThreadsPerChild 16\nMinSpareThreads 8\nMaxSpareThreads 32\n"
                                "MaxRequestWorkers 64\nMaxConnectionsPerChild %d\n",
                                h->max_connections_per_child);
    const char *user = geteuid() == 0
                           ? apr_psprintf(h->pool, "User %s\nGroup %s\n", run_user(), run_group())
                           : "";
    const char *location_fmt =
        "<Location /mapi>\n"
        "  MapiHttp On\n"
        "  AuthType Basic\n"
        "  AuthName \"MAPI test\"\n"
        "  AuthBasicProvider %s\n"
        "  AuthUserFile %s/htpasswd\n"
        "  Require valid-user\n"
        "%s\n"
        "</Location>\n";
    const char *mapi_location = apr_psprintf(h->pool, location_fmt,
        h->auth_provider ? h->auth_provider : "file", h->root,
        h->location_conf ? h->location_conf : "");
    const char *tls_location = apr_psprintf(h->pool, location_fmt, "file", h->root,
                                            h->location_conf ? h->location_conf : "");
    return apr_psprintf(h->pool,
        "ServerRoot \"%s\"\n"
        "ServerName 127.0.0.1\n"
        "PidFile %s/httpd.pid\n"
        "DefaultRuntimeDir %s/run\n"
        "DocumentRoot %s/htdocs\n"
        "ErrorLog %s\n"
        "LogLevel %s\n"
        "LogFormat \"%%P %%u \\\"%%r\\\" %%>s %%{mapihttp-request-type}n "
        "%%{mapihttp-response-code}n %%{mapihttp-request-id}n %%{mapihttp-elapsed-ms}n\" mapi\n"
        "CustomLog %s mapi\n"
        "Timeout 60\n"
        "KeepAlive On\nKeepAliveTimeout 2\n"
        "GracefulShutdownTimeout 10\n"
        "%s"
        "LoadModule mpm_%s_module %s/mod_mpm_%s.so\n"
        "%s"
        "LoadModule authn_core_module %s/mod_authn_core.so\n"
        "LoadModule authn_file_module %s/mod_authn_file.so\n"
        "LoadModule auth_basic_module %s/mod_auth_basic.so\n"
        "LoadModule authz_core_module %s/mod_authz_core.so\n"
        "LoadModule authz_user_module %s/mod_authz_user.so\n"
        "LoadModule socache_shmcb_module %s/mod_socache_shmcb.so\n"
        "LoadModule ssl_module %s/mod_ssl.so\n"
        "LoadModule mapihttp_module %s/.libs/mod_mapihttp.so\n"
        "SSLSessionCache shmcb:%s/run/ssl_scache(512000)\n"
        "Listen 127.0.0.1:%d\n"
        "Listen 127.0.0.1:%d\n"
        "Listen 127.0.0.1:%d\n"
        "%s\n"
        "<VirtualHost 127.0.0.1:%d>\n"
        "%s%s"
        "</VirtualHost>\n"
        "<VirtualHost 127.0.0.1:%d>\n"
        "  <Location /mapi>\n    MapiHttp On\n  </Location>\n"
        "%s"
        "</VirtualHost>\n"
        "<VirtualHost 127.0.0.1:%d>\n"
        "  ServerName 127.0.0.1\n"
        "  SSLEngine on\n"
        "  SSLCertificateFile %s/cert.pem\n"
        "  SSLCertificateKeyFile %s/key.pem\n"
        "%s%s"
        "</VirtualHost>\n",
        h->root, h->root, h->root, h->root, h->error_log, h->loglevel, h->access_log,
        user, h->mpm, moddir, h->mpm, mpm_conf, moddir, moddir, moddir, moddir, moddir,
        moddir, moddir, MH_BUILD_DIR, h->root, h->port, h->noauth_port, h->tls_port,
        h->server_conf ? h->server_conf : "", h->port, mapi_location,
        h->vhost_conf ? h->vhost_conf : "", h->noauth_port,
        h->noauth_vhost_conf ? h->noauth_vhost_conf : "", h->tls_port, h->root, h->root, tls_location,
        h->tls_vhost_conf ? h->tls_vhost_conf : "");
}

static int port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static pid_t spawn(mh_httpd *h, const char *const *argv)
{
    pid_t pid = fork();
    if (pid == 0) {
        /* its own process group: prefork signals its whole group on stop */
        setsid();
        int fd = open(h->stderr_log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        /* an ASan-built module needs the runtime loaded first into httpd;
         * httpd frees little at exit by design: no leak report for it */
        const char *preload = getenv("MH_HTTPD_LD_PRELOAD");
        if (!preload || !*preload)
            preload = MH_HTTPD_PRELOAD;
        if (*preload) {
            setenv("LD_PRELOAD", preload, 1);
            const char *asan = getenv("MH_HTTPD_ASAN_OPTIONS");
            setenv("ASAN_OPTIONS", asan && *asan ? asan : "detect_leaks=0", 1);
        }
        execv(MH_HTTPD_BIN, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static int wait_exit(pid_t pid, int seconds, int *status)
{
    for (int i = 0; i < seconds * 20; i++) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        usleep(50000);
    }
    return -1;
}

int mh_httpd_start(mh_httpd *h)
{
    if (write_file(h->conf_path, build_conf(h), 0644) != 0)
        return -1;
    const char *argv[] = {MH_HTTPD_BIN, "-d", h->root, "-f", h->conf_path, "-DFOREGROUND", NULL};
    h->pid = spawn(h, argv);
    for (int i = 0; i < 300; i++) {
        int status;
        if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
            printf("# httpd exited during start-up (status %d):\n%s\n%s\n", status,
                   mh_httpd_read_file(h, h->stderr_log), mh_httpd_read_file(h, h->error_log));
            h->pid = 0;
            return -1;
        }
        if (port_open(h->port) && port_open(h->noauth_port) && port_open(h->tls_port))
            return 0;
        usleep(50000);
    }
    printf("# httpd did not open its ports within 15 s\n");
    mh_httpd_stop(h);
    return -1;
}

int mh_httpd_start_expect_failure(mh_httpd *h, const char **output_r)
{
    if (write_file(h->conf_path, build_conf(h), 0644) != 0)
        return -1;
    const char *argv[] = {MH_HTTPD_BIN, "-d", h->root, "-f", h->conf_path, "-DFOREGROUND", NULL};
    pid_t pid = spawn(h, argv);
    int status = 0;
    if (wait_exit(pid, 15, &status) != 0) {
        kill(pid, SIGTERM);
        waitpid(pid, &status, 0);
        *output_r = "httpd started although it should have refused";
        return -1;
    }
    *output_r = apr_pstrcat(h->pool, mh_httpd_read_file(h, h->stderr_log), "\n",
                            mh_httpd_read_file(h, h->error_log), NULL);
    return WIFEXITED(status) && WEXITSTATUS(status) != 0 ? 0 : -1;
}

int mh_httpd_refuses(mh_httpd *h, const char *must_say)
{
    const char *out = NULL;
    int rc = mh_httpd_start_expect_failure(h, &out);
    if (rc != 0 || !out || !strstr(out, must_say)) {
        printf("# expected httpd to refuse with \"%s\"; it said:\n%s\n", must_say,
               out ? out : "(nothing)");
        return -1;
    }
    return 0;
}

int mh_httpd_configtest(mh_httpd *h, const char *conf_path, const char **output_r)
{
    if (!conf_path) {
        if (write_file(h->conf_path, build_conf(h), 0644) != 0)
            return -1;
        conf_path = h->conf_path;
    }
    truncate(h->stderr_log, 0);
    const char *argv[] = {MH_HTTPD_BIN, "-d", h->root, "-f", conf_path, "-t", NULL};
    pid_t pid = spawn(h, argv);
    int status = 0;
    if (wait_exit(pid, 30, &status) != 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -1;
    }
    *output_r = mh_httpd_read_file(h, h->stderr_log);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int count_occurrences(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

int mh_httpd_graceful(mh_httpd *h)
{
    const char *marker = "resuming normal operations";
    int before = count_occurrences(mh_httpd_read_file(h, h->error_log), marker);
    if (!h->pid || kill(h->pid, SIGUSR1) != 0)
        return -1;
    for (int i = 0; i < 300; i++) {
        usleep(50000);
        if (count_occurrences(mh_httpd_read_file(h, h->error_log), marker) > before &&
            port_open(h->port))
            return 0;
    }
    printf("# graceful restart did not complete\n");
    return -1;
}

int mh_httpd_stop(mh_httpd *h)
{
    if (!h->pid)
        return 0;
    int status;
    /* graceful-stop: requests finish their last steps (a forced stop
     * closes a worker's socket under it, and event logs AH03093) */
    kill(h->pid, SIGWINCH);
    if (wait_exit(h->pid, 20, &status) != 0) {
        printf("# httpd did not stop within 20 s; killing it\n");
        kill(h->pid, SIGKILL);
        waitpid(h->pid, &status, 0);
        h->pid = 0;
        return -1;
    }
    h->pid = 0;
    /* the children may outlive the parent by a moment */
    for (int i = 0; i < 100 && port_open(h->port); i++)
        usleep(50000);
    return 0;
}

void mh_httpd_expect(mh_httpd *h, const char *tag)
{
    *(const char **)apr_array_push(h->expected) = apr_pstrdup(h->pool, tag);
}

static const char *find_tag(const char *line, char *buf)
{
    for (const char *p = line; *p; p++) {
        if ((p[0] == 'A' && p[1] == 'H') || (p[0] == 'M' && p[1] == 'H')) {
            int i;
            for (i = 0; i < 5; i++)
                if (p[2 + i] < '0' || p[2 + i] > '9')
                    break;
            if (i == 5) {
                memcpy(buf, p, 7);
                buf[7] = 0;
                return buf;
            }
        }
    }
    return NULL;
}

static int is_problem(const char *line)
{
    static const char *const levels[] = {":warn]", ":error]", ":crit]", ":alert]", ":emerg]"};
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
        if (strstr(line, levels[i]))
            return 1;
    return strstr(line, "AH00052") != NULL      /* child died of a signal */
           || strstr(line, "Sanitizer") != NULL /* ASan, LSan, UBSan reports */
           || strstr(line, "runtime error:") != NULL;
}

static int scan(mh_httpd *h, const char *text, long from, const char *which)
{
    int bad = 0;
    if ((long)strlen(text) < from)
        from = 0;
    char *copy = apr_pstrdup(h->pool, text + from), *state = NULL;
    for (char *line = apr_strtok(copy, "\n", &state); line;
         line = apr_strtok(NULL, "\n", &state)) {
        if (!is_problem(line))
            continue;
        char tagbuf[8];
        const char *tag = find_tag(line, tagbuf);
        int ok = 0;
        for (int i = 0; tag && i < h->expected->nelts; i++)
            if (strcmp(((const char **)h->expected->elts)[i], tag) == 0)
                ok = 1;
        if (!ok) {
            printf("# unexpected in %s: %s\n", which, line);
            bad++;
        }
    }
    return bad;
}

int mh_httpd_check_log(mh_httpd *h)
{
    const char *log = mh_httpd_read_file(h, h->error_log);
    int bad = scan(h, log, h->log_checked_to, "error log");
    h->log_checked_to = (long)strlen(log);
    bad += scan(h, mh_httpd_read_file(h, h->stderr_log), 0, "httpd stderr");
    return bad;
}

void mh_httpd_destroy(mh_httpd *h)
{
    if (!h)
        return;
    mh_httpd_stop(h);
    if (getenv("MH_KEEP_SERVER_ROOT")) {
        printf("# server root kept: %s\n", h->root);
        return;
    }
    const char *cmd = apr_psprintf(h->pool, "rm -rf '%s'", h->root);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", h->root);
}

mh_client *mh_httpd_client(mh_httpd *h, apr_pool_t *pool, int port, int tls)
{
    mh_client_opts o = {0};
    o.host = "127.0.0.1";
    o.port = port;
    o.tls = tls;
    o.timeout = apr_time_from_sec(30);
    return mh_client_create(pool, &o);
}
