/* parser — compiled PCRE2 patterns that pull {code, status, desc, ts,
 * dimensions} out of a log line.
 *
 * Lines are bytes: patterns are compiled without UTF unless the pattern
 * itself asks for it with (*UTF), in which case it is recompiled with
 * PCRE2_MATCH_INVALID_UTF so a stray byte still cannot make a line fail.
 * Patterns are JIT-compiled where the host allows it; where it does not
 * (W^X), they are interpreted, silently.  One match context carries the
 * limits for both paths, one match data (sized for the pattern with most
 * groups) serves every match of the parser. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "parser.h"

#include <errno.h>
#include <pcre2.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "parser_internal.h"

/* Limits.  The match limit was measured: at 250000 a catastrophic pattern
 * ((a+)+$ on a line of a's ending in b) gives up after at most ~6 ms with
 * the JIT and ~22 ms interpreted, at any line length, while sloppy but sane
 * patterns (^.*x=.*responseCode=..., lazy repeated groups) still match at
 * the far end of a 64 KiB line on both paths.  (PCRE2's default, 10
 * million, lets one bad line stall the loop for about a second.) */
#define MATCH_LIMIT 250000u
/* Memory for backtracking: the interpreter's frames (depth and heap), the
 * JIT's own stack.  Each is ample for a sane pattern on a 64 KiB line. */
#define DEPTH_LIMIT 100000u
#define HEAP_LIMIT_KIB (16u * 1024u)
#define JIT_STACK_START (32u * 1024u)
#define JIT_STACK_MAX (1024u * 1024u)
#define PATTERN_LEN_MAX (64u * 1024u)
#define FIELD_PATTERNS_MAX 64
/* (?J) allows one name on several groups; the first that is set counts. */
#define DUP_GROUPS_MAX 4

enum field_id { F_CODE, F_STATUS, F_DESC, F_TS, F_DIM0, NFIELDS = F_DIM0 + RCW_MAX_DIMENSIONS };

struct cap {
  uint16_t group;
  uint8_t field;
};

struct pat {
  pcre2_code *re;
  bool jit;
  struct cap *caps; /* the groups of our fields this pattern has */
  size_t ncaps;
};

struct fieldpat {
  struct pat pat;
  enum field_id field;
  bool iso_at_start; /* RCW_ISO_TS_REGEX: try iso_ts_at_start first */
  size_t next; /* the next field pattern of the same field, or NO_FP */
};

#define NO_FP SIZE_MAX

struct rcw_parser {
  char *name;
  char *dims[RCW_MAX_DIMENSIONS];
  size_t ndims;
  struct rcw_timefmt tf;
  struct pat *pats;
  size_t npats;
  struct fieldpat *fps;
  size_t nfps;
  uint32_t fp_fields; /* bit per field that has a field pattern */
  /* Each field's first field pattern (NO_FP: none): a line needing one
   * field tries only that field's patterns. */
  size_t fp_first[NFIELDS];
  bool ts_at_start; /* ts's first field pattern is RCW_ISO_TS_REGEX */
  pcre2_match_data *md;
  const PCRE2_SIZE *ovector; /* md's, fixed for its lifetime */
  pcre2_match_context *mctx;
  pcre2_jit_stack *jit_stack;
  bool jit;
  /* The last 16 bytes iso_head_at_start accepted: the lines of one minute
   * share them, and compare faster than they check. */
  bool iso_head_ok;
  char iso_head[16];
};

static bool jit_disabled;

void rcw_parser_test_disable_jit(bool disable)
{
  jit_disabled = disable;
}

/* --- diagnostics ----------------------------------------------------------- */

struct build {
  const struct rcw_parser_spec *spec;
  rcw_parser *p;
  struct rcw_diags *d;
  int errors;
};

void rcw_parser_diag(struct rcw_diags *d, const struct rcw_parser_spec *spec,
                     const struct rcw_loc *loc, int column, const char *what, const char *msg)
{
  if (!d)
    return;
  if (spec->loc.file)
    rcw_diags_add(d, loc->file, loc->line, column, "parsers[%zu]%s%s: %s", spec->index,
                  *what ? "." : "", what, msg);
  else
    rcw_diags_add(d, NULL, loc->line, column, "parser %s: %s: %s",
                  spec->name ? spec->name : "?", *what ? what : "spec", msg);
}

