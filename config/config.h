/* config — the rcwatch YAML configuration (CONTRACT §2), loaded with
 * libyaml and validated whole: every error is reported, as
 * FILE:LINE:COLUMN: message, in one pass.
 *
 * The loaded struct is read-only for callers.  It owns everything it
 * points to, including the merged catalog and one compiled parser per
 * parser name (the built-ins plus the config's own, which override them
 * by name).  Never logs, never exits. */
#ifndef RCW_CONFIG_H
#define RCW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "diag.h"
#include "parser.h"

#define RCW_DEFAULT_CONFIG_PATH "/etc/rcwatch/rcwatch.yaml"

/* Caps on what a config may declare (each hit is a config error). */
#define RCW_MAX_SOURCES 64
#define RCW_MAX_PARSERS 64
#define RCW_MAX_PATTERNS 32 /* per parser */
#define RCW_MAX_WINDOWS 8
#define RCW_MAX_RULES 256
#define RCW_MAX_SINKS 16
#define RCW_MAX_MATCH 256 /* entries of one rule's match list */

struct rcw_source_spec {
  char *name;
  char **paths;
  size_t npaths;
  char **exclude;
  size_t nexclude;
  char *parser;            /* default "json" */
  bool start_at_beginning; /* start_at: beginning */
  struct rcw_loc loc;
};

enum rcw_scope { RCW_SCOPE_TOTAL, RCW_SCOPE_CATEGORY, RCW_SCOPE_CODE, RCW_SCOPE_DIMENSION };
enum rcw_metric { RCW_METRIC_FAILURE_RATE, RCW_METRIC_COUNT };

struct rcw_rule_spec {
  char *name;
  enum rcw_scope scope;
  char *dimension;   /* scope dimension: the dimension's name (extension) */
  char **categories; /* scope dimension: count only failures of these
                        categories (extension `category:`); NULL: all */
  size_t ncategories;
  char **match; /* names, codes or dimension values; empty with match_all */
  size_t nmatch;
  bool match_all; /* match: "*" */
  enum rcw_metric metric;
  int64_t window_ms; /* one of the configured windows */
  double above;
  double clear_below; /* default: above */
  int64_t min_requests; /* default 20 */
  int64_t for_ms;
  int64_t repeat_ms; /* 0: never */
  int severity;      /* enum rcw_severity, or -1: the category's, else warning */
  struct rcw_loc loc;
};

enum rcw_sink_type { RCW_SINK_LOG, RCW_SINK_FILE, RCW_SINK_EXEC, RCW_SINK_WEBHOOK };
enum rcw_webhook_format { RCW_WEBHOOK_ALERTMANAGER, RCW_WEBHOOK_JSON };

struct rcw_sink_spec {
  enum rcw_sink_type type;
  char *path;     /* file */
  char **command; /* exec: argv, NULL-terminated, ncommand >= 1 */
  size_t ncommand;
  char *url;      /* webhook */
  enum rcw_webhook_format format; /* webhook, default json */
  int64_t timeout_ms;             /* exec default 10s, webhook 5s */
  struct rcw_loc loc;
};

struct rcw_reports_spec {
  char *directory;      /* default /var/lib/rcwatch/reports */
  int64_t interval_ms;  /* default 1h; 0 disables */
  bool json, text;      /* formats, default both */
  int keep;             /* default 48 */
};

struct rcw_metrics_spec {
  char *listen; /* NULL: off; else "HOST:PORT" as written */
  char *host;   /* parsed from listen */
  int port;
};

struct rcw_state_spec {
  char *path;          /* default /var/lib/rcwatch/state */
  int64_t interval_ms; /* default 5s */
};

/* Extension `limits:` — caps on what log data can grow. */
struct rcw_limits_spec {
  size_t dimension_values; /* distinct values per dimension, default 1000 */
  size_t unknown_codes;    /* distinct unknown codes, default 1000 */
  size_t files;            /* watched files, default 1024 */
  size_t webhook_queue;    /* pending webhook requests, default 1000 */
  size_t exec_children;    /* concurrent exec sink children, default 8 */
};

struct rcw_config {
  char *path; /* the file it came from; "(default)" for the embedded one */

  struct rcw_source_spec *sources;
  size_t nsources;

  struct rcw_parser_spec *parser_specs; /* only the config's own */
  size_t nparser_specs;

  int64_t windows_ms[RCW_MAX_WINDOWS]; /* ascending; default 1m 5m 15m 1h */
  size_t nwindows;

  struct rcw_rule_spec *rules;
  size_t nrules;

  struct rcw_sink_spec *sinks;
  size_t nsinks;

  struct rcw_reports_spec reports;
  struct rcw_metrics_spec metrics;
  struct rcw_state_spec state;
  struct rcw_limits_spec limits;

  rcw_catalog *catalog; /* embedded catalog merged with `catalog:` */
};

/* Load and validate a config file.  On success returns 0 and *out.  On
 * failure returns -EINVAL (or -errno when the file cannot be read) and d
 * holds every diagnostic; *out is untouched. */
int rcw_config_load_file(const char *path, struct rcw_config **out, rcw_diags *d);
/* The same from memory; name is used in diagnostics. */
int rcw_config_load_string(const char *yaml, size_t len, const char *name,
                           struct rcw_config **out, rcw_diags *d);
/* The config used when none is given: embedded catalog, built-in parsers,
 * default windows and sections, no sources, no rules. */
int rcw_config_load_default(struct rcw_config **out, rcw_diags *d);
void rcw_config_free(struct rcw_config *cfg); /* accepts NULL */

/* The compiled parser of that name (a config parser, else a built-in), or
 * NULL.  Owned by the config. */
rcw_parser *rcw_config_parser(const struct rcw_config *cfg, const char *name);
/* All parsers of the config, config's own first, then the built-ins not
 * overridden — the candidates for format detection. */
size_t rcw_config_parser_count(const struct rcw_config *cfg);
rcw_parser *rcw_config_parser_at(const struct rcw_config *cfg, size_t i);

/* "250ms", "30s", "5m", "2h", "1d" -> milliseconds; 0 or -EINVAL. */
int rcw_parse_duration(const char *s, int64_t *out_ms);
/* "2.5%" or "0.025" -> 0.025; 0 or -EINVAL (negative, NaN, junk). */
int rcw_parse_ratio(const char *s, double *out);
/* Shortest form of a duration for display: 300000 -> "5m". */
void rcw_format_duration(int64_t ms, char *out, size_t outlen);

#endif
