/* Unit tests for the windows' pending counts (events of the bucket that
 * is every window's head, counted once and moved into the rings when time
 * moves on): reads, tallies and checkpoints must be what a plain model of
 * the windows says, with events in order, out of order, late, and across
 * bucket boundaries of windows of unequal buckets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "catalog.h"
#include "tally.h"
#include "windows.h"

#define NWIN 4
#define MAX_EVENTS 6000

/* Buckets of 250 ms, 1 s, 1.5 s and 5 s: heads that move at different
 * times, so events keep crossing some window's boundary. */
static const int64_t spans[NWIN] = {250, 10000, 90000, 300000};

struct ev {
  int64_t t;
  uint32_t entry;
  bool failure;
  bool in[NWIN]; /* counted in that window (not late when it came) */
};

struct model {
  struct ev ev[MAX_EVENTS];
  size_t n;
  int64_t now;
};

static int64_t fdiv(int64_t a, int64_t b)
{
  return a / b - (a % b != 0 && a < 0);
}

static void model_add(struct model *m, rcw_windows *w, int64_t t, uint32_t entry, bool fail)
{
  struct ev *e = &m->ev[m->n++];
  e->t = t;
  e->entry = entry;
  e->failure = fail;
  if (m->n == 1 || t > m->now)
    m->now = t;
  for (size_t i = 0; i < NWIN; i++) {
    int64_t b = rcw_windows_bucket_ms(w, i);
    e->in[i] = fdiv(t, b) > fdiv(m->now, b) - (int64_t)rcw_windows_buckets(w, i);
  }
}

/* What window i holds at the model's now, for entry (or all: UINT32_MAX). */
static struct rcw_win_counts model_count(const struct model *m, const rcw_windows *w, size_t i,
                                         uint32_t entry, uint32_t cat_of_entry_mod)
{
  struct rcw_win_counts c = {0, 0};
  int64_t b = rcw_windows_bucket_ms(w, i);
  for (size_t k = 0; k < m->n; k++) {
    const struct ev *e = &m->ev[k];
    bool key = entry == UINT32_MAX ||
               (cat_of_entry_mod ? e->entry % cat_of_entry_mod == entry : e->entry == entry);
    if (!key || !e->in[i] || fdiv(e->t, b) <= fdiv(m->now, b) - (int64_t)rcw_windows_buckets(w, i))
      continue;
    c.requests++;
    c.failures += e->failure;
  }
  return c;
}

#define NENTRIES 12
#define NCATS 3 /* category of entry e: e % NCATS */

static void check(const struct model *m, const rcw_windows *w)
{
  assert_int_equal(rcw_windows_now(w), m->now);
  for (size_t i = 0; i < NWIN; i++) {
    struct rcw_win_counts want = model_count(m, w, i, UINT32_MAX, 0);
    struct rcw_win_counts got = rcw_windows_total(w, i);
    assert_int_equal(got.requests, want.requests);
    assert_int_equal(got.failures, want.failures);
    for (uint32_t c = 0; c < NCATS; c++) {
      want = model_count(m, w, i, c, NCATS);
      got = rcw_windows_category(w, i, c);
      assert_int_equal(got.requests, want.requests);
      assert_int_equal(got.failures, want.failures);
    }
    for (uint32_t e = 0; e < NENTRIES; e++)
      assert_int_equal(rcw_windows_entry(w, i, e), model_count(m, w, i, e, 0).requests);
  }
}

static rcw_windows *make(void)
{
  struct rcw_windows_spec spec = {spans, NWIN, 0, NULL, 0, NULL, 0, NULL};
  rcw_windows *w = NULL;
  assert_int_equal(rcw_windows_new(&spec, &w), 0);
  return w;
}

static uint32_t rnd(uint32_t *seed)
{
  *seed = *seed * 1103515245u + 12345u;
  return *seed >> 16;
}

static void add(struct model *m, rcw_windows *w, int64_t t, uint32_t entry, bool fail)
{
  struct rcw_win_event ev = {t, entry, entry % NCATS, fail, NULL, NULL, 0};
  assert_int_equal(rcw_windows_add(w, &ev), 0);
  model_add(m, w, t, entry, fail);
}

/* Mostly forward in small steps, sometimes back a little or a lot,
 * sometimes a jump: every read checked against the model. */
