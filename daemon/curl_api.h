/* curl_api — libcurl, loaded when the first webhook sink needs it.
 *
 * libcurl brings a TLS stack, Kerberos, LDAP and more: linked at start,
 * their relocated pages cost every rcwatch several MiB of RSS, while most
 * hosts never configure a webhook.  So the webhook code calls libcurl
 * through this table, which rcw_curl_api_load fills with dlopen(3) once. */
#ifndef RCW_CURL_API_H
#define RCW_CURL_API_H

#include <curl/curl.h>

struct rcw_curl_api {
  CURLcode (*global_init)(long flags);
  CURL *(*easy_init)(void);
  void (*easy_cleanup)(CURL *easy);
  CURLcode (*easy_setopt)(CURL *easy, CURLoption option, ...);
  CURLcode (*easy_getinfo)(CURL *easy, CURLINFO info, ...);
  const char *(*easy_strerror)(CURLcode code);
  CURLM *(*multi_init)(void);
  CURLMcode (*multi_cleanup)(CURLM *multi);
  CURLMcode (*multi_setopt)(CURLM *multi, CURLMoption option, ...);
  CURLMcode (*multi_add_handle)(CURLM *multi, CURL *easy);
  CURLMcode (*multi_remove_handle)(CURLM *multi, CURL *easy);
  CURLMcode (*multi_assign)(CURLM *multi, curl_socket_t fd, void *p);
  CURLMcode (*multi_socket_action)(CURLM *multi, curl_socket_t fd, int mask, int *running);
  CURLMsg *(*multi_info_read)(CURLM *multi, int *left);
  struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
  void (*slist_free_all)(struct curl_slist *list);
};

/* Filled by rcw_curl_api_load; all NULL before. */
extern struct rcw_curl_api rcw_curl;

/* Load libcurl (once per process) and curl_global_init it.  0; -ENOENT
 * when libcurl.so.4 or one of its functions is missing; -EIO when it does
 * not initialise. */
int rcw_curl_api_load(void);

#endif