static void __attribute__((format(printf, 5, 6)))
report(struct build *b, const struct rcw_loc *loc, int column, const char *what,
       const char *fmt, ...)
{
  b->errors++;
  if (!b->d)
    return;
  char *msg = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&msg, fmt, ap);
  va_end(ap);
  rcw_parser_diag(b->d, b->spec, loc, column, what, n >= 0 && msg ? msg : "out of memory");
  if (n >= 0)
    free(msg);
}

/* --- compiling ------------------------------------------------------------- */

static const char *field_name(const rcw_parser *p, enum field_id f)
{
  static const char *const fixed[F_DIM0] = {"code", "status", "desc", "ts"};
  return f < F_DIM0 ? fixed[f] : p->dims[f - F_DIM0];
}

static size_t field_count(const rcw_parser *p)
{
  return F_DIM0 + p->ndims;
}

/* Every group carrying the field's name, in name-table order. */
static size_t lookup_groups(const pcre2_code *re, enum field_id f, const char *name,
                            struct cap *out)
{
  PCRE2_SPTR first, last;
  int size = pcre2_substring_nametable_scan(re, (PCRE2_SPTR)name, &first, &last);
  size_t n = 0;
  for (PCRE2_SPTR e = first; size > 0 && e <= last && n < DUP_GROUPS_MAX; e += size, n++) {
    out[n].group = (uint16_t)((e[0] << 8) | e[1]);
    out[n].field = (uint8_t)f;
  }
  return n;
}

/* Keep with the pattern the groups of every field (only that one when
 * only >= 0).  A small array of its own keeps the field-pattern loop of
 * the hot path within a few cache lines. */
static int map_groups(const rcw_parser *p, struct pat *pt, int only)
{
  struct cap tmp[NFIELDS * DUP_GROUPS_MAX];
  size_t n = 0;
  for (size_t f = 0; f < field_count(p); f++)
    if (only < 0 || (int)f == only)
      n += lookup_groups(pt->re, (enum field_id)f, field_name(p, (enum field_id)f), tmp + n);
  if (n == 0)
    return 0;
  pt->caps = malloc(n * sizeof(*pt->caps));
  if (!pt->caps)
    return -ENOMEM;
  memcpy(pt->caps, tmp, n * sizeof(*pt->caps));
  pt->ncaps = n;
  return 0;
}

static bool has_field(const struct pat *pt, enum field_id f)
{
  for (size_t i = 0; i < pt->ncaps; i++)
    if (pt->caps[i].field == f)
      return true;
  return false;
}

static pcre2_code *compile_regex(const char *regex, int *err, PCRE2_SIZE *off)
{
  pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
  if (!cc) {
    *err = PCRE2_ERROR_NOMEMORY;
    *off = 0;
    return NULL;
  }
  pcre2_set_max_pattern_length(cc, PATTERN_LEN_MAX);
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED, 0, err, off, cc);
  uint32_t opts = 0;
  if (re && pcre2_pattern_info(re, PCRE2_INFO_ALLOPTIONS, &opts) == 0 &&
      (opts & PCRE2_UTF) && !(opts & PCRE2_MATCH_INVALID_UTF)) {
    pcre2_code_free(re);
    re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED, PCRE2_MATCH_INVALID_UTF, err,
                       off, cc);
  }
  pcre2_compile_context_free(cc);
  return re;
}

/* JIT where the platform allows it; otherwise the pattern is interpreted. */
static bool try_jit(pcre2_code *re)
{
  size_t size = 0;
  if (jit_disabled || pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) != 0)
    return false;
  return pcre2_pattern_info(re, PCRE2_INFO_JITSIZE, &size) == 0 && size > 0;
}

