/* windows — bucketed rings with running sums, per key and window. */
#include "windows.h"

#include "blobio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_VALUES 1000
#define BUCKETS_PER_WINDOW 60
#define SMALL_BUCKET_MS 1000 /* windows up to a minute: 1 s buckets */
#define MIN_KEYS 16

/* Counters of a key: [0] requests, [1] failures, [2..] failures of each
 * category filter (dimension values only).  Entries keep only [0]: an
 * entry is a success or a failure as a whole. */
enum { C_REQ = 0, C_FAIL = 1, C_FILTER = 2 };

/* One kind of key (total, categories, entries, one dimension's values):
 * for each window a ring [cap][nbuckets][nc] and sums [cap][nc].  Keys
 * are the row numbers; keys past nkeys have all-zero rows.
 *
 * The total, categories and entries also keep pending counts [cap][nc]:
 * events of the bucket that is the head of every window, counted once
 * instead of once per window, and moved into each window's head bucket
 * and sum (a flush) before time moves a head or an event goes anywhere
 * else.  Reads add them, so they are invisible but for the cost: per
 * event a few adds, per flush the keys touched times the windows. */
struct table {
  uint32_t nc;
  bool pends; /* keeps pending counts */
  size_t nkeys;
  size_t cap;
  uint32_t *ring[RCW_MAX_WINDOWS];
  uint64_t *sum[RCW_MAX_WINDOWS];
  unsigned char *seen; /* [cap]: the key has had an event */
  uint32_t *pend;      /* [cap][nc] */
  uint32_t *dirty;     /* [cap]: the keys with pending counts */
  size_t ndirty;
};

struct window {
  int64_t span;
  int64_t bucket; /* ms per bucket */
  uint32_t n;     /* buckets */
  int64_t head;   /* bucket index of now */
  int64_t head_start; /* its first ms, and its slot: most events land there, */
  uint32_t head_slot; /* so the hot path needs no division */
  uint64_t late;
};

struct value {
  char *s;
  uint32_t len;
  uint32_t hash;
};

struct filter {
  uint32_t *cats; /* sorted, unique */
  size_t n;
};

struct dim {
  char *name;
  struct table t;
  struct value *values;
  size_t nvalues, capvalues;
  uint32_t *index; /* open addressing: value + 1, 0 empty */
  size_t index_cap;
  int64_t other; /* the "_other" value, -1 until used */
  uint64_t overflow;
  struct filter filters[RCW_WINDOWS_MAX_FILTERS];
  size_t nfilters;
  uint32_t *filter_bits; /* [nfilter_cats]: bit f set when the category is in filter f */
  size_t nfilter_cats;
};

struct idlist {
  uint32_t *v;
  size_t n, cap;
};

struct rcw_windows {
  struct window win[RCW_MAX_WINDOWS];
  size_t nwin;
  bool started;
  int64_t now;
  int64_t latest;
  size_t max_values;
  struct table total, cats, entries;
  struct idlist cats_seen, entries_seen;
  struct dim dims[RCW_WINDOWS_MAX_DIMS];
  size_t ndims;
  /* Events in [pend_lo, pend_hi) are in the head bucket of every window
   * and may pend, while the total pending stays below pend_room, what
   * the fullest head bucket can still take. */
  int64_t pend_lo, pend_hi;
  uint32_t pend_room;
};

/* --- time ---------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

static uint32_t slot_of(const struct window *win, int64_t bucket)
{
  int64_t m = bucket % (int64_t)win->n;
  return (uint32_t)(m < 0 ? m + win->n : m);
}

static void set_head(struct window *win, int64_t head)
{
  win->head = head;
  win->head_start = head * win->bucket;
  win->head_slot = slot_of(win, head);
}

static void window_shape(struct window *win, int64_t span)
{
  win->span = span;
  if (span <= BUCKETS_PER_WINDOW * SMALL_BUCKET_MS)
    win->bucket = span < SMALL_BUCKET_MS ? span : SMALL_BUCKET_MS;
  else
    win->bucket = (span + BUCKETS_PER_WINDOW - 1) / BUCKETS_PER_WINDOW;
  win->n = (uint32_t)((span + win->bucket - 1) / win->bucket);
}

/* --- tables -------------------------------------------------------------- */

static void table_init(struct table *t, uint32_t nc, bool pends)
{
  memset(t, 0, sizeof(*t));
  t->nc = nc;
  t->pends = pends;
}

static void table_free(struct table *t)
{
  for (size_t i = 0; i < RCW_MAX_WINDOWS; i++) {
    free(t->ring[i]);
    free(t->sum[i]);
  }
  free(t->seen);
  free(t->pend);
  free(t->dirty);
  table_init(t, t->nc, t->pends);
}

static void *grow_zeroed(void *p, size_t old_bytes, size_t new_bytes)
{
  unsigned char *q = realloc(p, new_bytes);
  if (q)
    memset(q + old_bytes, 0, new_bytes - old_bytes);
  return q;
}

/* Rows for keys [0, nkeys): doubling, so adding keys one by one is linear. */
static int table_reserve(struct table *t, const rcw_windows *w, size_t nkeys)
{
  if (nkeys <= t->cap)
    return 0;
  size_t cap = t->cap ? t->cap : MIN_KEYS;
  while (cap < nkeys)
    cap *= 2;
  for (size_t i = 0; i < w->nwin; i++) {
    size_t row = (size_t)w->win[i].n * t->nc;
    uint32_t *ring = grow_zeroed(t->ring[i], t->cap * row * 4, cap * row * 4);
    if (!ring)
      return -ENOMEM;
    t->ring[i] = ring;
    uint64_t *sum = grow_zeroed(t->sum[i], t->cap * t->nc * 8, cap * t->nc * 8);
    if (!sum)
      return -ENOMEM;
    t->sum[i] = sum;
  }
  unsigned char *seen = grow_zeroed(t->seen, t->cap, cap);
  if (!seen)
    return -ENOMEM;
  t->seen = seen;
  if (t->pends) {
    uint32_t *pend = grow_zeroed(t->pend, t->cap * t->nc * 4, cap * t->nc * 4);
    if (!pend)
      return -ENOMEM;
    t->pend = pend;
    uint32_t *dirty = realloc(t->dirty, cap * sizeof(*dirty));
    if (!dirty)
      return -ENOMEM;
    t->dirty = dirty;
  }
  t->cap = cap;
  return 0;
}

static uint32_t *table_cell(const struct table *t, const struct window *win, size_t i,
                            size_t key, uint32_t slot)
{
  return t->ring[i] + ((size_t)key * win->n + slot) * t->nc;
}

static void table_clear_slot(struct table *t, const struct window *win, size_t i,
                             uint32_t slot)
{
  for (size_t k = 0; k < t->nkeys; k++) {
    uint32_t *cell = table_cell(t, win, i, k, slot);
    uint64_t *sum = t->sum[i] + k * t->nc;
    /* Zeroed in the loop: a memset call per key cost more than its few
     * counters. */
    for (uint32_t c = 0; c < t->nc; c++) {
      sum[c] -= cell[c];
      cell[c] = 0;
    }
  }
}

