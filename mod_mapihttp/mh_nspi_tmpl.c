/*
 * mh_nspi_tmpl.c - display templates (see mh_nspi_tmpl.h; MS-OXOABKT
 * 2.2.2.1, MS-OXNSPI 3.1.4.1.18).  The dialogs are tables of controls below;
 * their texts are looked up in the language asked for and written in the
 * code page asked for.
 */
#include "mh_nspi_tmpl.h"
#include "mh_nspi_gal.h"
#include "mh_nspi_wire.h"
#include "mh_oxcdata.h"
#include "mh_wire.h"

#include <string.h>

/* ------------------------------------------------------------- texts */

enum text {
    T_STAR, /* "*": list boxes, and edit controls taking any character */
    T_PAGE_GENERAL,
    T_PAGE_MEMBER_OF,
    T_PAGE_DELEGATES,
    T_PAGE_ADDRESSES,
    T_FIRST,
    T_LAST,
    T_DISPLAY,
    T_ALIAS,
    T_TITLE,
    T_COMPANY,
    T_DEPARTMENT,
    T_OFFICE,
    T_PHONE,
    T_MOBILE,
    T_EMAIL,
    T_MEMBER_OF,
    T_DELEGATES,
    T_ADDRESSES,
    T_OWNER,
    T_MEMBERS,
    T_MODIFY_MEMBERS,
    N_TEXT
};

enum lang { LANG_EN, LANG_DE, LANG_FR, N_LANG };

/* UTF-8; '&' marks the shortcut key of the control that follows a label */
static const char *const texts[N_LANG][N_TEXT] = {
    [LANG_EN] = {
        [T_STAR] = "*",
        [T_PAGE_GENERAL] = "General",
        [T_PAGE_MEMBER_OF] = "Member Of",
        [T_PAGE_DELEGATES] = "Delegates",
        [T_PAGE_ADDRESSES] = "E-mail Addresses",
        [T_FIRST] = "&First:",
        [T_LAST] = "&Last:",
        [T_DISPLAY] = "Displa&y:",
        [T_ALIAS] = "Alia&s:",
        [T_TITLE] = "&Title:",
        [T_COMPANY] = "C&ompany:",
        [T_DEPARTMENT] = "&Department:",
        [T_OFFICE] = "Offi&ce:",
        [T_PHONE] = "&Phone:",
        [T_MOBILE] = "&Mobile:",
        [T_EMAIL] = "&E-mail:",
        [T_MEMBER_OF] = "&Member of:",
        [T_DELEGATES] = "&Delegates (may send on behalf):",
        [T_ADDRESSES] = "E-mail &addresses:",
        [T_OWNER] = "&Owner:",
        [T_MEMBERS] = "Mem&bers:",
        [T_MODIFY_MEMBERS] = "Modify mem&bers...",
    },
    [LANG_DE] = {
        [T_STAR] = "*",
        [T_PAGE_GENERAL] = "Allgemein",
        [T_PAGE_MEMBER_OF] = "Mitglied von",
        [T_PAGE_DELEGATES] = "Stellvertretungen",
        [T_PAGE_ADDRESSES] = "E-Mail-Adressen",
        [T_FIRST] = "&Vorname:",
        [T_LAST] = "&Nachname:",
        [T_DISPLAY] = "&Anzeigename:",
        [T_ALIAS] = "A&lias:",
        [T_TITLE] = "&Position:",
        [T_COMPANY] = "&Firma:",
        [T_DEPARTMENT] = "Abt&eilung:",
        [T_OFFICE] = "&B\xc3\xbcro:",
        [T_PHONE] = "&Telefon:",
        [T_MOBILE] = "&Mobiltelefon:",
        [T_EMAIL] = "&E-Mail:",
        [T_MEMBER_OF] = "&Mitglied von:",
        [T_DELEGATES] = "&Stellvertretungen (d\xc3\xbcrfen im Auftrag senden):",
        [T_ADDRESSES] = "E-Mail-&Adressen:",
        [T_OWNER] = "&Besitzer:",
        [T_MEMBERS] = "Mit&glieder:",
        [T_MODIFY_MEMBERS] = "Mitglieder \xc3\xa4&ndern...",
    },
    [LANG_FR] = {
        [T_STAR] = "*",
        [T_PAGE_GENERAL] = "G\xc3\xa9n\xc3\xa9ral",
        [T_PAGE_MEMBER_OF] = "Membre de",
        [T_PAGE_DELEGATES] = "D\xc3\xa9l\xc3\xa9gu\xc3\xa9s",
        [T_PAGE_ADDRESSES] = "Adresses de messagerie",
        [T_FIRST] = "&Pr\xc3\xa9nom :",
        [T_LAST] = "&Nom :",
        [T_DISPLAY] = "Nom d'&affichage :",
        [T_ALIAS] = "A&lias :",
        [T_TITLE] = "&Titre :",
        [T_COMPANY] = "&Soci\xc3\xa9t\xc3\xa9 :",
        [T_DEPARTMENT] = "Ser&vice :",
        [T_OFFICE] = "&Bureau :",
        [T_PHONE] = "T\xc3\xa9l\xc3\xa9&phone :",
        [T_MOBILE] = "&Mobile :",
        [T_EMAIL] = "Adresse de &messagerie :",
        [T_MEMBER_OF] = "&Membre de :",
        [T_DELEGATES] = "&D\xc3\xa9l\xc3\xa9gu\xc3\xa9s (envoi de la part de) :",
        [T_ADDRESSES] = "&Adresses de messagerie :",
        [T_OWNER] = "&Propri\xc3\xa9taire :",
        [T_MEMBERS] = "Mem&bres :",
        [T_MODIFY_MEMBERS] = "Modifier les mem&bres...",
    },
};

