/*
 * fuzz_inbound.c — libFuzzer target for everything vasgw parses from the
 * SMSC, and for the MT encoder whose output the SMSC parses back.
 *
 * One input is used several ways at once (tests/fuzz/README.md):
 *
 * 1. As the SMPP byte stream of an SMSC, fed to a bound transceiver session
 *    (framing + libgw's smpp_pdu_unpack + our dispatch) three times:
 *      A  whole, in one vg_smpp_session_feed();
 *      B  in chunks whose sizes come from the input's own bytes, the feed
 *         clock advancing by 1 ms a chunk, no tick;
 *      C  in chunks sized by a PRNG seeded from the input, the clock
 *         advancing by input-derived steps (now and then past every
 *         timeout) with vg_smpp_session_tick() before every chunk.
 *    Every callback and every byte written is recorded as an event, and the
 *    event lists are compared: B must equal A exactly (same PDUs written,
 *    same callbacks, same decoded results, same order).  C must equal A
 *    except for what the clock legitimately changes, which is removed from
 *    both lists before comparing:
 *      - what a tick itself does (an enquire_link written, a response
 *        timeout and the submits it hands back), checked for being only
 *        that;
 *      - a response in the input whose sequence number is that of an
 *        enquire_link a tick sent: A has no such request and notices an
 *        unknown sequence, C matches it (so notices naming such a sequence
 *        are dropped from both);
 *      - peer_read, whose PDU numbers count the enquire_links C wrote;
 *      - after a timeout the session is closed: C must then be a prefix of
 *        A, and nothing may happen on the feeds that follow.
 *    The deliver callback does what gateway/inbox.c does with a deliver_sm
 *    or data_sm, minus Redis, by calling the same functions: receipt or MO
 *    by esm_class/receipted_message_id, vg_dlr_parse on the text,
 *    vg_msgid_keys on the id, vg_text_decode_mo with the concatenation UDH,
 *    vg_msisdn_normalize on the sender; their results go into the event.
 *    A submit_sm_resp's message id goes through vg_msgid_keys as the outbox
 *    stores it.  Like gateway/smpp_link.c, a peer unbind or a fatal error
 *    resets the session.
 *
 * 2. As receipt text (vg_dlr_parse), an SMSC message id (vg_msgid_keys),
 *    an MO short_message (first byte: dcs in the low nibble, 0x40 UDHI; and
 *    again with the second byte as a full data_coding) and as MT text
 *    (vg_text_encode_mt), both as given (arbitrary bytes, mostly invalid
 *    UTF-8) and mapped to valid UTF-8 full of GSM escapes, surrogate pairs
 *    and long runs (map_text), so that parts split at every boundary.
 *
 * Invariants checked besides "no crash, no sanitizer report":
 *   MT   rc matches libunistring's u8_check; parts within 160/153 septets or
 *        70/67 UCS-2 units, the UDH 05 00 03 ref n i on each; no GSM escape
 *        and no surrogate pair split; parts filled greedily; UCS-2 only
 *        when some character is not GSM; decoding every part with
 *        vg_text_decode_mo gives back the concatenation information and,
 *        joined (also by vg_text_join_parts), exactly the text (any text
 *        without U+0000, which no MT from a C string has); the
 *        outbox's verdict (vg_mt_text_verdict, vg_mt_check_text: sent, or
 *        refused for [gateway] max_parts) agrees with the encoding.
 *   MO   valid UTF-8 out, a whole C string (no NUL inside); what is not
 *        text refused (VG_ENOTTEXT: octets above 0x7F in GSM or IA5, odd
 *        UCS-2), never guessed (no U+FFFD from GSM, IA5, Latin-1); concat
 *        1 <= seq <= total, kept on VG_ENOTTEXT; with UDHI the result is
 *        that of the octets after the UDH without UDHI; IA5 and Latin-1 one
 *        character per octet, trailing NULs dropped; any decoded text
 *        re-encodes and round-trips as an MT would.
 *   DLR  fields NUL-terminated, taken from the text; re-rendering the
 *        parsed fields as a receipt parses back to the same fields.
 *   ids  keys canonical (lower case, no leading zeros, digits for the
 *        numeric readings), distinct; each alternative spelling finds the
 *        stored key; upper case, surrounding blanks and a leading zero
 *        change nothing; the canonical key is its own canonical key.
 *   MSISDN a normalised number is 8..15 digits and "+" it normalises to
 *        itself.
 *
 * VG_FUZZ_DUMP=1 shows the events.  (Two defects it found are fixed; their
 * inputs are seeds: corpus/badlen_nack_seq, corpus/msgid_zero_space.)
 * 'make fuzz-run' runs it for a bounded time.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* memmem */
#endif
#include "gateway/deliver.h"
#include "gateway/dlr.h"
#include "gateway/gwlib_init.h"
#include "gateway/msisdn.h"
#include "gateway/mt_queue.h"
#include "gateway/smpp_session.h"
#include "gateway/text.h"
#include "gateway/vg.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#define T_RESP 30000u /* response_timeout_ms */
#define T_ENQ 5000u   /* enquire_link_interval_ms */
#define COUNTRY "86"

static int dump_all; /* VG_FUZZ_DUMP=1: print every pass's events */

