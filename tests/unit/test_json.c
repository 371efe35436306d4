/* Unit tests for the output buffer and the JSON writer: escaping of every
 * awkward byte, commas and indentation, numbers and times. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "json.h"

/* --- a small checker: is s a well-formed JSON string body? ------------- */

static size_t utf8_ok(const unsigned char *s, size_t len)
{
  if (s[0] < 0x80)
    return 1;
  size_t n = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
  if (n == 0 || len < n)
    return 0;
  for (size_t i = 1; i < n; i++)
    if ((s[i] & 0xC0) != 0x80)
      return 0;
  return n;
}

static bool valid_string_body(const char *text, size_t len)
{
  const unsigned char *s = (const unsigned char *)text;
  for (size_t i = 0; i < len;) {
    if (s[i] < 0x20 || s[i] == '"')
      return false;
    if (s[i] == '\\') {
      if (i + 1 >= len)
        return false;
      if (s[i + 1] == 'u') {
        if (i + 6 > len || strspn(text + i + 2, "0123456789abcdef") < 4)
          return false;
        i += 6;
      } else if (strchr("\"\\/bfnrt", s[i + 1])) {
        i += 2;
      } else {
        return false;
      }
      continue;
    }
    size_t n = utf8_ok(s + i, len - i);
    if (n == 0)
      return false;
    i += n;
  }
  return true;
}

static char *escaped(const char *s, size_t len)
{
  struct rcw_buf b = RCW_BUF_INIT;
  rcw_json_escape(&b, s, len);
  char *out = strdup(b.data ? b.data : "");
  rcw_buf_free(&b);
  return out;
}

#define assert_escapes(in, len, want)                                                             \
  do {                                                                                            \
    char *got_ = escaped((in), (len));                                                            \
    assert_string_equal(got_, (want));                                                            \
    free(got_);                                                                                   \
  } while (0)
/* For literals: the length includes embedded NULs. */
#define assert_escapes_lit(lit, want) assert_escapes((lit), sizeof(lit) - 1, (want))

/* --- escaping ------------------------------------------------------------ */

static void test_escape_specials(void **state)
{
  (void)state;
  assert_escapes_lit("plain text", "plain text");
  assert_escapes_lit("say \"hi\"", "say \\\"hi\\\"");
  assert_escapes_lit("C:\\path", "C:\\\\path");
  assert_escapes_lit("a\nb\tc\r", "a\\u000ab\\u0009c\\u000d");
  assert_escapes_lit("\x01\x1f", "\\u0001\\u001f");
  assert_escapes_lit("nul\0byte", "nul\\u0000byte");
  assert_escapes_lit("del\x7f", "del\x7f");
  assert_escapes_lit("", "");
}

