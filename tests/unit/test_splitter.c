/* The splitter against a reference: every way of cutting the same bytes
 * into reads must hand over the same lines, and pending() must always be
 * the bytes not yet handed over. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parser.h"
#include "splitter.h"

struct got_line {
  char *text; /* NULL for a too-long line */
  size_t len;
  bool too_long;
};

struct collector {
  struct got_line *lines;
  size_t n, cap;
};

static void collect_cb(void *ctx, const char *line, size_t len, bool too_long)
{
  struct collector *c = ctx;
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 64;
    c->lines = realloc(c->lines, c->cap * sizeof(*c->lines));
    assert_non_null(c->lines);
  }
  struct got_line *g = &c->lines[c->n++];
  g->len = len;
  g->too_long = too_long;
  g->text = NULL;
  if (!too_long) {
    assert_non_null(line);
    g->text = malloc(len + 1);
    assert_non_null(g->text);
    memcpy(g->text, line, len);
    g->text[len] = '\0';
  } else {
    assert_null(line);
  }
}

static void collector_free(struct collector *c)
{
  for (size_t i = 0; i < c->n; i++)
    free(c->lines[i].text);
  free(c->lines);
  c->lines = NULL;
  c->n = c->cap = 0;
}

/* Feed data in reads of at most chunk bytes; check pending() after each. */
static void feed(struct rcw_splitter *s, const char *data, size_t len, size_t chunk,
                 struct collector *c, bool finish)
{
  uint64_t pending = rcw_splitter_pending(s);
  size_t off = 0;
  while (off < len) {
    size_t avail;
    char *space = rcw_splitter_space(s, &avail);
    assert_true(avail > 0);
    size_t n = len - off < chunk ? len - off : chunk;
    if (n > avail)
      n = avail;
    memcpy(space, data + off, n);
    rcw_splitter_commit(s, n, collect_cb, c);
    /* pending is exactly the bytes after the last newline seen */
    const char *nl = memrchr(data + off, '\n', n);
    pending = nl ? (uint64_t)(data + off + n - nl - 1) : pending + n;
    off += n;
    assert_int_equal(rcw_splitter_pending(s), pending);
  }
  if (finish) {
    rcw_splitter_finish(s, collect_cb, c);
    assert_int_equal(rcw_splitter_pending(s), 0);
  }
}

static void split_all(const char *data, size_t len, size_t chunk, size_t cap,
                      struct collector *c)
{
  struct rcw_splitter s;
  assert_int_equal(rcw_splitter_init(&s, cap), 0);
  feed(&s, data, len, chunk, c, true);
  rcw_splitter_destroy(&s);
}

static void test_basic_lines(void **state)
{
  static const char in[] = "alpha\nbeta\r\n\n\r\ngam\rma\nlast";
  struct collector *c = calloc(1, sizeof(*c));
  split_all(in, sizeof(in) - 1, 1 << 20, 0, c);
  assert_int_equal(c->n, 6);
  assert_string_equal(c->lines[0].text, "alpha");
  assert_string_equal(c->lines[1].text, "beta");
  assert_string_equal(c->lines[2].text, ""); /* empty lines are lines */
  assert_string_equal(c->lines[3].text, "");
  assert_string_equal(c->lines[4].text, "gam\rma"); /* only a trailing \r goes */
  assert_string_equal(c->lines[5].text, "last");
  for (size_t i = 0; i < c->n; i++)
    assert_false(c->lines[i].too_long);
  collector_free(c);
  free(c);
}

