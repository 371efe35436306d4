/* The windows and rules sections: what to watch and when to alert. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_load.h"

#define DAY_MS (24 * 3600 * 1000LL)
#define WINDOW_MAX (7 * DAY_MS) /* caps the buckets a window keeps */
#define DIM_VALUE_MAX 256

static const char *const scopes[] = {"total", "category", "code", "dimension"};
static const char *const metrics[] = {"failure_rate", "count"};
static const char *const severities[] = {"info", "warning", "critical"};

/* --- windows ----------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static bool read_window(struct cfg_loader *l, const struct cfg_node *n, const struct cfg_path *p,
                        const int64_t *prev, size_t nprev, int64_t *out)
{
  if (!cfg_read_duration(&l->ctx, n, p, 1000, WINDOW_MAX, out))
    return false;
  if (*out % 1000 != 0) {
    cfg_error(&l->ctx, n, p, "%s is not a whole number of seconds", n->text);
    return false;
  }
  for (size_t i = 0; i < nprev; i++)
    if (prev[i] == *out) {
      cfg_error(&l->ctx, n, p, "%s is listed twice", n->text);
      return false;
    }
  return true;
}

void cfg_load_windows(struct cfg_loader *l, const struct cfg_node *n)
{
  const struct cfg_path *p = CFG_KEY(NULL, "windows");
  int64_t w[RCW_MAX_WINDOWS];
  size_t count = 0;
  if (!n || n->kind == CFG_NULL)
    return;
  l->windows_bad = true;
  if (!cfg_is_list(&l->ctx, n, p, "durations"))
    return;
  if (n->nitems == 0 || n->nitems > RCW_MAX_WINDOWS) {
    cfg_error(&l->ctx, n, p, "expected 1 to %d windows, got %zu", RCW_MAX_WINDOWS, n->nitems);
    return;
  }
  for (size_t i = 0; i < n->nitems; i++)
    if (read_window(l, n->items[i], CFG_IDX(p, i), w, count, &w[count]))
      count++;
  if (count < n->nitems)
    return;
  qsort(w, count, sizeof(w[0]), cmp_i64);
  memcpy(l->cfg->windows_ms, w, sizeof(w[0]) * count);
  l->cfg->nwindows = count;
  l->windows_bad = false;
}

/* --- rules ------------------------------------------------------------- */

struct rule_raw {
  struct rcw_rule_spec spec;
  const struct cfg_node *name, *scope, *match, *metric, *window, *above, *clear_below,
      *min_requests, *severity, *dimension, *category;
};

enum { R_NAME, R_SCOPE, R_MATCH, R_METRIC, R_WINDOW, R_ABOVE, R_CLEAR, R_MIN, R_FOR, R_REPEAT,
       R_SEVERITY, R_DIMENSION, R_CATEGORY };
#define NODE_FIELD(key, member, flags) \
  {key, CFG_T_NODE, offsetof(struct rule_raw, member), 0, flags, 0, 0}
static const struct cfg_field rule_fields[] = {
  [R_NAME] = NODE_FIELD("name", name, CFG_REQUIRED),
  [R_SCOPE] = NODE_FIELD("scope", scope, CFG_REQUIRED),
  [R_MATCH] = NODE_FIELD("match", match, 0),
  [R_METRIC] = NODE_FIELD("metric", metric, 0),
  [R_WINDOW] = NODE_FIELD("window", window, CFG_REQUIRED),
  [R_ABOVE] = NODE_FIELD("above", above, CFG_REQUIRED),
  [R_CLEAR] = NODE_FIELD("clear_below", clear_below, 0),
  [R_MIN] = NODE_FIELD("min_requests", min_requests, 0),
  [R_FOR] = {"for", CFG_T_DURATION, offsetof(struct rule_raw, spec.for_ms), 0, 0, 0, DAY_MS},
  [R_REPEAT] = {"repeat", CFG_T_DURATION, offsetof(struct rule_raw, spec.repeat_ms), 0, 0, 0,
                WINDOW_MAX},
  [R_SEVERITY] = NODE_FIELD("severity", severity, 0),
  [R_DIMENSION] = NODE_FIELD("dimension", dimension, 0),
  [R_CATEGORY] = NODE_FIELD("category", category, 0),
};