static int compile_pat(struct build *b, struct pat *pt, const char *regex,
                       const struct rcw_loc *loc, const char *what)
{
  int err;
  PCRE2_SIZE off;
  pt->re = compile_regex(regex ? regex : "", &err, &off);
  if (!pt->re) {
    char msg[256];
    pcre2_get_error_message(err, (PCRE2_UCHAR *)msg, sizeof(msg));
    /* Exact for a plain or single-quoted scalar; escapes in a double-quoted
     * one shift it.  The offset in the message is always exact. */
    int col = loc->column > 0 ? loc->column + (int)off : 0;
    report(b, loc, col, what, "does not compile at offset %zu: %s", (size_t)off, msg);
    return -EINVAL;
  }
  pt->jit = try_jit(pt->re);
  if (!pt->jit)
    b->p->jit = false;
  return 0;
}

static void compile_main(struct build *b)
{
  const struct rcw_parser_spec *s = b->spec;
  for (size_t i = 0; i < s->npatterns; i++) {
    const struct rcw_pattern_spec *ps = &s->patterns[i];
    struct pat *pt = &b->p->pats[i];
    char what[48];
    snprintf(what, sizeof(what), "patterns[%zu]", i);
    if (compile_pat(b, pt, ps->regex, &ps->loc, what) < 0)
      continue;
    if (map_groups(b->p, pt, -1) < 0)
      report(b, &ps->loc, ps->loc.column, what, "out of memory");
    else if (!has_field(pt, F_CODE) && !has_field(pt, F_STATUS))
      report(b, &ps->loc, ps->loc.column, what,
             "has neither a (?<code>...) nor a (?<status>...) group");
  }
}

static int field_by_name(const rcw_parser *p, const char *name)
{
  for (size_t f = 0; name && f < field_count(p); f++)
    if (strcmp(name, field_name(p, (enum field_id)f)) == 0)
      return (int)f;
  return -1;
}

static void compile_field(struct build *b, size_t i)
{
  const struct rcw_field_spec *fs = &b->spec->fields[i];
  struct fieldpat *fp = &b->p->fps[i];
  const char *name = fs->name ? fs->name : "";
  char *what = NULL;
  if (asprintf(&what, "fields.%s", name) < 0)
    what = NULL;
  const char *w = what ? what : "fields";
  int f = field_by_name(b->p, name);
  if (f < 0) {
    report(b, &fs->loc, fs->loc.column, w,
           "\"%s\" is not code, status, desc, ts or a listed dimension", name);
  } else if (compile_pat(b, &fp->pat, fs->regex, &fs->loc, w) == 0) {
    fp->field = (enum field_id)f;
    fp->iso_at_start = f == F_TS && fs->regex && strcmp(fs->regex, RCW_ISO_TS_REGEX) == 0;
    b->p->fp_fields |= 1u << f;
    if (map_groups(b->p, &fp->pat, f) < 0)
      report(b, &fs->loc, fs->loc.column, w, "out of memory");
    else if (fp->pat.ncaps == 0)
      report(b, &fs->loc, fs->loc.column, w, "has no (?<%s>...) group", name);
  }
  free(what);
}

static bool dim_has_group(const rcw_parser *p, enum field_id f)
{
  for (size_t i = 0; i < p->npats; i++)
    if (p->pats[i].re && has_field(&p->pats[i], f))
      return true;
  for (size_t i = 0; i < p->nfps; i++)
    if (p->fps[i].pat.re && p->fps[i].field == f)
      return true;
  return false;
}

static void check_dimensions(struct build *b)
{
  for (size_t i = 0; i < b->p->ndims; i++)
    if (!dim_has_group(b->p, (enum field_id)(F_DIM0 + i)))
      report(b, &b->spec->loc, b->spec->loc.column, "dimensions",
             "\"%s\" is not a named group of any pattern", b->p->dims[i]);
}

static int copy_basics(struct build *b)
{
  const struct rcw_parser_spec *s = b->spec;
  rcw_parser *p = b->p;
  char err[256] = "";
  p->name = strdup(s->name ? s->name : "");
  if (!p->name)
    return -ENOMEM;
  if (s->ndimensions > RCW_MAX_DIMENSIONS)
    report(b, &s->loc, s->loc.column, "dimensions", "at most %d dimensions, not %zu",
           RCW_MAX_DIMENSIONS, s->ndimensions);
  for (size_t i = 0; i < s->ndimensions && i < RCW_MAX_DIMENSIONS; i++) {
    p->dims[i] = strdup(s->dimensions[i] ? s->dimensions[i] : "");
    if (!p->dims[i])
      return -ENOMEM;
    p->ndims++;
  }
  int r = rcw_timefmt_init(&p->tf, s->time_format, err, sizeof(err));
  if (r == -ENOMEM)
    return r;
  if (r < 0)
    report(b, &s->loc, s->loc.column, "time_format", "%s", err);
  return 0;
}