static void fail(int line, const char *what) {
  fprintf(stderr, "fuzz_inbound.c:%d: invariant broken: %s\n", line, what);
  abort();
}
#define REQUIRE(cond)                                                        \
  do {                                                                       \
    if (!(cond))                                                             \
      fail(__LINE__, #cond);                                                 \
  } while (0)

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

/* ---- the event log -------------------------------------------------------- */

enum {
  EV_WRITE,
  EV_BOUND,
  EV_BIND_FAILED,
  EV_SUBMIT_RESP,
  EV_DELIVER,
  EV_UNBOUND,
  EV_FATAL,
  EV_NOTICE,
  EV_PEER_READ,
};
static const char *const ev_names[] = {"write",   "bound",   "bind_failed",
                                       "submit_resp", "deliver", "unbound",
                                       "fatal",   "notice",  "peer_read"};

typedef struct {
  int type;
  int from_tick; /* happened inside vg_smpp_session_tick */
  size_t off, len;
} ev_t;

/* A tick sends an enquire_link only when none is outstanding, so there are
 * at most as many as the input has 16-octet responses, plus one. */
#define MAX_TICK_SEQS 1024

typedef struct {
  const char *name;
  vg_smpp_session_t *s;
  ev_t *ev;
  size_t nev, evcap;
  unsigned char *buf;
  size_t nbuf, bufcap;
  int in_tick;
  int deep;      /* run the invariant checks (pass A; B and C compare) */
  int closed;    /* reset by us (fatal, unbind) or by the session */
  int tick_fatal;
  uint32_t tick_seqs[MAX_TICK_SEQS]; /* enquire_links a tick sent */
  size_t ntick_seqs;
  uint64_t last_peer_read;
} rec_t;

static void grow(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap)
    return;
  size_t c = *cap ? *cap : 64;
  while (c < need)
    c *= 2;
  *p = vg_realloc(*p, c * elem);
  *cap = c;
}

static void ev_begin(rec_t *r, int type) {
  grow((void **)&r->ev, &r->evcap, r->nev + 1, sizeof *r->ev);
  r->ev[r->nev++] = (ev_t){type, r->in_tick, r->nbuf, 0};
}

static void put(rec_t *r, const void *p, size_t n) {
  grow((void **)&r->buf, &r->bufcap, r->nbuf + n, 1);
  if (n)
    memcpy(r->buf + r->nbuf, p, n);
  r->nbuf += n;
  r->ev[r->nev - 1].len += n;
}
static void put_int(rec_t *r, int64_t v) { put(r, &v, sizeof v); }
static void put_mem(rec_t *r, const void *p, size_t n) {
  put_int(r, (int64_t)n);
  put(r, p, n);
}
static void put_str(rec_t *r, const char *s) {
  if (s == NULL)
    put_int(r, -1);
  else
    put_mem(r, s, strlen(s));
}

static void rec_free(rec_t *r) {
  vg_free(r->ev);
  vg_free(r->buf);
}

static void dump(const rec_t *r) {
  fprintf(stderr, "--- pass %s: %zu events\n", r->name, r->nev);
  for (size_t i = 0; i < r->nev; i++) {
    const ev_t *e = &r->ev[i];
    const unsigned char *p = r->buf + e->off;
    fprintf(stderr, "%3zu %s%-11s ", i, e->from_tick ? "tick " : "",
            ev_names[e->type]);
    if (e->type == EV_NOTICE || e->type == EV_FATAL)
      fprintf(stderr, "%.*s", (int)(e->len - 8), p + 8);
    else
      for (size_t k = 0; k < e->len && k < 48; k++)
        fprintf(stderr, "%02x", p[k]);
    fputc('\n', stderr);
  }
}

/* ---- MT: vg_text_encode_mt and the parts' way back ------------------------ */

/* Weight of a part's payload (septets or UTF-16 units), and of its first
 * character (an escape pair or a surrogate pair weighs 2). */
static size_t weight(int dcs, size_t len) { return dcs == VG_DCS_GSM ? len : len / 2; }
static size_t first_weight(int dcs, const unsigned char *p) {
  if (dcs == VG_DCS_GSM)
    return p[0] == 0x1B ? 2 : 1;
  return p[0] >= 0xD8 && p[0] <= 0xDB ? 2 : 1;
}

/*
 * Encode `text` as the outbox does and check the parts; decode each part as
 * the handset (or vg_text_decode_mo) would and require the text back.
 */