static char *join_windows(const struct rcw_config *cfg)
{
  char *s = NULL, buf[32];
  size_t len = 0;
  FILE *f = open_memstream(&s, &len);
  if (!f)
    return NULL;
  for (size_t i = 0; i < cfg->nwindows; i++) {
    rcw_format_duration(cfg->windows_ms[i], buf, sizeof(buf));
    fprintf(f, "%s%s", i ? ", " : "", buf);
  }
  if (fclose(f) != 0) {
    free(s);
    return NULL;
  }
  return s;
}

static void read_rule_window(struct cfg_loader *l, const struct cfg_node *n,
                             const struct cfg_path *p, int64_t *out)
{
  if (!cfg_read_duration(&l->ctx, n, p, 0, INT64_MAX, out) || l->windows_bad)
    return;
  for (size_t i = 0; i < l->cfg->nwindows; i++)
    if (l->cfg->windows_ms[i] == *out)
      return;
  char *known = join_windows(l->cfg);
  if (!known)
    l->ctx.oom = true;
  else
    cfg_error(&l->ctx, n, p, "%s is not a configured window (%s)", n->text, known);
  free(known);
}

static bool read_threshold(struct cfg_loader *l, const struct cfg_node *n,
                           const struct cfg_path *p, int metric, double *out)
{
  if (!cfg_is_string(&l->ctx, n, p))
    return false;
  if (metric == RCW_METRIC_COUNT && strchr(n->text, '%'))
    cfg_error(&l->ctx, n, p, "a count threshold is a number of failures, not a percentage");
  else if (metric == RCW_METRIC_COUNT && rcw_parse_ratio(n->text, out) < 0)
    cfg_error(&l->ctx, n, p, "expected a number of failures, got '%s'", cfg_quote(n->text).s);
  else if (metric == RCW_METRIC_FAILURE_RATE && rcw_parse_ratio(n->text, out) < 0)
    cfg_error(&l->ctx, n, p, "expected a ratio such as 2.5%% or 0.025, got '%s'",
              cfg_quote(n->text).s);
  else if (metric == RCW_METRIC_FAILURE_RATE && *out > 1.0)
    cfg_error(&l->ctx, n, p, "%s is above 100%%, which a failure rate never reaches", n->text);
  else
    return true;
  return false;
}

static void read_thresholds(struct cfg_loader *l, struct rule_raw *r, const struct cfg_path *p)
{
  struct rcw_rule_spec *s = &r->spec;
  bool above_ok = r->above && read_threshold(l, r->above, CFG_KEY(p, "above"), s->metric,
                                             &s->above);
  s->clear_below = s->above;
  if (!r->clear_below ||
      !read_threshold(l, r->clear_below, CFG_KEY(p, "clear_below"), s->metric, &s->clear_below))
    return;
  if (above_ok && s->clear_below > s->above)
    cfg_error(&l->ctx, r->clear_below, CFG_KEY(p, "clear_below"),
              "%s is higher than above (%s): the alert would never resolve",
              r->clear_below->text, r->above->text);
}

/* --- match ------------------------------------------------------------- */

static bool check_match_item(struct cfg_loader *l, const struct cfg_node *n,
                             const struct cfg_path *p, int scope)
{
  if (scope == RCW_SCOPE_CATEGORY)
    return cfg_check_category(l, n, p);
  if (scope == RCW_SCOPE_CODE && !cfg_valid_code(n->text))
    cfg_error(&l->ctx, n, p, "'%s' is not a response code", cfg_quote(n->text).s);
  else if (scope == RCW_SCOPE_DIMENSION && n->len > DIM_VALUE_MAX)
    cfg_error(&l->ctx, n, p, "a dimension value is at most %d bytes", DIM_VALUE_MAX);
  else
    return true;
  return false;
}

static bool listed_before(char **v, size_t i)
{
  for (size_t j = 0; j < i; j++)
    if (v[j] && strcmp(v[j], v[i]) == 0)
      return true;
  return false;
}

