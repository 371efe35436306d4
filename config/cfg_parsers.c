/* The parsers section: specs read from YAML, compiled, their tests run;
 * then the built-in parsers the config does not override. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_load.h"

#define MAX_TESTS 256
#define GROUP_NAME_MAX 32 /* PCRE2's limit on a group name */

static const char *const reserved_groups[] = {"code", "status", "desc", "ts"};
#define NRESERVED (sizeof(reserved_groups) / sizeof(reserved_groups[0]))

struct parser_raw {
  struct rcw_parser_spec *spec;
  const struct cfg_node *name, *patterns, *fields, *time_format, *dimensions, *tests;
};
static const struct cfg_field parser_fields[] = {
  {"name", CFG_T_NODE, offsetof(struct parser_raw, name), 0, CFG_REQUIRED, 0, 0},
  {"patterns", CFG_T_NODE, offsetof(struct parser_raw, patterns), 0, CFG_REQUIRED, 0, 0},
  {"fields", CFG_T_NODE, offsetof(struct parser_raw, fields), 0, 0, 0, 0},
  {"time_format", CFG_T_NODE, offsetof(struct parser_raw, time_format), 0, 0, 0, 0},
  {"dimensions", CFG_T_NODE, offsetof(struct parser_raw, dimensions), 0, 0, 0, 0},
  {"tests", CFG_T_NODE, offsetof(struct parser_raw, tests), 0, 0, 0, 0},
};

static struct rcw_loc loc_of(const struct cfg_loader *l, const struct cfg_node *n)
{
  return (struct rcw_loc){l->cfg->path, n->line, n->column};
}

/* Where the text of a scalar begins: after the quote of a quoted one, so
 * that a regex error's offset added to the column lands on the culprit. */
static struct rcw_loc content_loc(const struct cfg_loader *l, const struct cfg_node *n)
{
  struct rcw_loc loc = loc_of(l, n);
  if (n->quoted)
    loc.column++;
  return loc;
}

static bool is_reserved(const char *s)
{
  for (size_t i = 0; i < NRESERVED; i++)
    if (strcmp(s, reserved_groups[i]) == 0)
      return true;
  return false;
}

static bool valid_group_name(const char *s)
{
  if (!isalpha((unsigned char)s[0]) && s[0] != '_')
    return false;
  size_t i = 1;
  for (; s[i]; i++)
    if (!isalnum((unsigned char)s[i]) && s[i] != '_')
      return false;
  return i <= GROUP_NAME_MAX;
}

/* --- patterns ---------------------------------------------------------- */

static void read_patterns(struct cfg_loader *l, const struct cfg_node *n,
                          const struct cfg_path *p, struct rcw_parser_spec *s)
{
  bool one = n->kind == CFG_SCALAR;
  if (!one && !cfg_is_list(&l->ctx, n, p, "patterns"))
    return;
  size_t count = one ? 1 : n->nitems;
  if (count == 0 || count > RCW_MAX_PATTERNS) {
    cfg_error(&l->ctx, n, p, "expected 1 to %d patterns, got %zu", RCW_MAX_PATTERNS, count);
    return;
  }
  s->patterns = cfg_alloc(&l->ctx, count, sizeof(*s->patterns));
  if (!s->patterns)
    return;
  s->npatterns = count;
  for (size_t i = 0; i < count; i++) {
    const struct cfg_node *item = one ? n : n->items[i];
    cfg_read_str(&l->ctx, item, one ? p : CFG_IDX(p, i), false, &s->patterns[i].regex);
    s->patterns[i].loc = content_loc(l, item);
  }
}

/* --- dimensions -------------------------------------------------------- */

static bool check_dimension(struct cfg_loader *l, const struct cfg_node *n,
                            const struct cfg_path *p)
{
  if (!valid_group_name(n->text))
    cfg_error(&l->ctx, n, p, "'%s' is not a regex group name (a letter or '_', then letters, "
              "digits or '_', at most %d)", cfg_quote(n->text).s, GROUP_NAME_MAX);
  else if (is_reserved(n->text))
    cfg_error(&l->ctx, n, p, "'%s' is a field rcwatch reads itself, not a dimension", n->text);
  else
    return true;
  return false;
}

static void read_dimensions(struct cfg_loader *l, const struct cfg_node *n,
                            const struct cfg_path *p, struct rcw_parser_spec *s)
{
  if (!cfg_read_strs(&l->ctx, n, p, true, RCW_MAX_DIMENSIONS, &s->dimensions, &s->ndimensions))
    return;
  for (size_t i = 0; i < s->ndimensions; i++) {
    const struct cfg_node *item = n->kind == CFG_SEQ ? n->items[i] : n;
    const struct cfg_path *ip = n->kind == CFG_SEQ ? CFG_IDX(p, i) : p;
    if (!check_dimension(l, item, ip))
      continue;
    for (size_t j = 0; j < i; j++)
      if (strcmp(s->dimensions[j], s->dimensions[i]) == 0) {
        cfg_error(&l->ctx, item, ip, "dimension '%s' is listed twice", s->dimensions[i]);
        break;
      }
  }
}

