#include "cfg_check.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static void path_print(FILE *f, const struct cfg_path *p)
{
  if (!p)
    return;
  path_print(f, p->up);
  if (p->key)
    fprintf(f, "%s%s", p->up ? "." : "", p->key);
  else
    fprintf(f, "[%zu]", p->index);
}

static char *path_format(const struct cfg_path *p)
{
  char *s = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&s, &len);
  if (!f)
    return NULL;
  path_print(f, p);
  if (fclose(f) != 0) {
    free(s);
    return NULL;
  }
  return s;
}

void cfg_error(struct cfg_ctx *c, const struct cfg_node *at, const struct cfg_path *p,
               const char *fmt, ...)
{
  char *msg = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&msg, fmt, ap);
  va_end(ap);
  char *path = path_format(p);
  int line = at ? at->line : 0, col = at ? at->column : 0;
  c->errors++;
  if (n < 0 || !path)
    c->oom = true;
  else if (*path)
    rcw_diags_add(c->d, c->file, line, col, "%s: %s", path, msg);
  else
    rcw_diags_add(c->d, c->file, line, col, "%s", msg);
  if (n >= 0)
    free(msg);
  free(path);
}

void *cfg_alloc(struct cfg_ctx *c, size_t n, size_t size)
{
  void *p = calloc(n ? n : 1, size);
  if (!p)
    c->oom = true;
  return p;
}

char *cfg_strdup(struct cfg_ctx *c, const char *s)
{
  char *p = strdup(s);
  if (!p)
    c->oom = true;
  return p;
}

struct cfg_quoted cfg_quote(const char *s)
{
  struct cfg_quoted q;
  size_t o = 0, i = 0;
  for (; s[i] && i < CFG_QUOTE_MAX; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '\n')
      o += (size_t)snprintf(q.s + o, sizeof(q.s) - o, "\\n");
    else if (ch < 0x20 || ch == 0x7f)
      o += (size_t)snprintf(q.s + o, sizeof(q.s) - o, "\\x%02x", ch);
    else
      q.s[o++] = (char)ch;
  }
  snprintf(q.s + o, sizeof(q.s) - o, "%s", s[i] ? "..." : "");
  return q;
}

const char *cfg_kind_name(const struct cfg_node *n)
{
  if (!n || n->kind == CFG_NULL)
    return "nothing";
  if (n->kind == CFG_MAP)
    return "a mapping";
  return n->kind == CFG_SEQ ? "a list" : "a string";
}

bool cfg_is_map(struct cfg_ctx *c, const struct cfg_node *n, const struct cfg_path *p)
{
  if (n && n->kind == CFG_MAP)
    return true;
  cfg_error(c, n, p, "expected a mapping, got %s", cfg_kind_name(n));
  return false;
}

bool cfg_is_list(struct cfg_ctx *c, const struct cfg_node *n, const struct cfg_path *p,
                 const char *of_what)
{
  if (n && n->kind == CFG_SEQ)
    return true;
  cfg_error(c, n, p, "expected a list of %s, got %s", of_what, cfg_kind_name(n));
  return false;
}

bool cfg_is_string(struct cfg_ctx *c, const struct cfg_node *n, const struct cfg_path *p)
{
  if (n && n->kind == CFG_SCALAR)
    return true;
  cfg_error(c, n, p, "expected a string, got %s", cfg_kind_name(n));
  return false;
}

bool cfg_read_str(struct cfg_ctx *c, const struct cfg_node *n, const struct cfg_path *p,
                  bool empty_ok, char **out)
{
  if (!cfg_is_string(c, n, p))
    return false;
  if (!empty_ok && n->len == 0) {
    cfg_error(c, n, p, "must not be empty");
    return false;
  }
  char *s = cfg_strdup(c, n->text);
  if (!s)
    return false;
  free(*out);
  *out = s;
  return true;
}

void cfg_strv_free(char **v)
{
  for (size_t i = 0; v && v[i]; i++)
    free(v[i]);
  free(v);
}

