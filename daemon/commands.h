/* commands — one entry point per `rcwatch` subcommand.  Each takes the
 * arguments after the program name (argv[0] is the command's own name),
 * parses its own options with getopt_long, and returns the process exit
 * code: 0 success, 1 runtime failure or invalid configuration, 2 usage. */
#ifndef RCW_COMMANDS_H
#define RCW_COMMANDS_H

int rcw_cmd_run(int argc, char **argv);
int rcw_cmd_check(int argc, char **argv);
int rcw_cmd_scan(int argc, char **argv);
int rcw_cmd_report(int argc, char **argv);
int rcw_cmd_codes(int argc, char **argv);

#endif