static void check_mt(const char *text, size_t len, uint8_t ref) {
  vg_text_mt_t mt;
  int rc = vg_text_encode_mt(text, len, ref, &mt);
  int valid = u8_check((const uint8_t *)text, len) == NULL;

  if (len == 0)
    REQUIRE(rc == VG_ETEXT);
  else if (!valid)
    REQUIRE(rc == VG_EUTF8 || rc == VG_ETOOLONG);
  else
    REQUIRE(rc == 0 || rc == VG_ETOOLONG);
  if (rc == VG_ETOOLONG)
    REQUIRE(len > VG_TEXT_MAX_PARTS * 33); /* 33 astral characters a part */

  /* The outbox's verdict ([gateway] max_parts), from this encoding and
   * from the text, agrees with it. */
  int max_parts = 1 + ref % 16, np = -1;
  char why[VG_MT_WHY_MAX], why2[VG_MT_WHY_MAX];
  int verdict = vg_mt_text_verdict(rc, rc == 0 ? mt.nparts : 0, max_parts, why);
  REQUIRE(vg_mt_check_text(text, len, max_parts, &np, why2) == verdict);
  REQUIRE(np == (rc == 0 ? (int)mt.nparts : 0) && strcmp(why, why2) == 0);
  REQUIRE((verdict == 0) == (rc == 0 && mt.nparts <= (size_t)max_parts));
  REQUIRE(strnlen(why, sizeof why) < sizeof why &&
          (verdict == 0) == (why[0] == '\0'));
  if (rc != 0) {
    REQUIRE(mt.nparts == 0 && mt.parts == NULL);
    return;
  }

  REQUIRE(mt.dcs == VG_DCS_GSM || mt.dcs == VG_DCS_UCS2);
  REQUIRE(mt.nparts >= 1 && mt.nparts <= VG_TEXT_MAX_PARTS);
  REQUIRE(mt.udhi == (mt.nparts > 1));
  size_t single = mt.dcs == VG_DCS_GSM ? 160 : 70;
  size_t multi = mt.dcs == VG_DCS_GSM ? 153 : 67;
  size_t hdr = mt.udhi ? 6 : 0, total_w = 0;
  char *back = vg_malloc(3 * len + 1);
  size_t nback = 0;
  char **texts = vg_calloc(mt.nparts, sizeof *texts);
  int has_nul = memchr(text, '\0', len) != NULL;

  for (size_t p = 0; p < mt.nparts; p++) {
    const unsigned char *d = mt.parts[p].data;
    size_t n = mt.parts[p].len;
    REQUIRE(d != NULL && n > hdr);
    if (mt.udhi) {
      static const unsigned char udh[3] = {0x05, 0x00, 0x03};
      REQUIRE(memcmp(d, udh, 3) == 0);
      REQUIRE(d[3] == ref && d[4] == mt.nparts && d[5] == p + 1);
    }
    const unsigned char *pl = d + hdr;
    size_t pn = n - hdr, w = weight(mt.dcs, pn);
    REQUIRE(w <= (mt.nparts > 1 ? multi : single));
    total_w += w;
    if (mt.dcs == VG_DCS_GSM) {
      /* Septets; an escape is followed, in the same part, by an extension
       * septet (never another escape). */
      for (size_t i = 0; i < pn; i++) {
        REQUIRE(pl[i] <= 0x7F);
        if (pl[i] == 0x1B) {
          REQUIRE(i + 1 < pn); /* an escape split from its character */
          REQUIRE(pl[++i] != 0x1B);
        }
      }
    } else {
      REQUIRE(pn % 2 == 0);
      for (size_t i = 0; i < pn; i += 2) {
        unsigned u = (unsigned)pl[i] << 8 | pl[i + 1];
        REQUIRE(u < 0xDC00 || u > 0xDFFF); /* a low surrogate alone */
        if (u >= 0xD800 && u <= 0xDBFF) {
          REQUIRE(i + 2 < pn); /* a surrogate pair split across parts */
          unsigned lo = (unsigned)pl[i + 2] << 8 | pl[i + 3];
          REQUIRE(lo >= 0xDC00 && lo <= 0xDFFF);
          i += 2;
        }
      }
    }
    /* Greedy: the next part's first character did not fit this one. */
    if (p + 1 < mt.nparts)
      REQUIRE(w + first_weight(mt.dcs, mt.parts[p + 1].data + hdr) > multi);

    /* Back through the MO decoder, UDH and all (a U+0000, which no MT
     * from a C string has, is not text to it). */
    if (has_nul)
      continue;
    vg_concat_t c;
    char *t = NULL;
    size_t tl = 0;
    REQUIRE(vg_text_decode_mo(mt.dcs, mt.udhi, d, n, &c, &t, &tl) == 0);
    if (mt.udhi)
      REQUIRE(c.present && c.ref == ref && c.total == mt.nparts &&
              c.seq == p + 1);
    else
      REQUIRE(!c.present);
    REQUIRE(nback + tl <= 3 * len);
    memcpy(back + nback, t, tl);
    nback += tl;
    texts[p] = t;
  }
  if (mt.nparts > 1)
    REQUIRE(total_w > single); /* it would have fitted one part */
  if (!has_nul) {
    REQUIRE(nback == len && memcmp(back, text, len) == 0);
    int complete = 0;
    char *j = vg_text_join_parts(texts, mt.nparts, &complete);
    REQUIRE(complete == 1 && strlen(j) == len && memcmp(j, text, len) == 0);
    vg_free(j);
    if (mt.nparts > 1) {
      /* Part 1 missing: the rest, in order, and incomplete. */
      char *first = texts[0];
      size_t fl = strlen(first);
      texts[0] = NULL;
      j = vg_text_join_parts(texts, mt.nparts, &complete);
      REQUIRE(complete == 0 && strlen(j) == len - fl &&
              memcmp(j, text + fl, len - fl) == 0);
      vg_free(j);
      texts[0] = first;
    }
  }

  /* UCS-2 only when GSM cannot: some character alone goes out as UCS-2. */
  if (mt.dcs == VG_DCS_UCS2 && len <= 1024) {
    int found = 0;
    for (size_t i = 0; i < len && !found;) {
      ucs4_t uc;
      int l = u8_mbtouc(&uc, (const uint8_t *)text + i, len - i);
      vg_text_mt_t one;
      REQUIRE(vg_text_encode_mt(text + i, (size_t)l, 0, &one) == 0);
      found = one.dcs == VG_DCS_UCS2;
      vg_text_mt_free(&one);
      i += (size_t)l;
    }
    REQUIRE(found);
  }

  for (size_t p = 0; p < mt.nparts; p++)
    vg_free(texts[p]);
  vg_free(texts);
  vg_free(back);
  vg_text_mt_free(&mt);
  REQUIRE(mt.nparts == 0 && mt.parts == NULL);
}

/*
 * Valid UTF-8 from arbitrary bytes, rich in what splitting must respect:
 * ASCII as is, GSM extension characters (escapes), GSM's non-ASCII
 * letters, astral characters (surrogate pairs), CJK (UCS-2), edge code
 * points, and runs repeating the previous character to reach part
 * boundaries from short inputs.  Returns the length written to `out`.
 */
