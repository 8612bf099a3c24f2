/*
 * Unit tests: the NSPI calls beyond reading the address book -
 * GetTemplateInfo (display templates, mh_nspi_tmpl.c) and, against a real
 * LMDB store, ModProps and ModLinkAtt (mh_nspi_mod.c).  Every call goes
 * the whole way a request goes (built, parsed, handled, the response built
 * and parsed back).  The templates are read back with a decoder of their
 * own (MS-OXOABKT 2.2.2.1) that checks the structure before the content.
 */
#include "mh_mapierr.h"
#include "mh_nspi.h"
#include "mh_nspi_gal.h"
#include "mh_nspi_mod.h"
#include "mh_nspi_tmpl.h"
#include "mh_oxcdata.h"
#include "mh_props.h"
#include "mh_test.h"
#include "mh_tool.h"

#include <stdlib.h>
#include <apr_strings.h>

static apr_pool_t *pool;
static char dir[64];
static mh_be *be;
static mh_nspi_ctx cx;

#define ORG "Test Org"
#define DN_PREFIX "/o=" ORG "/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="

/* directory IDs in the order the fixture makes the entries */
enum { ADA = 1, BOB, CAROL, TEAM, OTHERS, DAVE, N_ENTRIES };
#define MID(id) ((uint32_t)(id) + MH_GAL_MID_MIN - 1)

static mh_guid mbx_guid(int k)
{
    mh_guid g;
    for (int i = 0; i < 16; i++)
        g.b[i] = (uint8_t)(0x10 * k + i);
    return g;
}

static uint32_t put_entry(mh_betxn *t, mh_dir_type type, const char *login, const char *name,
                          const char *smtp, int k, uint32_t owner)
{
    mh_dir_entry e;
    memset(&e, 0, sizeof(e));
    e.type = type;
    e.login = login;
    e.display_name = name;
    e.smtp = smtp;
    const char *cn = login ? login : apr_pstrmemdup(pool, smtp, strcspn(smtp, "@"));
    e.legacy_dn = apr_pstrcat(pool, DN_PREFIX, cn, NULL);
    e.has_mailbox = type == MH_DIR_USER;
    if (e.has_mailbox)
        e.mailbox = mbx_guid(k);
    mh_propval *pv = apr_pcalloc(pool, sizeof(mh_propval) * 2);
    pv[e.props.n++] = mh_pv_str(PR_TITLE, "Engineer");
    if (owner)
        pv[e.props.n++] = mh_pv_long(MH_DIR_LINK_OWNER, (int32_t)owner);
    e.props.v = pv;
    uint32_t id = 0;
    mh_error err = {MH_OK, NULL};
    if (mh_be_dir_put(t, &e, NULL, &id, &err) != MH_OK)
        printf("# dir_put %s: %s\n", name, err.detail ? err.detail : "");
    return id;
}