static int alloc_patterns(struct build *b)
{
  const struct rcw_parser_spec *s = b->spec;
  if (s->npatterns == 0)
    report(b, &s->loc, s->loc.column, "patterns", "at least one pattern is required");
  size_t nfields = s->nfields;
  if (nfields > FIELD_PATTERNS_MAX) {
    report(b, &s->loc, s->loc.column, "fields", "at most %d field patterns, not %zu",
           FIELD_PATTERNS_MAX, nfields);
    nfields = 0;
  }
  b->p->pats = calloc(s->npatterns ? s->npatterns : 1, sizeof(*b->p->pats));
  b->p->fps = calloc(nfields ? nfields : 1, sizeof(*b->p->fps));
  if (!b->p->pats || !b->p->fps)
    return -ENOMEM;
  b->p->npats = s->npatterns;
  b->p->nfps = nfields;
  return 0;
}

static uint32_t max_captures(const rcw_parser *p)
{
  uint32_t max = 0, n;
  for (size_t i = 0; i < p->npats; i++)
    if (pcre2_pattern_info(p->pats[i].re, PCRE2_INFO_CAPTURECOUNT, &n) == 0 && n > max)
      max = n;
  for (size_t i = 0; i < p->nfps; i++)
    if (pcre2_pattern_info(p->fps[i].pat.re, PCRE2_INFO_CAPTURECOUNT, &n) == 0 && n > max)
      max = n;
  return max;
}

static int setup_matching(rcw_parser *p)
{
  p->md = pcre2_match_data_create(max_captures(p) + 1, NULL);
  p->mctx = pcre2_match_context_create(NULL);
  if (!p->md || !p->mctx)
    return -ENOMEM;
  p->ovector = pcre2_get_ovector_pointer(p->md);
  pcre2_set_match_limit(p->mctx, MATCH_LIMIT);
  pcre2_set_depth_limit(p->mctx, DEPTH_LIMIT);
  pcre2_set_heap_limit(p->mctx, HEAP_LIMIT_KIB);
  /* Without a stack of its own the JIT code gets 32 KiB of machine stack,
   * too little for a nested group repeated over a long line. */
  p->jit_stack = pcre2_jit_stack_create(JIT_STACK_START, JIT_STACK_MAX, NULL);
  if (p->jit_stack)
    pcre2_jit_stack_assign(p->mctx, NULL, p->jit_stack);
  return 0;
}

/* Chain the field patterns of each field, in their order. */
static void link_fields(rcw_parser *p)
{
  size_t last[NFIELDS];
  for (size_t f = 0; f < NFIELDS; f++)
    p->fp_first[f] = last[f] = NO_FP;
  for (size_t i = 0; i < p->nfps; i++) {
    struct fieldpat *fp = &p->fps[i];
    fp->next = NO_FP;
    if (last[fp->field] == NO_FP)
      p->fp_first[fp->field] = i;
    else
      p->fps[last[fp->field]].next = i;
    last[fp->field] = i;
  }
  p->ts_at_start = p->fp_first[F_TS] != NO_FP && p->fps[p->fp_first[F_TS]].iso_at_start;
}

rcw_parser *rcw_parser_compile(const struct rcw_parser_spec *spec, struct rcw_diags *d)
{
  rcw_parser *p = calloc(1, sizeof(*p));
  struct build b = {spec, p, d, 0};
  if (!p || copy_basics(&b) < 0 || alloc_patterns(&b) < 0)
    goto nomem;
  /* Errors so far do not stop the rest: every mistake is reported at once. */
  p->jit = true;
  compile_main(&b);
  for (size_t i = 0; i < p->nfps; i++)
    compile_field(&b, i);
  check_dimensions(&b);
  if (b.errors)
    goto fail;
  if (setup_matching(p) < 0)
    goto nomem;
  link_fields(p);
  return p;
nomem:
  report(&b, &spec->loc, spec->loc.column, "", "out of memory");
fail:
  rcw_parser_free(p);
  return NULL;
}

