/*
 * text.c — SMS text codecs (ARCHITECTURE.md, gateway/ "text codecs").
 *
 * MT: UTF-8 in, SMPP short_message parts out.  The text is first decoded to
 * code points; if every one of them is in the GSM 03.38 default alphabet or
 * its extension table the message goes out as unpacked septets (dcs 0),
 * otherwise as UTF-16 big-endian (dcs 8).  Splitting works on "units"
 * (1 or 2 septets for GSM, 1 or 2 UTF-16 code units for UCS-2) so that an
 * escape pair or a surrogate pair can never straddle two parts.
 *
 * MO: short_message bytes in, UTF-8 out, after parsing and removing the UDH.
 *
 * The GSM tables are our own rather than Kannel's charset_utf8_to_gsm(),
 * because that function maps anything it cannot represent to '?', and the
 * one question the MT side must answer is exactly "does this text fit GSM?".
 * Pure code: no I/O, no logging (STYLE.md 2).
 */
#include "gateway/text.h"

#include <string.h>

#include "gateway/vg.h"

#define GSM_ESC 0x1B

/* Concatenation UDH written on MT parts: UDHL 05, IEI 00, IEL 03, ref n i. */
#define MT_UDH_LEN 6

/* Single-part and per-part limits (3GPP TS 23.040; 7 septets / 3 units of
 * each part go to the 6-octet UDH). */
#define GSM_SINGLE 160
#define GSM_MULTI 153
#define UCS2_SINGLE 70
#define UCS2_MULTI 67
#define MT_MAX_CHARS (VG_TEXT_MAX_PARTS * GSM_MULTI)

/* GSM 03.38 default alphabet: septet -> Unicode.  0x1B is the escape to the
 * extension table and never stands for a character by itself; its slot
 * holds NBSP (what handsets without an extension table show) but neither
 * direction ever reads it. */
static const uint16_t gsm_basic[128] = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, /* 00 */
    0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5, /* 08 */
    0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, /* 10 */
    0x03A3, 0x0398, 0x039E, 0x00A0, 0x00C6, 0x00E6, 0x00DF, 0x00C9, /* 18 */
    0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027, /* 20 */
    0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F, /* 28 */
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, /* 30 */
    0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F, /* 38 */
    0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047, /* 40 */
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F, /* 48 */
    0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057, /* 50 */
    0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7, /* 58 */
    0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, /* 60 */
    0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F, /* 68 */
    0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077, /* 70 */
    0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0, /* 78 */
};

/* GSM 03.38 extension table: the septet that follows 0x1B. */
static const struct {
  uint8_t septet;
  uint16_t ucs;
} gsm_ext[] = {
    {0x0A, 0x000C}, /* form feed */
    {0x14, 0x005E}, /* ^ */
    {0x28, 0x007B}, /* { */
    {0x29, 0x007D}, /* } */
    {0x2F, 0x005C}, /* \ */
    {0x3C, 0x005B}, /* [ */
    {0x3D, 0x007E}, /* ~ */
    {0x3E, 0x005D}, /* ] */
    {0x40, 0x007C}, /* | */
    {0x65, 0x20AC}, /* euro sign */
};

/*
 * Septets for code point `cp`: returns 1 (basic) or 2 (escape + ext) and
 * writes them to `out`, or 0 when `cp` is not in GSM 03.38.  A linear scan
 * of 138 entries is cheap next to anything else an MT costs.
 */
static int gsm_from_ucs(uint32_t cp, uint8_t out[2]) {
  size_t i;

  /* Fast path: most of printable ASCII sits at its own code in GSM 03.38
   * (letters, digits, space, most punctuation), and the table holds each
   * character once, so a hit here is the answer the scan would give.  The
   * scan below cost ~18% of vasgwd's CPU in bench/mt-throughput. */
  if (cp < VG_ARRAY_SIZE(gsm_basic) && cp != GSM_ESC && gsm_basic[cp] == cp) {
    out[0] = (uint8_t)cp;
    return 1;
  }
  /* 0x1B's slot in the basic table (NBSP in some charts) is the escape,
   * never a character: skip it. */
  for (i = 0; i < VG_ARRAY_SIZE(gsm_basic); i++) {
    if (i != GSM_ESC && gsm_basic[i] == cp) {
      out[0] = (uint8_t)i;
      return 1;
    }
  }
  for (i = 0; i < VG_ARRAY_SIZE(gsm_ext); i++) {
    if (gsm_ext[i].ucs == cp) {
      out[0] = GSM_ESC;
      out[1] = gsm_ext[i].septet;
      return 2;
    }
  }
  return 0;
}