static int fixture(void)
{
    snprintf(dir, sizeof(dir), "/tmp/mh-nspimod-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    const char *why = NULL;
    const char *spec = apr_psprintf(pool, "lmdb path=%s size=1G sync=none", dir);
    if (mh_tool_backend(pool, spec, NULL, 1, -1, -1, &be, &why) != 0) {
        printf("# backend: %s\n", why);
        return -1;
    }
    mh_betxn *t;
    mh_error err = {MH_OK, NULL};
    if (mh_be_begin(be, NULL, MH_TXN_WRITE, pool, &t, &err) != MH_OK)
        return -1;
    uint32_t ids[N_ENTRIES];
    ids[ADA] = put_entry(t, MH_DIR_USER, "ada", "Ada Lovelace", "ada@example.com", ADA, 0);
    ids[BOB] = put_entry(t, MH_DIR_USER, "bob", "Bob Marley", "bob@example.com", BOB, 0);
    ids[CAROL] = put_entry(t, MH_DIR_CONTACT, NULL, "Carol External", "carol@external.test",
                           CAROL, 0);
    ids[TEAM] = put_entry(t, MH_DIR_GROUP, NULL, "Team", "team@example.com", TEAM, ADA);
    ids[OTHERS] = put_entry(t, MH_DIR_GROUP, NULL, "Others", "others@example.com", OTHERS, BOB);
    ids[DAVE] = put_entry(t, MH_DIR_USER, "dave", "Dave Brubeck", "dave@example.com", DAVE, 0);
    for (int i = ADA; i < N_ENTRIES; i++)
        if (ids[i] != (uint32_t)i) {
            printf("# entry %d got directory ID %u\n", i, ids[i]);
            return -1;
        }
    uint32_t m[] = {BOB};
    if (mh_be_dir_set_members(t, TEAM, m, 1, &err) != MH_OK || mh_be_commit(t, &err) != MH_OK) {
        printf("# %s\n", err.detail ? err.detail : "commit");
        return -1;
    }
    memset(&cx, 0, sizeof(cx));
    cx.pool = pool;
    cx.be = be;
    cx.user = "ada";
    for (int i = 0; i < 16; i++)
        cx.server_guid.b[i] = (uint8_t)(0xA0 + i);
    cx.organization = ORG;
    cx.base_url = "https://mail.example.com";
    return 0;
}

/* One request the whole way; NULL (and a failed check) when a body does
 * not parse. */
static mh_nspi_resp *call(mh_reqtype rt, const mh_nspi_req *req)
{
    mh_wr wr;
    mh_wr_init(&wr, pool, 256);
    mh_nspi_build_req(rt, &wr, req);
    mh_nspi_req *pr = apr_pcalloc(pool, sizeof(*pr));
    const char *why = NULL;
    if (mh_nspi_parse_req(rt, wr.buf, wr.len, pool, pr, &why) != MH_BODY_OK) {
        printf("# request %s does not parse: %s\n", mh_reqtype_name(rt), why);
        CHECK(0);
        return NULL;
    }
    mh_nspi_resp resp;
    mh_nspi_handle(&cx, rt, pr, &resp);
    mh_wr out;
    mh_wr_init(&out, pool, 256);
    mh_nspi_build_resp(rt, &out, &resp);
    mh_nspi_resp *back = apr_pcalloc(pool, sizeof(*back));
    if (mh_nspi_parse_resp(rt, out.buf, out.len, pool, back, &why) != MH_BODY_OK) {
        printf("# response %s does not parse: %s\n", mh_reqtype_name(rt), why);
        CHECK(0);
        return NULL;
    }
    return back;
}

static mh_stat stat_of(uint32_t current)
{
    mh_stat s;
    memset(&s, 0, sizeof(s));
    s.current_rec = current;
    s.code_page = 1252;
    s.template_locale = 0x409;
    s.sort_locale = 0x409;
    return s;
}

/* ============================================== display templates */

typedef struct dctl {
    uint32_t x, dx, y, dy, type, flags, prop, size;
    const unsigned char *raw; /* the string as sent, in the code page */
    size_t raw_len;           /* without its NUL */
    const char *text;         /* the same in UTF-8 */
    int page;                 /* index of the page control it is on */
} dctl;

typedef struct dtmpl {
    uint32_t n;
    dctl *c;
} dtmpl;

static int fail(const char *why, uint32_t row)
{
    printf("# template: %s (row %u)\n", why, row);
    return 0;
}

static int flags_allowed(uint32_t type, uint32_t flags)
{
    switch (type) {
    case MH_DTCT_EDIT:
        return (flags & ~(MH_DT_ACCEPT_DBCS | MH_DT_MULTILINE | MH_DT_EDITABLE |
                          MH_DT_PASSWORD_EDIT | MH_DT_REQUIRED | MH_DT_SET_IMMEDIATE)) == 0;
    case MH_DTCT_CHECKBOX:
        return (flags & ~(MH_DT_EDITABLE | MH_DT_SET_IMMEDIATE)) == 0;
    case MH_DTCT_PAGE:
        return 1; /* any value, ignored (2.2.2.1.2) */
    default:
        return flags == 0;
    }
}

static int boxes_overlap(const dctl *a, const dctl *b)
{
    return a->x < b->x + b->dx && b->x < a->x + a->dx && a->y < b->y + b->dy &&
           b->y < a->y + a->dy;
}

/*
 * Decodes a template blob and checks its structure (MS-OXOABKT 2.2.2.1):
 * Type 1, cRows TRows of 36 bytes, every ulString an offset into the
 * string area after them naming a NUL-terminated string, the string area
 * nothing but those strings; control types and flags the spec allows, the
 * strings' limits and forms per control, the properties' types per
 * control; a page first; every control inside its page and overlapping no
 * other.  NULL (and the reason printed) when anything is wrong.
 */
static dtmpl *decode(const mh_bin *b, uint32_t cp)
{
    const unsigned char *d = b->data;
    if (!d || b->len < MH_TMPL_HEADER_LEN)
        return fail("shorter than its header", 0), NULL;
    if (mh_get_u32(d) != MH_TMPL_TYPE)
        return fail("Type is not 1", 0), NULL;
    uint32_t n = mh_get_u32(d + 4);
    if (n == 0 || n > (b->len - MH_TMPL_HEADER_LEN) / MH_TMPL_ROW_LEN)
        return fail("cRows does not fit", n), NULL;
    size_t strings = MH_TMPL_HEADER_LEN + (size_t)MH_TMPL_ROW_LEN * n;
    unsigned char *used = apr_pcalloc(pool, b->len);
    dtmpl *t = apr_pcalloc(pool, sizeof(*t));
    t->n = n;
    t->c = apr_pcalloc(pool, sizeof(dctl) * n);
    int page = -1;
    for (uint32_t i = 0; i < n; i++) {
        const unsigned char *r = d + MH_TMPL_HEADER_LEN + (size_t)MH_TMPL_ROW_LEN * i;
        dctl *c = &t->c[i];
        c->x = mh_get_u32(r);
        c->dx = mh_get_u32(r + 4);
        c->y = mh_get_u32(r + 8);
        c->dy = mh_get_u32(r + 12);
        c->type = mh_get_u32(r + 16);
        c->flags = mh_get_u32(r + 20);
        c->prop = mh_get_u32(r + 24);
        c->size = mh_get_u32(r + 28);
        uint32_t off = mh_get_u32(r + 32);
        if (off < strings || off >= b->len)
            return fail("ulString outside the string area", i), NULL;
        const unsigned char *nul = memchr(d + off, 0, b->len - off);
        if (!nul)
            return fail("string without its NUL", i), NULL;
        if (off > strings && d[off - 1] != 0)
            return fail("ulString points into another string", i), NULL;
        c->raw = d + off;
        c->raw_len = (size_t)(nul - c->raw);
        memset(used + off, 1, c->raw_len + 1);
        c->text = mh_cp_to_utf8(cp, (const char *)c->raw, c->raw_len, pool);
        size_t with_nul = c->raw_len + 1;
        uint16_t ptype = MH_TAG_TYPE(c->prop);
        switch (c->type) {
        case MH_DTCT_PAGE:
            page = (int)i;
            if (with_nul > MH_TMPL_PAGE_TEXT_MAX || c->raw_len == 0)
                return fail("page text empty or above 32 bytes", i), NULL;
            break;
        case MH_DTCT_LABEL:
            if (c->prop != 0 || with_nul > MH_TMPL_TEXT_MAX || c->raw_len == 0)
                return fail("label with a property, or text empty or above 128", i), NULL;
            break;
        case MH_DTCT_EDIT:
            if (ptype != PT_STRING8 || c->size == 0 || with_nul > MH_TMPL_FILTER_MAX ||
                (strcmp(c->text, "*") != 0 && c->text[0] != '['))
                return fail("edit control: property type, size or filter", i), NULL;
            break;
        case MH_DTCT_LBX:
            if (ptype != PT_OBJECT || strcmp(c->text, "*") != 0)
                return fail("list box: not a table property, or not \"*\"", i), NULL;
            break;
        case MH_DTCT_MVLISTBOX:
        case MH_DTCT_MVDDLBX:
            if ((ptype != PT_MV_STRING8 && ptype != PT_MV_UNICODE) || strcmp(c->text, "*") != 0)
                return fail("multi-valued list box: property type, or not \"*\"", i), NULL;
            break;
        case MH_DTCT_BUTTON:
            if (c->prop != PR_EMS_AB_MANAGE_DL || with_nul > MH_TMPL_TEXT_MAX)
                return fail("button: property or text", i), NULL;
            break;
        case MH_DTCT_CHECKBOX:
        case MH_DTCT_GROUPBOX:
            if (with_nul > MH_TMPL_TEXT_MAX)
                return fail("text above 128 bytes", i), NULL;
            break;
        default:
            return fail("unknown ControlType", i), NULL;
        }
        if (!flags_allowed(c->type, c->flags))
            return fail("ControlFlags not allowed for the control", i), NULL;
        if (page < 0)
            return fail("a control before the first page", i), NULL;
        c->page = page;
        if (c->type != MH_DTCT_PAGE) {
            const dctl *p = &t->c[page];
            if (c->dx == 0 || c->dy == 0 || c->x + c->dx > p->x + p->dx ||
                c->y + c->dy > p->y + p->dy)
                return fail("control outside its page", i), NULL;
            for (uint32_t k = (uint32_t)page + 1; k < i; k++)
                if (boxes_overlap(c, &t->c[k]))
                    return fail("controls overlap", i), NULL;
        }
    }
    for (size_t k = strings; k < b->len; k++)
        if (!used[k])
            return fail("bytes no control points to", (uint32_t)k), NULL;
    return t;
}

/* The control showing `prop` (0: none), and the label just before it. */
static const dctl *control_of(const dtmpl *t, mh_proptag prop, const char **label_r)
{
    for (uint32_t i = 0; i < t->n; i++)
        if (t->c[i].prop == prop && t->c[i].type != MH_DTCT_LABEL) {
            if (label_r)
                *label_r = i > 0 && t->c[i - 1].type == MH_DTCT_LABEL ? t->c[i - 1].text : NULL;
            return &t->c[i];
        }
    return NULL;
}

/* The pages' texts, joined with '|'. */
static const char *pages_of(const dtmpl *t)
{
    const char *s = "";
    for (uint32_t i = 0; i < t->n; i++)
        if (t->c[i].type == MH_DTCT_PAGE)
            s = apr_pstrcat(pool, s, *s ? "|" : "", t->c[i].text, NULL);
    return s;
}

static mh_nspi_gettemplateinfo_resp *templateinfo(uint32_t flags, uint32_t type,
                                                  const char *dn, uint32_t cp, uint32_t lcid)
{
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.gettemplateinfo.flags = flags;
    q.gettemplateinfo.display_type = type;
    q.gettemplateinfo.has_template_dn = dn != NULL;
    q.gettemplateinfo.template_dn = dn;
    q.gettemplateinfo.code_page = cp;
    q.gettemplateinfo.locale_id = lcid;
    mh_nspi_resp *r = call(MH_RT_GETTEMPLATEINFO, &q);
    return r ? &r->gettemplateinfo : NULL;
}

/* The decoded template of a successful GetTemplateInfo with TI_TEMPLATE. */
static dtmpl *template_of(uint32_t type, const char *dn, uint32_t cp, uint32_t lcid,
                          mh_bin *blob_r)
{
    mh_nspi_gettemplateinfo_resp *r = templateinfo(MH_NSPI_TI_TEMPLATE, type, dn, cp, lcid);
    if (!r || r->error_code != MH_NSPI_SUCCESS || !r->has_row || r->row.n != 1 ||
        r->row.v[0].tag != PR_TEMPLATE_DATA) {
        printf("# GetTemplateInfo of type %u: error 0x%x\n", type, r ? r->error_code : 0);
        return NULL;
    }
    CHECK_EQ_U(r->code_page, cp);
    if (blob_r)
        *blob_r = r->row.v[0].v.bin;
    return decode(&r->row.v[0].v.bin, cp);
}

static void test_template_user(void)
{
    mh_bin blob;
    dtmpl *t = template_of(MH_DT_MAILUSER, NULL, 1252, 0x409, &blob);
    REQUIRE(t);
    CHECK_STR(pages_of(t), "General|Member Of|Delegates|E-mail Addresses");
    /* the first row byte for byte: the General page over the display area */
    unsigned char want[MH_TMPL_ROW_LEN];
    uint32_t words[] = {0, 400, 0, 280, MH_DTCT_PAGE, 0, 0, 0,
                        MH_TMPL_HEADER_LEN + MH_TMPL_ROW_LEN * t->n};
    for (int i = 0; i < 9; i++)
        mh_put_u32(want + 4 * i, words[i]);
    CHECK_MEM(blob.data + MH_TMPL_HEADER_LEN, MH_TMPL_ROW_LEN, want, sizeof(want));
    CHECK_STR(t->c[0].text, "General");
    /* the fields of the General page, each after its label, read-only */
    static const struct {
        mh_proptag prop;
        const char *label;
        uint32_t size;
    } fields[] = {
        {PR_GIVEN_NAME, "&First:", 64},        {PR_SURNAME, "&Last:", 64},
        {PR_DISPLAY_NAME, "Displa&y:", 256},   {PR_ACCOUNT, "Alia&s:", 64},
        {PR_TITLE, "&Title:", 128},            {PR_COMPANY_NAME, "C&ompany:", 64},
        {PR_DEPARTMENT_NAME, "&Department:", 64}, {PR_OFFICE_LOCATION, "Offi&ce:", 128},
        {PR_BUSINESS_TELEPHONE_NUMBER, "&Phone:", 64},
        {PR_MOBILE_TELEPHONE_NUMBER, "&Mobile:", 64}, {PR_SMTP_ADDRESS, "&E-mail:", 256},
    };
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const char *label = NULL;
        const dctl *c = control_of(t, MH_TAG_RETYPE(fields[i].prop, PT_STRING8), &label);
        REQUIRE(c);
        CHECK_EQ_U(c->type, MH_DTCT_EDIT);
        CHECK_EQ_U(c->flags & MH_DT_EDITABLE, 0);
        CHECK_EQ_U(c->size, fields[i].size);
        CHECK_STR(c->text, "*");
        CHECK_STR(label, fields[i].label);
        CHECK_EQ_U(c->page, 0);
    }
    /* the list pages: a caption and the table property */
    const char *label = NULL;
    const dctl *c = control_of(t, PR_EMS_AB_IS_MEMBER_OF_DL, &label);
    REQUIRE(c);
    CHECK_EQ_U(c->type, MH_DTCT_LBX);
    CHECK_STR(label, "&Member of:");
    CHECK_STR(t->c[c->page].text, "Member Of");
    c = control_of(t, PR_EMS_AB_PUBLIC_DELEGATES, &label);
    REQUIRE(c);
    CHECK_EQ_U(c->type, MH_DTCT_LBX);
    CHECK_STR(t->c[c->page].text, "Delegates");
    c = control_of(t, MH_TAG(0x800F, PT_MV_STRING8), &label);
    REQUIRE(c);
    CHECK_EQ_U(c->type, MH_DTCT_MVLISTBOX);
    CHECK_STR(label, "E-mail &addresses:");
    /* "*" is written once, and every label is a string of its own */
    uint32_t stars = 0, labels = 0;
    for (uint32_t i = 0; i < t->n; i++) {
        if (t->c[i].raw == t->c[2].raw)
            stars++;
        for (uint32_t k = 0; k < i && t->c[i].type == MH_DTCT_LABEL; k++)
            if (t->c[k].type == MH_DTCT_LABEL && t->c[k].raw == t->c[i].raw)
                labels++;
    }
    CHECK_STR(t->c[2].text, "*");
    CHECK_EQ_U(stars, 11 + 3);
    CHECK_EQ_U(labels, 0);
    CHECK_EQ_U(control_of(t, PR_EMS_AB_MEMBER, NULL) == NULL, 1);
}

