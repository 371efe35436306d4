#include "report_load.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "timefmt.h"

#define REPORT_VERSION 1
#define WHERE_MAX 96
/* A daemon keeps at most RCW_MAX_WINDOWS; a report listing far more was
 * not written by rcwatch, and each window costs a tally. */
#define MAX_WINDOWS 64
#define MAX_SUCCESS_CODES 256
/* Further meanings of codes a document may list (the embedded catalog
 * has one, 1306's second): a cap like every count a document controls,
 * and small, since each is searched linearly. */
#define MAX_EXTRA_MEANINGS 256
/* The summary, each window's, the lifetime and the previous period's. */
#define MAX_SUMMARIES (MAX_WINDOWS + 3)

/* A summary's own figures, checked against its tally once the catalog
 * knows which codes are successes. */
struct summary_check {
  const struct rcw_jval *at;
  const char *where;
  const struct rcw_tally *tally;
  uint64_t requests, failures;
};

/* What the summaries say about one entry: whether its category had no
 * failures (its codes are successes) or only failures. */
struct entry_votes {
  bool seen;
  bool success, failure;
};

struct rcw_loaded_report {
  struct rcw_report report;
  rcw_catalog *catalog;
  rcw_jdoc *doc; /* alert and source strings point into it */
  char *data;
  size_t len;
  struct rcw_tally summary, lifetime, previous;
  struct rcw_tally *window_tallies;
  struct rcw_report_window *windows;
  size_t nwindows;
  struct rcw_alert *alerts;
  struct rcw_report_source *sources;
  struct rcw_report_file **files; /* one array per source */
  size_t nsources;
};

struct loader {
  struct rcw_loaded_report *lr;
  const rcw_catalog *conf; /* the catalog in force, or NULL */
  struct rcw_jread_error *err;
  struct entry_votes *votes;
  size_t nvotes;
  struct summary_check checks[MAX_SUMMARIES];
  char check_where[MAX_SUMMARIES][WHERE_MAX];
  size_t nchecks;
  uint32_t extras[MAX_EXTRA_MEANINGS]; /* entries made by another_meaning */
  size_t nextras;
};

/* A summary's elements as read, before votes can be cast. */
struct summary_parts {
  uint32_t *cat_ids;
  uint64_t *cat_failures;
  size_t ncats;
  uint32_t *code_ids, *code_cats;
  uint64_t *code_counts;
  size_t ncodes;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct loader *L, const struct rcw_jval *at, const char *fmt, ...)
{
  if (!L->err)
    return -EINVAL;
  va_list ap;
  va_start(ap, fmt);
  L->err->line = at ? at->line : 0;
  L->err->column = at ? at->column : 0;
  vsnprintf(L->err->message, sizeof(L->err->message), fmt, ap);
  va_end(ap);
  return -EINVAL;
}

static int fail_oom(struct loader *L)
{
  if (L->err) {
    L->err->line = L->err->column = 0;
    snprintf(L->err->message, sizeof(L->err->message), "out of memory");
  }
  return -ENOMEM;
}

/* --- typed members -------------------------------------------------------- */

/* The member key of obj, of type type.  A missing optional member sets
 * *out to NULL; null counts as missing when nullable. */
static int get(struct loader *L, const struct rcw_jval *obj, const char *where, const char *key,
               enum rcw_jtype type, bool required, const struct rcw_jval **out)
{
  const struct rcw_jval *v = rcw_jval_get(obj, key);
  *out = NULL;
  if (!v || (v->type == RCW_JNULL && !required))
    return required ? fail(L, obj, "%s: \"%s\" is missing", where, key) : 0;
  if (v->type != type)
    return fail(L, v, "%s: \"%s\" must be %s, not %s", where, key, rcw_jtype_name(type),
                rcw_jtype_name(v->type));
  *out = v;
  return 0;
}

static int get_uint(struct loader *L, const struct rcw_jval *obj, const char *where,
                    const char *key, bool required, uint64_t *out)
{
  const struct rcw_jval *v;
  *out = 0;
  int r = get(L, obj, where, key, RCW_JNUMBER, required, &v);
  if (r < 0 || !v)
    return r;
  if (!v->u.num.is_uint)
    return fail(L, v, "%s: \"%s\" must be a non-negative integer", where, key);
  *out = v->u.num.u;
  return 0;
}

/* A string member; NULL when it is null or absent and not required. */
static int get_text(struct loader *L, const struct rcw_jval *obj, const char *where,
                    const char *key, bool required, const char **out)
{
  const struct rcw_jval *v;
  int r = get(L, obj, where, key, RCW_JSTRING, required, &v);
  *out = v ? v->u.str.s : NULL;
  return r;
}

/* A number that may be null: rcwatch writes a NaN or infinity as null. */
static int get_double(struct loader *L, const struct rcw_jval *obj, const char *where,
                      const char *key, double *out)
{
  const struct rcw_jval *v = rcw_jval_get(obj, key);
  if (!v)
    return fail(L, obj, "%s: \"%s\" is missing", where, key);
  if (v->type != RCW_JNUMBER && v->type != RCW_JNULL)
    return fail(L, v, "%s: \"%s\" must be a number, not %s", where, key, rcw_jtype_name(v->type));
  *out = v->type == RCW_JNUMBER ? v->u.num.d : NAN;
  return 0;
}

