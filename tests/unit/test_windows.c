/* Unit tests for windows: bucket shapes and boundaries, time moving on and
 * jumping, out-of-order and late events, keys, dimension caps, category
 * filters, the tally view, and checkpoints (round trip, remapping,
 * garbage).  Time is injected: no test sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blobio.h"
#include "catalog.h"
#include "config.h"
#include "tally.h"
#include "windows.h"

#define S 1000LL
#define M (60 * S)
#define H (60 * M)

static const int64_t default_spans[] = {1 * M, 5 * M, 15 * M, 1 * H};

static rcw_windows *make(const int64_t *spans, size_t n, const char *const *dims, size_t ndims,
                         size_t cap)
{
  struct rcw_windows_spec spec = {spans, n, cap, dims, ndims, NULL, 0, NULL};
  rcw_windows *w = NULL;
  assert_int_equal(rcw_windows_new(&spec, &w), 0);
  return w;
}

static rcw_windows *make_default(void)
{
  return make(default_spans, 4, NULL, 0, 0);
}

static void add(rcw_windows *w, int64_t t, uint32_t entry, uint32_t cat, bool failure)
{
  struct rcw_win_event ev = {t, entry, cat, failure, NULL, NULL, 0};
  assert_int_equal(rcw_windows_add(w, &ev), 0);
}

static void add_dim(rcw_windows *w, int64_t t, bool failure, uint32_t cat, const char *value)
{
  struct rcw_field f = {value, value ? strlen(value) : 0};
  struct rcw_win_event ev = {t, 1, cat, failure, &f, NULL, 1};
  assert_int_equal(rcw_windows_add(w, &ev), 0);
}

static uint64_t total(const rcw_windows *w, size_t win)
{
  return rcw_windows_total(w, win).requests;
}

/* --- shape and time ------------------------------------------------------ */

static void test_bucket_shapes(void **state)
{
  (void)state;
  const int64_t spans[] = {250, 1500, 30 * S, 1 * M, 90 * S, 5 * M, 1 * H, 24 * H};
  const int64_t bucket[] = {250, 1000, 1000, 1000, 1500, 5 * S, 1 * M, 24 * M};
  const size_t n[] = {1, 2, 30, 60, 60, 60, 60, 60};
  rcw_windows *w = make(spans, 8, NULL, 0, 0);
  assert_int_equal(rcw_windows_count(w), 8);
  for (size_t i = 0; i < 8; i++) {
    assert_int_equal(rcw_windows_span(w, i), spans[i]);
    assert_int_equal(rcw_windows_bucket_ms(w, i), bucket[i]);
    assert_int_equal(rcw_windows_buckets(w, i), n[i]);
    assert_true(rcw_windows_bucket_ms(w, i) * 60 <= (spans[i] < M ? M : spans[i]) + 60);
  }
  assert_int_equal(rcw_windows_index(w, 5 * M), 5);
  assert_int_equal(rcw_windows_index(w, 2 * M), -1);
  rcw_windows_free(w);
}

static void test_bad_specs(void **state)
{
  (void)state;
  rcw_windows *w = NULL;
  const int64_t dup[] = {M, M};
  const int64_t neg[] = {M, -5};
  struct rcw_windows_spec spec = {dup, 2, 0, NULL, 0, NULL, 0, NULL};
  assert_int_equal(rcw_windows_new(&spec, &w), -EINVAL);
  spec.windows_ms = neg;
  assert_int_equal(rcw_windows_new(&spec, &w), -EINVAL);
  spec.nwindows = 0;
  assert_int_equal(rcw_windows_new(&spec, &w), -EINVAL);
  spec.windows_ms = default_spans;
  spec.nwindows = RCW_MAX_WINDOWS + 1;
  assert_int_equal(rcw_windows_new(&spec, &w), -EINVAL);
  /* A rule filter naming a category needs a catalog that knows it. */
  char *cats[] = {"no_such_category"};
  struct rcw_rule_spec rule = {.name = "r", .scope = RCW_SCOPE_DIMENSION,
                               .dimension = "campaign", .categories = cats, .ncategories = 1};
  rcw_catalog *c = rcw_catalog_new_default();
  struct rcw_windows_spec with_rule = {default_spans, 4, 0, NULL, 0, &rule, 1, c};
  assert_int_equal(rcw_windows_new(&with_rule, &w), -EINVAL);
  with_rule.catalog = NULL;
  assert_int_equal(rcw_windows_new(&with_rule, &w), -EINVAL);
  assert_null(w);
  rcw_catalog_free(c);
}

