/*
 * smpp-sink.c — a minimal SMSC for benchmarks (bench/mt-throughput,
 * bench/vs-kannel, bench/mo-latency, bench/ussd-latency).
 *
 * It stands where the operator's SMSC stands in ARCHITECTURE.md's picture,
 * and does as little as an SMSC can: it accepts any bind, answers every
 * submit_sm at once with a message id from a counter and, with --receipts,
 * follows each accepted submit_sm with a delivery receipt (deliver_sm,
 * esm_class 4, the usual "id:... stat:DELIVRD err:000" text plus the
 * receipted_message_id and message_state TLVs).  It answers enquire_link and
 * unbind, and counts the deliver_sm_resp it gets back.
 *
 * It is built for speed so that the gateway, not the peer, is what a
 * benchmark measures: one libuv loop, TCP_NODELAY (unless --nagle: then
 * the accepted sockets keep Nagle on, as node-smpp's server and many
 * SMSCs leave them, for bench/mo-latency --nagle on), every PDU decoded and
 * encoded by the same libgw codec vasgwd uses (smpp_pdu_unpack /
 * smpp_pdu_pack), and all answers produced while handling one loop
 * iteration's reads written in one write per connection from a uv_check
 * handle (the loop's "after I/O" phase).
 *
 * Figures (--stats FILE, written on SIGUSR1 and on SIGTERM/SIGINT, then the
 * sink exits on the latter): submits seen, the wall-clock time (µs since
 * the epoch) of the first and last submit_sm and of the last
 * submit_sm_resp written, receipts sent and answered, and the sink's own
 * turnaround — from the read callback that delivered a submit_sm to the
 * write of its submit_sm_resp — as p50/p99/max in µs.  That turnaround is
 * the part of a gateway's submit-to-resp latency the peer is responsible
 * for; it should be a few µs.
 *
 * --times FILE (for bench/campaign): every read that brought submit_sm is
 * kept as one line "wall-clock µs, submit_sm in it", and the lines are
 * written to FILE on SIGTERM/SIGINT (not on SIGUSR1: the polls of the
 * stats file would rewrite it each time): the SMSC's view of a rate.
 *
 * MO generator (--mo N, for bench/mo-latency and bench/vs-kannel --mo):
 * once a receiver-capable bind (transceiver or receiver) is up — or, with
 * --mo-start usr2, on SIGUSR2 — the sink sends N deliver_sm at --mo-rate R
 * per second, paced by a 1 ms uv timer against the monotonic clock (so
 * about one a millisecond at 1,000/s, never a burst of a second's worth),
 * from the sequential source numbers --mo-from, --mo-from + 1, ... (TON 1,
 * NPI 1) to --mo-to (the service number).  The text of MO i is line
 * i mod L of --mo-text-file (default "BZ"): data_coding 0 when the line is
 * ASCII, 8 (UCS-2) otherwise.  Each MO's send time (CLOCK_MONOTONIC, taken
 * when its write is issued) is kept by source number; the first submit_sm
 * to that number read after it gives the MO's latency (taken when the read
 * callback got the bytes).  Later submit_sm to the same number are counted
 * but not timed: further parts of a concatenated answer (answer_parts) and
 * other SMS (answers_extra, e.g. an activation result), and so are
 * submit_sm to numbers that have not sent their MO yet (recommendations
 * sent before the MO phase).  Every submit_sm is answered as always.
 * deliver_sm_resp to MO are counted by command_status.  The --stats file
 * then also holds mo_sent, mo_resp_ok, mo_resp_err (and the non-zero
 * statuses), answered, unanswered and the latency p50/p99/max in µs,
 * exact (nearest rank over the sorted latencies).
 *
 * USSD phones (--ussd N, for bench/ussd-latency; not with --mo): once a
 * receiver-capable bind is up (or on SIGUSR2 with --mo-start usr2), the
 * numbers --mo-from + i, i < N, each hold --ussd-rounds dialogues in turn
 * with the gateway: a dial (ussd_service_op 1 and a fresh
 * its_session_info), then the next of --ussd-inputs (op 18, the same
 * its_session_info) after a --ussd-think time (±20%) for each screen that
 * waits for one, until a last screen (op 17 or the its end bit), the
 * inputs run out or no screen comes within --ussd-timeout.  Each request
 * is timed from its write to the read of its screen (the next USSD
 * submit_sm to that number and session); the --stats file then holds the
 * ussd_* counts, ussd_done=1 once every number is done, and the latency
 * p50/p99/max in µs, exact.  See "USSD dialogues" below.
 *
 *   smpp-sink [--port P] [--ready-file F] [--stats F] [--receipts on|off]
 *             [--id-start N] [--id-format dec|hex] [--nagle] [--times F]
 *             [--mo N [--mo-rate R] [--mo-text-file F] [--mo-from MSISDN]
 *              [--mo-to ADDR] [--mo-start bind|usr2]]
 *             [--ussd N [--ussd-code CODE] [--ussd-inputs A,B,...]
 *              [--ussd-think MS] [--ussd-rounds R] [--ussd-timeout MS]
 *              [--ussd-seed S]]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "gw/smsc/smpp_pdu.h"
#include "gwlib/gwlib.h"

/* gwlib.h turns malloc/free into compile errors; libgw's native wrappers
 * abort on out-of-memory, which is what a benchmark tool wants. */
#define sink_alloc(n) gw_malloc(n)
#define sink_realloc(p, n) gw_realloc(p, n)
#define sink_free(p) gw_free(p)

#define MAX_PDU (64 * 1024)
#define HIST_US 1000000 /* turnaround histogram: 1 µs buckets up to 1 s */
#define MO_SEQ_BASE 0x40000000u /* deliver_sm of MO i: sequence base + i */
#define MO_TICK_MAX 1000        /* most MO sent by one timer tick */
#define MO_STATUS_MAX 16        /* distinct non-zero deliver_sm_resp statuses */
#define USSD_INPUTS_MAX 64      /* --ussd-inputs: most answers of a dialogue */

enum { BIND_NONE = 0, BIND_TX = 1, BIND_RX = 2, BIND_TRX = 3 };

typedef struct conn_s conn_t;
typedef struct sink_s sink_t;

struct conn_s {
  uv_tcp_t tcp;
  sink_t *sink;
  unsigned char *in;
  size_t in_len, in_cap;
  unsigned char *out;
  size_t out_len, out_cap;
  int bind;             /* BIND_* */
  int closing;          /* uv_close called */
  int close_after_flush; /* unbind answered: close once written */
  uint32_t seq;         /* our own requests (deliver_sm) */
  conn_t *prev, *next;
};

typedef struct {
  uv_write_t req;
  uv_buf_t buf;
  conn_t *conn;
} write_req_t;

/* One MO text, encoded once: data_coding and the short_message bytes. */
typedef struct {
  int dcs;
  size_t len;
  unsigned char sm[140];
} mo_text_t;

/* One number's USSD dialogues (--ussd N): where it is in them, and its one
 * timer (the think time before its next request, or the wait for the
 * screen that answers the request it sent). */
typedef struct {
  sink_t *sink;
  uint32_t idx;        /* the number is --mo-from + idx */
  uv_timer_t timer;
  uint32_t round;      /* dialogues begun */
  uint32_t step;       /* requests sent in this dialogue (1: the dial) */
  int waiting;         /* a request is out, its screen not read yet */
  uint64_t sent_ns;    /* when that request's write was issued */
  unsigned char its[2]; /* this dialogue's its_session_info */
} dlg_t;

