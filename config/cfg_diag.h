/* cfg_diag — what the config loader needs from diag beyond diag.h. */
#ifndef RCW_CFG_DIAG_H
#define RCW_CFG_DIAG_H

#include <stddef.h>

#include "diag.h"

/* Order the entries from index `from` on by line, then column, keeping
 * the order they were added in for equal positions.  The loader checks a
 * config section by section and then across sections, but reports in
 * document order, the order a reader of the file fixes them in. */
void cfg_diags_sort_from(rcw_diags *d, size_t from);

#endif