static void test_bucket_boundaries(void **state)
{
  (void)state;
  rcw_windows *w = make_default();
  int64_t t0 = 1000 * H; /* a whole hour: every window's bucket starts there */
  add(w, t0, 1, 1, true);
  add(w, t0 + 999, 1, 1, true);   /* same 1 s bucket */
  add(w, t0 + 1000, 1, 1, false); /* next bucket */
  assert_int_equal(total(w, 0), 3);
  rcw_windows_advance(w, t0 + M - 1); /* oldest bucket of the 1m window: t0's */
  assert_int_equal(total(w, 0), 3);
  rcw_windows_advance(w, t0 + M); /* t0's bucket falls out, t0+1000's stays */
  assert_int_equal(total(w, 0), 1);
  assert_int_equal(rcw_windows_total(w, 0).failures, 0);
  assert_int_equal(total(w, 1), 3);
  rcw_windows_advance(w, t0 + M + 1000);
  assert_int_equal(total(w, 0), 0);
  /* 5m: 5 s buckets, all three events in the first one. */
  rcw_windows_advance(w, t0 + 5 * M - 1);
  assert_int_equal(total(w, 1), 3);
  rcw_windows_advance(w, t0 + 5 * M);
  assert_int_equal(total(w, 1), 0);
  assert_int_equal(total(w, 3), 3);
  rcw_windows_advance(w, t0 + H);
  assert_int_equal(total(w, 3), 0);
  rcw_windows_free(w);
}

static void test_time_never_goes_back(void **state)
{
  (void)state;
  rcw_windows *w = make_default();
  assert_int_equal(rcw_windows_now(w), INT64_MIN);
  rcw_windows_advance(w, 10 * M);
  add(w, 10 * M, 1, 1, false);
  rcw_windows_advance(w, 5 * M); /* ignored */
  assert_int_equal(rcw_windows_now(w), 10 * M);
  assert_int_equal(total(w, 0), 1);
  add(w, 12 * M, 1, 1, false); /* an event moves now forward */
  assert_int_equal(rcw_windows_now(w), 12 * M);
  assert_int_equal(rcw_windows_latest(w), 12 * M);
  assert_int_equal(total(w, 0), 1);
  assert_int_equal(total(w, 1), 2);
  rcw_windows_free(w);
}

static void test_gap_longer_than_windows(void **state)
{
  (void)state;
  rcw_windows *w = make_default();
  for (int i = 0; i < 100; i++)
    add(w, 5 * H + i * 700, 2, 3, i % 2);
  assert_int_equal(total(w, 3), 100);
  assert_false(rcw_windows_idle_at(w, 5 * H + 70 * S));
  assert_false(rcw_windows_idle_at(w, 5 * H + 59 * M));
  assert_true(rcw_windows_idle_at(w, 7 * H));
  rcw_windows_advance(w, 7 * H + 123);
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(total(w, i), 0);
    assert_int_equal(rcw_windows_total(w, i).failures, 0);
    assert_int_equal(rcw_windows_category(w, i, 3).requests, 0);
    assert_int_equal(rcw_windows_entry(w, i, 2), 0);
  }
  add(w, 7 * H + 500, 2, 3, true);
  for (size_t i = 0; i < 4; i++)
    assert_int_equal(rcw_windows_total(w, i).failures, 1);
  /* A gap just under the 1h window keeps that window's older events. */
  add(w, 7 * H + 59 * M, 2, 3, false);
  assert_int_equal(total(w, 3), 2);
  assert_int_equal(total(w, 0), 1);
  rcw_windows_free(w);
}