static bool read_list_items(struct cfg_ctx *c, const struct cfg_node *n,
                            const struct cfg_path *p, char **v)
{
  bool ok = true;
  for (size_t i = 0; i < n->nitems; i++)
    ok &= cfg_read_str(c, n->items[i], CFG_IDX(p, i), false, &v[i]);
  return ok;
}

bool cfg_read_strs(struct cfg_ctx *c, const struct cfg_node *n, const struct cfg_path *p,
                   bool one_ok, size_t max, char ***out, size_t *nout)
{
  bool one = one_ok && n && n->kind == CFG_SCALAR;
  if (!one && !cfg_is_list(c, n, p, "strings"))
    return false;
  size_t count = one ? 1 : n->nitems;
  if (count > max) {
    cfg_error(c, n, p, "too many entries: %zu (at most %zu)", count, max);
    return false;
  }
  char **v = cfg_alloc(c, count + 1, sizeof(*v));
  if (!v)
    return false;
  bool ok = one ? cfg_read_str(c, n, p, false, &v[0]) : read_list_items(c, n, p, v);
  if (!ok) {
    /* A bad item leaves a NULL hole, so free by count, not up to NULL. */
    for (size_t i = 0; i < count; i++)
      free(v[i]);
    free(v);
    return false;
  }
  cfg_strv_free(*out);
  *out = v;
  *nout = count;
  return true;
}

bool cfg_read_bool(struct cfg_ctx *c, const struct cfg_node *n, const struct cfg_path *p,
                   bool *out)
{
  if (!cfg_is_string(c, n, p))
    return false;
  if (strcasecmp(n->text, "true") == 0 || strcasecmp(n->text, "false") == 0) {
    *out = strcasecmp(n->text, "true") == 0;
    return true;
  }
  cfg_error(c, n, p, "expected true or false, got '%s'", cfg_quote(n->text).s);
  return false;
}

bool cfg_read_duration(struct cfg_ctx *c, const struct cfg_node *n, const struct cfg_path *p,
                       int64_t min_ms, int64_t max_ms, int64_t *out)
{
  int64_t v;
  if (!cfg_is_string(c, n, p))
    return false;
  if (rcw_parse_duration(n->text, &v) < 0) {
    cfg_error(c, n, p, "expected a duration such as 250ms, 30s, 5m, 2h or 1d, got '%s'",
              cfg_quote(n->text).s);
    return false;
  }
  char lim[32];
  if (v < min_ms || v > max_ms) {
    rcw_format_duration(v < min_ms ? min_ms : max_ms, lim, sizeof(lim));
    if (v < min_ms && min_ms == 1)
      cfg_error(c, n, p, "expected a duration greater than 0, got '%s'", cfg_quote(n->text).s);
    else
      cfg_error(c, n, p, "%s is %s than %s", cfg_quote(n->text).s,
                v < min_ms ? "shorter" : "longer", lim);
    return false;
  }
  *out = v;
  return true;
}

static bool parse_int(const char *s, int64_t *out)
{
  const char *p = s + (*s == '-');
  int64_t v = 0;
  if (!isdigit((unsigned char)*p))
    return false;
  for (; isdigit((unsigned char)*p); p++) {
    if (v > (INT64_MAX - (*p - '0')) / 10)
      return false;
    v = v * 10 + (*p - '0');
  }
  *out = *s == '-' ? -v : v;
  return *p == '\0';
}

bool cfg_read_int(struct cfg_ctx *c, const struct cfg_node *n, const struct cfg_path *p,
                  int64_t min, int64_t max, int64_t *out)
{
  int64_t v;
  if (!cfg_is_string(c, n, p))
    return false;
  if (parse_int(n->text, &v) && v >= min && v <= max) {
    *out = v;
    return true;
  }
  if (max == INT64_MAX)
    cfg_error(c, n, p, "expected an integer of at least %lld, got '%s'", (long long)min,
              cfg_quote(n->text).s);
  else
    cfg_error(c, n, p, "expected an integer from %lld to %lld, got '%s'", (long long)min,
              (long long)max, cfg_quote(n->text).s);
  return false;
}