static void test_partial_line_held_until_finish(void **state)
{
  struct rcw_splitter s;
  struct collector *c = calloc(1, sizeof(*c));
  assert_int_equal(rcw_splitter_init(&s, 0), 0);
  feed(&s, "one\ntw", 6, 100, c, false);
  assert_int_equal(c->n, 1);
  assert_int_equal(rcw_splitter_pending(&s), 2);
  feed(&s, "o\r", 2, 100, c, false);
  assert_int_equal(c->n, 1);
  assert_int_equal(rcw_splitter_pending(&s), 4);
  rcw_splitter_finish(&s, collect_cb, c);
  assert_int_equal(c->n, 2);
  assert_string_equal(c->lines[1].text, "two"); /* \r dropped at the end too */
  rcw_splitter_finish(&s, collect_cb, c);       /* nothing left: no line */
  assert_int_equal(c->n, 2);
  rcw_splitter_destroy(&s);
  collector_free(c);
  free(c);
}

static void test_reset_drops_partial(void **state)
{
  struct rcw_splitter s;
  struct collector *c = calloc(1, sizeof(*c));
  assert_int_equal(rcw_splitter_init(&s, 0), 0);
  feed(&s, "half a li", 9, 100, c, false);
  rcw_splitter_reset(&s);
  assert_int_equal(rcw_splitter_pending(&s), 0);
  feed(&s, "new\n", 4, 100, c, true);
  assert_int_equal(c->n, 1);
  assert_string_equal(c->lines[0].text, "new");
  rcw_splitter_destroy(&s);
  collector_free(c);
  free(c);
}

/* Lines around the 64 KiB limit: exactly RCW_LINE_MAX bytes is a line,
 * one more is too long, with or without \r, however the reads fall. */
static char *limit_input(size_t *len)
{
  size_t sizes[] = {RCW_LINE_MAX, RCW_LINE_MAX + 1, RCW_LINE_MAX * 3};
  size_t cap = 12 * RCW_LINE_MAX;
  char *buf = malloc(cap);
  size_t off = 0;
  for (int crlf = 0; crlf < 2; crlf++) {
    for (size_t i = 0; i < 3; i++) {
      memset(buf + off, 'a' + (char)i, sizes[i]);
      off += sizes[i];
      if (crlf)
        buf[off++] = '\r';
      buf[off++] = '\n';
      memcpy(buf + off, "ok\n", 3);
      off += 3;
    }
  }
  *len = off;
  return buf;
}

static void check_limit_lines(struct collector *c)
{
  assert_int_equal(c->n, 12);
  for (size_t k = 0; k < 12; k += 6) {
    assert_false(c->lines[k].too_long);
    assert_int_equal(c->lines[k].len, RCW_LINE_MAX);
    assert_true(c->lines[k + 2].too_long);
    assert_true(c->lines[k + 2].len >= RCW_LINE_MAX + 1);
    assert_true(c->lines[k + 4].too_long);
    assert_true(c->lines[k + 4].len >= RCW_LINE_MAX * 3);
    for (size_t j = 1; j < 6; j += 2)
      assert_string_equal(c->lines[k + j].text, "ok");
  }
}

static void test_line_limit(void **state)
{
  size_t len;
  char *in = limit_input(&len);
  size_t chunks[] = {1 << 20, RCW_LINE_MAX + 1, 4096, 777, 1};
  size_t caps[] = {0, 1 << 20};
  for (size_t ci = 0; ci < 2; ci++) {
    for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
      struct collector *c = calloc(1, sizeof(*c));
      split_all(in, len, chunks[k], caps[ci], c);
      check_limit_lines(c);
      collector_free(c);
      free(c);
    }
  }
  free(in);
}

static void test_too_long_pending_and_final(void **state)
{
  struct rcw_splitter s;
  struct collector *c = calloc(1, sizeof(*c));
  assert_int_equal(rcw_splitter_init(&s, 0), 0);
  size_t big = 3 * RCW_LINE_MAX;
  char *data = malloc(big);
  memset(data, 'x', big);
  /* feed() checks pending() == the bytes of this unfinished line, even
   * while they are being skipped rather than buffered. */
  feed(&s, data, big, 5000, c, false);
  assert_int_equal(c->n, 0);
  assert_int_equal(rcw_splitter_pending(&s), big);
  rcw_splitter_finish(&s, collect_cb, c);
  assert_int_equal(c->n, 1);
  assert_true(c->lines[0].too_long);
  assert_int_equal(c->lines[0].len, big);
  rcw_splitter_destroy(&s);
  free(data);
  collector_free(c);
  free(c);
}

