/* rcwatch — watches Issuer API logs and tells operators when calls fail. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

struct command {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *summary;
};

static const struct command commands[] = {
  {"run", rcw_cmd_run, "watch the configured logs (the daemon, in the foreground)"},
  {"check", rcw_cmd_check, "validate a config without running"},
  {"scan", rcw_cmd_scan, "analyse finished log files and print one report"},
  {"report", rcw_cmd_report, "print the newest report of a running daemon"},
  {"codes", rcw_cmd_codes, "print the response-code catalog in force"},
};

static void print_help(FILE *out)
{
  fputs("Usage: rcwatch COMMAND [OPTIONS] [ARGS]\n\n"
        "Watches the logs of Issuer API clients and alerts when calls fail.\n\n"
        "Commands:\n", out);
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fputs("\nOptions:\n"
        "  -h, --help     show this help\n"
        "  -V, --version  show the version\n\n"
        "Run 'rcwatch COMMAND --help' for the options of a command.\n", out);
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    print_help(stderr);
    return RCW_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    print_help(stdout);
    return RCW_EXIT_OK;
  }
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
    printf("rcwatch %s\n", RCW_VERSION);
    return RCW_EXIT_OK;
  }
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (strcmp(cmd, commands[i].name) == 0)
      return commands[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "rcwatch: unknown command '%s' (see 'rcwatch --help')\n", cmd);
  return RCW_EXIT_USAGE;
}