static size_t map_text(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
  static const ucs4_t ext[10] = {0x0C, '^', '{', '}', '\\',
                                 '[',  '~', ']', '|', 0x20AC};
  static const ucs4_t gsm[22] = {0xA3, 0xA5, 0xE8, 0xE9, 0xF9, 0xEC,
                                 0xF2, 0xC7, 0xD8, 0xF8, 0xC5, 0xE5,
                                 0x394, 0x3A6, 0x393, 0x39B, 0x3A9, 0x3A0,
                                 0x3A8, 0x3A3, 0x398, 0x39E};
  static const ucs4_t edge[16] = {0xA0,   0xFFFD, 0xFEFF, '`',    0x10FFFF,
                                  0xD7FF, 0xE000, 0xFFFF, 0x80,   0x7FF,
                                  0x800,  0x10000, 0xC6,  0xDF,   0x1B,
                                  0x0};
  size_t o = 0;
  ucs4_t prev = 'a';
  for (size_t i = 0; i < n; i++) {
    uint8_t b = in[i];
    ucs4_t cp;
    size_t reps = 1;
    if (b < 0x80)
      cp = b ? b : '@'; /* U+0000 only from the edge cases */
    else if (b < 0x8A)
      cp = ext[b - 0x80];
    else if (b < 0xA0)
      cp = gsm[b - 0x8A];
    else if (b < 0xB0)
      cp = 0x1F600 + (b - 0xA0);
    else if (b < 0xC0)
      cp = 0x4E00 + (b - 0xB0);
    else if (b < 0xD0)
      cp = edge[b - 0xC0];
    else {
      cp = prev;
      reps = (size_t)(b - 0xCF) * 8; /* 8 .. 384 */
    }
    for (size_t k = 0; k < reps; k++) {
      if (o + 4 > cap)
        return o;
      int l = u8_uctomb(out + o, cp, 4);
      REQUIRE(l > 0);
      o += (size_t)l;
    }
    prev = cp;
  }
  return o;
}

/* ---- MO: vg_text_decode_mo ------------------------------------------------ */

static void check_mo(int dcs, int udhi, const unsigned char *d, size_t n,
                     int rc, const vg_concat_t *c, const char *t, size_t tl) {
  REQUIRE(rc == 0 || rc == VG_ENOTTEXT || (rc == VG_EPDU && udhi));
  REQUIRE((rc == 0) == (t != NULL)); /* on any error *utf8 is NULL */
  if (rc == VG_EPDU)
    return;
  /* The header was sound: which part this is holds even when not text. */
  if (!udhi)
    REQUIRE(!c->present);
  if (c->present)
    REQUIRE(c->total >= 1 && c->seq >= 1 && c->seq <= c->total);
  if (udhi) {
    /* The UDH (its length octet and that many more) is skipped whole. */
    size_t h = 1 + (size_t)d[0];
    REQUIRE(h <= n);
    vg_concat_t c2;
    char *t2 = NULL;
    size_t tl2 = 0;
    REQUIRE(vg_text_decode_mo(dcs, 0, d + h, n - h, &c2, &t2, &tl2) == rc);
    REQUIRE(!c2.present);
    if (rc == 0)
      REQUIRE(tl2 == tl && memcmp(t2, t, tl) == 0);
    vg_free(t2);
    return;
  }
  /* What cannot be text in its alphabet is refused, never guessed at. */
  int high = 0;
  for (size_t i = 0; i < n; i++)
    high |= d[i] > 0x7F;
  if ((dcs == VG_DCS_GSM || dcs == VG_DCS_IA5) && high)
    REQUIRE(rc == VG_ENOTTEXT);
  if (dcs == VG_DCS_UCS2 && n % 2)
    REQUIRE(rc == VG_ENOTTEXT);
  if (rc != 0)
    return;
  /* A whole C string (no NUL inside), valid UTF-8. */
  REQUIRE(t[tl] == '\0' && strlen(t) == tl && tl <= 3 * n);
  REQUIRE(u8_check((const uint8_t *)t, tl) == NULL);
  if (dcs == VG_DCS_GSM || dcs == VG_DCS_IA5 || dcs == VG_DCS_LATIN1)
    REQUIRE(memmem(t, tl, "\xEF\xBF\xBD", 3) == NULL); /* no U+FFFD */
  if (dcs == VG_DCS_IA5 || dcs == VG_DCS_LATIN1) {
    /* One character per octet, NULs at the end dropped as padding. */
    size_t m = n, i = 0, k = 0;
    while (m > 0 && d[m - 1] == 0)
      m--;
    while (i < tl) {
      ucs4_t uc;
      i += (size_t)u8_mbtouc(&uc, (const uint8_t *)t + i, tl - i);
      REQUIRE(k < m && uc == d[k]);
      k++;
    }
    REQUIRE(k == m);
  }
}

static void decode_mo(int dcs, int udhi, const unsigned char *d, size_t n) {
  vg_concat_t c;
  char *t = NULL;
  size_t tl = 0;
  int rc = vg_text_decode_mo(dcs, udhi, d, n, &c, &t, &tl);
  check_mo(dcs, udhi, d, n, rc, &c, t, tl);
  if (rc == 0) {
    check_mt(t, tl, (uint8_t)n); /* what came in, sent back out */
    vg_free(t);
  }
}

/* ---- receipts: vg_dlr_parse ----------------------------------------------- */

static int field_ok(const char *f, size_t size) { return strnlen(f, size) < size; }

