/* tally — per-entry counters and the summary derived from them. */
#include "tally.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TALLY_MIN 64

void rcw_tally_init(struct rcw_tally *t)
{
  memset(t, 0, sizeof(*t));
}

void rcw_tally_destroy(struct rcw_tally *t)
{
  free(t->by_entry);
  rcw_tally_init(t);
}

void rcw_tally_reset(struct rcw_tally *t)
{
  uint64_t *by_entry = t->by_entry;
  size_t n = t->nentries;
  memset(t, 0, sizeof(*t));
  if (by_entry)
    memset(by_entry, 0, n * sizeof(*by_entry));
  t->by_entry = by_entry;
  t->nentries = n;
}

/* Grow geometrically so that counting new codes one by one stays linear. */
static int tally_reserve(struct rcw_tally *t, size_t n)
{
  if (n <= t->nentries)
    return 0;
  size_t cap = t->nentries ? t->nentries : TALLY_MIN;
  while (cap < n)
    cap *= 2;
  uint64_t *by_entry = realloc(t->by_entry, cap * sizeof(*by_entry));
  if (!by_entry)
    return -ENOMEM;
  memset(by_entry + t->nentries, 0, (cap - t->nentries) * sizeof(*by_entry));
  t->by_entry = by_entry;
  t->nentries = cap;
  return 0;
}

int rcw_tally_count(struct rcw_tally *t, uint32_t entry, uint64_t n)
{
  if (entry == RCW_ENTRY_NONE)
    return -EINVAL;
  if (entry >= t->nentries && tally_reserve(t, (size_t)entry + 1) < 0)
    return -ENOMEM;
  t->by_entry[entry] += n;
  return 0;
}

int rcw_tally_merge(struct rcw_tally *dst, const struct rcw_tally *src)
{
  size_t used = src->nentries;
  while (used > 0 && src->by_entry[used - 1] == 0)
    used--;
  if (tally_reserve(dst, used) < 0)
    return -ENOMEM;
  for (size_t i = 0; i < used; i++)
    dst->by_entry[i] += src->by_entry[i];
  dst->lines_total += src->lines_total;
  dst->lines_matched += src->lines_matched;
  dst->lines_unmatched += src->lines_unmatched;
  dst->unmatched_too_long += src->unmatched_too_long;
  dst->unmatched_limit += src->unmatched_limit;
  return 0;
}

/* --- summaries ---------------------------------------------------------- */

/* Numeric codes in numeric order, before named ones ("http_503"). */
static int code_cmp(const char *a, const char *b)
{
  char *ea, *eb;
  long long na = strtoll(a, &ea, 10), nb = strtoll(b, &eb, 10);
  bool num_a = *a && !*ea, num_b = *b && !*eb;
  if (num_a && num_b && na != nb)
    return na < nb ? -1 : 1;
  if (num_a != num_b)
    return num_a ? -1 : 1;
  return strcmp(a, b);
}

static int codes_cmp(const void *pa, const void *pb, void *ctx)
{
  const struct rcw_summary_code *a = pa, *b = pb;
  const rcw_catalog *c = ctx;
  if (a->count != b->count)
    return a->count > b->count ? -1 : 1;
  int r = code_cmp(rcw_catalog_entry(c, a->entry)->code, rcw_catalog_entry(c, b->entry)->code);
  if (r != 0)
    return r;
  return a->entry < b->entry ? -1 : a->entry > b->entry;
}

static int categories_cmp(const void *pa, const void *pb, void *ctx)
{
  const struct rcw_summary_category *a = pa, *b = pb;
  const rcw_catalog *c = ctx;
  if (a->failures != b->failures)
    return a->failures > b->failures ? -1 : 1;
  if (a->count != b->count)
    return a->count > b->count ? -1 : 1;
  return strcmp(rcw_catalog_category(c, a->category)->name,
                rcw_catalog_category(c, b->category)->name);
}

static size_t entries_seen(const struct rcw_tally *t, const rcw_catalog *c)
{
  size_t n = t->nentries < rcw_catalog_entry_count(c) ? t->nentries : rcw_catalog_entry_count(c);
  size_t seen = 0;
  for (size_t i = 0; i < n; i++)
    seen += t->by_entry[i] > 0;
  return seen;
}

/* Fill s->codes and per-category sums (indexed by category id) from t. */
static void collect(struct rcw_summary *s, struct rcw_summary_category *bycat,
                    const struct rcw_tally *t, const rcw_catalog *c)
{
  size_t n = t->nentries < rcw_catalog_entry_count(c) ? t->nentries : rcw_catalog_entry_count(c);
  for (uint32_t id = 0; id < n; id++) {
    uint64_t count = t->by_entry[id];
    if (count == 0)
      continue;
    const struct rcw_entry *e = rcw_catalog_entry(c, id);
    s->codes[s->ncodes++] = (struct rcw_summary_code){id, count};
    bycat[e->category].count += count;
    s->requests += count;
    if (!e->success) {
      bycat[e->category].failures += count;
      s->failures += count;
    }
  }
}

static void keep_seen_categories(struct rcw_summary *s, struct rcw_summary_category *bycat,
                                 size_t ncats)
{
  for (uint32_t id = 0; id < ncats; id++) {
    if (bycat[id].count == 0)
      continue;
    bycat[id].category = id;
    s->categories[s->ncategories++] = bycat[id];
  }
}

int rcw_summary_build(struct rcw_summary *s, const struct rcw_tally *t, const rcw_catalog *c)
{
  size_t ncats = rcw_catalog_category_count(c);
  memset(s, 0, sizeof(*s));
  struct rcw_summary_category *bycat = calloc(ncats ? ncats : 1, sizeof(*bycat));
  s->codes = calloc(entries_seen(t, c) + 1, sizeof(*s->codes));
  s->categories = calloc(ncats ? ncats : 1, sizeof(*s->categories));
  if (!bycat || !s->codes || !s->categories) {
    free(bycat);
    rcw_summary_destroy(s);
    return -ENOMEM;
  }
  collect(s, bycat, t, c);
  keep_seen_categories(s, bycat, ncats);
  free(bycat);
  s->lines_total = t->lines_total;
  s->lines_matched = t->lines_matched;
  s->lines_unmatched = t->lines_unmatched;
  s->unmatched_too_long = t->unmatched_too_long;
  s->unmatched_limit = t->unmatched_limit;
  s->failure_rate = s->requests ? (double)s->failures / (double)s->requests : 0.0;
  /* qsort_r: the comparisons need the catalog, and a global would make
   * summaries unsafe to build from two threads. */
  qsort_r(s->codes, s->ncodes, sizeof(*s->codes), codes_cmp, (void *)c);
  qsort_r(s->categories, s->ncategories, sizeof(*s->categories), categories_cmp, (void *)c);
  return 0;
}

void rcw_summary_destroy(struct rcw_summary *s)
{
  free(s->codes);
  free(s->categories);
  memset(s, 0, sizeof(*s));
}
