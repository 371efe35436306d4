/* cli — what every subcommand shares: loading the config named by -c (or
 * the embedded default), printing its diagnostics once, and the usage and
 * output-format conventions of CONTRACT §1. */
#ifndef RCW_CLI_H
#define RCW_CLI_H

#include <stdbool.h>

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

/* "rcwatch CMD: message" on stderr, one line; returns RCW_EXIT_USAGE.
 * Adds a hint to run `rcwatch CMD --help`. */
int rcw_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "rcwatch: message" on stderr, one line. */
void rcw_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write all of buf to fd (retrying short writes and EINTR); 0 or -errno. */
int rcw_cli_write_all(int fd, const char *buf, size_t len);

#endif
