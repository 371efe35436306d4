#include "cli.h"

#include <errno.h>
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

int rcw_cli_write_all(int fd, const char *buf, size_t len)
{
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}
