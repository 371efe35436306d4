/* parser_selftest — runs a parser's `tests:` (sample lines with what they
 * should yield), so `rcwatch check` catches a pattern that does not do what
 * its author meant before it miscounts a day of logs.
 *
 * The category is worked out the way the counting path does it: the code
 * classified by the catalog, the description fetched only when the code
 * needs it, a code-less 5xx as transport.  Classifying a code the catalog
 * does not know adds it as an unknown entry, as counting would. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "parser.h"
#include "parser_internal.h"

/* Captured text quoted in a diagnostic is cut to this many bytes. */
#define QUOTE_MAX 64

struct one {
  rcw_parser *p;
  const struct rcw_parser_spec *spec;
  const struct rcw_parser_test *t;
  size_t index;
  struct rcw_diags *d;
  int failures;
};

static void __attribute__((format(printf, 2, 3))) fail(struct one *o, const char *fmt, ...)
{
  char what[48];
  char *msg = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&msg, fmt, ap);
  va_end(ap);
  snprintf(what, sizeof(what), "tests[%zu]", o->index);
  rcw_parser_diag(o->d, o->spec, &o->t->loc, o->t->loc.column, what,
                  n >= 0 && msg ? msg : "out of memory");
  if (n >= 0)
    free(msg);
  o->failures++;
}

static int quote_len(const struct rcw_field *f)
{
  return (int)(f->len < QUOTE_MAX ? f->len : QUOTE_MAX);
}

static bool field_is(const struct rcw_field *f, const char *want)
{
  return f->ptr && f->len == strlen(want) && memcmp(f->ptr, want, f->len) == 0;
}

static void check_field(struct one *o, const char *name, const struct rcw_field *got,
                        const char *want)
{
  if (!want || field_is(got, want))
    return;
  if (got->ptr)
    fail(o, "expected %s %s, got %.*s", name, want, quote_len(got), got->ptr);
  else
    fail(o, "expected %s %s, got none", name, want);
}

/* 0 when the field is not a three-digit status. */
static int status_value(const struct rcw_field *f)
{
  if (!f->ptr || f->len != 3)
    return 0;
  int v = 0;
  for (size_t i = 0; i < 3; i++) {
    if (f->ptr[i] < '0' || f->ptr[i] > '9')
      return 0;
    v = v * 10 + (f->ptr[i] - '0');
  }
  return v;
}

static const char *category_of(struct one *o, rcw_catalog *c, const char *line, size_t len,
                               struct rcw_match *m)
{
  uint32_t e = RCW_ENTRY_NONE;
  int status = status_value(&m->status);
  if (m->code.ptr) {
    if (rcw_catalog_needs_desc(c, m->code.ptr, m->code.len))
      rcw_parser_fill(o->p, line, len, RCW_WANT_DESC, m);
    e = rcw_catalog_classify(c, m->code.ptr, m->code.len, m->desc.ptr, m->desc.len, NULL);
  } else if (status >= 500) {
    e = rcw_catalog_classify_status(c, status);
  }
  const struct rcw_entry *ent = e == RCW_ENTRY_NONE ? NULL : rcw_catalog_entry(c, e);
  const struct rcw_category *cat = ent ? rcw_catalog_category(c, ent->category) : NULL;
  return cat ? cat->name : "none";
}

static void run_one(struct one *o, rcw_catalog *catalog)
{
  const struct rcw_parser_test *t = o->t;
  const char *line = t->line ? t->line : "";
  size_t len = strlen(line);
  struct rcw_match m;
  enum rcw_match_result r =
    rcw_parser_match(o->p, line, len, t->status ? RCW_WANT_STATUS : 0, &m);
  bool hit = r == RCW_MATCH_OK && (m.code.ptr || m.status.ptr);
  if (!t->matched) {
    if (hit)
      fail(o, "expected no match, but patterns[%d] matched", m.pattern_index);
    return;
  }
  if (!hit) {
    if (r == RCW_MATCH_LIMIT)
      fail(o, "hit the regex match limit");
    else if (r == RCW_MATCH_OK)
      fail(o, "patterns[%d] matched but captured neither a code nor a status",
           m.pattern_index);
    else
      fail(o, "did not match any pattern");
    return;
  }
  check_field(o, "code", &m.code, t->code);
  check_field(o, "status", &m.status, t->status);
  if (catalog && t->category) {
    const char *got = category_of(o, catalog, line, len, &m);
    if (strcmp(got, t->category) != 0)
      fail(o, "expected category %s, got %s", t->category, got);
  }
}

int rcw_parser_run_tests(rcw_parser *p, const struct rcw_parser_spec *spec,
                         struct rcw_catalog *catalog, struct rcw_diags *d)
{
  int failed = 0;
  for (size_t i = 0; i < spec->ntests; i++) {
    struct one o = {p, spec, &spec->tests[i], i, d, 0};
    run_one(&o, catalog);
    failed += o.failures > 0;
  }
  return failed;
}
