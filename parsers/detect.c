/* detect — which parser fits a log, judged on its first lines.
 *
 * A parser scores a line when it matches with a code or a status, the same
 * test the counting path applies, so the winner is the parser that would
 * count the most of the sample. */
#include <string.h>

#include "parser.h"
#include "parser_internal.h"

/* Enough lines to outvote a few odd ones, few enough to stay instant. */
#define DETECT_SAMPLE_LINES 50

struct sample {
  const char *s;
  size_t len, pos;
  size_t taken;
};

/* The next non-empty line (without its '\r'), at most DETECT_SAMPLE_LINES. */
static bool next_line(struct sample *sm, const char **line, size_t *len)
{
  while (sm->pos < sm->len && sm->taken < DETECT_SAMPLE_LINES) {
    const char *start = sm->s + sm->pos;
    const char *nl = memchr(start, '\n', sm->len - sm->pos);
    size_t n = nl ? (size_t)(nl - start) : sm->len - sm->pos;
    sm->pos += n + (nl ? 1 : 0);
    n = rcw_line_strip_cr(start, n);
    if (n == 0)
      continue;
    sm->taken++;
    *line = start;
    *len = n;
    return true;
  }
  return false;
}

static size_t score(rcw_parser *p, const char *sample, size_t len)
{
  struct sample sm = {sample, len, 0, 0};
  const char *line;
  size_t n, hits = 0;
  struct rcw_match m;
  while (next_line(&sm, &line, &n)) {
    if (n > RCW_LINE_MAX)
      continue; /* counted as unmatched whatever the parser */
    if (rcw_parser_match(p, line, n, 0, &m) == RCW_MATCH_OK && (m.code.ptr || m.status.ptr))
      hits++;
  }
  return hits;
}

int rcw_detect_parser(rcw_parser *const *parsers, size_t nparsers, const char *sample,
                      size_t len)
{
  int best = -1;
  size_t best_hits = 0;
  if (!sample)
    return -1;
  for (size_t i = 0; i < nparsers; i++) {
    size_t hits = parsers[i] ? score(parsers[i], sample, len) : 0;
    if (hits > best_hits) {
      best = (int)i;
      best_hits = hits;
    }
  }
  return best;
}