static void check_match(struct cfg_loader *l, const struct cfg_node *n, const struct cfg_path *p,
                        struct rcw_rule_spec *s)
{
  for (size_t i = 0; i < s->nmatch; i++) {
    const struct cfg_node *item = n->kind == CFG_SEQ ? n->items[i] : n;
    const struct cfg_path *ip = n->kind == CFG_SEQ ? CFG_IDX(p, i) : p;
    if (strcmp(s->match[i], "*") == 0) {
      s->match_all = true;
      if (s->nmatch > 1)
        cfg_error(&l->ctx, item, ip, "\"*\" matches every key and cannot be combined with names");
    } else if (check_match_item(l, item, ip, (int)s->scope) && listed_before(s->match, i)) {
      cfg_error(&l->ctx, item, ip, "'%s' is listed twice", cfg_quote(s->match[i]).s);
    }
  }
}

static void read_match(struct cfg_loader *l, const struct cfg_node *n, const struct cfg_path *p,
                       struct rcw_rule_spec *s)
{
  if (!cfg_read_strs(&l->ctx, n, p, true, RCW_MAX_MATCH, &s->match, &s->nmatch))
    return;
  if (s->nmatch == 0)
    cfg_error(&l->ctx, n, p, "must name at least one key, or \"*\" for every key");
  check_match(l, n, p, s);
  if (s->match_all) {
    cfg_strv_free(s->match);
    s->match = NULL;
    s->nmatch = 0;
  }
}

/* --- scope-specific keys ------------------------------------------------- */

static void read_dimension(struct cfg_loader *l, const struct cfg_node *n,
                           const struct cfg_path *p, char **out)
{
  if (!cfg_read_str(&l->ctx, n, p, false, out) || cfg_has_dimension(l->full, *out))
    return;
  char *known = cfg_join_dimensions(l->full);
  if (!known)
    l->ctx.oom = true;
  else
    cfg_error(&l->ctx, n, p, "no parser declares a dimension '%s' (declared: %s)",
              cfg_quote(*out).s, *known ? known : "none");
  free(known);
}

static void read_category_filter(struct cfg_loader *l, const struct cfg_node *n,
                                 const struct cfg_path *p, struct rcw_rule_spec *s)
{
  if (!cfg_read_strs(&l->ctx, n, p, true, RCW_MAX_MATCH, &s->categories, &s->ncategories))
    return;
  for (size_t i = 0; i < s->ncategories; i++)
    if (n->kind == CFG_SEQ)
      cfg_check_category(l, n->items[i], CFG_IDX(p, i));
    else
      cfg_check_category(l, n, p);
}

/* A key that only another scope takes. */
static void misplaced(struct cfg_loader *l, const struct cfg_node *map, const struct cfg_path *p,
                      const char *key, const char *why, int scope)
{
  if (cfg_map_get(map, key))
    cfg_error(&l->ctx, cfg_map_get_key(map, key), CFG_KEY(p, key), "%s (scope is %s)", why,
              scopes[scope]);
}

static void read_scope_keys(struct cfg_loader *l, struct rule_raw *r, const struct cfg_node *map,
                            const struct cfg_path *p)
{
  struct rcw_rule_spec *s = &r->spec;
  int scope = (int)s->scope;
  if (scope != RCW_SCOPE_DIMENSION) {
    misplaced(l, map, p, "dimension", "only a rule with scope dimension takes a dimension",
              scope);
    misplaced(l, map, p, "category", "only a rule with scope dimension takes a category filter",
              scope);
  }
  if (scope == RCW_SCOPE_TOTAL) {
    misplaced(l, map, p, "match", "a total rule watches every request and takes no match",
              scope);
    return;
  }
  if (!r->match)
    cfg_error(&l->ctx, map, p, "missing required key 'match' for scope %s", scopes[scope]);
  else
    read_match(l, r->match, CFG_KEY(p, "match"), s);
  if (scope != RCW_SCOPE_DIMENSION)
    return;
  if (!r->dimension)
    cfg_error(&l->ctx, map, p, "missing required key 'dimension' for scope dimension");
  else
    read_dimension(l, r->dimension, CFG_KEY(p, "dimension"), &s->dimension);
  if (r->category)
    read_category_filter(l, r->category, CFG_KEY(p, "category"), s);
}

