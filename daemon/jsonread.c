#include "jsonread.h"
#include "utf8.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A caller may ask for deeper nesting, but the reader recurses once per
 * level, so the stack sets a ceiling no limit can lift. */
#define DEPTH_CEILING 1024
/* strtod needs a NUL-terminated copy; no JSON rcwatch writes comes near. */
#define NUMBER_MAX_LEN 512

struct rcw_jdoc {
  struct rcw_jval root;
  size_t nvalues;
};

struct reader {
  const unsigned char *p, *end;
  int line;
  const unsigned char *line_start;
  /* Column cache: col_pos is at column col.  Positions asked for only move
   * forward, so columns cost O(n) over the whole document. */
  const unsigned char *col_pos;
  int col;
  size_t depth, max_depth;
  size_t values, max_values;
  struct rcw_jread_error *err;
  int rc;
};

static int column_at(struct reader *r, const unsigned char *pos)
{
  if (r->col_pos < r->line_start || pos < r->col_pos) {
    r->col_pos = r->line_start;
    r->col = 1;
  }
  for (; r->col_pos < pos; r->col_pos++)
    if ((*r->col_pos & 0xC0) != 0x80) /* UTF-8 continuation bytes add no column */
      r->col++;
  return r->col;
}

static void set_error(struct reader *r, int line, int column, int rc, const char *fmt,
                      va_list ap)
{
  r->rc = rc;
  if (!r->err)
    return;
  r->err->line = line;
  r->err->column = column;
  vsnprintf(r->err->message, sizeof(r->err->message), fmt, ap);
}

__attribute__((format(printf, 4, 5)))
static int fail_at(struct reader *r, const unsigned char *pos, int rc, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  set_error(r, r->line, column_at(r, pos), rc, fmt, ap);
  va_end(ap);
  return -1;
}

__attribute__((format(printf, 4, 5)))
static int fail_val(struct reader *r, const struct rcw_jval *v, int rc, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  set_error(r, v->line, v->column, rc, fmt, ap);
  va_end(ap);
  return -1;
}

static int fail_oom(struct reader *r)
{
  return fail_at(r, r->p, -ENOMEM, "out of memory");
}

static void skip_ws(struct reader *r)
{
  while (r->p < r->end) {
    unsigned char c = *r->p;
    if (c == '\n') {
      r->line++;
      r->line_start = r->p + 1;
    } else if (c != ' ' && c != '\t' && c != '\r') {
      return;
    }
    r->p++;
  }
}

static void free_val(struct rcw_jval *v)
{
  switch (v->type) {
  case RCW_JSTRING:
    free(v->u.str.s);
    break;
  case RCW_JARRAY:
    for (size_t i = 0; i < v->u.arr.n; i++)
      free_val(&v->u.arr.items[i]);
    free(v->u.arr.items);
    break;
  case RCW_JOBJECT:
    for (size_t i = 0; i < v->u.obj.n; i++) {
      free(v->u.obj.members[i].key);
      free_val(&v->u.obj.members[i].value);
    }
    free(v->u.obj.members);
    break;
  default:
    break;
  }
  v->type = RCW_JNULL;
}

/* --- strings ------------------------------------------------------------ */

static int hex4(const unsigned char *s, unsigned *out)
{
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned c = s[i], d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
      d = (c | 0x20) - 'a' + 10;
    else
      return -1;
    v = v << 4 | d;
  }
  *out = v;
  return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xC0 | cp >> 6);
    o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | cp >> 12);
    o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | cp >> 18);
  o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
  o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
  o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* \uXXXX at s (s points at the 'u'), with its low surrogate when it is a
 * high one.  Sets *cp and returns the bytes consumed after the backslash. */
static int unicode_escape(struct reader *r, const unsigned char *s, const unsigned char *end,
                          unsigned *cp, size_t *used)
{
  unsigned hi, lo;
  if (end - s < 5 || hex4(s + 1, &hi) < 0)
    return fail_at(r, s - 1, -EINVAL, "invalid \\u escape (expected 4 hex digits)");
  *used = 5;
  *cp = hi;
  if (hi >= 0xDC00 && hi <= 0xDFFF)
    return fail_at(r, s - 1, -EINVAL, "unpaired low surrogate \\u%04X", hi);
  if (hi < 0xD800 || hi > 0xDBFF)
    return 0;
  if (end - s < 11 || s[5] != '\\' || s[6] != 'u' || hex4(s + 7, &lo) < 0 ||
      lo < 0xDC00 || lo > 0xDFFF)
    return fail_at(r, s - 1, -EINVAL, "unpaired high surrogate \\u%04X", hi);
  *cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
  *used = 11;
  return 0;
}

