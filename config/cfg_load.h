/* cfg_load — what the section checkers (cfg_*.c) and config.c share.
 *
 * Sections are checked in dependency order — limits, catalog, windows,
 * parsers, sources, rules, then the outputs — so each can check its
 * references against what the earlier ones built; the diagnostics are put
 * back in document order at the end. */
#ifndef RCW_CFG_LOAD_H
#define RCW_CFG_LOAD_H

#include "cfg_check.h"
#include "config.h"

/* The loaded config with what callers do not see: the compiled parsers. */
struct cfg_full {
  struct rcw_config pub;
  rcw_parser **parsers; /* config's own first, then built-ins not overridden */
  const struct rcw_parser_spec **specs; /* the spec of each parser */
  size_t nparsers;
};

struct cfg_loader {
  struct cfg_ctx ctx;
  struct cfg_full *full;
  struct rcw_config *cfg; /* &full->pub */
  bool windows_bad;       /* rules cannot be checked against `windows` */
  const struct cfg_node *catalog_node;
  /* Parser tests classify codes, and classifying an unknown code adds an
   * entry: they get a copy so the config's catalog stays as written. */
  rcw_catalog *test_catalog;
};

void cfg_load_limits(struct cfg_loader *l, const struct cfg_node *n);
/* Builds cfg->catalog even when the section has errors (from what is
 * valid), so later sections can still check their category names. */
void cfg_load_catalog(struct cfg_loader *l, const struct cfg_node *n);
/* The catalog of l's catalog section built again, without diagnostics
 * (the first build reported them); NULL when out of memory. */
rcw_catalog *cfg_catalog_copy(struct cfg_loader *l);
void cfg_load_windows(struct cfg_loader *l, const struct cfg_node *n);
/* Config parsers, compiled and their tests run, then the built-ins they do
 * not override. */
void cfg_load_parsers(struct cfg_loader *l, const struct cfg_node *n);
void cfg_load_sources(struct cfg_loader *l, const struct cfg_node *n);
void cfg_load_rules(struct cfg_loader *l, const struct cfg_node *n);
void cfg_load_alerts(struct cfg_loader *l, const struct cfg_node *n);
void cfg_load_reports(struct cfg_loader *l, const struct cfg_node *n);
void cfg_load_metrics(struct cfg_loader *l, const struct cfg_node *n);
void cfg_load_state(struct cfg_loader *l, const struct cfg_node *n);

/* Release what each section allocated (the structs' own members). */
void cfg_free_parsers(struct cfg_full *full);
void cfg_free_sources(struct rcw_config *cfg);
void cfg_free_rules(struct rcw_config *cfg);
void cfg_free_outputs(struct rcw_config *cfg);

/* Lookups across sections. */
bool cfg_has_parser(const struct cfg_full *full, const char *name);
/* True when some parser in force declares the dimension. */
bool cfg_has_dimension(const struct cfg_full *full, const char *name);
/* "a, b, c" of the names for a message, or NULL (out of memory). */
char *cfg_join_parser_names(const struct cfg_full *full);
char *cfg_join_dimensions(const struct cfg_full *full);

/* n names a category of the catalog built so far; else an error listing
 * the known ones. */
bool cfg_check_category(struct cfg_loader *l, const struct cfg_node *n,
                        const struct cfg_path *p);

/* A response code as written in a config: 1..RCW_CODE_MAX_LEN bytes of
 * letters, digits, '_' and '-'. */
bool cfg_valid_code(const char *s);

#endif
