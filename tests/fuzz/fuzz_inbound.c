/*
 * fuzz_inbound.c — libFuzzer target for everything vasgw parses from the
 * SMSC: the SMPP byte stream (framing + libgw's smpp_pdu_unpack + our
 * dispatch), receipt text, SMSC message ids, and MO text decoding.
 *
 * The input is fed to a bound session whole, then again to a fresh session
 * in chunks whose sizes come from the input itself, the way hiredis's
 * OSS-Fuzz harness feeds its reader: a parser must give the same result
 * however the bytes arrive.  'make fuzz-run' runs it for a bounded time.
 */
#include "gateway/dlr.h"
#include "gateway/gwlib_init.h"
#include "gateway/smpp_session.h"
#include "gateway/text.h"
#include "gateway/vg.h"

#include <stdint.h>
#include <string.h>

static size_t written;
static int delivered;

static void on_write(vg_smpp_session_t *s, const unsigned char *b, size_t n) {
  (void)s;
  (void)b;
  written += n;
}

static void on_deliver(vg_smpp_session_t *s, const vg_smpp_deliver_t *d,
                       uint32_t seq) {
  delivered++;
  /* What the inbox does with a deliver_sm, minus Redis. */
  vg_concat_t c;
  char *text = NULL;
  size_t len = 0;
  if (vg_text_decode_mo(d->data_coding, (d->esm_class & 0x40) != 0, d->sm,
                        d->sm_len, &c, &text, &len) == 0)
    vg_free(text);
  vg_dlr_t dlr;
  vg_dlr_parse((const char *)d->sm, d->sm_len, &dlr);
  vg_smpp_session_deliver_resp(s, seq, 0, d->is_data_sm);
}

static void on_submit_resp(vg_smpp_session_t *s, void *tag, int64_t status,
                           const char *msgid) {
  (void)s;
  (void)tag;
  (void)status;
  char keys[VG_MSGID_MAX_CANDIDATES][VG_MSGID_KEY_MAX];
  vg_msgid_keys(msgid, strlen(msgid), keys);
}

static const vg_smpp_session_cb_t cb = {.write = on_write,
                                        .submit_resp = on_submit_resp,
                                        .deliver = on_deliver};

/* A bound transceiver: open, then answer the bind. */
static vg_smpp_session_t *bound_session(void) {
  vg_smpp_session_opts_t o = {.system_id = "fuzz",
                              .password = "pw",
                              .system_type = "",
                              .role = VG_SMPP_ROLE_TRX,
                              .response_timeout_ms = 1000,
                              .enquire_link_interval_ms = 1000,
                              .window = 8};
  vg_smpp_session_t *s = vg_smpp_session_new(&o, &cb, NULL);
  vg_smpp_session_open(s, 0);
  static const unsigned char bind_resp[] = {
      0, 0, 0, 17, 0x80, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 0};
  vg_smpp_session_feed(s, bind_resp, sizeof bind_resp, 0);
  /* Something outstanding, so responses in the input can match it. */
  static const unsigned char sm[] = "hi";
  vg_smpp_submit_t m = {.source = "10658000", .dest = "8613800138000",
                        .sm = sm, .sm_len = 2, .ussd_service_op = -1,
                        .dest_ton = 1, .dest_npi = 1};
  vg_smpp_session_submit(s, &m, NULL, 0);
  return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int init;
  if (!init) {
    vg_gwlib_init();
    init = 1;
  }
  /* Whole. */
  vg_smpp_session_t *s = bound_session();
  vg_smpp_session_feed(s, data, size, 1);
  vg_smpp_session_tick(s, 5000);
  vg_smpp_session_free(s);

  /* In chunks sized by the input's own bytes. */
  s = bound_session();
  size_t off = 0, i = 0;
  while (off < size) {
    size_t n = (size_t)(data[i++ % size] % 17) + 1;
    if (n > size - off)
      n = size - off;
    vg_smpp_session_feed(s, data + off, n, 1);
    off += n;
  }
  vg_smpp_session_free(s);

  /* The text parsers on the raw input as well. */
  vg_dlr_t dlr;
  vg_dlr_parse((const char *)data, size, &dlr);
  char keys[VG_MSGID_MAX_CANDIDATES][VG_MSGID_KEY_MAX];
  vg_msgid_keys((const char *)data, size, keys);
  if (size > 0) {
    vg_concat_t c;
    char *text = NULL;
    size_t len = 0;
    if (vg_text_decode_mo(data[0] & 0x0F, data[0] & 0x40, data + 1, size - 1,
                          &c, &text, &len) == 0)
      vg_free(text);
    vg_text_mt_t mt;
    if (vg_text_encode_mt((const char *)data, size, 1, &mt) == 0)
      vg_text_mt_free(&mt);
  }
  return 0;
}