static void check_dlr(const char *t, size_t n, int rc, const vg_dlr_t *d,
                      int deep) {
  REQUIRE(rc == 0 || rc == VG_EINVAL || rc == VG_ETOOLONG);
  REQUIRE(field_ok(d->id, sizeof d->id) && field_ok(d->err, sizeof d->err) &&
          field_ok(d->stat_text, sizeof d->stat_text) &&
          field_ok(d->submit_date, sizeof d->submit_date) &&
          field_ok(d->done_date, sizeof d->done_date));
  if (rc != 0)
    return;
  REQUIRE(d->id[0] != '\0');
  REQUIRE((unsigned)d->stat <= VG_DLR_REJECTED);
  /* Values are words of the text: no blanks, found in it as written. */
  const char *vals[] = {d->id, d->err, d->submit_date, d->done_date};
  for (size_t i = 0; i < 4; i++) {
    REQUIRE(strpbrk(vals[i], " \t\r\n") == NULL);
    REQUIRE(vals[i][0] == '\0' || memmem(t, n, vals[i], strlen(vals[i])));
  }
  for (const char *p = d->stat_text; *p; p++)
    REQUIRE(!(*p >= 'a' && *p <= 'z'));
  if (!deep)
    return;
  /* Written back as a receipt, it reads the same. */
  /* room for every field at its longest: nothing written back is cut */
  char again[sizeof d->id + 4 * (VG_DLR_FIELD_MAX + 16)];
  int l = snprintf(again, sizeof again, "id:%s", d->id);
  if (d->stat_text[0])
    l += snprintf(again + l, sizeof again - (size_t)l, " stat:%s", d->stat_text);
  if (d->err[0])
    l += snprintf(again + l, sizeof again - (size_t)l, " err:%s", d->err);
  if (d->submit_date[0])
    l += snprintf(again + l, sizeof again - (size_t)l, " submit_date:%s",
                  d->submit_date);
  if (d->done_date[0])
    l += snprintf(again + l, sizeof again - (size_t)l, " done date:%s",
                  d->done_date);
  vg_dlr_t d2;
  REQUIRE(vg_dlr_parse(again, (size_t)l, &d2) == 0);
  REQUIRE(strcmp(d2.id, d->id) == 0 && d2.stat == d->stat &&
          strcmp(d2.stat_text, d->stat_text) == 0 &&
          strcmp(d2.err, d->err) == 0 &&
          strcmp(d2.submit_date, d->submit_date) == 0 &&
          strcmp(d2.done_date, d->done_date) == 0);
}

/* ---- SMSC message ids: vg_msgid_keys -------------------------------------- */

typedef char keys_t[VG_MSGID_MAX_CANDIDATES][VG_MSGID_KEY_MAX];

static int same_keys(int n1, keys_t k1, int n2, keys_t k2) {
  if (n1 != n2)
    return 0;
  for (int i = 0; i < n1; i++)
    if (strcmp(k1[i], k2[i]) != 0)
      return 0;
  return 1;
}

static int has_key(int n, keys_t k, const char *key) {
  for (int i = 0; i < n; i++)
    if (strcmp(k[i], key) == 0)
      return 1;
  return 0;
}

static int all_of(const char *s, const char *set) {
  return s[strspn(s, set)] == '\0';
}

static int msgid_keys(const char *id, size_t len, keys_t k, int deep);

static void check_msgid(const char *id, size_t len, int n, keys_t k,
                        int deep) {
  REQUIRE(n >= 0 && n <= VG_MSGID_MAX_CANDIDATES);
  if (len == 0)
    REQUIRE(n == 0);
  if (len >= 1 && len < VG_MSGID_KEY_MAX && !memchr(id, '\0', len) &&
      !isspace((unsigned char)id[0]))
    REQUIRE(n >= 1);
  for (int i = 0; i < n; i++) {
    size_t l = strnlen(k[i], VG_MSGID_KEY_MAX);
    REQUIRE(l >= 1 && l < VG_MSGID_KEY_MAX);
    for (int j = 0; j < i; j++)
      REQUIRE(strcmp(k[i], k[j]) != 0);
    for (const char *p = k[i]; *p; p++)
      REQUIRE(!(*p >= 'A' && *p <= 'Z'));
    if (k[i][0] == '0')
      REQUIRE(l == 1); /* leading zeros removed */
    if (i > 0)
      REQUIRE(l <= 20 && all_of(k[i], "0123456789abcdef"));
  }
  if (!deep || n == 0)
    return;

  keys_t k2;
  int n2;
  /* An id written the other way (hex for decimal, decimal for hex) finds
   * the key the first spelling was stored under. */
  for (int i = 1; i < n; i++) {
    n2 = msgid_keys(k[i], strlen(k[i]), k2, 0);
    REQUIRE(n2 >= 1 && strcmp(k2[0], k[i]) == 0 && has_key(n2, k2, k[0]));
  }
  /* The canonical key is its own canonical form. */
  n2 = msgid_keys(k[0], strlen(k[0]), k2, 0);
  REQUIRE(!isspace((unsigned char)k[0][0]));
  REQUIRE(same_keys(n, k, n2, k2));

  char v[VG_MSGID_KEY_MAX + 4];
  if (len > VG_MSGID_KEY_MAX)
    return; /* too long anyway: n == 0 */
  /* Case does not matter. */
  for (size_t i = 0; i < len; i++)
    v[i] = (char)toupper((unsigned char)id[i]);
  n2 = msgid_keys(v, len, k2, 0);
  REQUIRE(same_keys(n, k, n2, k2));
  /* Nor surrounding blanks. */
  v[0] = ' ';
  memcpy(v + 1, id, len);
  v[len + 1] = '\t';
  n2 = msgid_keys(v, len + 2, k2, 0);
  REQUIRE(same_keys(n, k, n2, k2));
  /* Nor a leading zero. */
  if (!isspace((unsigned char)id[0]) && len + 1 < VG_MSGID_KEY_MAX) {
    v[0] = '0';
    memcpy(v + 1, id, len);
    n2 = msgid_keys(v, len + 1, k2, 0);
    REQUIRE(same_keys(n, k, n2, k2));
  }
}

static int msgid_keys(const char *id, size_t len, keys_t k, int deep) {
  memset(k, 0x5A, sizeof(keys_t)); /* nothing unwritten may be read */
  int n = vg_msgid_keys(id, len, k);
  check_msgid(id, len, n, k, deep);
  return n;
}

