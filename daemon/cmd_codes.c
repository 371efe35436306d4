/* `rcwatch codes` — print the catalog in force: the embedded one, or the
 * embedded one merged with a config's `catalog:` section.  Operators use
 * it to check what a code means and how their config changed it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "catalog.h"
#include "cli.h"
#include "fileio.h"
#include "commands.h"
#include "json.h"

static void print_usage(FILE *out)
{
  fputs("Usage: rcwatch codes [-c FILE] [--format text|json]\n\n"
        "Print the response-code catalog in force: every code with its category\n"
        "and description, then every category with its severity.\n\n"
        "Options:\n"
        "  -c, --config FILE   merge this config's catalog over the embedded one\n"
        "      --format FMT    text (default) or json\n"
        "  -h, --help          show this help\n", out);
}

/* --- which entries to list, in which order ------------------------------ */

/* Entries a user can meet: not codes merely seen in logs, not meanings a
 * config replaced. */
static bool listed(const struct rcw_entry *e)
{
  return e->known && !e->replaced;
}

static int code_order(const void *pa, const void *pb, void *ctx)
{
  uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
  const struct rcw_entry *ea = rcw_catalog_entry(ctx, a), *eb = rcw_catalog_entry(ctx, b);
  char *enda, *endb;
  long long na = strtoll(ea->code, &enda, 10), nb = strtoll(eb->code, &endb, 10);
  bool numa = !*enda, numb = !*endb;
  if (numa != numb)
    return numa ? -1 : 1;
  if (numa && na != nb)
    return na < nb ? -1 : 1;
  int r = numa ? 0 : strcmp(ea->code, eb->code);
  return r ? r : (a > b) - (a < b); /* meanings of one code: catalog order */
}

/* The listed entry ids sorted by code; *n set.  NULL when out of memory. */
static uint32_t *sorted_entries(const rcw_catalog *c, size_t *n)
{
  size_t total = rcw_catalog_entry_count(c);
  uint32_t *ids = malloc((total ? total : 1) * sizeof(*ids));
  if (!ids)
    return NULL;
  *n = 0;
  for (uint32_t id = 0; id < total; id++)
    if (listed(rcw_catalog_entry(c, id)))
      ids[(*n)++] = id;
  qsort_r(ids, *n, sizeof(*ids), code_order, (void *)c);
  return ids;
}

/* --- JSON --------------------------------------------------------------- */

static void json_codes(struct rcw_json *j, const rcw_catalog *c, const uint32_t *ids, size_t n)
{
  rcw_json_key(j, "codes");
  rcw_json_array_begin(j);
  for (size_t i = 0; i < n; i++) {
    const struct rcw_entry *e = rcw_catalog_entry(c, ids[i]);
    rcw_json_object_begin(j);
    rcw_json_key(j, "code");
    rcw_json_string(j, e->code);
    rcw_json_key(j, "category");
    rcw_json_string(j, rcw_catalog_category(c, e->category)->name);
    rcw_json_key(j, "description");
    rcw_json_string(j, e->description);
    if (e->desc_match) { /* extension: how this meaning of the code is chosen */
      rcw_json_key(j, "desc_match");
      rcw_json_string(j, e->desc_match);
    }
    rcw_json_object_end(j);
  }
  rcw_json_array_end(j);
}

static void json_categories(struct rcw_json *j, const rcw_catalog *c)
{
  rcw_json_key(j, "categories");
  rcw_json_array_begin(j);
  for (uint32_t id = 0; id < rcw_catalog_category_count(c); id++) {
    const struct rcw_category *cat = rcw_catalog_category(c, id);
    rcw_json_object_begin(j);
    rcw_json_key(j, "name");
    rcw_json_string(j, cat->name);
    rcw_json_key(j, "description");
    rcw_json_string(j, cat->description);
    rcw_json_key(j, "severity");
    rcw_json_string(j, rcw_severity_name(cat->severity));
    rcw_json_object_end(j);
  }
  rcw_json_array_end(j);
}

