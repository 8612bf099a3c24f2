/*
 * mh_oxcdata.h - MS-OXCDATA structures as they travel in ROP buffers:
 * property values (2.11), property rows (2.8), property tag arrays (2.9),
 * property names (2.6), property problems (2.7), restrictions (2.12) and
 * sort orders (2.13); with the comparisons and the restriction evaluation
 * tables need.  Server and client (probe, tests) use the same code.
 *
 * Strings: in memory every string is UTF-8 with type PT_UNICODE, as the
 * backend interface holds them (mapihttp/props.h).  On the wire PT_UNICODE
 * is UTF-16LE with a 2-byte NUL and PT_STRING8 is the session's code page
 * with a 1-byte NUL.  Readers take the wire type from the tag, convert to
 * UTF-8 and return the value with its tag retyped to PT_UNICODE
 * (PT_MV_STRING8 -> PT_MV_UNICODE).  Writers take the wire tag to write
 * (the column or tag the client asked for) and a value in memory form.
 *
 * Every reader is bounds-checked through mh_rd: on malformed input it
 * returns -1 and leaves rd->err set; counts are checked against the bytes
 * left before anything is allocated for them.
 */
#ifndef MH_OXCDATA_H
#define MH_OXCDATA_H

#include <stdint.h>
#include <apr_pools.h>

#include "mapihttp/props.h"
#include "mh_wire.h"

/* ------------------------------------------------------- code pages */

#define MH_CP_UTF8 65001u
#define MH_CP_UNICODE 1200u  /* UTF-16LE; a PT_STRING8 in it is taken as 1252 */

/* A string in code page `cp` (len bytes, no NUL) as UTF-8 in pool memory;
 * bytes that do not convert become U+FFFD.  Unknown code pages are 1252. */
const char *mh_cp_to_utf8(uint32_t cp, const char *s, size_t len, apr_pool_t *pool);
/* UTF-8 into code page `cp`; characters it lacks become '?'.  *len_r gets
 * the length without the NUL (the result is NUL-terminated). */
const char *mh_cp_from_utf8(uint32_t cp, const char *s, apr_pool_t *pool, size_t *len_r);
/*
 * Whether PT_STRING8 values can be read and written in code page `cp`:
 * 1252 and 65001 always, others when iconv knows them (the conversions
 * above quietly take unknown ones as 1252; callers that must refuse them,
 * the address book's InvalidCodepage, ask here first).  Never the Unicode
 * code pages (1200, 1201, 12000, 12001) nor 0.
 */
int mh_cp_supported(uint32_t cp);

/* ------------------------------------------------- string collation */

/*
 * Orders two UTF-8 strings the way people expect a list of names sorted:
 * first ignoring case and accents (Latin, Greek and Cyrillic letters fold
 * as in mh_restriction_eval's IGNORECASE | IGNORENONSPACE), ties broken
 * by case-insensitive comparison, then by the bytes.  <0, 0 (equal bytes
 * only), >0.  NULL sorts first.
 */
int mh_str_collate(const char *a, const char *b);
/* The first level of mh_str_collate alone: 0 when a and b differ only in
 * case and accents. */
int mh_str_fold_cmp(const char *a, const char *b);
/* Whether `s` begins with `prefix` ignoring case and accents. */
int mh_str_fold_prefix(const char *s, const char *prefix);

/* ------------------------------------------------- property values */

/*
 * PropertyValue (2.11.2.1) of wire type `type`, no tag.  The result's tag
 * is MH_TAG(0, type) with string types retyped to Unicode.  PT_OBJECT,
 * PT_UNSPECIFIED and PT_NULL carry 4 bytes and are accepted where legal.
 * Returns 0 or -1.
 */
int mh_rd_propval(mh_rd *rd, uint16_t type, uint32_t cp, apr_pool_t *pool, mh_propval *v);
/* TaggedPropertyValue (2.11.4): u32 tag, PropertyValue.  v->tag keeps the
 * tag's id with the memory type. */