static void table_clear_window(struct table *t, const struct window *win, size_t i)
{
  if (!t->cap)
    return;
  memset(t->ring[i], 0, t->cap * win->n * t->nc * sizeof(uint32_t));
  memset(t->sum[i], 0, t->cap * t->nc * sizeof(uint64_t));
}

/* Add inc[0..nc) to one bucket of one key, saturating per counter so a
 * bucket and its sum always agree. */
static void table_add(struct table *t, const struct window *win, size_t i, size_t key,
                      uint32_t slot, const uint32_t *inc)
{
  uint32_t *cell = table_cell(t, win, i, key, slot);
  uint64_t *sum = t->sum[i] + key * t->nc;
  for (uint32_t c = 0; c < t->nc; c++) {
    uint32_t add = inc[c] > UINT32_MAX - cell[c] ? UINT32_MAX - cell[c] : inc[c];
    cell[c] += add;
    sum[c] += add;
  }
}

/* The hot path's add of one event (requests 1, failures 0 or 1) to a key
 * with two counters, or one.  No saturation needed: the caller checked
 * the total's bucket, which bounds every other counter of the bucket. */
static inline void table_bump(struct table *t, const struct window *win, size_t i, size_t key,
                              uint32_t slot, uint32_t failure)
{
  uint32_t *cell = table_cell(t, win, i, key, slot);
  uint64_t *sum = t->sum[i] + key * t->nc;
  cell[C_REQ]++;
  sum[C_REQ]++;
  if (t->nc > 1) {
    cell[C_FAIL] += failure;
    sum[C_FAIL] += failure;
  }
}

static uint64_t table_sum(const struct table *t, size_t i, size_t key, uint32_t c)
{
  if (key >= t->nkeys)
    return 0;
  uint64_t n = t->sum[i][key * t->nc + c];
  return t->pend ? n + t->pend[key * t->nc + c] : n;
}

/* One event into the pending counts of key. */
static inline void table_pend(struct table *t, size_t key, uint32_t failure)
{
  uint32_t *p = t->pend + key * t->nc;
  if (p[C_REQ] == 0)
    t->dirty[t->ndirty++] = (uint32_t)key;
  p[C_REQ]++;
  if (t->nc > 1)
    p[C_FAIL] += failure;
}

/* Pending counts into each window's head bucket and sum. */
static void table_flush(struct table *t, const rcw_windows *w)
{
  for (size_t k = 0; k < t->ndirty; k++) {
    size_t key = t->dirty[k];
    uint32_t *p = t->pend + key * t->nc;
    for (size_t i = 0; i < w->nwin; i++)
      table_add(t, &w->win[i], i, key, w->win[i].head_slot, p);
    memset(p, 0, t->nc * sizeof(*p));
  }
  t->ndirty = 0;
}

/* A bucket's counter as the rings would hold it after a flush. */
static uint32_t table_cell_value(const struct table *t, const struct window *win, size_t i,
                                 size_t key, uint32_t slot, uint32_t c)
{
  uint32_t v = table_cell(t, win, i, key, slot)[c];
  return t->pend && slot == win->head_slot ? v + t->pend[key * t->nc + c] : v;
}

static void table_reset(struct table *t, const rcw_windows *w)
{
  for (size_t i = 0; i < w->nwin; i++)
    table_clear_window(t, &w->win[i], i);
  if (t->seen)
    memset(t->seen, 0, t->cap);
  if (t->pend)
    memset(t->pend, 0, t->cap * t->nc * sizeof(*t->pend));
  t->ndirty = 0;
  t->nkeys = 0;
}

static size_t table_memory(const struct table *t, const rcw_windows *w)
{
  size_t bytes = t->cap + (t->pends ? t->cap * (t->nc + 1) * 4 : 0);
  for (size_t i = 0; i < w->nwin; i++)
    bytes += t->cap * t->nc * ((size_t)w->win[i].n * 4 + 8);
  return bytes;
}

/* --- key lists ----------------------------------------------------------- */

static int idlist_push(struct idlist *l, uint32_t id)
{
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : MIN_KEYS;
    uint32_t *v = realloc(l->v, cap * sizeof(*v));
    if (!v)
      return -ENOMEM;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = id;
  return 0;
}

/* Make key a row of t, noting it in order when first seen. */
static int key_add(rcw_windows *w, struct table *t, struct idlist *order, uint32_t key)
{
  if (table_reserve(t, w, (size_t)key + 1) < 0)
    return -ENOMEM;
  if (t->seen[key])
    return 0;
  if (idlist_push(order, key) < 0)
    return -ENOMEM;
  t->seen[key] = 1;
  if (t->nkeys <= key)
    t->nkeys = (size_t)key + 1;
  return 0;
}

/* key_add, inline for the keys nearly every event has seen before. */
static inline int key_touch(rcw_windows *w, struct table *t, struct idlist *order, uint32_t key)
{
  if (key < t->nkeys && t->seen[key])
    return 0;
  return key_add(w, t, order, key);
}

/* --- dimension values ---------------------------------------------------- */

static uint32_t hash_bytes(const char *s, size_t len)
{
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static int64_t value_lookup(const struct dim *d, const char *s, size_t len, uint32_t h)
{
  if (!d->index_cap)
    return -1;
  size_t mask = d->index_cap - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    uint32_t slot = d->index[i];
    if (slot == 0)
      return -1;
    const struct value *v = &d->values[slot - 1];
    if (v->hash == h && v->len == len && memcmp(v->s, s, len) == 0)
      return slot - 1;
  }
}

static void index_link(struct dim *d, uint32_t value)
{
  size_t mask = d->index_cap - 1;
  size_t i = d->values[value].hash & mask;
  while (d->index[i])
    i = (i + 1) & mask;
  d->index[i] = value + 1;
}

/* Keep the index at most half full, so probes stay short. */
static int index_reserve(struct dim *d, size_t nvalues)
{
  if (2 * nvalues <= d->index_cap)
    return 0;
  size_t cap = d->index_cap ? 2 * d->index_cap : 2 * MIN_KEYS;
  while (cap < 2 * nvalues)
    cap *= 2;
  uint32_t *index = calloc(cap, sizeof(*index));
  if (!index)
    return -ENOMEM;
  free(d->index);
  d->index = index;
  d->index_cap = cap;
  for (size_t v = 0; v < d->nvalues; v++)
    index_link(d, (uint32_t)v);
  return 0;
}

static int values_reserve(struct dim *d)
{
  if (d->nvalues < d->capvalues)
    return 0;
  size_t cap = d->capvalues ? 2 * d->capvalues : MIN_KEYS;
  struct value *v = realloc(d->values, cap * sizeof(*v));
  if (!v)
    return -ENOMEM;
  d->values = v;
  d->capvalues = cap;
  return 0;
}

static int64_t value_insert(rcw_windows *w, struct dim *d, const char *s, size_t len,
                            uint32_t h)
{
  if (values_reserve(d) < 0 || index_reserve(d, d->nvalues + 1) < 0 ||
      table_reserve(&d->t, w, d->nvalues + 1) < 0)
    return -ENOMEM;
  char *copy = malloc(len + 1);
  if (!copy)
    return -ENOMEM;
  memcpy(copy, s, len);
  copy[len] = '\0';
  uint32_t id = (uint32_t)d->nvalues++;
  d->values[id] = (struct value){copy, (uint32_t)len, h};
  index_link(d, id);
  d->t.seen[id] = 1;
  d->t.nkeys = d->nvalues;
  return id;
}