static int get_time(struct loader *L, const struct rcw_jval *obj, const char *where,
                    const char *key, int64_t *out)
{
  static const struct rcw_timefmt iso = {RCW_TIME_ISO8601, NULL};
  const struct rcw_jval *v;
  int r = get(L, obj, where, key, RCW_JSTRING, true, &v);
  if (r < 0)
    return r;
  if (rcw_time_parse(&iso, v->u.str.s, v->u.str.len, out) < 0)
    return fail(L, v, "%s: \"%s\" is not a time like 2026-12-04T10:00:00.000Z", where, key);
  return 0;
}

static int get_duration(struct loader *L, const struct rcw_jval *obj, const char *where,
                        const char *key, int64_t *out)
{
  const struct rcw_jval *v;
  int r = get(L, obj, where, key, RCW_JSTRING, true, &v);
  if (r < 0)
    return r;
  if (rcw_parse_duration(v->u.str.s, out) < 0 || *out <= 0)
    return fail(L, v, "%s: \"%s\" is not a duration like 5m", where, key);
  return 0;
}

static int need_object(struct loader *L, const struct rcw_jval *v, const char *where)
{
  if (v->type != RCW_JOBJECT)
    return fail(L, v, "%s must be an object, not %s", where, rcw_jtype_name(v->type));
  return 0;
}

/* --- the catalog ---------------------------------------------------------- */

static const struct rcw_category *configured(const struct loader *L, const char *name)
{
  if (!L->conf)
    return NULL;
  uint32_t id = rcw_catalog_category_id(L->conf, name);
  return id == RCW_ENTRY_NONE ? NULL : rcw_catalog_category(L->conf, id);
}

/* The categories every catalog starts with take the configured severity. */
static int adopt_severities(struct loader *L)
{
  rcw_catalog *c = L->lr->catalog;
  for (uint32_t id = 0; id < rcw_catalog_category_count(c); id++) {
    const struct rcw_category *conf = configured(L, rcw_catalog_category(c, id)->name);
    if (conf && rcw_catalog_set_category(c, conf->name, conf->description, conf->severity) < 0)
      return fail_oom(L);
  }
  return 0;
}

static int ensure_category(struct loader *L, const struct rcw_jval *at, const char *name,
                           uint32_t *out)
{
  rcw_catalog *c = L->lr->catalog;
  *out = rcw_catalog_category_id(c, name);
  if (*out != RCW_ENTRY_NONE)
    return 0;
  const struct rcw_category *conf = configured(L, name);
  int r = rcw_catalog_set_category(c, name, conf ? conf->description : NULL,
                                   conf ? conf->severity : RCW_SEV_WARNING);
  if (r == -EINVAL)
    return fail(L, at, "\"%.40s\" is not a valid category name", name);
  if (r == -ENOSPC)
    return fail(L, at, "too many categories");
  if (r < 0)
    return fail_oom(L);
  *out = rcw_catalog_category_id(c, name);
  return 0;
}

static int votes_reserve(struct loader *L, uint32_t id)
{
  if (id < L->nvotes)
    return 0;
  size_t n = L->nvotes ? L->nvotes : 64;
  while (n <= id)
    n *= 2;
  struct entry_votes *v = realloc(L->votes, n * sizeof(*v));
  if (!v)
    return fail_oom(L);
  memset(v + L->nvotes, 0, (n - L->nvotes) * sizeof(*v));
  L->votes = v;
  L->nvotes = n;
  return 0;
}

/* Whether entry id is the meaning (category, description) a listing
 * names.  A listing with no description names the code's meaning in that
 * category, whatever its text. */
static bool same_meaning(const rcw_catalog *c, uint32_t id, const char *category,
                         const char *desc)
{
  const struct rcw_entry *e = rcw_catalog_entry(c, id);
  return strcmp(rcw_catalog_category(c, e->category)->name, category) == 0 &&
         (!desc || strcmp(e->description, desc) == 0);
}

static int define_failed(struct loader *L, const struct rcw_jval *at, const char *code, int r)
{
  if (r == -ENOSPC)
    return fail(L, at, "too many codes");
  if (r == -ENOMEM)
    return fail_oom(L);
  return fail(L, at, "\"%.40s\" is not a valid code", code);
}

/* A code listed under a second category or text (1306's two meanings)
 * gets an entry of its own, so each keeps its counts.  The report does
 * not say which logged descriptions chose a meaning; its own text is the
 * best stand-in.  With no text to go by, the counts join the meaning
 * classify found: totals stay right, the split between the two is lost. */
static int another_meaning(struct loader *L, const struct rcw_jval *at, const char *code,
                           const char *category, const char *desc, uint32_t *out)
{
  rcw_catalog *c = L->lr->catalog;
  if (!desc || !*desc)
    return 0;
  if (L->nextras == MAX_EXTRA_MEANINGS)
    return fail(L, at, "more than %d codes listed under several meanings", MAX_EXTRA_MEANINGS);
  int r = rcw_catalog_add_meaning(c, code, category, desc, desc);
  if (r < 0)
    return define_failed(L, at, code, r);
  uint32_t id = (uint32_t)rcw_catalog_entry_count(c) - 1;
  if (votes_reserve(L, id) < 0)
    return -ENOMEM;
  L->votes[id].seen = true;
  L->extras[L->nextras++] = id;
  *out = id;
  return 0;
}