/* ---- MSISDN: vg_msisdn_normalize ------------------------------------------ */

static int normalize(const char *in, char out[VG_MSISDN_MAX], int deep) {
  const char *why = NULL;
  int rc = vg_msisdn_normalize(in, COUNTRY, out, &why);
  REQUIRE(rc == 0 || (rc == VG_EMSISDN && why != NULL));
  if (rc != 0)
    return rc;
  size_t l = strnlen(out, VG_MSISDN_MAX);
  REQUIRE(l >= 8 && l <= 15 && all_of(out, "0123456789") && out[0] != '0');
  if (deep) {
    char plus[VG_MSISDN_MAX + 1], again[VG_MSISDN_MAX];
    snprintf(plus, sizeof plus, "+%s", out);
    REQUIRE(vg_msisdn_normalize(plus, COUNTRY, again, NULL) == 0 &&
            strcmp(again, out) == 0);
  }
  return 0;
}

/* ---- the session's callbacks ---------------------------------------------- */

static rec_t *rec_of(vg_smpp_session_t *s) { return vg_smpp_session_data(s); }

static void on_write(vg_smpp_session_t *s, const unsigned char *b, size_t n) {
  rec_t *r = rec_of(s);
  REQUIRE(n >= 16 && be32(b) == n); /* one whole PDU per write */
  if (r->in_tick) {
    /* All a tick may send: an enquire_link. */
    REQUIRE(n == 16 && be32(b + 4) == 0x00000015u);
    REQUIRE(r->ntick_seqs < MAX_TICK_SEQS);
    r->tick_seqs[r->ntick_seqs++] = be32(b + 12);
  }
  ev_begin(r, EV_WRITE);
  put(r, b, n);
}

static void on_bound(vg_smpp_session_t *s) { ev_begin(rec_of(s), EV_BOUND); }

static void on_bind_failed(vg_smpp_session_t *s, uint32_t status) {
  rec_t *r = rec_of(s);
  ev_begin(r, EV_BIND_FAILED);
  put_int(r, status);
  r->closed = 1;
}

static void on_submit_resp(vg_smpp_session_t *s, void *tag, int64_t status,
                           const char *msgid) {
  rec_t *r = rec_of(s);
  REQUIRE(msgid != NULL);
  if (r->in_tick)
    REQUIRE(status == -1 && r->closed); /* handed back by a timeout */
  keys_t k;
  int nk = status == 0 ? msgid_keys(msgid, strlen(msgid), k, r->deep) : 0;
  ev_begin(r, EV_SUBMIT_RESP);
  put_int(r, (int64_t)(uintptr_t)tag);
  put_int(r, status);
  put_str(r, msgid);
  for (int i = 0; i < nk; i++)
    put_str(r, k[i]);
}

/* A receipt as the inbox reads it (gateway/deliver.c, the same function),
 * minus Redis. */
static void receipt(rec_t *r, const vg_smpp_deliver_t *d) {
  vg_receipt_t rd;
  vg_receipt_read(d, &rd);
  if (r->deep)
    check_dlr((const char *)d->sm, d->sm_len, rd.text_rc, &rd.text, 1);
  const char *rid = rd.id;
  keys_t k;
  int nk = rid ? msgid_keys(rid, strlen(rid), k, r->deep) : 0;
  put_int(r, rd.text_rc);
  put(r, &rd.text, sizeof rd.text);
  put_str(r, rid);
  put_str(r, vg_dlr_stat_name(rd.stat));
  put_str(r, rd.err);
  put_int(r, nk);
  for (int i = 0; i < nk; i++)
    put_str(r, k[i]);
}

/* An MO as the inbox reads it (gateway/deliver.c, the same function),
 * minus Redis; in the deep pass, the decoder's own answer checked too, and
 * the reading checked against it. */
static void mo(rec_t *r, const vg_smpp_deliver_t *d) {
  vg_mo_read_t m;
  vg_mo_read(d, &m);
  if (r->deep) {
    int udhi = (d->esm_class & 0x40) != 0;
    vg_concat_t c;
    memset(&c, 0, sizeof c);
    char *t = NULL;
    size_t tl = 0;
    int rc = vg_text_decode_mo(d->data_coding, udhi, d->sm, d->sm_len, &c,
                               &t, &tl);
    check_mo(d->data_coding, udhi, d->sm, d->sm_len, rc, &c, t, tl);
    if (rc == 0)
      check_mt(t, tl, (uint8_t)c.ref); /* an echo service answers with it */
    REQUIRE(m.rc == rc);
    if (rc == 0) {
      /* Text: stored as decoded, no error. */
      REQUIRE(m.len == tl && memcmp(m.text, t, tl) == 0);
      REQUIRE(strcmp(m.error, "") == 0);
      REQUIRE(m.concat.present == c.present);
    } else {
      /* Not text: the octets kept, as hex; a part whose header was sound
       * (VG_ENOTTEXT) stays a part of its message. */
      REQUIRE(strcmp(m.error, "undecodable") == 0);
      REQUIRE(m.len == d->sm_len * 2 && strlen(m.text) == m.len);
      for (size_t i = 0; i < d->sm_len; i++) {
        unsigned v;
        REQUIRE(sscanf(m.text + 2 * i, "%2x", &v) == 1 && v == d->sm[i]);
      }
      REQUIRE(m.concat.present == (rc == VG_ENOTTEXT && c.present));
    }
    vg_free(t);
  }
  put_int(r, m.rc);
  put_int(r, m.concat.present);
  put_int(r, m.concat.ref);
  put_int(r, m.concat.total);
  put_int(r, m.concat.seq);
  put_mem(r, m.text, m.len);
  put_str(r, m.error);
  vg_free(m.text);
}

