#include "ingest.h"

#include <string.h>

#include "parser_internal.h"
#include "timefmt.h"

void rcw_ingest_init(struct rcw_ingest *in, rcw_parser *parser, rcw_catalog *catalog,
                     struct rcw_tally *tally, const struct rcw_ingest_hooks *hooks)
{
  memset(in, 0, sizeof(*in));
  in->parser = parser;
  in->catalog = catalog;
  in->tally = tally;
  if (hooks)
    in->hooks = *hooks;
  rcw_ingest_set_parser(in, parser);
}

void rcw_ingest_set_parser(struct rcw_ingest *in, rcw_parser *parser)
{
  in->parser = parser;
  bool at_start = parser && rcw_parser_ts_iso_at_start(parser);
  in->match_mask = at_start ? ~(unsigned)RCW_WANT_TS : ~0u;
  in->ts_sec_ok = false;
}

static enum rcw_line_result unmatched(struct rcw_ingest *in, enum rcw_line_result r)
{
  in->tally->lines_unmatched++;
  if (r == RCW_LINE_TOO_LONG)
    in->tally->unmatched_too_long++;
  else if (r == RCW_LINE_LIMIT)
    in->tally->unmatched_limit++;
  return r;
}

/* An HTTP status as captured: 1 to 3 digits, else -1. */
static int parse_status(const struct rcw_field *f)
{
  if (!f->ptr || f->len == 0 || f->len > 3)
    return -1;
  int v = 0;
  for (size_t i = 0; i < f->len; i++) {
    unsigned d = (unsigned char)f->ptr[i] - '0';
    if (d > 9)
      return -1;
    v = v * 10 + (int)d;
  }
  return v;
}

/* Whether the code of entry has several meanings, so the description
 * decides between them. */
static bool several_meanings(struct rcw_ingest *in, uint32_t entry, const struct rcw_field *code)
{
  if (entry >= RCW_INGEST_MEANINGS_CACHED)
    return rcw_catalog_needs_desc(in->catalog, code->ptr, code->len);
  if (!in->meanings[entry])
    in->meanings[entry] = rcw_catalog_needs_desc(in->catalog, code->ptr, code->len) ? 2 : 1;
  return in->meanings[entry] == 2;
}

/* Classify by code alone first: for a code with several meanings that
 * gives its fallback entry, and only then is the description fetched
 * (perhaps a second regex) and the code classified again with it. */
static uint32_t classify_code(struct rcw_ingest *in, const char *line, size_t len,
                              struct rcw_match *m)
{
  const struct rcw_field *code = &m->code;
  bool is_new = false;
  uint32_t entry = rcw_catalog_classify(in->catalog, code->ptr, code->len, m->desc.ptr,
                                        m->desc.len, &is_new);
  if (entry == RCW_ENTRY_NONE)
    return entry;
  if (!m->desc.ptr && several_meanings(in, entry, code)) {
    rcw_parser_fill(in->parser, line, len, RCW_WANT_DESC, m);
    if (m->desc.ptr)
      entry = rcw_catalog_classify(in->catalog, code->ptr, code->len, m->desc.ptr,
                                   m->desc.len, NULL);
  }
  if (is_new) {
    in->new_codes++;
    if (in->hooks.on_new_code)
      in->hooks.on_new_code(in->hooks.ctx, entry);
  }
  return entry;
}

/* The catalog entry of a matched line, or RCW_ENTRY_NONE when the line
 * carries neither a usable code nor a server-error status. */
static uint32_t classify(struct rcw_ingest *in, const char *line, size_t len,
                         struct rcw_match *m)
{
  if (m->code.ptr) {
    uint32_t entry = classify_code(in, line, len, m);
    if (entry != RCW_ENTRY_NONE)
      return entry;
    /* An unusable code (over-long) counts as no code; parsers leave the
     * status out when a code matched, so fetch it now. */
    if (!m->status.ptr)
      rcw_parser_fill(in->parser, line, len, RCW_WANT_STATUS, m);
  }
  int status = parse_status(&m->status);
  if (status >= 500)
    return rcw_catalog_classify_status(in->catalog, status);
  return RCW_ENTRY_NONE;
}

/* "2026-03-14 07:00:00,003": the remembered text, then three digits. */
#define TS_COMMON_LEN (RCW_INGEST_TS_SEC_LEN + 3)

/* Whether a and b share their first RCW_INGEST_TS_SEC_LEN bytes: three
 * overlapping 8-byte loads, as a call to memcmp would cost more than the
 * comparison. */
static inline bool same_sec_text(const char *a, const char *b)
{
  uint64_t x[3], y[3];
  memcpy(&x[0], a, 8);
  memcpy(&x[1], a + 8, 8);
  memcpy(&x[2], a + RCW_INGEST_TS_SEC_LEN - 8, 8);
  memcpy(&y[0], b, 8);
  memcpy(&y[1], b + 8, 8);
  memcpy(&y[2], b + RCW_INGEST_TS_SEC_LEN - 8, 8);
  return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2])) == 0;
}

/* The bytes that may not follow a three-digit fraction for the ts to end
 * there: a fourth digit, or an offset. */
static const bool ts_goes_on[256] = {
    ['0'] = true, ['1'] = true, ['2'] = true, ['3'] = true, ['4'] = true, ['5'] = true,
    ['6'] = true, ['7'] = true, ['8'] = true, ['9'] = true, ['Z'] = true, ['+'] = true,
    ['-'] = true,
};

/* After the separator: exactly three digits, then neither a digit nor
 * the start of an offset.  The fraction, or -1.  Branch-free: on every
 * line it costs less than the early exits would save. */
