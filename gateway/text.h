/*
 * text.h — SMS text codecs: UTF-8 MT text to SMPP parts, and MO short_message
 * bytes back to UTF-8.  Pure functions, no I/O, no logging (docs/encoding.md).
 *
 * MT: GSM 03.38 7-bit (data_coding 0, one septet per octet on the wire, as
 * SMPP carries it unpacked) when every character is in the GSM default
 * alphabet or its extension table, else UCS-2 big-endian (data_coding 8).
 * A text that fits one part (160 septets / 70 UCS-2 units) is one part with no
 * UDH; a longer one is split into parts of at most 153 septets / 67 UCS-2
 * units, each prefixed with the 6-octet concatenation UDH 05 00 03 ref n i
 * (esm_class must then carry UDHI 0x40).  A GSM escape pair (0x1B x) and a
 * UTF-16 surrogate pair are never split across parts.
 */
#ifndef VG_TEXT_H
#define VG_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define VG_DCS_GSM 0
#define VG_DCS_IA5 1
#define VG_DCS_LATIN1 3
#define VG_DCS_UCS2 8

/* Longest MT text we accept, in parts (255 is the UDH maximum). */
#define VG_TEXT_MAX_PARTS 255

typedef struct {
  unsigned char *data; /* UDH (when nparts > 1) followed by payload */
  size_t len;
} vg_text_part_t;

typedef struct {
  int dcs;       /* VG_DCS_GSM or VG_DCS_UCS2 */
  int udhi;      /* 1 when parts carry a UDH (nparts > 1) */
  size_t nparts; /* >= 1 */
  vg_text_part_t *parts;
} vg_text_mt_t;

/*
 * Encode `len` bytes of UTF-8 `utf8` for sending.  `ref` is the
 * concatenation reference put in the UDH of multi-part messages.
 * Returns 0 and fills `out` (free with vg_text_mt_free), or VG_EUTF8 for
 * invalid UTF-8, VG_ETEXT for an empty text, VG_ETOOLONG beyond
 * VG_TEXT_MAX_PARTS parts.  On error `out` holds nothing to free.
 */
int vg_text_encode_mt(const char *utf8, size_t len, uint8_t ref,
                      vg_text_mt_t *out);
void vg_text_mt_free(vg_text_mt_t *mt);

/*
 * Encode UTF-8 `utf8` as ONE part without UDH, never split: GSM 7-bit when
 * every character is in GSM 03.38 and it takes at most `gsm_max` septets
 * (an extension character takes two), else UCS-2 of at most `ucs2_max`
 * UTF-16 units (a character beyond the BMP takes two).  For a message that
 * a phone shows whole or not at all: a USSD screen (ussd.h's limits).
 * *units gets the length in the alphabet chosen, also when it is too long.
 * Returns 0 and fills `out` (free with vg_text_mt_free), or VG_ETOOLONG
 * (out->dcs then says which alphabet it was too long in), VG_EUTF8,
 * VG_ETEXT (empty); on error `out` holds nothing to free.
 */
int vg_text_encode_one(const char *utf8, size_t len, size_t gsm_max,
                       size_t ucs2_max, vg_text_mt_t *out, size_t *units);

/* Concatenation information found in a UDH (IEI 0x00 8-bit ref, 0x08 16-bit). */
typedef struct {
  int present;    /* 1 when the UDH carried a concatenation IE */
  uint16_t ref;   /* reference number */
  uint8_t total;  /* number of parts, >= 1 */
  uint8_t seq;    /* this part, 1..total */
} vg_concat_t;

/*
 * Decode an MO short_message.  `udhi` is esm_class & 0x40.  The UDH is
 * parsed (concatenation IEs into `concat`, others skipped) and removed; the
 * rest is decoded by `dcs`: 0 GSM 03.38 (unpacked septets, escapes),
 * 1 IA5/ASCII, 3 Latin-1, 8 UCS-2 big-endian (surrogate pairs joined).  Any
 * other dcs is decoded as Latin-1 when it has the 8-bit data class bits or
 * GSM otherwise (0xF0 class: bit 2 set means 8-bit).  Returns 0 with a
 * NUL-terminated malloc'd UTF-8 string in *utf8 (length in *utf8_len);
 * VG_EPDU when the UDH is malformed (length beyond the data); or
 * VG_ENOTTEXT when the body is not text in its alphabet: an odd number of
 * UCS-2 octets, a lone or reversed surrogate, an octet above 0x7F in GSM
 * or IA5, a GSM escape with no septet after it, a NUL with text after it
 * (NULs at the end are padding and dropped).  Nothing is replaced by
 * U+FFFD: a guess could read as a command.  On VG_ENOTTEXT `concat` is
 * filled (the header was sound); on any error *utf8 is NULL.  Never reads
 * beyond `len`.
 */
int vg_text_decode_mo(int dcs, int udhi, const unsigned char *data,
                      size_t len, vg_concat_t *concat, char **utf8,
                      size_t *utf8_len);

/*
 * How much of s[0..len) to keep so that it is at most `max` bytes and ends
 * on a character boundary: `len` when it fits, else the length of the
 * longest prefix within `max` that does not end inside a UTF-8 sequence.
 * For the places that keep a text of someone else's making (a
 * provisioning system's reason) at a documented maximum: a cut inside a
 * character would make an SMS that cannot be encoded.
 */
size_t vg_text_utf8_prefix(const char *s, size_t len, size_t max);

/*
 * Join reassembled parts: `texts[i]` is the UTF-8 text of part i+1 or NULL
 * when missing.  Returns a malloc'd string of the parts present in order;
 * *complete is 1 when none was missing.
 */
char *vg_text_join_parts(char *const *texts, size_t total, int *complete);

#endif
