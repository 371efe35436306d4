/* units — the duration and ratio notations of the config (CONTRACT §2). */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

struct unit {
  const char *suffix;
  int64_t ms;
};

/* Largest first: a compound duration such as 1h30m names each unit at most
 * once and in this order, as Prometheus and Go write them. */
static const struct unit units[] = {
  {"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1},
};
#define NUNITS (sizeof(units) / sizeof(units[0]))

/* The unit spelled at s ("ms" before "m"), or -1. */
static int unit_at(const char *s, size_t *len)
{
  int found = -1;
  for (size_t i = 0; i < NUNITS; i++) {
    size_t n = strlen(units[i].suffix);
    if (strncmp(s, units[i].suffix, n) == 0 && (found < 0 || n > *len)) {
      found = (int)i;
      *len = n;
    }
  }
  return found;
}

/* Digits at *s into *v; false on none or on overflow. */
static bool read_digits(const char **s, int64_t *v)
{
  const char *p = *s;
  int64_t n = 0;
  for (; isdigit((unsigned char)*p); p++) {
    if (n > (INT64_MAX - (*p - '0')) / 10)
      return false;
    n = n * 10 + (*p - '0');
  }
  if (p == *s)
    return false;
  *s = p;
  *v = n;
  return true;
}

int rcw_parse_duration(const char *s, int64_t *out_ms)
{
  if (!s || !*s)
    return -EINVAL;
  if (strcmp(s, "0") == 0) {
    *out_ms = 0;
    return 0;
  }
  int64_t total = 0;
  int prev = -1;
  while (*s) {
    int64_t n;
    size_t ulen = 0;
    if (!read_digits(&s, &n))
      return -EINVAL;
    int u = unit_at(s, &ulen);
    if (u <= prev || n > (INT64_MAX - total) / units[u].ms)
      return -EINVAL;
    total += n * units[u].ms;
    prev = u;
    s += ulen;
  }
  *out_ms = total;
  return 0;
}

/* [digits][.digits] with at least one digit; returns the length or 0. */
static size_t decimal_len(const char *s)
{
  size_t i = 0, digits = 0;
  for (; isdigit((unsigned char)s[i]); i++)
    digits++;
  if (s[i] == '.')
    for (i++; isdigit((unsigned char)s[i]); i++)
      digits++;
  return digits > 0 ? i : 0;
}

/* Only plain decimals: strtod alone would also take "nan", "inf", hex
 * floats and exponents, none of which a threshold should be written in. */
int rcw_parse_ratio(const char *s, double *out)
{
  if (!s)
    return -EINVAL;
  size_t n = decimal_len(s);
  if (n == 0)
    return -EINVAL;
  bool percent = s[n] == '%';
  if (s[n + (percent ? 1 : 0)] != '\0')
    return -EINVAL;
  double v = strtod(s, NULL);
  *out = percent ? v / 100.0 : v;
  return 0;
}

void rcw_format_duration(int64_t ms, char *out, size_t outlen)
{
  if (!out || outlen == 0)
    return;
  if (ms == 0) {
    snprintf(out, outlen, "0");
    return;
  }
  uint64_t mag = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
  const char *sign = ms < 0 ? "-" : "";
  for (size_t i = 0; i < NUNITS; i++) {
    uint64_t u = (uint64_t)units[i].ms;
    if (mag % u == 0) {
      snprintf(out, outlen, "%s%llu%s", sign, (unsigned long long)(mag / u), units[i].suffix);
      return;
    }
  }
}