int mh_rd_tagged_propval(mh_rd *rd, uint32_t cp, apr_pool_t *pool, mh_propval *v);
/* TypedPropertyValue (2.11.3): u16 type, PropertyValue. */
int mh_rd_typed_propval(mh_rd *rd, uint32_t cp, apr_pool_t *pool, mh_propval *v);

/*
 * Writes v's value as wire type `type` (string types convert between
 * PT_STRING8 and PT_UNICODE; any other mismatch is the caller's bug and
 * writes the value of v's own type).  MH_PV_LARGE values must not reach
 * a writer: callers send MAPI_E_NOT_ENOUGH_MEMORY instead.
 */
void mh_wr_propval(mh_wr *wr, uint16_t type, const mh_propval *v, uint32_t cp);
void mh_wr_tagged_propval(mh_wr *wr, mh_proptag wire_tag, const mh_propval *v, uint32_t cp);
void mh_wr_typed_propval(mh_wr *wr, uint16_t type, const mh_propval *v, uint32_t cp);

/* The bytes mh_wr_propval would write (to decide what fits a buffer). */
size_t mh_propval_wire_size(uint16_t type, const mh_propval *v, uint32_t cp);

/*
 * The same with the COUNT width of the context (MS-OXCDATA 2.11.1.1): 2 in
 * ROP buffers (PtypBinary and PtypServerId byte counts 16 bits,
 * PtypMultiple value counts 32 bits: what the functions above do) or 4 in
 * extended rules (MS-OXORULE 2.2.4) and MAPI/HTTP address book bodies
 * (MS-OXCMAPIHTTP 2.2.5), where every count is 32 bits.  The width also
 * applies to the RuleAction counts of PT_ACTIONS values (MS-OXORULE 2.2.5).
 *
 * In memory: PT_SRESTRICTION values hold the restriction in a canonical
 * encoding (4-byte counts, strings as PT_UNICODE), whatever context they
 * were read in; writers re-encode it for theirs.  PT_ACTIONS values hold the
 * RuleAction bytes as read (their framing is checked, not their content:
 * mh_ruleaction.h parses them, and the rules family stores the canonical
 * form, strings as PtypString) and are written back as they are.  PT_NULL, PT_OBJECT and PT_UNSPECIFIED values keep
 * their 4 bytes in v.i32.
 */
int mh_rd_propval_cw(mh_rd *rd, uint16_t type, int count_width, uint32_t cp, apr_pool_t *pool,
                     mh_propval *v);
int mh_rd_tagged_propval_cw(mh_rd *rd, int count_width, uint32_t cp, apr_pool_t *pool,
                            mh_propval *v);
int mh_rd_typed_propval_cw(mh_rd *rd, int count_width, uint32_t cp, apr_pool_t *pool,
                           mh_propval *v);
void mh_wr_propval_cw(mh_wr *wr, uint16_t type, const mh_propval *v, int count_width,
                      uint32_t cp);
void mh_wr_tagged_propval_cw(mh_wr *wr, mh_proptag wire_tag, const mh_propval *v,
                             int count_width, uint32_t cp);
void mh_wr_typed_propval_cw(mh_wr *wr, uint16_t type, const mh_propval *v, int count_width,
                            uint32_t cp);
size_t mh_propval_wire_size_cw(uint16_t type, const mh_propval *v, int count_width, uint32_t cp);

/* PropertyTagArray with a u16 count (2.9.2 in ROPs).  At most `max` tags. */
int mh_rd_tag_array(mh_rd *rd, uint32_t max, apr_pool_t *pool, mh_proptag **tags_r,
                    uint16_t *n_r);
void mh_wr_tag_array(mh_wr *wr, const mh_proptag *tags, uint16_t n);

/* ---------------------------------------------------- property rows */

