/*
 * Unit tests: the client side of Autodiscover (tools/mh_adclient.c) - the
 * MS-OXDSCLI example responses, the server's own bodies read back
 * (mh_autodiscover.c), its request read by the server's parser, malformed
 * and hostile responses, URLs and the candidates for an address.
 */
#include "mh_adclient.h"
#include "mh_autodiscover.h"
#include "mh_test.h"

#include <apr_strings.h>

static apr_pool_t *pool;

/*
 * MS-OXDSCLI 4.4 "MapiHttp Response", as printed there; the page's text
 * ends inside the WEB Protocol's External block, which is closed here the
 * way its structure (2.2.4.1.1.2) requires.
 */
static const char SPEC_MAPIHTTP[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006\">\n"
    "  <Response xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a\">\n"
    "    <User>\n"
    "      <DisplayName>User Display Name</DisplayName>\n"
    "      <LegacyDN>/o=microsoft/ou=Contoso/cn=Recipients/cn=486021</LegacyDN>\n"
    "      <AutoDiscoverSMTPAddress>user@Contoso.com</AutoDiscoverSMTPAddress>\n"
    "      <DeploymentId>30c3a927-42aa-5de8-91e3-8e5b4655ed00</DeploymentId>\n"
    "    </User>\n"
    "    <Account>\n"
    "      <AccountType>email</AccountType>\n"
    "      <Action>settings</Action>\n"
    "      <Protocol Type=\"mapiHttp\" Version=\"1\">\n"
    "        <MailStore>\n"
    "          <InternalUrl>https://mail.Contoso.com/mapi/emsmdb/?MailboxId=416c6368-656d-794a-6f45-57615272456e@Contoso.com</InternalUrl>\n"
    "        </MailStore>\n"
    "        <AddressBook>\n"
    "          <InternalUrl>https://mail.Contoso.com/mapi/nspi/?MailboxId=416c6368-656d-794a-6f45-57615272456e@Contoso.com</InternalUrl>\n"
    "        </AddressBook>\n"
    "      </Protocol>\n"
    "      <Protocol>\n"
    "        <Type>WEB</Type>\n"
    "        <External>\n"
    "          <OWAUrl AuthenticationMethod=\"Fba\">https://mail.Contoso.com/owa</OWAUrl>\n"
    "          <Protocol>\n"
    "            <Type>EXPR</Type>\n"
    "            <ASUrl>https://mail.Contoso.com/ews/exchange.asmx</ASUrl>\n"
    "          </Protocol>\n"
    "        </External>\n"
    "      </Protocol>\n"
    "    </Account>\n"
    "  </Response>\n"
    "</Autodiscover>\n";

/* MS-OXDSCLI 4.2: a redirect to another address. */
static const char SPEC_REDIRECT_ADDR[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?> <Autodiscover "
    "xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006\"> <Response "
    "xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a\"> "
    "<Account> <Action>redirectAddr</Action> <RedirectAddr>user@subdomain.contoso.com"
    "</RedirectAddr> </Account> </Response> </Autodiscover>";

static int parse(const char *body, mh_adc_response *r, const char **why_r)
{
    return mh_adc_parse_response(body, strlen(body), pool, r, why_r);
}

static void test_spec_mapihttp(void)
{
    mh_adc_response r;
    const char *why = "unset";
    REQUIRE(parse(SPEC_MAPIHTTP, &r, &why) == 0);
    CHECK(why == NULL);
    CHECK_EQ_U(r.action, MH_ADC_SETTINGS);
    CHECK_STR(r.display_name, "User Display Name");
    CHECK_STR(r.legacy_dn, "/o=microsoft/ou=Contoso/cn=Recipients/cn=486021");
    CHECK_STR(r.smtp, "user@Contoso.com");
    CHECK_STR(r.deployment_id, "30c3a927-42aa-5de8-91e3-8e5b4655ed00");
    CHECK_EQ_U(r.has_mapihttp, 1);
    CHECK_EQ_U(r.mapihttp_version, 1);
    CHECK_STR(r.mailstore.internal, "https://mail.Contoso.com/mapi/emsmdb/?MailboxId="
                                    "416c6368-656d-794a-6f45-57615272456e@Contoso.com");
    CHECK(r.mailstore.external == NULL);
    CHECK_STR(r.addressbook.internal, "https://mail.Contoso.com/mapi/nspi/?MailboxId="
                                      "416c6368-656d-794a-6f45-57615272456e@Contoso.com");
    CHECK(r.addressbook.external == NULL);
    /* mapiHttp, WEB and the EXPR inside WEB's External */
    CHECK_EQ_U(r.n_protocols, 3);
}

static void test_spec_redirect_addr(void)
{
    mh_adc_response r;
    const char *why;
    REQUIRE(parse(SPEC_REDIRECT_ADDR, &r, &why) == 0);
    CHECK_EQ_U(r.action, MH_ADC_REDIRECT_ADDR);
    CHECK_STR(r.redirect_addr, "user@subdomain.contoso.com");
    CHECK_EQ_U(r.has_mapihttp, 0);
    /* redirectUrl, and the Error element (under Response, and under
     * Account as the POX reference places it) */
    REQUIRE(parse("<Autodiscover xmlns=\"" MH_AD_NS_RESPONSE "\"><Response xmlns=\""
                  MH_AD_NS_OUTLOOK "\"><Account><Action>redirectUrl</Action><RedirectUrl>"
                  " https://ad.example.net/autodiscover/autodiscover.xml </RedirectUrl>"
                  "</Account></Response></Autodiscover>", &r, &why) == 0);
    CHECK_EQ_U(r.action, MH_ADC_REDIRECT_URL);
    CHECK_STR(r.redirect_url, "https://ad.example.net/autodiscover/autodiscover.xml");
    REQUIRE(parse("<Autodiscover xmlns=\"" MH_AD_NS_RESPONSE "\"><Response><Error "
                  "Time=\"16:56:32.6164027\" Id=\"1054084152\"><ErrorCode>600</ErrorCode>"
                  "<Message>Invalid Request</Message><DebugData /></Error></Response>"
                  "</Autodiscover>", &r, &why) == 0);
    CHECK_EQ_U(r.action, MH_ADC_ERROR);
    CHECK_EQ_U(r.error_code, 600);
    CHECK_STR(r.error_message, "Invalid Request");
    CHECK(r.debug_data == NULL);
    REQUIRE(parse("<Autodiscover xmlns=\"" MH_AD_NS_RESPONSE "\"><Response xmlns=\""
                  MH_AD_NS_OUTLOOK "\"><Account><Error><ErrorCode>603</ErrorCode>"
                  "<Message>x</Message><DebugData>dbg</DebugData></Error></Account>"
                  "</Response></Autodiscover>", &r, &why) == 0);
    CHECK_EQ_U(r.error_code, 603);
    CHECK_STR(r.debug_data, "dbg");
    CHECK(mh_adc_error_meaning(500) && strstr(mh_adc_error_meaning(500), "no mailbox"));
    CHECK(mh_adc_error_meaning(601) != NULL);
    CHECK(mh_adc_error_meaning(42) == NULL);
}

/* The mapiHttp block where the spec also allows it: inside External;
 * the https:// namespace spelling; Type in another case; no Version. */
static void test_variants(void)
{
    mh_adc_response r;
    const char *why;
    REQUIRE(parse("<Autodiscover xmlns=\"https://schemas.microsoft.com/exchange/autodiscover/"
                  "responseschema/2006\"><Response xmlns=\"https://schemas.microsoft.com/"
                  "exchange/autodiscover/outlook/responseschema/2006a\"><User><DisplayName>"
                  "A &amp; B</DisplayName></User><Account><Action>settings</Action><Protocol>"
                  "<Type>WEB</Type><External><Protocol Type=\"MAPIHTTP\"><MailStore>"
                  "<ExternalUrl>https://x.example/mapi/emsmdb/</ExternalUrl></MailStore>"
                  "</Protocol></External></Protocol><Protocol Type=\"mapiHttp\" Version=\"2\">"
                  "<MailStore><ExternalUrl>https://second/</ExternalUrl></MailStore></Protocol>"
                  "</Account></Response></Autodiscover>", &r, &why) == 0);
    CHECK_STR(r.display_name, "A & B");
    CHECK(r.legacy_dn == NULL);
    CHECK_EQ_U(r.has_mapihttp, 1);
    CHECK_EQ_U(r.mapihttp_version, 0); /* the first one found has none */
    CHECK_STR(r.mailstore.external, "https://x.example/mapi/emsmdb/");
    CHECK(r.addressbook.internal == NULL && r.addressbook.external == NULL);
    CHECK_EQ_U(r.n_protocols, 3);
    /* settings with only legacy blocks: parses, without mapiHttp */
    REQUIRE(parse("<Autodiscover xmlns=\"" MH_AD_NS_RESPONSE "\"><Response xmlns=\""
                  MH_AD_NS_OUTLOOK "\"><User/><Account><Action>settings</Action><Protocol>"
                  "<Type>EXPR</Type></Protocol></Account></Response></Autodiscover>", &r,
                  &why) == 0);
    CHECK_EQ_U(r.has_mapihttp, 0);
    CHECK_EQ_U(r.n_protocols, 1);
}

/* What our server sends reads back field for field. */
static void test_server_bodies(void)
{
    mh_ad_settings s;
    memset(&s, 0, sizeof(s));
    s.display_name = "\xc3\x89milie <du> Ch\xc3\xa2telet";
    s.legacy_dn = "/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)"
                  "/cn=Recipients/cn=emilie";
    s.smtp = "emilie@example.com";
    s.deployment_id = "12345678-9abc-3def-8123-456789abcdef";
    s.emsmdb_internal = "https://int.example/mapi/emsmdb/?MailboxId=g@example.com";
    s.emsmdb_external = "https://ext.example/mapi/emsmdb/?MailboxId=g@example.com";
    s.nspi_internal = "https://int.example/mapi/nspi/?MailboxId=g@example.com";
    s.nspi_external = "https://ext.example/mapi/nspi/?MailboxId=g@example.com";
    s.version = 1;
    size_t len;
    const char *body = mh_ad_pox_settings(pool, &s, &len);
    mh_adc_response r;
    const char *why;
    REQUIRE(mh_adc_parse_response(body, len, pool, &r, &why) == 0);
    CHECK_EQ_U(r.action, MH_ADC_SETTINGS);
    CHECK_STR(r.display_name, s.display_name);
    CHECK_STR(r.legacy_dn, s.legacy_dn);
    CHECK_STR(r.smtp, s.smtp);
    CHECK_STR(r.deployment_id, s.deployment_id);
    CHECK_EQ_U(r.has_mapihttp, 1);
    CHECK_EQ_U(r.mapihttp_version, 1);
    CHECK_STR(r.mailstore.internal, s.emsmdb_internal);
    CHECK_STR(r.mailstore.external, s.emsmdb_external);
    CHECK_STR(r.addressbook.internal, s.nspi_internal);
    CHECK_STR(r.addressbook.external, s.nspi_external);
    CHECK_EQ_U(r.n_protocols, 1);

    body = mh_ad_pox_redirect_addr(pool, "ada@example.com", &len);
    REQUIRE(mh_adc_parse_response(body, len, pool, &r, &why) == 0);
    CHECK_EQ_U(r.action, MH_ADC_REDIRECT_ADDR);
    CHECK_STR(r.redirect_addr, "ada@example.com");

    body = mh_ad_pox_error(pool, 500, "The e-mail address cannot be found.", apr_time_now(), 7,
                           &len);
    REQUIRE(mh_adc_parse_response(body, len, pool, &r, &why) == 0);
    CHECK_EQ_U(r.action, MH_ADC_ERROR);
    CHECK_EQ_U(r.error_code, 500);
    CHECK_STR(r.error_message, "The e-mail address cannot be found.");
}

/* The request: what the server's parser reads from it. */
static void test_request(void)
{
    size_t len;
    const char *body = mh_adc_request_body(pool, "ada@example.com", NULL, &len);
    CHECK_EQ_U(len, strlen(body));
    mh_ad_request q;
    const char *why;
    REQUIRE(mh_ad_parse_request(body, len, pool, &q, &why) == MH_AD_OK);
    CHECK_STR(q.email, "ada@example.com");
    CHECK(q.legacy_dn == NULL);
    CHECK_STR(q.schema, MH_AD_NS_OUTLOOK);
    /* a DN with characters XML escapes */
    const char *dn = "/o=A&B <Co>/ou=\"x\"/cn=Recipients/cn=o'neil";
    body = mh_adc_request_body(pool, NULL, dn, &len);
    CHECK(strstr(body, "A&amp;B &lt;Co&gt;") != NULL);
    REQUIRE(mh_ad_parse_request(body, len, pool, &q, &why) == MH_AD_OK);
    CHECK(q.email == NULL);
    CHECK_STR(q.legacy_dn, dn);
    body = mh_adc_request_body(pool, "a@b.example", dn, &len);
    REQUIRE(mh_ad_parse_request(body, len, pool, &q, &why) == MH_AD_OK);
    CHECK_STR(q.email, "a@b.example");
    CHECK_STR(q.legacy_dn, dn);
}

static void bad(const char *body, size_t len, const char *must_say)
{
    mh_adc_response r;
    memset(&r, 0x5A, sizeof(r));
    const char *why = NULL;
    CHECK(mh_adc_parse_response(body, len, pool, &r, &why) == -1);
    CHECK(why && strstr(why, must_say));
    if (!why || !strstr(why, must_say))
        printf("# said: %s (wanted %s)\n", why ? why : "(nothing)", must_say);
    CHECK(r.action == 0 && r.display_name == NULL && r.has_mapihttp == 0);
}

static void bad_s(const char *body, const char *must_say)
{
    bad(body, strlen(body), must_say);
}

static void test_malformed(void)
{
#define ROOT "<Autodiscover xmlns=\"" MH_AD_NS_RESPONSE "\">"
#define RESP "<Response xmlns=\"" MH_AD_NS_OUTLOOK "\">"
    bad("", 0, "empty");
    bad(NULL, 5, "empty");
    bad_s("<html><body>Not Found</body></html>", "not Autodiscover");
    bad_s("Autodiscover is not here", "not well-formed XML");
    /* every truncation of a good response */
    size_t n = strlen(SPEC_MAPIHTTP);
    for (size_t cut = 1; cut + 2 < n; cut += 37) {
        mh_adc_response r;
        const char *why = NULL;
        CHECK(mh_adc_parse_response(SPEC_MAPIHTTP, cut, pool, &r, &why) == -1);
        CHECK(why != NULL);
    }
    bad_s("<Autodiscover xmlns=\"urn:wrong\">" RESP "</Response></Autodiscover>",
          "not Autodiscover in namespace");
    bad_s(ROOT "</Autodiscover>", "no Response");
    bad_s(ROOT "<Response xmlns=\"urn:mobilesync\"/></Autodiscover>", "the Response is in "
          "namespace urn:mobilesync");
    bad_s(ROOT RESP "</Response></Autodiscover>", "neither Error nor Account");
    bad_s(ROOT RESP "<Account/></Response></Autodiscover>", "no Action");
    bad_s(ROOT RESP "<Account><Action>dance</Action></Account></Response></Autodiscover>",
          "unknown Action \"dance\"");
    bad_s(ROOT RESP "<Account><Action>redirectAddr</Action></Account></Response></Autodiscover>",
          "without a RedirectAddr");
    bad_s(ROOT RESP "<Account><Action>redirectUrl</Action><RedirectUrl/></Account></Response>"
          "</Autodiscover>", "without a RedirectUrl");
    bad_s(ROOT RESP "<Account><Action>settings</Action></Account></Response></Autodiscover>",
          "without a User");
    bad_s(ROOT "<Response><Error><Message>x</Message></Error></Response></Autodiscover>",
          "no ErrorCode");
    /* external entities and entity bombs: the DOCTYPE is refused */
    bad_s("<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
          ROOT RESP "<User><DisplayName>&x;</DisplayName></User><Account><Action>settings"
          "</Action></Account></Response></Autodiscover>", "DOCTYPE");
    bad_s("<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY l \"lol\"><!ENTITY l1 \"&l;&l;&l;&l;"
          "&l;&l;&l;&l;\"><!ENTITY l2 \"&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;\">]>" ROOT RESP
          "<User><DisplayName>&l2;</DisplayName></User></Response></Autodiscover>", "DOCTYPE");
    bad_s("<!DOCTYPE Autodiscover SYSTEM \"http://127.0.0.1:1/x.dtd\">" ROOT "</Autodiscover>",
          "DOCTYPE");
    /* larger than the limit: refused before parsing */
    size_t big = MH_ADC_MAX_RESPONSE + 1;
    char *huge = apr_palloc(pool, big);
    memset(huge, ' ', big);
    memcpy(huge, ROOT, strlen(ROOT));
    bad(huge, big, "larger than");
#undef ROOT
#undef RESP
}

static void test_urls(void)
{
    mh_url u;
    REQUIRE(mh_url_parse(pool, "https://mail.example.com/mapi/emsmdb/?MailboxId=a@b", &u) == 0);
    CHECK_EQ_U(u.tls, 1);
    CHECK_STR(u.host, "mail.example.com");
    CHECK_EQ_U(u.port, 443);
    CHECK_STR(u.path, "/mapi/emsmdb/?MailboxId=a@b");
    CHECK_STR(mh_url_origin(pool, &u), "https://mail.example.com:443");
    CHECK_STR(mh_url_text(pool, &u), "https://mail.example.com/mapi/emsmdb/?MailboxId=a@b");
    REQUIRE(mh_url_parse(pool, "HTTP://127.0.0.1:8080", &u) == 0);
    CHECK_EQ_U(u.tls, 0);
    CHECK_EQ_U(u.port, 8080);
    CHECK_STR(u.path, "/");
    CHECK_STR(mh_url_text(pool, &u), "http://127.0.0.1:8080/");
    REQUIRE(mh_url_parse(pool, "http://[::1]:81?x=1", &u) == 0);
    CHECK_STR(u.host, "::1");
    CHECK_EQ_U(u.port, 81);
    CHECK_STR(u.path, "/?x=1");
    CHECK_STR(mh_url_origin(pool, &u), "http://[::1]:81");
    REQUIRE(mh_url_parse(pool, "https://[2001:db8::1]/", &u) == 0);
    CHECK_EQ_U(u.port, 443);
    static const char *const bad_urls[] = {
        "ftp://x/", "x.example/", "http://", "http:///p", "http://a:0/", "http://a:65536/",
        "http://a:8x/", "http://a:/", "http://u@a/", "http://a b/", "http://a/\x01",
        "http://a/#frag", "http://[::1/", "http://[]/", "http://[::1]x/", "http://a%2f/",
        "http://[g::1]/", NULL};
    for (int i = 0; bad_urls[i]; i++) {
        int rc = mh_url_parse(pool, bad_urls[i], &u);
        if (rc != -1)
            printf("# accepted %s\n", bad_urls[i]);
        CHECK(rc == -1);
    }
    CHECK(mh_url_parse(pool, NULL, &u) == -1);
}

static void test_candidates(void)
{
    const char *urls[2] = {NULL, NULL};
    REQUIRE(mh_adc_candidates(pool, "Jane.Doe@Example.COM", urls) == 2);
    CHECK_STR(urls[0], "https://example.com/autodiscover/autodiscover.xml");
    CHECK_STR(urls[1], "https://autodiscover.example.com/autodiscover/autodiscover.xml");
    static const char *const bad_addrs[] = {"jane", "@example.com", "jane@", "a@b@c",
                                            "jane@.example", "jane@example..com",
                                            "jane@exa mple.com", "jane@ex/ample.com",
                                            "ja ne@example.com", "jane@-x.example", NULL};
    for (int i = 0; bad_addrs[i]; i++)
        CHECK_EQ_U(mh_adc_candidates(pool, bad_addrs[i], urls), 0);
    CHECK_EQ_U(mh_adc_candidates(pool, NULL, urls), 0);
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&pool, NULL);
    mh_adc_init();
    RUN(test_spec_mapihttp);
    RUN(test_spec_redirect_addr);
    RUN(test_variants);
    RUN(test_server_bodies);
    RUN(test_request);
    RUN(test_malformed);
    RUN(test_urls);
    RUN(test_candidates);
    return MH_TEST_DONE();
}