/* "a, b or c" */
static char *alternatives(const char *const *names, size_t n)
{
  char *s = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&s, &len);
  if (!f)
    return NULL;
  for (size_t i = 0; i < n; i++)
    fprintf(f, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
  if (fclose(f) != 0) {
    free(s);
    return NULL;
  }
  return s;
}

bool cfg_read_enum(struct cfg_ctx *c, const struct cfg_node *n, const struct cfg_path *p,
                   const char *const *names, size_t nnames, int *out)
{
  if (!cfg_is_string(c, n, p))
    return false;
  for (size_t i = 0; i < nnames; i++)
    if (strcmp(n->text, names[i]) == 0) {
      *out = (int)i;
      return true;
    }
  char *alts = alternatives(names, nnames);
  if (!alts)
    c->oom = true;
  else
    cfg_error(c, n, p, "expected %s, got '%s'", alts, cfg_quote(n->text).s);
  free(alts);
  return false;
}

bool cfg_valid_name(const char *s)
{
  size_t i = 0;
  for (; s[i]; i++)
    if (!isalnum((unsigned char)s[i]) && !strchr("_-.", s[i]))
      return false;
  return i > 0 && i <= CFG_NAME_MAX;
}

bool cfg_read_name(struct cfg_ctx *c, const struct cfg_node *n, const struct cfg_path *p,
                   char **out)
{
  if (!cfg_read_str(c, n, p, false, out))
    return false;
  if (cfg_valid_name(*out))
    return true;
  cfg_error(c, n, p, "'%s' is not a valid name (letters, digits, '_', '-' and '.', "
            "at most %d characters)", cfg_quote(n->text).s, CFG_NAME_MAX);
  free(*out);
  *out = NULL;
  return false;
}

const struct cfg_node *cfg_earlier_name(const struct cfg_node *list, size_t i, const char *key)
{
  const struct cfg_node *mine = cfg_map_get(list->items[i], key);
  for (size_t j = 0; mine && mine->kind == CFG_SCALAR && j < i; j++) {
    const struct cfg_node *other = cfg_map_get(list->items[j], key);
    if (other && other->kind == CFG_SCALAR && strcmp(other->text, mine->text) == 0)
      return other;
  }
  return NULL;
}

struct key_ref {
  const char *text;
  size_t index;
};

static int key_ref_cmp(const void *a, const void *b)
{
  const struct key_ref *x = a, *y = b;
  int r = strcmp(x->text, y->text);
  return r ? r : (x->index > y->index) - (x->index < y->index);
}

/* Sorting finds repeated keys in n log n: a generated catalog may hold
 * thousands of codes, too many to compare pairwise. */
static void mark_repeats(struct cfg_ctx *c, const struct cfg_node *map,
                         const struct cfg_path *p, struct key_ref *refs, size_t n, bool *skip)
{
  qsort(refs, n, sizeof(*refs), key_ref_cmp);
  size_t first = 0;
  for (size_t i = 1; i < n; i++) {
    if (strcmp(refs[i].text, refs[first].text) != 0) {
      first = i;
      continue;
    }
    const struct cfg_node *k = cfg_map_key(map, refs[i].index);
    cfg_error(c, k, p, "duplicate key '%s' (first at line %d)", cfg_quote(k->text).s,
              cfg_map_key(map, refs[first].index)->line);
    skip[refs[i].index] = true;
  }
}

static bool *find_skipped_keys(struct cfg_ctx *c, const struct cfg_node *map,
                               const struct cfg_path *p)
{
  size_t n = cfg_map_size(map), nrefs = 0;
  bool *skip = cfg_alloc(c, n, sizeof(*skip));
  struct key_ref *refs = cfg_alloc(c, n, sizeof(*refs));
  if (!skip || !refs) {
    free(refs);
    free(skip);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    const struct cfg_node *k = cfg_map_key(map, i);
    if (k->kind == CFG_SCALAR) {
      refs[nrefs++] = (struct key_ref){k->text, i};
      continue;
    }
    cfg_error(c, k, p, "expected a string as key, got %s", cfg_kind_name(k));
    skip[i] = true;
  }
  mark_repeats(c, map, p, refs, nrefs, skip);
  free(refs);
  return skip;
}