/*
 * PropertyRow (2.8.1) for columns `cols`; vals[i] is the value of column i
 * or NULL when the object has none; a value may also be a PT_ERROR value
 * (an error for that column) or MH_PV_LARGE (written as the error
 * MAPI_E_NOT_ENOUGH_MEMORY).  Writes a StandardPropertyRow (Flag 0x00)
 * when every column has a proper value, else a FlaggedPropertyRow (Flag
 * 0x01: per column 0x00 + value, or 0x0A + ErrorCode, MAPI_E_NOT_FOUND
 * for NULL).  Columns of type PT_UNSPECIFIED get TypedPropertyValues.
 */
void mh_wr_proprow(mh_wr *wr, const mh_proptag *cols, uint32_t n, const mh_propval *const *vals,
                   uint32_t cp);
/*
 * The same for a table whose strings are 8-bit where the client cannot
 * name their type (MH_WR_STRING8, a rules table without its Unicode flag,
 * MS-OXORULE 2.2.2.1): the strings inside restriction (PidTagRuleCondition)
 * and rule action values go out as PtypString8 in code page cp.  Columns
 * themselves are written as the client named them, whatever the flag
 * (tables have no PT_UNSPECIFIED columns: MS-OXCTABL 3.2.5.2).
 */
#define MH_WR_STRING8 0x1
void mh_wr_proprow_ex(mh_wr *wr, const mh_proptag *cols, uint32_t n,
                      const mh_propval *const *vals, uint32_t cp, unsigned flags);
/* The reverse, for clients: vals_r[i] is a value, a PT_ERROR value, or
 * NULL never (errors come as PT_ERROR values with the column's id). */
int mh_rd_proprow(mh_rd *rd, const mh_proptag *cols, uint32_t n, uint32_t cp,
                  apr_pool_t *pool, mh_propval **vals_r);

/* PropertyProblem (2.7): Index u16, PropertyTag u32, ErrorCode u32. */
typedef struct mh_propproblem {
    uint16_t index;
    mh_proptag tag;
    uint32_t err;
} mh_propproblem;
/* PropertyProblemArray with a u16 count. */
void mh_wr_problems(mh_wr *wr, const mh_propproblem *p, uint16_t n);
int mh_rd_problems(mh_rd *rd, apr_pool_t *pool, mh_propproblem **p_r, uint16_t *n_r);

/* ---------------------------------------------------- property names */

/* PropertyName (2.6.1): Kind u8, GUID, then (0 MNID_ID) LID u32 or (1 MNID_STRING)
 * NameSize u8 bytes of UTF-16LE with its NUL; 0xFF: no name). */
int mh_rd_propname(mh_rd *rd, apr_pool_t *pool, mh_propname *n);
void mh_wr_propname(mh_wr *wr, const mh_propname *n);

/* ----------------------------------------------------- restrictions */

/* RestrictType values (2.12) */
#define MH_RES_AND 0x00
#define MH_RES_OR 0x01
#define MH_RES_NOT 0x02
#define MH_RES_CONTENT 0x03
#define MH_RES_PROPERTY 0x04
#define MH_RES_COMPAREPROPS 0x05
#define MH_RES_BITMASK 0x06
#define MH_RES_SIZE 0x07
#define MH_RES_EXIST 0x08
#define MH_RES_SUBRESTRICTION 0x09
#define MH_RES_COMMENT 0x0A
#define MH_RES_COUNT 0x0B

/* RelOp (2.12.5) */
#define MH_RELOP_LT 0x00
#define MH_RELOP_LE 0x01
#define MH_RELOP_GT 0x02
#define MH_RELOP_GE 0x03
#define MH_RELOP_EQ 0x04
#define MH_RELOP_NE 0x05
#define MH_RELOP_RE 0x06          /* regular expression: never matches here */
#define MH_RELOP_MEMBER_OF_DL 0x64

/* FuzzyLevel (2.12.4) */
#define MH_FL_FULLSTRING 0x0000
#define MH_FL_SUBSTRING 0x0001
#define MH_FL_PREFIX 0x0002
#define MH_FL_IGNORECASE 0x00010000
#define MH_FL_IGNORENONSPACE 0x00020000
#define MH_FL_LOOSE 0x00040000

/* Bitmask (2.12.7) */
#define MH_BMR_EQZ 0x00
#define MH_BMR_NEZ 0x01

