/* rcwatch check — validate a config without running: the YAML, the whole
 * schema, every pattern compiled and every parser test run.  The same
 * loader serves `run`, so what passes here is what `run` accepts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static void print_usage(FILE *out)
{
  fputs("Usage: rcwatch check [-c FILE]\n\n"
        "Validate a configuration without running: YAML syntax, every key and\n"
        "value, every pattern compiled and every parser test run.  Prints\n"
        "\"configuration OK\" and a summary, or every error as FILE:LINE:COLUMN.\n\n"
        "Options:\n"
        "  -c, --config FILE   the config to check (default " RCW_DEFAULT_CONFIG_PATH ")\n"
        "  -h, --help          show this help\n", out);
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Codes the catalog defines, each once though 1306 has two meanings. */
static size_t count_codes(const rcw_catalog *cat)
{
  size_t n = rcw_catalog_entry_count(cat), k = 0, distinct = 0;
  const char **codes = calloc(n ? n : 1, sizeof(*codes));
  if (!codes)
    return 0;
  for (uint32_t i = 0; i < n; i++)
    if (rcw_catalog_entry(cat, i)->known)
      codes[k++] = rcw_catalog_entry(cat, i)->code;
  qsort(codes, k, sizeof(*codes), cmp_str);
  for (size_t i = 0; i < k; i++)
    distinct += i == 0 || strcmp(codes[i], codes[i - 1]) != 0;
  free(codes);
  return distinct;
}

static const char *plural(size_t n, const char *one, const char *many)
{
  return n == 1 ? one : many;
}

static void print_summary(const char *path, const struct rcw_config *cfg)
{
  size_t own = cfg->nparser_specs, builtin = rcw_config_parser_count(cfg) - own;
  size_t codes = count_codes(cfg->catalog);
  printf("configuration OK: %s: %zu %s, %zu %s (+%zu built-in), %zu %s, %zu %s, %zu %s, "
         "%zu %s\n",
         path, cfg->nsources, plural(cfg->nsources, "source", "sources"), own,
         plural(own, "parser", "parsers"), builtin, cfg->nrules,
         plural(cfg->nrules, "rule", "rules"), cfg->nwindows,
         plural(cfg->nwindows, "window", "windows"), cfg->nsinks,
         plural(cfg->nsinks, "sink", "sinks"), codes, plural(codes, "code", "codes"));
}

int rcw_cmd_check(int argc, char **argv)
{
  const char *path = RCW_DEFAULT_CONFIG_PATH;
  static const struct rcw_cli_spec spec = {"check", RCW_OPT_CONFIG, 0, 0, NULL, print_usage};
  struct rcw_cli_opts o;
  int r = rcw_cli_parse(argc, argv, &spec, &o);
  if (r != 0)
    return r == RCW_CLI_HELP_SHOWN ? RCW_EXIT_OK : r;
  if (o.config)
    path = o.config;
  struct rcw_config *cfg;
  if ((r = rcw_cli_load_config(path, &cfg)) != 0)
    return r;
  print_summary(path, cfg);
  rcw_config_free(cfg);
  return RCW_EXIT_OK;
}