static void test_out_of_order_and_late(void **state)
{
  (void)state;
  rcw_windows *w = make_default();
  add(w, 100 * S, 1, 1, false);
  add(w, 70 * S, 1, 1, true); /* 30 s behind: inside 1m, in its own bucket */
  assert_int_equal(total(w, 0), 2);
  assert_int_equal(rcw_windows_total(w, 0).failures, 1);
  rcw_windows_advance(w, 130 * S - 1); /* bucket 70 s is the oldest now */
  assert_int_equal(rcw_windows_total(w, 0).failures, 1);
  rcw_windows_advance(w, 130 * S); /* ... and falls out: exactly 60 s after */
  assert_int_equal(rcw_windows_total(w, 0).failures, 0);
  assert_int_equal(total(w, 0), 1);
  /* 100 s behind now: too old for 1m, counted in 5m and longer. */
  add(w, 30 * S, 1, 1, true);
  assert_int_equal(rcw_windows_late(w, 0), 1);
  assert_int_equal(rcw_windows_late(w, 1), 0);
  assert_int_equal(total(w, 0), 1);
  assert_int_equal(total(w, 1), 3);
  /* Older than the longest window: in no window at all. */
  rcw_windows_advance(w, 3 * H);
  add(w, 1 * H, 1, 1, true);
  for (size_t i = 0; i < 4; i++)
    assert_int_equal(total(w, i), 0);
  assert_int_equal(rcw_windows_late(w, 3), 1);
  assert_int_equal(rcw_windows_late(w, 0), 2);
  rcw_windows_free(w);
}

/* --- keys ----------------------------------------------------------------- */

static void test_keys_and_seen_order(void **state)
{
  (void)state;
  rcw_windows *w = make_default();
  add(w, 1000, 7, 2, true);
  add(w, 1001, 3, 5, false);
  add(w, 1002, 7, 2, true);
  add(w, 1003, 4, 2, true);
  size_t n;
  const uint32_t *e = rcw_windows_entries_seen(w, &n);
  assert_int_equal(n, 3);
  assert_int_equal(e[0], 7);
  assert_int_equal(e[1], 3);
  assert_int_equal(e[2], 4);
  const uint32_t *c = rcw_windows_categories_seen(w, &n);
  assert_int_equal(n, 2);
  assert_int_equal(c[0], 2);
  assert_int_equal(c[1], 5);
  assert_int_equal(rcw_windows_entry(w, 0, 7), 2);
  assert_int_equal(rcw_windows_entry(w, 0, 99), 0); /* never seen: 0, no crash */
  assert_int_equal(rcw_windows_category(w, 0, 2).requests, 3);
  assert_int_equal(rcw_windows_category(w, 0, 2).failures, 3);
  assert_int_equal(rcw_windows_category(w, 0, 5).failures, 0);
  assert_int_equal(rcw_windows_total(w, 2).requests, 4);
  assert_int_equal(rcw_windows_total(w, 2).failures, 3);
  struct rcw_win_event bad = {1, RCW_ENTRY_NONE, 2, true, NULL, NULL, 0};
  assert_int_equal(rcw_windows_add(w, &bad), -EINVAL);
  rcw_windows_free(w);
}

static void test_dimension_values_and_cap(void **state)
{
  (void)state;
  const char *dims[] = {"campaign", "endpoint"};
  rcw_windows *w = make(default_spans, 4, dims, 2, 3);
  assert_int_equal(rcw_windows_dimension_count(w), 2);
  assert_int_equal(rcw_windows_dimension_index(w, "endpoint"), 1);
  assert_int_equal(rcw_windows_dimension_index(w, "nope"), -1);
  const char *vals[] = {"a", "b", "a", "c", "d", "e", "a", "_other"};
  for (size_t i = 0; i < 8; i++)
    add_dim(w, 1000 + (int64_t)i, i % 2, 1, vals[i]);
  char longv[RCW_WINDOWS_VALUE_MAX + 2];
  memset(longv, 'x', sizeof(longv) - 1);
  longv[sizeof(longv) - 1] = '\0';
  add_dim(w, 2000, true, 1, longv);
  add_dim(w, 2001, true, 1, NULL); /* not captured: no value key */
  add_dim(w, 2002, true, 1, "");   /* empty: the same */
  /* a, b, c, then _other for d, e, the literal "_other" and the long one. */
  assert_int_equal(rcw_windows_value_count(w, 0), 4);
  size_t len;
  assert_string_equal(rcw_windows_value_name(w, 0, 0, &len), "a");
  assert_string_equal(rcw_windows_value_name(w, 0, 3, &len), "_other");
  assert_int_equal(len, 6);
  assert_int_equal(rcw_windows_value_find(w, 0, "d", 1), -1);
  assert_int_equal(rcw_windows_value_find(w, 0, "c", 1), 2);
  assert_int_equal(rcw_windows_value_overflow(w, 0), 3); /* d, e, long */
  assert_int_equal(rcw_windows_value(w, 0, 0, 0, -1).requests, 3);
  assert_int_equal(rcw_windows_value(w, 0, 0, 3, -1).requests, 4);
  assert_int_equal(rcw_windows_value(w, 0, 0, 3, -1).failures, 3);
  assert_int_equal(total(w, 0), 11);
  assert_int_equal(rcw_windows_value_count(w, 1), 0);
  /* Values go to the dimension the map names. */
  struct rcw_field f[2] = {{"x1", 2}, {"/coupons", 8}};
  int map[2] = {-1, 1};
  struct rcw_win_event ev = {3000, 1, 1, false, f, map, 2};
  assert_int_equal(rcw_windows_add(w, &ev), 0);
  assert_int_equal(rcw_windows_value_count(w, 1), 1);
  assert_int_equal(rcw_windows_value_find(w, 0, "x1", 2), -1);
  assert_int_equal(rcw_windows_value(w, 0, 1, 0, -1).requests, 1);
  assert_int_equal(rcw_windows_value_intern(w, 1, "/giftcards", 10), 1);
  assert_int_equal(rcw_windows_value_intern(w, 5, "x", 1), -EINVAL);
  rcw_windows_free(w);
}