/* Submits read in one read callback: their arrival time, for turnaround. */
typedef struct {
  uint64_t t_ns;
  uint32_t n;
} arrival_t;

struct sink_s {
  uv_loop_t *loop;
  uv_tcp_t server;
  uv_check_t flush;
  uv_signal_t sig_term, sig_int, sig_usr1, sig_usr2;
  conn_t *conns;
  conn_t *last_rx; /* the most recently bound receiver or transceiver */
  int receipts;
  int id_hex;
  int nagle; /* --nagle: leave TCP_NODELAY off on accepted sockets */
  uint64_t next_id;
  const char *stats_path;
  const char *times_path;   /* --times: one line per read with submit_sm */
  arrival_t *times;         /* t_ns: wall clock in µs, n: submit_sm */
  size_t times_len, times_cap;
  /* counters */
  uint64_t submits, submits_refused, binds, unbinds, enquire_links;
  uint64_t receipts_sent, receipts_acked, receipts_dropped, other_resps;
  uint64_t nacks_sent, bytes_in, bytes_out, writes;
  int64_t first_submit_us, last_submit_us, last_resp_us;
  /* turnaround of this iteration's submits, and the histogram */
  arrival_t *arr;
  size_t arr_len, arr_cap;
  uint32_t *hist;
  uint64_t hist_over, hist_n, hist_max_us;
  /* MO generator (--mo N) */
  uint64_t mo_n, mo_rate, mo_from;
  char mo_to[22];
  int mo_on_usr2;  /* start on SIGUSR2, not at the first receiver bind */
  int mo_armed;    /* told to start; starts once a receiver is bound */
  int mo_running;
  uv_timer_t mo_timer;
  mo_text_t *mo_texts;
  size_t mo_ntexts;
  uint64_t mo_t0_ns, read_ns;
  uint64_t mo_sent, mo_resp_ok, mo_resp_err, mo_resp_other;
  uint32_t mo_status[MO_STATUS_MAX];
  uint64_t mo_status_n[MO_STATUS_MAX];
  int mo_nstatus;
  uint64_t *mo_sent_ns; /* per MO: when its write was issued, 0 = not yet */
  unsigned char *mo_answered;
  uint32_t *mo_lat_us;  /* latencies of the answered MO, in answer order */
  uint64_t mo_nlat, answer_parts, answers_extra, submits_unmatched;
  int64_t mo_first_us, mo_last_us; /* wall clock of the first and last MO */
  /* USSD dialogues (--ussd N); texts[0] the code dialled, then the inputs */
  uint64_t ussd_n;
  uint32_t ussd_rounds, ussd_think_ms, ussd_timeout_ms;
  mo_text_t ussd_texts[1 + USSD_INPUTS_MAX];
  uint32_t ussd_ninputs;
  int ussd_armed, ussd_running;
  dlg_t *dlgs;
  uint64_t ussd_rng;      /* xorshift64 state: the think-time jitter */
  uint32_t ussd_session;  /* the last its session number handed out */
  uint32_t ussd_seq;
  uint64_t ussd_left;     /* numbers with dialogues still to come */
  uint64_t ussd_dialogues, ussd_requests, ussd_screens, ussd_final;
  uint64_t ussd_open, ussd_missing, ussd_late, ussd_unexpected, ussd_nosend;
  uint32_t *ussd_lat_us;  /* request -> screen, in screen order */
  uint64_t ussd_nlat, ussd_lat_cap;
  int64_t ussd_first_us, ussd_last_screen_us, ussd_done_us;
};

static int64_t wall_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

/* --- output ----------------------------------------------------------------- */

static void out_append(conn_t *c, const char *p, size_t n) {
  if (c->out_len + n > c->out_cap) {
    size_t cap = c->out_cap ? c->out_cap : 16384;
    while (cap < c->out_len + n)
      cap *= 2;
    c->out = sink_realloc(c->out, cap);
    c->out_cap = cap;
  }
  memcpy(c->out + c->out_len, p, n);
  c->out_len += n;
}

/* Encode with libgw, queue for this iteration's write; frees the PDU. */
static void send_pdu(conn_t *c, SMPP_PDU *pdu) {
  Octstr *os = smpp_pdu_pack(NULL, pdu);
  smpp_pdu_destroy(pdu);
  if (os == NULL)
    return;
  out_append(c, octstr_get_cstr(os), (size_t)octstr_len(os));
  octstr_destroy(os);
}

static void send_status(conn_t *c, unsigned long type, uint32_t seq,
                        uint32_t status) {
  /* An error response carries no body (SMPP 3.4 §4.4.2); libgw would pack
   * the mandatory fields anyway, so write the 16-byte header ourselves. */
  unsigned char h[16];
  uint32_t v[4] = {16, (uint32_t)type, status, seq};
  for (int i = 0; i < 4; i++) {
    h[i * 4] = (unsigned char)(v[i] >> 24);
    h[i * 4 + 1] = (unsigned char)(v[i] >> 16);
    h[i * 4 + 2] = (unsigned char)(v[i] >> 8);
    h[i * 4 + 3] = (unsigned char)v[i];
  }
  out_append(c, (const char *)h, sizeof h);
}

/* --- closing ----------------------------------------------------------------- */

static void on_conn_closed(uv_handle_t *h) {
  conn_t *c = h->data;
  sink_free(c->in);
  sink_free(c->out);
  sink_free(c);
}

static void conn_close(conn_t *c) {
  if (c->closing)
    return;
  c->closing = 1;
  sink_t *s = c->sink;
  if (s->last_rx == c)
    s->last_rx = NULL;
  if (c->prev)
    c->prev->next = c->next;
  else
    s->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

/* --- flushing: one write per connection per loop iteration ------------------ */

static void on_written(uv_write_t *req, int status) {
  write_req_t *w = (write_req_t *)req;
  sink_free(w->buf.base);
  if (status < 0 && !w->conn->closing)
    conn_close(w->conn);
  sink_free(w);
}

static void record_turnaround(sink_t *s, uint64_t now_ns) {
  for (size_t i = 0; i < s->arr_len; i++) {
    uint64_t us = (now_ns - s->arr[i].t_ns) / 1000;
    if (us < HIST_US)
      s->hist[us] += s->arr[i].n;
    else
      s->hist_over += s->arr[i].n;
    if (us > s->hist_max_us)
      s->hist_max_us = us;
    s->hist_n += s->arr[i].n;
  }
  s->arr_len = 0;
}

/* Write what is queued for one connection; -1 when that closed it. */
static int conn_flush_out(sink_t *s, conn_t *c) {
  if (c->out_len == 0)
    return 0;
  uv_buf_t b = uv_buf_init((char *)c->out, (unsigned)c->out_len);
  int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
  if (n < 0 && n != UV_EAGAIN) {
    conn_close(c);
    return -1;
  }
  size_t done = n > 0 ? (size_t)n : 0;
  s->writes++;
  s->bytes_out += c->out_len;
  if (done < c->out_len) {
    /* The kernel buffer is full: hand the rest to uv_write, in order
     * behind any earlier pending write. */
    write_req_t *w = sink_alloc(sizeof *w);
    size_t rest = c->out_len - done;
    w->conn = c;
    w->buf = uv_buf_init(sink_alloc(rest), (unsigned)rest);
    memcpy(w->buf.base, c->out + done, rest);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &w->buf, 1, on_written) !=
        0) {
      sink_free(w->buf.base);
      sink_free(w);
      conn_close(c);
      return -1;
    }
  }
  c->out_len = 0;
  return 0;
}