static inline int three_digits_end(const char *p)
{
  unsigned d0 = (unsigned char)(p[0] - '0'), d1 = (unsigned char)(p[1] - '0');
  unsigned d2 = (unsigned char)(p[2] - '0');
  bool bad = (d0 > 9) | (d1 > 9) | (d2 > 9) | ts_goes_on[(unsigned char)p[3]];
  return bad ? -1 : (int)(d0 * 100 + d1 * 10 + d2);
}

/* The fraction of a line starting with a second in the common shape, a
 * separator and exactly three digits not followed by a digit or an offset:
 * the ts the parser would take is those 23 bytes, read as UTC.  -1 when
 * the line does not have that shape. */
static inline int common_ms(const char *line, size_t len)
{
  if (len <= TS_COMMON_LEN)
    return -1;
  char sep = line[RCW_INGEST_TS_SEC_LEN - 1];
  if (sep != '.' && sep != ',')
    return -1;
  return three_digits_end(line + RCW_INGEST_TS_SEC_LEN);
}

/* Nearly every line of a Logback log: the second of the last line read,
 * so its ts and time come without the parser or the calendar. */
static bool ts_same_second(struct rcw_ingest *in, const char *line, size_t len,
                           struct rcw_match *m, int64_t *out)
{
  /* The separator is compared with the second: it is the last one's. */
  if (!in->ts_sec_ok || len <= TS_COMMON_LEN || !same_sec_text(line, in->ts_sec))
    return false;
  int ms = three_digits_end(line + RCW_INGEST_TS_SEC_LEN);
  if (ms < 0)
    return false;
  m->ts = (struct rcw_field){line, TS_COMMON_LEN};
  *out = in->ts_sec_ms + ms;
  return true;
}

/* The ts the parser left out (see rcw_ingest_line), read the long way;
 * a time in the common shape is remembered for ts_same_second. */
__attribute__((noinline)) static bool ts_at_start_slow(struct rcw_ingest *in, const char *line,
                                                       size_t len, struct rcw_match *m,
                                                       int64_t *out)
{
  rcw_parser_fill(in->parser, line, len, RCW_WANT_TS, m);
  if (!m->ts.ptr || rcw_time_parse_cached(rcw_parser_timefmt(in->parser), &in->time_cache,
                                          m->ts.ptr, m->ts.len, out) != 0)
    return false;
  int ms = common_ms(line, len);
  in->ts_sec_ok = m->ts.ptr == line && m->ts.len == TS_COMMON_LEN && ms >= 0;
  if (in->ts_sec_ok) {
    memcpy(in->ts_sec, line, RCW_INGEST_TS_SEC_LEN);
    in->ts_sec_ms = *out - ms;
  }
  return true;
}

static bool event_time(struct rcw_ingest *in, const char *line, size_t len,
                       struct rcw_match *m, int64_t *out)
{
  if (!(in->match_mask & RCW_WANT_TS) && !m->ts.ptr)
    return ts_same_second(in, line, len, m, out) || ts_at_start_slow(in, line, len, m, out);
  return m->ts.ptr && rcw_time_parse_cached(rcw_parser_timefmt(in->parser), &in->time_cache,
                                            m->ts.ptr, m->ts.len, out) == 0;
}

static void notify(struct rcw_ingest *in, uint32_t entry, const char *line, size_t len,
                   struct rcw_match *m)
{
  struct rcw_event ev = {.entry = entry, .match = m, .line = line, .len = len};
  if (in->hooks.want & RCW_WANT_TS) {
    ev.has_time = event_time(in, line, len, m, &ev.time_ms);
    if (!ev.has_time)
      in->bad_times++;
  }
  in->hooks.on_event(in->hooks.ctx, &ev);
}

enum rcw_line_result rcw_ingest_line(struct rcw_ingest *in, const char *line, size_t len,
                                     bool too_long)
{
  in->tally->lines_total++;
  if (too_long)
    return unmatched(in, RCW_LINE_TOO_LONG);
  if (!in->parser)
    return unmatched(in, RCW_LINE_NO_MATCH);
  struct rcw_match m;
  /* A ts at the start of the line is taken in notify, after the line
   * proved to be a request: mostly without the parser (ts_same_second). */
  enum rcw_match_result r =
      rcw_parser_match(in->parser, line, len, in->hooks.want & in->match_mask, &m);
  if (r == RCW_MATCH_LIMIT)
    return unmatched(in, RCW_LINE_LIMIT);
  if (r != RCW_MATCH_OK)
    return unmatched(in, RCW_LINE_NO_MATCH);
  uint32_t entry = classify(in, line, len, &m);
  if (entry == RCW_ENTRY_NONE)
    return unmatched(in, RCW_LINE_NO_CODE);
  if (rcw_tally_count(in->tally, entry, 1) < 0) {
    in->errors++;
    return unmatched(in, RCW_LINE_ERROR);
  }
  in->tally->lines_matched++;
  if (in->hooks.on_event)
    notify(in, entry, line, len, &m);
  return RCW_LINE_REQUEST;
}

void rcw_ingest_line_cb(void *ctx, const char *line, size_t len, bool too_long)
{
  rcw_ingest_line(ctx, line, len, too_long);
}

const char *rcw_line_result_reason(enum rcw_line_result r)
{
  switch (r) {
  case RCW_LINE_REQUEST:
    return "counted";
  case RCW_LINE_NO_MATCH:
    return "no pattern matched";
  case RCW_LINE_TOO_LONG:
    return "longer than 64 KiB";
  case RCW_LINE_LIMIT:
    return "regex match limit hit";
  case RCW_LINE_NO_CODE:
    return "no response code and no 5xx status";
  case RCW_LINE_ERROR:
    return "out of memory";
  }
  return "unknown";
}