static void test_many_values_grow(void **state)
{
  (void)state;
  const char *dims[] = {"user"};
  rcw_windows *w = make(default_spans, 4, dims, 1, 0); /* default cap 1000 */
  char v[32];
  for (int i = 0; i < 1500; i++) {
    snprintf(v, sizeof(v), "user-%d", i);
    add_dim(w, 5000, i % 3 == 0, 1, v);
  }
  assert_int_equal(rcw_windows_value_count(w, 0), 1001);
  assert_int_equal(rcw_windows_value_overflow(w, 0), 500);
  assert_int_equal(rcw_windows_value_find(w, 0, "user-999", 8), 999);
  int64_t other = rcw_windows_value_find(w, 0, "_other", 6);
  assert_int_equal(other, 1000);
  assert_int_equal(rcw_windows_value(w, 3, 0, (uint32_t)other, -1).requests, 500);
  assert_int_equal(rcw_windows_value(w, 3, 0, 999, -1).requests, 1);
  assert_int_equal(rcw_windows_value(w, 3, 0, 999, -1).failures, 1);
  rcw_windows_free(w);
}

static void test_category_filters(void **state)
{
  (void)state;
  rcw_catalog *c = rcw_catalog_new_default();
  uint32_t stock = rcw_catalog_category_id(c, "stock");
  uint32_t limit = rcw_catalog_category_id(c, "user_limit");
  uint32_t auth = rcw_catalog_category_id(c, "auth");
  char *only_stock[] = {"stock"};
  char *both[] = {"user_limit", "stock", "stock"};
  struct rcw_rule_spec rules[] = {
    {.name = "a", .scope = RCW_SCOPE_DIMENSION, .dimension = "campaign",
     .categories = only_stock, .ncategories = 1},
    {.name = "b", .scope = RCW_SCOPE_DIMENSION, .dimension = "campaign",
     .categories = both, .ncategories = 3},
    {.name = "c", .scope = RCW_SCOPE_DIMENSION, .dimension = "campaign",
     .categories = only_stock, .ncategories = 1},
  };
  struct rcw_windows_spec spec = {default_spans, 4, 0, NULL, 0, rules, 3, c};
  rcw_windows *w;
  assert_int_equal(rcw_windows_new(&spec, &w), 0);
  assert_int_equal(rcw_windows_dimension_index(w, "campaign"), 0); /* from the rules */
  uint32_t q1[] = {stock};
  uint32_t q2[] = {stock, limit};
  uint32_t q3[] = {auth};
  assert_int_equal(rcw_windows_filter_index(w, 0, q1, 1), 0);
  assert_int_equal(rcw_windows_filter_index(w, 0, q2, 2), 1);
  assert_int_equal(rcw_windows_filter_index(w, 0, q3, 1), -1);
  add_dim(w, 1000, true, stock, "48184");
  add_dim(w, 1001, true, stock, "48184");
  add_dim(w, 1002, true, limit, "48184");
  add_dim(w, 1003, true, auth, "48184");
  add_dim(w, 1004, false, 0, "48184");
  assert_int_equal(rcw_windows_value(w, 0, 0, 0, -1).requests, 5);
  assert_int_equal(rcw_windows_value(w, 0, 0, 0, -1).failures, 4);
  assert_int_equal(rcw_windows_value(w, 0, 0, 0, 0).failures, 2);
  assert_int_equal(rcw_windows_value(w, 0, 0, 0, 1).failures, 3);
  assert_int_equal(rcw_windows_value(w, 0, 0, 0, 2).failures, 0); /* no such filter */
  rcw_windows_free(w);
  rcw_catalog_free(c);
}

