/* jsonread: what strict JSON accepts and refuses, where errors point, the
 * caps, and that no input, cut short or mangled, makes it read outside
 * its buffer (every input is copied into an exact-size allocation, so the
 * sanitizer build catches a one-byte overread). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsonread.h"

/* Parse a copy of s[0..len) held in a buffer of exactly len bytes. */
static int parse_exact(const char *s, size_t len, const struct rcw_jread_limits *lim,
                       rcw_jdoc **out, struct rcw_jread_error *err)
{
  char *copy = malloc(len ? len : 1);
  assert_non_null(copy);
  memcpy(copy, s, len);
  int r = rcw_jread_parse(copy, len, lim, out, err);
  free(copy);
  return r;
}

static rcw_jdoc *parse_ok(const char *s)
{
  rcw_jdoc *doc = NULL;
  struct rcw_jread_error err;
  int r = parse_exact(s, strlen(s), NULL, &doc, &err);
  if (r != 0)
    print_error("parse of <%s> failed: %d:%d: %s\n", s, err.line, err.column, err.message);
  assert_int_equal(r, 0);
  assert_non_null(doc);
  return doc;
}

static void error_is(const char *s, int rc, int line, int column, const char *msg_part)
{
  rcw_jdoc *doc = NULL;
  struct rcw_jread_error err;
  int r = parse_exact(s, strlen(s), NULL, &doc, &err);
  if (r != rc || err.line != line || err.column != column ||
      (msg_part && !strstr(err.message, msg_part)))
    print_error("<%s>: got %d at %d:%d \"%s\"\n", s, r, err.line, err.column, err.message);
  assert_int_equal(r, rc);
  assert_null(doc);
  assert_int_equal(err.line, line);
  assert_int_equal(err.column, column);
  if (msg_part)
    assert_non_null(strstr(err.message, msg_part));
}

static void test_structure(void **state)
{
  (void)state;
  rcw_jdoc *doc = parse_ok(" {\"a\": [1, true, false, null, \"x\", {}, []],\n \"b\": {\"c\": -2}} ");
  const struct rcw_jval *root = rcw_jdoc_root(doc);
  assert_int_equal(root->type, RCW_JOBJECT);
  assert_int_equal(root->u.obj.n, 2);
  const struct rcw_jval *a = rcw_jval_get(root, "a");
  assert_non_null(a);
  assert_int_equal(a->type, RCW_JARRAY);
  assert_int_equal(a->u.arr.n, 7);
  assert_int_equal(a->u.arr.items[0].type, RCW_JNUMBER);
  assert_int_equal(a->u.arr.items[1].type, RCW_JBOOL);
  assert_true(a->u.arr.items[1].u.b);
  assert_false(a->u.arr.items[2].u.b);
  assert_int_equal(a->u.arr.items[3].type, RCW_JNULL);
  assert_string_equal(a->u.arr.items[4].u.str.s, "x");
  assert_int_equal(a->u.arr.items[5].type, RCW_JOBJECT);
  assert_int_equal(a->u.arr.items[5].u.obj.n, 0);
  assert_int_equal(a->u.arr.items[6].type, RCW_JARRAY);
  assert_int_equal(a->u.arr.items[6].u.arr.n, 0);
  const struct rcw_jval *c = rcw_jval_get(rcw_jval_get(root, "b"), "c");
  assert_non_null(c);
  assert_int_equal(c->u.num.i, -2);
  assert_int_equal(c->line, 2);
  assert_int_equal(c->column, 13);
  assert_null(rcw_jval_get(root, "missing"));
  assert_null(rcw_jval_get(a, "a")); /* not an object */
  assert_null(rcw_jval_get(NULL, "a"));
  assert_int_equal(rcw_jdoc_value_count(doc), 11);
  rcw_jdoc_free(doc);
  rcw_jdoc_free(NULL);

  doc = parse_ok("\"top\"");
  assert_int_equal(rcw_jdoc_root(doc)->type, RCW_JSTRING);
  rcw_jdoc_free(doc);
  doc = parse_ok("\t\r\n 7 \n");
  assert_int_equal(rcw_jdoc_root(doc)->u.num.i, 7);
  rcw_jdoc_free(doc);
}

