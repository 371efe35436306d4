#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "config.h"
#include "daemon.h"

static void usage(FILE *out)
{
  fputs("Usage: rcwatch run [-c FILE]\n\n"
        "Watch the configured log files in the foreground, count response codes,\n"
        "fire and resolve alerts, write periodic reports and checkpoint the state.\n\n"
        "Options:\n"
        "  -c, --config FILE  configuration (default " RCW_DEFAULT_CONFIG_PATH ")\n"
        "  -h, --help         show this help\n\n"
        "Signals: SIGHUP reloads the config, SIGUSR1 writes a report now,\n"
        "SIGTERM or SIGINT checkpoint, write a final report and exit.\n", out);
}

int rcw_cmd_run(int argc, char **argv)
{
  static const struct option options[] = {
    {"config", required_argument, NULL, 'c'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  const char *config = RCW_DEFAULT_CONFIG_PATH;
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":c:h", options, NULL)) != -1) {
    switch (c) {
    case 'c': config = optarg; break;
    case 'h': usage(stdout); return RCW_EXIT_OK;
    case ':': return rcw_cli_usage_error("run", "option '%s' needs an argument", argv[optind - 1]);
    default: return rcw_cli_usage_error("run", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc)
    return rcw_cli_usage_error("run", "unexpected argument '%s'", argv[optind]);
  return rcw_daemon_main(config);
}
