/* curl_uv — libcurl's multi interface driven by the daemon's libuv loop,
 * so HTTP requests (the webhook sink's) run alongside everything else
 * without a thread and without ever blocking the loop.
 *
 * libcurl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION: one
 * uv_poll_t per socket) and when to call it back (CURLMOPT_TIMERFUNCTION:
 * one uv_timer_t); we answer each event with curl_multi_socket_action and
 * then collect finished transfers (CURLMSG_DONE).  Name resolution runs in
 * libcurl's own resolver (threaded or c-ares), never on the loop.
 *
 * The caller owns its easy handles: it creates and configures them (with
 * CURLOPT_PRIVATE to find its own state again), adds them here, and gets
 * each back exactly once through the done callback, already removed from
 * the multi handle, unless it cancels the transfer first. */
#ifndef RCW_CURL_UV_H
#define RCW_CURL_UV_H

#include <curl/curl.h>
#include <uv.h>

typedef struct rcw_curl_uv rcw_curl_uv;

/* A transfer ended with result (CURLE_OK: a response came, whatever its
 * status).  The easy handle is the caller's again; it may add new
 * transfers or close the multi from here. */
typedef void (*rcw_curl_done_cb)(CURL *easy, CURLcode result, void *arg);
typedef void (*rcw_curl_closed_cb)(void *arg);

/* Make a multi handle on loop.  Initialises libcurl for the process on
 * first use.  0 and *out, -ENOMEM, or -EIO when libcurl cannot start. */
int rcw_curl_uv_new(uv_loop_t *loop, rcw_curl_done_cb done, void *arg, rcw_curl_uv **out);

/* Start a transfer.  done is never called from inside this call.
 * 0, or -EINVAL / -ENOMEM (the easy handle is then not added). */
int rcw_curl_uv_add(rcw_curl_uv *m, CURL *easy);

/* Abandon a transfer that has not ended: its connection is closed and
 * done is not called for it. */
void rcw_curl_uv_cancel(rcw_curl_uv *m, CURL *easy);

/* Close every connection and handle, free m, then call closed(arg) from
 * the loop (never from inside this call).  Every transfer must have
 * ended or been cancelled.  Safe from inside the done callback. */
void rcw_curl_uv_close(rcw_curl_uv *m, rcw_curl_closed_cb closed, void *arg);

#endif