static void render_json(struct rcw_buf *out, const rcw_catalog *c, const uint32_t *ids, size_t n)
{
  struct rcw_json j;
  rcw_json_init(&j, out, true);
  rcw_json_object_begin(&j);
  json_codes(&j, c, ids, n);
  json_categories(&j, c);
  rcw_json_object_end(&j);
  rcw_buf_putc(out, '\n');
}

/* --- text --------------------------------------------------------------- */

static size_t max_size(size_t a, size_t b)
{
  return a > b ? a : b;
}

static void text_codes(struct rcw_buf *out, const rcw_catalog *c, const uint32_t *ids, size_t n)
{
  size_t wcode = strlen("CODE"), wcat = strlen("CATEGORY");
  for (size_t i = 0; i < n; i++) {
    const struct rcw_entry *e = rcw_catalog_entry(c, ids[i]);
    wcode = max_size(wcode, strlen(e->code));
    wcat = max_size(wcat, strlen(rcw_catalog_category(c, e->category)->name));
  }
  rcw_buf_printf(out, "%-*s  %-*s  %s\n", (int)wcode, "CODE", (int)wcat, "CATEGORY",
                 "DESCRIPTION");
  for (size_t i = 0; i < n; i++) {
    const struct rcw_entry *e = rcw_catalog_entry(c, ids[i]);
    rcw_buf_printf(out, "%-*s  %-*s  %s", (int)wcode, e->code, (int)wcat,
                   rcw_catalog_category(c, e->category)->name, e->description);
    if (e->desc_match)
      rcw_buf_printf(out, "  [when logged with \"%s\"]", e->desc_match);
    rcw_buf_putc(out, '\n');
  }
}

static void text_categories(struct rcw_buf *out, const rcw_catalog *c)
{
  size_t wname = strlen("CATEGORY");
  for (uint32_t id = 0; id < rcw_catalog_category_count(c); id++)
    wname = max_size(wname, strlen(rcw_catalog_category(c, id)->name));
  rcw_buf_printf(out, "\n%-*s  %-8s  %s\n", (int)wname, "CATEGORY", "SEVERITY", "DESCRIPTION");
  for (uint32_t id = 0; id < rcw_catalog_category_count(c); id++) {
    const struct rcw_category *cat = rcw_catalog_category(c, id);
    rcw_buf_printf(out, "%-*s  %-8s  %s\n", (int)wname, cat->name,
                   rcw_severity_name(cat->severity), cat->description);
  }
}

/* --- the command -------------------------------------------------------- */

static int print_catalog(const rcw_catalog *c, enum rcw_format format)
{
  size_t n = 0;
  struct rcw_buf out = RCW_BUF_INIT;
  uint32_t *ids = sorted_entries(c, &n);
  if (ids && format == RCW_FORMAT_JSON) {
    render_json(&out, c, ids, n);
  } else if (ids) {
    text_codes(&out, c, ids, n);
    text_categories(&out, c);
  }
  int r = !ids || out.oom ? -ENOMEM : rcw_write_all(STDOUT_FILENO, out.data, out.len);
  free(ids);
  rcw_buf_free(&out);
  if (r < 0) {
    rcw_cli_error("codes: cannot write the catalog: %s", strerror(-r));
    return RCW_EXIT_FAILURE;
  }
  return RCW_EXIT_OK;
}

int rcw_cmd_codes(int argc, char **argv)
{
  static const struct rcw_cli_spec spec = {
    "codes", RCW_OPT_CONFIG | RCW_OPT_FORMAT, 0, 0, NULL, print_usage,
  };
  struct rcw_cli_opts o;
  int r = rcw_cli_parse(argc, argv, &spec, &o);
  if (r != 0)
    return r == RCW_CLI_HELP_SHOWN ? RCW_EXIT_OK : r;
  struct rcw_config *cfg = NULL;
  if (rcw_cli_load_config(o.config, &cfg) != 0)
    return RCW_EXIT_FAILURE;
  r = print_catalog(cfg->catalog, o.format);
  rcw_config_free(cfg);
  return r;
}