void rcw_parser_free(rcw_parser *p)
{
  if (!p)
    return;
  for (size_t i = 0; i < p->npats; i++) {
    pcre2_code_free(p->pats[i].re);
    free(p->pats[i].caps);
  }
  for (size_t i = 0; i < p->nfps; i++) {
    pcre2_code_free(p->fps[i].pat.re);
    free(p->fps[i].pat.caps);
  }
  free(p->pats);
  free(p->fps);
  for (size_t i = 0; i < p->ndims; i++)
    free(p->dims[i]);
  rcw_timefmt_destroy(&p->tf);
  pcre2_match_data_free(p->md);
  pcre2_match_context_free(p->mctx);
  pcre2_jit_stack_free(p->jit_stack);
  free(p->name);
  free(p);
}

const char *rcw_parser_name(const rcw_parser *p)
{
  return p->name;
}

size_t rcw_parser_dimension_count(const rcw_parser *p)
{
  return p->ndims;
}

const char *rcw_parser_dimension(const rcw_parser *p, size_t i)
{
  return i < p->ndims ? p->dims[i] : NULL;
}

const struct rcw_timefmt *rcw_parser_timefmt(const rcw_parser *p)
{
  return &p->tf;
}

bool rcw_parser_ts_iso_at_start(const rcw_parser *p)
{
  return p->ts_at_start && p->tf.kind == RCW_TIME_ISO8601;
}

bool rcw_parser_jit(const rcw_parser *p)
{
  return p->jit;
}

/* --- matching -------------------------------------------------------------- */

#define DIM_OFFSET(i) (offsetof(struct rcw_match, dims) + (i) * sizeof(struct rcw_field))

/* Where each field lands in a rcw_match: a table, not a switch, because
 * it is looked up for every capture of every line. */
static const size_t slot_offset[NFIELDS] = {
  offsetof(struct rcw_match, code), offsetof(struct rcw_match, status),
  offsetof(struct rcw_match, desc), offsetof(struct rcw_match, ts),
  DIM_OFFSET(0), DIM_OFFSET(1), DIM_OFFSET(2), DIM_OFFSET(3),
  DIM_OFFSET(4), DIM_OFFSET(5), DIM_OFFSET(6), DIM_OFFSET(7),
};
_Static_assert(RCW_MAX_DIMENSIONS == 8, "slot_offset lists every dimension");

static struct rcw_field *slot(struct rcw_match *m, enum field_id f)
{
  return (struct rcw_field *)((char *)m + slot_offset[f]);
}

/* One match, its errors folded into our three outcomes.  JIT code is
 * entered directly (pcre2_match would only add its argument checks, a
 * fifth of the cost of a short match); it honours the match limit and its
 * stack limit from the same context.  Interpreted patterns go through
 * pcre2_match, which applies the depth and heap limits as well. */
static enum rcw_match_result run(rcw_parser *p, const struct pat *pt, const char *line,
                                 size_t len)
{
  int rc = pt->jit ? pcre2_jit_match(pt->re, (PCRE2_SPTR)line, len, 0, 0, p->md, p->mctx)
                   : pcre2_match(pt->re, (PCRE2_SPTR)line, len, 0, 0, p->md, p->mctx);
  if (rc >= 0)
    return RCW_MATCH_OK;
  switch (rc) {
  case PCRE2_ERROR_NOMATCH:
    return RCW_MATCH_NONE;
  case PCRE2_ERROR_MATCHLIMIT:
  case PCRE2_ERROR_DEPTHLIMIT:
  case PCRE2_ERROR_HEAPLIMIT:
  case PCRE2_ERROR_JIT_STACKLIMIT:
  case PCRE2_ERROR_NOMEMORY:
    return RCW_MATCH_LIMIT;
  default:
    return RCW_MATCH_NONE;
  }
}

