/* libFuzzer target for the config loader: any bytes as a YAML config.
 * Whatever the input, loading must end in a config or in diagnostics,
 * never a crash, a hang or a leak.  Built and run by tests/fuzz/run.sh. */
#include <stddef.h>
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  rcw_diags *d = rcw_diags_new();
  struct rcw_config *cfg = NULL;
  if (rcw_config_load_string((const char *)data, size, "fuzz.yaml", &cfg, d) == 0)
    rcw_config_free(cfg);
  rcw_diags_free(d);
  return 0;
}
