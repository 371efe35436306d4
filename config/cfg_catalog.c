/* The catalog section: merged into the embedded catalog, or (with
 * use_default: false) into one holding only the categories that always
 * exist. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_load.h"

#define MAX_CATEGORIES 256
#define MAX_CODES 10000
#define MAX_SUCCESS 64

static const char *const severities[] = {"info", "warning", "critical"};

struct catalog_raw {
  bool use_default;
  const struct cfg_node *success, *categories, *codes;
};
static const struct cfg_field catalog_fields[] = {
  {"use_default", CFG_T_BOOL, offsetof(struct catalog_raw, use_default), 0, 0, 0, 0},
  {"success", CFG_T_NODE, offsetof(struct catalog_raw, success), 0, 0, 0, 0},
  {"categories", CFG_T_NODE, offsetof(struct catalog_raw, categories), 0, 0, 0, 0},
  {"codes", CFG_T_NODE, offsetof(struct catalog_raw, codes), 0, 0, 0, 0},
};

bool cfg_valid_code(const char *s)
{
  size_t i = 0;
  for (; s[i]; i++)
    if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
      return false;
  return i > 0 && i <= RCW_CODE_MAX_LEN;
}

static bool check_code(struct cfg_ctx *c, const struct cfg_node *n, const struct cfg_path *p)
{
  if (cfg_valid_code(n->text))
    return true;
  cfg_error(c, n, p, "'%s' is not a response code (1 to %d letters, digits, '_' or '-')",
            cfg_quote(n->text).s, RCW_CODE_MAX_LEN);
  return false;
}

/* --- categories -------------------------------------------------------- */

struct category_raw {
  const struct cfg_node *name, *severity;
  char *description;
};
static const struct cfg_field category_fields[] = {
  {"name", CFG_T_NODE, offsetof(struct category_raw, name), 0, CFG_REQUIRED, 0, 0},
  {"description", CFG_T_STR, offsetof(struct category_raw, description), 0, CFG_EMPTY_OK, 0, 0},
  {"severity", CFG_T_NODE, offsetof(struct category_raw, severity), 0, 0, 0, 0},
};

/* A category named again keeps what the new entry leaves out. */
static void apply_category(struct cfg_loader *l, const char *name, const char *description,
                           int sev)
{
  rcw_catalog *cat = l->cfg->catalog;
  uint32_t id = rcw_catalog_category_id(cat, name);
  const struct rcw_category *old = id == RCW_ENTRY_NONE ? NULL : rcw_catalog_category(cat, id);
  const char *desc = description ? description : old ? old->description : "";
  if (sev < 0)
    sev = old ? (int)old->severity : RCW_SEV_WARNING;
  if (rcw_catalog_set_category(cat, name, desc, (enum rcw_severity)sev) < 0)
    l->ctx.oom = true;
}

static void load_category(struct cfg_loader *l, const struct cfg_node *list, size_t i,
                          const struct cfg_path *p)
{
  struct category_raw r = {0};
  char *name = NULL;
  int sev = -1;
  cfg_map_walk(&l->ctx, list->items[i], p, category_fields, CFG_NFIELDS(category_fields), &r);
  bool ok = r.name && cfg_read_name(&l->ctx, r.name, CFG_KEY(p, "name"), &name);
  if (r.severity &&
      !cfg_read_enum(&l->ctx, r.severity, CFG_KEY(p, "severity"), severities, 3, &sev))
    ok = false;
  const struct cfg_node *first = name ? cfg_earlier_name(list, i, "name") : NULL;
  if (first)
    cfg_error(&l->ctx, r.name, CFG_KEY(p, "name"),
              "duplicate category name '%s' (first at line %d)", name, first->line);
  if (ok && !first)
    apply_category(l, name, r.description, sev);
  free(name);
  free(r.description);
}

static void load_categories(struct cfg_loader *l, const struct cfg_node *n,
                            const struct cfg_path *p)
{
  if (!cfg_is_list(&l->ctx, n, p, "categories"))
    return;
  if (n->nitems > MAX_CATEGORIES) {
    cfg_error(&l->ctx, n, p, "too many categories: %zu (at most %d)", n->nitems,
              MAX_CATEGORIES);
    return;
  }
  for (size_t i = 0; i < n->nitems; i++)
    load_category(l, n, i, CFG_IDX(p, i));
}

/* --- codes ------------------------------------------------------------- */

struct code_raw {
  char *description;
  const struct cfg_node *category;
};
static const struct cfg_field code_fields[] = {
  {"description", CFG_T_STR, offsetof(struct code_raw, description), 0, CFG_EMPTY_OK, 0, 0},
  {"category", CFG_T_NODE, offsetof(struct code_raw, category), 0, CFG_REQUIRED, 0, 0},
};

