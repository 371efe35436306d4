/* promtext — Prometheus text exposition: registry and renderer. */
#include "promtext.h"
#include "utf8.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A series is one line of its family's text: the key (name and label
 * set) sorts and deduplicates it; seq keeps the first of equal keys. */
struct series {
  size_t off;
  size_t key_len;
  size_t line_len;
  size_t seq;
};

struct family {
  char *name;
  char *help;
  enum rcw_prom_type type;
  char *labels[RCW_PROMTEXT_MAX_LABELS];
  size_t nlabels;
  struct rcw_buf text; /* the series' lines, in the order added */
  struct series *series;
  size_t nseries, series_cap;
  bool sorted; /* series sorted and deduplicated since the last sample */
};

/* Family slots survive reset() with their buffers, so a registry filled
 * every second stops allocating once it has seen its largest round. */
struct rcw_promtext {
  size_t max_series;
  struct family *fam;
  size_t nfam, fam_cap;
  struct family *cur; /* selected by family(); NULL after an error */
  uint64_t dropped;
};

static const char *const type_names[] = {"counter", "gauge", "untyped"};

/* --- names, escaping and values ------------------------------------------ */

static bool name_char(char c, bool first, bool colon)
{
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
    return true;
  if (colon && c == ':')
    return true;
  return !first && c >= '0' && c <= '9';
}

static bool name_ok(const char *s, bool colon)
{
  if (!s || !*s)
    return false;
  for (size_t i = 0; s[i]; i++)
    if (!name_char(s[i], i == 0, colon))
      return false;
  return true;
}

bool rcw_promtext_metric_name_ok(const char *name)
{
  return name_ok(name, true);
}

bool rcw_promtext_label_name_ok(const char *name)
{
  return name_ok(name, false) && strncmp(name, "__", 2) != 0;
}

static bool plain_ascii(unsigned char c, bool quote)
{
  return c < 0x80 && c != '\\' && c != '\n' && !(quote && c == '"');
}

/* Escape s for a label value (quote too) or HELP text, reading at most
 * cap bytes and never cutting a character in two. */
static void escape(struct rcw_buf *b, const char *s, bool quote, size_t cap)
{
  const unsigned char *u = (const unsigned char *)(s ? s : "");
  size_t n = strlen((const char *)u);
  for (size_t i = 0; i < n;) {
    /* Plain ASCII, the common case, is copied a run at a time. */
    size_t run = 0;
    while (i + run < n && i + run < cap && plain_ascii(u[i + run], quote))
      run++;
    rcw_buf_append(b, u + i, run);
    i += run;
    if (i >= n || i >= cap)
      break;
    size_t len = rcw_utf8_decode(u + i, n - i, NULL);
    if (i + (len ? len : 1) > cap)
      break;
    if (len == 0)
      rcw_buf_puts(b, "\xEF\xBF\xBD");
    else if (u[i] == '\\')
      rcw_buf_puts(b, "\\\\");
    else if (u[i] == '\n')
      rcw_buf_puts(b, "\\n");
    else if (u[i] == '"' && quote)
      rcw_buf_puts(b, "\\\"");
    else
      rcw_buf_append(b, u + i, len);
    i += len ? len : 1;
  }
}

void rcw_promtext_label_value(struct rcw_buf *b, const char *s)
{
  escape(b, s, true, RCW_PROMTEXT_MAX_LABEL_VALUE);
}

void rcw_promtext_help_text(struct rcw_buf *b, const char *s)
{
  escape(b, s, false, SIZE_MAX);
}

/* 2^53: every integer below it is exact in a double. */
#define EXACT_INT_LIMIT 9007199254740992.0

void rcw_promtext_format_double(double v, char *out)
{
  if (isnan(v)) {
    strcpy(out, "NaN");
  } else if (isinf(v)) {
    strcpy(out, v > 0 ? "+Inf" : "-Inf");
  } else if (v == floor(v) && fabs(v) < EXACT_INT_LIMIT) {
    snprintf(out, RCW_PROMTEXT_VALUE_MAX, "%.0f", v == 0 ? 0.0 : v);
  } else {
    /* Any decimal of up to 15 digits survives a round trip through a
     * double, so %.15g is already the shortest when it reads back. */
    for (int prec = 15; prec <= 17; prec++) {
      snprintf(out, RCW_PROMTEXT_VALUE_MAX, "%.*g", prec, v);
      if (strtod(out, NULL) == v)
        break;
    }
  }
}

void rcw_promtext_format_u64(uint64_t v, char *out)
{
  snprintf(out, RCW_PROMTEXT_VALUE_MAX, "%" PRIu64, v);
}

/* --- the registry ---------------------------------------------------------- */

