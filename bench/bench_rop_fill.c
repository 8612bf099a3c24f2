/*
 * bench_rop_fill.c - bench-rop's Inbox: N messages saved through the
 * backend directly (500 to a transaction), looking like a mailbox's, every
 * value following from the message's number k (bench_rop.h).
 */
#include "bench_rop.h"
#include "mh_backend.h"
#include "mh_props.h"
#include "mh_tool.h"

#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <apr_strings.h>
#include "bench_util.h"

#define PR_ICON_INDEX MH_TAG(0x1080, PT_LONG)
#define PR_SENT_REPRESENTING_EMAIL MH_TAG(0x0065, PT_UNICODE)
#define PR_SENT_REPRESENTING_ADDRTYPE MH_TAG(0x0064, PT_UNICODE)
#define PR_SENDER_ADDRTYPE MH_TAG(0x0C1E, PT_UNICODE)
#define PR_CONVERSATION_TOPIC MH_TAG(0x0070, PT_UNICODE)
#define PR_CONVERSATION_INDEX MH_TAG(0x0071, PT_BINARY)
#define PR_INTERNET_MESSAGE_ID MH_TAG(0x1035, PT_UNICODE)
#define PR_DISPLAY_TO MH_TAG(0x0E04, PT_UNICODE)
#define PR_DISPLAY_CC MH_TAG(0x0E03, PT_UNICODE)
#define PR_DISPLAY_BCC MH_TAG(0x0E02, PT_UNICODE)
#define PR_RECIPIENT_TYPE MH_TAG(0x0C15, PT_LONG)
#define PR_EMAIL_ADDRESS MH_TAG(0x3003, PT_UNICODE)
#define PR_ADDRTYPE MH_TAG(0x3002, PT_UNICODE)
#define PR_ATTACH_LONG_FILENAME MH_TAG(0x3707, PT_UNICODE)
#define PR_ATTACH_MIME_TAG MH_TAG(0x370E, PT_UNICODE)
#define PR_INTERNET_CPID MH_TAG(0x3FDE, PT_LONG)

uint64_t bench_perm_mul(uint64_t n)
{
    uint64_t a = 7919;
    for (;;) {
        uint64_t x = a, y = n;
        while (y) {
            uint64_t r = x % y;
            x = y;
            y = r;
        }
        if (x == 1)
            return a;
        a++;
    }
}

static uint64_t received(uint64_t n, uint64_t mul, uint32_t k)
{
    return BENCH_T_BASE + ((k * mul + 13) % n) * BENCH_T_STEP;
}

static const char *const topics[] = {
    "Quarterly report draft", "Budget review", "Team offsite planning", "Release notes",
    "Customer escalation", "Invoice", "Weekly status", "Design review notes",
    "Travel arrangements", "Security advisory", "Lunch on Friday?", "Contract renewal",
    "Interview feedback", "Build failures on main", "Board meeting minutes", "Welcome aboard"};
static const char *const first[] = {"Ada", "Bob", "Carla", "Dmitri", "Elena", "Farid", "Grace",
                                    "Hiro", "Ines", "Jonas"};
static const char *const last[] = {"Lovelace", "Babbage", "Moreau", "Ivanov", "Rossi",
                                   "Haddad", "Hopper", "Tanaka", "Silva", "Berg",
                                   "Nakamura", "O'Neill", "Schmidt", "Kowalski", "Dubois",
                                   "Andersen", "Costa", "Novak", "Okafor", "Lindqvist"};

void bench_expect_of(apr_pool_t *p, uint32_t k, bench_expect *e)
{
    unsigned s = (k * 2654435761u) >> 7; /* a cheap spread of k */
    e->subject = apr_psprintf(p, "%s%s #%u", (s % 3 == 0) ? "RE: " : "",
                              topics[(s >> 3) % 16], k);
    e->sender = apr_psprintf(p, "%s %s", first[k % 10], last[(k / 10) % 20]);
    unsigned c = (s >> 7) % 100;
    e->message_class = c < 85 ? "IPM.Note"
                       : c < 92 ? "IPM.Schedule.Meeting.Request"
                       : c < 97 ? "IPM.Note.SMIME.MultipartSigned"
                                : "REPORT.IPM.Note.NDR";
    unsigned imp = (s >> 14) % 20;
    e->importance = imp == 0 ? 0 : imp == 1 ? 2 : 1;
    e->read = (s >> 19) % 5 != 0;
    e->attach = k % 12 == 5;
    unsigned fl = (s >> 22) % 40;
    e->flag_status = fl == 0 ? 2 : fl == 1 ? 1 : 0; /* flagged, complete, none */
}