static void test_template_list_and_contact(void)
{
    dtmpl *t = template_of(MH_DT_DISTLIST, NULL, 1252, 0x809 /* en-GB */, NULL);
    REQUIRE(t);
    CHECK_STR(pages_of(t), "General|Member Of|E-mail Addresses");
    const char *label = NULL;
    const dctl *c = control_of(t, PR_EMS_AB_MEMBER, &label);
    REQUIRE(c);
    CHECK_EQ_U(c->type, MH_DTCT_LBX);
    CHECK_STR(label, "Mem&bers:");
    c = control_of(t, PR_EMS_AB_OWNER, &label);
    REQUIRE(c);
    CHECK_STR(label, "&Owner:");
    c = control_of(t, PR_EMS_AB_MANAGE_DL, NULL);
    REQUIRE(c);
    CHECK_EQ_U(c->type, MH_DTCT_BUTTON);
    CHECK_STR(c->text, "Modify mem&bers...");
    CHECK(control_of(t, MH_TAG(0x3A06, PT_STRING8), NULL) == NULL); /* no first name */
    CHECK(control_of(t, PR_EMS_AB_PUBLIC_DELEGATES, NULL) == NULL);

    t = template_of(MH_DT_REMOTE_MAILUSER, NULL, 1252, 0x409, NULL);
    REQUIRE(t);
    CHECK_STR(pages_of(t), "General|Member Of|E-mail Addresses");
    CHECK(control_of(t, MH_TAG(0x3A06, PT_STRING8), NULL) != NULL);
    CHECK(control_of(t, PR_EMS_AB_PUBLIC_DELEGATES, NULL) == NULL);
}