/* "_other" is an ordinary value that may be added past the cap; a log
 * value spelled "_other" lands on the same key. */
static int64_t value_other(rcw_windows *w, struct dim *d)
{
  if (d->other >= 0)
    return d->other;
  size_t len = strlen(RCW_WINDOWS_OTHER);
  uint32_t h = hash_bytes(RCW_WINDOWS_OTHER, len);
  int64_t id = value_lookup(d, RCW_WINDOWS_OTHER, len, h);
  if (id < 0)
    id = value_insert(w, d, RCW_WINDOWS_OTHER, len, h);
  if (id >= 0)
    d->other = id;
  return id;
}

/* The value's key; *overflow set when it went to "_other". */
static int64_t value_intern(rcw_windows *w, struct dim *d, const char *s, size_t len,
                            bool *overflow)
{
  *overflow = false;
  if (len <= RCW_WINDOWS_VALUE_MAX) {
    uint32_t h = hash_bytes(s, len);
    int64_t id = value_lookup(d, s, len, h);
    if (id >= 0)
      return id;
    size_t real = d->nvalues - (d->other >= 0);
    if (real < w->max_values)
      return value_insert(w, d, s, len, h);
  }
  *overflow = true;
  return value_other(w, d);
}

static void dim_free(struct dim *d)
{
  for (size_t v = 0; v < d->nvalues; v++)
    free(d->values[v].s);
  free(d->values);
  free(d->index);
  for (size_t f = 0; f < d->nfilters; f++)
    free(d->filters[f].cats);
  free(d->filter_bits);
  free(d->name);
  table_free(&d->t);
}

static void dim_reset(rcw_windows *w, struct dim *d)
{
  for (size_t v = 0; v < d->nvalues; v++)
    free(d->values[v].s);
  d->nvalues = 0;
  if (d->index)
    memset(d->index, 0, d->index_cap * sizeof(*d->index));
  d->other = -1;
  d->overflow = 0;
  table_reset(&d->t, w);
}

/* --- construction -------------------------------------------------------- */

static int dim_find(const rcw_windows *w, const char *name)
{
  for (size_t i = 0; i < w->ndims; i++)
    if (strcmp(w->dims[i].name, name) == 0)
      return (int)i;
  return -1;
}

static int dim_add(rcw_windows *w, const char *name)
{
  int found = dim_find(w, name);
  if (found >= 0)
    return found;
  if (w->ndims == RCW_WINDOWS_MAX_DIMS)
    return -EINVAL;
  struct dim *d = &w->dims[w->ndims];
  memset(d, 0, sizeof(*d));
  d->other = -1;
  table_init(&d->t, C_FILTER, false);
  if (!(d->name = strdup(name)))
    return -ENOMEM;
  return (int)w->ndims++;
}

