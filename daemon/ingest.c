#include "ingest.h"

#include <string.h>

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
}

void rcw_ingest_set_parser(struct rcw_ingest *in, rcw_parser *parser)
{
  in->parser = parser;
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

static void notify(struct rcw_ingest *in, uint32_t entry, const char *line, size_t len,
                   const struct rcw_match *m)
{
  struct rcw_event ev = {.entry = entry, .match = m, .line = line, .len = len};
  if ((in->hooks.want & RCW_WANT_TS) && m->ts.ptr) {
    const struct rcw_timefmt *tf = rcw_parser_timefmt(in->parser);
    ev.has_time =
        rcw_time_parse_cached(tf, &in->time_cache, m->ts.ptr, m->ts.len, &ev.time_ms) == 0;
  }
  if ((in->hooks.want & RCW_WANT_TS) && !ev.has_time)
    in->bad_times++;
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
  enum rcw_match_result r = rcw_parser_match(in->parser, line, len, in->hooks.want, &m);
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