static void on_deliver(vg_smpp_session_t *s, const vg_smpp_deliver_t *d,
                       uint32_t seq) {
  rec_t *r = rec_of(s);
  REQUIRE(!r->in_tick);
  REQUIRE(d->source && d->dest && (d->sm || d->sm_len == 0));
  ev_begin(r, EV_DELIVER);
  put_int(r, seq);
  put_int(r, d->is_data_sm);
  put_str(r, d->source);
  put_int(r, d->source_ton);
  put_int(r, d->source_npi);
  put_str(r, d->dest);
  put_int(r, d->esm_class);
  put_int(r, d->data_coding);
  put_mem(r, d->sm, d->sm_len);
  put_str(r, d->receipted_message_id);
  put_int(r, d->message_state);
  put_int(r, d->ussd_service_op);
  put_mem(r, d->its_session_info ? d->its_session_info : (const unsigned char *)"",
          d->its_session_info ? 2 : 0);
  put_mem(r, d->network_error_code ? d->network_error_code
                                   : (const unsigned char *)"",
          d->network_error_code ? 3 : 0);
  char from[VG_MSISDN_MAX];
  put_int(r, normalize(d->source, from, r->deep));
  if ((d->esm_class & 0x04) != 0 || d->receipted_message_id != NULL)
    receipt(r, d);
  else
    mo(r, d);
  /* Stored, or (now and then, as when Redis is down) a temporary error. */
  uint32_t status = d->sm_len % 4 == 3 ? VG_SMPP_ESME_RX_T_APPN : 0;
  put_int(r, status);
  vg_smpp_session_deliver_resp(s, seq, status, d->is_data_sm);
}

static void on_unbound(vg_smpp_session_t *s, int by_peer) {
  rec_t *r = rec_of(s);
  ev_begin(r, EV_UNBOUND);
  put_int(r, by_peer);
  r->closed = 1;
  vg_smpp_session_reset(s); /* smpp_link's drop_transport */
}

static void on_fatal(vg_smpp_session_t *s, const char *reason) {
  rec_t *r = rec_of(s);
  if (r->in_tick) {
    REQUIRE(strncmp(reason, "no response to ", 15) == 0);
    r->tick_fatal = 1;
  }
  ev_begin(r, EV_FATAL);
  put_str(r, reason);
  r->closed = 1;
  vg_smpp_session_reset(s);
}

static void on_notice(vg_smpp_session_t *s, const char *what) {
  rec_t *r = rec_of(s);
  REQUIRE(!r->in_tick);
  ev_begin(r, EV_NOTICE);
  put_str(r, what);
}

static void on_peer_read(vg_smpp_session_t *s, uint64_t upto) {
  rec_t *r = rec_of(s);
  REQUIRE(!r->in_tick);
  REQUIRE(upto > r->last_peer_read && upto <= vg_smpp_session_written(s));
  r->last_peer_read = upto;
  ev_begin(r, EV_PEER_READ);
  put_int(r, (int64_t)upto);
}

static const vg_smpp_session_cb_t cb = {.write = on_write,
                                        .bound = on_bound,
                                        .bind_failed = on_bind_failed,
                                        .submit_resp = on_submit_resp,
                                        .deliver = on_deliver,
                                        .unbound = on_unbound,
                                        .fatal = on_fatal,
                                        .notice = on_notice,
                                        .peer_read = on_peer_read};

/* A bound transceiver with one submit_sm outstanding (sequence 2), so that
 * responses in the input can match it.  Its tick-sent enquire_links get
 * sequence numbers from 3 up. */
static vg_smpp_session_t *bound_session(rec_t *r, const char *name) {
  memset(r, 0, sizeof *r);
  r->name = name;
  vg_smpp_session_opts_t o = {.system_id = "fuzz",
                              .password = "pw",
                              .system_type = "",
                              .role = VG_SMPP_ROLE_TRX,
                              .response_timeout_ms = T_RESP,
                              .enquire_link_interval_ms = T_ENQ,
                              .window = 8};
  vg_smpp_session_t *s = vg_smpp_session_new(&o, &cb, r);
  r->s = s;
  REQUIRE(vg_smpp_session_open(s, 0) == 0);
  static const unsigned char bind_resp[] = {
      0, 0, 0, 17, 0x80, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 0};
  vg_smpp_session_feed(s, bind_resp, sizeof bind_resp, 0);
  REQUIRE(vg_smpp_session_state(s) == VG_SMPP_BOUND);
  static const unsigned char sm[] = "hi";
  vg_smpp_submit_t m = {.source = "10658000", .dest = "8613800138000",
                        .sm = sm, .sm_len = 2, .ussd_service_op = -1,
                        .user_message_reference = -1,
                        .dest_ton = 1, .dest_npi = 1,
                        .registered_delivery = 1};
  REQUIRE(vg_smpp_session_submit(s, &m, (void *)(uintptr_t)1, 0) == 0);
  /* The setup is not part of what is compared. */
  r->nev = 0;
  r->nbuf = 0;
  return s;
}

static void feed(rec_t *r, const uint8_t *p, size_t n, uint64_t now) {
  int was_closed = r->closed;
  size_t before = r->nev;
  vg_smpp_session_feed(r->s, p, n, now);
  if (was_closed)
    REQUIRE(r->nev == before); /* nothing after the connection is gone */
}

static void tick(rec_t *r, uint64_t now) {
  int was_closed = r->closed;
  size_t before = r->nev;
  r->in_tick = 1;
  vg_smpp_session_tick(r->s, now);
  r->in_tick = 0;
  if (was_closed)
    REQUIRE(r->nev == before);
}

/* ---- comparing passes ----------------------------------------------------- */