static void on_flush(uv_check_t *h) {
  sink_t *s = h->data;
  int wrote_resps = s->arr_len > 0;
  conn_t *next;
  for (conn_t *c = s->conns; c; c = next) {
    next = c->next;
    if (conn_flush_out(s, c) != 0)
      continue;
    if (c->close_after_flush)
      conn_close(c);
  }
  if (wrote_resps) {
    record_turnaround(s, uv_hrtime());
    s->last_resp_us = wall_us();
  }
}

/* --- requests ---------------------------------------------------------------- */

static const char *ostr(Octstr *o) { return o ? octstr_get_cstr(o) : ""; }

static void fmt_date(char out[32]) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  /* gwlib.h forbids strftime (protected.h); the format is fixed anyway. */
  snprintf(out, 32, "%02d%02d%02d%02d%02d", tm.tm_year % 100, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min);
}

/* The receipt for one accepted submit_sm, to the bind that takes MO. */
static void send_receipt(sink_t *s, conn_t *from, SMPP_PDU *sub,
                         const char *msgid) {
  conn_t *to = from->bind == BIND_TRX ? from : s->last_rx;
  if (to == NULL || to->closing) {
    s->receipts_dropped++;
    return;
  }
  struct submit_sm *p = &sub->u.submit_sm;
  SMPP_PDU *pdu = smpp_pdu_create(deliver_sm, ++to->seq);
  struct deliver_sm *d = &pdu->u.deliver_sm;
  d->source_addr_ton = p->dest_addr_ton;
  d->source_addr_npi = p->dest_addr_npi;
  d->source_addr = octstr_create(ostr(p->destination_addr));
  d->dest_addr_ton = p->source_addr_ton;
  d->dest_addr_npi = p->source_addr_npi;
  d->destination_addr = octstr_create(ostr(p->source_addr));
  d->esm_class = 0x04; /* SMSC delivery receipt */
  d->data_coding = 0;
  char date[32], text[20 + 1] = "";
  fmt_date(date);
  if (p->data_coding == 0 && !(p->esm_class & 0x40) && p->short_message) {
    /* The first 20 characters of the original, as SMSCs quote it. */
    long n = octstr_len(p->short_message);
    if (n > 20)
      n = 20;
    for (long i = 0; i < n; i++) {
      int ch = octstr_get_char(p->short_message, i);
      text[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '.';
    }
    text[n] = '\0';
  }
  char body[200];
  int n = snprintf(body, sizeof body,
                   "id:%s sub:001 dlvrd:001 submit date:%s done date:%s "
                   "stat:DELIVRD err:000 text:%s",
                   msgid, date, date, text);
  d->short_message = octstr_create_from_data(body, n);
  d->receipted_message_id = octstr_create(msgid);
  d->message_state = 2; /* DELIVERED */
  send_pdu(to, pdu);
  s->receipts_sent++;
}

/* --- MO generator ----------------------------------------------------------- */

/* The index of a submit_sm's destination_addr among the n numbers from
 * --mo-from, or -1.  The gateway may write the number as sent
 * (8613900000000), with a '+', or nationally (13900000000, when --mo-from
 * starts with country code 86). */
static int64_t number_index(const sink_t *s, Octstr *addr, uint64_t n) {
  const char *a = ostr(addr);
  if (*a == '+')
    a++;
  size_t len = strlen(a);
  if (len == 0 || len > 19 || strspn(a, "0123456789") != len)
    return -1;
  uint64_t v = strtoull(a, NULL, 10);
  if (v >= s->mo_from && v - s->mo_from < n)
    return (int64_t)(v - s->mo_from);
  if (len == 11 && s->mo_from >= 8600000000000ull &&
      s->mo_from < 8700000000000ull) {
    v += 8600000000000ull;
    if (v >= s->mo_from && v - s->mo_from < n)
      return (int64_t)(v - s->mo_from);
  }
  return -1;
}

static int64_t mo_index(const sink_t *s, Octstr *addr) {
  return number_index(s, addr, s->mo_n);
}

/* 1 when a submit_sm is part 2 or later of a concatenated SMS (UDH IE 0
 * or 8, or the sar_* TLVs). */
static int later_part(const struct submit_sm *p) {
  if (p->sar_segment_seqnum > 1)
    return 1;
  if (!(p->esm_class & 0x40) || p->short_message == NULL)
    return 0;
  long n = octstr_len(p->short_message);
  if (n < 1)
    return 0;
  long udhl = octstr_get_char(p->short_message, 0);
  for (long i = 1; i + 1 < n && i + 1 <= udhl;) {
    int iei = octstr_get_char(p->short_message, i);
    long len = octstr_get_char(p->short_message, i + 1);
    if (iei == 0x00 && len == 3 && i + 4 < n)
      return octstr_get_char(p->short_message, i + 4) > 1;
    if (iei == 0x08 && len == 4 && i + 5 < n)
      return octstr_get_char(p->short_message, i + 5) > 1;
    i += 2 + len;
  }
  return 0;
}

/* A submit_sm was read: the first one to a number after its MO is the
 * answer; its latency runs from the MO's write to this read callback. */
static void mo_match_answer(sink_t *s, const struct submit_sm *p) {
  int64_t i = mo_index(s, p->destination_addr);
  if (i < 0 || s->mo_sent_ns[i] == 0) {
    s->submits_unmatched++;
    return;
  }
  if (s->mo_answered[i]) {
    if (later_part(p))
      s->answer_parts++;
    else
      s->answers_extra++;
    return;
  }
  s->mo_answered[i] = 1;
  uint64_t us = s->read_ns > s->mo_sent_ns[i]
                    ? (s->read_ns - s->mo_sent_ns[i]) / 1000
                    : 0;
  s->mo_lat_us[s->mo_nlat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/* MO i, encoded by libgw into the connection's output. */
static void mo_queue(sink_t *s, conn_t *c, uint64_t i) {
  const mo_text_t *t = &s->mo_texts[i % s->mo_ntexts];
  char from[24];
  snprintf(from, sizeof from, "%" PRIu64, s->mo_from + i);
  SMPP_PDU *pdu = smpp_pdu_create(deliver_sm, MO_SEQ_BASE + (uint32_t)i);
  struct deliver_sm *d = &pdu->u.deliver_sm;
  d->source_addr_ton = 1; /* international */
  d->source_addr_npi = 1;
  d->source_addr = octstr_create(from);
  d->dest_addr_ton = 0;
  d->dest_addr_npi = 1;
  d->destination_addr = octstr_create(s->mo_to);
  d->esm_class = 0;
  d->data_coding = t->dcs;
  d->short_message = octstr_create_from_data((const char *)t->sm,
                                             (long)t->len);
  send_pdu(c, pdu);
}

/* Every millisecond: send what the schedule (MO k at t0 + k / R) says is
 * due, stamp it and write it at once (not at the end of the iteration). */
static void mo_tick(uv_timer_t *h) {
  sink_t *s = h->data;
  conn_t *c = s->last_rx;
  if (c == NULL || c->closing)
    return; /* no receiver: wait for one (the schedule catches up) */
  uint64_t now = uv_hrtime();
  uint64_t due = (now - s->mo_t0_ns) * s->mo_rate / 1000000000u + 1;
  if (due > s->mo_n)
    due = s->mo_n;
  if (due > s->mo_sent + MO_TICK_MAX)
    due = s->mo_sent + MO_TICK_MAX;
  if (due <= s->mo_sent)
    return;
  uint64_t first = s->mo_sent;
  for (uint64_t i = first; i < due; i++)
    mo_queue(s, c, i);
  now = uv_hrtime();
  for (uint64_t i = first; i < due; i++)
    s->mo_sent_ns[i] = now;
  int64_t wall = wall_us();
  if (first == 0)
    s->mo_first_us = wall;
  s->mo_last_us = wall;
  s->mo_sent = due;
  conn_flush_out(s, c);
  if (s->mo_sent >= s->mo_n) {
    uv_timer_stop(&s->mo_timer);
    s->mo_running = 0;
  }
}

/* Start once armed and a receiver is bound (called at both events). */
static void mo_maybe_start(sink_t *s) {
  if (s->mo_n == 0 || !s->mo_armed || s->mo_running || s->mo_sent > 0 ||
      s->last_rx == NULL)
    return;
  s->mo_running = 1;
  s->mo_t0_ns = uv_hrtime();
  uv_timer_start(&s->mo_timer, mo_tick, 0, 1);
}

static void mo_resp(sink_t *s, uint32_t status) {
  if (status == 0) {
    s->mo_resp_ok++;
    return;
  }
  s->mo_resp_err++;
  for (int k = 0; k < s->mo_nstatus; k++)
    if (s->mo_status[k] == status) {
      s->mo_status_n[k]++;
      return;
    }
  if (s->mo_nstatus < MO_STATUS_MAX) {
    s->mo_status[s->mo_nstatus] = status;
    s->mo_status_n[s->mo_nstatus++] = 1;
  } else {
    s->mo_resp_other++;
  }
}

/* The line as an SMS text: ASCII as data_coding 0, anything else as UCS-2
 * (UTF-16BE, data_coding 8); at most 140 bytes. */
static void mo_encode(const char *line, mo_text_t *t) {
  const unsigned char *p = (const unsigned char *)line;
  size_t n = strlen(line);
  int ascii = 1;
  for (size_t i = 0; i < n; i++)
    if (p[i] >= 0x80)
      ascii = 0;
  t->len = 0;
  if (ascii) {
    t->dcs = 0;
    t->len = n > sizeof t->sm ? sizeof t->sm : n;
    memcpy(t->sm, p, t->len);
    return;
  }
  t->dcs = 8;
  for (size_t i = 0; i < n;) {
    uint32_t cp = p[i];
    int more = cp >= 0xf0 ? 3 : cp >= 0xe0 ? 2 : cp >= 0xc0 ? 1 : 0;
    if (more)
      cp &= 0x3fu >> more;
    i++;
    for (int k = 0; k < more && i < n; k++, i++)
      cp = cp << 6 | (p[i] & 0x3f);
    unsigned units[2];
    int nu = 1;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units[0] = 0xd800 | (cp >> 10);
      units[1] = 0xdc00 | (cp & 0x3ff);
      nu = 2;
    } else {
      units[0] = cp;
    }
    if (t->len + 2 * (size_t)nu > sizeof t->sm)
      break;
    for (int k = 0; k < nu; k++) {
      t->sm[t->len++] = (unsigned char)(units[k] >> 8);
      t->sm[t->len++] = (unsigned char)units[k];
    }
  }
}

static int mo_load_texts(sink_t *s, const char *path) {
  if (path == NULL) {
    s->mo_texts = sink_alloc(sizeof *s->mo_texts);
    mo_encode("BZ", &s->mo_texts[0]);
    s->mo_ntexts = 1;
    return 0;
  }
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    fprintf(stderr, "smpp-sink: %s: %s\n", path, strerror(errno));
    return -1;
  }
  size_t cap = 0;
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (s->mo_ntexts == cap) {
      cap = cap ? cap * 2 : 1024;
      s->mo_texts = sink_realloc(s->mo_texts, cap * sizeof *s->mo_texts);
    }
    mo_encode(line, &s->mo_texts[s->mo_ntexts++]);
  }
  fclose(f);
  if (s->mo_ntexts == 0) {
    fprintf(stderr, "smpp-sink: %s: no lines\n", path);
    return -1;
  }
  return 0;
}