static void test_tally_view(void **state)
{
  (void)state;
  rcw_windows *w = make_default();
  add(w, 0, 4, 1, true);
  add(w, 10 * S, 4, 1, true);
  add(w, 90 * S, 2, 0, false);
  struct rcw_tally t;
  rcw_tally_init(&t);
  assert_int_equal(rcw_windows_tally(w, 0, 100 * S, &t), 0);
  assert_int_equal(t.lines_total, 1);
  assert_int_equal(t.lines_matched, 1);
  assert_int_equal(t.by_entry[2], 1);
  assert_true(t.nentries <= 4 || t.by_entry[4] == 0);
  assert_int_equal(rcw_windows_tally(w, 1, 100 * S, &t), 0);
  assert_int_equal(t.lines_matched, 3);
  assert_int_equal(t.by_entry[4], 2);
  assert_int_equal(t.lines_unmatched, 0);
  rcw_tally_destroy(&t);
  rcw_windows_free(w);
}

/* --- the sums against a recount ------------------------------------------- */

struct logged {
  int64_t t;
  uint32_t entry, cat;
  bool failure;
  bool in[4]; /* taken by each window when it came */
};

static uint64_t rand_next(uint64_t *s)
{
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return *s >> 33;
}

static int64_t fdiv(int64_t a, int64_t b)
{
  return a / b - (a % b != 0 && a < 0);
}

/* What window i holds at now, recounted from every event. */
static void recount(const rcw_windows *w, const struct logged *log, size_t n, size_t i,
                    uint64_t *req, uint64_t *fail, uint64_t *cat0, uint64_t *entry3)
{
  int64_t b = rcw_windows_bucket_ms(w, i), nb = (int64_t)rcw_windows_buckets(w, i);
  int64_t head = fdiv(rcw_windows_now(w), b);
  *req = *fail = *cat0 = *entry3 = 0;
  for (size_t k = 0; k < n; k++) {
    if (!log[k].in[i] || fdiv(log[k].t, b) <= head - nb)
      continue;
    (*req)++;
    *fail += log[k].failure;
    *cat0 += log[k].cat == 0;
    *entry3 += log[k].entry == 3;
  }
}

static void check_against_recount(const rcw_windows *w, const struct logged *log, size_t n)
{
  for (size_t i = 0; i < 4; i++) {
    uint64_t req, fail, cat0, entry3;
    recount(w, log, n, i, &req, &fail, &cat0, &entry3);
    assert_int_equal(rcw_windows_total(w, i).requests, req);
    assert_int_equal(rcw_windows_total(w, i).failures, fail);
    assert_int_equal(rcw_windows_category(w, i, 0).requests, cat0);
    assert_int_equal(rcw_windows_entry(w, i, 3), entry3);
  }
}

static void test_sums_match_recount(void **state)
{
  (void)state;
  enum { N = 6000 };
  struct logged *log = calloc(N, sizeof(*log));
  rcw_windows *w = make_default();
  uint64_t seed = 42;
  int64_t t = 1700000000000LL;
  for (size_t k = 0; k < N; k++) {
    uint64_t r = rand_next(&seed);
    t += (int64_t)(r % 4000) - 500;                     /* mostly forward, some back */
    if (r % 97 == 0)
      t += (int64_t)(rand_next(&seed) % (2 * H));       /* now and then a gap */
    int64_t et = t - (r % 13 == 0 ? (int64_t)(rand_next(&seed) % (20 * M)) : 0);
    uint32_t entry = (uint32_t)(rand_next(&seed) % 6);
    struct logged *l = &log[k];
    *l = (struct logged){et, entry, entry % 3, entry >= 2, {false}};
    int64_t now = rcw_windows_now(w) == INT64_MIN ? et : rcw_windows_now(w);
    now = et > now ? et : now;
    for (size_t i = 0; i < 4; i++)
      l->in[i] = fdiv(et, rcw_windows_bucket_ms(w, i)) >
                 fdiv(now, rcw_windows_bucket_ms(w, i)) - (int64_t)rcw_windows_buckets(w, i);
    add(w, et, entry, entry % 3, entry >= 2);
    if (k % 50 == 0)
      check_against_recount(w, log, k + 1);
  }
  check_against_recount(w, log, N);
  free(log);
  rcw_windows_free(w);
}