/* --- fields ------------------------------------------------------------ */

struct fields_ctx {
  struct cfg_loader *l;
  struct rcw_parser_spec *spec;
};

static bool is_dimension(const struct rcw_parser_spec *s, const char *name)
{
  for (size_t i = 0; i < s->ndimensions; i++)
    if (strcmp(s->dimensions[i], name) == 0)
      return true;
  return false;
}

static void read_field(struct cfg_ctx *c, const struct cfg_node *key, const struct cfg_node *val,
                       const struct cfg_path *p, void *obj)
{
  struct fields_ctx *fc = obj;
  struct rcw_parser_spec *s = fc->spec;
  if (!is_reserved(key->text) && !is_dimension(s, key->text)) {
    cfg_error(c, key, p->up, "'%s' is not a field rcwatch reads (code, status, desc, ts or a "
              "listed dimension)", cfg_quote(key->text).s);
    return;
  }
  struct rcw_field_spec *f = &s->fields[s->nfields];
  if (!cfg_read_str(c, val, p, false, &f->regex))
    return;
  f->name = cfg_strdup(c, key->text);
  f->loc = content_loc(fc->l, val);
  s->nfields++;
}

static void read_fields(struct cfg_loader *l, const struct cfg_node *n, const struct cfg_path *p,
                        struct rcw_parser_spec *s)
{
  struct fields_ctx fc = {l, s};
  size_t max = NRESERVED + RCW_MAX_DIMENSIONS;
  if (n->kind == CFG_MAP && cfg_map_size(n) > max) {
    cfg_error(&l->ctx, n, p, "too many fields: %zu (at most %zu)", cfg_map_size(n), max);
    return;
  }
  s->fields = cfg_alloc(&l->ctx, max, sizeof(*s->fields));
  if (s->fields)
    cfg_map_each(&l->ctx, n, p, read_field, &fc);
}

/* --- time_format --------------------------------------------------------- */

static void read_time_format(struct cfg_loader *l, const struct cfg_node *n,
                             const struct cfg_path *p, struct rcw_parser_spec *s)
{
  char err[256] = "";
  struct rcw_timefmt tf;
  if (!cfg_read_str(&l->ctx, n, p, false, &s->time_format))
    return;
  if (rcw_timefmt_init(&tf, s->time_format, err, sizeof(err)) < 0) {
    cfg_error(&l->ctx, n, p, "%s", err[0] ? err : "not a time format");
    return;
  }
  rcw_timefmt_destroy(&tf);
}

/* --- tests --------------------------------------------------------------- */

struct test_raw {
  struct rcw_parser_test t;
  const struct cfg_node *category;
};
static const struct cfg_field test_fields[] = {
  {"line", CFG_T_STR, offsetof(struct test_raw, t.line), 0, CFG_REQUIRED | CFG_EMPTY_OK, 0, 0},
  {"code", CFG_T_STR, offsetof(struct test_raw, t.code), 0, 0, 0, 0},
  {"status", CFG_T_STR, offsetof(struct test_raw, t.status), 0, 0, 0, 0},
  {"category", CFG_T_NODE, offsetof(struct test_raw, category), 0, 0, 0, 0},
  {"matched", CFG_T_BOOL, offsetof(struct test_raw, t.matched), 0, 0, 0, 0},
};

static void read_test(struct cfg_loader *l, const struct cfg_node *n, const struct cfg_path *p,
                      struct rcw_parser_test *out)
{
  struct test_raw r = {.t = {.matched = true}};
  cfg_map_walk(&l->ctx, n, p, test_fields, CFG_NFIELDS(test_fields), &r);
  if (r.category && l->cfg->catalog &&
      cfg_check_category(l, r.category, CFG_KEY(p, "category")))
    r.t.category = cfg_strdup(&l->ctx, r.category->text);
  r.t.loc = loc_of(l, n);
  *out = r.t;
}

