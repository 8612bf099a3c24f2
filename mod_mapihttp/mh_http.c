/*
 * mh_http.c - MS-OXCMAPIHTTP section 2.2.3: request types, response codes,
 * header syntax and cookies.
 */
#include "mh_http.h"

#include <string.h>
#include <strings.h>
#include <apr_strings.h>

const char *mh_endpoint_name(mh_endpoint ep)
{
    switch (ep) {
    case MH_EP_EMSMDB:
        return "emsmdb";
    case MH_EP_NSPI:
        return "nspi";
    default:
        return "none";
    }
}

static const struct {
    const char *name;
    unsigned endpoints; /* bit (1 << mh_endpoint) */
} reqtypes[MH_RT_COUNT_] = {
#define BOTH ((1u << MH_EP_EMSMDB) | (1u << MH_EP_NSPI))
#define EMS (1u << MH_EP_EMSMDB)
#define NSP (1u << MH_EP_NSPI)
    [MH_RT_UNKNOWN] = {NULL, 0},
    [MH_RT_PING] = {"PING", BOTH},
    [MH_RT_CONNECT] = {"Connect", EMS},
    [MH_RT_EXECUTE] = {"Execute", EMS},
    [MH_RT_DISCONNECT] = {"Disconnect", EMS},
    [MH_RT_NOTIFICATIONWAIT] = {"NotificationWait", EMS},
    [MH_RT_BIND] = {"Bind", NSP},
    [MH_RT_UNBIND] = {"Unbind", NSP},
    [MH_RT_COMPAREMIDS] = {"CompareMIds", NSP},
    [MH_RT_DNTOMID] = {"DNToMId", NSP},
    [MH_RT_GETMATCHES] = {"GetMatches", NSP},
    [MH_RT_GETPROPLIST] = {"GetPropList", NSP},
    [MH_RT_GETPROPS] = {"GetProps", NSP},
    [MH_RT_GETSPECIALTABLE] = {"GetSpecialTable", NSP},
    [MH_RT_GETTEMPLATEINFO] = {"GetTemplateInfo", NSP},
    [MH_RT_MODLINKATT] = {"ModLinkAtt", NSP},
    [MH_RT_MODPROPS] = {"ModProps", NSP},
    [MH_RT_QUERYCOLUMNS] = {"QueryColumns", NSP},
    [MH_RT_QUERYROWS] = {"QueryRows", NSP},
    [MH_RT_RESOLVENAMES] = {"ResolveNames", NSP},
    [MH_RT_RESORTRESTRICTION] = {"ResortRestriction", NSP},
    [MH_RT_SEEKENTRIES] = {"SeekEntries", NSP},
    [MH_RT_UPDATESTAT] = {"UpdateStat", NSP},
    [MH_RT_GETMAILBOXURL] = {"GetMailboxUrl", NSP},
    [MH_RT_GETADDRESSBOOKURL] = {"GetAddressBookUrl", NSP},
#undef BOTH
#undef EMS
#undef NSP
};

mh_reqtype mh_reqtype_lookup(mh_endpoint ep, const char *name, size_t len)
{
    if (!name)
        return MH_RT_UNKNOWN;
    for (int i = 1; i < MH_RT_COUNT_; i++) {
        const char *n = reqtypes[i].name;
        if (strlen(n) == len && strncasecmp(n, name, len) == 0)
            return (reqtypes[i].endpoints & (1u << ep)) ? (mh_reqtype)i
                                                         : MH_RT_UNKNOWN;
    }
    return MH_RT_UNKNOWN;
}

const char *mh_reqtype_name(mh_reqtype rt)
{
    if (rt <= MH_RT_UNKNOWN || rt >= MH_RT_COUNT_)
        return "unknown";
    return reqtypes[rt].name;
}

const char *mh_response_code_name(int code)
{
    static const char *const names[] = {
        "Success",
        "Unknown Failure",
        "Invalid Verb",
        "Invalid Path",
        "Invalid Header",
        "Invalid Request Type",
        "Invalid Context Cookie",
        "Missing Header",
        "Anonymous Not Allowed",
        "Too Large",
        "Context Not Found",
        "No Privilege",
        "Invalid Request Body",
        "Missing Cookie",
        "Reserved",
        "Invalid Sequence",
        "Endpoint Disabled",
        "Invalid Response",
        "Endpoint Shutting Down",
    };
    if (code < 0 || code >= (int)(sizeof(names) / sizeof(names[0])))
        return NULL; /* not in the table: the caller says "undefined" */
    return names[code];
}