/* --- checkpoints ------------------------------------------------------------ */

static rcw_windows *make_with_dims(rcw_catalog *c, const int64_t *spans, size_t n)
{
  static char *stock[] = {"stock"};
  static struct rcw_rule_spec rule = {.name = "per-campaign", .scope = RCW_SCOPE_DIMENSION,
                                      .dimension = "campaign", .categories = stock,
                                      .ncategories = 1};
  static const char *dims[] = {"endpoint"};
  struct rcw_windows_spec spec = {spans, n, 4, dims, 1, &rule, 1, c};
  rcw_windows *w;
  assert_int_equal(rcw_windows_new(&spec, &w), 0);
  return w;
}

static void feed(rcw_windows *w, rcw_catalog *c, int64_t t, const char *code,
                 const char *campaign, const char *endpoint)
{
  uint32_t id = code[0] == 'h' ? rcw_catalog_classify_status(c, atoi(code + 5))
                               : rcw_catalog_classify(c, code, strlen(code), NULL, 0, NULL);
  const struct rcw_entry *e = rcw_catalog_entry(c, id);
  struct rcw_field f[2] = {{endpoint, endpoint ? strlen(endpoint) : 0},
                           {campaign, campaign ? strlen(campaign) : 0}};
  int map[2] = {0, 1};
  struct rcw_win_event ev = {t, id, e->category, !e->success, f, map, 2};
  assert_int_equal(rcw_windows_add(w, &ev), 0);
}

static void feed_mix(rcw_windows *w, rcw_catalog *c)
{
  const char *codes[] = {"-1", "1204", "1001", "9999", "http_503", "1306", "-1", "7101"};
  const char *campaigns[] = {"48184", "9000", "1", "2", "3", "4", "5", NULL};
  for (int i = 0; i < 400; i++)
    feed(w, c, 3 * H + i * 4100 - (i % 7 == 0 ? 70 * S : 0), codes[i % 8], campaigns[i % 7],
         i % 2 ? "/coupons" : "/giftcards");
}

static void assert_same_counts(rcw_windows *a, rcw_windows *b, const rcw_catalog *c)
{
  for (size_t i = 0; i < rcw_windows_count(a); i++) {
    assert_int_equal(rcw_windows_total(a, i).requests, rcw_windows_total(b, i).requests);
    assert_int_equal(rcw_windows_total(a, i).failures, rcw_windows_total(b, i).failures);
    for (uint32_t k = 0; k < rcw_catalog_category_count(c); k++)
      assert_int_equal(rcw_windows_category(a, i, k).failures,
                       rcw_windows_category(b, i, k).failures);
    for (uint32_t e = 0; e < rcw_catalog_entry_count(c); e++)
      assert_int_equal(rcw_windows_entry(a, i, e), rcw_windows_entry(b, i, e));
    for (size_t d = 0; d < rcw_windows_dimension_count(a); d++)
      for (uint32_t v = 0; v < rcw_windows_value_count(a, d); v++) {
        size_t len;
        const char *name = rcw_windows_value_name(a, d, v, &len);
        int64_t bv = rcw_windows_value_find(b, d, name, len);
        assert_true(bv >= 0);
        for (int f = -1; f < 1; f++) {
          struct rcw_win_counts x = rcw_windows_value(a, i, d, v, f);
          struct rcw_win_counts y = rcw_windows_value(b, i, d, (uint32_t)bv, f);
          assert_int_equal(x.requests, y.requests);
          assert_int_equal(x.failures, y.failures);
        }
      }
  }
}