static int simple_escape(unsigned char c, char *out)
{
  static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
  const char *hit = c ? strchr(from, c) : NULL;
  if (!hit)
    return -1;
  *out = to[hit - from];
  return 0;
}

/* One escape sequence at s (the backslash): appends to o, returns the input
 * bytes consumed, or 0 after an error. */
static size_t decode_escape(struct reader *r, const unsigned char *s, const unsigned char *end,
                            char *o, size_t *olen)
{
  if (end - s < 2) {
    fail_at(r, s, -EINVAL, "unterminated escape");
    return 0;
  }
  if (s[1] != 'u') {
    if (simple_escape(s[1], o + *olen) < 0) {
      int shown = s[1] >= 0x20 && s[1] < 0x7F ? s[1] : '?';
      fail_at(r, s, -EINVAL, "invalid escape '\\%c'", shown);
      return 0;
    }
    (*olen)++;
    return 2;
  }
  unsigned cp = 0;
  size_t used;
  if (unicode_escape(r, s + 1, end, &cp, &used) < 0)
    return 0;
  *olen += put_utf8(o + *olen, cp);
  return 1 + used;
}

/* Decode the string body s[0..end) (quotes excluded) into o, which has
 * room for end - s + 1 bytes: no escape makes its text longer. */
static int decode_string(struct reader *r, const unsigned char *s, const unsigned char *end,
                         char *o, size_t *olen)
{
  *olen = 0;
  while (s < end) {
    size_t n = 1;
    if (*s == '\\') {
      n = decode_escape(r, s, end, o, olen);
      if (n == 0)
        return -1;
    } else if (*s < 0x20) {
      return fail_at(r, s, -EINVAL, "control character 0x%02X in string", *s);
    } else if (*s < 0x80) {
      o[(*olen)++] = (char)*s;
    } else {
      n = rcw_utf8_decode(s, (size_t)(end - s), NULL);
      if (n == 0)
        return fail_at(r, s, -EINVAL, "invalid UTF-8 in string");
      memcpy(o + *olen, s, n);
      *olen += n;
    }
    s += n;
  }
  o[*olen] = '\0';
  return 0;
}

/* The string at r->p (an opening quote). */
static int parse_string(struct reader *r, char **out, size_t *outlen)
{
  const unsigned char *start = r->p, *q = r->p + 1;
  while (q < r->end && *q != '"')
    q += (*q == '\\' && q + 1 < r->end) ? 2 : 1;
  if (q >= r->end)
    return fail_at(r, start, -EINVAL, "unterminated string");
  char *buf = malloc((size_t)(q - start));
  if (!buf)
    return fail_oom(r);
  if (decode_string(r, start + 1, q, buf, outlen) < 0) {
    free(buf);
    return -1;
  }
  *out = buf;
  r->p = q + 1;
  return 0;
}

/* --- numbers and literals ----------------------------------------------- */

static const unsigned char *skip_digits(const unsigned char *p, const unsigned char *end)
{
  while (p < end && *p >= '0' && *p <= '9')
    p++;
  return p;
}

static const unsigned char *number_error(struct reader *r, const unsigned char *at,
                                         const char *what)
{
  fail_at(r, at, -EINVAL, "%s", what);
  return NULL;
}

/* Scan the number grammar; sets *integral when it has no fraction or
 * exponent.  Returns the end of the number, or NULL after an error. */
static const unsigned char *scan_number(struct reader *r, bool *integral)
{
  const unsigned char *p = r->p, *end = r->end, *d;
  if (p < end && *p == '-')
    p++;
  if (p >= end || *p < '0' || *p > '9')
    return number_error(r, p, "invalid number");
  if (*p == '0' && p + 1 < end && p[1] >= '0' && p[1] <= '9')
    return number_error(r, p, "leading zero in number");
  p = skip_digits(p, end);
  *integral = true;
  if (p < end && *p == '.') {
    d = skip_digits(p + 1, end);
    if (d == p + 1)
      return number_error(r, d, "expected a digit after '.'");
    p = d;
    *integral = false;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < end && (*p == '+' || *p == '-'))
      p++;
    d = skip_digits(p, end);
    if (d == p)
      return number_error(r, d, "expected a digit in the exponent");
    p = d;
    *integral = false;
  }
  return p;
}