/* --------------------------------------------------------- controls */

typedef struct tctl {
    uint16_t x, dx, y, dy;
    uint8_t type;        /* MH_DTCT_* */
    uint8_t flags;       /* MH_DT_* */
    uint8_t text;        /* enum text */
    uint16_t size;       /* edit controls: characters */
    mh_proptag prop;     /* CNTRL.dwType */
} tctl;

/* The display area; a page row carries its size. */
#define AREA_W 400
#define AREA_H 280
/* Two columns of label + edit pairs, a row every 24 pixels. */
#define COL1 8
#define COL2 204
#define LABEL_W 62
#define EDIT_W 124
#define WIDE_W (AREA_W - 2 * COL1 - LABEL_W - 4)
#define ROW(n) (10 + 24 * (n))

#define PAGE(t) {0, AREA_W, 0, AREA_H, MH_DTCT_PAGE, 0, (t), 0, 0}
#define LABEL(x, y, w, t) {(x), (w), (uint16_t)((y) + 2), 10, MH_DTCT_LABEL, 0, (t), 0, 0}
#define EDIT(x, y, w, prop, size)                                                      \
    {(x), (w), (y), 12, MH_DTCT_EDIT, 0, T_STAR, (size), MH_TAG_RETYPE((prop), PT_STRING8)}
/* a label and its edit control in column 1 or 2 of row n */
#define FIELD(col, n, t, prop, size)                                                   \
    LABEL((col), ROW(n), LABEL_W, (t)),                                                \
        EDIT((uint16_t)((col) + LABEL_W + 2), ROW(n), EDIT_W, (prop), (size))
#define WIDE_FIELD(n, t, prop, size)                                                   \
    LABEL(COL1, ROW(n), LABEL_W, (t)),                                                 \
        EDIT(COL1 + LABEL_W + 2, ROW(n), WIDE_W, (prop), (size))
/* a page with a caption and one list over the rest of it */
#define LIST_PAGE(page, caption, type, prop)                                           \
    PAGE(page), LABEL(COL1, ROW(0), AREA_W - 2 * COL1, (caption)),                     \
        {COL1, AREA_W - 2 * COL1, ROW(1), AREA_H - ROW(1) - 10, (type), 0, T_STAR, 0, (prop)}

/* The General page of users and contacts (sizes: Active Directory's
 * limits for these attributes). */
#define PERSON_GENERAL                                                                 \
    PAGE(T_PAGE_GENERAL),                                                              \
    FIELD(COL1, 0, T_FIRST, PR_GIVEN_NAME, 64),                                        \
    FIELD(COL2, 0, T_LAST, PR_SURNAME, 64),                                            \
    FIELD(COL1, 1, T_DISPLAY, PR_DISPLAY_NAME, 256),                                   \
    FIELD(COL2, 1, T_ALIAS, PR_ACCOUNT, 64),                                           \
    FIELD(COL1, 2, T_TITLE, PR_TITLE, 128),                                            \
    FIELD(COL2, 2, T_COMPANY, PR_COMPANY_NAME, 64),                                    \
    FIELD(COL1, 3, T_DEPARTMENT, PR_DEPARTMENT_NAME, 64),                              \
    FIELD(COL2, 3, T_OFFICE, PR_OFFICE_LOCATION, 128),                                 \
    FIELD(COL1, 4, T_PHONE, PR_BUSINESS_TELEPHONE_NUMBER, 64),                         \
    FIELD(COL2, 4, T_MOBILE, PR_MOBILE_TELEPHONE_NUMBER, 64),                          \
    WIDE_FIELD(5, T_EMAIL, PR_SMTP_ADDRESS, 256)

#define MEMBER_OF_PAGE                                                                 \
    LIST_PAGE(T_PAGE_MEMBER_OF, T_MEMBER_OF, MH_DTCT_LBX, PR_EMS_AB_IS_MEMBER_OF_DL)
#define ADDRESSES_PAGE                                                                 \
    LIST_PAGE(T_PAGE_ADDRESSES, T_ADDRESSES, MH_DTCT_MVLISTBOX,                        \
              MH_TAG_RETYPE(PR_EMS_AB_PROXY_ADDRESSES, PT_MV_STRING8))

static const tctl user_template[] = {
    PERSON_GENERAL,
    MEMBER_OF_PAGE,
    LIST_PAGE(T_PAGE_DELEGATES, T_DELEGATES, MH_DTCT_LBX, PR_EMS_AB_PUBLIC_DELEGATES),
    ADDRESSES_PAGE,
};