static void test_save_load_round_trip(void **state)
{
  (void)state;
  rcw_catalog *c = rcw_catalog_new_default();
  rcw_windows *a = make_with_dims(c, default_spans, 4);
  rcw_windows *b = make_with_dims(c, default_spans, 4);
  feed_mix(a, c);
  struct rcw_buf one = RCW_BUF_INIT, two = RCW_BUF_INIT;
  assert_int_equal(rcw_windows_save(a, c, &one), 0);
  assert_int_equal(rcw_windows_load(b, c, one.data, one.len), 0);
  assert_int_equal(rcw_windows_now(a), rcw_windows_now(b));
  assert_int_equal(rcw_windows_latest(a), rcw_windows_latest(b));
  assert_int_equal(rcw_windows_late(a, 0), rcw_windows_late(b, 0));
  assert_int_equal(rcw_windows_value_overflow(a, 1), rcw_windows_value_overflow(b, 1));
  assert_true(rcw_windows_value_overflow(a, 1) > 0);
  assert_true(rcw_windows_late(a, 0) > 0);
  assert_same_counts(a, b, c);
  assert_int_equal(rcw_windows_save(b, c, &two), 0);
  assert_int_equal(one.len, two.len);
  assert_memory_equal(one.data, two.data, one.len);
  /* Both age the same way afterwards, bucket for bucket. */
  int64_t start = rcw_windows_now(a);
  for (int64_t t = start; t < start + 2 * H; t += 7 * S) {
    rcw_windows_advance(a, t);
    rcw_windows_advance(b, t);
    assert_same_counts(a, b, c);
  }
  rcw_buf_free(&one);
  rcw_buf_free(&two);
  rcw_windows_free(a);
  rcw_windows_free(b);
  rcw_catalog_free(c);
}

static void test_load_into_other_shape(void **state)
{
  (void)state;
  rcw_catalog *old_c = rcw_catalog_new_default();
  rcw_catalog *new_c = rcw_catalog_new_default();
  /* The new catalog moves 1204 to config and knows 9999. */
  assert_int_equal(rcw_catalog_set_code(new_c, "1204", "config", "moved"), 0);
  assert_int_equal(rcw_catalog_set_code(new_c, "9999", "auth", "now known"), 0);
  const int64_t new_spans[] = {2 * M, 5 * M};
  rcw_windows *a = make_with_dims(old_c, default_spans, 4);
  rcw_windows *b = make_with_dims(new_c, new_spans, 2);
  feed_mix(a, old_c);
  assert_int_equal(rcw_windows_adopt(b, new_c, a, old_c), 0);
  int five_a = rcw_windows_index(a, 5 * M), five_b = rcw_windows_index(b, 5 * M);
  assert_int_equal(rcw_windows_total(b, (size_t)five_b).requests,
                   rcw_windows_total(a, (size_t)five_a).requests);
  assert_int_equal(rcw_windows_total(b, 0).requests, 0); /* 2m is new: empty */
  uint32_t e1204 = rcw_catalog_classify(new_c, "1204", 4, NULL, 0, NULL);
  uint32_t e9999 = rcw_catalog_classify(new_c, "9999", 4, NULL, 0, NULL);
  uint32_t o1204 = rcw_catalog_classify(old_c, "1204", 4, NULL, 0, NULL);
  uint32_t o9999 = rcw_catalog_classify(old_c, "9999", 4, NULL, 0, NULL);
  uint64_t n1204 = rcw_windows_entry(a, (size_t)five_a, o1204);
  uint64_t n9999 = rcw_windows_entry(a, (size_t)five_a, o9999);
  assert_true(n1204 > 0 && n9999 > 0);
  assert_int_equal(rcw_windows_entry(b, (size_t)five_b, e1204), n1204);
  assert_int_equal(rcw_windows_entry(b, (size_t)five_b, e9999), n9999);
  uint32_t config = rcw_catalog_category_id(new_c, "config");
  uint32_t auth = rcw_catalog_category_id(new_c, "auth");
  uint32_t old_auth = rcw_catalog_category_id(old_c, "auth");
  uint32_t old_config = rcw_catalog_category_id(old_c, "config");
  assert_int_equal(rcw_windows_category(b, (size_t)five_b, config).failures,
                   rcw_windows_category(a, (size_t)five_a, old_config).failures + n1204);
  assert_int_equal(rcw_windows_category(b, (size_t)five_b, auth).failures,
                   rcw_windows_category(a, (size_t)five_a, old_auth).failures + n9999);
  rcw_windows_free(a);
  rcw_windows_free(b);
  rcw_catalog_free(old_c);
  rcw_catalog_free(new_c);
}