/* --- USSD dialogues (--ussd N) ------------------------------------------- */

/* Number i's dialogues: dial (ussd_service_op 1, PSSR indication, with a
 * fresh its_session_info: octet 1 the next session number, octet 2 the
 * sequence number 1, end bit clear), then answer each screen that waits
 * for one (any op but 17 without the end bit) with the next input (op 18,
 * USSR confirm, the same its_session_info) after a think time, until a
 * last screen (op 17, or the its end bit) or the inputs run out; then the
 * next dialogue, --ussd-rounds in all.  A screen is the next submit_sm
 * with ussd_service_op to that number and that session; each request is
 * timed from its write to the read callback that brings its screen. */

static uint32_t ussd_rand(sink_t *s) {
  uint64_t x = s->ussd_rng;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  s->ussd_rng = x;
  return (uint32_t)(x >> 32);
}

/* The think time, jittered ±20% so that the dialogues do not beat in step. */
static uint64_t ussd_think(sink_t *s) {
  if (s->ussd_think_ms == 0)
    return 0;
  double f = 0.8 + 0.4 * ((double)ussd_rand(s) / 4294967296.0);
  return (uint64_t)((double)s->ussd_think_ms * f + 0.5);
}

static void ussd_on_timer(uv_timer_t *h);

/* A dialogue is over: the next one after a think time, or this number is
 * done. */
static void ussd_dialogue_over(dlg_t *g) {
  sink_t *s = g->sink;
  g->waiting = 0;
  if (g->round < s->ussd_rounds) {
    g->step = 0;
    uv_timer_start(&g->timer, ussd_on_timer, ussd_think(s), 0);
    return;
  }
  if (--s->ussd_left == 0)
    s->ussd_done_us = wall_us();
}

/* Send g's next request, written at once (from a timer callback the
 * loop's check phase, where the rest is flushed, may be a poll away). */
static void ussd_request(dlg_t *g) {
  sink_t *s = g->sink;
  conn_t *c = s->last_rx;
  if (g->step == 0) {
    s->ussd_session = s->ussd_session % 255 + 1;
    g->its[0] = (unsigned char)s->ussd_session;
    g->its[1] = 0x02; /* sequence number 1, end bit clear */
    g->round++;
    s->ussd_dialogues++;
  }
  if (c == NULL || c->closing) {
    s->ussd_nosend++; /* no receiver bound: this dialogue is lost */
    ussd_dialogue_over(g);
    return;
  }
  const mo_text_t *t = &s->ussd_texts[g->step];
  char from[24];
  snprintf(from, sizeof from, "%" PRIu64, s->mo_from + g->idx);
  SMPP_PDU *pdu =
      smpp_pdu_create(deliver_sm, MO_SEQ_BASE + s->ussd_seq++ % MO_SEQ_BASE);
  struct deliver_sm *d = &pdu->u.deliver_sm;
  d->source_addr_ton = 1;
  d->source_addr_npi = 1;
  d->source_addr = octstr_create(from);
  d->dest_addr_ton = 0;
  d->dest_addr_npi = 1;
  d->destination_addr = octstr_create(s->mo_to);
  d->data_coding = t->dcs;
  d->short_message = octstr_create_from_data((const char *)t->sm,
                                             (long)t->len);
  char op = g->step == 0 ? 1 : 18; /* PSSR indication, USSR confirm */
  d->ussd_service_op = octstr_create_from_data(&op, 1); /* libgw: octets */
  d->its_session_info = octstr_create_from_data((const char *)g->its, 2);
  send_pdu(c, pdu);
  g->step++;
  g->waiting = 1;
  s->ussd_requests++;
  g->sent_ns = uv_hrtime();
  if (s->ussd_first_us == 0)
    s->ussd_first_us = wall_us();
  conn_flush_out(s, c);
  uv_timer_start(&g->timer, ussd_on_timer, s->ussd_timeout_ms, 0);
}