/* Deepest nesting a parser accepts (deeper: malformed). */
#define MH_RES_MAX_DEPTH 64

typedef struct mh_restriction mh_restriction;
struct mh_restriction {
    uint8_t type;
    union {
        struct { uint32_t n; mh_restriction *sub; } andor;        /* AND, OR */
        struct { mh_restriction *sub; } not_;                     /* NOT */
        struct { uint32_t fuzzy; mh_proptag tag; mh_propval val; } content;
        struct { uint8_t relop; mh_proptag tag; mh_propval val; } prop;
        struct { uint8_t relop; mh_proptag tag1, tag2; } compare;
        struct { uint8_t relop; mh_proptag tag; uint32_t mask; } bitmask;
        struct { uint8_t relop; mh_proptag tag; uint32_t size; } size;
        struct { mh_proptag tag; } exist;
        struct { mh_proptag subobject; mh_restriction *sub; } subres;
        struct { uint8_t n; mh_propval *vals; mh_restriction *sub; } comment; /* sub may be NULL */
        struct { uint32_t count; mh_restriction *sub; } count;
    } u;
};

/*
 * Restriction (2.12).  `count_width` is 2 in ROP buffers and 4 in the
 * address book and extended rules: the width of the And/Or counts and of
 * the COUNTs inside property values (see mh_rd_propval_cw).  The Comment
 * restriction's TaggedValuesCount is one byte in both (2.12.11.1).  Values
 * keep memory form (strings UTF-8, tags and value tags of string type
 * retyped to PT_UNICODE / PT_MV_UNICODE).  A value of type PtypRuleAction
 * is refused: its widths depend on the context it came from, which the
 * canonical form of a PtypRestriction value cannot keep.  Returns 0 or -1.
 */
int mh_rd_restriction(mh_rd *rd, int count_width, uint32_t cp, apr_pool_t *pool,
                      mh_restriction **r_r);
void mh_wr_restriction(mh_wr *wr, const mh_restriction *r, int count_width, uint32_t cp);
/* Retypes the string tags of a restriction (its property tags and value
 * tags, single and multi-valued) to `type`: PT_STRING8 or PT_UNICODE. */
void mh_restriction_retype(mh_restriction *r, uint16_t type);

/*
 * What a restriction is evaluated against: a row's values, and for
 * SubRestriction the rows of a sub-object (PR_MESSAGE_RECIPIENTS,
 * PR_MESSAGE_ATTACHMENTS).  get returns the value of `tag` (matched by id;
 * the type may differ only between string kinds) or NULL.  each_sub calls
 * fn for each sub-row until fn returns nonzero, and returns that value
 * (0 when there are none or the sub-object is unknown).
 */
typedef struct mh_res_source mh_res_source;
struct mh_res_source {
    const mh_propval *(*get)(const mh_res_source *src, mh_proptag tag);
    int (*each_sub)(const mh_res_source *src, mh_proptag subobject,
                    int (*fn)(void *ctx, const mh_res_source *row), void *ctx);
    void *baton;
};

/*
 * 1 when the row matches, 0 when not (MS-OXCDATA 2.12 semantics; missing
 * properties never match a Property or Content restriction).  Details:
 *  - PT_ERROR values from get() count as absent.
 *  - Property: the value and the row's value must be of the same type
 *    (string kinds are one); a multi-valued row value against a single
 *    value matches when any of its values does.  Strings compare
 *    case-insensitively (as mh_propval_cmp).  RELOP_RE and
 *    RELOP_MEMBER_OF_DL never match.
 *  - Content: strings and binaries, single or multi-valued (any value);
 *    IGNORECASE folds Latin, Greek and Cyrillic letters, IGNORENONSPACE
 *    drops combining marks and Latin-1 accents, LOOSE does both.
 *  - Size: fixed-size types their size, strings UTF-16 bytes with the NUL,
 *    binaries their length, multi-valued the sum of their values.
 *  - Values not loaded (MH_PV_LARGE) satisfy Exist and Size only.
 *  - Comment: its restriction, or TRUE without one (2.12.11).
 *  - Count (2.12.12) limits how many rows its sub-restriction passes; one
 *    row alone cannot know that, so here it is its sub-restriction.  Use
 *    mh_restriction_eval_counted for the limit.
 */
