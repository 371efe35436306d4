/* catalog_data — the embedded Issuer API catalog as plain tables, kept
 * apart from the lookup code so that the data can be reviewed against the
 * published source table on its own.  Private to the catalog module. */
#ifndef RCW_CATALOG_DATA_H
#define RCW_CATALOG_DATA_H

#include <stddef.h>

#include "catalog.h"

struct rcw_seed_category {
  const char *name;
  const char *description;
  enum rcw_severity severity;
};

/* One meaning of one code; a code with several meanings has several rows,
 * in the order they are tried, the fallback (desc_match NULL) last. */
struct rcw_seed_code {
  const char *code;
  const char *category;
  const char *description;
  const char *desc_match;
};

extern const struct rcw_seed_category rcw_seed_categories[];
extern const size_t rcw_seed_ncategories;
extern const struct rcw_seed_code rcw_seed_codes[];
extern const size_t rcw_seed_ncodes;

#endif
