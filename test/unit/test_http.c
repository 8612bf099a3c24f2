/* Unit tests: mh_http (MS-OXCMAPIHTTP 2.2.3 request types, headers, cookies). */
#include "mh_http.h"
#include "mh_test.h"

#include <string.h>

static apr_pool_t *pool;

static mh_reqtype lookup(mh_endpoint ep, const char *s)
{
    return mh_reqtype_lookup(ep, s, strlen(s));
}

static void test_request_types(void)
{
    CHECK_EQ_U(lookup(MH_EP_EMSMDB, "Connect"), MH_RT_CONNECT);
    CHECK_EQ_U(lookup(MH_EP_EMSMDB, "execute"), MH_RT_EXECUTE);
    CHECK_EQ_U(lookup(MH_EP_EMSMDB, "NOTIFICATIONWAIT"), MH_RT_NOTIFICATIONWAIT);
    CHECK_EQ_U(lookup(MH_EP_EMSMDB, "PING"), MH_RT_PING);
    CHECK_EQ_U(lookup(MH_EP_NSPI, "ping"), MH_RT_PING);
    CHECK_EQ_U(lookup(MH_EP_NSPI, "BIND"), MH_RT_BIND);
    CHECK_EQ_U(lookup(MH_EP_NSPI, "GetAddressBookUrl"), MH_RT_GETADDRESSBOOKURL);
    /* the other endpoint's types are unknown here */
    CHECK_EQ_U(lookup(MH_EP_NSPI, "Connect"), MH_RT_UNKNOWN);
    CHECK_EQ_U(lookup(MH_EP_EMSMDB, "Bind"), MH_RT_UNKNOWN);
    /* prefixes, extensions and garbage */
    CHECK_EQ_U(lookup(MH_EP_EMSMDB, "Connec"), MH_RT_UNKNOWN);
    CHECK_EQ_U(lookup(MH_EP_EMSMDB, "Connect2"), MH_RT_UNKNOWN);
    CHECK_EQ_U(lookup(MH_EP_EMSMDB, ""), MH_RT_UNKNOWN);
    CHECK_EQ_U(mh_reqtype_lookup(MH_EP_EMSMDB, "Connect\0x", 9), MH_RT_UNKNOWN);
    /* every type round-trips through its name */
    for (int t = 1; t < MH_RT_COUNT_; t++) {
        const char *n = mh_reqtype_name((mh_reqtype)t);
        mh_reqtype a = lookup(MH_EP_EMSMDB, n), b = lookup(MH_EP_NSPI, n);
        CHECK(a == (mh_reqtype)t || b == (mh_reqtype)t);
    }
}

static void test_response_code_names(void)
{
    CHECK_STR(mh_response_code_name(0), "Success");
    CHECK_STR(mh_response_code_name(10), "Context Not Found");
    CHECK_STR(mh_response_code_name(15), "Invalid Sequence");
    CHECK_STR(mh_response_code_name(18), "Endpoint Shutting Down");
    CHECK_STR(mh_response_code_name(1), "Unknown Failure");
    CHECK_STR(mh_response_code_name(14), "Reserved");
    CHECK_STR(mh_response_code_name(17), "Invalid Response");
    /* not in the table */
    CHECK(mh_response_code_name(19) == NULL);
    CHECK(mh_response_code_name(-1) == NULL);
}

static void test_paths(void)
{
    CHECK_EQ_U(mh_endpoint_from_path("/mapi/emsmdb"), MH_EP_EMSMDB);
    CHECK_EQ_U(mh_endpoint_from_path("/mapi/emsmdb/"), MH_EP_EMSMDB);
    CHECK_EQ_U(mh_endpoint_from_path("/MAPI/EMSMDB/"), MH_EP_EMSMDB);
    CHECK_EQ_U(mh_endpoint_from_path("/mapi/nspi"), MH_EP_NSPI);
    CHECK_EQ_U(mh_endpoint_from_path("/mapi/nspi/"), MH_EP_NSPI);
    CHECK_EQ_U(mh_endpoint_from_path("/mapi/nspi//"), MH_EP_NONE);
    CHECK_EQ_U(mh_endpoint_from_path("/mapi/emsmdbx"), MH_EP_NONE);
    CHECK_EQ_U(mh_endpoint_from_path("/mapi/emsmdb/x"), MH_EP_NONE);
    CHECK_EQ_U(mh_endpoint_from_path("/mapi/"), MH_EP_NONE);
    CHECK_EQ_U(mh_endpoint_from_path("/mapi"), MH_EP_NONE);
    CHECK_EQ_U(mh_endpoint_from_path(NULL), MH_EP_NONE);
}