/* The entry for a code as the report lists it.  classify finds a code
 * already defined, or makes a new entry that set_code then redefines in
 * place with the report's category and text. */
static int entry_for(struct loader *L, const struct rcw_jval *at, const char *code,
                     const char *category, const char *desc, uint32_t *out)
{
  rcw_catalog *c = L->lr->catalog;
  uint32_t id = rcw_catalog_classify(c, code, strlen(code), desc, desc ? strlen(desc) : 0, NULL);
  if (id == RCW_ENTRY_NONE)
    return fail(L, at, "\"%.40s\" is not a valid code", code);
  if (votes_reserve(L, id) < 0)
    return -ENOMEM;
  *out = id;
  if (!L->votes[id].seen) {
    int r = rcw_catalog_set_code(c, code, category, desc);
    if (r < 0)
      return define_failed(L, at, code, r);
    L->votes[id].seen = true;
    return 0;
  }
  if (same_meaning(c, id, category, desc))
    return 0;
  /* classify went by text, which one meaning's may contain another's. */
  uint32_t fallback = rcw_catalog_classify(c, code, strlen(code), NULL, 0, NULL);
  if (same_meaning(c, fallback, category, desc)) {
    *out = fallback;
    return 0;
  }
  for (size_t i = 0; i < L->nextras; i++) {
    uint32_t x = L->extras[i];
    if (strcmp(rcw_catalog_entry(c, x)->code, rcw_catalog_entry(c, id)->code) == 0 &&
        same_meaning(c, x, category, desc)) {
      *out = x;
      return 0;
    }
  }
  return another_meaning(L, at, code, category, desc, out);
}

/* Two meanings of one code with equal counts are listed in entry id
 * order, so the loaded catalog must make them in the order the writer's
 * had, or a re-rendered report would list them the other way round.
 * Where a summary lists two meanings of a code tied, that is the order:
 * such pairs get their entries before anything else is read.  Malformed
 * elements are left for the full reading to report. */
static bool tied_meanings(const struct rcw_jval *a, const struct rcw_jval *b)
{
  const struct rcw_jval *ca = rcw_jval_get(a, "code"), *cb = rcw_jval_get(b, "code");
  const struct rcw_jval *na = rcw_jval_get(a, "count"), *nb = rcw_jval_get(b, "count");
  return ca && cb && na && nb && ca->type == RCW_JSTRING && cb->type == RCW_JSTRING &&
         strcmp(ca->u.str.s, cb->u.str.s) == 0 && na->type == RCW_JNUMBER &&
         nb->type == RCW_JNUMBER && na->u.num.is_uint && nb->u.num.is_uint &&
         na->u.num.u == nb->u.num.u;
}

static int preload_code(struct loader *L, const struct rcw_jval *v)
{
  const struct rcw_jval *cat = rcw_jval_get(v, "category"), *desc = rcw_jval_get(v, "description");
  uint32_t cat_id, id;
  if (!cat || cat->type != RCW_JSTRING || (desc && desc->type != RCW_JSTRING))
    return 0;
  int r = ensure_category(L, cat, cat->u.str.s, &cat_id);
  if (r == 0)
    r = entry_for(L, v, rcw_jval_get(v, "code")->u.str.s, cat->u.str.s,
                  desc ? desc->u.str.s : NULL, &id);
  return r == -ENOMEM ? r : 0;
}

static int preload_ties(struct loader *L, const struct rcw_jval *summary)
{
  const struct rcw_jval *codes = rcw_jval_get(summary, "codes");
  int r = 0;
  for (size_t i = 1; r == 0 && codes && codes->type == RCW_JARRAY && i < codes->u.arr.n; i++) {
    const struct rcw_jval *a = &codes->u.arr.items[i - 1], *b = &codes->u.arr.items[i];
    if (tied_meanings(a, b)) {
      r = preload_code(L, a);
      if (r == 0)
        r = preload_code(L, b);
    }
  }
  return r;
}

static int preload_all_ties(struct loader *L, const struct rcw_jval *root)
{
  const struct rcw_jval *windows = rcw_jval_get(root, "windows");
  int r = preload_ties(L, rcw_jval_get(root, "summary"));
  for (size_t i = 0; r == 0 && windows && windows->type == RCW_JARRAY && i < windows->u.arr.n;
       i++)
    r = preload_ties(L, rcw_jval_get(&windows->u.arr.items[i], "summary"));
  if (r == 0)
    r = preload_ties(L, rcw_jval_get(root, "lifetime"));
  if (r == 0)
    r = preload_ties(L, rcw_jval_get(rcw_jval_get(root, "previous"), "summary"));
  return r;
}

/* --- summaries ------------------------------------------------------------ */

static void parts_free(struct summary_parts *p)
{
  free(p->cat_ids);
  free(p->cat_failures);
  free(p->code_ids);
  free(p->code_cats);
  free(p->code_counts);
}

