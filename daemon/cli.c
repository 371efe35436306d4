#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int rcw_cli_load_config(const char *path, struct rcw_config **out)
{
  rcw_diags *d = rcw_diags_new();
  if (!d) {
    rcw_cli_error("out of memory");
    return RCW_EXIT_FAILURE;
  }
  int r = path ? rcw_config_load_file(path, out, d) : rcw_config_load_default(out, d);
  if (r < 0) {
    if (rcw_diags_count(d) > 0)
      rcw_diags_print(d, stderr);
    else
      rcw_cli_error("cannot load %s: %s", path ? path : "the default config", strerror(-r));
  }
  rcw_diags_free(d);
  return r < 0 ? RCW_EXIT_FAILURE : 0;
}

int rcw_cli_parse_format(const char *cmd, const char *arg, enum rcw_format *out)
{
  if (strcmp(arg, "text") == 0)
    *out = RCW_FORMAT_TEXT;
  else if (strcmp(arg, "json") == 0)
    *out = RCW_FORMAT_JSON;
  else
    return rcw_cli_usage_error(cmd, "unknown format '%s' (expected text or json)", arg);
  return 0;
}

int rcw_cli_usage_error(const char *cmd, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "rcwatch %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, " (see 'rcwatch %s --help')\n", cmd);
  return RCW_EXIT_USAGE;
}

void rcw_cli_error(const char *fmt, ...)
{
  va_list ap;
  fputs("rcwatch: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

static int bad_option(const char *cmd, char **argv, int c)
{
  if (c == ':')
    return rcw_cli_usage_error(cmd, "option '%s' needs an argument", argv[optind - 1]);
  if (optopt)
    return rcw_cli_usage_error(cmd, "unknown option '-%c'", optopt);
  return rcw_cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
}

/* One option: 0 to go on, or a usage exit code. */
static int take_option(const struct rcw_cli_spec *spec, int c, struct rcw_cli_opts *o)
{
  unsigned bit = c == 'c' ? RCW_OPT_CONFIG : c == 'f' ? RCW_OPT_FORMAT
               : c == 'p' ? RCW_OPT_PARSER : c == 'a' ? RCW_OPT_ALERTS : 0;
  if (!(spec->options & bit))
    return rcw_cli_usage_error(spec->cmd, "unknown option '%s'",
                               c == 'c' ? "-c" : c == 'f' ? "--format"
                               : c == 'p' ? "--parser" : "--alerts");
  if (c == 'c')
    o->config = optarg;
  else if (c == 'f')
    return rcw_cli_parse_format(spec->cmd, optarg, &o->format);
  else if (c == 'p')
    o->parser = optarg;
  else
    o->alerts = true;
  return 0;
}

int rcw_cli_parse(int argc, char **argv, const struct rcw_cli_spec *spec,
                  struct rcw_cli_opts *o)
{
  static const struct option longopts[] = {
    {"config", required_argument, NULL, 'c'}, {"format", required_argument, NULL, 'f'},
    {"parser", required_argument, NULL, 'p'}, {"alerts", no_argument, NULL, 'a'},
    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
  };
  const char *shortopts = spec->options & RCW_OPT_CONFIG ? ":c:h" : ":h";
  int c, r;
  memset(o, 0, sizeof(*o));
  optind = 0;
  opterr = 0;
  while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    if (c == 'h') {
      spec->usage(stdout);
      return RCW_CLI_HELP_SHOWN;
    }
    r = c == ':' || c == '?' ? bad_option(spec->cmd, argv, c) : take_option(spec, c, o);
    if (r != 0)
      return r;
  }
  o->args = argv + optind;
  o->nargs = (size_t)(argc - optind);
  if (o->nargs < spec->min_args)
    return rcw_cli_usage_error(spec->cmd, "%s", spec->missing_args);
  if (o->nargs > spec->max_args)
    return rcw_cli_usage_error(spec->cmd, "unexpected argument '%s'",
                               o->args[spec->max_args]);
  return 0;
}