/* Unicode for the extension septet `s`, or 0 when the table has none. */
static uint32_t gsm_ext_to_ucs(uint8_t s) {
  size_t i;

  for (i = 0; i < VG_ARRAY_SIZE(gsm_ext); i++)
    if (gsm_ext[i].septet == s)
      return gsm_ext[i].ucs;
  return 0;
}

/*
 * Decode one strict UTF-8 sequence at s[*i] (n bytes total) into *cp and
 * advance *i.  Rejects truncated sequences, overlong forms, surrogates and
 * values above U+10FFFF.  Returns 0 or VG_EUTF8.
 */
static int utf8_next(const unsigned char *s, size_t n, size_t *i,
                     uint32_t *cp) {
  unsigned char c = s[*i];
  size_t need, k;
  uint32_t v, min;

  if (c < 0x80) {
    *cp = c;
    (*i)++;
    return 0;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
    v = c & 0x1F;
    min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    v = c & 0x0F;
    min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    v = c & 0x07;
    min = 0x10000;
  } else {
    return VG_EUTF8; /* continuation byte, C0/C1 or F5..FF as a lead */
  }
  if (n - *i - 1 < need)
    return VG_EUTF8;
  for (k = 1; k <= need; k++) {
    unsigned char cc = s[*i + k];
    if ((cc & 0xC0) != 0x80)
      return VG_EUTF8;
    v = (v << 6) | (cc & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
    return VG_EUTF8;
  *cp = v;
  *i += need + 1;
  return 0;
}

/* Append code point `cp` as UTF-8 at out[*o]; the caller sized `out`. */
static void utf8_put(char *out, size_t *o, uint32_t cp) {
  unsigned char *p = (unsigned char *)out + *o;

  if (cp < 0x80) {
    p[0] = (unsigned char)cp;
    *o += 1;
  } else if (cp < 0x800) {
    p[0] = (unsigned char)(0xC0 | (cp >> 6));
    p[1] = (unsigned char)(0x80 | (cp & 0x3F));
    *o += 2;
  } else if (cp < 0x10000) {
    p[0] = (unsigned char)(0xE0 | (cp >> 12));
    p[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    p[2] = (unsigned char)(0x80 | (cp & 0x3F));
    *o += 3;
  } else {
    p[0] = (unsigned char)(0xF0 | (cp >> 18));
    p[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    p[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    p[3] = (unsigned char)(0x80 | (cp & 0x3F));
    *o += 4;
  }
}

/* ---- MT ------------------------------------------------------------------ */

/*
 * Encoded form of the whole text before splitting: `bytes` holds the wire
 * payload (septets, or UTF-16BE octets) and `ulen[k]` the byte length of
 * unit k, one unit per code point: 1 or 2 (escape pair) for GSM, 2 or 4
 * (surrogate pair) for UCS-2.  Parts are cut only between units.
 */
typedef struct {
  unsigned char *bytes;
  size_t nbytes;
  uint8_t *ulen;
  size_t nunits;
} mt_units_t;

static void mt_units_free(mt_units_t *u) {
  free(u->bytes);
  free(u->ulen);
}

/*
 * Fill `u` with the GSM encoding of cps[0..n), or return VG_ETEXT when one
 * code point does not fit GSM (the caller then falls back to UCS-2).
 */
static int mt_to_gsm(const uint32_t *cps, size_t n, mt_units_t *u) {
  size_t k;

  u->bytes = vg_malloc(2 * n);
  u->ulen = vg_malloc(n);
  u->nbytes = 0;
  u->nunits = n;
  for (k = 0; k < n; k++) {
    int w = gsm_from_ucs(cps[k], u->bytes + u->nbytes);
    if (w == 0) {
      mt_units_free(u);
      return VG_ETEXT;
    }
    u->ulen[k] = (uint8_t)w;
    u->nbytes += (size_t)w;
  }
  return 0;
}

/* Fill `u` with the UTF-16BE encoding of cps[0..n). */
static void mt_to_ucs2(const uint32_t *cps, size_t n, mt_units_t *u) {
  size_t k;
  unsigned char *p;

  u->bytes = vg_malloc(4 * n);
  u->ulen = vg_malloc(n);
  u->nunits = n;
  p = u->bytes;
  for (k = 0; k < n; k++) {
    uint32_t c = cps[k];
    if (c >= 0x10000) {
      uint32_t v = c - 0x10000;
      uint16_t hi = (uint16_t)(0xD800 | (v >> 10));
      uint16_t lo = (uint16_t)(0xDC00 | (v & 0x3FF));
      *p++ = (unsigned char)(hi >> 8);
      *p++ = (unsigned char)hi;
      *p++ = (unsigned char)(lo >> 8);
      *p++ = (unsigned char)lo;
      u->ulen[k] = 4;
    } else {
      *p++ = (unsigned char)(c >> 8);
      *p++ = (unsigned char)c;
      u->ulen[k] = 2;
    }
  }
  u->nbytes = (size_t)(p - u->bytes);
}

/*
 * Split `u` into parts of at most `limit` weight each, where a unit of
 * byte length L weighs L / `bpw` (bytes per weight: 1 for septets, 2 for
 * UTF-16 code units).  Returns the number of parts, writing each part's
 * first unit to starts[] (which has room for VG_TEXT_MAX_PARTS + 1
 * entries), or 0 when more than VG_TEXT_MAX_PARTS parts would be needed.
 */
static size_t mt_split(const mt_units_t *u, size_t limit, size_t bpw,
                       size_t *starts) {
  size_t nparts = 0, k, w = 0;

  starts[nparts++] = 0;
  for (k = 0; k < u->nunits; k++) {
    size_t uw = u->ulen[k] / bpw;
    if (w + uw > limit) {
      /* This unit would overflow: it opens the next part whole. */
      if (nparts == VG_TEXT_MAX_PARTS)
        return 0;
      starts[nparts++] = k;
      w = 0;
    }
    w += uw;
  }
  starts[nparts] = u->nunits;
  return nparts;
}

/*
 * Decode UTF-8 utf8[0..len) and encode it in GSM when every character fits,
 * else UCS-2, into `u`; *dcs says which.  0, or VG_ETEXT (empty), VG_EUTF8,
 * VG_ETOOLONG (over MT_MAX_CHARS characters); `u` then holds nothing.
 */
static int mt_units(const char *utf8, size_t len, mt_units_t *u, int *dcs) {
  const unsigned char *s = (const unsigned char *)utf8;
  uint32_t *cps;
  size_t n = 0, i = 0;
  int rc;

  if (utf8 == NULL || len == 0)
    return VG_ETEXT;
  /* One code point per input byte at most; and no text of more than
   * MT_MAX_CHARS characters fits VG_TEXT_MAX_PARTS parts in either
   * encoding, so a huge input costs no more than that. */
  cps = vg_malloc((len < MT_MAX_CHARS ? len : MT_MAX_CHARS) * sizeof(*cps));
  while (i < len) {
    if (n == MT_MAX_CHARS) {
      free(cps);
      return VG_ETOOLONG;
    }
    rc = utf8_next(s, len, &i, &cps[n]);
    if (rc < 0) {
      free(cps);
      return rc;
    }
    n++;
  }
  if (mt_to_gsm(cps, n, u) == 0) {
    *dcs = VG_DCS_GSM;
  } else {
    mt_to_ucs2(cps, n, u);
    *dcs = VG_DCS_UCS2;
  }
  free(cps);
  return 0;
}

int vg_text_encode_mt(const char *utf8, size_t len, uint8_t ref,
                      vg_text_mt_t *out) {
  size_t total_w, single, multi, bpw, nparts, p, k, off;
  size_t starts[VG_TEXT_MAX_PARTS + 1];
  mt_units_t u;
  int dcs, rc;

  memset(out, 0, sizeof(*out));
  rc = mt_units(utf8, len, &u, &dcs);
  if (rc != 0)
    return rc;
  if (dcs == VG_DCS_GSM) {
    bpw = 1;
    single = GSM_SINGLE;
    multi = GSM_MULTI;
  } else {
    bpw = 2;
    single = UCS2_SINGLE;
    multi = UCS2_MULTI;
  }

  total_w = u.nbytes / bpw;
  if (total_w <= single) {
    starts[0] = 0;
    starts[1] = u.nunits;
    nparts = 1;
  } else {
    nparts = mt_split(&u, multi, bpw, starts);
    if (nparts == 0) {
      mt_units_free(&u);
      return VG_ETOOLONG;
    }
  }

  out->dcs = dcs;
  out->udhi = nparts > 1;
  out->nparts = nparts;
  out->parts = vg_calloc(nparts, sizeof(*out->parts));

  /* Byte offset of each part's first unit, walking units in order. */
  off = 0;
  k = 0;
  for (p = 0; p < nparts; p++) {
    size_t begin = off, plen;
    unsigned char *d;
    size_t hdr = out->udhi ? MT_UDH_LEN : 0;

    for (; k < starts[p + 1]; k++)
      off += u.ulen[k];
    plen = off - begin;
    d = vg_malloc(hdr + plen);
    if (out->udhi) {
      d[0] = 0x05; /* UDHL */
      d[1] = 0x00; /* IEI: concatenation, 8-bit reference */
      d[2] = 0x03; /* IEL */
      d[3] = ref;
      d[4] = (unsigned char)nparts;
      d[5] = (unsigned char)(p + 1);
    }
    memcpy(d + hdr, u.bytes + begin, plen);
    out->parts[p].data = d;
    out->parts[p].len = hdr + plen;
  }
  mt_units_free(&u);
  return 0;
}

void vg_text_mt_free(vg_text_mt_t *mt) {
  size_t p;

  if (mt == NULL)
    return;
  for (p = 0; p < mt->nparts && mt->parts != NULL; p++)
    free(mt->parts[p].data);
  free(mt->parts);
  memset(mt, 0, sizeof(*mt));
}

int vg_text_encode_one(const char *utf8, size_t len, size_t gsm_max,
                       size_t ucs2_max, vg_text_mt_t *out, size_t *units) {
  mt_units_t u;
  int dcs, rc;

  memset(out, 0, sizeof(*out));
  *units = 0;
  rc = mt_units(utf8, len, &u, &dcs);
  if (rc != 0)
    return rc;
  /* Septets for GSM (an escape pair counts two), UTF-16 code units for
   * UCS-2 (a surrogate pair counts two): what the limit is written in. */
  *units = dcs == VG_DCS_GSM ? u.nbytes : u.nbytes / 2;
  out->dcs = dcs;
  if (*units > (dcs == VG_DCS_GSM ? gsm_max : ucs2_max)) {
    mt_units_free(&u);
    return VG_ETOOLONG;
  }
  out->dcs = dcs;
  out->udhi = 0;
  out->nparts = 1;
  out->parts = vg_calloc(1, sizeof(*out->parts));
  out->parts[0].data = u.bytes; /* taken over from `u` */
  out->parts[0].len = u.nbytes;
  free(u.ulen);
  return 0;
}

/* ---- MO ------------------------------------------------------------------ */

/*
 * Parse the UDH at the front of data[0..len): fill `concat` from a
 * concatenation IE (00 or 08) and set *hdr_len to the octets to skip.
 * Returns VG_EPDU when the UDH or one of its IEs runs past its bounds.
 * A concatenation IE with total 0 or seq outside 1..total is ignored, as
 * 3GPP TS 23.040 9.2.3.24.1 tells the receiver to do.
 */
static int parse_udh(const unsigned char *data, size_t len,
                     vg_concat_t *concat, size_t *hdr_len) {
  size_t udhl, pos, end;

  if (len < 1)
    return VG_EPDU;
  udhl = data[0];
  if (udhl > len - 1)
    return VG_EPDU;
  end = 1 + udhl;
  pos = 1;
  while (pos < end) {
    unsigned iei, iel;
    const unsigned char *v;

    if (end - pos < 2)
      return VG_EPDU; /* an IEI without its length octet */
    iei = data[pos];
    iel = data[pos + 1];
    if (iel > end - pos - 2)
      return VG_EPDU;
    v = data + pos + 2;
    if (iei == 0x00 || iei == 0x08) {
      vg_concat_t c = {0, 0, 0, 0};
      if (iei == 0x00 && iel == 3) {
        c.ref = v[0];
        c.total = v[1];
        c.seq = v[2];
      } else if (iei == 0x08 && iel == 4) {
        c.ref = (uint16_t)(v[0] << 8 | v[1]);
        c.total = v[2];
        c.seq = v[3];
      } else {
        return VG_EPDU; /* a concatenation IE of the wrong size */
      }
      if (c.total >= 1 && c.seq >= 1 && c.seq <= c.total) {
        c.present = 1;
        *concat = c;
      }
    }
    pos += 2 + iel;
  }
  *hdr_len = end;
  return 0;
}

/* Which decoder an arbitrary data_coding selects. */
enum { ALPHA_GSM, ALPHA_IA5, ALPHA_LATIN1, ALPHA_UCS2 };

/*
 * Map `dcs` to an alphabet.  The SMPP values 0, 1, 3 and 8 are explicit;
 * SMPP gives the rest of 0x00..0x0F to binary data and national octet
 * charsets (JIS, Cyrillic, Hebrew, KS C 5601, ...), which we show as
 * Latin-1 so that no octet is lost.  From 0x10 up the GSM 03.38 coding
 * groups decide: general data coding and automatic-deletion groups
 * (00xx/01xx) by their alphabet bits 3..2 (01 8-bit -> Latin-1, 10 UCS-2,
 * else GSM); the message-waiting UCS-2 group 1110 -> UCS-2; the data
 * coding/message class group 1111 by bit 2 (8-bit -> Latin-1, else GSM);
 * anything else GSM.
 */
static int dcs_alphabet(int dcs) {
  switch (dcs) {
  case VG_DCS_GSM:
    return ALPHA_GSM;
  case VG_DCS_IA5:
    return ALPHA_IA5;
  case VG_DCS_LATIN1:
    return ALPHA_LATIN1;
  case VG_DCS_UCS2:
    return ALPHA_UCS2;
  }
  if (dcs < 0 || dcs > 0xFF)
    return ALPHA_GSM;
  if (dcs < 0x10)
    return ALPHA_LATIN1;
  if ((dcs & 0x80) == 0) {
    switch ((dcs >> 2) & 0x03) {
    case 1:
      return ALPHA_LATIN1;
    case 2:
      return ALPHA_UCS2;
    default:
      return ALPHA_GSM;
    }
  }
  if ((dcs & 0xF0) == 0xE0)
    return ALPHA_UCS2;
  if ((dcs & 0xF0) == 0xF0)
    return (dcs & 0x04) ? ALPHA_LATIN1 : ALPHA_GSM;
  return ALPHA_GSM;
}

/*
 * The decoders below write UTF-8 at out[*o] and return 0, or VG_ENOTTEXT
 * as soon as the octets cannot be text in their alphabet.  There is no
 * U+FFFD: a body that is not text is not guessed at, because a guess can
 * be a command ("005900" would read "Y" and a replacement character, and
 * confirm an offer).  The caller keeps such a body as octets
 * (docs/encoding.md, "Text that is not text").
 */

/*
 * GSM septets, one per octet.  An escape followed by a septet the extension
 * table lacks shows the basic character (TS 23.038 6.2.1.1); 1B 1B shows a
 * space.  An octet above 0x7F is no septet, and an escape with nothing, or
 * no septet, after it is half a character: not text.
 */
static int decode_gsm(const unsigned char *d, size_t n, char *out,
                      size_t *o) {
  size_t i;

  for (i = 0; i < n; i++) {
    uint8_t c = d[i];
    uint32_t e;
    if (c > 0x7F)
      return VG_ENOTTEXT;
    if (c != GSM_ESC) {
      utf8_put(out, o, gsm_basic[c]);
      continue;
    }
    if (i + 1 >= n || d[i + 1] > 0x7F)
      return VG_ENOTTEXT;
    c = d[++i];
    if (c == GSM_ESC)
      e = 0x20;
    else if ((e = gsm_ext_to_ucs(c)) == 0)
      e = gsm_basic[c];
    utf8_put(out, o, e);
  }
  return 0;
}

/*
 * U+0000 in an alphabet that has it (IA5, Latin-1, UCS-2).  Some SMSCs end
 * short_message with the NUL of a C string, so NULs at the very end are
 * padding: the text ends before them (`unit`: octets per character).  A
 * NUL with text after it would cut that text short wherever vasgw handles
 * it as a C string: the body is then not text.
 */
static size_t before_padding(const unsigned char *d, size_t n, size_t unit) {
  while (n >= unit && d[n - unit] == 0 && d[n - 1] == 0)
    n -= unit;
  return n;
}

/* IA5 (7-bit ASCII) when `ia5`, else Latin-1: one character per octet. */
static int decode_octets(const unsigned char *d, size_t n, int ia5,
                         char *out, size_t *o) {
  n = before_padding(d, n, 1);
  for (size_t i = 0; i < n; i++) {
    if (d[i] == 0 || (ia5 && d[i] > 0x7F))
      return VG_ENOTTEXT;
    utf8_put(out, o, d[i]);
  }
  return 0;
}

/* UTF-16BE: an odd number of octets, a high surrogate not followed by a
 * low one or a low one not preceded by a high one is not text; pairs are
 * joined. */
static int decode_ucs2(const unsigned char *d, size_t n, char *out,
                       size_t *o) {
  size_t i = 0;

  if (n % 2 != 0)
    return VG_ENOTTEXT;
  n = before_padding(d, n, 2);
  while (i < n) {
    uint32_t u = (uint32_t)d[i] << 8 | d[i + 1];
    i += 2;
    if (u == 0 || (u >= 0xDC00 && u <= 0xDFFF))
      return VG_ENOTTEXT; /* a NUL before text, or a low surrogate first */
    if (u >= 0xD800 && u <= 0xDBFF) {
      uint32_t lo = i < n ? ((uint32_t)d[i] << 8 | d[i + 1]) : 0;
      if (lo < 0xDC00 || lo > 0xDFFF)
        return VG_ENOTTEXT; /* a high surrogate alone */
      i += 2;
      u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
    }
    utf8_put(out, o, u);
  }
  return 0;
}

int vg_text_decode_mo(int dcs, int udhi, const unsigned char *data,
                      size_t len, vg_concat_t *concat, char **utf8,
                      size_t *utf8_len) {
  vg_concat_t c = {0, 0, 0, 0};
  size_t hdr = 0, n, o = 0;
  const unsigned char *d;
  char *out;
  int rc = 0;

  *utf8 = NULL;
  if (data == NULL && len > 0)
    return VG_EINVAL;
  if (udhi) {
    rc = parse_udh(data, len, &c, &hdr);
    if (rc < 0)
      return rc;
  }
  /* The header was sound: which part this is holds even when the part's
   * text does not decode. */
  if (concat != NULL)
    *concat = c;
  d = hdr > 0 ? data + hdr : data; /* no arithmetic on a NULL, empty body */
  n = len - hdr;

  /* Worst case 3 UTF-8 octets per input octet (one GSM octet -> U+20AC;
   * two UCS-2 octets -> at most 3, four -> 4). */
  out = vg_malloc(3 * n + 1);
  switch (dcs_alphabet(dcs)) {
  case ALPHA_GSM:
    rc = decode_gsm(d, n, out, &o);
    break;
  case ALPHA_IA5:
    rc = decode_octets(d, n, 1, out, &o);
    break;
  case ALPHA_LATIN1:
    rc = decode_octets(d, n, 0, out, &o);
    break;
  case ALPHA_UCS2:
    rc = decode_ucs2(d, n, out, &o);
    break;
  }
  if (rc != 0) {
    free(out);
    return rc;
  }
  out[o] = '\0';
  *utf8 = out;
  if (utf8_len != NULL)
    *utf8_len = o;
  return 0;
}

size_t vg_text_utf8_prefix(const char *s, size_t len, size_t max) {
  size_t n = max;

  if (len <= max)
    return len;
  /* s[n] is the first octet left out: while it continues a sequence, that
   * sequence's start is left out too. */
  while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
    n--;
  return n;
}

char *vg_text_join_parts(char *const *texts, size_t total, int *complete) {
  size_t i, n = 0, o = 0;
  int all = 1;
  char *out;

  for (i = 0; i < total; i++) {
    if (texts[i] == NULL)
      all = 0;
    else
      n += strlen(texts[i]);
  }
  out = vg_malloc(n + 1);
  for (i = 0; i < total; i++) {
    if (texts[i] != NULL) {
      size_t l = strlen(texts[i]);
      memcpy(out + o, texts[i], l);
      o += l;
    }
  }
  out[o] = '\0';
  if (complete != NULL)
    *complete = all;
  return out;
}