/* Digits of an integer token read exactly into int64/uint64 where they fit. */
static void exact_integer(const char *tok, struct rcw_jval *v)
{
  bool neg = *tok == '-';
  uint64_t mag = 0;
  for (const char *c = tok + neg; *c; c++) {
    unsigned dgt = (unsigned)(*c - '0');
    if (mag > (UINT64_MAX - dgt) / 10)
      return; /* past uint64: only the double is meaningful */
    mag = mag * 10 + dgt;
  }
  if (!neg) {
    v->u.num.is_uint = true;
    v->u.num.u = mag;
    v->u.num.is_int = mag <= (uint64_t)INT64_MAX;
    v->u.num.i = v->u.num.is_int ? (int64_t)mag : 0;
  } else if (mag <= (uint64_t)INT64_MAX + 1) {
    v->u.num.is_int = true;
    v->u.num.i = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    v->u.num.is_uint = mag == 0;
  }
}

/* 1e3 or 2.0 are integral too; beyond 2^53 a double no longer pins down
 * one integer, so only those below count as exact. */
static void integral_double(struct rcw_jval *v)
{
  double d = v->u.num.d;
  if (d != floor(d) || fabs(d) > 9007199254740992.0)
    return;
  v->u.num.is_int = true;
  v->u.num.i = (int64_t)d;
  v->u.num.is_uint = d >= 0;
  v->u.num.u = d >= 0 ? (uint64_t)d : 0;
}

static int parse_number(struct reader *r, struct rcw_jval *v)
{
  bool integral;
  const unsigned char *end = scan_number(r, &integral);
  if (!end)
    return -1;
  size_t len = (size_t)(end - r->p);
  if (len > NUMBER_MAX_LEN)
    return fail_at(r, r->p, -EINVAL, "number longer than %d characters", NUMBER_MAX_LEN);
  char tok[NUMBER_MAX_LEN + 1];
  memcpy(tok, r->p, len);
  tok[len] = '\0';
  v->type = RCW_JNUMBER;
  memset(&v->u.num, 0, sizeof(v->u.num));
  v->u.num.d = strtod(tok, NULL);
  if (isinf(v->u.num.d))
    return fail_at(r, r->p, -EINVAL, "number out of range");
  if (integral)
    exact_integer(tok, v);
  else
    integral_double(v);
  r->p = end;
  return 0;
}

static int parse_literal(struct reader *r, struct rcw_jval *v)
{
  static const struct { const char *word; enum rcw_jtype type; bool b; } lits[] = {
    {"true", RCW_JBOOL, true}, {"false", RCW_JBOOL, false}, {"null", RCW_JNULL, false},
  };
  for (size_t i = 0; i < sizeof(lits) / sizeof(lits[0]); i++) {
    size_t n = strlen(lits[i].word);
    if ((size_t)(r->end - r->p) >= n && memcmp(r->p, lits[i].word, n) == 0) {
      v->type = lits[i].type;
      v->u.b = lits[i].b;
      r->p += n;
      return 0;
    }
  }
  return fail_at(r, r->p, -EINVAL, "invalid literal (expected true, false or null)");
}

/* --- containers ---------------------------------------------------------- */

static int parse_value(struct reader *r, struct rcw_jval *v);

static int grow(struct reader *r, void **items, size_t *cap, size_t n, size_t size)
{
  if (n < *cap)
    return 0;
  size_t ncap = *cap ? *cap * 2 : 4;
  void *p = realloc(*items, ncap * size);
  if (!p)
    return fail_oom(r);
  *items = p;
  *cap = ncap;
  return 0;
}

static int enter(struct reader *r)
{
  if (++r->depth > r->max_depth)
    return fail_at(r, r->p, -E2BIG, "nesting deeper than %zu levels", r->max_depth);
  r->p++; /* the opening bracket */
  skip_ws(r);
  return 0;
}

