/*
 * http.h — asynchronous HTTP POST on the daemon's libuv loop: libcurl multi
 * driven by uv_poll handles (one per socket curl opens) and one uv_timer.
 *
 * It is the mechanism under the activation-order webhook (gateway/provision
 * in ARCHITECTURE.md): no business words, no JSON parsing, never a blocking
 * call.  Connections are kept alive and reused between requests to the same
 * host (curl's connection cache lives in the multi handle).  Proxies named in
 * the environment are ignored: the webhook goes straight to the operator.
 *
 * A request that fails after it was sent (a timeout, a reset) may still
 * have been acted on by the server: its outcome is unknown.  That is why
 * every order carries an Idempotency-Key and is safe to repeat.
 */
#ifndef VG_HTTP_H
#define VG_HTTP_H

#include <stddef.h>
#include <uv.h>

typedef struct vg_http_s vg_http_t;

/* Response bodies longer than this are cut (and `truncated` is set). */
#define VG_HTTP_BODY_MAX 65536

/* The longest vg_http_result_t.error, in bytes: libcurl's error buffer
 * (CURL_ERROR_SIZE, 256 with the NUL; checked in http.c). */
#define VG_HTTP_ERROR_MAX 255

/* Connect timeout; a request's own timeout_ms caps it. */
#define VG_HTTP_CONNECT_TIMEOUT_MS 5000

/*
 * What came of one request.  Valid only during the callback: copy what you
 * keep (the body is freed when the callback returns).
 */
typedef struct {
  long status;       /* HTTP status; 0 when no complete HTTP answer came */
  int timed_out;     /* the request exceeded its timeout */
  int cancelled;     /* vg_http_close() ran before an answer */
  int truncated;     /* the body was longer than VG_HTTP_BODY_MAX */
  const char *error; /* "" on an HTTP answer, else a short reason: "timeout",
                        "connection refused", "cancelled", curl's text;
                        at most VG_HTTP_ERROR_MAX bytes */
  const char *body;  /* response body, NUL-terminated, never NULL */
  size_t body_len;   /* at most VG_HTTP_BODY_MAX */
  double total_ms;   /* from vg_http_post_json() to the callback */
} vg_http_result_t;

/* Fires exactly once per accepted request, always from the loop. */
typedef void (*vg_http_cb)(void *data, const vg_http_result_t *res);

/*
 * A client on `loop`.  Initialises libcurl (curl_global_init is reference
 * counted by libcurl, so only the first client does the work).  Never NULL:
 * out of memory aborts; a libcurl that cannot start aborts too, since the
 * daemon cannot run without it.
 */
vg_http_t *vg_http_new(uv_loop_t *loop);

/*
 * POST `json` to `url` with "Content-Type: application/json" and, when
 * `idempotency_key` is non-NULL, "Idempotency-Key: <key>".  `json` is copied.
 * `timeout_ms` (> 0) bounds the whole request, connect included.
 *
 * Returns 0, and `cb` fires exactly once later, from the loop (never from
 * inside this call), even when the request is cancelled by vg_http_close().
 * Or returns, and `cb` never fires: VG_EINVAL (NULL or empty url, NULL json
 * or cb, timeout_ms <= 0, a key with control characters), VG_ENOTCONN
 * (vg_http_close() was called), VG_EIO (libcurl refused the request).
 *
 * May be called from inside a vg_http_cb.
 */
int vg_http_post_json(vg_http_t *h, const char *url,
                      const char *idempotency_key, const char *json,
                      long timeout_ms, vg_http_cb cb, void *data);

/* Requests posted whose callback has not fired yet. */
size_t vg_http_in_flight(const vg_http_t *h);

/*
 * Cancel everything in flight (each callback fires now, with cancelled=1),
 * drop kept-alive connections and close the uv handles.  `on_closed` (may be
 * NULL) fires from the loop once they are all closed; only then may
 * vg_http_free() run (it may run inside on_closed).  Safe to call from
 * inside a vg_http_cb; a second call does nothing.
 */
void vg_http_close(vg_http_t *h, void (*on_closed)(void *), void *arg);

/* Release the client after on_closed fired.  NULL is ignored. */
void vg_http_free(vg_http_t *h);

#endif