static void test_random_walk(void **state)
{
  (void)state;
  static struct model m;
  memset(&m, 0, sizeof(m));
  rcw_windows *w = make();
  uint32_t seed = 7;
  int64_t t = 1773479564512;
  for (int k = 0; k < MAX_EVENTS; k++) {
    uint32_t r = rnd(&seed) % 100;
    if (r < 70)
      t += rnd(&seed) % 40;
    else if (r < 85)
      t -= rnd(&seed) % 2000;
    else if (r < 97)
      t += rnd(&seed) % 3000;
    else
      t += rnd(&seed) % 400000;
    add(&m, w, t, rnd(&seed) % NENTRIES, rnd(&seed) % 3 == 0);
    if (k % 7 == 0)
      check(&m, w);
  }
  check(&m, w);
  rcw_windows_free(w);
}

/* Inside every head bucket, time still moves: now follows the newest
 * event and never goes back, and the next bucket moves the heads. */
static void test_now_inside_head_bucket(void **state)
{
  (void)state;
  static struct model m;
  memset(&m, 0, sizeof(m));
  rcw_windows *w = make();
  int64_t t0 = 1773479564000; /* a multiple of every bucket */
  static const int64_t steps[] = {0, 10, 5, 120, 120, 3, 249, 250, 251, 100, 900, 1000};
  for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
    add(&m, w, t0 + steps[k], (uint32_t)k % NENTRIES, k % 2 == 0);
    check(&m, w);
  }
  assert_int_equal(rcw_windows_now(w), t0 + 1000);
  rcw_windows_free(w);
}

/* A checkpoint taken while events pend holds them; the loaded windows
 * read the same, and so does the tally view. */
static void test_checkpoint_with_pending(void **state)
{
  (void)state;
  static struct model m;
  memset(&m, 0, sizeof(m));
  rcw_catalog *c = rcw_catalog_new_default();
  assert_non_null(c);
  rcw_windows *a = make(), *b = make();
  /* Real entry ids of the default catalog, so a load can classify them. */
  uint32_t ids[2];
  ids[0] = rcw_catalog_classify(c, "1204", 4, NULL, 0, NULL);
  ids[1] = rcw_catalog_classify(c, "-1", 2, NULL, 0, NULL);
  int64_t t0 = 1773479564000;
  for (int k = 0; k < 50; k++) {
    uint32_t id = ids[k % 2];
    const struct rcw_entry *e = rcw_catalog_entry(c, id);
    struct rcw_win_event ev = {t0 + k * 37, id, e->category, !e->success, NULL, NULL, 0};
    assert_int_equal(rcw_windows_add(a, &ev), 0);
  }
  struct rcw_buf blob = RCW_BUF_INIT;
  assert_int_equal(rcw_windows_save(a, c, &blob), 0);
  assert_int_equal(rcw_windows_load(b, c, blob.data, blob.len), 0);
  for (size_t i = 0; i < NWIN; i++) {
    assert_int_equal(rcw_windows_total(b, i).requests, rcw_windows_total(a, i).requests);
    assert_int_equal(rcw_windows_total(b, i).failures, rcw_windows_total(a, i).failures);
    assert_int_equal(rcw_windows_entry(b, i, ids[0]), rcw_windows_entry(a, i, ids[0]));
  }
  assert_int_equal(rcw_windows_total(a, 3).requests, 50);
  assert_int_equal(rcw_windows_total(a, 3).failures, 25);
  struct rcw_tally tl;
  rcw_tally_init(&tl);
  assert_int_equal(rcw_windows_tally(b, 3, t0 + 50 * 37, &tl), 0);
  assert_int_equal(tl.lines_total, 50);
  rcw_tally_destroy(&tl);
  /* The same events again, now after the reset: nothing stale pends. */
  rcw_windows_reset(a);
  assert_int_equal(rcw_windows_total(a, 3).requests, 0);
  assert_int_equal(rcw_windows_entry(a, 3, ids[0]), 0);
  rcw_buf_free(&blob);
  rcw_windows_free(a);
  rcw_windows_free(b);
  rcw_catalog_free(c);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_random_walk),
    cmocka_unit_test(test_now_inside_head_bucket),
    cmocka_unit_test(test_checkpoint_with_pending),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