static int parts_alloc(struct loader *L, struct summary_parts *p, size_t ncats, size_t ncodes)
{
  memset(p, 0, sizeof(*p));
  p->cat_ids = calloc(ncats + 1, sizeof(*p->cat_ids));
  p->cat_failures = calloc(ncats + 1, sizeof(*p->cat_failures));
  p->code_ids = calloc(ncodes + 1, sizeof(*p->code_ids));
  p->code_cats = calloc(ncodes + 1, sizeof(*p->code_cats));
  p->code_counts = calloc(ncodes + 1, sizeof(*p->code_counts));
  if (!p->cat_ids || !p->cat_failures || !p->code_ids || !p->code_cats || !p->code_counts)
    return fail_oom(L);
  return 0;
}

static int load_lines(struct loader *L, const struct rcw_jval *s, const char *where,
                      struct rcw_tally *t)
{
  const struct rcw_jval *lines;
  char sub[WHERE_MAX];
  int r = get(L, s, where, "lines", RCW_JOBJECT, true, &lines);
  if (r < 0)
    return r;
  snprintf(sub, sizeof(sub), "%s.lines", where);
  if ((r = get_uint(L, lines, sub, "total", true, &t->lines_total)) < 0 ||
      (r = get_uint(L, lines, sub, "matched", true, &t->lines_matched)) < 0 ||
      (r = get_uint(L, lines, sub, "unmatched", true, &t->lines_unmatched)) < 0 ||
      (r = get_uint(L, lines, sub, "too_long", false, &t->unmatched_too_long)) < 0 ||
      (r = get_uint(L, lines, sub, "regex_limit", false, &t->unmatched_limit)) < 0)
    return r;
  return 0;
}

static int load_category(struct loader *L, const struct rcw_jval *v, const char *where,
                         struct summary_parts *p)
{
  const char *name;
  double rate;
  uint64_t count;
  int r = need_object(L, v, where);
  if (r == 0)
    r = get_text(L, v, where, "name", true, &name);
  if (r == 0)
    r = get_uint(L, v, where, "failures", true, &p->cat_failures[p->ncats]);
  if (r == 0)
    r = get_double(L, v, where, "failure_rate", &rate);
  if (r == 0)
    r = get_uint(L, v, where, "count", false, &count);
  if (r == 0)
    r = ensure_category(L, rcw_jval_get(v, "name"), name, &p->cat_ids[p->ncats]);
  p->ncats += r == 0;
  return r;
}

static int load_code(struct loader *L, const struct rcw_jval *v, const char *where,
                     struct rcw_tally *t, struct summary_parts *p)
{
  const char *code, *category, *desc;
  size_t i = p->ncodes;
  int r = need_object(L, v, where);
  if (r == 0)
    r = get_text(L, v, where, "code", true, &code);
  if (r == 0)
    r = get_text(L, v, where, "category", true, &category);
  if (r == 0)
    r = get_text(L, v, where, "description", false, &desc);
  if (r == 0)
    r = get_uint(L, v, where, "count", true, &p->code_counts[i]);
  if (r == 0)
    r = ensure_category(L, rcw_jval_get(v, "category"), category, &p->code_cats[i]);
  if (r == 0)
    r = entry_for(L, rcw_jval_get(v, "code"), code, category, desc, &p->code_ids[i]);
  if (r == 0 && rcw_tally_count(t, p->code_ids[i], p->code_counts[i]) < 0)
    r = fail_oom(L);
  p->ncodes += r == 0;
  return r;
}

typedef int (*element_fn)(struct loader *L, const struct rcw_jval *v, const char *where,
                          void *ctx);

/* Call fn on each element of the array member key (optional when not
 * required), naming each "where.key[i]" in errors. */
static int each(struct loader *L, const struct rcw_jval *obj, const char *where, const char *key,
                bool required, element_fn fn, void *ctx)
{
  const struct rcw_jval *arr;
  char sub[WHERE_MAX];
  int r = get(L, obj, where, key, RCW_JARRAY, required, &arr);
  for (size_t i = 0; r == 0 && arr && i < arr->u.arr.n; i++) {
    snprintf(sub, sizeof(sub), "%s%s%s[%zu]", where, *where ? "." : "", key, i);
    r = fn(L, &arr->u.arr.items[i], sub, ctx);
  }
  return r;
}

struct summary_ctx {
  struct rcw_tally *tally;
  struct summary_parts parts;
};

static int category_cb(struct loader *L, const struct rcw_jval *v, const char *where, void *ctx)
{
  struct summary_ctx *sc = ctx;
  return load_category(L, v, where, &sc->parts);
}

static int code_cb(struct loader *L, const struct rcw_jval *v, const char *where, void *ctx)
{
  struct summary_ctx *sc = ctx;
  return load_code(L, v, where, sc->tally, &sc->parts);
}

static size_t array_len(const struct rcw_jval *obj, const char *key)
{
  const struct rcw_jval *v = rcw_jval_get(obj, key);
  return v && v->type == RCW_JARRAY ? v->u.arr.n : 0;
}