int rcw_promtext_new(size_t max_series, rcw_promtext **out)
{
  rcw_promtext *p = calloc(1, sizeof(*p));
  if (!p)
    return -ENOMEM;
  p->max_series = max_series ? max_series : 1;
  *out = p;
  return 0;
}

static void family_clear(struct family *f)
{
  free(f->name);
  free(f->help);
  for (size_t i = 0; i < f->nlabels; i++)
    free(f->labels[i]);
  f->name = f->help = NULL;
  f->nlabels = 0;
  f->nseries = 0;
  f->sorted = true;
  rcw_buf_reset(&f->text);
}

void rcw_promtext_reset(rcw_promtext *p)
{
  for (size_t i = 0; i < p->nfam; i++)
    family_clear(&p->fam[i]);
  p->nfam = 0;
  p->cur = NULL;
  p->dropped = 0;
}

void rcw_promtext_free(rcw_promtext *p)
{
  if (!p)
    return;
  rcw_promtext_reset(p);
  for (size_t i = 0; i < p->fam_cap; i++) {
    rcw_buf_free(&p->fam[i].text);
    free(p->fam[i].series);
  }
  free(p->fam);
  free(p);
}

static struct family *family_find(rcw_promtext *p, const char *name)
{
  for (size_t i = 0; i < p->nfam; i++)
    if (strcmp(p->fam[i].name, name) == 0)
      return &p->fam[i];
  return NULL;
}

static int labels_check(const char *const *labels, size_t nlabels)
{
  if (nlabels > RCW_PROMTEXT_MAX_LABELS)
    return -EINVAL;
  for (size_t i = 0; i < nlabels; i++) {
    if (!rcw_promtext_label_name_ok(labels[i]))
      return -EINVAL;
    for (size_t j = 0; j < i; j++)
      if (strcmp(labels[i], labels[j]) == 0)
        return -EINVAL;
  }
  return 0;
}

static bool family_same(const struct family *f, enum rcw_prom_type type,
                        const char *const *labels, size_t nlabels)
{
  if (f->type != type || f->nlabels != nlabels)
    return false;
  for (size_t i = 0; i < nlabels; i++)
    if (strcmp(f->labels[i], labels[i]) != 0)
      return false;
  return true;
}

/* A slot for a new family, its buffers kept from an earlier round. */
static struct family *family_slot(rcw_promtext *p)
{
  if (p->nfam == p->fam_cap) {
    size_t cap = p->fam_cap ? 2 * p->fam_cap : 16;
    struct family *fam = realloc(p->fam, cap * sizeof(*fam));
    if (!fam)
      return NULL;
    for (size_t i = p->fam_cap; i < cap; i++)
      fam[i] = (struct family){.text = RCW_BUF_INIT, .sorted = true};
    p->fam = fam;
    p->fam_cap = cap;
  }
  return &p->fam[p->nfam];
}

static int family_declare(rcw_promtext *p, const char *name, enum rcw_prom_type type,
                          const char *help, const char *const *labels, size_t nlabels)
{
  if (p->nfam == RCW_PROMTEXT_MAX_FAMILIES)
    return -E2BIG;
  struct family *f = family_slot(p);
  if (!f)
    return -ENOMEM;
  f->type = type;
  f->name = strdup(name);
  f->help = help ? strdup(help) : NULL;
  bool ok = f->name && (!help || f->help);
  for (; ok && f->nlabels < nlabels; f->nlabels++)
    ok = (f->labels[f->nlabels] = strdup(labels[f->nlabels])) != NULL;
  if (!ok) {
    family_clear(f);
    return -ENOMEM;
  }
  p->nfam++;
  p->cur = f;
  return 0;
}

int rcw_promtext_family(rcw_promtext *p, const char *name, enum rcw_prom_type type,
                        const char *help, const char *const *labels, size_t nlabels)
{
  p->cur = NULL;
  if (!rcw_promtext_metric_name_ok(name) || (unsigned)type > RCW_PROM_UNTYPED)
    return -EINVAL;
  int r = labels_check(labels, nlabels);
  if (r < 0)
    return r;
  struct family *f = family_find(p, name);
  if (f) {
    if (!family_same(f, type, labels, nlabels))
      return -EEXIST;
    p->cur = f;
    return 0;
  }
  return family_declare(p, name, type, help, labels, nlabels);
}

/* Write "name{a="x",b="y"}" and return its length, or 0 on failure. */
static size_t write_key(struct rcw_buf *b, const struct family *f, const char *const *values)
{
  size_t start = b->len;
  rcw_buf_puts(b, f->name);
  for (size_t i = 0; i < f->nlabels; i++) {
    rcw_buf_putc(b, i == 0 ? '{' : ',');
    rcw_buf_puts(b, f->labels[i]);
    rcw_buf_puts(b, "=\"");
    rcw_promtext_label_value(b, values ? values[i] : NULL);
    rcw_buf_putc(b, '"');
  }
  if (f->nlabels > 0)
    rcw_buf_putc(b, '}');
  return b->oom ? 0 : b->len - start;
}