/* The think time is over (send the next request), or the wait for a
 * screen (the dialogue is lost, as the network would drop it). */
static void ussd_on_timer(uv_timer_t *h) {
  dlg_t *g = h->data;
  if (g->waiting) {
    g->sink->ussd_missing++;
    ussd_dialogue_over(g);
    return;
  }
  ussd_request(g);
}

/* A submit_sm was read: the screen a dialogue waits for? */
static void ussd_screen(sink_t *s, const struct submit_sm *p) {
  if (p->ussd_service_op == NULL || octstr_len(p->ussd_service_op) != 1)
    return; /* an SMS, not a screen */
  int op = octstr_get_char(p->ussd_service_op, 0);
  int64_t i = number_index(s, p->destination_addr, s->ussd_n);
  if (i < 0) {
    s->ussd_unexpected++;
    return;
  }
  dlg_t *g = &s->dlgs[i];
  Octstr *its = p->its_session_info;
  int has_its = its != NULL && octstr_len(its) == 2;
  if (!g->waiting || (has_its && octstr_get_char(its, 0) != g->its[0])) {
    s->ussd_late++; /* after its timeout, or of an earlier dialogue */
    return;
  }
  g->waiting = 0;
  uv_timer_stop(&g->timer);
  uint64_t us =
      s->read_ns > g->sent_ns ? (s->read_ns - g->sent_ns) / 1000 : 0;
  if (s->ussd_nlat == s->ussd_lat_cap) {
    s->ussd_lat_cap = s->ussd_lat_cap ? s->ussd_lat_cap * 2 : 4096;
    s->ussd_lat_us =
        sink_realloc(s->ussd_lat_us, s->ussd_lat_cap * sizeof *s->ussd_lat_us);
  }
  s->ussd_lat_us[s->ussd_nlat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
  s->ussd_screens++;
  s->ussd_last_screen_us = wall_us();
  if (op == 17 || (has_its && (octstr_get_char(its, 1) & 1))) {
    s->ussd_final++;
    ussd_dialogue_over(g);
  } else if (g->step > s->ussd_ninputs) {
    s->ussd_open++; /* a screen that waits, and nothing left to answer */
    ussd_dialogue_over(g);
  } else {
    uv_timer_start(&g->timer, ussd_on_timer, ussd_think(s), 0);
  }
}

/* Start once armed and a receiver is bound (called at both events): each
 * number's first dial at a random point of the first think time. */
static void ussd_maybe_start(sink_t *s) {
  if (s->ussd_n == 0 || !s->ussd_armed || s->ussd_running ||
      s->last_rx == NULL)
    return;
  s->ussd_running = 1;
  for (uint64_t i = 0; i < s->ussd_n; i++) {
    dlg_t *g = &s->dlgs[i];
    uv_timer_start(&g->timer, ussd_on_timer,
                   s->ussd_think_ms ? ussd_rand(s) % s->ussd_think_ms : 0, 0);
  }
}

/* --ussd-inputs "1,0,1,0": the answers, in order ("" for none). */
static int ussd_parse_inputs(sink_t *s, const char *list) {
  s->ussd_ninputs = 0;
  for (const char *p = list; *p;) {
    size_t n = strcspn(p, ",");
    char one[141];
    if (s->ussd_ninputs == USSD_INPUTS_MAX || n >= sizeof one)
      return -1;
    memcpy(one, p, n);
    one[n] = '\0';
    mo_encode(one, &s->ussd_texts[1 + s->ussd_ninputs++]);
    p += n;
    if (*p == ',')
      p++;
  }
  return 0;
}

static void on_submit(sink_t *s, conn_t *c, SMPP_PDU *pdu, uint32_t seq) {
  if (c->bind != BIND_TX && c->bind != BIND_TRX) {
    s->submits_refused++;
    send_status(c, submit_sm_resp, seq, 0x04); /* ESME_RINVBNDSTS */
    return;
  }
  char msgid[24];
  uint64_t id = s->next_id++;
  if (s->id_hex)
    snprintf(msgid, sizeof msgid, "%" PRIx64, id);
  else
    snprintf(msgid, sizeof msgid, "%" PRIu64, id);
  SMPP_PDU *resp = smpp_pdu_create(submit_sm_resp, seq);
  resp->u.submit_sm_resp.message_id = octstr_create(msgid);
  send_pdu(c, resp);
  s->submits++;
  if (s->mo_n)
    mo_match_answer(s, &pdu->u.submit_sm);
  if (s->ussd_n)
    ussd_screen(s, &pdu->u.submit_sm);
  if (s->receipts && (pdu->u.submit_sm.registered_delivery & 0x03))
    send_receipt(s, c, pdu, msgid);
}

static void on_bind(sink_t *s, conn_t *c, SMPP_PDU *pdu, uint32_t seq) {
  unsigned long rtype;
  int kind;
  switch (pdu->type) {
  case bind_transmitter:
    rtype = bind_transmitter_resp;
    kind = BIND_TX;
    break;
  case bind_receiver:
    rtype = bind_receiver_resp;
    kind = BIND_RX;
    break;
  default:
    rtype = bind_transceiver_resp;
    kind = BIND_TRX;
    break;
  }
  if (c->bind != BIND_NONE) {
    send_status(c, rtype, seq, 0x05); /* ESME_RALYBND */
    return;
  }
  c->bind = kind;
  s->binds++;
  if (kind != BIND_TX)
    s->last_rx = c;
  SMPP_PDU *resp = smpp_pdu_create(rtype, seq);
  Octstr *sysid = octstr_create("sink");
  if (kind == BIND_TX)
    resp->u.bind_transmitter_resp.system_id = sysid;
  else if (kind == BIND_RX)
    resp->u.bind_receiver_resp.system_id = sysid;
  else
    resp->u.bind_transceiver_resp.system_id = sysid;
  send_pdu(c, resp);
  if (kind != BIND_TX) {
    mo_maybe_start(s); /* its first MO follows the bind_resp */
    ussd_maybe_start(s);
  }
}

/* One complete PDU, length field included. */
static void on_pdu(sink_t *s, conn_t *c, const unsigned char *p, size_t len,
                   int *nsubmits) {
  uint32_t id = be32(p + 4), seq = be32(p + 12);
  if (id == 0x80000005u) { /* deliver_sm_resp: no body worth decoding */
    /* MO and USSD requests number their deliver_sm from MO_SEQ_BASE */
    if (seq >= MO_SEQ_BASE && (s->ussd_n || seq - MO_SEQ_BASE < s->mo_n))
      mo_resp(s, be32(p + 8));
    else
      s->receipts_acked++;
    return;
  }
  if (id & 0x80000000u) {
    s->other_resps++;
    return;
  }
  Octstr *os = octstr_create_from_data((const char *)p + 4, (long)len - 4);
  SMPP_PDU *pdu = smpp_pdu_unpack(NULL, os);
  octstr_destroy(os);
  if (pdu == NULL) {
    s->nacks_sent++;
    send_status(c, generic_nack, seq, 0x02); /* ESME_RINVCMDLEN */
    return;
  }
  switch (pdu->type) {
  case submit_sm:
    on_submit(s, c, pdu, seq);
    (*nsubmits)++;
    break;
  case bind_transmitter:
  case bind_receiver:
  case bind_transceiver:
    on_bind(s, c, pdu, seq);
    break;
  case enquire_link:
    s->enquire_links++;
    send_pdu(c, smpp_pdu_create(enquire_link_resp, seq));
    break;
  case unbind:
    s->unbinds++;
    send_pdu(c, smpp_pdu_create(unbind_resp, seq));
    c->close_after_flush = 1;
    break;
  default:
    s->nacks_sent++;
    send_status(c, generic_nack, seq, 0x03); /* ESME_RINVCMDID */
    break;
  }
  smpp_pdu_destroy(pdu);
}

/* --- reading ----------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  static char slab[256 * 1024]; /* one loop thread: one slab */
  *buf = uv_buf_init(slab, sizeof slab);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  conn_t *c = st->data;
  sink_t *s = c->sink;
  if (n < 0) {
    conn_close(c);
    return;
  }
  if (n == 0 || c->close_after_flush)
    return;
  uint64_t t_ns = uv_hrtime();
  s->read_ns = t_ns;
  s->bytes_in += (uint64_t)n;
  if (c->in_len + (size_t)n > c->in_cap) {
    size_t cap = c->in_cap ? c->in_cap : 65536;
    while (cap < c->in_len + (size_t)n)
      cap *= 2;
    c->in = sink_realloc(c->in, cap);
    c->in_cap = cap;
  }
  memcpy(c->in + c->in_len, buf->base, (size_t)n);
  c->in_len += (size_t)n;

  size_t off = 0;
  int nsubmits = 0;
  while (c->in_len - off >= 16) {
    uint32_t len = be32(c->in + off);
    if (len < 16 || len > MAX_PDU) {
      fprintf(stderr, "smpp-sink: bad command_length %u; closing\n", len);
      conn_close(c);
      return;
    }
    if (c->in_len - off < len)
      break;
    on_pdu(s, c, c->in + off, len, &nsubmits);
    off += len;
    if (c->close_after_flush)
      break;
  }
  memmove(c->in, c->in + off, c->in_len - off);
  c->in_len -= off;
  if (nsubmits > 0) {
    int64_t now = wall_us();
    if (s->first_submit_us == 0)
      s->first_submit_us = now;
    s->last_submit_us = now;
    if (s->arr_len == s->arr_cap) {
      s->arr_cap = s->arr_cap ? s->arr_cap * 2 : 64;
      s->arr = sink_realloc(s->arr, s->arr_cap * sizeof *s->arr);
    }
    s->arr[s->arr_len].t_ns = t_ns;
    s->arr[s->arr_len].n = (uint32_t)nsubmits;
    s->arr_len++;
    if (s->times_path) {
      if (s->times_len == s->times_cap) {
        s->times_cap = s->times_cap ? s->times_cap * 2 : 4096;
        s->times = sink_realloc(s->times, s->times_cap * sizeof *s->times);
      }
      s->times[s->times_len].t_ns = (uint64_t)now;
      s->times[s->times_len].n = (uint32_t)nsubmits;
      s->times_len++;
    }
  }
}

