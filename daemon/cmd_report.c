/* rcwatch report — print a periodic report: the newest one the daemon
 * wrote to reports.directory, or a report file named on the command line.
 *
 * JSON output is the file itself, byte for byte, once it has been checked
 * to be a report; text output is the JSON loaded back and rendered by the
 * same code that renders `scan`, so the two never disagree. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "fileio.h"
#include "commands.h"
#include "report.h"
#include "report_load.h"
#include "reportdir.h"

static void print_usage(FILE *out)
{
  fputs("Usage: rcwatch report [-c FILE] [--format text|json] [REPORT.json]\n\n"
        "Print the newest periodic report of a running daemon (from the config's\n"
        "reports.directory), or the report file given.\n\n"
        "Options:\n"
        "  -c, --config FILE   the daemon's config (default " RCW_DEFAULT_CONFIG_PATH
        ",\n"
        "                      or the built-in defaults when that file does not exist)\n"
        "      --format FMT    text (default) or json (the report file as it is)\n"
        "  -h, --help          show this help\n", out);
}

/* -c, else the default path, else (when that file does not exist) the
 * embedded defaults: a host with no config still has a reports
 * directory to look in. */
static int load_config(const char *path, struct rcw_config **cfg)
{
  if (!path && access(RCW_DEFAULT_CONFIG_PATH, F_OK) == 0)
    path = RCW_DEFAULT_CONFIG_PATH;
  return rcw_cli_load_config(path, cfg);
}

static int print_bytes(const char *data, size_t len)
{
  int r = rcw_write_all(STDOUT_FILENO, data, len);
  if (r < 0) {
    rcw_cli_error("cannot write the report: %s", strerror(-r));
    return RCW_EXIT_FAILURE;
  }
  return RCW_EXIT_OK;
}

static int print_text(const rcw_loaded_report *lr)
{
  struct rcw_buf out = RCW_BUF_INIT;
  int r = rcw_report_text(rcw_loaded_report_get(lr), rcw_loaded_report_catalog(lr), &out);
  int code = r < 0 ? RCW_EXIT_FAILURE : print_bytes(out.data, out.len);
  if (r < 0)
    rcw_cli_error("cannot render the report: %s", strerror(-r));
  rcw_buf_free(&out);
  return code;
}

static int show(const char *path, enum rcw_format format, const rcw_catalog *conf)
{
  rcw_loaded_report *lr = NULL;
  struct rcw_jread_error err;
  if (rcw_report_load_file(path, conf, &lr, &err) < 0) {
    if (err.line > 0)
      rcw_cli_error("%s:%d:%d: %s", path, err.line, err.column, err.message);
    else
      rcw_cli_error("%s: %s", path, err.message);
    return RCW_EXIT_FAILURE;
  }
  size_t len;
  const char *data = rcw_loaded_report_data(lr, &len);
  int code = format == RCW_FORMAT_JSON ? print_bytes(data, len) : print_text(lr);
  rcw_loaded_report_free(lr);
  return code;
}

/* A directory kept with `formats: [text]` has no JSON to render, but its
 * text reports are what the daemon would have shown: print the newest. */
static int show_text_file(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f) {
    rcw_cli_error("%s: %s", path, strerror(errno));
    return RCW_EXIT_FAILURE;
  }
  char buf[65536];
  size_t n;
  int code = RCW_EXIT_OK;
  while (code == RCW_EXIT_OK && (n = fread(buf, 1, sizeof(buf), f)) > 0)
    code = print_bytes(buf, n);
  if (code == RCW_EXIT_OK && ferror(f)) {
    rcw_cli_error("%s: %s", path, strerror(errno));
    code = RCW_EXIT_FAILURE;
  }
  fclose(f);
  return code;
}

static int show_newest(const char *dir, enum rcw_format format, const rcw_catalog *conf)
{
  char *path = NULL;
  int r = rcw_reportdir_newest(dir, RCW_REPORT_EXT_JSON, &path);
  if (r == -ENOENT && format == RCW_FORMAT_TEXT &&
      rcw_reportdir_newest(dir, RCW_REPORT_EXT_TEXT, &path) == 0) {
    int code = show_text_file(path);
    free(path);
    return code;
  }
  if (r == -ENOENT) {
    rcw_cli_error("no %sreport in %s (is the daemon running with reports enabled?)",
                  format == RCW_FORMAT_JSON ? "JSON " : "", dir);
    return RCW_EXIT_FAILURE;
  }
  if (r < 0) {
    rcw_cli_error("cannot read the reports directory %s: %s", dir, strerror(-r));
    return RCW_EXIT_FAILURE;
  }
  int code = show(path, format, conf);
  free(path);
  return code;
}

int rcw_cmd_report(int argc, char **argv)
{
  static const struct rcw_cli_spec spec = {
    "report", RCW_OPT_CONFIG | RCW_OPT_FORMAT, 0, 1, NULL, print_usage,
  };
  struct rcw_cli_opts o;
  int r = rcw_cli_parse(argc, argv, &spec, &o);
  if (r != 0)
    return r == RCW_CLI_HELP_SHOWN ? RCW_EXIT_OK : r;
  const char *file = o.nargs ? o.args[0] : NULL;
  struct rcw_config *cfg = NULL;
  if (load_config(o.config, &cfg) != 0)
    return RCW_EXIT_FAILURE;
  if (file)
    r = show(file, o.format, cfg->catalog);
  else
    r = show_newest(cfg->reports.directory, o.format, cfg->catalog);
  rcw_config_free(cfg);
  return r;
}