static void string_is(const char *json, const char *bytes, size_t len)
{
  rcw_jdoc *doc = parse_ok(json);
  const struct rcw_jval *v = rcw_jdoc_root(doc);
  assert_int_equal(v->type, RCW_JSTRING);
  assert_int_equal(v->u.str.len, len);
  assert_memory_equal(v->u.str.s, bytes, len);
  assert_int_equal(v->u.str.s[len], '\0');
  rcw_jdoc_free(doc);
}

static void test_string_escapes(void **state)
{
  (void)state;
  string_is("\"\"", "", 0);
  string_is("\"a\\\"b\\\\c\\/d\"", "a\"b\\c/d", 7);
  string_is("\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t", 5);
  string_is("\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac", 6);
  string_is("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4); /* U+1F600 */
  string_is("\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf", 4); /* U+10FFFF */
  string_is("\"a\\u0000b\"", "a\0b", 3);
  string_is("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9);
  string_is("\"\xef\xbf\xbd\"", "\xef\xbf\xbd", 3); /* U+FFFD as rcw_json writes it */

  rcw_jdoc *doc = parse_ok("{\"k\\u00e9y\": 1}");
  const struct rcw_jval *root = rcw_jdoc_root(doc);
  assert_string_equal(root->u.obj.members[0].key, "k\xc3\xa9y");
  assert_non_null(rcw_jval_get(root, "k\xc3\xa9y"));
  rcw_jdoc_free(doc);
}

static void test_string_errors(void **state)
{
  (void)state;
  error_is("\"abc", -EINVAL, 1, 1, "unterminated string");
  error_is("\"ab\\\"", -EINVAL, 1, 1, "unterminated string");
  error_is("\"a\\x\"", -EINVAL, 1, 3, "invalid escape");
  error_is("\"a\\u12\"", -EINVAL, 1, 3, "4 hex digits");
  error_is("\"a\\u12g4\"", -EINVAL, 1, 3, "4 hex digits");
  error_is("\"\\ud83d\"", -EINVAL, 1, 2, "unpaired high surrogate");
  error_is("\"\\ud83dx\\ude00\"", -EINVAL, 1, 2, "unpaired high surrogate");
  error_is("\"\\ud83d\\u0041\"", -EINVAL, 1, 2, "unpaired high surrogate");
  error_is("\"\\ude00\"", -EINVAL, 1, 2, "unpaired low surrogate");
  error_is("\"a\tb\"", -EINVAL, 1, 3, "control character");
  error_is("\"a\nb\"", -EINVAL, 1, 3, "control character");
  error_is("\"\xc0\x80\"", -EINVAL, 1, 2, "invalid UTF-8"); /* overlong NUL */
  error_is("\"\xe0\x80\xaf\"", -EINVAL, 1, 2, "invalid UTF-8"); /* overlong / */
  error_is("\"\xed\xa0\x80\"", -EINVAL, 1, 2, "invalid UTF-8"); /* a surrogate */
  error_is("\"\xf4\x90\x80\x80\"", -EINVAL, 1, 2, "invalid UTF-8"); /* past U+10FFFF */
  error_is("\"\xf5\x80\x80\x80\"", -EINVAL, 1, 2, "invalid UTF-8");
  error_is("\"\x80\"", -EINVAL, 1, 2, "invalid UTF-8");
  error_is("\"ab\xc3\"", -EINVAL, 1, 4, "invalid UTF-8"); /* cut sequence */
  error_is("\"\xe2\x82\"", -EINVAL, 1, 2, "invalid UTF-8");
  error_is("{\"a\": 1, \"a\": 2}", -EINVAL, 1, 15, "duplicate key \"a\"");
  error_is("{1: 2}", -EINVAL, 1, 2, "expected a string key");
}

struct num_case {
  const char *text;
  double d;
  bool is_int, is_uint;
  int64_t i;
  uint64_t u;
};

static void test_numbers(void **state)
{
  (void)state;
  static const struct num_case cases[] = {
    {"0", 0, true, true, 0, 0},
    {"-0", 0, true, true, 0, 0},
    {"42", 42, true, true, 42, 42},
    {"-1", -1, true, false, -1, 0},
    {"1.5", 1.5, false, false, 0, 0},
    {"-0.25", -0.25, false, false, 0, 0},
    {"1e3", 1000, true, true, 1000, 1000},
    {"2.0", 2, true, true, 2, 2},
    {"1E+2", 100, true, true, 100, 100},
    {"-1.25e-2", -0.0125, false, false, 0, 0},
    {"0.083", 0.083, false, false, 0, 0},
    {"9223372036854775807", 9223372036854775807.0, true, true, INT64_MAX, INT64_MAX},
    {"9223372036854775808", 9223372036854775808.0, false, true, 0, 9223372036854775808u},
    {"18446744073709551615", 18446744073709551615.0, false, true, 0, UINT64_MAX},
    {"18446744073709551616", 18446744073709551616.0, false, false, 0, 0},
    {"-9223372036854775808", -9223372036854775808.0, true, false, INT64_MIN, 0},
    {"-9223372036854775809", -9223372036854775809.0, false, false, 0, 0},
    {"1e300", 1e300, false, false, 0, 0},
  };
  for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
    const struct num_case *c = &cases[k];
    rcw_jdoc *doc = parse_ok(c->text);
    const struct rcw_jval *v = rcw_jdoc_root(doc);
    assert_int_equal(v->type, RCW_JNUMBER);
    if (v->u.num.d != c->d || v->u.num.is_int != c->is_int || v->u.num.is_uint != c->is_uint)
      print_error("number %s: %.17g int %d uint %d\n", c->text, v->u.num.d, v->u.num.is_int,
                  v->u.num.is_uint);
    assert_true(v->u.num.d == c->d);
    assert_int_equal(v->u.num.is_int, c->is_int);
    assert_int_equal(v->u.num.is_uint, c->is_uint);
    if (c->is_int)
      assert_true(v->u.num.i == c->i);
    if (c->is_uint)
      assert_true(v->u.num.u == c->u);
    rcw_jdoc_free(doc);
  }
}

static void test_number_errors(void **state)
{
  (void)state;
  error_is("01", -EINVAL, 1, 1, "leading zero");
  error_is("-01", -EINVAL, 1, 2, "leading zero");
  error_is("-", -EINVAL, 1, 2, "invalid number");
  error_is("-a", -EINVAL, 1, 2, "invalid number");
  error_is("1.", -EINVAL, 1, 3, "digit after '.'");
  error_is("1.e5", -EINVAL, 1, 3, "digit after '.'");
  error_is("1e", -EINVAL, 1, 3, "exponent");
  error_is("1e+", -EINVAL, 1, 4, "exponent");
  error_is(".5", -EINVAL, 1, 1, "unexpected character '.'");
  error_is("+1", -EINVAL, 1, 1, "unexpected character '+'");
  error_is("0x10", -EINVAL, 1, 2, "unexpected data");
  error_is("NaN", -EINVAL, 1, 1, "unexpected character 'N'");
  error_is("Infinity", -EINVAL, 1, 1, "unexpected character 'I'");
  error_is("1e400", -EINVAL, 1, 1, "out of range");
  error_is("-1e400", -EINVAL, 1, 1, "out of range");
  char *longnum = malloc(600);
  assert_non_null(longnum);
  memset(longnum, '7', 599);
  longnum[599] = '\0';
  error_is(longnum, -EINVAL, 1, 1, "longer than");
  free(longnum);
}

static void test_syntax_errors(void **state)
{
  (void)state;
  error_is("", -EINVAL, 1, 1, "unexpected end of input");
  error_is("   \n  ", -EINVAL, 2, 3, "unexpected end of input");
  error_is("[1, 2,]", -EINVAL, 1, 7, "unexpected character ']'");
  error_is("{\"a\": 1,}", -EINVAL, 1, 9, "expected a string key");
  error_is("[1 2]", -EINVAL, 1, 4, "expected ',' or ']'");
  error_is("{\"a\" 1}", -EINVAL, 1, 6, "expected ':'");
  error_is("{\"a\": 1 \"b\": 2}", -EINVAL, 1, 9, "expected ',' or '}'");
  error_is("[1, 2", -EINVAL, 1, 6, "unexpected end of input");
  error_is("{\"a\":", -EINVAL, 1, 6, "unexpected end of input");
  error_is("[1] [2]", -EINVAL, 1, 5, "unexpected data after");
  error_is("tru", -EINVAL, 1, 1, "invalid literal");
  error_is("nul", -EINVAL, 1, 1, "invalid literal");
  error_is("trueish", -EINVAL, 1, 5, "unexpected data after");
  error_is("[True]", -EINVAL, 1, 2, "unexpected character 'T'");
  error_is("// c\n1", -EINVAL, 1, 1, "unexpected character '/'");
  error_is("[1] /* c */", -EINVAL, 1, 5, "unexpected data after");
  error_is("\xef\xbb\xbf{}", -EINVAL, 1, 1, "unexpected byte 0xEF"); /* a BOM */
  error_is("[\x01]", -EINVAL, 1, 2, "unexpected byte 0x01");
  error_is("{\n  \"a\": [1,\n    2,\n    x]\n}", -EINVAL, 4, 5, "unexpected character 'x'");
  /* Columns count characters: the two-byte é is one column. */
  error_is("[\"\xc3\xa9\xc3\xa9\", y]", -EINVAL, 1, 8, "unexpected character 'y'");
  error_is("[1,\r\n 2 3]", -EINVAL, 2, 4, "expected ',' or ']'");
}

static char *nested(size_t depth, const char *open, const char *close)
{
  size_t lo = strlen(open), lc = strlen(close);
  char *s = malloc(depth * (lo + lc) + 2);
  assert_non_null(s);
  char *p = s;
  for (size_t i = 0; i < depth; i++, p += lo)
    memcpy(p, open, lo);
  *p++ = '1';
  for (size_t i = 0; i < depth; i++, p += lc)
    memcpy(p, close, lc);
  *p = '\0';
  return s;
}

static void test_depth_cap(void **state)
{
  (void)state;
  char *ok = nested(RCW_JREAD_MAX_DEPTH, "[", "]");
  rcw_jdoc *doc = parse_ok(ok);
  const struct rcw_jval *v = rcw_jdoc_root(doc);
  for (int i = 0; i < RCW_JREAD_MAX_DEPTH; i++)
    v = &v->u.arr.items[0];
  assert_int_equal(v->u.num.i, 1);
  rcw_jdoc_free(doc);
  free(ok);

  char *deep = nested(RCW_JREAD_MAX_DEPTH + 1, "[", "]");
  error_is(deep, -E2BIG, 1, RCW_JREAD_MAX_DEPTH + 1, "nesting deeper than 64");
  free(deep);
  deep = nested(RCW_JREAD_MAX_DEPTH + 1, "{\"k\":", "}");
  error_is(deep, -E2BIG, 1, 5 * RCW_JREAD_MAX_DEPTH + 1, "nesting deeper");
  free(deep);

  /* Far past the cap, and past what the stack could take unchecked. */
  deep = nested(1000000, "[", "]");
  error_is(deep, -E2BIG, 1, RCW_JREAD_MAX_DEPTH + 1, "nesting deeper");
  free(deep);

  struct rcw_jread_limits lim = {.max_depth = 3};
  rcw_jdoc *d2 = NULL;
  struct rcw_jread_error err;
  assert_int_equal(parse_exact("[[[1]]]", 7, &lim, &d2, &err), 0);
  rcw_jdoc_free(d2);
  d2 = NULL;
  assert_int_equal(parse_exact("[[[[1]]]]", 9, &lim, &d2, &err), -E2BIG);
  assert_null(d2);
  lim.max_depth = 1000000; /* the ceiling still holds */
  deep = nested(100000, "[", "]");
  assert_int_equal(parse_exact(deep, strlen(deep), &lim, &d2, &err), -E2BIG);
  free(deep);
}

static void test_size_and_value_caps(void **state)
{
  (void)state;
  struct rcw_jread_limits lim = {.max_size = 8};
  rcw_jdoc *doc = NULL;
  struct rcw_jread_error err;
  assert_int_equal(parse_exact("[1,2,3]", 7, &lim, &doc, &err), 0);
  rcw_jdoc_free(doc);
  doc = NULL;
  assert_int_equal(parse_exact("[1,2,3,4]", 9, &lim, &doc, &err), -E2BIG);
  assert_null(doc);
  assert_int_equal(err.line, 0);
  assert_non_null(strstr(err.message, "larger than 8 bytes"));

  struct rcw_jread_limits vlim = {.max_values = 4};
  assert_int_equal(parse_exact("[1,2,3]", 7, &vlim, &doc, &err), 0);
  assert_int_equal(rcw_jdoc_value_count(doc), 4);
  rcw_jdoc_free(doc);
  doc = NULL;
  assert_int_equal(parse_exact("[1,2,3,4]", 9, &vlim, &doc, &err), -E2BIG);
  assert_null(doc);
  assert_int_equal(err.column, 8);
  assert_non_null(strstr(err.message, "more than 4 values"));
  assert_int_equal(parse_exact("{\"a\":{\"b\":[1,[]]}}", 18, &vlim, &doc, &err), -E2BIG);
  assert_int_equal(rcw_jread_parse(NULL, 0, NULL, &doc, NULL), -EINVAL);
}

static void test_big_inputs(void **state)
{
  (void)state;
  enum { N = 200000 };
  char *s = malloc((size_t)N * 12 + 16);
  assert_non_null(s);
  size_t len = 0;
  s[len++] = '[';
  for (int i = 0; i < N; i++)
    len += (size_t)sprintf(s + len, "%s%d", i ? "," : "", i * 7 - 3);
  s[len++] = ']';
  rcw_jdoc *doc = NULL;
  struct rcw_jread_error err;
  assert_int_equal(parse_exact(s, len, NULL, &doc, &err), 0);
  const struct rcw_jval *root = rcw_jdoc_root(doc);
  assert_int_equal(root->u.arr.n, N);
  for (int i = 0; i < N; i++)
    assert_true(root->u.arr.items[i].u.num.i == (int64_t)i * 7 - 3);
  rcw_jdoc_free(doc);

  /* One long line: the error column is found without quadratic cost. */
  s[len - 1] = 'x';
  assert_int_equal(parse_exact(s, len, NULL, &doc, &err), -EINVAL);
  assert_int_equal(err.line, 1);
  assert_int_equal(err.column, (int)len);
  free(s);

  size_t slen = (size_t)4 << 20;
  s = malloc(slen + 2);
  assert_non_null(s);
  s[0] = '"';
  for (size_t i = 1; i <= slen; i++)
    s[i] = (char)('a' + i % 26);
  s[slen + 1] = '"';
  assert_int_equal(parse_exact(s, slen + 2, NULL, &doc, &err), 0);
  assert_int_equal(rcw_jdoc_root(doc)->u.str.len, slen);
  assert_memory_equal(rcw_jdoc_root(doc)->u.str.s, s + 1, slen);
  rcw_jdoc_free(doc);
  free(s);

  /* A wide object: the duplicate check must not be quadratic either. */
  enum { M = 100000 };
  s = malloc((size_t)M * 20 + 16);
  assert_non_null(s);
  len = 0;
  s[len++] = '{';
  for (int i = 0; i < M; i++)
    len += (size_t)sprintf(s + len, "%s\"k%d\":%d", i ? "," : "", i, i);
  s[len++] = '}';
  assert_int_equal(parse_exact(s, len, NULL, &doc, &err), 0);
  assert_int_equal(rcw_jval_get(rcw_jdoc_root(doc), "k99999")->u.num.i, 99999);
  rcw_jdoc_free(doc);
  len -= 1;
  len += (size_t)sprintf(s + len, ",\"k5\":0}");
  assert_int_equal(parse_exact(s, len, NULL, &doc, &err), -EINVAL);
  assert_non_null(strstr(err.message, "duplicate key \"k5\""));
  free(s);
}

static const char sample[] =
  "{\n"
  "  \"rcwatch_report\": 1,\n"
  "  \"generated_at\": \"2026-12-04T10:00:00.000Z\",\n"
  "  \"summary\": {\"lines\": {\"total\": 12, \"matched\": 10, \"unmatched\": 2},\n"
  "    \"failure_rate\": 0.083, \"codes\": [{\"code\": \"1204\", \"description\": "
  "\"Campaign \\\"X\\\" \\u00e9\\ud83d\\ude00\", \"count\": 3}]},\n"
  "  \"alerts\": [true, false, null, -1.5e-3, []]\n"
  "}\n";

/* Every prefix of a valid document is invalid (it has an open bracket),
 * and none is read past its end. */
static void test_truncated(void **state)
{
  (void)state;
  size_t len = strlen(sample);
  rcw_jdoc *doc = NULL;
  struct rcw_jread_error err;
  assert_int_equal(parse_exact(sample, len, NULL, &doc, &err), 0);
  rcw_jdoc_free(doc);
  for (size_t cut = 0; cut < len - 1; cut++) {
    doc = NULL;
    int r = parse_exact(sample, cut, NULL, &doc, &err);
    if (r != -EINVAL)
      print_error("prefix of %zu bytes: %d\n", cut, r);
    assert_int_equal(r, -EINVAL);
    assert_null(doc);
    assert_true(err.line >= 1 && err.column >= 1);
    assert_true(err.message[0] != '\0');
  }
}

/* Mangled documents: any outcome is fine except a crash, a leak or an
 * overread (which the sanitizer build turns into a failure). */
static void test_mutations(void **state)
{
  (void)state;
  static const char alphabet[] = "{}[]\",:\\u0e-+.1aZ \n\x80\xc3\xed\xf0\xff\x00";
  size_t len = strlen(sample);
  char *buf = malloc(len);
  assert_non_null(buf);
  uint64_t x = 0x9e3779b97f4a7c15u;
  size_t ok = 0;
  for (int round = 0; round < 20000; round++) {
    memcpy(buf, sample, len);
    for (int k = 0; k < 1 + round % 4; k++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      buf[(x >> 8) % len] = alphabet[(x >> 40) % (sizeof(alphabet) - 1)];
    }
    rcw_jdoc *doc = NULL;
    struct rcw_jread_error err;
    int r = parse_exact(buf, len - (size_t)(x >> 60), NULL, &doc, &err);
    assert_true(r == 0 || r == -EINVAL || r == -E2BIG);
    assert_true((r == 0) == (doc != NULL));
    ok += r == 0;
    rcw_jdoc_free(doc);
  }
  free(buf);
  assert_true(ok > 0); /* some mutations (inside strings) stay valid */
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_structure),
    cmocka_unit_test(test_string_escapes),
    cmocka_unit_test(test_string_errors),
    cmocka_unit_test(test_numbers),
    cmocka_unit_test(test_number_errors),
    cmocka_unit_test(test_syntax_errors),
    cmocka_unit_test(test_depth_cap),
    cmocka_unit_test(test_size_and_value_caps),
    cmocka_unit_test(test_big_inputs),
    cmocka_unit_test(test_truncated),
    cmocka_unit_test(test_mutations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