struct cat_figures {
  bool listed;
  uint64_t failures; /* as the categories list says */
  uint64_t count;    /* as the codes add up */
};

/* A category with no failures held only successes; one whose failures are
 * all its responses held only failures; a mixed one says nothing. */
static int cast_votes(struct loader *L, const struct summary_parts *p)
{
  size_t ncats = rcw_catalog_category_count(L->lr->catalog);
  struct cat_figures *fig = calloc(ncats + 1, sizeof(*fig));
  if (!fig)
    return fail_oom(L);
  for (size_t k = 0; k < p->ncats; k++) {
    fig[p->cat_ids[k]].listed = true;
    fig[p->cat_ids[k]].failures = p->cat_failures[k];
  }
  for (size_t i = 0; i < p->ncodes; i++)
    fig[p->code_cats[i]].count += p->code_counts[i];
  for (size_t i = 0; i < p->ncodes; i++) {
    const struct cat_figures *f = &fig[p->code_cats[i]];
    struct entry_votes *v = &L->votes[p->code_ids[i]];
    if (!f->listed || p->code_counts[i] == 0)
      continue;
    v->success |= f->failures == 0;
    v->failure |= f->failures > 0 && f->failures == f->count;
  }
  free(fig);
  return 0;
}

static int add_check(struct loader *L, const struct rcw_jval *s, const char *where,
                     const struct rcw_tally *t)
{
  struct summary_check *c = &L->checks[L->nchecks];
  snprintf(L->check_where[L->nchecks], WHERE_MAX, "%s", where);
  c->at = s;
  c->where = L->check_where[L->nchecks];
  c->tally = t;
  L->nchecks++;
  int r = get_uint(L, s, where, "requests", true, &c->requests);
  if (r == 0)
    r = get_uint(L, s, where, "failures", true, &c->failures);
  double rate;
  if (r == 0)
    r = get_double(L, s, where, "failure_rate", &rate);
  return r;
}

static int load_summary(struct loader *L, const struct rcw_jval *s, const char *where,
                        struct rcw_tally *t)
{
  struct summary_ctx sc = {t, {0}};
  int r = need_object(L, s, where);
  if (r == 0)
    r = load_lines(L, s, where, t);
  if (r == 0)
    r = add_check(L, s, where, t);
  if (r == 0)
    r = parts_alloc(L, &sc.parts, array_len(s, "categories"), array_len(s, "codes"));
  if (r == 0)
    r = each(L, s, where, "categories", true, category_cb, &sc);
  if (r == 0)
    r = each(L, s, where, "codes", true, code_cb, &sc);
  if (r == 0)
    r = cast_votes(L, &sc.parts);
  parts_free(&sc.parts);
  return r;
}

/* --- successes and the final check --------------------------------------- */

/* The catalog in force, for a code the figures leave open (a category
 * mixing successes and failures): -1 when it does not know the code. */
static int configured_success(const struct loader *L, const char *code)
{
  size_t n = L->conf ? rcw_catalog_entry_count(L->conf) : 0;
  for (uint32_t id = 0; id < n; id++) {
    const struct rcw_entry *e = rcw_catalog_entry(L->conf, id);
    if (!e->replaced && strcmp(e->code, code) == 0)
      return e->success;
  }
  return -1;
}

static bool decide_success(const struct loader *L, uint32_t id)
{
  const struct entry_votes *v = &L->votes[id];
  if (v->success != v->failure)
    return v->success;
  const struct rcw_entry *e = rcw_catalog_entry(L->lr->catalog, id);
  int conf = configured_success(L, e->code);
  if (conf >= 0)
    return conf;
  return strcmp(rcw_catalog_category(L->lr->catalog, e->category)->name, RCW_CAT_SUCCESS) == 0;
}

static int apply_successes(struct loader *L)
{
  const char *codes[MAX_SUCCESS_CODES];
  size_t n = 0;
  size_t nentries = rcw_catalog_entry_count(L->lr->catalog);
  for (uint32_t id = 0; id < nentries && id < L->nvotes; id++) {
    if (!L->votes[id].seen || !decide_success(L, id))
      continue;
    if (n == MAX_SUCCESS_CODES)
      return fail(L, NULL, "more than %d success codes", MAX_SUCCESS_CODES);
    codes[n++] = rcw_catalog_entry(L->lr->catalog, id)->code;
  }
  int r = rcw_catalog_set_success(L->lr->catalog, codes, n);
  return r == -ENOMEM ? fail_oom(L) : r < 0 ? fail(L, NULL, "invalid success codes") : 0;
}

static int check_summary(struct loader *L, const struct summary_check *c)
{
  struct rcw_summary s;
  if (rcw_summary_build(&s, c->tally, L->lr->catalog) < 0)
    return fail_oom(L);
  uint64_t requests = s.requests, failures = s.failures;
  rcw_summary_destroy(&s);
  if (requests != c->requests)
    return fail(L, c->at, "%s: \"requests\" is %llu but its codes add up to %llu", c->where,
                (unsigned long long)c->requests, (unsigned long long)requests);
  if (failures != c->failures)
    return fail(L, c->at, "%s: \"failures\" is %llu but its failing codes add up to %llu",
                c->where, (unsigned long long)c->failures, (unsigned long long)failures);
  return 0;
}