/* After an element: 1 when the container goes on, 0 at its close. */
static int after_element(struct reader *r, unsigned char close)
{
  skip_ws(r);
  if (r->p < r->end && *r->p == ',') {
    r->p++;
    return 1;
  }
  if (r->p < r->end && *r->p == close) {
    r->p++;
    r->depth--;
    return 0;
  }
  if (r->p >= r->end)
    return fail_at(r, r->p, -EINVAL, "unexpected end of input (expected ',' or '%c')", close);
  return fail_at(r, r->p, -EINVAL, "expected ',' or '%c'", close);
}

static int parse_array(struct reader *r, struct rcw_jval *v)
{
  size_t cap = 0;
  int more;
  v->type = RCW_JARRAY;
  v->u.arr.items = NULL;
  v->u.arr.n = 0;
  if (enter(r) < 0)
    return -1;
  if (r->p < r->end && *r->p == ']') {
    r->p++;
    r->depth--;
    return 0;
  }
  do {
    if (grow(r, (void **)&v->u.arr.items, &cap, v->u.arr.n, sizeof(*v->u.arr.items)) < 0 ||
        parse_value(r, &v->u.arr.items[v->u.arr.n]) < 0)
      return -1;
    v->u.arr.n++;
  } while ((more = after_element(r, ']')) > 0);
  return more;
}

static int key_cmp(const void *a, const void *b)
{
  const struct rcw_jmember *x = *(const struct rcw_jmember *const *)a;
  const struct rcw_jmember *y = *(const struct rcw_jmember *const *)b;
  if (x->key_len != y->key_len)
    return x->key_len < y->key_len ? -1 : 1;
  int c = memcmp(x->key, y->key, x->key_len);
  if (c != 0)
    return c;
  return x < y ? -1 : x > y; /* document order among equals */
}

/* Sorting pointers keeps the check O(n log n) for objects of any size. */
static int check_duplicates(struct reader *r, const struct rcw_jval *obj)
{
  size_t n = obj->u.obj.n;
  if (n < 2)
    return 0;
  const struct rcw_jmember **sorted = malloc(n * sizeof(*sorted));
  if (!sorted)
    return fail_oom(r);
  for (size_t i = 0; i < n; i++)
    sorted[i] = &obj->u.obj.members[i];
  qsort(sorted, n, sizeof(*sorted), key_cmp);
  const struct rcw_jmember *dup = NULL;
  for (size_t i = 1; i < n && !dup; i++)
    if (sorted[i]->key_len == sorted[i - 1]->key_len &&
        memcmp(sorted[i]->key, sorted[i - 1]->key, sorted[i]->key_len) == 0)
      dup = sorted[i];
  free(sorted);
  if (dup)
    return fail_val(r, &dup->value, -EINVAL, "duplicate key \"%.60s\"", dup->key);
  return 0;
}

static int parse_member(struct reader *r, struct rcw_jmember *m)
{
  m->key = NULL;
  m->value.type = RCW_JNULL;
  skip_ws(r);
  if (r->p >= r->end || *r->p != '"')
    return fail_at(r, r->p, -EINVAL, "expected a string key");
  if (parse_string(r, &m->key, &m->key_len) < 0)
    return -1;
  skip_ws(r);
  if (r->p >= r->end || *r->p != ':')
    return fail_at(r, r->p, -EINVAL, "expected ':' after the key");
  r->p++;
  return parse_value(r, &m->value);
}

static int parse_object(struct reader *r, struct rcw_jval *v)
{
  size_t cap = 0;
  int more;
  v->type = RCW_JOBJECT;
  v->u.obj.members = NULL;
  v->u.obj.n = 0;
  if (enter(r) < 0)
    return -1;
  if (r->p < r->end && *r->p == '}') {
    r->p++;
    r->depth--;
    return 0;
  }
  do {
    if (grow(r, (void **)&v->u.obj.members, &cap, v->u.obj.n, sizeof(*v->u.obj.members)) < 0)
      return -1;
    struct rcw_jmember *m = &v->u.obj.members[v->u.obj.n];
    int rc = parse_member(r, m);
    if (m->key)
      v->u.obj.n++; /* counted so a failure frees the key and value */
    if (rc < 0)
      return -1;
  } while ((more = after_element(r, '}')) > 0);
  return more < 0 ? -1 : check_duplicates(r, v);
}