static char *filled(apr_pool_t *p, size_t n, unsigned seed)
{
    static const char words[] = "the report is attached please see below for the numbers "
                                "we discussed and let me know what you think thanks regards ";
    char *s = apr_palloc(p, n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = words[(seed * 31 + i) % (sizeof(words) - 1)];
    s[n] = 0;
    return s;
}

static mh_message *message(apr_pool_t *p, uint64_t n_msgs, uint64_t mul, uint32_t k)
{
    bench_expect e;
    bench_expect_of(p, k, &e);
    mh_message *m = apr_pcalloc(p, sizeof(*m));
    mh_propval *v = apr_pcalloc(p, 32 * sizeof(*v));
    int n = 0;
    uint64_t t = received(n_msgs, mul, k);
    const char *email = apr_psprintf(p, "%s.%s@example.com", first[k % 10], last[(k / 10) % 20]);
    for (char *c = (char *)email; *c; c++)
        *c = *c == '\'' ? '-' : (char)tolower((unsigned char)*c);
    const char *norm = strncmp(e.subject, "RE: ", 4) == 0 ? e.subject + 4 : e.subject;
    uint8_t conv[22];
    memset(conv, (int)(k & 0xff), sizeof(conv));
    v[n++] = mh_pv_str(PR_MESSAGE_CLASS, e.message_class);
    v[n++] = mh_pv_str(PR_SUBJECT, e.subject);
    if (norm != e.subject)
        v[n++] = mh_pv_str(PR_SUBJECT_PREFIX, "RE: ");
    v[n++] = mh_pv_str(PR_NORMALIZED_SUBJECT, norm);
    v[n++] = mh_pv_str(PR_CONVERSATION_TOPIC, norm);
    v[n++] = mh_pv_bin(PR_CONVERSATION_INDEX, conv, sizeof(conv));
    v[n++] = mh_pv_str(PR_BODY, filled(p, 500 + (k * 7919u) % 7700, k));
    v[n++] = mh_pv_str(PR_SENDER_NAME, e.sender);
    v[n++] = mh_pv_str(PR_SENDER_EMAIL_ADDRESS, email);
    v[n++] = mh_pv_str(PR_SENDER_ADDRTYPE, "SMTP");
    v[n++] = mh_pv_str(PR_SENT_REPRESENTING_NAME, e.sender);
    v[n++] = mh_pv_str(PR_SENT_REPRESENTING_EMAIL, email);
    v[n++] = mh_pv_str(PR_SENT_REPRESENTING_ADDRTYPE, "SMTP");
    v[n++] = mh_pv_time(PR_MESSAGE_DELIVERY_TIME, t);
    v[n++] = mh_pv_time(PR_CLIENT_SUBMIT_TIME, t - 300000000ull * (1 + k % 10));
    v[n++] = mh_pv_time(PR_CREATION_TIME, t);
    v[n++] = mh_pv_time(PR_LAST_MODIFICATION_TIME, t);
    v[n++] = mh_pv_long(PR_IMPORTANCE, e.importance);
    v[n++] = mh_pv_long(PR_MESSAGE_FLAGS,
                        (e.read ? MSGFLAG_READ : 0) | (e.attach ? MSGFLAG_HASATTACH : 0));
    if (e.flag_status)
        v[n++] = mh_pv_long(PR_FLAG_STATUS, e.flag_status);
    v[n++] = mh_pv_bool(PR_HASATTACH, e.attach);
    v[n++] = mh_pv_long(PR_INTERNET_CPID, 65001);
    v[n++] = mh_pv_str(PR_INTERNET_MESSAGE_ID, apr_psprintf(p, "<%u.%u@example.com>", k, k * 7));
    v[n++] = mh_pv_long(PR_ICON_INDEX, e.read ? 0x100 : 0x101);
    v[n++] = mh_pv_str(PR_DISPLAY_TO, "Bench User");
    v[n++] = mh_pv_str(PR_DISPLAY_CC, (k % 4) ? "" : "Grace Hopper");
    v[n++] = mh_pv_str(PR_DISPLAY_BCC, "");
    m->props.n = (uint32_t)n;
    m->props.v = v;
    m->n_recipients = (k % 4) ? 1 : 2;
    m->recipients = apr_pcalloc(p, 2 * sizeof(mh_proplist));
    for (uint32_t r = 0; r < m->n_recipients; r++) {
        mh_propval *rv = apr_pcalloc(p, 5 * sizeof(*rv));
        rv[0] = mh_pv_long(PR_ROWID, (int32_t)r);
        rv[1] = mh_pv_str(PR_DISPLAY_NAME, r ? "Grace Hopper" : "Bench User");
        rv[2] = mh_pv_str(PR_EMAIL_ADDRESS, r ? "grace.hopper@example.com" : "bench@example.com");
        rv[3] = mh_pv_str(PR_ADDRTYPE, "SMTP");
        rv[4] = mh_pv_long(PR_RECIPIENT_TYPE, r ? 2 : 1);
        m->recipients[r].n = 5;
        m->recipients[r].v = rv;
    }
    if (e.attach) {
        uint32_t size = 10240 + (k * 104729u) % 71680;
        m->n_attachments = 1;
        m->attachments = apr_pcalloc(p, sizeof(mh_attachment));
        mh_propval *av = apr_pcalloc(p, 5 * sizeof(*av));
        av[0] = mh_pv_long(PR_ATTACH_METHOD, ATTACH_BY_VALUE);
        av[1] = mh_pv_str(PR_ATTACH_LONG_FILENAME, "figures.pdf");
        av[2] = mh_pv_str(PR_ATTACH_MIME_TAG, "application/pdf");
        av[3] = mh_pv_long(PR_ATTACH_SIZE, (int32_t)size);
        av[4] = mh_pv_bin(PR_ATTACH_DATA_BIN, filled(p, size, k + 1), size);
        m->attachments[0].props.n = 5;
        m->attachments[0].props.v = av;
    }
    return m;
}

int bench_rop_fill(const char *spec, const char *login, uint32_t n, const char *owner)
{
    apr_pool_t *root;
    apr_pool_create(&root, NULL);
    long uid = -1, gid = -1;
    if (geteuid() == 0 && owner) {
        struct passwd *pw = getpwnam(owner);
        if (!pw) {
            fprintf(stderr, "bench-rop: no user %s\n", owner);
            return 1;
        }
        uid = (long)pw->pw_uid;
        gid = (long)pw->pw_gid;
    }
    mh_be *b;
    const char *why;
    if (mh_tool_backend(root, spec, NULL, 0, uid, gid, &b, &why) != 0) {
        fprintf(stderr, "bench-rop: %s\n", why);
        return 1;
    }
    return bench_rop_fill_be(b, login, n, 1);
}

int bench_rop_fill_be(mh_be *b, const char *login, uint32_t n, int print_dn)
{
    apr_pool_t *root;
    apr_pool_create(&root, NULL);
    mh_betxn *t;
    mh_error e = {MH_OK, NULL};
    mh_dir_entry u;
    mh_mailbox_info mi;
    if (mh_be_begin(b, NULL, MH_TXN_READ, root, &t, &e) != MH_OK ||
        mh_be_dir_find(t, MH_DIR_BY_LOGIN, login, &u, &e) != MH_OK) {
        fprintf(stderr, "bench-rop: user %s: %s\n", login, e.detail ? e.detail : "not found");
        return 1;
    }
    mh_be_abort(t);
    if (!u.has_mailbox || mh_be_begin(b, &u.mailbox, MH_TXN_READ, root, &t, &e) != MH_OK ||
        mh_be_mailbox_info(t, &mi, &e) != MH_OK) {
        fprintf(stderr, "bench-rop: the mailbox of %s: %s\n", login,
                e.detail ? e.detail : "none");
        return 1;
    }
    mh_be_abort(t);
    uint64_t mul = bench_perm_mul(n);
    double t0 = now_us();
    for (uint32_t done = 0; done < n;) {
        apr_pool_t *p;
        apr_pool_create(&p, root);
        if (mh_be_begin(b, &u.mailbox, MH_TXN_WRITE, p, &t, &e) != MH_OK)
            goto fail;
        for (uint32_t i = 0; i < 500 && done < n; i++, done++) {
            mh_id id, cn;
            if (mh_be_message_save(t, mi.special[MH_SF_INBOX], 0, 0, message(p, n, mul, done),
                                   NULL, &id, &cn, &e) != MH_OK)
                goto fail;
        }
        if (mh_be_commit(t, &e) != MH_OK)
            goto fail;
        apr_pool_destroy(p);
    }
    fprintf(stderr, "bench-rop: %u messages in %s's Inbox in %.1f s\n", n, login,
            (now_us() - t0) / 1e6);
    if (print_dn)
        printf("%s\n", u.legacy_dn);
    apr_pool_destroy(root);
    return 0;
fail:
    fprintf(stderr, "bench-rop: filling the Inbox: %s\n", e.detail ? e.detail : mh_err_name(e.code));
    return 1;
}