/* Copy the captured groups of pt (only `only` when >= 0) into empty slots. */
static void take(const rcw_parser *p, const struct pat *pt, const char *line, int only,
                 struct rcw_match *m)
{
  const PCRE2_SIZE *ov = p->ovector;
  for (size_t i = 0; i < pt->ncaps; i++) {
    const struct cap *c = &pt->caps[i];
    struct rcw_field *fl = slot(m, (enum field_id)c->field);
    if ((only >= 0 && c->field != only) || fl->ptr || ov[2 * c->group] == PCRE2_UNSET)
      continue;
    fl->ptr = line + ov[2 * c->group];
    fl->len = ov[2 * c->group + 1] - ov[2 * c->group];
  }
}

/* The fields a caller's `want` covers, as a bit per field (code always). */
static uint32_t wanted(const rcw_parser *p, unsigned want)
{
  uint32_t bits = 1u << F_CODE;
  if (want & RCW_WANT_STATUS)
    bits |= 1u << F_STATUS;
  if (want & RCW_WANT_DESC)
    bits |= 1u << F_DESC;
  if (want & RCW_WANT_TS)
    bits |= 1u << F_TS;
  if (want & RCW_WANT_DIMS)
    bits |= ((1u << p->ndims) - 1) << F_DIM0;
  return bits;
}

static bool digit_at(const char *s, size_t len, size_t i)
{
  return i < len && s[i] >= '0' && s[i] <= '9';
}

static bool digits_at(const char *s, size_t len, size_t i, size_t n)
{
  for (size_t k = 0; k < n; k++)
    if (!digit_at(s, len, i + k))
      return false;
  return true;
}

static bool char_at(const char *s, size_t len, size_t i, char ch)
{
  return i < len && s[i] == ch;
}

#define ISO_HEAD_LEN 16

/* The regex's required part, "\d{4}-\d\d-\d\d[T ]\d\d:\d\d", at 0. */
static bool iso_head_at_start(rcw_parser *p, const char *s, size_t len)
{
  if (len < ISO_HEAD_LEN)
    return false;
  if (p->iso_head_ok && memcmp(s, p->iso_head, ISO_HEAD_LEN) == 0)
    return true;
  if (!(digits_at(s, len, 0, 4) && s[4] == '-' && digits_at(s, len, 5, 2) && s[7] == '-' &&
        digits_at(s, len, 8, 2) && (s[10] == 'T' || s[10] == ' ') &&
        digits_at(s, len, 11, 2) && s[13] == ':' && digits_at(s, len, 14, 2)))
    return false;
  memcpy(p->iso_head, s, ISO_HEAD_LEN);
  p->iso_head_ok = true;
  return true;
}

static bool is_digit_char(char ch)
{
  return ch >= '0' && ch <= '9';
}

/* After the head, the shape most lines have, ":SS,mmm" followed by
 * neither a digit nor an offset: checked with one bound for all bytes.
 * The span the general reading below would give, or 0. */
static size_t iso_common_span(const char *s, size_t len)
{
  if (len < ISO_HEAD_LEN + 8)
    return 0;
  const char *t = s + ISO_HEAD_LEN;
  if (t[0] != ':' || !is_digit_char(t[1]) || !is_digit_char(t[2]) ||
      (t[3] != '.' && t[3] != ',') || !is_digit_char(t[4]) || !is_digit_char(t[5]) ||
      !is_digit_char(t[6]))
    return 0;
  if (is_digit_char(t[7]) || t[7] == 'Z' || t[7] == '+' || t[7] == '-')
    return 0;
  return ISO_HEAD_LEN + 7;
}

/* The length of RCW_ISO_TS_REGEX's match starting at 0, or 0 when it does
 * not match there.  Each optional part below is one of the regex's
 * possessive groups, taken whole when it matches. */
static size_t iso_ts_at_start(rcw_parser *p, const char *s, size_t len)
{
  if (!iso_head_at_start(p, s, len))
    return 0;
  size_t n = iso_common_span(s, len);
  if (n)
    return n;
  n = ISO_HEAD_LEN;
  if (char_at(s, len, n, ':') && digits_at(s, len, n + 1, 2)) {
    n += 3;
    if ((char_at(s, len, n, '.') || char_at(s, len, n, ',')) && digit_at(s, len, n + 1)) {
      n += 2;
      while (digit_at(s, len, n))
        n++;
    }
  }
  if (char_at(s, len, n, 'Z')) {
    n++;
  } else if ((char_at(s, len, n, '+') || char_at(s, len, n, '-')) &&
             digits_at(s, len, n + 1, 2)) {
    n += 3;
    /* (?::?\d\d)?+ : a colon counts only with two digits after it. */
    if (char_at(s, len, n, ':') && digits_at(s, len, n + 1, 2))
      n += 3;
    else if (digits_at(s, len, n, 2))
      n += 2;
  }
  return n;
}

