/*
 * smpp_session.h — one SMPP 3.4 ESME session as a state machine without I/O.
 *
 * ARCHITECTURE.md: gateway/smpp_link wires this to a uv_tcp_t; the session
 * itself is fed bytes (vg_smpp_session_feed) and time (vg_smpp_session_tick)
 * and gives back bytes to write and events through callbacks.  PDUs are packed
 * and unpacked with Kannel's libgw; framing (the 4-byte length) is ours, so a
 * bad length is caught before libgw sees the body.  Unit tests drive it with
 * no socket at all.
 *
 *   CLOSED --open--> BINDING --bind_resp OK--> BOUND --unbind--> UNBINDING
 *      ^                |  bind_resp error: bind_failed, CLOSED     |
 *      +----------------+-------- fatal / peer unbind --------------+
 *
 * Callbacks may call back into the session (submit, deliver_resp, ...), but
 * must not free it; vg_smpp_session_reset() is the only way back to CLOSED
 * from the owner, and is safe from within a callback.
 */
#ifndef VG_SMPP_SESSION_H
#define VG_SMPP_SESSION_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
  VG_SMPP_CLOSED = 0, /* no transport, or transport not yet opened */
  VG_SMPP_BINDING,    /* bind_* sent, waiting for its response */
  VG_SMPP_BOUND,      /* traffic may flow */
  VG_SMPP_UNBINDING,  /* unbind sent (or received): no new submits */
} vg_smpp_state_t;

typedef enum {
  VG_SMPP_ROLE_TRX = 0, /* bind_transceiver */
  VG_SMPP_ROLE_TX,      /* bind_transmitter */
  VG_SMPP_ROLE_RX,      /* bind_receiver */
} vg_smpp_role_t;

/* Name of a state or role, for logs and stats. */
const char *vg_smpp_state_name(vg_smpp_state_t s);
const char *vg_smpp_role_name(vg_smpp_role_t r);

/* SMPP command_status name ("ESME_RTHROTTLED"), or "0x%08X" for unknown. */
const char *vg_smpp_status_name(uint32_t status, char buf[16]);

typedef enum {
  VG_SMPP_STATUS_OK = 0,
  VG_SMPP_STATUS_THROTTLE, /* pause sending, retry the same PDU later */
  VG_SMPP_STATUS_PERMANENT /* fail the message, record the status */
} vg_smpp_status_class_t;

vg_smpp_status_class_t vg_smpp_status_class(uint32_t status);

#define VG_SMPP_ESME_ROK 0x00000000u
#define VG_SMPP_ESME_RINVCMDLEN 0x00000002u
#define VG_SMPP_ESME_RINVCMDID 0x00000003u
#define VG_SMPP_ESME_RINVBNDSTS 0x00000004u
#define VG_SMPP_ESME_RSYSERR 0x00000008u
#define VG_SMPP_ESME_RMSGQFUL 0x00000014u
#define VG_SMPP_ESME_RTHROTTLED 0x00000058u
#define VG_SMPP_ESME_RX_T_APPN 0x00000064u

/* The largest PDU accepted from the peer, length field included. */
#define VG_SMPP_MAX_PDU 70000u

typedef struct {
  const char *system_id;
  const char *password;
  const char *system_type;
  vg_smpp_role_t role;
  uint32_t response_timeout_ms;     /* every request must be answered by then */
  uint32_t enquire_link_interval_ms; /* idle time before an enquire_link */
  uint32_t window;                  /* max outstanding submit_sm */
} vg_smpp_session_opts_t;

/* The longest source_addr or destination_addr of a submit_sm: 21 octets
 * with the NUL (SMPP 3.4).  vg_smpp_session_submit() refuses a longer one;
 * the outbox refuses it first, with the reason, and the Redis Functions
 * where the message is made (gateway/lua/base.lua, ADDR_MAX). */
#define VG_SMPP_ADDR_MAX 20

/* An MT part to submit.  Strings are NUL-terminated; bytes are copied. */
typedef struct {
  const char *source;
  int source_ton, source_npi;
  const char *dest;
  int dest_ton, dest_npi;
  int esm_class;           /* 0x40 when sm carries a UDH */
  int data_coding;
  int registered_delivery; /* 1: ask for a final receipt */
  const unsigned char *sm;
  size_t sm_len;           /* > 254 goes in message_payload */
  int ussd_service_op;     /* -1: absent */
  const unsigned char *its_session_info; /* 2 octets, or NULL */
  int user_message_reference; /* 0..65535; -1: absent */
} vg_smpp_submit_t;

/* An inbound deliver_sm or data_sm, valid only during the callback. */
typedef struct {
  int is_data_sm;
  const char *source; /* as sent, NUL-terminated */
  int source_ton, source_npi;
  const char *dest;
  int esm_class;
  int data_coding;
  const unsigned char *sm; /* short_message, or message_payload when set */
  size_t sm_len;
  const char *receipted_message_id; /* NULL when absent */
  int message_state;                /* -1 when absent */
  int ussd_service_op;              /* -1 when absent */
  const unsigned char *its_session_info; /* NULL or 2 octets */
  int user_message_reference;       /* 0..65535; -1 when absent */
  const unsigned char *network_error_code; /* NULL or 3 octets */
} vg_smpp_deliver_t;