mh_endpoint mh_endpoint_from_path(const char *path)
{
    static const struct {
        const char *prefix;
        mh_endpoint ep;
    } eps[] = {{"/mapi/emsmdb", MH_EP_EMSMDB}, {"/mapi/nspi", MH_EP_NSPI}};
    if (!path)
        return MH_EP_NONE;
    for (size_t i = 0; i < sizeof(eps) / sizeof(eps[0]); i++) {
        size_t n = strlen(eps[i].prefix);
        if (strncasecmp(path, eps[i].prefix, n) != 0)
            continue;
        if (path[n] == '\0' || (path[n] == '/' && path[n + 1] == '\0'))
            return eps[i].ep;
    }
    return MH_EP_NONE;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

/* A GUID "8-4-4-4-12" with optional braces; returns the length consumed or 0. */
static size_t guid_span(const char *s)
{
    static const int groups[] = {8, 4, 4, 4, 12};
    const char *p = s;
    int braced = (*p == '{');
    if (braced)
        p++;
    for (int g = 0; g < 5; g++) {
        for (int i = 0; i < groups[g]; i++, p++)
            if (!is_hex(*p))
                return 0;
        if (g < 4) {
            if (*p != '-')
                return 0;
            p++;
        }
    }
    if (braced) {
        if (*p != '}')
            return 0;
        p++;
    }
    return (size_t)(p - s);
}

/* "<guid>:<1..20 decimal digits>" and nothing else. */
static int guid_colon_counter(const char *v)
{
    if (!v)
        return 0;
    size_t n = guid_span(v);
    if (!n || v[n] != ':')
        return 0;
    const char *d = v + n + 1;
    size_t digits = 0;
    while (d[digits] >= '0' && d[digits] <= '9')
        digits++;
    return digits >= 1 && digits <= 20 && d[digits] == '\0';
}

int mh_valid_request_id(const char *v)
{
    return guid_colon_counter(v);
}

int mh_valid_client_info(const char *v)
{
    return guid_colon_counter(v);
}

int mh_valid_content_type(const char *v)
{
    static const char want[] = "application/mapi-http";
    if (!v)
        return 0;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = sizeof(want) - 1;
    if (strncasecmp(v, want, n) != 0)
        return 0;
    v += n;
    while (*v == ' ' || *v == '\t')
        v++;
    return *v == '\0' || *v == ';';
}

const char *mh_cookie_context_name(mh_endpoint ep)
{
    return ep == MH_EP_NSPI ? "NspiContext" : "MapiContext";
}

const char *mh_cookie_sequence_name(mh_endpoint ep)
{
    return ep == MH_EP_NSPI ? "NspiSequence" : "MapiSequence";
}

const char *mh_cookie_path(mh_endpoint ep)
{
    return ep == MH_EP_NSPI ? "/mapi/nspi" : "/mapi/emsmdb";
}

const char *mh_cookie_get(const char *header, const char *name,
                          apr_pool_t *pool, int *dup_r)
{
    const char *found = NULL;
    size_t name_len = strlen(name);
    if (dup_r)
        *dup_r = 0;
    if (!header)
        return NULL;
    const char *p = header;
    while (*p) {
        /* one "name=value" pair, up to ';' (commas are not separators in
         * RFC 6265 but some stacks fold headers with them) */
        while (*p == ' ' || *p == '\t' || *p == ';' || *p == ',')
            p++;
        const char *pair = p;
        while (*p && *p != ';' && *p != ',')
            p++;
        const char *pair_end = p;
        const char *eq = memchr(pair, '=', (size_t)(pair_end - pair));
        if (!eq)
            continue;
        const char *ne = eq;
        while (ne > pair && (ne[-1] == ' ' || ne[-1] == '\t'))
            ne--;
        if ((size_t)(ne - pair) != name_len || strncmp(pair, name, name_len) != 0)
            continue;
        const char *vs = eq + 1, *ve = pair_end;
        while (vs < ve && (*vs == ' ' || *vs == '\t'))
            vs++;
        while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"') {
            vs++;
            ve--;
        }
        if (found) {
            if (dup_r)
                *dup_r = 1;
            continue;
        }
        found = apr_pstrmemdup(pool, vs, (size_t)(ve - vs));
    }
    return found;
}

const char *mh_set_cookie(apr_pool_t *pool, const char *name, const char *value,
                          const char *path, int secure)
{
    return apr_pstrcat(pool, name, "=", value, "; Path=", path, "; HttpOnly",
                       secure ? "; Secure" : "", NULL);
}