/* --- windows, alerts, sources --------------------------------------------- */

static int window_cb(struct loader *L, const struct rcw_jval *v, const char *where, void *ctx)
{
  struct rcw_loaded_report *lr = L->lr;
  const struct rcw_jval *summary;
  char sub[WHERE_MAX];
  size_t i = lr->nwindows;
  int r = need_object(L, v, where);
  if (r == 0)
    r = get_duration(L, v, where, "window", &lr->windows[i].window_ms);
  if (r == 0)
    r = get(L, v, where, "summary", RCW_JOBJECT, true, &summary);
  snprintf(sub, sizeof(sub), "%s.summary", where);
  if (r == 0)
    r = load_summary(L, summary, sub, &lr->window_tallies[i]);
  lr->windows[i].tally = &lr->window_tallies[i];
  lr->nwindows++; /* counted even on failure: its tally is freed with the rest */
  return r;
}

static int load_windows(struct loader *L, const struct rcw_jval *root)
{
  struct rcw_loaded_report *lr = L->lr;
  size_t n = array_len(root, "windows");
  if (n > MAX_WINDOWS)
    return fail(L, rcw_jval_get(root, "windows"), "more than %d windows", MAX_WINDOWS);
  lr->windows = calloc(n + 1, sizeof(*lr->windows));
  lr->window_tallies = calloc(n + 1, sizeof(*lr->window_tallies));
  if (!lr->windows || !lr->window_tallies)
    return fail_oom(L);
  int r = each(L, root, "", "windows", false, window_cb, NULL);
  lr->report.windows = lr->windows;
  lr->report.nwindows = lr->nwindows;
  return r;
}

static int parse_state(const char *s, enum rcw_alert_state *out)
{
  for (int i = RCW_ALERT_FIRING; i <= RCW_ALERT_RESOLVED; i++)
    if (strcmp(s, rcw_alert_state_name((enum rcw_alert_state)i)) == 0) {
      *out = (enum rcw_alert_state)i;
      return 0;
    }
  return -EINVAL;
}

static int parse_scope(const char *s, enum rcw_scope *out)
{
  for (int i = RCW_SCOPE_TOTAL; i <= RCW_SCOPE_DIMENSION; i++)
    if (strcmp(s, rcw_scope_name((enum rcw_scope)i)) == 0) {
      *out = (enum rcw_scope)i;
      return 0;
    }
  return -EINVAL;
}

static int parse_metric(const char *s, enum rcw_metric *out)
{
  for (int i = RCW_METRIC_FAILURE_RATE; i <= RCW_METRIC_COUNT; i++)
    if (strcmp(s, rcw_metric_name((enum rcw_metric)i)) == 0) {
      *out = (enum rcw_metric)i;
      return 0;
    }
  return -EINVAL;
}

static int bad_name(struct loader *L, const struct rcw_jval *obj, const char *where,
                    const char *key, const char *expected)
{
  return fail(L, rcw_jval_get(obj, key), "%s: \"%s\" must be %s", where, key, expected);
}

/* The enumerated members of an alert: state, severity, scope, metric. */
static int alert_names(struct loader *L, const struct rcw_jval *v, const char *where,
                       struct rcw_alert *a)
{
  const char *state = NULL, *sev = NULL, *scope = NULL, *metric = NULL;
  int r = get_text(L, v, where, "state", true, &state);
  if (r == 0)
    r = get_text(L, v, where, "severity", true, &sev);
  if (r == 0)
    r = get_text(L, v, where, "scope", true, &scope);
  if (r == 0)
    r = get_text(L, v, where, "metric", true, &metric);
  if (r < 0)
    return r;
  if (parse_state(state, &a->state) < 0)
    return bad_name(L, v, where, "state", "firing or resolved");
  if (rcw_severity_parse(sev, &a->severity) < 0)
    return bad_name(L, v, where, "severity", "info, warning or critical");
  if (parse_scope(scope, &a->scope) < 0)
    return bad_name(L, v, where, "scope", "total, category, code or dimension");
  if (parse_metric(metric, &a->metric) < 0)
    return bad_name(L, v, where, "metric", "failure_rate or count");
  return 0;
}

static int alert_cb(struct loader *L, const struct rcw_jval *v, const char *where, void *ctx)
{
  struct rcw_alert *a = &L->lr->alerts[L->lr->report.nalerts];
  int r = need_object(L, v, where);
  if (r == 0)
    r = get_time(L, v, where, "at", &a->at);
  if (r == 0)
    r = alert_names(L, v, where, a);
  if (r == 0)
    r = get_text(L, v, where, "rule", false, &a->rule);
  if (r == 0)
    r = get_text(L, v, where, "key", false, &a->key);
  if (r == 0)
    r = get_duration(L, v, where, "window", &a->window_ms);
  if (r == 0)
    r = get_double(L, v, where, "value", &a->value);
  if (r == 0)
    r = get_double(L, v, where, "threshold", &a->threshold);
  if (r == 0)
    r = get_uint(L, v, where, "requests", true, &a->requests);
  if (r == 0)
    r = get_uint(L, v, where, "failures", true, &a->failures);
  if (r == 0)
    r = get_text(L, v, where, "description", false, &a->description);
  L->lr->report.nalerts += r == 0;
  return r;
}