int mh_restriction_eval(const mh_restriction *r, const mh_res_source *src);

/*
 * Evaluation over a sequence of rows (a table pass) with CountRestriction
 * limits: each Count node lets at most `count` rows through (rows for which
 * its sub-restriction holds), counted in `counts`, which the caller makes
 * once per pass with mh_res_counts_create.
 */
typedef struct mh_res_counts {
    uint32_t n;          /* Count nodes of the restriction, pre-order */
    uint32_t *matched;   /* rows each has let through so far */
} mh_res_counts;
mh_res_counts *mh_res_counts_create(const mh_restriction *r, apr_pool_t *pool);
int mh_restriction_eval_counted(const mh_restriction *r, const mh_res_source *src,
                                mh_res_counts *counts);

/* --------------------------------------------------------- skipping */

/*
 * Steps over one structure without building it (MS-OXCDATA as above, ROP
 * count width unless a count_width is given).  A skipper is its reader run
 * with no pool: it walks the same bytes with the same framing checks and
 * stops where the reader stops, but it allocates, copies and converts
 * nothing.  What the reader accepts it accepts; it refuses only what the
 * reader refuses.  It does not judge values that leave the framing whole
 * (a relational operator, a sort Order, CategorizedCount against
 * SortOrderCount): a request holding one is well framed, and the ROP
 * reading it with the reader answers with its own error (ecInvalidParam)
 * instead of the whole Execute failing.  The RopId table (mh_ropinfo.c)
 * walks requests with these before anything runs.
 * Each returns 0, or -1 with rd->err set.
 *
 * mh_skip_proprow takes its `n` columns as they lie in a request: n
 * little-endian u32 tags at `cols` (the caller has bounds-checked them).
 */
int mh_skip_propval(mh_rd *rd, uint16_t type, int count_width);
int mh_skip_tagged_propval(mh_rd *rd, int count_width);
int mh_skip_typed_propval(mh_rd *rd, int count_width);
int mh_skip_tag_array(mh_rd *rd);
int mh_skip_proprow(mh_rd *rd, const unsigned char *cols, uint32_t n);
int mh_skip_propname(mh_rd *rd);
int mh_skip_restriction(mh_rd *rd, int count_width);
int mh_skip_sort_set(mh_rd *rd);

/* ------------------------------------------------------ comparisons */

/*
 * Orders two values of the same base type (strings case-insensitively,
 * binaries bytewise then by length, booleans false < true): <0, 0, >0.
 * Values of different types order by type.  NULL (absent) sorts first.
 */
int mh_propval_cmp(const mh_propval *a, const mh_propval *b);

/* ------------------------------------------------------ sort orders */

#define MH_TABLE_SORT_ASCEND 0x00
#define MH_TABLE_SORT_DESCEND 0x01
#define MH_TABLE_SORT_MAXIMUM_CATEGORY 0x04
#define MH_TABLE_SORT_MINIMUM_CATEGORY 0x08

typedef struct mh_sort_order {
    mh_proptag tag;     /* PropertyType | PropertyId (MV_INSTANCE 0x2000 kept) */
    uint8_t order;      /* MH_TABLE_SORT_* */
} mh_sort_order;

/* SortOrderSet (2.13.2): SortOrderCount u16, CategorizedCount u16,
 * ExpandedCount u16, SortOrders.  Checks Categorized <= Count and
 * Expanded <= Categorized. */
typedef struct mh_sort_set {
    uint16_t n, categorized, expanded;
    mh_sort_order *orders;
} mh_sort_set;
int mh_rd_sort_set(mh_rd *rd, apr_pool_t *pool, mh_sort_set *s);
void mh_wr_sort_set(mh_wr *wr, const mh_sort_set *s);

#endif
