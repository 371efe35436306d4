/* cli — what every subcommand shares: loading the config named by -c (or
 * the embedded default), printing its diagnostics once, and the usage and
 * output-format conventions of CONTRACT §1. */
#ifndef RCW_CLI_H
#define RCW_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"

#define RCW_EXIT_OK 0
#define RCW_EXIT_FAILURE 1
#define RCW_EXIT_USAGE 2

enum rcw_format { RCW_FORMAT_TEXT, RCW_FORMAT_JSON };

/* Load path, or the embedded default config when path is NULL.  On error
 * prints every diagnostic to stderr (FILE:LINE:COLUMN: message) and returns
 * RCW_EXIT_FAILURE; on success returns 0 and *out. */
int rcw_cli_load_config(const char *path, struct rcw_config **out);

/* "text" or "json"; prints a usage error naming cmd and returns
 * RCW_EXIT_USAGE on anything else, 0 on success. */
int rcw_cli_parse_format(const char *cmd, const char *arg, enum rcw_format *out);

/* The options the subcommands share; each command accepts a subset. */
enum {
  RCW_OPT_CONFIG = 1u << 0, /* -c, --config FILE */
  RCW_OPT_FORMAT = 1u << 1, /* --format text|json */
  RCW_OPT_PARSER = 1u << 2, /* --parser NAME */
  RCW_OPT_ALERTS = 1u << 3, /* --alerts */
};

struct rcw_cli_opts {
  const char *config; /* NULL when -c was not given */
  enum rcw_format format;
  const char *parser;
  bool alerts;
  char **args; /* the positional arguments */
  size_t nargs;
};

/* What a command accepts: its options, how many positional arguments, and
 * its --help text. */
struct rcw_cli_spec {
  const char *cmd;
  unsigned options;
  size_t min_args, max_args;
  const char *missing_args; /* the error when fewer than min_args */
  void (*usage)(FILE *out);
};

#define RCW_CLI_HELP_SHOWN (-1)

/* Parse argv (argv[0] is the command) into o.  Returns 0 to go on,
 * RCW_CLI_HELP_SHOWN after printing the usage to stdout, or
 * RCW_EXIT_USAGE after a one-line error (unknown option, missing option
 * argument, bad format, wrong number of arguments). */
int rcw_cli_parse(int argc, char **argv, const struct rcw_cli_spec *spec,
                  struct rcw_cli_opts *o);

/* "rcwatch CMD: message" on stderr, one line; returns RCW_EXIT_USAGE.
 * Adds a hint to run `rcwatch CMD --help`. */
int rcw_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "rcwatch: message" on stderr, one line. */
void rcw_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