static void test_request_id_syntax(void)
{
    /* the spec's examples (2.2.3.3.2, 2.2.3.3.4) */
    CHECK(mh_valid_request_id("{E2EA6C1C-E61B-49E9-9CFB-38184F907552}:123456"));
    CHECK(mh_valid_client_info("{2EF33C39-49C8-421C-B876-CDF7F2AC3AA0}:123"));
    /* braces optional, lower case fine */
    CHECK(mh_valid_request_id("e2ea6c1c-e61b-49e9-9cfb-38184f907552:0"));
    CHECK(!mh_valid_request_id("{E2EA6C1C-E61B-49E9-9CFB-38184F907552}"));
    CHECK(!mh_valid_request_id("{E2EA6C1C-E61B-49E9-9CFB-38184F907552}:"));
    CHECK(!mh_valid_request_id("{E2EA6C1C-E61B-49E9-9CFB-38184F907552}:12a"));
    CHECK(!mh_valid_request_id("{E2EA6C1C-E61B-49E9-9CFB-38184F907552:1"));
    CHECK(!mh_valid_request_id("E2EA6C1C-E61B-49E9-9CFB-38184F907552}:1"));
    CHECK(!mh_valid_request_id("E2EA6C1C-E61B-49E9-9CFB-38184F90755:1"));
    CHECK(!mh_valid_request_id("E2EA6C1CXE61B-49E9-9CFB-38184F907552:1"));
    CHECK(!mh_valid_request_id("{E2EA6C1C-E61B-49E9-9CFB-38184F907552}:123456789012345678901"));
    CHECK(!mh_valid_request_id(""));
    CHECK(!mh_valid_request_id(NULL));
}

static void test_content_type(void)
{
    CHECK(mh_valid_content_type("application/mapi-http"));
    CHECK(mh_valid_content_type("Application/MAPI-HTTP"));
    CHECK(mh_valid_content_type("application/mapi-http; charset=binary"));
    CHECK(!mh_valid_content_type("application/mapi-httpx"));
    CHECK(!mh_valid_content_type("text/xml"));
    CHECK(!mh_valid_content_type(NULL));
}

static void test_cookies(void)
{
    int dup = 0;
    CHECK_STR(mh_cookie_get("MapiContext=abc; MapiSequence=def", "MapiContext", pool, &dup), "abc");
    CHECK(!dup);
    CHECK_STR(mh_cookie_get("MapiContext=abc; MapiSequence=def", "MapiSequence", pool, NULL), "def");
    CHECK_STR(mh_cookie_get("  a=1;MapiContext = \"q\" ;b=2", "MapiContext", pool, NULL), "q");
    CHECK(mh_cookie_get("XMapiContext=1; MapiContextX=2", "MapiContext", pool, NULL) == NULL);
    CHECK(mh_cookie_get("MapiContext", "MapiContext", pool, NULL) == NULL);
    CHECK(mh_cookie_get(NULL, "MapiContext", pool, NULL) == NULL);
    CHECK_STR(mh_cookie_get("MapiContext=1; MapiContext=2", "MapiContext", pool, &dup), "1");
    CHECK(dup);
    CHECK_STR(mh_cookie_get("MapiContext=", "MapiContext", pool, NULL), "");
}

static void test_set_cookie(void)
{
    CHECK_STR(mh_set_cookie(pool, "MapiContext", "00ff", "/mapi/emsmdb", 0),
              "MapiContext=00ff; Path=/mapi/emsmdb; HttpOnly");
    CHECK_STR(mh_set_cookie(pool, "NspiSequence", "01", "/mapi/nspi", 1),
              "NspiSequence=01; Path=/mapi/nspi; HttpOnly; Secure");
    CHECK_STR(mh_cookie_path(MH_EP_EMSMDB), "/mapi/emsmdb");
    CHECK_STR(mh_cookie_path(MH_EP_NSPI), "/mapi/nspi");
    CHECK(strcmp(mh_cookie_context_name(MH_EP_EMSMDB), mh_cookie_context_name(MH_EP_NSPI)) != 0);
}

static void test_server_application(void)
{
    /* Outlook wants Exchange 2013 SP1 or later: Exchange/15.xx.xxxx.xxx */
    int a, b, c, d;
    CHECK(sscanf(MH_SERVER_APPLICATION, "Exchange/%d.%d.%d.%d", &a, &b, &c, &d) == 4);
    CHECK(a == 15 && (b > 0 || c >= 847));
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&pool, NULL);
    RUN(test_request_types);
    RUN(test_response_code_names);
    RUN(test_paths);
    RUN(test_request_id_syntax);
    RUN(test_content_type);
    RUN(test_cookies);
    RUN(test_set_cookie);
    RUN(test_server_application);
    apr_pool_destroy(pool);
    return MH_TEST_DONE();
}