static void check_rejected(rcw_windows *w, rcw_catalog *c, const void *p, size_t n,
                           uint64_t before)
{
  int r = rcw_windows_load(w, c, p, n);
  assert_int_equal(r, -EINVAL);
  assert_int_equal(rcw_windows_total(w, 3).requests, before);
}

static void test_load_garbage(void **state)
{
  (void)state;
  rcw_catalog *c = rcw_catalog_new_default();
  rcw_windows *a = make_with_dims(c, default_spans, 4);
  rcw_windows *b = make_with_dims(c, default_spans, 4);
  feed_mix(a, c);
  feed(b, c, 3 * H, "1001", "x", "/y");
  struct rcw_buf blob = RCW_BUF_INIT;
  assert_int_equal(rcw_windows_save(a, c, &blob), 0);
  unsigned char *copy = malloc(blob.len + 8);
  /* Every truncation, and one byte too many, fail and leave b as it was. */
  for (size_t n = 0; n < blob.len; n += (n < 400 ? 1 : 37))
    check_rejected(b, c, blob.data, n, 1);
  memcpy(copy, blob.data, blob.len);
  copy[blob.len] = 0;
  check_rejected(b, c, copy, blob.len + 1, 1);
  check_rejected(b, c, NULL, 0, 1);
  /* Flipped bytes either fail cleanly or load something; never crash. */
  uint64_t seed = 7;
  for (int k = 0; k < 3000; k++) {
    memcpy(copy, blob.data, blob.len);
    size_t at = (size_t)(rand_next(&seed) % blob.len);
    copy[at] ^= (unsigned char)(1 + rand_next(&seed) % 255);
    int r = rcw_windows_load(b, c, copy, blob.len);
    assert_true(r == 0 || r == -EINVAL);
  }
  /* A forged huge count is refused before anything is allocated. */
  struct rcw_buf forged = RCW_BUF_INIT;
  rcw_blob_put_u32(&forged, 0x57574352u);
  rcw_blob_put_u32(&forged, 1);
  rcw_blob_put_u8(&forged, 0);
  rcw_blob_put_i64(&forged, INT64_MIN);
  rcw_blob_put_i64(&forged, INT64_MIN);
  rcw_blob_put_u32(&forged, 0xffffffffu);
  assert_int_equal(rcw_windows_load(b, c, forged.data, forged.len), -EINVAL);
  /* Another version is refused. */
  memcpy(copy, blob.data, blob.len);
  copy[4] = 2;
  assert_int_equal(rcw_windows_load(b, c, copy, blob.len), -EINVAL);
  free(copy);
  rcw_buf_free(&forged);
  rcw_buf_free(&blob);
  rcw_windows_free(a);
  rcw_windows_free(b);
  rcw_catalog_free(c);
}

static void test_reset_and_memory(void **state)
{
  (void)state;
  rcw_windows *w = make_default();
  size_t empty = rcw_windows_memory(w);
  for (uint32_t e = 0; e < 100; e++)
    add(w, 1000, e, e % 10, true);
  assert_true(rcw_windows_memory(w) > empty);
  rcw_windows_reset(w);
  assert_int_equal(total(w, 0), 0);
  assert_int_equal(rcw_windows_now(w), INT64_MIN);
  size_t n;
  rcw_windows_entries_seen(w, &n);
  assert_int_equal(n, 0);
  add(w, 5, 1, 1, false);
  assert_int_equal(total(w, 0), 1);
  rcw_windows_free(w);
  rcw_windows_free(NULL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_bucket_shapes),
    cmocka_unit_test(test_bad_specs),
    cmocka_unit_test(test_bucket_boundaries),
    cmocka_unit_test(test_time_never_goes_back),
    cmocka_unit_test(test_gap_longer_than_windows),
    cmocka_unit_test(test_out_of_order_and_late),
    cmocka_unit_test(test_keys_and_seen_order),
    cmocka_unit_test(test_dimension_values_and_cap),
    cmocka_unit_test(test_many_values_grow),
    cmocka_unit_test(test_category_filters),
    cmocka_unit_test(test_tally_view),
    cmocka_unit_test(test_sums_match_recount),
    cmocka_unit_test(test_save_load_round_trip),
    cmocka_unit_test(test_load_into_other_shape),
    cmocka_unit_test(test_load_garbage),
    cmocka_unit_test(test_reset_and_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
