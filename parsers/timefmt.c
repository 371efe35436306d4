/* timefmt — event times from log lines to epoch milliseconds (UTC).
 *
 * Nothing here consults the process time zone: offsets come from the text
 * (no offset means UTC) and calendar arithmetic is rcw_days_from_civil, so
 * results do not depend on TZ and the functions are safe in any thread. */
#include "timefmt.h"

#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* A strptime format is a short template; anything longer is a mistake. */
#define TIMEFMT_SPEC_MAX 128
/* Longest time text handed to strptime (it needs a NUL-terminated copy). */
#define TIME_TEXT_MAX 128

#define NGINX_FORMAT "%d/%b/%Y:%H:%M:%S %z"

static const char *const month_abbr[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* --- calendar -------------------------------------------------------------- */

/* Eras of 400 years repeat exactly (146097 days), so the date is reduced to
 * a year-of-era with March as the first month, which puts the leap day at
 * the end of the year. */
int64_t rcw_days_from_civil(int64_t year, unsigned month, unsigned day)
{
  int64_t y = year - (month <= 2);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t mp = month > 2 ? month - 3 : month + 9;
  int64_t doy = (153 * mp + 2) / 5 + (int64_t)day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct civil {
  int64_t year;
  unsigned month, day;
};

static struct civil civil_from_days(int64_t days)
{
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  struct civil c;
  c.day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
  c.month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2);
  return c;
}

static bool is_leap(int64_t y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t year, unsigned month)
{
  static const unsigned dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : dim[month - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void rcw_time_format_iso(int64_t ms, char out[RCW_TIME_ISO_LEN])
{
  int64_t secs = floor_div(ms, 1000);
  int64_t days = floor_div(secs, 86400);
  int64_t sod = secs - days * 86400;
  struct civil c = civil_from_days(days);
  snprintf(out, RCW_TIME_ISO_LEN, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", (long long)c.year,
           c.month, c.day, (unsigned)(sod / 3600), (unsigned)(sod / 60 % 60),
           (unsigned)(sod % 60), (unsigned)(ms - secs * 1000));
}

/* --- a small cursor over the (not NUL-terminated) text --------------------- */

struct cur {
  const char *s;
  size_t len, pos;
};

static bool at_end(const struct cur *c)
{
  return c->pos >= c->len;
}

static bool peek_is(const struct cur *c, char ch)
{
  return !at_end(c) && c->s[c->pos] == ch;
}

static bool accept(struct cur *c, char ch)
{
  if (!peek_is(c, ch))
    return false;
  c->pos++;
  return true;
}

static bool is_digit(char ch)
{
  return ch >= '0' && ch <= '9';
}

/* Exactly n digits. */
static bool digits(struct cur *c, size_t n, unsigned *out)
{
  if (c->pos > c->len || c->len - c->pos < n)
    return false;
  unsigned v = 0;
  for (size_t i = 0; i < n; i++) {
    char ch = c->s[c->pos + i];
    if (!is_digit(ch))
      return false;
    v = v * 10 + (unsigned)(ch - '0');
  }
  c->pos += n;
  *out = v;
  return true;
}

/* Fraction digits after '.' or ',': any number, milliseconds kept. */
static unsigned fraction_ms(struct cur *c)
{
  unsigned ms = 0, n = 0;
  while (!at_end(c) && is_digit(c->s[c->pos])) {
    if (n < 3)
      ms = ms * 10 + (unsigned)(c->s[c->pos] - '0');
    n++;
    c->pos++;
  }
  for (; n < 3; n++)
    ms *= 10;
  return ms;
}

/* --- ISO 8601 -------------------------------------------------------------- */

struct fields {
  int64_t year;
  unsigned month, day, hour, min, sec, ms;
  int offset_s; /* east of UTC */
};

static int64_t fields_to_ms(const struct fields *f)
{
  int64_t days = rcw_days_from_civil(f->year, f->month, f->day);
  int64_t secs = days * 86400 + f->hour * 3600 + f->min * 60 + f->sec - f->offset_s;
  return secs * 1000 + f->ms;
}

static bool date_valid(const struct fields *f)
{
  return f->month >= 1 && f->month <= 12 && f->day >= 1 &&
         f->day <= days_in_month(f->year, f->month);
}

static bool time_valid(const struct fields *f)
{
  /* 60 admits a leap second, as in iso_rest. */
  return f->hour <= 23 && f->min <= 59 && f->sec <= 60;
}

static bool iso_date(struct cur *c, struct fields *f)
{
  unsigned y;
  if (!digits(c, 4, &y) || !accept(c, '-') || !digits(c, 2, &f->month) || !accept(c, '-') ||
      !digits(c, 2, &f->day))
    return false;
  f->year = y;
  return date_valid(f);
}

/* The separator and HH:MM after the date: with the date, the 16 bytes
 * "YYYY-MM-DDTHH:MM" that consecutive log lines nearly always share. */
static bool iso_minute(struct cur *c, struct fields *f)
{
  if (!accept(c, 'T') && !accept(c, 't') && !accept(c, ' '))
    return false;
  return digits(c, 2, &f->hour) && accept(c, ':') && digits(c, 2, &f->min) &&
         f->hour <= 23 && f->min <= 59;
}

#define ISO_HEAD_LEN 16

/* Z, ±HH:MM, ±HHMM, ±HH, or nothing (UTC). */
static bool iso_offset(struct cur *c, struct fields *f)
{
  if (accept(c, 'Z') || accept(c, 'z') || at_end(c))
    return true;
  int sign = accept(c, '+') ? 1 : accept(c, '-') ? -1 : 0;
  unsigned hh, mm = 0;
  if (sign == 0 || !digits(c, 2, &hh))
    return false;
  if (accept(c, ':')) {
    if (!digits(c, 2, &mm))
      return false;
  } else if (!at_end(c) && !digits(c, 2, &mm)) {
    return false;
  }
  if (hh > 23 || mm > 59)
    return false;
  f->offset_s = sign * (int)(hh * 3600 + mm * 60);
  return true;
}

/* Most logs write exactly three fraction digits: read them without the
 * loop, with the same result fraction_ms would give. */
static unsigned fraction_fast(struct cur *c)
{
  const char *p = c->s + c->pos;
  size_t left = c->len - c->pos;
  if (left >= 3 && is_digit(p[0]) && is_digit(p[1]) && is_digit(p[2]) &&
      (left == 3 || !is_digit(p[3]))) {
    c->pos += 3;
    return (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 + (unsigned)(p[2] - '0');
  }
  return fraction_ms(c);
}

static void iso_fraction(struct cur *c, struct fields *f)
{
  if (accept(c, '.') || accept(c, ','))
    f->ms = fraction_fast(c);
}

/* The offset and the end of the text.  A remainder byte for byte the
 * same as the last one cached has the same offset; it is read again
 * only when it differs. */
static bool iso_offset_cached(struct cur *c, struct fields *f, struct rcw_time_cache *cache)
{
  const char *rest = c->s + c->pos;
  size_t n = c->len - c->pos;
  if (cache && cache->tail_valid && n == cache->tail_len && memcmp(rest, cache->tail, n) == 0) {
    f->offset_s = cache->tail_offset_s;
    c->pos = c->len;
    return true;
  }
  if (!iso_offset(c, f) || !at_end(c))
    return false;
  if (cache && n <= sizeof(cache->tail)) {
    memcpy(cache->tail, rest, n);
    cache->tail_len = (unsigned char)n;
    cache->tail_offset_s = f->offset_s;
    cache->tail_valid = true;
  }
  return true;
}

static int iso_finish(struct cur *c, struct fields *f, int64_t minute_ms,
                      struct rcw_time_cache *cache, int64_t *out)
{
  if (!iso_offset_cached(c, f, cache))
    return -EINVAL;
  *out = minute_ms + ((int64_t)f->sec - f->offset_s) * 1000 + f->ms;
  return 0;
}

/* What follows the minute: [:SS[.fff]] and the offset, to the end.
 * minute_ms is the minute's start as read, before the offset; cache,
 * when given, already holds this text's minute and learns its second. */
static int iso_rest(struct cur *c, struct fields *f, int64_t minute_ms,
                    struct rcw_time_cache *cache, int64_t *out)
{
  if (accept(c, ':')) {
    /* 60 admits a leap second; it lands on the next minute's first second. */
    if (!digits(c, 2, &f->sec) || f->sec > 60)
      return -EINVAL;
    if (cache) {
      memcpy(cache->sec, c->s + ISO_HEAD_LEN, sizeof(cache->sec));
      cache->sec_value = f->sec;
      cache->second_ms = minute_ms + (int64_t)f->sec * 1000;
      cache->sec_valid = true;
    }
    iso_fraction(c, f);
  }
  return iso_finish(c, f, minute_ms, cache, out);
}

static int64_t minute_to_ms(const struct fields *f)
{
  int64_t days = rcw_days_from_civil(f->year, f->month, f->day);
  return (days * 1440 + f->hour * 60 + f->min) * 60000;
}

#define ISO_SEC_LEN 3 /* ":SS" */

/* The text starts with the cached minute.  When its ":SS" is the cached
 * second too, only the fraction and the offset are left to read. */
static int iso_cached_minute(struct cur *c, struct fields *f, struct rcw_time_cache *cache,
                             int64_t *out)
{
  c->pos = ISO_HEAD_LEN;
  if (cache->sec_valid && c->len >= ISO_HEAD_LEN + ISO_SEC_LEN &&
      memcmp(c->s + ISO_HEAD_LEN, cache->sec, ISO_SEC_LEN) == 0) {
    c->pos += ISO_SEC_LEN;
    f->sec = cache->sec_value;
    iso_fraction(c, f);
    return iso_finish(c, f, cache->minute_ms, cache, out);
  }
  return iso_rest(c, f, cache->minute_ms, cache, out);
}

/* cache may be NULL.  It is filled from any text whose first 16 bytes
 * read as a date and a minute, and used only when the next text starts
 * with the same 16 bytes: reading goes on from there exactly as it
 * would have, with the same fields. */
static int parse_iso(const char *s, size_t len, struct rcw_time_cache *cache, int64_t *out)
{
  struct cur c = {s, len, 0};
  struct fields f = {0};
  if (cache && cache->valid && len >= ISO_HEAD_LEN &&
      memcmp(s, cache->head, ISO_HEAD_LEN) == 0)
    return iso_cached_minute(&c, &f, cache, out);
  if (!iso_date(&c, &f))
    return -EINVAL;
  if (at_end(&c)) {
    *out = fields_to_ms(&f);
    return 0;
  }
  if (!iso_minute(&c, &f))
    return -EINVAL;
  int64_t minute_ms = minute_to_ms(&f);
  if (cache) {
    memcpy(cache->head, s, ISO_HEAD_LEN);
    cache->minute_ms = minute_ms;
    cache->valid = true;
    cache->sec_valid = false; /* the second belonged to the old minute */
  }
  return iso_rest(&c, &f, minute_ms, cache, out);
}

/* --- epoch ----------------------------------------------------------------- */

/* Enough digits for any date a log can carry, few enough that the
 * millisecond value cannot overflow int64. */
#define EPOCH_DIGITS_MAX 15

static int parse_epoch(const char *s, size_t len, int64_t scale, int64_t *out)
{
  struct cur c = {s, len, 0};
  bool neg = accept(&c, '-');
  size_t start = c.pos;
  int64_t v = 0;
  while (!at_end(&c) && is_digit(s[c.pos])) {
    if (c.pos - start < EPOCH_DIGITS_MAX) /* past that it is refused below */
      v = v * 10 + (s[c.pos] - '0');
    c.pos++;
  }
  size_t n = c.pos - start;
  if (n == 0 || n > EPOCH_DIGITS_MAX)
    return -EINVAL;
  int64_t frac = 0;
  if (accept(&c, '.')) {
    unsigned ms = fraction_ms(&c);
    frac = scale == 1000 ? ms : 0; /* epoch_ms keeps whole milliseconds */
  }
  if (!at_end(&c))
    return -EINVAL;
  v = v * scale + frac;
  *out = neg ? -v : v;
  return 0;
}

/* --- strptime -------------------------------------------------------------- */

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
  c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* Month names are read in the C locale whatever the process locale is. */
static locale_t get_c_locale(void)
{
  pthread_once(&c_locale_once, c_locale_init);
  return c_locale;
}

static int month_from_abbr(const char *s)
{
  for (int i = 0; i < 12; i++)
    if (strncasecmp(s, month_abbr[i], 3) == 0)
      return i + 1;
  return 0;
}

/* nginx's $time_local, "14/Mar/2026:09:12:44 +0200", read without strptime:
 * it is on the hot path of every nginx line that needs its time. */
static bool parse_nginx(const char *s, size_t len, int64_t *out)
{
  struct cur c = {s, len, 0};
  struct fields f = {0};
  unsigned y, off;
  if (len != 26 || !digits(&c, 2, &f.day) || !accept(&c, '/'))
    return false;
  int mon = month_from_abbr(s + c.pos);
  c.pos += 3;
  if (mon == 0 || !accept(&c, '/') || !digits(&c, 4, &y) || !accept(&c, ':') ||
      !digits(&c, 2, &f.hour) || !accept(&c, ':') || !digits(&c, 2, &f.min) ||
      !accept(&c, ':') || !digits(&c, 2, &f.sec) || !accept(&c, ' '))
    return false;
  int sign = accept(&c, '+') ? 1 : accept(&c, '-') ? -1 : 0;
  if (sign == 0 || !digits(&c, 4, &off) || off / 100 > 23 || off % 100 > 59)
    return false;
  f.year = y;
  f.month = (unsigned)mon;
  f.offset_s = sign * (int)(off / 100 * 3600 + off % 100 * 60);
  if (!date_valid(&f) || !time_valid(&f))
    return false;
  *out = fields_to_ms(&f);
  return true;
}

static int parse_strptime(const char *fmt, const char *s, size_t len, int64_t *out)
{
  if (strcmp(fmt, NGINX_FORMAT) == 0 && parse_nginx(s, len, out))
    return 0;
  char buf[TIME_TEXT_MAX];
  locale_t loc = get_c_locale();
  if (len >= sizeof(buf) || memchr(s, '\0', len) || loc == (locale_t)0)
    return -EINVAL;
  memcpy(buf, s, len);
  buf[len] = '\0';
  struct tm tm = {0};
  tm.tm_mday = 1; /* a format without a day means the first */
  const char *end = strptime_l(buf, fmt, &tm, loc);
  if (!end)
    return -EINVAL;
  while (*end == ' ')
    end++;
  if (*end != '\0')
    return -EINVAL;
  struct fields f = {.year = (int64_t)tm.tm_year + 1900,
                     .month = (unsigned)tm.tm_mon + 1,
                     .day = (unsigned)tm.tm_mday,
                     .hour = (unsigned)tm.tm_hour,
                     .min = (unsigned)tm.tm_min,
                     .sec = (unsigned)tm.tm_sec,
                     .offset_s = (int)tm.tm_gmtoff};
  if (!date_valid(&f) || !time_valid(&f))
    return -EINVAL;
  *out = fields_to_ms(&f);
  return 0;
}

/* --- formats --------------------------------------------------------------- */

/* Conversions that read fields strptime fills in without the time zone.
 * %s is left out on purpose: glibc reads it through the local time zone,
 * and time_format: epoch says the same thing exactly. */
static const char strptime_ok[] = "aAbBcCdDeFhHIjmMnprRStTuUVwWxXyYzZ%";

static int check_strptime(const char *spec, char *err, size_t errlen)
{
  bool any = false;
  for (const char *p = spec; *p; p++) {
    if (*p != '%')
      continue;
    p++;
    if (*p == 'E' || *p == 'O')
      p++;
    if (*p == '\0' || !strchr(strptime_ok, *p)) {
      snprintf(err, errlen, "time format \"%s\": conversion %%%c is not supported", spec,
               *p ? *p : ' ');
      return -EINVAL;
    }
    any = true;
  }
  if (!any) {
    snprintf(err, errlen,
             "unknown time format \"%s\" (expected iso8601, epoch, epoch_ms or a strptime "
             "format such as %%d/%%b/%%Y:%%H:%%M:%%S %%z)",
             spec);
    return -EINVAL;
  }
  return 0;
}

int rcw_timefmt_init(struct rcw_timefmt *tf, const char *spec, char *err, size_t errlen)
{
  tf->kind = RCW_TIME_ISO8601;
  tf->strptime_format = NULL;
  if (!spec || strcmp(spec, "iso8601") == 0)
    return 0;
  if (strcmp(spec, "epoch") == 0) {
    tf->kind = RCW_TIME_EPOCH;
    return 0;
  }
  if (strcmp(spec, "epoch_ms") == 0) {
    tf->kind = RCW_TIME_EPOCH_MS;
    return 0;
  }
  if (strlen(spec) > TIMEFMT_SPEC_MAX) {
    snprintf(err, errlen, "time format longer than %d bytes", TIMEFMT_SPEC_MAX);
    return -EINVAL;
  }
  if (check_strptime(spec, err, errlen) < 0)
    return -EINVAL;
  tf->strptime_format = strdup(spec);
  if (!tf->strptime_format) {
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
  }
  tf->kind = RCW_TIME_STRPTIME;
  return 0;
}

void rcw_timefmt_destroy(struct rcw_timefmt *tf)
{
  if (!tf)
    return;
  free(tf->strptime_format);
  tf->strptime_format = NULL;
  tf->kind = RCW_TIME_ISO8601;
}

#define ISO_MS_AT (ISO_HEAD_LEN + ISO_SEC_LEN) /* where ".fff" starts */

/* Nearly every line: the second of the last one, a separator and three
 * fraction digits, then the same remainder (offset) as the last time
 * read.  All of it is checked here in one pass, with the result
 * parse_iso would give; anything else goes the long way. */
static bool iso_same_second(const struct rcw_time_cache *c, const char *s, size_t len,
                            int64_t *out)
{
  if (!c->valid || !c->sec_valid || !c->tail_valid || len != ISO_MS_AT + 4u + c->tail_len)
    return false;
  if (memcmp(s, c->head, ISO_HEAD_LEN) != 0 ||
      memcmp(s + ISO_HEAD_LEN, c->sec, ISO_SEC_LEN) != 0)
    return false;
  const char *p = s + ISO_MS_AT;
  if ((p[0] != '.' && p[0] != ',') || !is_digit(p[1]) || !is_digit(p[2]) || !is_digit(p[3]))
    return false;
  /* A cached remainder is a valid offset, which never starts with a
   * digit: the fraction has exactly these three. */
  for (size_t i = 0; i < c->tail_len; i++) /* a few bytes: no call to memcmp */
    if (p[4 + i] != c->tail[i])
      return false;
  int64_t ms = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
  *out = c->second_ms - (int64_t)c->tail_offset_s * 1000 + ms;
  return true;
}

/* Out of line: inlined, the registers and stack the long way needs
 * would be paid on the fast path too. */
__attribute__((noinline)) static int parse_cached_slow(const struct rcw_timefmt *tf,
                                                       struct rcw_time_cache *cache,
                                                       const char *s, size_t len, int64_t *out)
{
  if (tf->kind != RCW_TIME_ISO8601 || !s || len == 0)
    return rcw_time_parse(tf, s, len, out);
  return parse_iso(s, len, cache, out);
}

int rcw_time_parse_cached(const struct rcw_timefmt *tf, struct rcw_time_cache *cache,
                          const char *s, size_t len, int64_t *out_ms)
{
  if (tf->kind == RCW_TIME_ISO8601 && s && cache && iso_same_second(cache, s, len, out_ms))
    return 0;
  return parse_cached_slow(tf, cache, s, len, out_ms);
}

int rcw_time_parse(const struct rcw_timefmt *tf, const char *s, size_t len, int64_t *out_ms)
{
  if (!s || len == 0)
    return -EINVAL;
  switch (tf->kind) {
  case RCW_TIME_ISO8601:
    return parse_iso(s, len, NULL, out_ms);
  case RCW_TIME_EPOCH:
    return parse_epoch(s, len, 1000, out_ms);
  case RCW_TIME_EPOCH_MS:
    return parse_epoch(s, len, 1, out_ms);
  case RCW_TIME_STRPTIME:
    return parse_strptime(tf->strptime_format, s, len, out_ms);
  }
  return -EINVAL;
}