static void test_escape_utf8(void **state)
{
  (void)state;
  /* Well-formed sequences pass through untouched. */
  assert_escapes_lit("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  /* Every malformed byte becomes one U+FFFD. */
  assert_escapes_lit("a\x80z", "a\\ufffdz");                       /* lone continuation */
  assert_escapes_lit("\xc0\xaf", "\\ufffd\\ufffd");                /* overlong '/' */
  assert_escapes_lit("\xe0\x80\xaf", "\\ufffd\\ufffd\\ufffd");     /* overlong, 3 bytes */
  assert_escapes_lit("\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd");     /* UTF-16 surrogate */
  assert_escapes_lit("\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd"); /* > U+10FFFF */
  assert_escapes_lit("\xf5", "\\ufffd");
  assert_escapes_lit("\xff", "\\ufffd");
  assert_escapes_lit("end\xe2\x82", "end\\ufffd\\ufffd");          /* cut short */
  assert_escapes_lit("\xc3\"", "\\ufffd\\\"");                    /* cut by a quote */
}

static void test_escape_every_byte(void **state)
{
  (void)state;
  char all[256];
  for (int i = 0; i < 256; i++)
    all[i] = (char)i;
  char *out = escaped(all, sizeof(all));
  assert_true(valid_string_body(out, strlen(out)));
  /* 32..126 minus the two escaped ones pass verbatim; 127 too. */
  assert_non_null(strstr(out, " !\\\"#$%&'()*+,-./0123456789"));
  assert_non_null(strstr(out, "[\\\\]^_`abc"));
  free(out);
  /* Random bytes: always valid. */
  srand(42);
  for (int round = 0; round < 200; round++) {
    char junk[64];
    for (size_t i = 0; i < sizeof(junk); i++)
      junk[i] = (char)(rand() & 0xff);
    out = escaped(junk, sizeof(junk));
    assert_true(valid_string_body(out, strlen(out)));
    free(out);
  }
}

/* --- structure ----------------------------------------------------------- */

static void write_sample(struct rcw_json *j)
{
  rcw_json_object_begin(j);
  rcw_json_key(j, "a");
  rcw_json_array_begin(j);
  rcw_json_int(j, 1);
  rcw_json_int(j, -2);
  rcw_json_object_begin(j);
  rcw_json_object_end(j);
  rcw_json_array_end(j);
  rcw_json_key(j, "b");
  rcw_json_object_begin(j);
  rcw_json_key(j, "c");
  rcw_json_null(j);
  rcw_json_key(j, "d\"");
  rcw_json_bool(j, true);
  rcw_json_object_end(j);
  rcw_json_key(j, "e");
  rcw_json_array_begin(j);
  rcw_json_array_end(j);
  rcw_json_key(j, "f");
  rcw_json_string(j, NULL);
  rcw_json_key(j, "g");
  rcw_json_stringn(j, "x\0y", 3);
  rcw_json_object_end(j);
}

static void test_compact(void **state)
{
  (void)state;
  struct rcw_buf b = RCW_BUF_INIT;
  struct rcw_json j;
  rcw_json_init(&j, &b, false);
  write_sample(&j);
  assert_false(b.oom);
  assert_string_equal(b.data, "{\"a\":[1,-2,{}],\"b\":{\"c\":null,\"d\\\"\":true},\"e\":[],"
                              "\"f\":null,\"g\":\"x\\u0000y\"}");
  rcw_buf_free(&b);
}

/* The same layout as `python3 -m json.tool`. */
static void test_pretty(void **state)
{
  (void)state;
  struct rcw_buf b = RCW_BUF_INIT;
  struct rcw_json j;
  rcw_json_init(&j, &b, true);
  write_sample(&j);
  assert_string_equal(b.data, "{\n"
                              "  \"a\": [\n"
                              "    1,\n"
                              "    -2,\n"
                              "    {}\n"
                              "  ],\n"
                              "  \"b\": {\n"
                              "    \"c\": null,\n"
                              "    \"d\\\"\": true\n"
                              "  },\n"
                              "  \"e\": [],\n"
                              "  \"f\": null,\n"
                              "  \"g\": \"x\\u0000y\"\n"
                              "}");
  rcw_buf_free(&b);
}

static void test_top_level_values(void **state)
{
  (void)state;
  struct rcw_buf b = RCW_BUF_INIT;
  struct rcw_json j;
  rcw_json_init(&j, &b, false);
  rcw_json_object_begin(&j);
  rcw_json_object_end(&j);
  rcw_json_uint(&j, 7);
  assert_string_equal(b.data, "{}\n7");
  rcw_buf_free(&b);
}

static void test_depth_limit(void **state)
{
  (void)state;
  struct rcw_buf b = RCW_BUF_INIT;
  struct rcw_json j;
  rcw_json_init(&j, &b, false);
  for (int i = 0; i < RCW_JSON_MAX_DEPTH - 1; i++)
    rcw_json_array_begin(&j);
  assert_false(b.oom);
  rcw_json_array_begin(&j);
  assert_true(b.oom); /* too deep: the output is marked unusable */
  rcw_buf_free(&b);

  rcw_json_init(&j, &b, false);
  rcw_json_array_end(&j);
  assert_true(b.oom); /* unbalanced */
  rcw_buf_free(&b);
}

/* --- numbers and times --------------------------------------------------- */

static char *one_value(void (*write)(struct rcw_json *, const void *), const void *arg)
{
  struct rcw_buf b = RCW_BUF_INIT;
  struct rcw_json j;
  rcw_json_init(&j, &b, false);
  write(&j, arg);
  char *out = strdup(b.data);
  rcw_buf_free(&b);
  return out;
}

static void write_double(struct rcw_json *j, const void *arg)
{
  rcw_json_double(j, *(const double *)arg);
}

static void assert_double_text(double v, const char *want)
{
  char *got = one_value(write_double, &v);
  assert_string_equal(got, want);
  free(got);
}

static void test_doubles(void **state)
{
  (void)state;
  assert_double_text(0.0, "0.0");
  assert_double_text(2.5, "2.5");
  assert_double_text(0.1, "0.1");
  assert_double_text(0.083, "0.083");
  assert_double_text(-3.0, "-3.0");
  assert_double_text(1e300, "1e+300");
  assert_double_text(NAN, "null");
  assert_double_text(INFINITY, "null");
  assert_double_text(-INFINITY, "null");
  /* Values %.15g cannot carry still read back exactly. */
  static const double hard[] = {1.0 / 3.0, 0.1 + 0.2, 2.0 / 3.0 * 1e-9, 123456789.123456789,
                                5e-324, 1.7976931348623157e308};
  for (size_t i = 0; i < sizeof(hard) / sizeof(hard[0]); i++) {
    char *got = one_value(write_double, &hard[i]);
    assert_true(strtod(got, NULL) == hard[i]);
    assert_true(strlen(got) <= 24);
    free(got);
  }
}

static void test_integers(void **state)
{
  (void)state;
  struct rcw_buf b = RCW_BUF_INIT;
  struct rcw_json j;
  rcw_json_init(&j, &b, false);
  rcw_json_array_begin(&j);
  rcw_json_int(&j, INT64_MIN);
  rcw_json_int(&j, INT64_MAX);
  rcw_json_uint(&j, UINT64_MAX);
  rcw_json_bool(&j, false);
  rcw_json_array_end(&j);
  assert_string_equal(b.data,
                      "[-9223372036854775808,9223372036854775807,18446744073709551615,false]");
  rcw_buf_free(&b);
}

static void write_time(struct rcw_json *j, const void *arg)
{
  rcw_json_time(j, *(const int64_t *)arg);
}

static void assert_time_text(int64_t ms, const char *want)
{
  char *got = one_value(write_time, &ms);
  assert_string_equal(got, want);
  free(got);
}

static void test_times(void **state)
{
  (void)state;
  assert_time_text(0, "\"1970-01-01T00:00:00.000Z\"");
  assert_time_text(1796378580123, "\"2026-12-04T10:03:00.123Z\"");
  assert_time_text(-1, "\"1969-12-31T23:59:59.999Z\"");
  assert_time_text(951782400000, "\"2000-02-29T00:00:00.000Z\"");
  char text[RCW_TIME_TEXT_MAX];
  rcw_format_time(1796378580123, text, sizeof(text));
  assert_string_equal(text, "2026-12-04T10:03:00.123Z");
}

/* --- the buffer ---------------------------------------------------------- */

static void test_buf(void **state)
{
  (void)state;
  struct rcw_buf b = RCW_BUF_INIT;
  rcw_buf_append(&b, "", 0);
  assert_non_null(b.data);
  assert_string_equal(b.data, "");
  for (int i = 0; i < 1000; i++)
    rcw_buf_printf(&b, "%04d,", i);
  assert_int_equal(b.len, 5000);
  assert_memory_equal(b.data + 4995, "0999,", 5);
  assert_int_equal(b.data[b.len], '\0');
  rcw_buf_reset(&b);
  assert_int_equal(b.len, 0);
  assert_string_equal(b.data, "");
  rcw_buf_puts(&b, "ab");
  rcw_buf_pad(&b, '.', 3);
  rcw_buf_putc(&b, 'c');
  rcw_buf_pad(&b, '.', 0);
  assert_string_equal(b.data, "ab...c");
  assert_false(b.oom);
  /* Failure is sticky: a renderer checks once at the end. */
  b.oom = true;
  rcw_buf_puts(&b, "more");
  assert_string_equal(b.data, "ab...c");
  rcw_buf_free(&b);
  assert_null(b.data);
  assert_int_equal(b.len, 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_escape_specials),
    cmocka_unit_test(test_escape_utf8),
    cmocka_unit_test(test_escape_every_byte),
    cmocka_unit_test(test_compact),
    cmocka_unit_test(test_pretty),
    cmocka_unit_test(test_top_level_values),
    cmocka_unit_test(test_depth_limit),
    cmocka_unit_test(test_doubles),
    cmocka_unit_test(test_integers),
    cmocka_unit_test(test_times),
    cmocka_unit_test(test_buf),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
