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
  static const struct rcw_cli_spec spec = {"run", RCW_OPT_CONFIG, 0, 0, NULL, usage};
  struct rcw_cli_opts o;
  int r = rcw_cli_parse(argc, argv, &spec, &o);
  if (r != 0)
    return r == RCW_CLI_HELP_SHOWN ? RCW_EXIT_OK : r;
  return rcw_daemon_main(o.config ? o.config : RCW_DEFAULT_CONFIG_PATH);
}