static int load_alerts(struct loader *L, const struct rcw_jval *root)
{
  const struct rcw_jval *arr;
  int r = get(L, root, "report", "alerts", RCW_JARRAY, false, &arr);
  if (r < 0 || !arr)
    return r;
  L->lr->alerts = calloc(arr->u.arr.n + 1, sizeof(*L->lr->alerts));
  if (!L->lr->alerts)
    return fail_oom(L);
  L->lr->report.has_alerts = true;
  L->lr->report.alerts = L->lr->alerts;
  return each(L, root, "", "alerts", false, alert_cb, NULL);
}

/* Files of the source being read: the last one in lr. */
static int file_cb(struct loader *L, const struct rcw_jval *v, const char *where, void *ctx)
{
  struct rcw_report_source *src = &L->lr->sources[L->lr->nsources - 1];
  struct rcw_report_file *f = &L->lr->files[L->lr->nsources - 1][src->nfiles];
  int r = need_object(L, v, where);
  if (r == 0)
    r = get_text(L, v, where, "path", false, &f->path);
  if (r == 0)
    r = get_uint(L, v, where, "offset", true, &f->offset);
  src->nfiles += r == 0;
  return r;
}

static int source_cb(struct loader *L, const struct rcw_jval *v, const char *where, void *ctx)
{
  struct rcw_loaded_report *lr = L->lr;
  struct rcw_report_source *src = &lr->sources[lr->nsources];
  int r = need_object(L, v, where);
  if (r < 0)
    return r;
  lr->files[lr->nsources] = calloc(array_len(v, "files") + 1, sizeof(struct rcw_report_file));
  if (!lr->files[lr->nsources])
    return fail_oom(L);
  src->files = lr->files[lr->nsources];
  lr->nsources++;
  r = get_text(L, v, where, "name", false, &src->name);
  if (r == 0)
    r = each(L, v, where, "files", true, file_cb, NULL);
  return r;
}

static int load_sources(struct loader *L, const struct rcw_jval *root)
{
  struct rcw_loaded_report *lr = L->lr;
  size_t n = array_len(root, "sources");
  lr->sources = calloc(n + 1, sizeof(*lr->sources));
  lr->files = calloc(n + 1, sizeof(*lr->files));
  if (!lr->sources || !lr->files)
    return fail_oom(L);
  int r = each(L, root, "", "sources", false, source_cb, NULL);
  lr->report.sources = lr->sources;
  lr->report.nsources = lr->nsources;
  return r;
}

/* --- the whole report ----------------------------------------------------- */

static int load_header(struct loader *L, const struct rcw_jval *root)
{
  struct rcw_report *rep = &L->lr->report;
  const struct rcw_jval *ver, *period;
  if (root->type != RCW_JOBJECT)
    return fail(L, root, "not an rcwatch report: the document is %s, not an object",
                rcw_jtype_name(root->type));
  if (!(ver = rcw_jval_get(root, "rcwatch_report")))
    return fail(L, root, "not an rcwatch report: no \"rcwatch_report\" member");
  if (ver->type != RCW_JNUMBER || !ver->u.num.is_int || ver->u.num.i != REPORT_VERSION)
    return fail(L, ver, "unsupported report version (this rcwatch reads version %d)",
                REPORT_VERSION);
  int r = get_time(L, root, "report", "generated_at", &rep->generated_at);
  if (r == 0)
    r = get(L, root, "report", "period", RCW_JOBJECT, true, &period);
  if (r == 0)
    r = get_time(L, period, "period", "start", &rep->period_start);
  if (r == 0)
    r = get_time(L, period, "period", "end", &rep->period_end);
  return r;
}

static int load_summaries(struct loader *L, const struct rcw_jval *root)
{
  struct rcw_loaded_report *lr = L->lr;
  const struct rcw_jval *s;
  int r = get(L, root, "report", "summary", RCW_JOBJECT, true, &s);
  if (r == 0)
    r = load_summary(L, s, "summary", &lr->summary);
  lr->report.summary = &lr->summary;
  if (r == 0)
    r = load_windows(L, root);
  if (r == 0)
    r = get(L, root, "report", "lifetime", RCW_JOBJECT, false, &s);
  if (r == 0 && s) {
    r = load_summary(L, s, "lifetime", &lr->lifetime);
    lr->report.lifetime = &lr->lifetime;
  }
  return r;
}

/* The extension member "previous": the previous report's period. */
static int load_previous(struct loader *L, const struct rcw_jval *root)
{
  struct rcw_loaded_report *lr = L->lr;
  const struct rcw_jval *prev, *period, *s;
  int r = get(L, root, "report", "previous", RCW_JOBJECT, false, &prev);
  if (r < 0 || !prev)
    return r;
  r = get(L, prev, "previous", "period", RCW_JOBJECT, true, &period);
  if (r == 0)
    r = get_time(L, period, "previous.period", "start", &lr->report.previous_start);
  if (r == 0)
    r = get_time(L, period, "previous.period", "end", &lr->report.previous_end);
  if (r == 0)
    r = get(L, prev, "previous", "summary", RCW_JOBJECT, true, &s);
  if (r == 0)
    r = load_summary(L, s, "previous.summary", &lr->previous);
  lr->report.previous = &lr->previous;
  return r;
}