/* One wanted field the main match left empty: its field patterns, in
 * order, until one fills it.  Out of line: its regex calls need a frame
 * the time at the start of the line, nearly every line, does not. */
__attribute__((noinline)) static void fill_field(rcw_parser *p, const char *line, size_t len, enum field_id f,
                       struct rcw_match *m)
{
  struct rcw_field *fl = slot(m, f);
  for (size_t i = p->fp_first[f]; i != NO_FP && !fl->ptr; i = p->fps[i].next) {
    const struct fieldpat *fp = &p->fps[i];
    size_t n = fp->iso_at_start ? iso_ts_at_start(p, line, len) : 0;
    if (n)
      *fl = (struct rcw_field){line, n};
    else if (run(p, &fp->pat, line, len) == RCW_MATCH_OK)
      take(p, &fp->pat, line, (int)f, m);
  }
}

/* iso_ts_at_start when the line starts with the last head accepted and
 * has the common shape after it: small enough to inline.  0 otherwise,
 * and then iso_ts_at_start decides. */
static inline size_t iso_ts_common(const rcw_parser *p, const char *s, size_t len)
{
  if (!p->iso_head_ok || len < ISO_HEAD_LEN || memcmp(s, p->iso_head, ISO_HEAD_LEN) != 0)
    return 0;
  return iso_common_span(s, len);
}

/* A field pattern writes only its own field, so fields are filled one
 * after another, each trying just its own patterns. */
static void fill_fields(rcw_parser *p, const char *line, size_t len, uint32_t need,
                        struct rcw_match *m)
{
  for (; need; need &= need - 1) {
    enum field_id f = (enum field_id)__builtin_ctz(need);
    struct rcw_field *fl = slot(m, f);
    size_t n;
    if (fl->ptr)
      continue;
    /* What fill_field would find first, without its set-up. */
    if (f == F_TS && p->ts_at_start &&
        ((n = iso_ts_common(p, line, len)) != 0 || (n = iso_ts_at_start(p, line, len)) != 0))
      *fl = (struct rcw_field){line, n};
    else
      fill_field(p, line, len, f, m);
  }
}

/* Field by field: gcc turns a memset of the struct into rep stos, whose
 * start-up cost showed as a tenth of a short match. */
static void clear_match(struct rcw_match *m)
{
  static const struct rcw_field none = {NULL, 0};
  m->code = none;
  m->status = none;
  m->desc = none;
  m->ts = none;
  for (size_t i = 0; i < RCW_MAX_DIMENSIONS; i++)
    m->dims[i] = none;
  m->pattern_index = -1;
}

enum rcw_match_result rcw_parser_match(rcw_parser *p, const char *line, size_t len,
                                       unsigned want, struct rcw_match *m)
{
  clear_match(m);
  if (!line)
    line = "";
  len = rcw_line_strip_cr(line, len);
  for (size_t i = 0; i < p->npats; i++) {
    enum rcw_match_result r = run(p, &p->pats[i], line, len);
    if (r == RCW_MATCH_NONE)
      continue;
    if (r == RCW_MATCH_LIMIT)
      return r;
    m->pattern_index = (int)i;
    take(p, &p->pats[i], line, -1, m);
    uint32_t need = wanted(p, want) & p->fp_fields;
    if (need)
      fill_fields(p, line, len, need, m);
    return RCW_MATCH_OK;
  }
  return RCW_MATCH_NONE;
}

void rcw_parser_fill(rcw_parser *p, const char *line, size_t len, unsigned want,
                     struct rcw_match *m)
{
  if (!line || m->pattern_index < 0)
    return;
  uint32_t need = wanted(p, want) & p->fp_fields;
  if (need)
    fill_fields(p, line, rcw_line_strip_cr(line, len), need, m);
}