static void read_tests(struct cfg_loader *l, const struct cfg_node *n, const struct cfg_path *p,
                       struct rcw_parser_spec *s)
{
  if (!cfg_is_list(&l->ctx, n, p, "tests"))
    return;
  if (n->nitems > MAX_TESTS) {
    cfg_error(&l->ctx, n, p, "too many tests: %zu (at most %d)", n->nitems, MAX_TESTS);
    return;
  }
  s->tests = cfg_alloc(&l->ctx, n->nitems, sizeof(*s->tests));
  if (!s->tests)
    return;
  s->ntests = n->nitems;
  for (size_t i = 0; i < n->nitems; i++)
    read_test(l, n->items[i], CFG_IDX(p, i), &s->tests[i]);
}

/* --- one parser ---------------------------------------------------------- */

/* Everything but the tests: what compiling needs. */
static void read_parser_keys(struct cfg_loader *l, const struct parser_raw *r,
                             const struct cfg_path *p)
{
  struct rcw_parser_spec *s = r->spec;
  if (r->patterns)
    read_patterns(l, r->patterns, CFG_KEY(p, "patterns"), s);
  if (r->dimensions)
    read_dimensions(l, r->dimensions, CFG_KEY(p, "dimensions"), s);
  if (r->fields)
    read_fields(l, r->fields, CFG_KEY(p, "fields"), s);
  if (r->time_format)
    read_time_format(l, r->time_format, CFG_KEY(p, "time_format"), s);
}

static void add_compiled(struct cfg_full *full, rcw_parser *parser,
                         const struct rcw_parser_spec *spec)
{
  full->parsers[full->nparsers] = parser;
  full->specs[full->nparsers++] = spec;
}

/* Compiled only when the spec itself is sound, so a typo in a key does
 * not also produce a pattern error; tests run only when they are all
 * well-formed, but a bad test does not hide the pattern errors. */
static void compile(struct cfg_loader *l, const struct rcw_parser_spec *s, bool run_tests)
{
  rcw_parser *parser = rcw_parser_compile(s, l->ctx.d);
  if (!parser) {
    l->ctx.errors++;
    return;
  }
  add_compiled(l->full, parser, s);
  if (!run_tests || s->ntests == 0)
    return;
  if (!l->test_catalog && !(l->test_catalog = cfg_catalog_copy(l)))
    return;
  l->ctx.errors += (size_t)rcw_parser_run_tests(parser, s, l->test_catalog, l->ctx.d);
}

static void load_parser(struct cfg_loader *l, const struct cfg_node *list, size_t i,
                        const struct cfg_path *p)
{
  struct rcw_parser_spec *s = &l->cfg->parser_specs[i];
  struct parser_raw r = {.spec = s};
  size_t errors = l->ctx.errors;
  s->index = i;
  const struct cfg_node *map = list->items[i];
  cfg_map_walk(&l->ctx, map, p, parser_fields, CFG_NFIELDS(parser_fields), &r);
  s->loc = loc_of(l, map);
  if (r.name && cfg_read_name(&l->ctx, r.name, CFG_KEY(p, "name"), &s->name)) {
    const struct cfg_node *first = cfg_earlier_name(list, i, "name");
    if (first)
      cfg_error(&l->ctx, r.name, CFG_KEY(p, "name"),
                "duplicate parser name '%s' (first at line %d)", s->name, first->line);
  }
  read_parser_keys(l, &r, p);
  bool spec_ok = l->ctx.errors == errors;
  if (r.tests)
    read_tests(l, r.tests, CFG_KEY(p, "tests"), s);
  if (spec_ok && !l->ctx.oom)
    compile(l, s, l->ctx.errors == errors);
}

static bool overridden(const struct rcw_config *cfg, const char *name)
{
  for (size_t i = 0; i < cfg->nparser_specs; i++)
    if (cfg->parser_specs[i].name && strcmp(cfg->parser_specs[i].name, name) == 0)
      return true;
  return false;
}

static void load_builtins(struct cfg_loader *l)
{
  for (size_t i = 0; i < rcw_builtin_parser_count(); i++) {
    const struct rcw_parser_spec *s = rcw_builtin_parser(i);
    if (overridden(l->cfg, s->name))
      continue;
    rcw_parser *parser = rcw_parser_compile(s, l->ctx.d);
    if (parser)
      add_compiled(l->full, parser, s);
    else
      l->ctx.errors++;
  }
}

static size_t count_parsers(struct cfg_loader *l, const struct cfg_node *n,
                            const struct cfg_path *p)
{
  if (!n || n->kind == CFG_NULL || !cfg_is_list(&l->ctx, n, p, "parsers"))
    return 0;
  if (n->nitems <= RCW_MAX_PARSERS)
    return n->nitems;
  cfg_error(&l->ctx, n, p, "too many parsers: %zu (at most %d)", n->nitems, RCW_MAX_PARSERS);
  return 0;
}

