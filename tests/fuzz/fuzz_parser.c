/* libFuzzer target for the parsers layer: any bytes as a log line through
 * the built-in parsers (JIT and interpreter), format detection, the time
 * readers, and user patterns compiled from the input.
 *
 * Build and run from the source tree:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Iparsers -Iconfig tests/fuzz/fuzz_parser.c parsers/[a-z]*.c config/diag.c \
 *     config/catalog*.c -lpcre2-8 -o fuzz_parser
 *   mkdir -p corpus && ./fuzz_parser -max_len=70000 -timeout=5 corpus
 *
 * The first input byte picks what to exercise; the rest is the line (or,
 * for user patterns, "PATTERN\nLINE").  Besides the sanitizers, it checks
 * that every captured field lies inside the line it came from. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "parser.h"
#include "parser_internal.h"
#include "timefmt.h"

#define ALL (RCW_WANT_DESC | RCW_WANT_TS | RCW_WANT_DIMS | RCW_WANT_STATUS)
#define USER_PATTERN_MAX 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static rcw_parser *jit_parsers[3], *interp_parsers[3];
static struct rcw_timefmt formats[4];

static void init_once(void)
{
  static bool done;
  char err[256];
  if (done)
    return;
  done = true;
  for (size_t i = 0; i < 3; i++) {
    jit_parsers[i] = rcw_parser_compile(rcw_builtin_parser(i), NULL);
    rcw_parser_test_disable_jit(true);
    interp_parsers[i] = rcw_parser_compile(rcw_builtin_parser(i), NULL);
    rcw_parser_test_disable_jit(false);
    if (!jit_parsers[i] || !interp_parsers[i])
      abort();
  }
  const char *specs[4] = {"iso8601", "epoch", "epoch_ms", "%d/%b/%Y:%H:%M:%S %z"};
  for (size_t i = 0; i < 4; i++)
    if (rcw_timefmt_init(&formats[i], specs[i], err, sizeof(err)) != 0)
      abort();
}

static void check_field(const struct rcw_field *f, const char *line, size_t len)
{
  if (f->ptr && (f->ptr < line || f->ptr + f->len > line + len))
    abort();
}

static void check_match(const struct rcw_match *m, const char *line, size_t len)
{
  check_field(&m->code, line, len);
  check_field(&m->status, line, len);
  check_field(&m->desc, line, len);
  check_field(&m->ts, line, len);
  for (size_t i = 0; i < RCW_MAX_DIMENSIONS; i++)
    check_field(&m->dims[i], line, len);
}

static void read_time(const struct rcw_timefmt *tf, const char *s, size_t len)
{
  int64_t ms;
  char iso[RCW_TIME_ISO_LEN];
  if (rcw_time_parse(tf, s, len, &ms) == 0)
    rcw_time_format_iso(ms, iso);
}

static void match_all(rcw_parser *const *ps, const char *line, size_t len)
{
  struct rcw_match m;
  for (size_t i = 0; i < 3; i++) {
    if (rcw_parser_match(ps[i], line, len, 0, &m) != RCW_MATCH_OK)
      continue;
    if (m.pattern_index < 0)
      abort();
    rcw_parser_fill(ps[i], line, len, ALL, &m);
    check_match(&m, line, len);
    if (m.ts.ptr)
      read_time(rcw_parser_timefmt(ps[i]), m.ts.ptr, m.ts.len);
  }
}

static void user_pattern(const char *data, size_t size)
{
  const char *nl = memchr(data, '\n', size);
  size_t plen = nl ? (size_t)(nl - data) : size;
  if (plen > USER_PATTERN_MAX)
    return;
  char regex[USER_PATTERN_MAX + 1];
  memcpy(regex, data, plen);
  regex[plen] = '\0';
  struct rcw_pattern_spec pat = {.regex = regex, .loc = {"fuzz.yaml", 1, 1}};
  struct rcw_field_spec field = {.name = "desc", .regex = regex, .loc = {"fuzz.yaml", 2, 1}};
  struct rcw_parser_spec spec = {.name = "fuzz", .loc = {"fuzz.yaml", 1, 1},
                                 .patterns = &pat, .npatterns = 1,
                                 .fields = &field, .nfields = 1};
  rcw_diags *d = rcw_diags_new();
  rcw_parser *p = rcw_parser_compile(&spec, d);
  spec.nfields = 0;
  if (!p)
    p = rcw_parser_compile(&spec, d);
  if (p) {
    const char *line = nl ? nl + 1 : "";
    size_t len = nl ? size - plen - 1 : 0;
    struct rcw_match m;
    if (rcw_parser_match(p, line, len, ALL, &m) == RCW_MATCH_OK)
      check_match(&m, line, len);
    rcw_parser_free(p);
  }
  rcw_diags_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  init_once();
  if (size < 1 || size - 1 > RCW_LINE_MAX)
    return 0;
  const char *line = (const char *)data + 1;
  size_t len = size - 1;
  switch (data[0] % 4) {
  case 0:
    match_all(jit_parsers, line, len);
    break;
  case 1:
    match_all(interp_parsers, line, len);
    break;
  case 2:
    rcw_detect_parser(jit_parsers, 3, line, len);
    break;
  default:
    user_pattern(line, len);
    break;
  }
  for (size_t i = 0; i < 4; i++)
    read_time(&formats[i], line, len < 64 ? len : 64);
  return 0;
}
