/*
 * mh_owner.c - handing storage over to the httpd user without trusting
 * what that user may have put in it.
 */
#include "mh_owner.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>

int mh_make_dirs(const char *path, apr_pool_t *pool, const char **why_r)
{
    char buf[128];
    apr_finfo_t fi;
    if (apr_stat(&fi, path, APR_FINFO_TYPE, pool) == APR_SUCCESS) {
        if (fi.filetype == APR_DIR)
            return 0;
        *why_r = apr_psprintf(pool, "%s is not a directory", path);
        return -1;
    }
    const char *slash = strrchr(path, '/');
    if (slash && slash != path) {
        const char *parent = apr_pstrmemdup(pool, path, (size_t)(slash - path));
        apr_status_t rv = apr_dir_make_recursive(
            parent, APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_UEXECUTE | APR_FPROT_GREAD |
                        APR_FPROT_GEXECUTE | APR_FPROT_WREAD | APR_FPROT_WEXECUTE,
            pool);
        if (rv != APR_SUCCESS) {
            *why_r = apr_psprintf(pool, "cannot create %s: %s", parent,
                                  apr_strerror(rv, buf, sizeof(buf)));
            return -1;
        }
    }
    apr_status_t rv =
        apr_dir_make(path, APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_UEXECUTE, pool);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EEXIST(rv)) {
        *why_r = apr_psprintf(pool, "cannot create %s: %s", path,
                              apr_strerror(rv, buf, sizeof(buf)));
        return -1;
    }
    return 0;
}

static int give(const char *f, int dir, long uid, long gid, apr_pool_t *pool,
                const char **why_r)
{
    int fd = open(f, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
    if (fd < 0) {
        if (errno == ENOENT || (errno == ELOOP && dir))
            return 0; /* nothing there yet, or a directory linked elsewhere */
        *why_r = apr_psprintf(pool, "%s: %s (refusing to use it)", f,
                              errno == ELOOP ? "a symbolic link" : strerror(errno));
        return -1;
    }
    struct stat st;
    int r = 0;
    if (fstat(fd, &st) != 0 || (!dir && (!S_ISREG(st.st_mode) || st.st_nlink != 1))) {
        *why_r = apr_psprintf(pool, "%s is not a plain file of its own (refusing to use it)", f);
        r = -1;
    } else if (((uid != -1 && st.st_uid != (uid_t)uid) ||
                (gid != -1 && st.st_gid != (gid_t)gid)) &&
               fchown(fd, (uid_t)uid, (gid_t)gid) != 0) {
        *why_r = apr_psprintf(pool, "cannot chown %s: %s", f, strerror(errno));
        r = -1;
    }
    close(fd);
    return r;
}

int mh_hand_over(const char *dir, const char *const *names, long uid, long gid,
                 apr_pool_t *pool, const char **why_r)
{
    if (give(dir, 1, uid, gid, pool, why_r) != 0)
        return -1;
    for (int i = 0; names && names[i]; i++)
        if (give(apr_pstrcat(pool, dir, "/", names[i], NULL), 0, uid, gid, pool, why_r) != 0)
            return -1;
    return 0;
}

int mh_run_as(long uid, long gid, mh_as_user_fn *fn, void *baton, apr_pool_t *pool,
              const char **why_r)
{
    int fds[2];
    if (pipe(fds) != 0) {
        *why_r = apr_psprintf(pool, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        *why_r = apr_psprintf(pool, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        const char *msg = NULL;
        if ((gid != -1 && (setgroups(0, NULL) != 0 || setgid((gid_t)gid) != 0)) ||
            (uid != -1 && setuid((uid_t)uid) != 0))
            msg = "cannot switch to the httpd user";
        else
            msg = fn(baton, pool);
        if (msg) {
            size_t n = strlen(msg);
            if (write(fds[1], msg, n) != (ssize_t)n)
                _exit(2);
        }
        _exit(msg ? 1 : 0);
    }
    close(fds[1]);
    char buf[1024];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof(buf) - 1 &&
           ((r = read(fds[0], buf + got, sizeof(buf) - 1 - got)) > 0 || (r < 0 && errno == EINTR)))
        if (r > 0)
            got += (size_t)r;
    buf[got] = 0;
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        *why_r = got ? apr_pstrdup(pool, buf) : "the process working as the httpd user failed";
        return -1;
    }
    return 0;
}