typedef struct vg_smpp_session_s vg_smpp_session_t;

typedef struct {
  /* Bytes to put on the wire, in order.  `buf` is only valid during the call. */
  void (*write)(vg_smpp_session_t *s, const unsigned char *buf, size_t len);
  /* bind_*_resp OK: the session is BOUND. */
  void (*bound)(vg_smpp_session_t *s);
  /* bind refused: the session is CLOSED; the owner closes the transport. */
  void (*bind_failed)(vg_smpp_session_t *s, uint32_t status);
  /*
   * Answer to a submit (or its loss): `status` from submit_sm_resp, or -1
   * when the session ended before it (the part's fate is unknown: resubmit).
   * `msgid` is the SMSC message id (NUL-terminated, may be "").
   */
  void (*submit_resp)(vg_smpp_session_t *s, void *tag, int64_t status,
                      const char *msgid);
  /*
   * An inbound message.  The owner must answer it exactly once with
   * vg_smpp_session_deliver_resp(seq, ...), now or later.
   */
  void (*deliver)(vg_smpp_session_t *s, const vg_smpp_deliver_t *d,
                  uint32_t seq);
  /* Peer sent unbind (already answered) or answered ours: close transport. */
  void (*unbound)(vg_smpp_session_t *s, int by_peer);
  /* Protocol failure or response timeout; close the transport. */
  void (*fatal)(vg_smpp_session_t *s, const char *reason);
  /* A PDU the session answered on its own that the owner may log. */
  void (*notice)(vg_smpp_session_t *s, const char *what);
  /*
   * The SMSC has read every PDU we wrote up to number `upto`
   * (vg_smpp_session_written): it answered a request written after them,
   * and reads in order.  So a deliver_sm_resp among them has reached it and
   * the SMSC will not deliver that message again.  May be NULL.
   */
  void (*peer_read)(vg_smpp_session_t *s, uint64_t upto);
} vg_smpp_session_cb_t;

/* Create a session (CLOSED).  `data` is the owner's, reachable as s->data. */
vg_smpp_session_t *vg_smpp_session_new(const vg_smpp_session_opts_t *opts,
                                       const vg_smpp_session_cb_t *cb,
                                       void *data);
void vg_smpp_session_free(vg_smpp_session_t *s);
void *vg_smpp_session_data(vg_smpp_session_t *s);

/* Transport is up: send the bind.  `now_ms` is a monotonic clock. */
int vg_smpp_session_open(vg_smpp_session_t *s, uint64_t now_ms);

/*
 * Transport gone: every outstanding submit gets submit_resp(status -1),
 * state CLOSED, input buffer dropped.  Safe from a callback.
 */
void vg_smpp_session_reset(vg_smpp_session_t *s);

/* Bytes received.  Calls the callbacks as PDUs complete. */
void vg_smpp_session_feed(vg_smpp_session_t *s, const unsigned char *buf,
                          size_t len, uint64_t now_ms);

/* Time passed: response timeouts and enquire_link. Call about every 250 ms. */
void vg_smpp_session_tick(vg_smpp_session_t *s, uint64_t now_ms);

/*
 * Send a submit_sm.  Returns 0; VG_ENOTCONN when not BOUND (or a receiver);
 * VG_EBUSY when the window is full; VG_EINVAL for fields libgw refuses.
 * `tag` comes back in submit_resp.
 */
int vg_smpp_session_submit(vg_smpp_session_t *s, const vg_smpp_submit_t *m,
                           void *tag, uint64_t now_ms);

/*
 * Answer an inbound message (deliver_sm_resp or data_sm_resp).  An answer
 * ESME_ROK asks for proof that the SMSC read it: when no request written
 * after it is answered first, the next tick sends an enquire_link whose
 * answer gives peer_read.
 */
void vg_smpp_session_deliver_resp(vg_smpp_session_t *s, uint32_t seq,
                                  uint32_t status, int is_data_sm);

/* How many PDUs the session has written so far (over all connections):
 * right after vg_smpp_session_deliver_resp, the number of that answer. */
uint64_t vg_smpp_session_written(const vg_smpp_session_t *s);

/* Send unbind; `unbound` fires on unbind_resp (or fatal on timeout). */
int vg_smpp_session_unbind(vg_smpp_session_t *s, uint64_t now_ms);

vg_smpp_state_t vg_smpp_session_state(const vg_smpp_session_t *s);
vg_smpp_role_t vg_smpp_session_role(const vg_smpp_session_t *s);
/* Outstanding submit_sm; and how many more the window allows. */
uint32_t vg_smpp_session_in_flight(const vg_smpp_session_t *s);
uint32_t vg_smpp_session_window_free(const vg_smpp_session_t *s);
/* 1 when this session may submit (BOUND and not a receiver). */
int vg_smpp_session_can_submit(const vg_smpp_session_t *s);
/* 1 when this session receives MO (BOUND and not a transmitter). */
int vg_smpp_session_can_receive(const vg_smpp_session_t *s);

/* Next sequence number to be used; for tests of the wrap at 0x7FFFFFFF. */
void vg_smpp_session_set_next_seq(vg_smpp_session_t *s, uint32_t seq);
uint32_t vg_smpp_session_next_seq(const vg_smpp_session_t *s);

#endif