static const tctl list_template[] = {
    PAGE(T_PAGE_GENERAL),
    FIELD(COL1, 0, T_DISPLAY, PR_DISPLAY_NAME, 256),
    FIELD(COL2, 0, T_ALIAS, PR_ACCOUNT, 64),
    WIDE_FIELD(1, T_EMAIL, PR_SMTP_ADDRESS, 256),
    LABEL(COL1, ROW(2), LABEL_W, T_OWNER),
    {COL1 + LABEL_W + 2, WIDE_W, ROW(2), 20, MH_DTCT_LBX, 0, T_STAR, 0, PR_EMS_AB_OWNER},
    LABEL(COL1, ROW(3) + 4, LABEL_W, T_MEMBERS),
    {COL1 + LABEL_W + 2, WIDE_W, ROW(3) + 4, 150, MH_DTCT_LBX, 0, T_STAR, 0, PR_EMS_AB_MEMBER},
    {COL1 + LABEL_W + 2, 120, ROW(3) + 162, 14, MH_DTCT_BUTTON, 0, T_MODIFY_MEMBERS, 0,
     PR_EMS_AB_MANAGE_DL},
    MEMBER_OF_PAGE,
    ADDRESSES_PAGE,
};

static const tctl contact_template[] = {
    PERSON_GENERAL,
    MEMBER_OF_PAGE,
    ADDRESSES_PAGE,
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ build */

static enum lang lang_of(uint32_t lcid)
{
    switch (lcid & 0x3FF) { /* the primary language (MS-LCID 2.1) */
    case 0x07:
        return LANG_DE;
    case 0x0C:
        return LANG_FR;
    default:
        return LANG_EN;
    }
}

/* Whether every text of a language survives the trip into code page cp. */
static int lang_fits(enum lang l, uint32_t cp, apr_pool_t *pool)
{
    for (int t = 0; t < N_TEXT; t++) {
        size_t len;
        const char *s = mh_cp_from_utf8(cp, texts[l][t], pool, &len);
        if (strcmp(mh_cp_to_utf8(cp, s, len, pool), texts[l][t]) != 0)
            return 0;
    }
    return 1;
}

uint32_t mh_nspi_template(uint32_t display_type, uint32_t lcid, uint32_t cp, apr_pool_t *pool,
                          mh_bin *out)
{
    /* MS-LCID 2.2: bits 20-31 reserved; a language ID of 0 is no locale */
    if ((lcid & 0xFFF00000u) || (lcid & 0xFFFFu) == 0)
        return MH_NSPI_INVALID_LOCALE;
    const tctl *ctl;
    size_t n;
    switch (display_type) {
    case MH_DT_MAILUSER:
        ctl = user_template, n = N_OF(user_template);
        break;
    case MH_DT_DISTLIST:
        ctl = list_template, n = N_OF(list_template);
        break;
    case MH_DT_REMOTE_MAILUSER:
        ctl = contact_template, n = N_OF(contact_template);
        break;
    default:
        return MH_NSPI_INVALID_LOCALE; /* constraint 5: no such template */
    }
    enum lang l = lang_of(lcid);
    if (l != LANG_EN && !lang_fits(l, cp, pool))
        l = LANG_EN;

    mh_wr wr;
    mh_wr_init(&wr, pool, MH_TMPL_HEADER_LEN + MH_TMPL_ROW_LEN * n + 512);
    mh_wr_u32(&wr, MH_TMPL_TYPE);
    mh_wr_u32(&wr, (uint32_t)n);
    size_t string_at[N_TEXT] = {0}; /* offsets of the strings, each written once */
    size_t next = MH_TMPL_HEADER_LEN + MH_TMPL_ROW_LEN * n;
    for (size_t i = 0; i < n; i++) {
        const tctl *c = &ctl[i];
        if (!string_at[c->text]) {
            size_t len;
            mh_cp_from_utf8(cp, texts[l][c->text], pool, &len);
            string_at[c->text] = next;
            next += len + 1;
        }
        mh_wr_u32(&wr, c->x);
        mh_wr_u32(&wr, c->dx);
        mh_wr_u32(&wr, c->y);
        mh_wr_u32(&wr, c->dy);
        mh_wr_u32(&wr, c->type);
        mh_wr_u32(&wr, c->flags);
        mh_wr_u32(&wr, c->prop);
        mh_wr_u32(&wr, c->size);
        mh_wr_u32(&wr, (uint32_t)string_at[c->text]);
    }
    /* the strings, in the order their offsets were given */
    for (size_t at = wr.len; at < next;) {
        int t = 0;
        while (t < N_TEXT && string_at[t] != at)
            t++;
        if (t == N_TEXT)
            break; /* cannot be: every offset handed out is a string's */
        size_t len;
        const char *s = mh_cp_from_utf8(cp, texts[l][t], pool, &len);
        mh_wr_bytes(&wr, s, len);
        mh_wr_u8(&wr, 0);
        at += len + 1;
    }
    out->data = wr.buf;
    out->len = (uint32_t)wr.len;
    return MH_NSPI_SUCCESS;
}
