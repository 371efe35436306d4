#include "diag.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_diag.h"

struct rcw_diags {
  struct rcw_diag *items;
  size_t count;
  size_t cap;
  size_t dropped;
};

rcw_diags *rcw_diags_new(void)
{
  return calloc(1, sizeof(rcw_diags));
}

static void diag_destroy(struct rcw_diag *e)
{
  free(e->file);
  free(e->message);
}

void rcw_diags_clear(rcw_diags *d)
{
  if (!d)
    return;
  for (size_t i = 0; i < d->count; i++)
    diag_destroy(&d->items[i]);
  d->count = 0;
  d->dropped = 0;
}

void rcw_diags_free(rcw_diags *d)
{
  if (!d)
    return;
  rcw_diags_clear(d);
  free(d->items);
  free(d);
}

static bool diags_reserve(rcw_diags *d)
{
  if (d->count < d->cap)
    return true;
  size_t cap = d->cap ? d->cap * 2 : 8;
  if (cap > RCW_DIAGS_MAX)
    cap = RCW_DIAGS_MAX;
  struct rcw_diag *items = realloc(d->items, cap * sizeof(*items));
  if (!items)
    return false;
  d->items = items;
  d->cap = cap;
  return true;
}

/* vsnprintf twice: messages are short, and a caller-sized buffer would
 * truncate a long key or value quoted in the message. */
static char *format_message(const char *fmt, va_list ap)
{
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0)
    return NULL;
  char *s = malloc((size_t)n + 1);
  if (s)
    vsnprintf(s, (size_t)n + 1, fmt, ap);
  return s;
}

void rcw_diags_vadd(rcw_diags *d, const char *file, int line, int column,
                    const char *fmt, va_list ap)
{
  if (!d)
    return;
  if (d->count >= RCW_DIAGS_MAX || !diags_reserve(d)) {
    d->dropped++;
    return;
  }
  struct rcw_diag e = {NULL, line > 0 ? line : 0, column > 0 ? column : 0, NULL};
  e.file = file ? strdup(file) : NULL;
  e.message = format_message(fmt, ap);
  if ((file && !e.file) || !e.message) {
    diag_destroy(&e);
    d->dropped++;
    return;
  }
  d->items[d->count++] = e;
}

void rcw_diags_add(rcw_diags *d, const char *file, int line, int column,
                   const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  rcw_diags_vadd(d, file, line, column, fmt, ap);
  va_end(ap);
}

size_t rcw_diags_count(const rcw_diags *d)
{
  return d ? d->count : 0;
}

size_t rcw_diags_dropped(const rcw_diags *d)
{
  return d ? d->dropped : 0;
}

const struct rcw_diag *rcw_diags_get(const rcw_diags *d, size_t i)
{
  return d && i < d->count ? &d->items[i] : NULL;
}

static void print_one(const struct rcw_diag *e, FILE *out)
{
  if (e->file)
    fprintf(out, "%s:", e->file);
  if (e->line > 0) {
    fprintf(out, "%d:", e->line);
    if (e->column > 0)
      fprintf(out, "%d:", e->column);
  }
  fprintf(out, "%s%s\n", e->file || e->line > 0 ? " " : "", e->message);
}

void rcw_diags_print(const rcw_diags *d, FILE *out)
{
  if (!d)
    return;
  for (size_t i = 0; i < d->count; i++)
    print_one(&d->items[i], out);
  if (d->dropped > 0)
    fprintf(out, "... and %zu more error%s not shown\n", d->dropped,
            d->dropped == 1 ? "" : "s");
}

static bool diag_before(const struct rcw_diag *a, const struct rcw_diag *b)
{
  return a->line < b->line || (a->line == b->line && a->column < b->column);
}

/* Insertion sort: stable, so entries at one position keep the order they
 * were found in, and the list never holds more than RCW_DIAGS_MAX. */
void cfg_diags_sort_from(rcw_diags *d, size_t from)
{
  if (!d)
    return;
  for (size_t i = from + 1; i < d->count; i++) {
    struct rcw_diag e = d->items[i];
    size_t j = i;
    while (j > from && diag_before(&e, &d->items[j - 1])) {
      d->items[j] = d->items[j - 1];
      j--;
    }
    d->items[j] = e;
  }
}