static int add_series(rcw_promtext *p, const char *const *values, const char *value)
{
  struct family *f = p->cur;
  if (!f)
    return -EINVAL;
  if (f->nseries == p->max_series) {
    p->dropped++;
    return -E2BIG;
  }
  if (f->nseries == f->series_cap) {
    size_t cap = f->series_cap ? 2 * f->series_cap : 16;
    cap = cap < p->max_series ? cap : p->max_series;
    struct series *s = realloc(f->series, cap * sizeof(*s));
    if (!s)
      return -ENOMEM;
    f->series = s;
    f->series_cap = cap;
  }
  size_t off = f->text.len;
  size_t key_len = write_key(&f->text, f, values);
  rcw_buf_putc(&f->text, ' ');
  rcw_buf_puts(&f->text, value);
  rcw_buf_putc(&f->text, '\n');
  if (f->text.oom || key_len == 0)
    return -ENOMEM;
  f->series[f->nseries] = (struct series){off, key_len, f->text.len - off, f->nseries};
  f->nseries++;
  f->sorted = false;
  return 0;
}

int rcw_promtext_sample(rcw_promtext *p, const char *const *values, double v)
{
  char text[RCW_PROMTEXT_VALUE_MAX];
  rcw_promtext_format_double(v, text);
  return add_series(p, values, text);
}

int rcw_promtext_sample_u64(rcw_promtext *p, const char *const *values, uint64_t v)
{
  char text[RCW_PROMTEXT_VALUE_MAX];
  rcw_promtext_format_u64(v, text);
  return add_series(p, values, text);
}

uint64_t rcw_promtext_dropped(const rcw_promtext *p)
{
  return p->dropped;
}

/* --- rendering ------------------------------------------------------------- */

/* By key, then by order added: qsort is not stable, and the first of
 * equal keys is the one kept. */
static int series_cmp(const void *a, const void *b, void *arg)
{
  const struct series *x = a, *y = b;
  const char *sort_text = arg;
  size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
  int c = memcmp(sort_text + x->off, sort_text + y->off, n);
  if (c == 0 && x->key_len != y->key_len)
    c = x->key_len < y->key_len ? -1 : 1;
  if (c == 0)
    c = x->seq < y->seq ? -1 : x->seq > y->seq;
  return c;
}

static bool same_key(const char *text, const struct series *x, const struct series *y)
{
  return x->key_len == y->key_len && memcmp(text + x->off, text + y->off, x->key_len) == 0;
}

/* Sort the series by key and drop all but the first of equal keys. */
static void family_sort(rcw_promtext *p, struct family *f)
{
  if (f->sorted)
    return;
  qsort_r(f->series, f->nseries, sizeof(*f->series), series_cmp, f->text.data);
  size_t kept = 0;
  for (size_t i = 0; i < f->nseries; i++) {
    if (kept > 0 && same_key(f->text.data, &f->series[kept - 1], &f->series[i]))
      p->dropped++;
    else
      f->series[kept++] = f->series[i];
  }
  f->nseries = kept;
  f->sorted = true;
}

static void family_render(const struct family *f, struct rcw_buf *out)
{
  if (f->help) {
    rcw_buf_printf(out, "# HELP %s ", f->name);
    rcw_promtext_help_text(out, f->help);
    rcw_buf_putc(out, '\n');
  }
  rcw_buf_printf(out, "# TYPE %s %s\n", f->name, type_names[f->type]);
  for (size_t i = 0; i < f->nseries; i++)
    rcw_buf_append(out, f->text.data + f->series[i].off, f->series[i].line_len);
}

static int family_name_cmp(const void *a, const void *b)
{
  const struct family *const *x = a, *const *y = b;
  return strcmp((*x)->name, (*y)->name);
}

void rcw_promtext_sort(rcw_promtext *p)
{
  for (size_t i = 0; i < p->nfam; i++)
    family_sort(p, &p->fam[i]);
}

int rcw_promtext_render(rcw_promtext *p, struct rcw_buf *out)
{
  struct family *order[RCW_PROMTEXT_MAX_FAMILIES];
  for (size_t i = 0; i < p->nfam; i++) {
    if (p->fam[i].text.oom)
      return -ENOMEM;
    family_sort(p, &p->fam[i]);
    order[i] = &p->fam[i];
  }
  qsort(order, p->nfam, sizeof(order[0]), family_name_cmp);
  for (size_t i = 0; i < p->nfam; i++)
    family_render(order[i], out);
  return out->oom ? -ENOMEM : 0;
}