/* The language of the LCID, in the code page asked for. */
static void test_template_languages(void)
{
    dtmpl *t = template_of(MH_DT_MAILUSER, NULL, 1252, 0x407, NULL);
    REQUIRE(t);
    CHECK_STR(pages_of(t), "Allgemein|Mitglied von|Stellvertretungen|E-Mail-Adressen");
    const char *label = NULL;
    REQUIRE(control_of(t, MH_TAG(0x3A19, PT_STRING8), &label));
    CHECK_STR(label, "&B\xc3\xbcro:");
    /* ü as windows-1252 puts it */
    const dctl *lc = control_of(t, MH_TAG(0x3A19, PT_STRING8), NULL) - 1;
    CHECK_MEM(lc->raw, lc->raw_len, "&B\xfcro:", 6);
    /* Swiss German is German; UTF-8 has every character */
    t = template_of(MH_DT_DISTLIST, NULL, 65001, 0x807, NULL);
    REQUIRE(t);
    const dctl *b = control_of(t, PR_EMS_AB_MANAGE_DL, NULL);
    REQUIRE(b);
    CHECK_MEM(b->raw, b->raw_len, "Mitglieder \xc3\xa4&ndern...",
              strlen("Mitglieder \xc3\xa4&ndern..."));
    t = template_of(MH_DT_REMOTE_MAILUSER, NULL, 1252, 0x40C, NULL);
    REQUIRE(t);
    CHECK_STR(pages_of(t), "G\xc3\xa9n\xc3\xa9ral|Membre de|Adresses de messagerie");
    /* French in Cyrillic windows-1251 loses its accents: English instead */
    t = template_of(MH_DT_MAILUSER, NULL, 1251, 0x40C, NULL);
    REQUIRE(t);
    CHECK_STR(t->c[0].text, "General");
    /* languages without texts of their own, and the default locales */
    static const uint32_t english[] = {0x411, 0x419, 0x0400, 0x0800, 0x007F, 0x10409};
    for (size_t i = 0; i < sizeof(english) / sizeof(english[0]); i++) {
        t = template_of(MH_DT_MAILUSER, NULL, 1252, english[i], NULL);
        REQUIRE(t);
        CHECK_STR(t->c[0].text, "General");
    }
}

static void test_template_errors_and_flags(void)
{
    /* display types without a template, invalid LCIDs: InvalidLocale */
    static const uint32_t types[] = {MH_DT_CONTAINER, 2, 7, 8, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        mh_nspi_gettemplateinfo_resp *r = templateinfo(MH_NSPI_TI_TEMPLATE, types[i], NULL,
                                                       1252, 0x409);
        CHECK(r && r->error_code == MH_NSPI_INVALID_LOCALE && !r->has_row);
    }
    static const uint32_t lcids[] = {0, 0x10000000u | 0x409, 0xFFFFFFFFu, 0x00100409u};
    for (size_t i = 0; i < sizeof(lcids) / sizeof(lcids[0]); i++) {
        mh_nspi_gettemplateinfo_resp *r = templateinfo(MH_NSPI_TI_TEMPLATE, MH_DT_MAILUSER,
                                                       NULL, 1252, lcids[i]);
        CHECK(r && r->error_code == MH_NSPI_INVALID_LOCALE && !r->has_row);
    }
    /* code pages: CP_WINUNICODE and unknown ones (checked first) */
    static const uint32_t cps[] = {MH_NSPI_CP_WINUNICODE, 4242, 0};
    for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
        mh_nspi_gettemplateinfo_resp *r = templateinfo(MH_NSPI_TI_TEMPLATE, 0x100, NULL, cps[i],
                                                       0);
        CHECK(r && r->error_code == MH_NSPI_INVALID_CODEPAGE && !r->has_row);
    }
    /* the flags: TI_SCRIPT adds PidTagScriptData as an error (no script);
     * the help file flags Outlook sends (0x61) and others add nothing */
    mh_nspi_gettemplateinfo_resp *r = templateinfo(MH_NSPI_TI_TEMPLATE | MH_NSPI_TI_SCRIPT,
                                                   MH_DT_MAILUSER, NULL, 1252, 0x409);
    REQUIRE(r && r->error_code == 0 && r->has_row && r->row.n == 2);
    CHECK_EQ_U(r->row.v[0].tag, PR_TEMPLATE_DATA);
    CHECK_EQ_U(r->row.v[1].tag, MH_TAG(0x0004, PT_ERROR));
    CHECK_EQ_U(r->row.v[1].v.err, MAPI_E_NOT_FOUND);
    mh_bin full = r->row.v[0].v.bin;
    r = templateinfo(0x61 | 0xFFFF0000u, MH_DT_MAILUSER, NULL, 1252, 0x409);
    REQUIRE(r && r->error_code == 0 && r->has_row && r->row.n == 1);
    CHECK_MEM(r->row.v[0].v.bin.data, r->row.v[0].v.bin.len, full.data, full.len);
    r = templateinfo(MH_NSPI_TI_SCRIPT, MH_DT_DISTLIST, NULL, 1252, 0x409);
    CHECK(r && r->error_code == 0 && r->row.n == 1 && r->row.v[0].tag == MH_TAG(4, PT_ERROR));
    r = templateinfo(MH_NSPI_TI_EMT | MH_NSPI_TI_HELPFILE_NAME, MH_DT_DISTLIST, NULL, 1252,
                     0x409);
    CHECK(r && r->error_code == 0 && r->has_row && r->row.n == 0);
}

/* With a DN: the template of that object's display type; ulType and the
 * LCID ignored (3.1.4.1.18 constraint 5). */
static void test_template_by_dn(void)
{
    mh_bin user, by_dn, by_dn2;
    REQUIRE(template_of(MH_DT_MAILUSER, NULL, 1252, 0x409, &user));
    REQUIRE(template_of(MH_DT_DISTLIST, DN_PREFIX "ada", 1252, 0x407, &by_dn));
    REQUIRE(template_of(0x12345, DN_PREFIX "ADA", 1252, 0, &by_dn2));
    CHECK_MEM(by_dn.data, by_dn.len, user.data, user.len);
    CHECK_MEM(by_dn2.data, by_dn2.len, user.data, user.len);
    dtmpl *t = template_of(MH_DT_MAILUSER, DN_PREFIX "team", 1252, 0x409, NULL);
    REQUIRE(t);
    CHECK(control_of(t, PR_EMS_AB_MEMBER, NULL) != NULL);
    t = template_of(MH_DT_MAILUSER, DN_PREFIX "carol", 1252, 0x409, NULL);
    REQUIRE(t);
    CHECK_STR(pages_of(t), "General|Member Of|E-mail Addresses");
    static const char *const bad[] = {DN_PREFIX "nobody", "/", "", "not a DN"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mh_nspi_gettemplateinfo_resp *r = templateinfo(MH_NSPI_TI_TEMPLATE, MH_DT_MAILUSER,
                                                       bad[i], 1252, 0x409);
        CHECK(r && r->error_code == MH_NSPI_INVALID_LOCALE && !r->has_row);
    }
}

