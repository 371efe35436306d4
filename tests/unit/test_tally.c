/* Unit tests for tallies and the summaries derived from them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "catalog.h"
#include "tally.h"

struct fixture {
  rcw_catalog *cat;
  struct rcw_tally t;
};

static int setup(void **state)
{
  static struct fixture f;
  f.cat = rcw_catalog_new_default();
  rcw_tally_init(&f.t);
  *state = &f;
  return f.cat ? 0 : -1;
}

static int teardown(void **state)
{
  struct fixture *f = *state;
  rcw_tally_destroy(&f->t);
  rcw_catalog_free(f->cat);
  return 0;
}

static uint32_t id_of(rcw_catalog *c, const char *code, const char *desc)
{
  return rcw_catalog_classify(c, code, strlen(code), desc, desc ? strlen(desc) : 0, NULL);
}

/* Count n responses of code as matched lines. */
static void count(struct fixture *f, const char *code, const char *desc, uint64_t n)
{
  assert_int_equal(rcw_tally_count(&f->t, id_of(f->cat, code, desc), n), 0);
  f->t.lines_total += n;
  f->t.lines_matched += n;
}

static const char *code_at(const struct fixture *f, const struct rcw_summary *s, size_t i)
{
  return rcw_catalog_entry(f->cat, s->codes[i].entry)->code;
}

static const char *category_at(const struct fixture *f, const struct rcw_summary *s, size_t i)
{
  return rcw_catalog_category(f->cat, s->categories[i].category)->name;
}

static void test_count_grows(void **state)
{
  struct fixture *f = *state;
  assert_int_equal(rcw_tally_count(&f->t, RCW_ENTRY_NONE, 1), -EINVAL);
  assert_int_equal(rcw_tally_count(&f->t, 3, 2), 0);
  assert_true(f->t.nentries >= 4);
  assert_int_equal(f->t.by_entry[3], 2);
  assert_int_equal(rcw_tally_count(&f->t, 5000, 1), 0);
  assert_true(f->t.nentries > 5000);
  assert_int_equal(f->t.by_entry[3], 2); /* kept across growth */
  assert_int_equal(f->t.by_entry[5000], 1);
  assert_int_equal(f->t.by_entry[4999], 0);
  size_t n = f->t.nentries;
  assert_int_equal(rcw_tally_count(&f->t, 4000, 7), 0);
  assert_int_equal(f->t.nentries, n);
}

static void test_reset_and_merge(void **state)
{
  struct fixture *f = *state;
  count(f, "1204", NULL, 4);
  f->t.lines_unmatched = 3;
  f->t.unmatched_too_long = 1;
  f->t.lines_total += 3;

  struct rcw_tally sum;
  rcw_tally_init(&sum);
  assert_int_equal(rcw_tally_merge(&sum, &f->t), 0);
  assert_int_equal(rcw_tally_merge(&sum, &f->t), 0);
  uint32_t cap = id_of(f->cat, "1204", NULL);
  assert_int_equal(sum.by_entry[cap], 8);
  assert_int_equal(sum.lines_total, 14);
  assert_int_equal(sum.lines_matched, 8);
  assert_int_equal(sum.lines_unmatched, 6);
  assert_int_equal(sum.unmatched_too_long, 2);

  uint64_t *mem = f->t.by_entry;
  rcw_tally_reset(&f->t);
  assert_ptr_equal(f->t.by_entry, mem);
  assert_int_equal(f->t.by_entry[cap], 0);
  assert_int_equal(f->t.lines_total, 0);
  assert_int_equal(f->t.lines_unmatched, 0);
  /* Merging an empty tally changes nothing. */
  assert_int_equal(rcw_tally_merge(&sum, &f->t), 0);
  assert_int_equal(sum.by_entry[cap], 8);
  rcw_tally_destroy(&sum);
  assert_null(sum.by_entry);
}

