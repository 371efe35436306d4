#include "curl_api.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

struct rcw_curl_api rcw_curl;

/* Symbol names in the order of struct rcw_curl_api's members. */
static const char *const names[] = {
  "curl_global_init",     "curl_easy_init",           "curl_easy_cleanup",
  "curl_easy_setopt",     "curl_easy_getinfo",        "curl_easy_strerror",
  "curl_multi_init",      "curl_multi_cleanup",       "curl_multi_setopt",
  "curl_multi_add_handle", "curl_multi_remove_handle", "curl_multi_assign",
  "curl_multi_socket_action", "curl_multi_info_read", "curl_slist_append",
  "curl_slist_free_all",
};

_Static_assert(sizeof(names) / sizeof(names[0]) * sizeof(void (*)(void)) ==
                   sizeof(struct rcw_curl_api),
               "one name per member of struct rcw_curl_api");

static int resolve(void *lib, struct rcw_curl_api *api)
{
  void (**slot)(void) = (void (**)(void))api;
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    void *sym = dlsym(lib, names[i]);
    if (!sym)
      return -ENOENT;
    /* POSIX guarantees that a dlsym result converts to a function pointer. */
    *(void **)&slot[i] = sym;
  }
  return 0;
}

int rcw_curl_api_load(void)
{
  static int result = 1; /* 1: not tried yet */
  if (result != 1)
    return result;
  struct rcw_curl_api api;
  void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  result = lib ? resolve(lib, &api) : -ENOENT;
  if (result == 0 && api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    result = -EIO;
  if (result == 0)
    rcw_curl = api;
  else if (lib)
    dlclose(lib);
  return result;
}