static void on_connection(uv_stream_t *server, int status) {
  sink_t *s = server->data;
  if (status < 0)
    return;
  conn_t *c = sink_alloc(sizeof *c);
  memset(c, 0, sizeof *c);
  c->sink = s;
  uv_tcp_init(s->loop, &c->tcp);
  c->tcp.data = c;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
    return;
  }
  if (!s->nagle)
    uv_tcp_nodelay(&c->tcp, 1);
  c->next = s->conns;
  if (s->conns)
    s->conns->prev = c;
  s->conns = c;
  uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

/* --- figures ----------------------------------------------------------------- */

static uint64_t percentile(const sink_t *s, double q) {
  if (s->hist_n == 0)
    return 0;
  uint64_t want = (uint64_t)(q * (double)s->hist_n);
  if (want >= s->hist_n)
    want = s->hist_n - 1;
  uint64_t seen = 0;
  for (uint64_t us = 0; us < HIST_US; us++) {
    seen += s->hist[us];
    if (seen > want)
      return us;
  }
  return HIST_US;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least q of them at or below. */
static uint32_t rank(const uint32_t *v, uint64_t n, double q) {
  if (n == 0)
    return 0;
  double want = q * (double)n;
  uint64_t r = (uint64_t)want;
  if ((double)r < want)
    r++; /* ceil */
  if (r < 1)
    r = 1;
  if (r > n)
    r = n;
  return v[r - 1];
}

/* Latencies (µs) sorted, exact: p50, p99, max, mean (nearest rank). */
typedef struct {
  uint32_t p50, p99, max;
  uint64_t mean;
} lat_sum_t;

static lat_sum_t lat_summary(const uint32_t *lat, uint64_t n) {
  lat_sum_t r = {0, 0, 0, 0};
  uint32_t *v = sink_alloc((n ? n : 1) * sizeof *v);
  memcpy(v, lat, n * sizeof *v);
  qsort(v, n, sizeof *v, cmp_u32);
  uint64_t sum = 0;
  for (uint64_t i = 0; i < n; i++)
    sum += v[i];
  r.p50 = rank(v, n, 0.50);
  r.p99 = rank(v, n, 0.99);
  r.max = n ? v[n - 1] : 0;
  r.mean = n ? sum / n : 0;
  sink_free(v);
  return r;
}

/* The non-zero deliver_sm_resp statuses, "0x00000058/ESME_RTHROTTLED:3,...". */
static void write_resp_statuses(const sink_t *s, FILE *f) {
  for (int k = 0; k < s->mo_nstatus; k++) {
    const char *name = s->mo_status[k] == 0x64   ? "ESME_RX_T_APPN"
                       : s->mo_status[k] == 0x65 ? "ESME_RX_P_APPN"
                       : s->mo_status[k] == 0x66 ? "ESME_RX_R_APPN"
                       : s->mo_status[k] == 0x58 ? "ESME_RTHROTTLED"
                       : s->mo_status[k] == 0x08 ? "ESME_RSYSERR"
                                                 : "";
    fprintf(f, "%s0x%08" PRIx32 "%s%s:%" PRIu64, k ? "," : "",
            s->mo_status[k], *name ? "/" : "", name, s->mo_status_n[k]);
  }
  if (s->mo_resp_other)
    fprintf(f, "%sother:%" PRIu64, s->mo_nstatus ? "," : "",
            s->mo_resp_other);
}

static void write_mo_stats(sink_t *s, FILE *f) {
  lat_sum_t l = lat_summary(s->mo_lat_us, s->mo_nlat);
  fprintf(f,
          "mo_n=%" PRIu64 "\nmo_rate=%" PRIu64 "\nmo_sent=%" PRIu64
          "\nmo_first_sent_us=%" PRId64 "\nmo_last_sent_us=%" PRId64
          "\nmo_resp_ok=%" PRIu64 "\nmo_resp_err=%" PRIu64
          "\nmo_resp_err_statuses=",
          s->mo_n, s->mo_rate, s->mo_sent, s->mo_first_us, s->mo_last_us,
          s->mo_resp_ok, s->mo_resp_err);
  write_resp_statuses(s, f);
  fprintf(f,
          "\nanswered=%" PRIu64 "\nunanswered=%" PRIu64
          "\nanswer_parts=%" PRIu64 "\nanswers_extra=%" PRIu64
          "\nsubmits_unmatched=%" PRIu64
          "\nmo_lat_p50_us=%" PRIu32 "\nmo_lat_p99_us=%" PRIu32
          "\nmo_lat_max_us=%" PRIu32 "\nmo_lat_mean_us=%" PRIu64 "\n",
          s->mo_nlat, s->mo_sent - s->mo_nlat, s->answer_parts,
          s->answers_extra, s->submits_unmatched, l.p50, l.p99, l.max,
          l.mean);
}

static void write_ussd_stats(sink_t *s, FILE *f) {
  lat_sum_t l = lat_summary(s->ussd_lat_us, s->ussd_nlat);
  fprintf(f,
          "ussd_n=%" PRIu64 "\nussd_rounds=%" PRIu32
          "\nussd_think_ms=%" PRIu32 "\nussd_timeout_ms=%" PRIu32
          "\nussd_inputs=%" PRIu32 "\nussd_done=%d\nussd_dialogues=%" PRIu64
          "\nussd_requests=%" PRIu64 "\nussd_screens=%" PRIu64
          "\nussd_final=%" PRIu64 "\nussd_open=%" PRIu64
          "\nussd_missing=%" PRIu64 "\nussd_late=%" PRIu64
          "\nussd_unexpected=%" PRIu64 "\nussd_nosend=%" PRIu64
          "\nussd_resp_ok=%" PRIu64 "\nussd_resp_err=%" PRIu64
          "\nussd_resp_err_statuses=",
          s->ussd_n, s->ussd_rounds, s->ussd_think_ms, s->ussd_timeout_ms,
          s->ussd_ninputs, s->ussd_running && s->ussd_left == 0,
          s->ussd_dialogues, s->ussd_requests, s->ussd_screens, s->ussd_final,
          s->ussd_open, s->ussd_missing, s->ussd_late, s->ussd_unexpected,
          s->ussd_nosend, s->mo_resp_ok, s->mo_resp_err);
  write_resp_statuses(s, f);
  fprintf(f,
          "\nussd_first_us=%" PRId64 "\nussd_last_screen_us=%" PRId64
          "\nussd_done_us=%" PRId64 "\nussd_lat_p50_us=%" PRIu32
          "\nussd_lat_p99_us=%" PRIu32 "\nussd_lat_max_us=%" PRIu32
          "\nussd_lat_mean_us=%" PRIu64 "\n",
          s->ussd_first_us, s->ussd_last_screen_us, s->ussd_done_us, l.p50,
          l.p99, l.max, l.mean);
}

/* A figures file is written beside itself and renamed: a reader never
 * sees half of it.  NULL after saying why. */
static FILE *out_open(const char *path, char *tmp, size_t tmpsz) {
  snprintf(tmp, tmpsz, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (f == NULL)
    fprintf(stderr, "smpp-sink: %s: %s\n", tmp, strerror(errno));
  return f;
}

static void out_close(FILE *f, const char *tmp, const char *path) {
  if (fclose(f) != 0 || rename(tmp, path) != 0)
    fprintf(stderr, "smpp-sink: %s: %s\n", path, strerror(errno));
}

static void write_stats(sink_t *s) {
  if (s->stats_path == NULL)
    return;
  char tmp[4096];
  FILE *f = out_open(s->stats_path, tmp, sizeof tmp);
  if (f == NULL)
    return;
  fprintf(f,
          "submits=%" PRIu64 "\nsubmits_refused=%" PRIu64
          "\nfirst_submit_us=%" PRId64 "\nlast_submit_us=%" PRId64
          "\nlast_resp_us=%" PRId64 "\nbinds=%" PRIu64
          "\nunbinds=%" PRIu64 "\nenquire_links=%" PRIu64
          "\nreceipts_sent=%" PRIu64 "\nreceipts_acked=%" PRIu64
          "\nreceipts_dropped=%" PRIu64 "\nother_resps=%" PRIu64
          "\nnacks_sent=%" PRIu64 "\nbytes_in=%" PRIu64
          "\nbytes_out=%" PRIu64 "\nwrites=%" PRIu64
          "\nturnaround_p50_us=%" PRIu64 "\nturnaround_p99_us=%" PRIu64
          "\nturnaround_max_us=%" PRIu64 "\n",
          s->submits, s->submits_refused, s->first_submit_us,
          s->last_submit_us, s->last_resp_us, s->binds, s->unbinds,
          s->enquire_links, s->receipts_sent, s->receipts_acked,
          s->receipts_dropped, s->other_resps, s->nacks_sent, s->bytes_in,
          s->bytes_out, s->writes, percentile(s, 0.50), percentile(s, 0.99),
          s->hist_max_us);
  if (s->mo_n)
    write_mo_stats(s, f);
  if (s->ussd_n)
    write_ussd_stats(s, f);
  out_close(f, tmp, s->stats_path);
}

static void write_times(sink_t *s) {
  if (s->times_path == NULL)
    return;
  char tmp[4096];
  FILE *f = out_open(s->times_path, tmp, sizeof tmp);
  if (f == NULL)
    return;
  for (size_t i = 0; i < s->times_len; i++)
    fprintf(f, "%" PRIu64 " %" PRIu32 "\n", s->times[i].t_ns, s->times[i].n);
  out_close(f, tmp, s->times_path);
}

static void on_signal(uv_signal_t *h, int signum) {
  sink_t *s = h->data;
  if (signum == SIGUSR2) {
    s->mo_armed = 1;
    s->ussd_armed = 1;
    mo_maybe_start(s);
    ussd_maybe_start(s);
    return;
  }
  write_stats(s);
  if (signum != SIGUSR1) {
    write_times(s);
    uv_stop(s->loop);
  }
}

/* --- main -------------------------------------------------------------------- */

static int usage(int rc) {
  fprintf(rc ? stderr : stdout,
          "usage: smpp-sink [--port P] [--ready-file F] [--stats F]\n"
          "                 [--receipts on|off] [--id-start N]"
          " [--id-format dec|hex] [--nagle] [--times F]\n"
          "                 [--mo N [--mo-rate R] [--mo-text-file F]"
          " [--mo-from MSISDN]\n"
          "                  [--mo-to ADDR] [--mo-start bind|usr2]]\n"
          "                 [--ussd N [--ussd-code CODE] [--ussd-inputs A,B,..]"
          " [--ussd-think MS]\n"
          "                  [--ussd-rounds R] [--ussd-timeout MS]"
          " [--ussd-seed S]]\n"
          "                 (--ussd also takes --mo-from, --mo-to,"
          " --mo-start)\n");
  return rc;
}

static int on_off(const char *v) {
  return strcmp(v, "on") == 0 || strcmp(v, "1") == 0 ||
         strcmp(v, "true") == 0 || strcmp(v, "yes") == 0;
}

int main(int argc, char **argv) {
  static const struct option opts[] = {
      {"port", required_argument, NULL, 'p'},
      {"ready-file", required_argument, NULL, 'r'},
      {"stats", required_argument, NULL, 's'},
      {"receipts", required_argument, NULL, 'R'},
      {"id-start", required_argument, NULL, 'i'},
      {"id-format", required_argument, NULL, 'f'},
      {"mo", required_argument, NULL, 'm'},
      {"mo-rate", required_argument, NULL, 'M'},
      {"mo-text-file", required_argument, NULL, 'T'},
      {"mo-from", required_argument, NULL, 'F'},
      {"mo-to", required_argument, NULL, 'D'},
      {"mo-start", required_argument, NULL, 'S'},
      {"nagle", no_argument, NULL, 'N'},
      {"times", required_argument, NULL, 'X'},
      {"ussd", required_argument, NULL, 'U'},
      {"ussd-code", required_argument, NULL, 'C'},
      {"ussd-inputs", required_argument, NULL, 'I'},
      {"ussd-think", required_argument, NULL, 'K'},
      {"ussd-rounds", required_argument, NULL, 'O'},
      {"ussd-timeout", required_argument, NULL, 'W'},
      {"ussd-seed", required_argument, NULL, 'E'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  static sink_t sink;
  sink_t *s = &sink;
  int port = 0, ch;
  const char *ready = NULL, *mo_text_file = NULL, *ussd_code = "*123*8#";
  const char *ussd_inputs = "1,0,1,0";
  s->next_id = 1;
  s->ussd_rounds = 3;
  s->ussd_think_ms = 1000;
  s->ussd_timeout_ms = 10000;
  s->ussd_rng = 88172645463325252ull;
  s->mo_rate = 1000;
  s->mo_from = 8613900000000ull;
  snprintf(s->mo_to, sizeof s->mo_to, "10658000");
  while ((ch = getopt_long(argc, argv, "p:r:s:i:f:h", opts, NULL)) != -1) {
    switch (ch) {
    case 'p':
      port = atoi(optarg);
      break;
    case 'r':
      ready = optarg;
      break;
    case 's':
      s->stats_path = optarg;
      break;
    case 'R':
      s->receipts = on_off(optarg);
      break;
    case 'i':
      s->next_id = strtoull(optarg, NULL, 10);
      break;
    case 'f':
      s->id_hex = strcmp(optarg, "hex") == 0;
      break;
    case 'm':
      s->mo_n = strtoull(optarg, NULL, 10);
      break;
    case 'M':
      s->mo_rate = strtoull(optarg, NULL, 10);
      break;
    case 'T':
      mo_text_file = optarg;
      break;
    case 'F':
      s->mo_from = strtoull(optarg, NULL, 10);
      break;
    case 'D':
      snprintf(s->mo_to, sizeof s->mo_to, "%s", optarg);
      break;
    case 'S':
      if (strcmp(optarg, "usr2") == 0)
        s->mo_on_usr2 = 1;
      else if (strcmp(optarg, "bind") != 0)
        return usage(2);
      break;
    case 'N':
      s->nagle = 1;
      break;
    case 'X':
      s->times_path = optarg;
      break;
    case 'U':
      s->ussd_n = strtoull(optarg, NULL, 10);
      break;
    case 'C':
      ussd_code = optarg;
      break;
    case 'I':
      ussd_inputs = optarg;
      break;
    case 'K':
      s->ussd_think_ms = (uint32_t)strtoul(optarg, NULL, 10);
      break;
    case 'O':
      s->ussd_rounds = (uint32_t)strtoul(optarg, NULL, 10);
      break;
    case 'W':
      s->ussd_timeout_ms = (uint32_t)strtoul(optarg, NULL, 10);
      break;
    case 'E':
      s->ussd_rng = strtoull(optarg, NULL, 10) | 1; /* never 0 */
      break;
    case 'h':
      return usage(0);
    default:
      return usage(2);
    }
  }
  if (optind != argc)
    return usage(2);

  gwlib_init();
  log_set_output_level(GW_PANIC);
  signal(SIGPIPE, SIG_IGN);

  s->hist = sink_alloc(HIST_US * sizeof *s->hist);
  memset(s->hist, 0, HIST_US * sizeof *s->hist);
  s->loop = uv_default_loop();
  if (s->mo_n) {
    if (s->mo_rate == 0 || s->mo_n >= MO_SEQ_BASE) {
      fprintf(stderr, "smpp-sink: --mo-rate must be > 0, --mo below 2^30\n");
      return 2;
    }
    if (mo_load_texts(s, mo_text_file) != 0)
      return 1;
    s->mo_sent_ns = sink_alloc(s->mo_n * sizeof *s->mo_sent_ns);
    memset(s->mo_sent_ns, 0, s->mo_n * sizeof *s->mo_sent_ns);
    s->mo_answered = sink_alloc(s->mo_n);
    memset(s->mo_answered, 0, s->mo_n);
    s->mo_lat_us = sink_alloc(s->mo_n * sizeof *s->mo_lat_us);
    s->mo_armed = !s->mo_on_usr2;
    uv_timer_init(s->loop, &s->mo_timer);
    s->mo_timer.data = s;
  }
  if (s->ussd_n) {
    if (s->mo_n || s->ussd_rounds == 0 || s->ussd_timeout_ms == 0 ||
        strlen(ussd_code) > 140 || ussd_parse_inputs(s, ussd_inputs) != 0) {
      fprintf(stderr, "smpp-sink: --ussd: not with --mo; rounds and timeout"
                      " > 0; at most %d inputs of 140 characters\n",
              USSD_INPUTS_MAX);
      return 2;
    }
    mo_encode(ussd_code, &s->ussd_texts[0]);
    s->dlgs = sink_alloc(s->ussd_n * sizeof *s->dlgs);
    memset(s->dlgs, 0, s->ussd_n * sizeof *s->dlgs);
    for (uint64_t i = 0; i < s->ussd_n; i++) {
      s->dlgs[i].sink = s;
      s->dlgs[i].idx = (uint32_t)i;
      uv_timer_init(s->loop, &s->dlgs[i].timer);
      s->dlgs[i].timer.data = &s->dlgs[i];
    }
    s->ussd_left = s->ussd_n;
    s->ussd_armed = !s->mo_on_usr2;
  }

  struct sockaddr_in addr;
  uv_ip4_addr("127.0.0.1", port, &addr);
  uv_tcp_init(s->loop, &s->server);
  s->server.data = s;
  int rc = uv_tcp_bind(&s->server, (const struct sockaddr *)&addr, 0);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&s->server, 128, on_connection);
  if (rc != 0) {
    fprintf(stderr, "smpp-sink: listen on 127.0.0.1:%d: %s\n", port,
            uv_strerror(rc));
    return 1;
  }
  struct sockaddr_storage ss;
  int sl = sizeof ss;
  uv_tcp_getsockname(&s->server, (struct sockaddr *)&ss, &sl);
  port = ntohs(((struct sockaddr_in *)&ss)->sin_port);

  uv_check_init(s->loop, &s->flush);
  s->flush.data = s;
  uv_check_start(&s->flush, on_flush);
  uv_signal_t *sigs[] = {&s->sig_term, &s->sig_int, &s->sig_usr1,
                         &s->sig_usr2};
  int signums[] = {SIGTERM, SIGINT, SIGUSR1, SIGUSR2};
  for (int i = 0; i < 4; i++) {
    uv_signal_init(s->loop, sigs[i]);
    sigs[i]->data = s;
    uv_signal_start(sigs[i], on_signal, signums[i]);
  }

  if (ready) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", ready);
    FILE *f = fopen(tmp, "w");
    if (f == NULL || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 ||
        rename(tmp, ready) != 0) {
      fprintf(stderr, "smpp-sink: cannot write %s\n", ready);
      return 1;
    }
  } else {
    printf("smpp-sink: listening on 127.0.0.1:%d\n", port);
    fflush(stdout);
  }

  uv_run(s->loop, UV_RUN_DEFAULT);
  return 0;
}