/* The decoder refuses what is not a template: it can fail. */
static void test_decoder_refuses(void)
{
    mh_bin good;
    REQUIRE(template_of(MH_DT_DISTLIST, NULL, 1252, 0x409, &good));
    unsigned char *b = apr_pmemdup(pool, good.data, good.len);
    mh_bin m = {good.len, b};
    CHECK(decode(&m, 1252) != NULL);
    struct {
        size_t at;
        uint32_t v;
    } breaks[] = {
        {0, 2},                                   /* Type */
        {4, 1000},                                /* cRows */
        {8 + 36 + 32, 4},                         /* ulString into the rows */
        {8 + 36 + 32, good.len},                  /* ulString past the end */
        {8 + 36 + 16, 0x0A},                      /* ControlType unknown */
        {8 + 16, MH_DTCT_LABEL},                  /* a label first, not a page */
        {8 + 36 + 24, 0x3001001E},                /* a label with a property */
        {8 + 72 + 20, MH_DT_EDITABLE | 0x100},    /* edit flags unknown */
        {8 + 72 + 24, 0x3001000D},                /* edit of a table property */
        {8 + 72, 350},                            /* an edit leaving its page */
        {8 + 72, 10},                             /* on top of its label */
    };
    for (size_t i = 0; i < sizeof(breaks) / sizeof(breaks[0]); i++) {
        memcpy(b, good.data, good.len);
        mh_put_u32(b + breaks[i].at, breaks[i].v);
        CHECK(decode(&m, 1252) == NULL);
    }
    memcpy(b, good.data, good.len);
    mh_put_u32(b + 8 + 36 + 32, mh_get_u32(b + 8 + 36 + 32) + 1); /* into a string */
    CHECK(decode(&m, 1252) == NULL);
    memcpy(b, good.data, good.len);
    m.len = good.len - 1; /* the last NUL cut off */
    CHECK(decode(&m, 1252) == NULL);
}

/* ====================================================== ModLinkAtt */

static mh_bin eph(int id, uint32_t display_type)
{
    mh_bin b;
    mh_gal_ephemeral_eid(&cx.server_guid, display_type, MID(id), pool, &b);
    return b;
}

static mh_bin perm(const char *cn, uint32_t display_type)
{
    mh_bin b;
    mh_gal_permanent_eid(apr_pstrcat(pool, DN_PREFIX, cn, NULL), display_type, pool, &b);
    return b;
}

static uint32_t modlinkatt(uint32_t flags, mh_proptag tag, uint32_t mid, int n, const mh_bin *eids)
{
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.modlinkatt.flags = flags;
    q.modlinkatt.tag = tag;
    q.modlinkatt.mid = mid;
    q.modlinkatt.has_entry_ids = n >= 0;
    q.modlinkatt.entry_ids.n = n > 0 ? (uint32_t)n : 0;
    q.modlinkatt.entry_ids.b = (mh_bin *)eids;
    mh_nspi_resp *r = call(MH_RT_MODLINKATT, &q);
    return r ? r->modlinkatt.error_code : 0xFFFFFFFFu;
}

static mh_nspi_getprops_resp *getprops(uint32_t mid, mh_proptag tag)
{
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.getprops.has_state = 1;
    q.getprops.state = stat_of(mid);
    q.getprops.has_tags = 1;
    q.getprops.tags.n = 1;
    q.getprops.tags.tags = &tag;
    mh_nspi_resp *r = call(MH_RT_GETPROPS, &q);
    return r ? &r->getprops : NULL;
}

/* A link attribute as GetProps gives it in PtypMultipleString8: the DNs'
 * last RDNs joined with ',', "-" when it names nothing. */
static const char *links(uint32_t mid, uint16_t id)
{
    mh_nspi_getprops_resp *p = getprops(mid, MH_TAG(id, PT_MV_STRING8));
    if (!p || p->values.n != 1)
        return "(no answer)";
    const mh_propval *v = &p->values.v[0];
    if (MH_TAG_TYPE(v->tag) == PT_ERROR)
        return v->v.err == MAPI_E_NOT_FOUND ? "-" : "(error)";
    const char *s = "";
    for (uint32_t i = 0; i < v->v.mv.n; i++) {
        const char *dn = ((const char *const *)v->v.mv.v)[i];
        const char *cn = strstr(dn, "/cn=Recipients/cn=");
        s = apr_pstrcat(pool, s, i ? "," : "", cn ? cn + 18 : dn, NULL);
    }
    return s;
}

/* The same through GetMatches on the link (how Outlook reads it): the
 * display names joined with ','. */
static const char *links_by_getmatches(uint32_t mid, mh_proptag tag)
{
    static const mh_proptag name = MH_TAG(0x3001, PT_UNICODE);
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.getmatches.has_state = 1;
    q.getmatches.state = stat_of(mid);
    q.getmatches.state.container_id = tag;
    q.getmatches.row_count = 100;
    q.getmatches.has_columns = 1;
    q.getmatches.columns.n = 1;
    q.getmatches.columns.tags = (mh_proptag *)&name;
    mh_nspi_resp *r = call(MH_RT_GETMATCHES, &q);
    if (!r || r->getmatches.error_code)
        return "(error)";
    const char *s = "";
    for (uint32_t i = 0; i < r->getmatches.rows.n_rows; i++)
        s = apr_pstrcat(pool, s, i ? "," : "", r->getmatches.rows.rows[i].vals[0]->v.str, NULL);
    return s;
}

/* What the directory itself holds for an entry's delegates. */
static uint32_t stored_delegates(int id, uint32_t *out, uint32_t max)
{
    mh_betxn *t;
    mh_error err = {MH_OK, NULL};
    if (mh_be_begin(be, NULL, MH_TXN_READ, pool, &t, &err) != MH_OK)
        return 0xFFFFFFFFu;
    mh_dir_entry e;
    uint32_t n = 0xFFFFFFFFu;
    if (mh_be_dir_get(t, (uint32_t)id, &e, &err) == MH_OK) {
        n = 0;
        const mh_propval *v = mh_proplist_find(&e.props, MH_DIR_LINK_DELEGATES);
        for (uint32_t i = 0; v && i < v->v.mv.n && i < max; i++)
            out[n++] = (uint32_t)((const int32_t *)v->v.mv.v)[i];
        if (!mh_proplist_find(&e.props, PR_TITLE))
            n = 0xFFFFFFFEu; /* the other properties must stay */
    }
    mh_be_abort(t);
    return n;
}

