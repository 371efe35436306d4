/* catalog — what each response code means: its category, its description,
 * and whether it is a success.
 *
 * The catalog is a table of *entries*.  An entry is one meaning of one
 * code: most codes have one entry, a code listed twice in the source table
 * (1306) has one entry per meaning, chosen by the logged description.
 * Entry ids are dense (0..count-1) and never change once handed out, so
 * counters elsewhere are plain arrays indexed by entry id.  Categories are
 * likewise dense ids.
 *
 * Codes seen in logs but not in the table become new entries in category
 * `unknown` (at most max_unknown of them; further ones share the entry
 * "_other").  HTTP statuses with no code become entries "http_<status>" in
 * category `transport`.
 *
 * The catalog never logs.  Functions that can fail return 0 or a negative
 * errno value and, where useful, fill `err` (a buffer of errlen bytes). */
#ifndef RCW_CATALOG_H
#define RCW_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rcw_severity { RCW_SEV_INFO = 0, RCW_SEV_WARNING = 1, RCW_SEV_CRITICAL = 2 };

#define RCW_ENTRY_NONE UINT32_MAX
#define RCW_CODE_MAX_LEN 32 /* longer captured codes are treated as no code */

/* Names of the categories that always exist, whatever the config says. */
#define RCW_CAT_SUCCESS "success"
#define RCW_CAT_TRANSPORT "transport"
#define RCW_CAT_UNKNOWN "unknown"

struct rcw_category {
  const char *name;
  const char *description;
  enum rcw_severity severity;
};

struct rcw_entry {
  const char *code;        /* canonical: "-1", "1204", "http_503", "_other" */
  const char *description; /* catalog text; for unknown codes a generic text */
  uint32_t category;       /* category id */
  bool success;
  bool known;              /* false for codes first seen in a log */
  /* For a code with several meanings: this entry is chosen when the logged
   * description contains desc_match (NULL: the fallback meaning). */
  const char *desc_match;
  /* An extra meaning dropped when rcw_catalog_set_code redefined its code:
   * the id stays allocated so ids remain stable, but classify never picks
   * it and listings of the catalog in force skip it. */
  bool replaced;
};

typedef struct rcw_catalog rcw_catalog;

/* The embedded Issuer API catalog (CONTRACT §3). */
rcw_catalog *rcw_catalog_new_default(void);
/* Only the categories success, transport and unknown, and "-1" success. */
rcw_catalog *rcw_catalog_new_empty(void);
void rcw_catalog_free(rcw_catalog *c); /* accepts NULL */

/* --- building (config merge); names and texts are copied ------------- */
int rcw_catalog_set_category(rcw_catalog *c, const char *name,
                             const char *description, enum rcw_severity sev);
/* Define or replace a code: afterwards it has exactly one meaning.  The
 * category must exist (-ENOENT otherwise). */
int rcw_catalog_set_code(rcw_catalog *c, const char *code, const char *category,
                         const char *description);
/* Add a further meaning to a code already defined: the entry chosen when
 * the logged description contains desc_match (compared without regard to
 * case; the first such meaning wins).  The code's other meanings stay, the
 * one with no desc_match remaining the fallback.  The new entry takes the
 * next id, rcw_catalog_entry_count() - 1 afterwards.  -EINVAL for a bad
 * code or an empty desc_match, -ENOENT when the code or the category does
 * not exist, -ENOSPC past the cap on defined codes, -ENOMEM. */
int rcw_catalog_add_meaning(rcw_catalog *c, const char *code, const char *category,
                            const char *description, const char *desc_match);
/* Replace the set of success codes.  A success code not otherwise defined
 * gets category `success`. */
int rcw_catalog_set_success(rcw_catalog *c, const char *const *codes, size_t n);
void rcw_catalog_set_max_unknown(rcw_catalog *c, size_t max_unknown);

/* --- lookups ----------------------------------------------------------- */
size_t rcw_catalog_category_count(const rcw_catalog *c);
const struct rcw_category *rcw_catalog_category(const rcw_catalog *c, uint32_t id);
/* Category id by name, or RCW_ENTRY_NONE. */
uint32_t rcw_catalog_category_id(const rcw_catalog *c, const char *name);

size_t rcw_catalog_entry_count(const rcw_catalog *c);
const struct rcw_entry *rcw_catalog_entry(const rcw_catalog *c, uint32_t id);

/* True when the code has several meanings, so its entry depends on the
 * logged description: the caller then extracts the description (which may
 * cost a second match) and passes it to rcw_catalog_classify. */
bool rcw_catalog_needs_desc(const rcw_catalog *c, const char *code, size_t len);

/* The hot path: the entry for a captured code (bytes, not NUL-terminated;
 * a JSON number or string, optional leading minus, leading zeros ignored
 * for numeric codes).  desc may be NULL.  A code not in the table gets a
 * new unknown entry; *is_new (may be NULL) is then set so the caller can
 * report it once.  Returns RCW_ENTRY_NONE only for an empty or over-long
 * code. */
uint32_t rcw_catalog_classify(rcw_catalog *c, const char *code, size_t len,
                              const char *desc, size_t desc_len, bool *is_new);
/* The entry "http_<status>" in category transport, created on first use. */
uint32_t rcw_catalog_classify_status(rcw_catalog *c, int http_status);

/* Entries created for unknown codes past max_unknown (they went to "_other"). */
uint64_t rcw_catalog_unknown_overflow(const rcw_catalog *c);

const char *rcw_severity_name(enum rcw_severity sev);
/* 0 and *out set, or -EINVAL for a name other than info|warning|critical. */
int rcw_severity_parse(const char *name, enum rcw_severity *out);

#endif
