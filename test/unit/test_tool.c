/* Unit tests: what the command-line tools share (tools/mh_tool.c). */
#include "mh_test.h"
#include "mh_tool.h"

#include <stdio.h>
#include <unistd.h>

static apr_pool_t *pool;

static void test_split(void)
{
    const char **w;
    CHECK_EQ_U(mh_tool_split(pool, "  lmdb  path=\"/a b/c\" size=1G\t", &w), 3);
    CHECK_STR(w[0], "lmdb");
    CHECK_STR(w[1], "path=/a b/c");
    CHECK_STR(w[2], "size=1G");
    CHECK(w[3] == NULL);
    CHECK_EQ_U(mh_tool_split(pool, "", &w), 0);
}

static void test_backend_from_conf(void)
{
    char path[] = "/tmp/mh-test-conf-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# MapiHttpBackend commented out=1\n"
          "ServerRoot /srv/httpd\n"
          "LoadModule mapihttp_module modules/mod_mapihttp.so\n"
          "LoadModule mapihttp_ldap_module modules/mod_mapihttp_ldap.so\n"
          "MapiHttpBackend lmdb path=/first\n"
          "<VirtualHost *:443>\n"
          "    MapiHttpBackend lmdb path=/vhost\n"
          "</VirtualHost>\n"
          "   MapiHttpBackend ldap uri=ldap://x/ base=\"dc=example, dc=com\"\n",
          f);
    fclose(f);
    const char *module = NULL, *why = NULL;
    const char *spec = mh_tool_backend_from_conf(pool, path, &module, &why);
    /* the main server's last line wins, as in httpd; vhosts do not count */
    CHECK_STR(spec, " ldap uri=ldap://x/ base=\"dc=example, dc=com\"");
    const char **w;
    CHECK_EQ_U(mh_tool_split(pool, spec, &w), 3);
    CHECK_STR(w[2], "base=dc=example, dc=com");
    /* relative module paths from ServerRoot */
    CHECK_STR(module, "/srv/httpd/modules/mod_mapihttp_ldap.so");
    unlink(path);
    CHECK(mh_tool_backend_from_conf(pool, path, &module, &why) == NULL);
    CHECK(why && strstr(why, "cannot read"));
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&pool, NULL);
    RUN(test_split);
    RUN(test_backend_from_conf);
    apr_pool_destroy(pool);
    return MH_TEST_DONE();
}