static void test_modlinkatt_delegates(void)
{
    cx.user = "ada";
    CHECK_STR(links(MID(ADA), 0x8015), "-");
    /* an Ephemeral Entry ID as ResolveNames hands them out */
    mh_bin b = eph(BOB, MH_DT_MAILUSER);
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_PUBLIC_DELEGATES, MID(ADA), 1, &b), MH_NSPI_SUCCESS);
    CHECK_STR(links(MID(ADA), 0x8015), "bob");
    CHECK_STR(links_by_getmatches(MID(ADA), PR_EMS_AB_PUBLIC_DELEGATES), "Bob Marley");
    /* a Permanent one, and one already there (ignored) */
    mh_bin two[] = {perm("dave", MH_DT_MAILUSER), eph(BOB, MH_DT_MAILUSER)};
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_PUBLIC_DELEGATES, MID(ADA), 2, two), MH_NSPI_SUCCESS);
    CHECK_STR(links(MID(ADA), 0x8015), "bob,dave");
    uint32_t ids[8];
    CHECK_EQ_U(stored_delegates(ADA, ids, 8), 2);
    CHECK(ids[0] == BOB && ids[1] == DAVE);
    /* GetProps of the table property itself: a link, read with GetMatches */
    mh_nspi_getprops_resp *p = getprops(MID(ADA), PR_EMS_AB_PUBLIC_DELEGATES);
    REQUIRE(p && p->values.n == 1);
    CHECK_EQ_U(p->values.v[0].tag, MH_TAG(0x8015, PT_ERROR));
    CHECK_EQ_U(p->values.v[0].v.err, MAPI_E_NO_SUPPORT);
    p = getprops(MID(ADA), MH_TAG(0x8015, PT_MV_UNICODE));
    REQUIRE(p && p->values.n == 1 && p->values.v[0].v.mv.n == 2);
    CHECK_STR(((const char *const *)p->values.v[0].v.mv.v)[1], DN_PREFIX "dave");
    /* a refused add changes nothing, not even the values before it */
    mh_bin refused[][2] = {
        {eph(DAVE, 0), eph(TEAM, MH_DT_DISTLIST)},   /* a list as a delegate */
        {eph(DAVE, 0), eph(CAROL, 6)},               /* a contact */
        {eph(DAVE, 0), eph(99, 0)},                  /* names nothing */
        {eph(DAVE, 0), perm("nobody", 0)},
        {eph(DAVE, 0), {3, (const uint8_t *)"xyz"}}, /* not an entry ID */
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        mh_bin r2[2] = {perm("ada", 0), refused[i][1]};
        CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_PUBLIC_DELEGATES, MID(ADA), 2, r2),
                   MH_NSPI_ACCESS_DENIED);
        CHECK_STR(links(MID(ADA), 0x8015), "bob,dave");
    }
    /* another server's Ephemeral Entry ID names nothing here */
    mh_bin other = eph(BOB, 0);
    uint8_t *od = apr_pmemdup(pool, other.data, other.len);
    od[4] ^= 0xFF;
    other.data = od;
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_PUBLIC_DELEGATES, MID(ADA), 1, &other),
               MH_NSPI_ACCESS_DENIED);
    /* fDelete: present ones go, others are ignored; other flag bits too */
    mh_bin del[] = {eph(BOB, 0), perm("nobody", 0), other, eph(CAROL, 6)};
    CHECK_EQ_U(modlinkatt(MH_NSPI_FDELETE | 0xF0, PR_EMS_AB_PUBLIC_DELEGATES, MID(ADA), 4, del),
               MH_NSPI_SUCCESS);
    CHECK_STR(links(MID(ADA), 0x8015), "dave");
    /* the property's type does not matter, its id does */
    mh_bin d2 = perm("DAVE", 0);
    CHECK_EQ_U(modlinkatt(MH_NSPI_FDELETE, MH_TAG(0x8015, PT_MV_BINARY), MID(ADA), 1, &d2),
               MH_NSPI_SUCCESS);
    CHECK_STR(links(MID(ADA), 0x8015), "-");
    CHECK_EQ_U(stored_delegates(ADA, ids, 8), 0);
    /* nothing to do is no error; no EntryIds is */
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_PUBLIC_DELEGATES, MID(ADA), 0, NULL), MH_NSPI_SUCCESS);
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_PUBLIC_DELEGATES, MID(ADA), -1, NULL),
               MH_NSPI_INVALID_PARAMETER);
}

static void test_modlinkatt_refused(void)
{
    mh_bin b = eph(DAVE, 0);
    /* someone else's delegates */
    cx.user = "bob";
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_PUBLIC_DELEGATES, MID(ADA), 1, &b), MH_NSPI_ACCESS_DENIED);
    cx.user = "ada";
    CHECK_STR(links(MID(ADA), 0x8015), "-");
    /* constraint 3: a property the address book does not know */
    CHECK_EQ_U(modlinkatt(0, MH_TAG(0x1234, PT_OBJECT), MID(ADA), 1, &b), MH_NSPI_NOT_FOUND);
    /* constraint 4: no such object (NotFound before: the tag first) */
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_PUBLIC_DELEGATES, MID(99), 1, &b),
               MH_NSPI_INVALID_PARAMETER);
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_PUBLIC_DELEGATES, 0, 1, &b), MH_NSPI_INVALID_PARAMETER);
    /* constraint 5: the property does not go with the display type */
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_MEMBER, MID(ADA), 1, &b), MH_NSPI_ACCESS_DENIED);
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_PUBLIC_DELEGATES, MID(TEAM), 1, &b),
               MH_NSPI_ACCESS_DENIED);
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_PUBLIC_DELEGATES, MID(CAROL), 1, &b),
               MH_NSPI_ACCESS_DENIED);
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_MEMBER, MH_GAL_MID_USERS, 1, &b), MH_NSPI_ACCESS_DENIED);
    /* properties users do not change */
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_OWNER, MID(TEAM), 1, &b), MH_NSPI_ACCESS_DENIED);
    CHECK_EQ_U(modlinkatt(0, MH_TAG(0x3001, PT_UNICODE), MID(ADA), 1, &b), MH_NSPI_ACCESS_DENIED);
    /* a backend that cannot write its directory */
    mh_backend ro = *be->be;
    ro.capabilities &= ~(uint32_t)MH_BCAP_DIRECTORY_WRITE;
    mh_be robe = *be;
    robe.be = &ro;
    cx.be = &robe;
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_PUBLIC_DELEGATES, MID(ADA), 1, &b), MH_NSPI_ACCESS_DENIED);
    cx.be = be;
    CHECK_STR(links(MID(ADA), 0x8015), "-");
}

