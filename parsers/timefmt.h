/* timefmt — event times read from log lines, in milliseconds since the
 * Unix epoch (UTC), the one time unit used inside rcwatch.
 *
 * Formats: "iso8601" (2026-03-14T09:12:44.512+02:00, also with a space
 * instead of T, a comma before the fraction, Z or ±HH[:MM], or no offset,
 * which is read as UTC), "epoch" (seconds, optional fraction), "epoch_ms",
 * or any strptime(3) format such as nginx's "%d/%b/%Y:%H:%M:%S %z"
 * (C locale month names).  Never logs. */
#ifndef RCW_TIMEFMT_H
#define RCW_TIMEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rcw_timefmt_kind { RCW_TIME_ISO8601, RCW_TIME_EPOCH, RCW_TIME_EPOCH_MS, RCW_TIME_STRPTIME };

struct rcw_timefmt {
  enum rcw_timefmt_kind kind;
  char *strptime_format; /* owned, only for RCW_TIME_STRPTIME */
};

/* Parse a time_format value.  0, or -EINVAL with a message in err. */
int rcw_timefmt_init(struct rcw_timefmt *tf, const char *spec, char *err, size_t errlen);
void rcw_timefmt_destroy(struct rcw_timefmt *tf);

/* Read a time from s[0..len) (not NUL-terminated).  0 and *out_ms, or
 * -EINVAL when the text does not fit the format. */
int rcw_time_parse(const struct rcw_timefmt *tf, const char *s, size_t len, int64_t *out_ms);

/* The minute of the last ISO 8601 time read, so that the lines of one
 * minute, nearly every line after the first, skip the calendar: their
 * first 16 bytes ("2026-03-14T09:12") are compared instead of read.
 * Belongs to whoever reads times one after another (an ingest); all
 * zero is empty.  Any order of times is fine: a different minute simply
 * replaces it. */
struct rcw_time_cache {
  bool valid;
  char head[16];
  int64_t minute_ms; /* head's minute, before any offset */
  /* The second within that minute (":SS", bytes 16..18) and the offset
   * text after the fraction, so a line in the same second as the last
   * one reads only its fraction. */
  bool sec_valid, tail_valid;
  char sec[3];
  unsigned sec_value;
  int64_t second_ms; /* minute_ms + sec_value seconds */
  unsigned char tail_len;
  char tail[8];
  int tail_offset_s;
};

/* rcw_time_parse, with cache (may be NULL) remembering the last minute:
 * the same result for the same text, whatever the cache holds. */
int rcw_time_parse_cached(const struct rcw_timefmt *tf, struct rcw_time_cache *cache,
                          const char *s, size_t len, int64_t *out_ms);

/* Write "2026-12-04T10:00:00.000Z" (24 chars + NUL) into out. */
#define RCW_TIME_ISO_LEN 32
void rcw_time_format_iso(int64_t ms, char out[RCW_TIME_ISO_LEN]);

/* Days since 1970-01-01 for a proleptic Gregorian date (no libc, no TZ). */
int64_t rcw_days_from_civil(int64_t year, unsigned month, unsigned day);

#endif