bool cfg_map_each(struct cfg_ctx *c, const struct cfg_node *map, const struct cfg_path *p,
                  cfg_pair_fn fn, void *obj)
{
  if (!cfg_is_map(c, map, p))
    return false;
  bool *skip = find_skipped_keys(c, map, p);
  if (!skip)
    return false;
  for (size_t i = 0; i < cfg_map_size(map); i++) {
    const struct cfg_node *k = cfg_map_key(map, i);
    if (!skip[i])
      fn(c, k, cfg_map_value(map, i), CFG_KEY(p, k->text), obj);
  }
  free(skip);
  return true;
}

struct walk {
  const struct cfg_field *fields;
  size_t nfields;
  char *obj;
  uint64_t seen;
};

static void read_field(struct cfg_ctx *c, const struct cfg_field *f, const struct cfg_node *v,
                       const struct cfg_path *p, char *obj)
{
  int64_t i64;
  switch (f->type) {
  case CFG_T_STR:
    cfg_read_str(c, v, p, f->flags & CFG_EMPTY_OK, (char **)(obj + f->off));
    break;
  case CFG_T_STRS:
    cfg_read_strs(c, v, p, f->flags & CFG_ONE_OK, (size_t)f->max, (char ***)(obj + f->off),
                  (size_t *)(obj + f->off_n));
    break;
  case CFG_T_BOOL:
    cfg_read_bool(c, v, p, (bool *)(obj + f->off));
    break;
  case CFG_T_DURATION:
    cfg_read_duration(c, v, p, f->min, f->max, (int64_t *)(obj + f->off));
    break;
  case CFG_T_SIZE:
    if (cfg_read_int(c, v, p, f->min, f->max, &i64))
      *(size_t *)(obj + f->off) = (size_t)i64;
    break;
  case CFG_T_NODE:
    *(const struct cfg_node **)(obj + f->off) = v;
    break;
  }
}

static void unknown_key(struct cfg_ctx *c, const struct cfg_node *key, const struct cfg_path *p,
                        const struct walk *w)
{
  const char **names = cfg_alloc(c, w->nfields, sizeof(*names));
  char *alts = NULL;
  if (names) {
    for (size_t i = 0; i < w->nfields; i++)
      names[i] = w->fields[i].key;
    alts = alternatives(names, w->nfields);
  }
  if (!alts)
    c->oom = true;
  else
    cfg_error(c, key, p, "unknown %skey '%s' (expected %s)", p ? "" : "top-level ",
              cfg_quote(key->text).s, alts);
  free(alts);
  free(names);
}

static void walk_pair(struct cfg_ctx *c, const struct cfg_node *key, const struct cfg_node *val,
                      const struct cfg_path *p, void *obj)
{
  struct walk *w = obj;
  for (size_t i = 0; i < w->nfields; i++)
    if (strcmp(key->text, w->fields[i].key) == 0) {
      w->seen |= UINT64_C(1) << i;
      read_field(c, &w->fields[i], val, p, w->obj);
      return;
    }
  unknown_key(c, key, p->up, w);
}

uint64_t cfg_map_walk(struct cfg_ctx *c, const struct cfg_node *map, const struct cfg_path *p,
                      const struct cfg_field *fields, size_t nfields, void *obj)
{
  struct walk w = {fields, nfields, obj, 0};
  if (!cfg_map_each(c, map, p, walk_pair, &w))
    return 0;
  for (size_t i = 0; i < nfields; i++)
    if ((fields[i].flags & CFG_REQUIRED) && !(w.seen & (UINT64_C(1) << i)))
      cfg_error(c, map, p, "missing required key '%s'", fields[i].key);
  return w.seen;
}