static void test_modlinkatt_members(void)
{
    cx.user = "ada"; /* owns Team */
    CHECK_STR(links(MID(TEAM), 0x800C), "ada");
    CHECK_STR(links_by_getmatches(MID(TEAM), PR_EMS_AB_OWNER), "Ada Lovelace");
    CHECK_STR(links(MID(TEAM), 0x8009), "bob");
    mh_bin add[] = {perm("dave", 0), eph(CAROL, 6), eph(OTHERS, MH_DT_DISTLIST)};
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_MEMBER, MID(TEAM), 3, add), MH_NSPI_SUCCESS);
    CHECK_STR(links_by_getmatches(MID(TEAM), PR_EMS_AB_MEMBER),
              "Bob Marley,Carol External,Dave Brubeck,Others");
    CHECK_STR(links_by_getmatches(MID(DAVE), PR_EMS_AB_IS_MEMBER_OF_DL), "Team");
    mh_bin del[] = {eph(BOB, 0), eph(OTHERS, 1)};
    CHECK_EQ_U(modlinkatt(MH_NSPI_FDELETE, PR_EMS_AB_MEMBER, MID(TEAM), 2, del), MH_NSPI_SUCCESS);
    CHECK_STR(links(MID(TEAM), 0x8009), "carol,dave");
    /* not its own member; a refused value keeps the others out too */
    mh_bin self[] = {eph(BOB, 0), eph(TEAM, 1)};
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_MEMBER, MID(TEAM), 2, self), MH_NSPI_ACCESS_DENIED);
    CHECK_STR(links(MID(TEAM), 0x8009), "carol,dave");
    /* a list ada does not own; its owner may */
    mh_bin a = eph(ADA, 0);
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_MEMBER, MID(OTHERS), 1, &a), MH_NSPI_ACCESS_DENIED);
    cx.user = "dave";
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_MEMBER, MID(TEAM), 1, &a), MH_NSPI_ACCESS_DENIED);
    cx.user = "nobody"; /* not in the directory at all */
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_MEMBER, MID(TEAM), 1, &a), MH_NSPI_ACCESS_DENIED);
    cx.user = "bob";
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_MEMBER, MID(OTHERS), 1, &a), MH_NSPI_SUCCESS);
    CHECK_STR(links(MID(OTHERS), 0x8009), "ada");
    cx.user = "ada";
    CHECK_STR(links(MID(TEAM), 0x8009), "carol,dave");
}

/* ======================================================== ModProps */

static uint32_t modprops(uint32_t mid, int n_tags, const mh_proptag *tags, int n_values,
                         const mh_propval *values)
{
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.modprops.has_state = 1;
    q.modprops.state = stat_of(mid);
    q.modprops.has_tags = n_tags >= 0;
    q.modprops.tags.n = n_tags > 0 ? (uint32_t)n_tags : 0;
    q.modprops.tags.tags = (mh_proptag *)tags;
    q.modprops.has_values = n_values >= 0;
    q.modprops.values.n = n_values > 0 ? (uint32_t)n_values : 0;
    q.modprops.values.v = (mh_propval *)values;
    mh_nspi_resp *r = call(MH_RT_MODPROPS, &q);
    return r ? r->modprops.error_code : 0xFFFFFFFFu;
}

static mh_propval certs(mh_proptag tag, uint32_t n, const mh_bin *b)
{
    mh_propval v;
    memset(&v, 0, sizeof(v));
    v.tag = tag;
    v.v.mv.n = n;
    v.v.mv.v = b;
    return v;
}

/* The certificates GetProps gives back, as "len:first byte" joined. */
static const char *certs_of(uint32_t mid, mh_proptag tag)
{
    mh_nspi_getprops_resp *p = getprops(mid, tag);
    if (!p || p->values.n != 1)
        return "(no answer)";
    const mh_propval *v = &p->values.v[0];
    if (v->tag != tag)
        return MH_TAG_TYPE(v->tag) == PT_ERROR && v->v.err == MAPI_E_NOT_FOUND ? "-" : "(error)";
    const char *s = "";
    const mh_bin *b = v->v.mv.v;
    for (uint32_t i = 0; i < v->v.mv.n; i++)
        s = apr_psprintf(pool, "%s%s%u:%02x", s, i ? "," : "", b[i].len, b[i].data[0]);
    return s;
}