static int load_root(struct loader *L, const struct rcw_jval *root)
{
  int r = load_header(L, root);
  if (r == 0)
    r = adopt_severities(L);
  if (r == 0)
    r = preload_all_ties(L, root);
  if (r == 0)
    r = load_summaries(L, root);
  if (r == 0)
    r = load_previous(L, root);
  if (r == 0)
    r = load_alerts(L, root);
  if (r == 0)
    r = load_sources(L, root);
  if (r == 0)
    r = apply_successes(L);
  for (size_t i = 0; r == 0 && i < L->nchecks; i++)
    r = check_summary(L, &L->checks[i]);
  return r;
}

void rcw_loaded_report_free(rcw_loaded_report *lr)
{
  if (!lr)
    return;
  rcw_tally_destroy(&lr->summary);
  rcw_tally_destroy(&lr->lifetime);
  rcw_tally_destroy(&lr->previous);
  for (size_t i = 0; lr->window_tallies && i < lr->nwindows; i++)
    rcw_tally_destroy(&lr->window_tallies[i]);
  free(lr->window_tallies);
  free(lr->windows);
  free(lr->alerts);
  for (size_t i = 0; lr->files && i < lr->nsources; i++)
    free(lr->files[i]);
  free(lr->files);
  free(lr->sources);
  rcw_catalog_free(lr->catalog);
  rcw_jdoc_free(lr->doc);
  free(lr->data);
  free(lr);
}

/* Takes data (malloc'd) whatever happens. */
static int load_owned(char *data, size_t len, const rcw_catalog *conf,
                      rcw_loaded_report **out, struct rcw_jread_error *err)
{
  struct loader L = {.conf = conf, .err = err};
  struct rcw_loaded_report *lr = calloc(1, sizeof(*lr));
  if (!lr) {
    free(data);
    return fail_oom(&L);
  }
  lr->data = data;
  lr->len = len;
  L.lr = lr;
  int r = rcw_jread_parse(data, len, NULL, &lr->doc, err);
  if (r == 0 && !(lr->catalog = rcw_catalog_new_empty()))
    r = fail_oom(&L);
  if (r == 0) {
    /* Every code the report lists must get its own entry. */
    rcw_catalog_set_max_unknown(lr->catalog, SIZE_MAX);
    r = load_root(&L, rcw_jdoc_root(lr->doc));
  }
  free(L.votes);
  if (r < 0) {
    rcw_loaded_report_free(lr);
    return r;
  }
  *out = lr;
  return 0;
}

int rcw_report_load(const char *data, size_t len, const rcw_catalog *conf,
                    rcw_loaded_report **out, struct rcw_jread_error *err)
{
  char *copy = malloc(len + 1);
  if (!copy) {
    struct loader L = {.err = err};
    return fail_oom(&L);
  }
  if (len > 0)
    memcpy(copy, data, len);
  copy[len] = '\0';
  return load_owned(copy, len, conf, out, err);
}

/* Read fd to its end, but never more than one byte past the size cap. */
static int read_fd(int fd, char **out, size_t *outlen)
{
  const size_t limit = RCW_JREAD_MAX_SIZE + 1;
  size_t cap = 0, len = 0;
  char *buf = NULL;
  for (;;) {
    if (len == cap) {
      size_t ncap = cap ? cap * 2 : 64 * 1024;
      ncap = ncap < limit ? ncap : limit;
      char *nb = len == limit ? NULL : realloc(buf, ncap + 1);
      if (!nb) {
        free(buf);
        return len == limit ? -E2BIG : -ENOMEM;
      }
      buf = nb;
      cap = ncap;
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = -errno;
      free(buf);
      return e;
    }
    if (n == 0)
      break;
    len += (size_t)n;
  }
  buf[len] = '\0';
  *out = buf;
  *outlen = len;
  return 0;
}

int rcw_report_load_file(const char *path, const rcw_catalog *conf,
                         rcw_loaded_report **out, struct rcw_jread_error *err)
{
  struct loader L = {.err = err};
  char *data = NULL;
  size_t len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  int r = fd < 0 ? -errno : read_fd(fd, &data, &len);
  if (fd >= 0)
    close(fd);
  if (r < 0) {
    if (r == -E2BIG)
      fail(&L, NULL, "larger than %zu bytes", (size_t)RCW_JREAD_MAX_SIZE);
    else
      fail(&L, NULL, "%s", strerror(-r));
    return r;
  }
  return load_owned(data, len, conf, out, err);
}

const struct rcw_report *rcw_loaded_report_get(const rcw_loaded_report *lr)
{
  return &lr->report;
}

const rcw_catalog *rcw_loaded_report_catalog(const rcw_loaded_report *lr)
{
  return lr->catalog;
}

const char *rcw_loaded_report_data(const rcw_loaded_report *lr, size_t *len)
{
  *len = lr->len;
  return lr->data;
}