static void test_summary_totals_and_order(void **state)
{
  struct fixture *f = *state;
  count(f, "-1", NULL, 90);
  count(f, "1204", NULL, 6);
  count(f, "1001", NULL, 3);
  count(f, "1000", NULL, 3);
  count(f, "1306", "Required field missing", 1);
  count(f, "1306", "at the same time", 1);
  assert_int_equal(rcw_tally_count(&f->t, rcw_catalog_classify_status(f->cat, 503), 2), 0);
  f->t.lines_total += 2 + 5;
  f->t.lines_matched += 2;
  f->t.lines_unmatched = 5;

  struct rcw_summary s;
  assert_int_equal(rcw_summary_build(&s, &f->t, f->cat), 0);
  assert_int_equal(s.lines_total, 111);
  assert_int_equal(s.lines_matched, 106);
  assert_int_equal(s.lines_unmatched, 5);
  assert_int_equal(s.requests, 106);
  assert_int_equal(s.failures, 16);
  assert_true(s.failure_rate == 16.0 / 106.0);

  /* Codes: by count, then numeric codes in numeric order before names,
   * then the meanings of one code in catalog order. */
  static const char *const codes[] = {"-1", "1204", "1000", "1001", "http_503", "1306", "1306"};
  static const uint64_t counts[] = {90, 6, 3, 3, 2, 1, 1};
  assert_int_equal(s.ncodes, 7);
  for (size_t i = 0; i < s.ncodes; i++) {
    assert_string_equal(code_at(f, &s, i), codes[i]);
    assert_int_equal(s.codes[i].count, counts[i]);
  }
  assert_int_equal(s.codes[5].entry, id_of(f->cat, "1306", "same time"));

  /* Categories: by failures, then count, then name; success last. */
  static const char *const cats[] = {"auth", "stock", "transport", "concurrency", "validation",
                                     "success"};
  static const uint64_t failures[] = {6, 6, 2, 1, 1, 0};
  assert_int_equal(s.ncategories, 6);
  for (size_t i = 0; i < s.ncategories; i++) {
    assert_string_equal(category_at(f, &s, i), cats[i]);
    assert_int_equal(s.categories[i].failures, failures[i]);
  }
  assert_int_equal(s.categories[5].count, 90);
  rcw_summary_destroy(&s);
  assert_null(s.codes);
}

static void test_summary_ties_by_count(void **state)
{
  struct fixture *f = *state;
  /* A success code in a failure category: user_limit then has more
   * responses than failures, which decides a tie on failures. */
  const char *const only[] = {"1209"};
  assert_int_equal(rcw_catalog_set_success(f->cat, only, 1), 0);
  count(f, "1303", NULL, 2);
  count(f, "1300", NULL, 2);
  count(f, "1209", NULL, 5);
  count(f, "1210", NULL, 2);
  count(f, "1201", NULL, 2);
  count(f, "1200", NULL, 1);
  count(f, "-1", NULL, 4);
  struct rcw_summary s;
  assert_int_equal(rcw_summary_build(&s, &f->t, f->cat), 0);
  assert_int_equal(s.requests, 18);
  assert_int_equal(s.failures, 13);
  static const char *const cats[] = {"success", "config", "user_limit", "not_found", "platform"};
  static const uint64_t failures[] = {4, 3, 2, 2, 2};
  static const uint64_t counts[] = {4, 3, 7, 2, 2};
  assert_int_equal(s.ncategories, 5);
  for (size_t i = 0; i < s.ncategories; i++) {
    assert_string_equal(category_at(f, &s, i), cats[i]);
    assert_int_equal(s.categories[i].failures, failures[i]);
    assert_int_equal(s.categories[i].count, counts[i]);
  }
  rcw_summary_destroy(&s);
}

static void test_summary_empty(void **state)
{
  struct fixture *f = *state;
  f->t.lines_total = 4;
  f->t.lines_unmatched = 4;
  struct rcw_summary s;
  assert_int_equal(rcw_summary_build(&s, &f->t, f->cat), 0);
  assert_int_equal(s.requests, 0);
  assert_int_equal(s.failures, 0);
  assert_true(s.failure_rate == 0.0);
  assert_int_equal(s.ncodes, 0);
  assert_int_equal(s.ncategories, 0);
  assert_int_equal(s.lines_unmatched, 4);
  rcw_summary_destroy(&s);
}

static void test_summary_unknown_codes(void **state)
{
  struct fixture *f = *state;
  count(f, "9999", NULL, 2);
  count(f, "ABC", NULL, 2);
  count(f, "10000", NULL, 2);
  struct rcw_summary s;
  assert_int_equal(rcw_summary_build(&s, &f->t, f->cat), 0);
  assert_int_equal(s.failures, 6);
  assert_int_equal(s.ncategories, 1);
  assert_string_equal(category_at(f, &s, 0), "unknown");
  assert_string_equal(code_at(f, &s, 0), "9999");
  assert_string_equal(code_at(f, &s, 1), "10000");
  assert_string_equal(code_at(f, &s, 2), "ABC");
  rcw_summary_destroy(&s);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
  const struct CMUnitTest tests[] = {
    T(test_count_grows),
    T(test_reset_and_merge),
    T(test_summary_totals_and_order),
    T(test_summary_ties_by_count),
    T(test_summary_empty),
    T(test_summary_unknown_codes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