static void test_modprops(void)
{
    cx.user = "ada";
    uint8_t *c1 = apr_pcalloc(pool, 1200), *c2 = apr_pcalloc(pool, 900);
    c1[0] = 0x30;
    c2[0] = 0x31;
    mh_bin two[] = {{1200, c1}, {900, c2}};
    mh_propval v[] = {certs(PR_EMS_AB_X509_CERT, 2, two), certs(PR_USER_X509_CERTIFICATE, 1, two)};
    CHECK_EQ_U(modprops(MID(ADA), 0, NULL, 2, v), MH_NSPI_SUCCESS);
    CHECK_STR(certs_of(MID(ADA), PR_EMS_AB_X509_CERT), "1200:30,900:31");
    CHECK_STR(certs_of(MID(ADA), PR_USER_X509_CERTIFICATE), "1200:30");
    CHECK_STR(certs_of(MID(BOB), PR_EMS_AB_X509_CERT), "-");
    /* the other properties stay */
    uint32_t ids[2];
    CHECK_EQ_U(stored_delegates(ADA, ids, 2), 0);
    /* GetPropList names them */
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.getproplist.mid = MID(ADA);
    q.getproplist.code_page = 1252;
    mh_nspi_resp *r = call(MH_RT_GETPROPLIST, &q);
    REQUIRE(r && r->getproplist.error_code == 0);
    int found = 0;
    for (uint32_t i = 0; i < r->getproplist.tags.n; i++)
        found += r->getproplist.tags.tags[i] == PR_EMS_AB_X509_CERT;
    CHECK_EQ_U(found, 1);
    /* replaced by the row's values; removed by pPropTags */
    mh_propval one = certs(PR_EMS_AB_X509_CERT, 1, two + 1);
    CHECK_EQ_U(modprops(MID(ADA), 0, NULL, 1, &one), MH_NSPI_SUCCESS);
    CHECK_STR(certs_of(MID(ADA), PR_EMS_AB_X509_CERT), "900:31");
    static const mh_proptag user_cert = PR_USER_X509_CERTIFICATE;
    CHECK_EQ_U(modprops(MID(ADA), 1, &user_cert, -1, NULL), MH_NSPI_SUCCESS);
    CHECK_STR(certs_of(MID(ADA), PR_USER_X509_CERTIFICATE), "-");
    CHECK_STR(certs_of(MID(ADA), PR_EMS_AB_X509_CERT), "900:31");
    /* refused, each leaving the certificate as it is */
    mh_propval name = mh_pv_str(MH_TAG(0x3001, PT_UNICODE), "Countess");
    mh_bin empty = {0, (const uint8_t *)""};
    uint8_t *huge = apr_pcalloc(pool, MH_NSPI_CERT_BYTES_MAX + 1);
    mh_bin big = {MH_NSPI_CERT_BYTES_MAX + 1, huge};
    mh_bin many[MH_NSPI_CERTS_MAX + 1];
    for (uint32_t i = 0; i <= MH_NSPI_CERTS_MAX; i++)
        many[i] = two[0];
    mh_propval single = mh_pv_bin(MH_TAG(0x8C6A, PT_BINARY), c1, 10);
    struct {
        mh_propval v;
        uint32_t want;
    } bad[] = {
        {name, MH_NSPI_ACCESS_DENIED},
        {single, MH_NSPI_ACCESS_DENIED},
        {certs(PR_EMS_AB_X509_CERT, 1, &empty), MH_NSPI_ACCESS_DENIED},
        {certs(PR_EMS_AB_X509_CERT, 1, &big), MH_NSPI_ACCESS_DENIED},
        {certs(PR_EMS_AB_X509_CERT, MH_NSPI_CERTS_MAX + 1, many), MH_NSPI_ACCESS_DENIED},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mh_propval row[] = {certs(PR_USER_X509_CERTIFICATE, 1, two), bad[i].v};
        CHECK_EQ_U(modprops(MID(ADA), 0, NULL, 2, row), bad[i].want);
        CHECK_STR(certs_of(MID(ADA), PR_USER_X509_CERTIFICATE), "-");
    }
    mh_propval twice[] = {one, one};
    CHECK_EQ_U(modprops(MID(ADA), 0, NULL, 2, twice), MH_NSPI_ACCESS_DENIED);
    static const mh_proptag title = MH_TAG(0x3A17, PT_UNICODE);
    CHECK_EQ_U(modprops(MID(ADA), 1, &title, 1, &one), MH_NSPI_ACCESS_DENIED);
    /* whose entry, what kind of object (constraints 6-7), what was sent (5) */
    CHECK_EQ_U(modprops(MID(BOB), 0, NULL, 1, &one), MH_NSPI_ACCESS_DENIED);
    CHECK_EQ_U(modprops(MID(TEAM), 0, NULL, 1, &one), MH_NSPI_INVALID_OBJECT);
    CHECK_EQ_U(modprops(MID(CAROL), 0, NULL, 1, &one), MH_NSPI_INVALID_OBJECT);
    CHECK_EQ_U(modprops(MH_GAL_MID_USERS, 0, NULL, 1, &one), MH_NSPI_INVALID_OBJECT);
    CHECK_EQ_U(modprops(MID(99), 0, NULL, 1, &one), MH_NSPI_INVALID_PARAMETER);
    CHECK_EQ_U(modprops(MID(ADA), -1, NULL, 1, &one), MH_NSPI_INVALID_PARAMETER);
    memset(&q, 0, sizeof(q));
    q.modprops.has_tags = 1;
    r = call(MH_RT_MODPROPS, &q); /* no STAT */
    CHECK(r && r->modprops.error_code == MH_NSPI_INVALID_PARAMETER);
    q.modprops.has_state = 1;
    q.modprops.state = stat_of(MID(ADA));
    q.modprops.state.code_page = MH_NSPI_CP_WINUNICODE;
    r = call(MH_RT_MODPROPS, &q);
    CHECK(r && r->modprops.error_code == MH_NSPI_INVALID_CODEPAGE);
    cx.user = "bob";
    CHECK_EQ_U(modprops(MID(ADA), 1, &user_cert, -1, NULL), MH_NSPI_ACCESS_DENIED);
    cx.user = "ada";
    /* a backend that cannot write its directory */
    mh_backend ro = *be->be;
    ro.capabilities &= ~(uint32_t)MH_BCAP_DIRECTORY_WRITE;
    mh_be robe = *be;
    robe.be = &ro;
    cx.be = &robe;
    CHECK_EQ_U(modprops(MID(ADA), 0, NULL, 1, &v[0]), MH_NSPI_ACCESS_DENIED);
    cx.be = be;
    CHECK_STR(certs_of(MID(ADA), PR_EMS_AB_X509_CERT), "900:31");
}

/* A delegate deleted from the directory: no longer shown, and dropped
 * from the stored list with the user's next change. */
static void test_deleted_delegate(void)
{
    cx.user = "ada";
    mh_betxn *t;
    mh_error err = {MH_OK, NULL};
    REQUIRE(mh_be_begin(be, NULL, MH_TXN_WRITE, pool, &t, &err) == MH_OK);
    uint32_t erin = put_entry(t, MH_DIR_USER, "erin", "Erin Hunter", "erin@example.com", 7, 0);
    REQUIRE(erin == N_ENTRIES && mh_be_commit(t, &err) == MH_OK);
    mh_bin e = eph((int)erin, 0);
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_PUBLIC_DELEGATES, MID(ADA), 1, &e), MH_NSPI_SUCCESS);
    CHECK_STR(links(MID(ADA), 0x8015), "erin");
    REQUIRE(mh_be_begin(be, NULL, MH_TXN_WRITE, pool, &t, &err) == MH_OK);
    REQUIRE(mh_be_dir_delete(t, erin, &err) == MH_OK && mh_be_commit(t, &err) == MH_OK);
    CHECK_STR(links(MID(ADA), 0x8015), "-");
    CHECK_STR(links_by_getmatches(MID(ADA), PR_EMS_AB_PUBLIC_DELEGATES), "");
    uint32_t ids[4];
    CHECK_EQ_U(stored_delegates(ADA, ids, 4), 1);
    mh_bin b = eph(BOB, 0);
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_PUBLIC_DELEGATES, MID(ADA), 1, &b), MH_NSPI_SUCCESS);
    CHECK_EQ_U(stored_delegates(ADA, ids, 4), 1);
    CHECK_EQ_U(ids[0], BOB);
    CHECK_EQ_U(modlinkatt(MH_NSPI_FDELETE, PR_EMS_AB_PUBLIC_DELEGATES, MID(ADA), 1, &b),
               MH_NSPI_SUCCESS);
    CHECK_EQ_U(stored_delegates(ADA, ids, 4), 0);
}

/* Without a backend: nothing to change, and no crash. */
static void test_mod_no_backend(void)
{
    mh_nspi_ctx saved = cx;
    cx.be = NULL;
    mh_bin b = eph(BOB, 0);
    CHECK_EQ_U(modlinkatt(0, PR_EMS_AB_PUBLIC_DELEGATES, MID(ADA), 1, &b),
               MH_NSPI_INVALID_PARAMETER);
    mh_propval one = certs(PR_EMS_AB_X509_CERT, 1, &b);
    CHECK_EQ_U(modprops(MID(ADA), 0, NULL, 1, &one), MH_NSPI_INVALID_PARAMETER);
    cx = saved;
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&pool, NULL);
    if (fixture() != 0) {
        printf("not ok 1 - fixture\n1..1\n");
        return 1;
    }
    RUN(test_template_user);
    RUN(test_template_list_and_contact);
    RUN(test_template_languages);
    RUN(test_template_errors_and_flags);
    RUN(test_template_by_dn);
    RUN(test_decoder_refuses);
    RUN(test_modlinkatt_delegates);
    RUN(test_modlinkatt_refused);
    RUN(test_modlinkatt_members);
    RUN(test_modprops);
    RUN(test_deleted_delegate);
    RUN(test_mod_no_backend);
    apr_pool_destroy(pool);
    if (!mh_t_failures) {
        char cmd[96];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            printf("# could not remove %s\n", dir);
    }
    return MH_TEST_DONE();
}