static int cmp_u32(const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* Sorted, unique copy of cats; *n updated. */
static uint32_t *cats_normalize(const uint32_t *cats, size_t *n)
{
  uint32_t *v = malloc((*n ? *n : 1) * sizeof(*v));
  if (!v)
    return NULL;
  memcpy(v, cats, *n * sizeof(*v));
  qsort(v, *n, sizeof(*v), cmp_u32);
  size_t out = 0;
  for (size_t i = 0; i < *n; i++)
    if (out == 0 || v[out - 1] != v[i])
      v[out++] = v[i];
  *n = out;
  return v;
}

static int filter_find(const struct dim *d, const uint32_t *sorted, size_t n)
{
  for (size_t f = 0; f < d->nfilters; f++)
    if (d->filters[f].n == n && memcmp(d->filters[f].cats, sorted, n * sizeof(*sorted)) == 0)
      return (int)f;
  return -1;
}

/* Add (or find) the filter for cats; takes ownership of sorted. */
static int filter_add(struct dim *d, uint32_t *sorted, size_t n)
{
  int f = filter_find(d, sorted, n);
  if (f >= 0 || d->nfilters == RCW_WINDOWS_MAX_FILTERS) {
    free(sorted);
    return f >= 0 ? 0 : -EINVAL;
  }
  d->filters[d->nfilters++] = (struct filter){sorted, n};
  d->t.nc = C_FILTER + (uint32_t)d->nfilters;
  return 0;
}

static int rule_filter(struct dim *d, const struct rcw_rule_spec *r, const rcw_catalog *c)
{
  if (!c)
    return -EINVAL;
  uint32_t *ids = malloc(r->ncategories * sizeof(*ids));
  if (!ids)
    return -ENOMEM;
  for (size_t i = 0; i < r->ncategories; i++) {
    ids[i] = rcw_catalog_category_id(c, r->categories[i]);
    if (ids[i] == RCW_ENTRY_NONE) {
      free(ids);
      return -EINVAL;
    }
  }
  size_t n = r->ncategories;
  uint32_t *sorted = cats_normalize(ids, &n);
  free(ids);
  return sorted ? filter_add(d, sorted, n) : -ENOMEM;
}

static int filter_bits_build(struct dim *d)
{
  size_t ncats = 0;
  for (size_t f = 0; f < d->nfilters; f++)
    for (size_t i = 0; i < d->filters[f].n; i++)
      if (d->filters[f].cats[i] >= ncats)
        ncats = (size_t)d->filters[f].cats[i] + 1;
  if (!ncats)
    return 0;
  if (!(d->filter_bits = calloc(ncats, sizeof(*d->filter_bits))))
    return -ENOMEM;
  d->nfilter_cats = ncats;
  for (size_t f = 0; f < d->nfilters; f++)
    for (size_t i = 0; i < d->filters[f].n; i++)
      d->filter_bits[d->filters[f].cats[i]] |= 1u << f;
  return 0;
}

static int dims_from_spec(rcw_windows *w, const struct rcw_windows_spec *spec)
{
  for (size_t i = 0; i < spec->ndimensions; i++) {
    int r = dim_add(w, spec->dimensions[i]);
    if (r < 0)
      return r;
  }
  for (size_t i = 0; i < spec->nrules; i++) {
    const struct rcw_rule_spec *rs = &spec->rules[i];
    if (rs->scope != RCW_SCOPE_DIMENSION || !rs->dimension)
      continue;
    int d = dim_add(w, rs->dimension);
    if (d < 0)
      return d;
    if (rs->ncategories && (d = rule_filter(&w->dims[d], rs, spec->catalog)) < 0)
      return d;
  }
  for (size_t i = 0; i < w->ndims; i++)
    if (filter_bits_build(&w->dims[i]) < 0)
      return -ENOMEM;
  return 0;
}

static int windows_from_spec(rcw_windows *w, const struct rcw_windows_spec *spec)
{
  if (spec->nwindows == 0 || spec->nwindows > RCW_MAX_WINDOWS)
    return -EINVAL;
  for (size_t i = 0; i < spec->nwindows; i++) {
    if (spec->windows_ms[i] <= 0 || rcw_windows_index(w, spec->windows_ms[i]) >= 0)
      return -EINVAL;
    window_shape(&w->win[i], spec->windows_ms[i]);
    w->nwin = i + 1;
  }
  return 0;
}

static void windows_clear_time(rcw_windows *w)
{
  w->started = false;
  w->now = INT64_MIN;
  w->latest = INT64_MIN;
  for (size_t i = 0; i < w->nwin; i++) {
    set_head(&w->win[i], 0);
    w->win[i].late = 0;
  }
  w->pend_lo = INT64_MAX;
  w->pend_hi = INT64_MIN;
  w->pend_room = 0;
}

int rcw_windows_new(const struct rcw_windows_spec *spec, rcw_windows **out)
{
  rcw_windows *w = calloc(1, sizeof(*w));
  if (!w)
    return -ENOMEM;
  w->max_values = spec->dimension_values ? spec->dimension_values : DEFAULT_VALUES;
  table_init(&w->total, C_FILTER, true);
  table_init(&w->cats, C_FILTER, true);
  table_init(&w->entries, 1, true);
  int r = windows_from_spec(w, spec);
  if (r == 0)
    r = dims_from_spec(w, spec);
  if (r == 0)
    r = table_reserve(&w->total, w, 1);
  if (r < 0) {
    rcw_windows_free(w);
    return r;
  }
  w->total.nkeys = 1;
  windows_clear_time(w);
  *out = w;
  return 0;
}

void rcw_windows_free(rcw_windows *w)
{
  if (!w)
    return;
  table_free(&w->total);
  table_free(&w->cats);
  table_free(&w->entries);
  free(w->cats_seen.v);
  free(w->entries_seen.v);
  for (size_t i = 0; i < w->ndims; i++)
    dim_free(&w->dims[i]);
  free(w);
}

void rcw_windows_reset(rcw_windows *w)
{
  table_reset(&w->total, w);
  w->total.nkeys = 1;
  table_reset(&w->cats, w);
  table_reset(&w->entries, w);
  w->cats_seen.n = 0;
  w->entries_seen.n = 0;
  for (size_t i = 0; i < w->ndims; i++)
    dim_reset(w, &w->dims[i]);
  windows_clear_time(w);
}

/* --- moving time --------------------------------------------------------- */

/* After the heads or the head buckets changed (nothing pending): where
 * events may pend and how many. */
static void pending_rearm(rcw_windows *w)
{
  w->pend_lo = INT64_MIN;
  w->pend_hi = INT64_MAX;
  w->pend_room = UINT32_MAX;
  for (size_t i = 0; i < w->nwin; i++) {
    const struct window *win = &w->win[i];
    uint32_t room = UINT32_MAX - *table_cell(&w->total, win, i, 0, win->head_slot);
    if (win->head_start > w->pend_lo)
      w->pend_lo = win->head_start;
    if (win->head_start + win->bucket < w->pend_hi)
      w->pend_hi = win->head_start + win->bucket;
    if (room < w->pend_room)
      w->pend_room = room;
  }
  if (!w->started)
    w->pend_lo = INT64_MAX; /* the first event sets the heads */
}

static void pending_flush(rcw_windows *w)
{
  if (w->total.ndirty == 0)
    return;
  table_flush(&w->total, w);
  table_flush(&w->cats, w);
  table_flush(&w->entries, w);
  pending_rearm(w);
}

static void clear_slot_all(rcw_windows *w, size_t i, uint32_t slot)
{
  table_clear_slot(&w->total, &w->win[i], i, slot);
  table_clear_slot(&w->cats, &w->win[i], i, slot);
  table_clear_slot(&w->entries, &w->win[i], i, slot);
  for (size_t d = 0; d < w->ndims; d++)
    table_clear_slot(&w->dims[d].t, &w->win[i], i, slot);
}

static void clear_window_all(rcw_windows *w, size_t i)
{
  table_clear_window(&w->total, &w->win[i], i);
  table_clear_window(&w->cats, &w->win[i], i);
  table_clear_window(&w->entries, &w->win[i], i);
  for (size_t d = 0; d < w->ndims; d++)
    table_clear_window(&w->dims[d].t, &w->win[i], i);
}

static void window_advance(rcw_windows *w, size_t i, int64_t t)
{
  struct window *win = &w->win[i];
  if (t < win->head_start + win->bucket)
    return;
  int64_t head = floor_div(t, win->bucket);
  if (head - win->head >= (int64_t)win->n) {
    clear_window_all(w, i);
  } else {
    for (int64_t b = win->head + 1; b <= head; b++)
      clear_slot_all(w, i, slot_of(win, b));
  }
  set_head(win, head);
}

void rcw_windows_advance(rcw_windows *w, int64_t t)
{
  if (!w->started) {
    w->started = true;
    w->now = t;
    for (size_t i = 0; i < w->nwin; i++)
      set_head(&w->win[i], floor_div(t, w->win[i].bucket));
    pending_rearm(w);
    return;
  }
  if (t <= w->now)
    return;
  w->now = t;
  if (t < w->pend_hi)
    return; /* still in every head bucket */
  pending_flush(w);
  for (size_t i = 0; i < w->nwin; i++)
    window_advance(w, i, t);
  pending_rearm(w);
}

/* --- adding -------------------------------------------------------------- */

/* The key of each dimension value of the event (-1: none). */
static int dims_intern(rcw_windows *w, const struct rcw_win_event *ev, int64_t *keys,
                       bool *overflow)
{
  for (size_t d = 0; d < w->ndims; d++)
    keys[d] = -1;
  for (size_t i = 0; w->ndims && i < ev->ndims; i++) {
    int d = ev->dim_index ? ev->dim_index[i] : (int)i;
    const struct rcw_field *f = &ev->dims[i];
    if (d < 0 || (size_t)d >= w->ndims || !f->ptr || f->len == 0)
      continue;
    keys[d] = value_intern(w, &w->dims[d], f->ptr, f->len, &overflow[d]);
    if (keys[d] < 0)
      return -ENOMEM;
  }
  return 0;
}

static void add_dims(rcw_windows *w, size_t i, uint32_t slot, const struct rcw_win_event *ev,
                     const int64_t *keys)
{
  uint32_t inc[C_FILTER + RCW_WINDOWS_MAX_FILTERS];
  for (size_t d = 0; d < w->ndims; d++) {
    struct dim *dim = &w->dims[d];
    if (keys[d] < 0)
      continue;
    uint32_t bits = ev->failure && ev->category < dim->nfilter_cats
                        ? dim->filter_bits[ev->category] : 0;
    inc[C_REQ] = 1;
    inc[C_FAIL] = ev->failure;
    for (size_t f = 0; f < dim->nfilters; f++)
      inc[C_FILTER + f] = (bits >> f) & 1u;
    table_add(&dim->t, &w->win[i], i, (size_t)keys[d], slot, inc);
  }
}

static void add_window(rcw_windows *w, size_t i, const struct rcw_win_event *ev,
                       const int64_t *keys)
{
  struct window *win = &w->win[i];
  uint32_t slot = win->head_slot;
  if (ev->time_ms < win->head_start) {
    int64_t b = floor_div(ev->time_ms, win->bucket);
    slot = slot_of(win, b);
    if (b <= win->head - (int64_t)win->n)
      slot = UINT32_MAX;
  }
  /* The total of a bucket bounds every other key's: when it is full the
   * event is dropped from this window as a whole, so keys stay consistent. */
  if (slot == UINT32_MAX || *table_cell(&w->total, win, i, 0, slot) == UINT32_MAX) {
    win->late++;
    return;
  }
  table_bump(&w->total, win, i, 0, slot, ev->failure);
  table_bump(&w->cats, win, i, ev->category, slot, ev->failure);
  table_bump(&w->entries, win, i, ev->entry, slot, ev->failure);
  add_dims(w, i, slot, ev, keys);
}

static inline bool key_seen(const struct table *t, uint32_t key)
{
  return key < t->nkeys && t->seen[key];
}

/* n events into the pending counts of key. */
static inline void table_pend_n(struct table *t, size_t key, uint32_t n, uint32_t failure)
{
  uint32_t *p = t->pend + key * t->nc;
  if (p[C_REQ] == 0)
    t->dirty[t->ndirty++] = (uint32_t)key;
  p[C_REQ] += n;
  if (t->nc > 1)
    p[C_FAIL] += failure ? n : 0;
}

/* Nearly every event: no dimensions, keys seen before, a time inside
 * every head bucket and room to pend.  Exactly what the general path
 * below does for such an event, without its set-up. */
static inline bool add_pending_fast(rcw_windows *w, const struct rcw_win_event *ev)
{
  int64_t t = ev->time_ms;
  if (w->ndims || !w->started || t < w->pend_lo || t >= w->pend_hi ||
      w->total.pend[C_REQ] >= w->pend_room || !key_seen(&w->entries, ev->entry) ||
      !key_seen(&w->cats, ev->category))
    return false;
  if (t > w->now)
    w->now = t;
  if (t > w->latest)
    w->latest = t;
  table_pend(&w->total, 0, ev->failure);
  table_pend(&w->cats, ev->category, ev->failure);
  table_pend(&w->entries, ev->entry, ev->failure);
  return true;
}

/* Out of line: inlined, its stack frame and saved registers would be
 * paid by every event, fast path included. */
__attribute__((noinline)) static int add_general(rcw_windows *w,
                                                 const struct rcw_win_event *ev)
{
  int64_t keys[RCW_WINDOWS_MAX_DIMS];
  bool overflow[RCW_WINDOWS_MAX_DIMS] = {false};
  if (ev->entry == RCW_ENTRY_NONE || ev->category == RCW_ENTRY_NONE)
    return -EINVAL;
  if (key_touch(w, &w->entries, &w->entries_seen, ev->entry) < 0 ||
      key_touch(w, &w->cats, &w->cats_seen, ev->category) < 0 ||
      dims_intern(w, ev, keys, overflow) < 0)
    return -ENOMEM;
  for (size_t d = 0; d < w->ndims; d++)
    w->dims[d].overflow += overflow[d];
  /* rcw_windows_advance's common case, inline: inside every head bucket. */
  if (w->started && ev->time_ms < w->pend_hi) {
    if (ev->time_ms > w->now)
      w->now = ev->time_ms;
  } else {
    rcw_windows_advance(w, ev->time_ms);
  }
  if (ev->time_ms > w->latest)
    w->latest = ev->time_ms;
  /* After the advance, time_ms < pend_hi. */
  if (ev->time_ms >= w->pend_lo && w->total.pend[C_REQ] < w->pend_room) {
    table_pend(&w->total, 0, ev->failure);
    table_pend(&w->cats, ev->category, ev->failure);
    table_pend(&w->entries, ev->entry, ev->failure);
    for (size_t i = 0; w->ndims && i < w->nwin; i++)
      add_dims(w, i, w->win[i].head_slot, ev, keys);
    return 0;
  }
  pending_flush(w);
  for (size_t i = 0; i < w->nwin; i++)
    add_window(w, i, ev, keys);
  pending_rearm(w);
  return 0;
}

int rcw_windows_add(rcw_windows *w, const struct rcw_win_event *ev)
{
  if (add_pending_fast(w, ev))
    return 0;
  return add_general(w, ev);
}

/* The fast path's conditions hold for one of the events exactly when they
 * hold for all n and the pending room takes n: then n single adds would
 * each have pended, and pending n at once is the same. */
int rcw_windows_add_n(rcw_windows *w, const struct rcw_win_event *ev, uint32_t n)
{
  if (n > 1 && w->total.pend[C_REQ] <= w->pend_room && n <= w->pend_room - w->total.pend[C_REQ] &&
      add_pending_fast(w, ev)) {
    table_pend_n(&w->total, 0, n - 1, ev->failure);
    table_pend_n(&w->cats, ev->category, n - 1, ev->failure);
    table_pend_n(&w->entries, ev->entry, n - 1, ev->failure);
    return 0;
  }
  for (uint32_t i = 0; i < n; i++) {
    int r = rcw_windows_add(w, ev);
    if (r < 0)
      return r;
  }
  return 0;
}

/* --- shape and reads ----------------------------------------------------- */

size_t rcw_windows_count(const rcw_windows *w)
{
  return w->nwin;
}

int64_t rcw_windows_span(const rcw_windows *w, size_t win)
{
  return win < w->nwin ? w->win[win].span : 0;
}

int64_t rcw_windows_bucket_ms(const rcw_windows *w, size_t win)
{
  return win < w->nwin ? w->win[win].bucket : 0;
}

size_t rcw_windows_buckets(const rcw_windows *w, size_t win)
{
  return win < w->nwin ? w->win[win].n : 0;
}

int rcw_windows_index(const rcw_windows *w, int64_t span_ms)
{
  for (size_t i = 0; i < w->nwin; i++)
    if (w->win[i].span == span_ms)
      return (int)i;
  return -1;
}

int64_t rcw_windows_now(const rcw_windows *w)
{
  return w->now;
}

int64_t rcw_windows_latest(const rcw_windows *w)
{
  return w->latest;
}

bool rcw_windows_idle_at(const rcw_windows *w, int64_t t)
{
  if (w->latest == INT64_MIN)
    return true;
  if (t < w->now)
    t = w->now;
  for (size_t i = 0; i < w->nwin; i++) {
    const struct window *win = &w->win[i];
    if (floor_div(w->latest, win->bucket) > floor_div(t, win->bucket) - (int64_t)win->n)
      return false;
  }
  return true;
}

size_t rcw_windows_dimension_count(const rcw_windows *w)
{
  return w->ndims;
}

const char *rcw_windows_dimension(const rcw_windows *w, size_t dim)
{
  return dim < w->ndims ? w->dims[dim].name : NULL;
}

int rcw_windows_dimension_index(const rcw_windows *w, const char *name)
{
  return name ? dim_find(w, name) : -1;
}

int rcw_windows_filter_index(const rcw_windows *w, size_t dim, const uint32_t *cats, size_t n)
{
  if (dim >= w->ndims)
    return -1;
  uint32_t *sorted = cats_normalize(cats, &n);
  if (!sorted)
    return -1;
  int f = filter_find(&w->dims[dim], sorted, n);
  free(sorted);
  return f;
}

struct rcw_win_counts rcw_windows_total(const rcw_windows *w, size_t win)
{
  if (win >= w->nwin)
    return (struct rcw_win_counts){0, 0};
  return (struct rcw_win_counts){table_sum(&w->total, win, 0, C_REQ),
                                 table_sum(&w->total, win, 0, C_FAIL)};
}

struct rcw_win_counts rcw_windows_category(const rcw_windows *w, size_t win, uint32_t cat)
{
  if (win >= w->nwin)
    return (struct rcw_win_counts){0, 0};
  return (struct rcw_win_counts){table_sum(&w->cats, win, cat, C_REQ),
                                 table_sum(&w->cats, win, cat, C_FAIL)};
}

uint64_t rcw_windows_entry(const rcw_windows *w, size_t win, uint32_t entry)
{
  return win < w->nwin ? table_sum(&w->entries, win, entry, C_REQ) : 0;
}

struct rcw_win_counts rcw_windows_value(const rcw_windows *w, size_t win, size_t dim,
                                        uint32_t value, int filter)
{
  if (win >= w->nwin || dim >= w->ndims || filter >= (int)w->dims[dim].nfilters)
    return (struct rcw_win_counts){0, 0};
  const struct table *t = &w->dims[dim].t;
  uint32_t c = filter < 0 ? C_FAIL : C_FILTER + (uint32_t)filter;
  return (struct rcw_win_counts){table_sum(t, win, value, C_REQ), table_sum(t, win, value, c)};
}

uint64_t rcw_windows_late(const rcw_windows *w, size_t win)
{
  return win < w->nwin ? w->win[win].late : 0;
}

const uint32_t *rcw_windows_entries_seen(const rcw_windows *w, size_t *n)
{
  *n = w->entries_seen.n;
  return w->entries_seen.v;
}

const uint32_t *rcw_windows_categories_seen(const rcw_windows *w, size_t *n)
{
  *n = w->cats_seen.n;
  return w->cats_seen.v;
}

size_t rcw_windows_value_count(const rcw_windows *w, size_t dim)
{
  return dim < w->ndims ? w->dims[dim].nvalues : 0;
}

const char *rcw_windows_value_name(const rcw_windows *w, size_t dim, uint32_t value,
                                   size_t *len)
{
  if (dim >= w->ndims || value >= w->dims[dim].nvalues)
    return NULL;
  if (len)
    *len = w->dims[dim].values[value].len;
  return w->dims[dim].values[value].s;
}

int64_t rcw_windows_value_find(const rcw_windows *w, size_t dim, const char *s, size_t len)
{
  if (dim >= w->ndims)
    return -1;
  return value_lookup(&w->dims[dim], s, len, hash_bytes(s, len));
}

int64_t rcw_windows_value_intern(rcw_windows *w, size_t dim, const char *s, size_t len)
{
  bool overflow;
  if (dim >= w->ndims)
    return -EINVAL;
  return value_intern(w, &w->dims[dim], s, len, &overflow);
}

uint64_t rcw_windows_value_overflow(const rcw_windows *w, size_t dim)
{
  return dim < w->ndims ? w->dims[dim].overflow : 0;
}

int rcw_windows_tally(rcw_windows *w, size_t win, int64_t t, struct rcw_tally *out)
{
  rcw_windows_advance(w, t);
  rcw_tally_reset(out);
  for (size_t i = 0; i < w->entries_seen.n; i++) {
    uint32_t e = w->entries_seen.v[i];
    uint64_t n = rcw_windows_entry(w, win, e);
    if (n && rcw_tally_count(out, e, n) < 0)
      return -ENOMEM;
  }
  out->lines_total = out->lines_matched = rcw_windows_total(w, win).requests;
  return 0;
}

size_t rcw_windows_memory(const rcw_windows *w)
{
  size_t bytes = sizeof(*w) + table_memory(&w->total, w) + table_memory(&w->cats, w) +
                 table_memory(&w->entries, w) +
                 (w->cats_seen.cap + w->entries_seen.cap) * sizeof(uint32_t);
  for (size_t d = 0; d < w->ndims; d++) {
    const struct dim *dim = &w->dims[d];
    bytes += table_memory(&dim->t, w) + dim->capvalues * sizeof(struct value) +
             dim->index_cap * sizeof(uint32_t);
    for (size_t v = 0; v < dim->nvalues; v++)
      bytes += dim->values[v].len + 1;
  }
  return bytes;
}

/* --- checkpoints ------------------------------------------------------------
 *
 * Version 1, little-endian (blobio):
 *   u32 magic "RCWW", u32 version, u8 started, i64 now, i64 latest,
 *   u32 nwin, per window: i64 span, i64 bucket ms, u32 buckets, u64 late;
 *   u32 entries, per entry (in the order first seen): str code, u8 has
 *     desc_match, [str desc_match], per window its buckets oldest first;
 *   u32 dims, per dimension: str name, u64 overflow, u32 filters, per
 *     filter: u32 n, n category names; u32 values, per value: str value,
 *     per window its buckets oldest first, each (2 + filters) counters.
 * Bucket counters are varints: most buckets are empty, one byte each.
 * The totals and categories are rebuilt from the entries. */

#define WIN_MAGIC 0x57574352u /* "RCWW" */
#define WIN_VERSION 1
#define NAME_MAX_LEN 256
#define MATCH_MAX_LEN 4096
#define CODE_MAX_LEN 64
#define MAX_SAVED_BUCKETS 4096
#define MAX_FILTER_CATS 64 /* a saved filter naming more is not mapped */

static void save_ring(const struct table *t, const rcw_windows *w, size_t key,
                      struct rcw_buf *out)
{
  for (size_t i = 0; i < w->nwin; i++) {
    const struct window *win = &w->win[i];
    for (uint32_t j = 0; j < win->n; j++) {
      uint32_t slot = slot_of(win, win->head - win->n + 1 + j);
      for (uint32_t c = 0; c < t->nc; c++)
        rcw_blob_put_uvar(out, table_cell_value(t, win, i, key, slot, c));
    }
  }
}

static void save_str(struct rcw_buf *out, const char *s)
{
  rcw_blob_put_str(out, s, s ? strlen(s) : 0);
}

static void save_entries(const rcw_windows *w, const rcw_catalog *c, struct rcw_buf *out)
{
  rcw_blob_put_u32(out, (uint32_t)w->entries_seen.n);
  for (size_t i = 0; i < w->entries_seen.n; i++) {
    uint32_t id = w->entries_seen.v[i];
    const struct rcw_entry *e = rcw_catalog_entry(c, id);
    save_str(out, e ? e->code : NULL);
    rcw_blob_put_u8(out, e && e->desc_match);
    if (e && e->desc_match)
      save_str(out, e->desc_match);
    save_ring(&w->entries, w, id, out);
  }
}

static void save_dim(const rcw_windows *w, const struct dim *d, const rcw_catalog *c,
                     struct rcw_buf *out)
{
  save_str(out, d->name);
  rcw_blob_put_u64(out, d->overflow);
  rcw_blob_put_u32(out, (uint32_t)d->nfilters);
  for (size_t f = 0; f < d->nfilters; f++) {
    rcw_blob_put_u32(out, (uint32_t)d->filters[f].n);
    for (size_t k = 0; k < d->filters[f].n; k++) {
      const struct rcw_category *cat = rcw_catalog_category(c, d->filters[f].cats[k]);
      save_str(out, cat ? cat->name : NULL);
    }
  }
  rcw_blob_put_u32(out, (uint32_t)d->nvalues);
  for (size_t v = 0; v < d->nvalues; v++) {
    rcw_blob_put_str(out, d->values[v].s, d->values[v].len);
    save_ring(&d->t, w, v, out);
  }
}

int rcw_windows_save(const rcw_windows *w, const rcw_catalog *c, struct rcw_buf *out)
{
  rcw_blob_put_u32(out, WIN_MAGIC);
  rcw_blob_put_u32(out, WIN_VERSION);
  rcw_blob_put_u8(out, w->started);
  rcw_blob_put_i64(out, w->now);
  rcw_blob_put_i64(out, w->latest);
  rcw_blob_put_u32(out, (uint32_t)w->nwin);
  for (size_t i = 0; i < w->nwin; i++) {
    rcw_blob_put_i64(out, w->win[i].span);
    rcw_blob_put_i64(out, w->win[i].bucket);
    rcw_blob_put_u32(out, w->win[i].n);
    rcw_blob_put_u64(out, w->win[i].late);
  }
  save_entries(w, c, out);
  rcw_blob_put_u32(out, (uint32_t)w->ndims);
  for (size_t d = 0; d < w->ndims; d++)
    save_dim(w, &w->dims[d], c, out);
  return out->oom ? -ENOMEM : 0;
}

/* A load runs twice over the blob: once only checking (w untouched), then
 * applying, so a bad blob never leaves w half loaded. */
struct loader {
  struct rcw_blob_reader r;
  rcw_windows *w;
  rcw_catalog *c;
  bool apply;
  int err; /* -ENOMEM while applying */
  size_t nwin;
  int64_t span[RCW_MAX_WINDOWS];
  uint32_t n[RCW_MAX_WINDOWS]; /* buckets of each saved window */
  int target[RCW_MAX_WINDOWS]; /* w's window of the same shape, or -1 */
  size_t cells;                /* buckets over all saved windows */
};

/* The slot in w's window ti of the j-th oldest bucket of a saved window. */
static uint32_t load_slot(const struct loader *ld, int ti, uint32_t j)
{
  const struct window *win = &ld->w->win[ti];
  return slot_of(win, win->head - win->n + 1 + j);
}

static bool load_header(struct loader *ld)
{
  struct rcw_blob_reader *r = &ld->r;
  if (rcw_blob_get_u32(r) != WIN_MAGIC || rcw_blob_get_u32(r) != WIN_VERSION)
    return false;
  uint8_t started = rcw_blob_get_u8(r);
  int64_t now = rcw_blob_get_i64(r);
  int64_t latest = rcw_blob_get_i64(r);
  bool sane = started ? (now > INT64_MIN / 2 && now < INT64_MAX / 2 &&
                         (latest == INT64_MIN || latest <= now))
                      : (now == INT64_MIN && latest == INT64_MIN);
  if (started > 1 || !sane)
    return false;
  if (ld->apply) {
    rcw_windows_reset(ld->w);
    ld->w->started = started;
    ld->w->now = now;
    ld->w->latest = latest;
    for (size_t i = 0; started && i < ld->w->nwin; i++)
      set_head(&ld->w->win[i], floor_div(now, ld->w->win[i].bucket));
  }
  return !r->bad;
}

static bool load_windows(struct loader *ld)
{
  ld->nwin = rcw_blob_get_count(&ld->r, 28);
  if (ld->nwin > RCW_MAX_WINDOWS)
    return false;
  ld->cells = 0;
  for (size_t i = 0; i < ld->nwin; i++) {
    int64_t span = rcw_blob_get_i64(&ld->r);
    int64_t bucket = rcw_blob_get_i64(&ld->r);
    ld->n[i] = rcw_blob_get_u32(&ld->r);
    uint64_t late = rcw_blob_get_u64(&ld->r);
    if (span <= 0 || bucket <= 0 || ld->n[i] == 0 || ld->n[i] > MAX_SAVED_BUCKETS)
      return false;
    ld->span[i] = span;
    for (size_t k = 0; k < i; k++)
      if (ld->span[k] == span)
        return false;
    int t = rcw_windows_index(ld->w, span);
    if (t >= 0 && (ld->w->win[t].bucket != bucket || ld->w->win[t].n != ld->n[i]))
      t = -1;
    ld->target[i] = t;
    ld->cells += ld->n[i];
    if (ld->apply && t >= 0)
      ld->w->win[t].late = late;
  }
  return !ld->r.bad;
}

/* Read one key's buckets; add them (nc counters each) to key of t with
 * map[c] giving the target counter (-1: drop).  When t is the entry
 * table, also add them to the entry's category and the total. */
struct ring_dest {
  struct table *t;
  size_t key;
  const int *map;
  uint32_t nc;
  const struct rcw_entry *entry; /* entries: the catalog entry */
  uint32_t entry_id;
};

static void load_cell(struct loader *ld, const struct ring_dest *dst, int ti, uint32_t slot,
                      const uint32_t *v)
{
  rcw_windows *w = ld->w;
  const struct window *win = &w->win[ti];
  uint32_t inc[C_FILTER + RCW_WINDOWS_MAX_FILTERS] = {0};
  if (dst->entry) {
    uint32_t pair[2] = {v[0], dst->entry->success ? 0 : v[0]};
    table_add(&w->entries, win, (size_t)ti, dst->entry_id, slot, v);
    table_add(&w->cats, win, (size_t)ti, dst->entry->category, slot, pair);
    table_add(&w->total, win, (size_t)ti, 0, slot, pair);
    return;
  }
  for (uint32_t c = 0; c < dst->nc; c++)
    if (dst->map[c] >= 0)
      inc[dst->map[c]] += v[c];
  table_add(dst->t, win, (size_t)ti, dst->key, slot, inc);
}

static void load_ring(struct loader *ld, const struct ring_dest *dst)
{
  uint32_t v[C_FILTER + RCW_WINDOWS_MAX_FILTERS];
  for (size_t i = 0; i < ld->nwin; i++) {
    for (uint32_t j = 0; j < ld->n[i]; j++) {
      for (uint32_t c = 0; c < dst->nc; c++)
        v[c] = (uint32_t)rcw_blob_get_uvar(&ld->r, UINT32_MAX);
      if (ld->apply && dst->t && ld->target[i] >= 0 && !ld->r.bad)
        load_cell(ld, dst, ld->target[i], load_slot(ld, ld->target[i], j), v);
    }
  }
}

static uint32_t classify_saved(rcw_catalog *c, const char *code, size_t len,
                               const char *match, size_t mlen)
{
  if (len > 5 && memcmp(code, "http_", 5) == 0) {
    int status = 0;
    for (size_t i = 5; i < len && i < 9; i++)
      status = (code[i] >= '0' && code[i] <= '9') ? status * 10 + (code[i] - '0') : -1000;
    return rcw_catalog_classify_status(c, status);
  }
  return rcw_catalog_classify(c, code, len, match, mlen, NULL);
}

/* Resolve a saved entry in the loading catalog and make it a key. */
static void load_entry_dest(struct loader *ld, struct ring_dest *dst, const char *code,
                            size_t len, const char *match, size_t mlen)
{
  uint32_t id = classify_saved(ld->c, code, len, match, mlen);
  const struct rcw_entry *e = id == RCW_ENTRY_NONE ? NULL : rcw_catalog_entry(ld->c, id);
  if (!e)
    return;
  if (key_touch(ld->w, &ld->w->entries, &ld->w->entries_seen, id) < 0 ||
      key_touch(ld->w, &ld->w->cats, &ld->w->cats_seen, e->category) < 0) {
    ld->err = -ENOMEM;
    return;
  }
  dst->t = &ld->w->entries;
  dst->entry = e;
  dst->entry_id = id;
}

static bool load_entries(struct loader *ld)
{
  uint32_t n = rcw_blob_get_count(&ld->r, 5 + ld->cells);
  for (uint32_t k = 0; k < n && !ld->r.bad && !ld->err; k++) {
    size_t len, mlen = 0;
    const char *code = rcw_blob_get_str(&ld->r, CODE_MAX_LEN, &len);
    uint8_t has_match = rcw_blob_get_u8(&ld->r);
    const char *match = has_match ? rcw_blob_get_str(&ld->r, MATCH_MAX_LEN, &mlen) : NULL;
    if (has_match > 1 || ld->r.bad)
      return false;
    struct ring_dest dst = {NULL, 0, NULL, 1, NULL, 0};
    if (ld->apply)
      load_entry_dest(ld, &dst, code, len, match, mlen);
    load_ring(ld, &dst);
  }
  return !ld->r.bad;
}

static int dim_find_n(const rcw_windows *w, const char *name, size_t len)
{
  for (size_t i = 0; i < w->ndims; i++)
    if (strlen(w->dims[i].name) == len && memcmp(w->dims[i].name, name, len) == 0)
      return (int)i;
  return -1;
}

/* Read one saved filter; *target is the matching filter of d, or -1. */
static bool load_filter(struct loader *ld, const struct dim *d, int *target)
{
  uint32_t n = rcw_blob_get_count(&ld->r, 4);
  uint32_t ids[MAX_FILTER_CATS];
  bool known = n <= MAX_FILTER_CATS;
  for (uint32_t k = 0; k < n && !ld->r.bad; k++) {
    size_t len;
    char name[NAME_MAX_LEN + 1];
    const char *s = rcw_blob_get_str(&ld->r, NAME_MAX_LEN, &len);
    if (!s || !known || !d)
      continue;
    memcpy(name, s, len);
    name[len] = '\0';
    ids[k] = rcw_catalog_category_id(ld->c, name);
    known = ids[k] != RCW_ENTRY_NONE;
  }
  *target = -1;
  if (known && d && ld->apply && !ld->r.bad) {
    size_t m = n;
    uint32_t *sorted = cats_normalize(ids, &m);
    if (!sorted)
      ld->err = -ENOMEM;
    else
      *target = filter_find(d, sorted, m);
    free(sorted);
  }
  return !ld->r.bad;
}

static void load_value_dest(struct loader *ld, struct dim *d, struct ring_dest *dst,
                            const char *s, size_t len)
{
  bool overflow;
  int64_t key = value_intern(ld->w, d, s, len, &overflow);
  if (key < 0) {
    ld->err = -ENOMEM;
    return;
  }
  dst->t = &d->t;
  dst->key = (size_t)key;
}

static bool load_values(struct loader *ld, struct dim *d, const int *map, uint32_t nc)
{
  uint32_t n = rcw_blob_get_count(&ld->r, 4 + ld->cells * nc);
  for (uint32_t k = 0; k < n && !ld->r.bad && !ld->err; k++) {
    size_t len;
    const char *s = rcw_blob_get_str(&ld->r, RCW_WINDOWS_VALUE_MAX, &len);
    struct ring_dest dst = {NULL, 0, map, nc, NULL, 0};
    if (ld->apply && d && s)
      load_value_dest(ld, d, &dst, s, len);
    load_ring(ld, &dst);
  }
  return !ld->r.bad;
}

static bool load_dim(struct loader *ld)
{
  size_t len;
  const char *name = rcw_blob_get_str(&ld->r, NAME_MAX_LEN, &len);
  uint64_t overflow = rcw_blob_get_u64(&ld->r);
  uint32_t nf = rcw_blob_get_u32(&ld->r);
  if (!name || nf > RCW_WINDOWS_MAX_FILTERS)
    return false;
  int di = ld->apply ? dim_find_n(ld->w, name, len) : -1;
  struct dim *d = di >= 0 ? &ld->w->dims[di] : NULL;
  int map[C_FILTER + RCW_WINDOWS_MAX_FILTERS] = {C_REQ, C_FAIL};
  for (uint32_t f = 0; f < nf; f++) {
    int target;
    if (!load_filter(ld, d, &target))
      return false;
    map[C_FILTER + f] = target < 0 ? -1 : C_FILTER + target;
  }
  if (d)
    d->overflow += overflow;
  return load_values(ld, d, map, C_FILTER + nf);
}

static int load_pass(struct loader *ld, const void *p, size_t n)
{
  rcw_blob_reader_init(&ld->r, p, n);
  ld->err = 0;
  if (!load_header(ld) || !load_windows(ld) || !load_entries(ld))
    return ld->err ? ld->err : -EINVAL;
  uint32_t ndims = rcw_blob_get_count(&ld->r, 20);
  if (ndims > RCW_WINDOWS_MAX_DIMS)
    return -EINVAL;
  for (uint32_t d = 0; d < ndims && !ld->err; d++)
    if (!load_dim(ld))
      return ld->err ? ld->err : -EINVAL;
  if (ld->err)
    return ld->err;
  if (ld->apply)
    pending_rearm(ld->w);
  return rcw_blob_ok(&ld->r) ? 0 : -EINVAL;
}

int rcw_windows_load(rcw_windows *w, rcw_catalog *c, const void *p, size_t n)
{
  struct loader ld = {.w = w, .c = c, .apply = false};
  int r = load_pass(&ld, p, n);
  if (r < 0)
    return r;
  ld.apply = true;
  r = load_pass(&ld, p, n);
  if (r < 0)
    rcw_windows_reset(w);
  return r;
}

int rcw_windows_adopt(rcw_windows *dst, rcw_catalog *dst_catalog, const rcw_windows *old,
                      const rcw_catalog *old_catalog)
{
  struct rcw_buf b = RCW_BUF_INIT;
  int r = rcw_windows_save(old, old_catalog, &b);
  if (r == 0)
    r = rcw_windows_load(dst, dst_catalog, b.data, b.len);
  else
    rcw_windows_reset(dst);
  rcw_buf_free(&b);
  return r;
}