static char *join_categories(const rcw_catalog *cat)
{
  char *s = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&s, &len);
  if (!f)
    return NULL;
  for (uint32_t i = 0; i < rcw_catalog_category_count(cat); i++)
    fprintf(f, "%s%s", i ? ", " : "", rcw_catalog_category(cat, i)->name);
  if (fclose(f) != 0) {
    free(s);
    return NULL;
  }
  return s;
}

bool cfg_check_category(struct cfg_loader *l, const struct cfg_node *n, const struct cfg_path *p)
{
  if (!cfg_is_string(&l->ctx, n, p))
    return false;
  if (rcw_catalog_category_id(l->cfg->catalog, n->text) != RCW_ENTRY_NONE)
    return true;
  char *known = join_categories(l->cfg->catalog);
  if (!known)
    l->ctx.oom = true;
  else
    cfg_error(&l->ctx, n, p, "unknown category '%s' (known: %s)", cfg_quote(n->text).s, known);
  free(known);
  return false;
}

/* An override that names only a new category keeps the code's text. */
static const char *known_description(const rcw_catalog *cat, const char *code)
{
  for (uint32_t i = 0; i < rcw_catalog_entry_count(cat); i++) {
    const struct rcw_entry *e = rcw_catalog_entry(cat, i);
    if (e->known && strcmp(e->code, code) == 0)
      return e->description;
  }
  return "";
}

static void load_code(struct cfg_ctx *c, const struct cfg_node *key, const struct cfg_node *val,
                      const struct cfg_path *p, void *obj)
{
  struct cfg_loader *l = obj;
  struct code_raw r = {0};
  bool ok = check_code(c, key, p->up);
  if (cfg_map_walk(c, val, p, code_fields, CFG_NFIELDS(code_fields), &r) && r.category &&
      cfg_check_category(l, r.category, CFG_KEY(p, "category")) && ok) {
    const char *desc = r.description ? r.description
                                     : known_description(l->cfg->catalog, key->text);
    if (rcw_catalog_set_code(l->cfg->catalog, key->text, r.category->text, desc) < 0)
      c->oom = true;
  }
  free(r.description);
}

static void load_codes(struct cfg_loader *l, const struct cfg_node *n, const struct cfg_path *p)
{
  if (n->kind == CFG_MAP && cfg_map_size(n) > MAX_CODES) {
    cfg_error(&l->ctx, n, p, "too many codes: %zu (at most %d)", cfg_map_size(n), MAX_CODES);
    return;
  }
  cfg_map_each(&l->ctx, n, p, load_code, l);
}

/* --- success ----------------------------------------------------------- */

static void load_success(struct cfg_loader *l, const struct cfg_node *n, const struct cfg_path *p)
{
  char **codes = NULL;
  size_t ncodes = 0;
  if (!cfg_read_strs(&l->ctx, n, p, true, MAX_SUCCESS, &codes, &ncodes))
    return;
  bool ok = ncodes > 0;
  if (!ok)
    cfg_error(&l->ctx, n, p, "must name at least one success code");
  for (size_t i = 0; i < ncodes; i++)
    ok &= check_code(&l->ctx, n->kind == CFG_SEQ ? n->items[i] : n,
                     n->kind == CFG_SEQ ? CFG_IDX(p, i) : p);
  if (ok && rcw_catalog_set_success(l->cfg->catalog, (const char *const *)codes, ncodes) < 0)
    l->ctx.oom = true;
  cfg_strv_free(codes);
}

void cfg_load_catalog(struct cfg_loader *l, const struct cfg_node *n)
{
  struct catalog_raw r = {true, NULL, NULL, NULL};
  const struct cfg_path *p = CFG_KEY(NULL, "catalog");
  if (n && n->kind != CFG_NULL)
    cfg_map_walk(&l->ctx, n, p, catalog_fields, CFG_NFIELDS(catalog_fields), &r);
  l->cfg->catalog = r.use_default ? rcw_catalog_new_default() : rcw_catalog_new_empty();
  if (!l->cfg->catalog) {
    l->ctx.oom = true;
    return;
  }
  rcw_catalog_set_max_unknown(l->cfg->catalog, l->cfg->limits.unknown_codes);
  if (r.categories && r.categories->kind != CFG_NULL)
    load_categories(l, r.categories, CFG_KEY(p, "categories"));
  if (r.codes && r.codes->kind != CFG_NULL)
    load_codes(l, r.codes, CFG_KEY(p, "codes"));
  if (r.success)
    load_success(l, r.success, CFG_KEY(p, "success"));
}

rcw_catalog *cfg_catalog_copy(struct cfg_loader *l)
{
  struct rcw_config tmp = {.path = l->cfg->path, .limits = l->cfg->limits};
  struct cfg_loader quiet = {{l->ctx.file, rcw_diags_new(), 0, false}, l->full, &tmp, false,
                             NULL, NULL};
  if (quiet.ctx.d)
    cfg_load_catalog(&quiet, l->catalog_node);
  rcw_diags_free(quiet.ctx.d);
  if (!tmp.catalog)
    l->ctx.oom = true;
  return tmp.catalog;
}