void cfg_load_parsers(struct cfg_loader *l, const struct cfg_node *n)
{
  const struct cfg_path *p = CFG_KEY(NULL, "parsers");
  size_t count = count_parsers(l, n, p);
  size_t total = count + rcw_builtin_parser_count();
  l->cfg->parser_specs = cfg_alloc(&l->ctx, count, sizeof(*l->cfg->parser_specs));
  l->full->parsers = cfg_alloc(&l->ctx, total, sizeof(*l->full->parsers));
  l->full->specs = cfg_alloc(&l->ctx, total, sizeof(*l->full->specs));
  if (!l->cfg->parser_specs || !l->full->parsers || !l->full->specs)
    return;
  l->cfg->nparser_specs = count;
  for (size_t i = 0; i < count; i++)
    load_parser(l, n, i, CFG_IDX(p, i));
  load_builtins(l);
}

/* --- lookups ------------------------------------------------------------- */

bool cfg_has_parser(const struct cfg_full *full, const char *name)
{
  return overridden(&full->pub, name) || rcw_builtin_parser_find(name) != NULL;
}

/* Each spec in force: the config's own, then the built-ins not overridden. */
static const struct rcw_parser_spec *spec_in_force(const struct rcw_config *cfg, size_t i)
{
  if (i < cfg->nparser_specs)
    return &cfg->parser_specs[i];
  i -= cfg->nparser_specs;
  const struct rcw_parser_spec *s = i < rcw_builtin_parser_count() ? rcw_builtin_parser(i) : NULL;
  return s && overridden(cfg, s->name) ? NULL : s;
}

static size_t spec_slots(const struct rcw_config *cfg)
{
  return cfg->nparser_specs + rcw_builtin_parser_count();
}

static bool named_before(const struct rcw_config *cfg, size_t upto, size_t j, const char *name)
{
  for (size_t i = 0; i <= upto; i++) {
    const struct rcw_parser_spec *s = spec_in_force(cfg, i);
    for (size_t k = 0; s && s->name && k < (i == upto ? j : s->ndimensions); k++)
      if (strcmp(s->dimensions[k], name) == 0)
        return true;
  }
  return false;
}

/* Names for a message; several parsers may declare one dimension, and it
 * is listed once. */
static char *join_specs(const struct rcw_config *cfg, bool dimensions)
{
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  if (!f)
    return NULL;
  const char *sep = "";
  for (size_t i = 0; i < spec_slots(cfg); i++) {
    const struct rcw_parser_spec *s = spec_in_force(cfg, i);
    if (!s || !s->name)
      continue;
    for (size_t k = 0; dimensions && k < s->ndimensions; k++)
      if (!named_before(cfg, i, k, s->dimensions[k])) {
        fprintf(f, "%s%s", sep, s->dimensions[k]);
        sep = ", ";
      }
    if (!dimensions) {
      fprintf(f, "%s%s", sep, s->name);
      sep = ", ";
    }
  }
  if (fclose(f) != 0) {
    free(out);
    return NULL;
  }
  return out;
}

/* Looks at the specs, not the compiled parsers, so a parser that failed
 * to compile does not also make every rule on its dimensions an error. */
bool cfg_has_dimension(const struct cfg_full *full, const char *name)
{
  for (size_t i = 0; i < spec_slots(&full->pub); i++) {
    const struct rcw_parser_spec *s = spec_in_force(&full->pub, i);
    if (s && s->name && is_dimension(s, name))
      return true;
  }
  return false;
}

char *cfg_join_parser_names(const struct cfg_full *full)
{
  return join_specs(&full->pub, false);
}

char *cfg_join_dimensions(const struct cfg_full *full)
{
  return join_specs(&full->pub, true);
}

static void free_spec(struct rcw_parser_spec *s)
{
  free(s->name);
  for (size_t i = 0; i < s->npatterns; i++)
    free(s->patterns[i].regex);
  free(s->patterns);
  for (size_t i = 0; i < s->nfields; i++) {
    free(s->fields[i].name);
    free(s->fields[i].regex);
  }
  free(s->fields);
  free(s->time_format);
  cfg_strv_free(s->dimensions);
  for (size_t i = 0; i < s->ntests; i++) {
    free(s->tests[i].line);
    free(s->tests[i].code);
    free(s->tests[i].status);
    free(s->tests[i].category);
  }
  free(s->tests);
}

void cfg_free_parsers(struct cfg_full *full)
{
  for (size_t i = 0; i < full->nparsers; i++)
    rcw_parser_free(full->parsers[i]);
  free(full->parsers);
  free(full->specs);
  for (size_t i = 0; i < full->pub.nparser_specs; i++)
    free_spec(&full->pub.parser_specs[i]);
  free(full->pub.parser_specs);
}