/* Reference split of data, the same rules written the plain way. */
static size_t reference_split(const char *data, size_t len, struct collector *c)
{
  size_t start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i < len && data[i] != '\n')
      continue;
    if (i == len && start == len)
      break;
    size_t l = i - start;
    if (l > 0 && data[start + l - 1] == '\r')
      l--;
    collect_cb(c, l > RCW_LINE_MAX ? NULL : data + start, l, l > RCW_LINE_MAX);
    start = i + 1;
  }
  return c->n;
}

static void test_random_chunking_matches_reference(void **state)
{
  srand(12345);
  size_t len = 600000;
  char *data = malloc(len);
  static const char alphabet[] = "ab\r\n\n\0xyz\xff";
  for (size_t i = 0; i < len; i++) {
    /* mostly short lines, sometimes a long run with no newline */
    if (rand() % 50000 == 0) {
      size_t run = (size_t)(rand() % (2 * RCW_LINE_MAX));
      for (; run > 0 && i < len; run--, i++)
        data[i] = 'L';
      if (i >= len)
        break;
    }
    data[i] = alphabet[rand() % (sizeof(alphabet) - 1)];
  }
  struct collector *ref = calloc(1, sizeof(*ref));
  reference_split(data, len, ref);
  size_t chunks[] = {1, 3, 100, 4093, 65537, 1 << 20};
  for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
    struct collector *c = calloc(1, sizeof(*c));
    split_all(data, len, chunks[k], 0, c);
    assert_int_equal(c->n, ref->n);
    for (size_t i = 0; i < c->n; i++) {
      assert_int_equal(c->lines[i].too_long, ref->lines[i].too_long);
      if (!c->lines[i].too_long) {
        assert_int_equal(c->lines[i].len, ref->lines[i].len);
        assert_memory_equal(c->lines[i].text, ref->lines[i].text, c->lines[i].len);
      }
    }
    collector_free(c);
    free(c);
  }
  collector_free(ref);
  free(ref);
  free(data);
}

/* After a read, the partial line moves to the front so the next read
 * gets the whole rest of the buffer, not the sliver after it. */
static void test_space_after_partial_line(void **state)
{
  struct rcw_splitter s;
  struct collector *c = calloc(1, sizeof(*c));
  size_t cap = 1 << 20;
  assert_int_equal(rcw_splitter_init(&s, cap), 0);
  size_t avail;
  char *space = rcw_splitter_space(&s, &avail);
  assert_int_equal(avail, cap);
  size_t n = avail / 2;
  memset(space, 'q', n);
  for (size_t i = 99; i < n - 10; i += 100)
    space[i] = '\n';
  space[n - 11] = '\n'; /* ten bytes of a partial line remain */
  rcw_splitter_commit(&s, n, collect_cb, c);
  assert_int_equal(c->n, (n - 10) / 100 + 1);
  assert_int_equal(rcw_splitter_pending(&s), 10);
  space = rcw_splitter_space(&s, &avail);
  assert_int_equal(avail, cap - 10);
  memcpy(space, "\n", 1);
  rcw_splitter_commit(&s, 1, collect_cb, c);
  assert_string_equal(c->lines[c->n - 1].text, "qqqqqqqqqq");
  rcw_splitter_destroy(&s);
  collector_free(c);
  free(c);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_basic_lines),
    cmocka_unit_test(test_partial_line_held_until_finish),
    cmocka_unit_test(test_reset_drops_partial),
    cmocka_unit_test(test_line_limit),
    cmocka_unit_test(test_too_long_pending_and_final),
    cmocka_unit_test(test_random_chunking_matches_reference),
    cmocka_unit_test(test_space_after_partial_line),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
