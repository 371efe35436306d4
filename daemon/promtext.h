/* promtext — the Prometheus text exposition format (version 0.0.4): a
 * registry of metric families and their series, rendered to text.
 *
 * Fill it with family() and sample() calls, then render().  Families come
 * out sorted by name and series by label set, so the same counts always
 * give the same bytes.  Label values and HELP text are escaped, and
 * invalid UTF-8 in them becomes U+FFFD: the values come from log lines,
 * and one bad byte must not make the whole scrape unparseable.
 *
 * Every family holds at most max_series series; a sample beyond that, or
 * one whose label set (after sanitising) repeats an earlier one, is left
 * out and counted in dropped().  Pure: no I/O, no clock, no threads; the
 * caller serialises access. */
#ifndef RCW_PROMTEXT_H
#define RCW_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum rcw_prom_type { RCW_PROM_COUNTER, RCW_PROM_GAUGE, RCW_PROM_UNTYPED };

#define RCW_PROMTEXT_MAX_FAMILIES 256
#define RCW_PROMTEXT_MAX_LABELS 16
/* Longer label values are cut (at a character boundary) to this many
 * bytes of input before escaping. */
#define RCW_PROMTEXT_MAX_LABEL_VALUE 1024
/* Room for any value rcw_promtext_format_double/_u64 writes, NUL included. */
#define RCW_PROMTEXT_VALUE_MAX 32

typedef struct rcw_promtext rcw_promtext;

/* max_series: the cap on series per family (at least 1).  0 or -ENOMEM. */
int rcw_promtext_new(size_t max_series, rcw_promtext **out);
void rcw_promtext_free(rcw_promtext *p); /* accepts NULL */

/* Forget every family and sample (and the dropped count); keeps memory. */
void rcw_promtext_reset(rcw_promtext *p);

/* Select the family samples go to, declaring it on first use.  Declaring
 * a name again with the same type and label names selects it again (so a
 * per-source loop can add to one family); help of a later call is
 * ignored.  help NULL writes no HELP line (promtool's lint wants one).  Returns 0, -EINVAL (a bad metric or label name, a repeated
 * label name, too many labels), -EEXIST (the name is declared with another
 * type or labels), -E2BIG (too many families) or -ENOMEM.  After an error
 * no family is selected and samples fail with -EINVAL. */
int rcw_promtext_family(rcw_promtext *p, const char *name, enum rcw_prom_type type,
                        const char *help, const char *const *labels, size_t nlabels);

/* Add a series to the selected family: values[i] is the value of its i-th
 * label (NULL reads as "").  The _u64 form keeps counters above 2^53
 * exact.  0, -EINVAL (no family selected), -E2BIG (over the cap; counted
 * as dropped) or -ENOMEM. */
int rcw_promtext_sample(rcw_promtext *p, const char *const *values, double v);
int rcw_promtext_sample_u64(rcw_promtext *p, const char *const *values, uint64_t v);

/* Sort every family and drop repeated label sets now, so that dropped()
 * is final before render(); render() does it too. */
void rcw_promtext_sort(rcw_promtext *p);

/* Append the exposition text to out.  Duplicate label sets within a
 * family keep their first sample; the rest are counted as dropped.
 * 0 or -ENOMEM (out->oom). */
int rcw_promtext_render(rcw_promtext *p, struct rcw_buf *out);

/* Samples left out since the last reset (the duplicates only once
 * render() has run). */
uint64_t rcw_promtext_dropped(const rcw_promtext *p);

/* --- the format's building blocks, for the registry and its tests ------ */

/* [a-zA-Z_:][a-zA-Z0-9_:]* */
bool rcw_promtext_metric_name_ok(const char *name);
/* [a-zA-Z_][a-zA-Z0-9_]*, not starting with the reserved "__" */
bool rcw_promtext_label_name_ok(const char *name);
/* s as the inside of a label value: \ " and newline escaped, invalid UTF-8
 * as U+FFFD, cut after RCW_PROMTEXT_MAX_LABEL_VALUE input bytes. */
void rcw_promtext_label_value(struct rcw_buf *b, const char *s);
/* s as HELP text: \ and newline escaped, invalid UTF-8 as U+FFFD. */
void rcw_promtext_help_text(struct rcw_buf *b, const char *s);
/* A sample value: integers exactly, others in the fewest digits that read
 * back to the same double; NaN, +Inf and -Inf as the format spells them.
 * out has RCW_PROMTEXT_VALUE_MAX bytes. */
void rcw_promtext_format_double(double v, char *out);
void rcw_promtext_format_u64(uint64_t v, char *out);

#endif