static int parse_value(struct reader *r, struct rcw_jval *v)
{
  v->type = RCW_JNULL;
  skip_ws(r);
  v->line = r->line;
  v->column = column_at(r, r->p);
  if (r->p >= r->end)
    return fail_at(r, r->p, -EINVAL, "unexpected end of input (expected a value)");
  if (++r->values > r->max_values)
    return fail_at(r, r->p, -E2BIG, "more than %zu values", r->max_values);
  unsigned char c = *r->p;
  int rc;
  if (c == '{')
    rc = parse_object(r, v);
  else if (c == '[')
    rc = parse_array(r, v);
  else if (c == '"') {
    v->type = RCW_JSTRING;
    v->u.str.s = NULL;
    rc = parse_string(r, &v->u.str.s, &v->u.str.len);
  } else if (c == '-' || (c >= '0' && c <= '9'))
    rc = parse_number(r, v);
  else if (c == 't' || c == 'f' || c == 'n')
    rc = parse_literal(r, v);
  else if (c >= 0x20 && c < 0x7F)
    rc = fail_at(r, r->p, -EINVAL, "unexpected character '%c'", c);
  else
    rc = fail_at(r, r->p, -EINVAL, "unexpected byte 0x%02X", c);
  if (rc < 0)
    free_val(v);
  return rc;
}

/* --- public ---------------------------------------------------------------- */

static size_t limit_or(size_t value, size_t dflt)
{
  return value ? value : dflt;
}

static void reader_init(struct reader *r, const char *data, size_t len,
                        const struct rcw_jread_limits *lim, struct rcw_jread_error *err)
{
  memset(r, 0, sizeof(*r));
  r->p = (const unsigned char *)data;
  r->end = r->p + len;
  r->line = 1;
  r->line_start = r->col_pos = r->p;
  r->col = 1;
  r->max_depth = limit_or(lim ? lim->max_depth : 0, RCW_JREAD_MAX_DEPTH);
  if (r->max_depth > DEPTH_CEILING)
    r->max_depth = DEPTH_CEILING;
  r->max_values = limit_or(lim ? lim->max_values : 0, RCW_JREAD_MAX_VALUES);
  r->err = err;
}

int rcw_jread_parse(const char *data, size_t len, const struct rcw_jread_limits *lim,
                    rcw_jdoc **out, struct rcw_jread_error *err)
{
  struct reader r;
  size_t max_size = limit_or(lim ? lim->max_size : 0, RCW_JREAD_MAX_SIZE);
  if (err)
    memset(err, 0, sizeof(*err));
  if (len > max_size) {
    if (err)
      snprintf(err->message, sizeof(err->message), "larger than %zu bytes", max_size);
    return -E2BIG;
  }
  reader_init(&r, data ? data : "", data ? len : 0, lim, err);
  rcw_jdoc *doc = calloc(1, sizeof(*doc));
  if (!doc) {
    fail_oom(&r);
    return r.rc;
  }
  if (parse_value(&r, &doc->root) == 0) {
    skip_ws(&r);
    if (r.p < r.end)
      fail_at(&r, r.p, -EINVAL, "unexpected data after the JSON value");
  }
  if (r.rc < 0) {
    free_val(&doc->root);
    free(doc);
    return r.rc;
  }
  doc->nvalues = r.values;
  *out = doc;
  return 0;
}

void rcw_jdoc_free(rcw_jdoc *doc)
{
  if (!doc)
    return;
  free_val(&doc->root);
  free(doc);
}

const struct rcw_jval *rcw_jdoc_root(const rcw_jdoc *doc)
{
  return &doc->root;
}

size_t rcw_jdoc_value_count(const rcw_jdoc *doc)
{
  return doc->nvalues;
}

const struct rcw_jval *rcw_jval_get(const struct rcw_jval *v, const char *key)
{
  if (!v || v->type != RCW_JOBJECT)
    return NULL;
  size_t len = strlen(key);
  for (size_t i = 0; i < v->u.obj.n; i++) {
    const struct rcw_jmember *m = &v->u.obj.members[i];
    if (m->key_len == len && memcmp(m->key, key, len) == 0)
      return &m->value;
  }
  return NULL;
}

const char *rcw_jtype_name(enum rcw_jtype t)
{
  switch (t) {
  case RCW_JNULL: return "null";
  case RCW_JBOOL: return "a boolean";
  case RCW_JNUMBER: return "a number";
  case RCW_JSTRING: return "a string";
  case RCW_JARRAY: return "an array";
  case RCW_JOBJECT: return "an object";
  }
  return "?";
}