static int same_event(const rec_t *a, size_t i, const rec_t *b, size_t j) {
  const ev_t *x = &a->ev[i], *y = &b->ev[j];
  if (x->type != y->type || x->len != y->len)
    return 0;
  const unsigned char *p = a->buf + x->off, *q = b->buf + y->off;
  return memcmp(p, q, x->len) == 0;
}

/* Does event i of r depend on the clock of pass `c` (see the header)? */
static int timed(const rec_t *r, size_t i, const rec_t *c) {
  const ev_t *e = &r->ev[i];
  if (e->from_tick || e->type == EV_PEER_READ)
    return 1;
  if (e->type == EV_NOTICE) {
    const char *t = (const char *)r->buf + e->off + 8;
    const char *q = memmem(t, e->len - 8, "sequence ", 9);
    if (q) {
      uint32_t seq = (uint32_t)strtoul(q + 9, NULL, 10);
      for (size_t k = 0; k < c->ntick_seqs; k++)
        if (c->tick_seqs[k] == seq)
          return 1;
    }
  }
  return 0;
}

static void mismatch(const rec_t *a, const rec_t *b, size_t i, size_t j) {
  fprintf(stderr, "fuzz_inbound: pass %s differs from pass %s at events %zu/%zu\n",
          b->name, a->name, i, j);
  dump(a);
  dump(b);
  abort();
}

/* B against A: every event, in order. */
static void compare_exact(const rec_t *a, const rec_t *b) {
  size_t n = a->nev < b->nev ? a->nev : b->nev;
  for (size_t i = 0; i < n; i++)
    if (!same_event(a, i, b, i))
      mismatch(a, b, i, i);
  if (a->nev != b->nev)
    mismatch(a, b, n, n);
}

/* C against A: what the clock cannot change. */
static void compare_timed(const rec_t *a, const rec_t *c) {
  size_t i = 0, j = 0;
  for (;;) {
    while (i < a->nev && timed(a, i, c))
      i++;
    while (j < c->nev && timed(c, j, c))
      j++;
    if (j == c->nev) {
      /* After a timeout C stops early; otherwise both end together. */
      if (i != a->nev && !c->tick_fatal)
        mismatch(a, c, i, j);
      return;
    }
    if (i == a->nev || !same_event(a, i, c, j))
      mismatch(a, c, i, j);
    i++;
    j++;
  }
}

/* A small PRNG (splitmix64), seeded from the input, for pass C. */
static uint64_t mix(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static void fuzz_session(const uint8_t *data, size_t size) {
  rec_t a, b, c;

  /* A: whole. */
  bound_session(&a, "A (whole)");
  a.deep = 1;
  feed(&a, data, size, 0);

  /* B: chunks sized by the input's own bytes, clock moving, no tick. */
  bound_session(&b, "B (chunks)");
  size_t off = 0, i = 0;
  uint64_t now = 0;
  while (off < size) {
    size_t n = (size_t)(data[i++ % size] % 17) + 1;
    if (n > size - off)
      n = size - off;
    feed(&b, data + off, n, ++now);
    off += n;
  }
  compare_exact(&a, &b);

  /* C: other chunks, the clock moving by up to 600 ms a chunk and now and
   * then past every timeout, a tick before each chunk and after the last. */
  bound_session(&c, "C (chunks, ticks)");
  uint64_t x = 0x5EED;
  for (size_t k = 0; k < size; k++)
    x = (x ^ data[k]) * 0x100000001B3ull;
  off = 0;
  now = 0;
  while (off < size) {
    uint64_t v = mix(&x);
    size_t n = v % 16 == 0 ? size - off : (size_t)(v >> 8) % 40 + 1;
    if (n > size - off)
      n = size - off;
    now += (v >> 32) % 32 == 0 ? T_RESP + 1 : (v >> 40) % 600;
    tick(&c, now);
    feed(&c, data + off, n, now);
    off += n;
  }
  tick(&c, now + 1);
  compare_timed(&a, &c);
  if (dump_all) {
    dump(&a);
    dump(&b);
    dump(&c);
  }

  /* What the whole pass leaves to the clock, for coverage. */
  tick(&a, T_ENQ);
  tick(&a, 2 * T_RESP);

  vg_smpp_session_free(a.s);
  vg_smpp_session_free(b.s);
  vg_smpp_session_free(c.s);
  rec_free(&a);
  rec_free(&b);
  rec_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int init;
  if (!init) {
    vg_gwlib_init();
    const char *e = getenv("VG_FUZZ_DUMP");
    dump_all = e && *e && strcmp(e, "0") != 0;
    init = 1;
  }

  /* 1. The SMPP stream. */
  fuzz_session(data, size);

  /* 2. The text parsers on the raw input. */
  vg_dlr_t dlr;
  int rc = vg_dlr_parse((const char *)data, size, &dlr);
  check_dlr((const char *)data, size, rc, &dlr, 1);
  keys_t k;
  msgid_keys((const char *)data, size, k, 1);
  if (size > 0)
    decode_mo(data[0] & 0x0F, data[0] & 0x40, data + 1, size - 1);
  if (size > 1)
    decode_mo(data[1], data[0] & 0x40, data + 2, size - 2);
  check_mt((const char *)data, size, (uint8_t)size);
  /* Up to 8 KiB of text (some 50 GSM parts): enough for every boundary,
   * and cheap.  Only an input starting 0xFF goes on to the longest texts
   * (VG_ETOOLONG) at the cost of a slower run. */
  static uint8_t text[VG_TEXT_MAX_PARTS * 153 * 4 + 64];
  size_t cap = size > 0 && data[0] == 0xFF ? sizeof text : 8192;
  size_t tl = map_text(data, size, text, cap);
  check_mt((const char *)text, tl, size > 0 ? data[0] : 0);
  return 0;
}