/* --- one rule ------------------------------------------------------------ */

static void read_rule_name(struct cfg_loader *l, const struct cfg_node *list, size_t i,
                           const struct rule_raw *r, const struct cfg_path *p, char **out)
{
  if (!r->name || !cfg_read_name(&l->ctx, r->name, CFG_KEY(p, "name"), out))
    return;
  const struct cfg_node *first = cfg_earlier_name(list, i, "name");
  if (first)
    cfg_error(&l->ctx, r->name, CFG_KEY(p, "name"), "duplicate rule name '%s' (first at line %d)",
              *out, first->line);
}

static void read_rule_values(struct cfg_loader *l, struct rule_raw *r, const struct cfg_path *p)
{
  struct rcw_rule_spec *s = &r->spec;
  int metric = RCW_METRIC_FAILURE_RATE, sev = -1;
  int64_t min = 20;
  bool metric_ok = !r->metric ||
                   cfg_read_enum(&l->ctx, r->metric, CFG_KEY(p, "metric"), metrics, 2, &metric);
  s->metric = (enum rcw_metric)metric;
  if (r->window)
    read_rule_window(l, r->window, CFG_KEY(p, "window"), &s->window_ms);
  if (metric_ok)
    read_thresholds(l, r, p);
  if (r->min_requests)
    cfg_read_int(&l->ctx, r->min_requests, CFG_KEY(p, "min_requests"), 0, 1000000000, &min);
  s->min_requests = min;
  if (r->severity)
    cfg_read_enum(&l->ctx, r->severity, CFG_KEY(p, "severity"), severities, 3, &sev);
  s->severity = sev;
}

static void load_rule(struct cfg_loader *l, const struct cfg_node *list, size_t i,
                      const struct cfg_path *p, struct rcw_rule_spec *out)
{
  struct rule_raw r = {0};
  const struct cfg_node *map = list->items[i];
  cfg_map_walk(&l->ctx, map, p, rule_fields, CFG_NFIELDS(rule_fields), &r);
  read_rule_name(l, list, i, &r, p, &r.spec.name);
  int scope = -1;
  if (r.scope)
    cfg_read_enum(&l->ctx, r.scope, CFG_KEY(p, "scope"), scopes, 4, &scope);
  read_rule_values(l, &r, p);
  if (scope >= 0) {
    r.spec.scope = (enum rcw_scope)scope;
    read_scope_keys(l, &r, map, p);
  }
  r.spec.loc = (struct rcw_loc){l->cfg->path, map->line, map->column};
  *out = r.spec;
}

void cfg_load_rules(struct cfg_loader *l, const struct cfg_node *n)
{
  const struct cfg_path *p = CFG_KEY(NULL, "rules");
  if (!n || n->kind == CFG_NULL || !cfg_is_list(&l->ctx, n, p, "rules"))
    return;
  if (n->nitems > RCW_MAX_RULES) {
    cfg_error(&l->ctx, n, p, "too many rules: %zu (at most %d)", n->nitems, RCW_MAX_RULES);
    return;
  }
  l->cfg->rules = cfg_alloc(&l->ctx, n->nitems, sizeof(*l->cfg->rules));
  if (!l->cfg->rules)
    return;
  l->cfg->nrules = n->nitems;
  for (size_t i = 0; i < n->nitems; i++)
    load_rule(l, n, i, CFG_IDX(p, i), &l->cfg->rules[i]);
}

void cfg_free_rules(struct rcw_config *cfg)
{
  for (size_t i = 0; i < cfg->nrules; i++) {
    struct rcw_rule_spec *s = &cfg->rules[i];
    free(s->name);
    free(s->dimension);
    cfg_strv_free(s->categories);
    cfg_strv_free(s->match);
  }
  free(cfg->rules);
}
