/*
 * config.c — vasgw.conf: defaults, parsing, validation (config.h).
 *
 * The keys live in one table built from config_keys.def; parsing is a walk
 * over that table, never a chain of strcmp.  libinih splits lines into
 * [section] and key = value; a line reader of ours sits in front of it to
 * count lines (the Debian build does not pass line numbers to handlers),
 * strip "; comments" whatever inih was built with, turn off its
 * indented-continuation rule (an indented key is just a key), and check
 * section headings on the line they appear.  The first error wins and parsing
 * stops there; the caller's struct is written only on success.
 *
 * Line length: inih hands its reader a buffer of ini_max_line bytes, 200
 * as Debian builds it, which would make the longest values (a 511-byte
 * URL, 1023 bytes of number segments) impossible to write.  Debian's
 * libinih reads that size at run time (ini.h: ini_max_line, the buffer on
 * the stack when ini_use_stack), so a load sets it to CONF_LINE_MAX + 3 for
 * its own parse and puts it back after: every key's longest value fits on
 * a line (checked at compile time below), and a longer line is refused
 * with its file and line, never cut.  Loads happen at start-up, on one
 * thread.
 */
#include "gateway/config.h"
#include "gateway/httpd.h"
#include "gateway/ussd.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <strings.h>

#include "gateway/log.h"
#include "gateway/vg.h"

/* The longest line, in bytes, after its comment and the blanks around it
 * are removed: room for every key at its longest value (number_segments,
 * 1023) with blanks around the '='. */
#define CONF_LINE_MAX 2048

#ifndef VG_SYSCONFDIR
#define VG_SYSCONFDIR "/usr/local/etc"
#endif
#ifndef VG_DATADIR
#define VG_DATADIR "/usr/local/share/vasgw"
#endif

/* ------------------------------------------------------------------------ */
/* Validators: 0, or -1 with the reason in `why`.  They may normalise the
 * value in place (it is the field itself, `size` bytes). */

typedef int (*check_fn)(char *v, size_t size, char *why, size_t whysz);

#define check_any NULL

static int check_nonempty(char *v, size_t size, char *why, size_t whysz) {
  (void)size;
  if (*v != '\0')
    return 0;
  snprintf(why, whysz, "must not be empty");
  return -1;
}

/* node, prefix, locale: they end up in Redis keys, consumer names and
 * directory names, so no spaces, no '/'. */
static int check_name(char *v, size_t size, char *why, size_t whysz) {
  (void)size;
  if (*v == '\0') {
    snprintf(why, whysz, "must not be empty");
    return -1;
  }
  for (const char *p = v; *p; p++) {
    if (!isalnum((unsigned char)*p) && strchr("._:-", *p) == NULL) {
      snprintf(why, whysz, "only letters, digits, '.', '_', ':' and '-' "
                           "are allowed");
      return -1;
    }
  }
  return 0;
}

static int check_log_level(char *v, size_t size, char *why, size_t whysz) {
  (void)size;
  if (vg_log_level_parse(v) >= 0)
    return 0;
  snprintf(why, whysz, "must be one of error, warn, info, debug");
  return -1;
}

static int all_digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isdigit((unsigned char)s[i]))
      return 0;
  return 1;
}

static int check_country_code(char *v, size_t size, char *why, size_t whysz) {
  size_t n = strlen(v);
  (void)size;
  if (n >= 1 && n <= 3 && all_digits(v, n) && v[0] != '0')
    return 0;
  snprintf(why, whysz, "must be 1 to 3 digits, not starting with 0");
  return -1;
}

/* "HH:MM", 00:00..23:59; returns minutes after midnight or -1. */
static int parse_hhmm(const char *s) {
  if (!all_digits(s, 2) || s[2] != ':' || !all_digits(s + 3, 2))
    return -1;
  int h = (s[0] - '0') * 10 + (s[1] - '0');
  int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 23 || m > 59)
    return -1;
  return h * 60 + m;
}

/* Empty: no quiet hours (an operator whose rules allow marketing at any
 * hour, or a test bed). */
static int check_quiet_hours(char *v, size_t size, char *why, size_t whysz) {
  (void)size;
  if (*v == '\0')
    return 0;
  if (strlen(v) != 11 || v[5] != '-' || parse_hhmm(v) < 0 ||
      parse_hhmm(v + 6) < 0) {
    snprintf(why, whysz, "must be HH:MM-HH:MM (24-hour local time)");
    return -1;
  }
  if (parse_hhmm(v) == parse_hhmm(v + 6)) {
    snprintf(why, whysz, "start and end must differ");
    return -1;
  }
  return 0;
}

/* An IANA zone that the system's tzdata knows: with an unknown TZ the C
 * library silently uses UTC, and quiet hours would be off by hours. */
static int check_timezone(char *v, size_t size, char *why, size_t whysz) {
  (void)size;
  char path[600];
  if (*v == '\0' || v[0] == '/' || strstr(v, "..") != NULL) {
    snprintf(why, whysz, "must be a zone name such as Asia/Shanghai");
    return -1;
  }
  snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", v);
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || access(path, R_OK) != 0) {
    snprintf(why, whysz,
             "unknown time zone (no zone file %s; is tzdata installed?)", path);
    return -1;
  }
  return 0;
}

/* Comma-separated digit prefixes; blanks around the commas are dropped so
 * the rest of vasgw sees "134,135,...". */
static int check_segments(char *v, size_t size, char *why, size_t whysz) {
  char *w = v;
  size_t item = 0;
  (void)size;
  for (const char *r = v;; r++) {
    if (*r == ' ' || *r == '\t')
      continue;
    if (*r == ',' || *r == '\0') {
      if (item == 0 || item > 15)
        goto bad;
      if (*r == '\0')
        break;
      item = 0;
      *w++ = ',';
      continue;
    }
    if (!isdigit((unsigned char)*r))
      goto bad;
    *w++ = *r;
    item++;
  }
  *w = '\0';
  return 0;
bad:
  snprintf(why, whysz, "must be digit prefixes separated by commas");
  return -1;
}

static int check_url(char *v, size_t size, char *why, size_t whysz) {
  const char *host = NULL;
  (void)size;
  if (strncmp(v, "http://", 7) == 0)
    host = v + 7;
  else if (strncmp(v, "https://", 8) == 0)
    host = v + 8;
  if (host != NULL && *host != '\0' && *host != '/' &&
      strpbrk(v, " \t") == NULL)
    return 0;
  snprintf(why, whysz, "must be an http:// or https:// URL");
  return -1;
}

/* [http] listen: empty (no server) or an IP address and a port. */
static int check_listen(char *v, size_t size, char *why, size_t whysz) {
  (void)size;
  struct sockaddr_storage ss;
  if (*v == '\0' || vg_httpd_parse_listen(v, &ss, why, whysz) == 0)
    return 0;
  return -1;
}

/* ------------------------------------------------------------------------ */
/* Enumerations: name → value, written once. */

typedef struct {
  const char *name;
  int value;
} enum_name_t;

/* [ussd] profile: the rows of gateway/ussd_profiles.def, in order. */
static const enum_name_t enum_ussd_profile[] = {
#define VG_USSD_PROFILE(n, b, c, a, e, s, rc, re) {#n, VG_USSD_PROFILE_##n},
#include "gateway/ussd_profiles.def"
    {NULL, 0},
};

static const enum_name_t enum_bind[] = {
    {"transceiver", VG_BIND_TRX},
    {"transmitter+receiver", VG_BIND_TX_RX},
    {NULL, 0},
};

/* ------------------------------------------------------------------------ */
/* The key table. */

typedef enum { KEY_STR, KEY_INT, KEY_BOOL, KEY_ENUM } key_type_t;

typedef struct {
  const char *section;
  const char *key;
  key_type_t type;
  size_t offset;
  size_t size;           /* of the field */
  long min, max;         /* KEY_INT bounds; KEY_STR: max = length limit */
  const char *def_str;   /* KEY_STR */
  long def_int;          /* KEY_INT, KEY_BOOL, KEY_ENUM */
  check_fn check;        /* KEY_STR */
  const enum_name_t *names; /* KEY_ENUM */
} cfg_key_t;

#define FIELD_SIZE(f) sizeof(((vg_config_t *)0)->f)

/* Compile-time agreement of each row with config.h: string fields are
 * exactly maxlen + 1 bytes and hold their default; numbers are ints whose
 * default is within bounds. */
#define VG_CFG_STR(sec, k, f, maxlen, def, chk)                              \
  _Static_assert(FIELD_SIZE(f) == (maxlen) + 1, "size of field " #f);        \
  _Static_assert(sizeof(def) <= (maxlen) + 1, "default of " #f);             \
  _Static_assert(sizeof(k) - 1 + 3 + (maxlen) <= CONF_LINE_MAX,              \
                 "the longest " #f " does not fit on a line");
#define VG_CFG_INT(sec, k, f, lo, hi, def)                                   \
  _Static_assert(_Generic(((vg_config_t *)0)->f, int: 1, default: 0),        \
                 "field " #f " is not an int");                              \
  _Static_assert((lo) <= (def) && (def) <= (hi), "default of " #f);
#define VG_CFG_BOOL(sec, k, f, def)                                          \
  _Static_assert(_Generic(((vg_config_t *)0)->f, int: 1, default: 0),        \
                 "field " #f " is not an int");
#define VG_CFG_ENUM(sec, k, f, names, def)                                   \
  _Static_assert(sizeof(((vg_config_t *)0)->f) == sizeof(int),               \
                 "field " #f " is not an enum");
#include "gateway/config_keys.def"

static const cfg_key_t keys[] = {
#define VG_CFG_STR(sec, k, f, maxlen, def, chk)                              \
  {sec, k, KEY_STR, offsetof(vg_config_t, f), FIELD_SIZE(f), 0, (maxlen),    \
   def, 0, check_##chk, NULL},
#define VG_CFG_INT(sec, k, f, lo, hi, def)                                   \
  {sec, k, KEY_INT, offsetof(vg_config_t, f), FIELD_SIZE(f), (lo), (hi),     \
   NULL, (def), NULL, NULL},
#define VG_CFG_BOOL(sec, k, f, def)                                          \
  {sec, k, KEY_BOOL, offsetof(vg_config_t, f), FIELD_SIZE(f), 0, 1, NULL,    \
   (def), NULL, NULL},
#define VG_CFG_ENUM(sec, k, f, names, def)                                   \
  {sec, k, KEY_ENUM, offsetof(vg_config_t, f), FIELD_SIZE(f), 0, 0, NULL,    \
   (def), NULL, enum_##names},
#include "gateway/config_keys.def"
};

#define NKEYS VG_ARRAY_SIZE(keys)

/* Secrets that the environment may supply instead of the file. */
static const struct {
  const char *env;
  const char *section;
  const char *key;
} env_overrides[] = {
    {"VASGW_SMSC_PASSWORD", "smsc", "password"},
    {"VASGW_REDIS_PASSWORD", "redis", "password"},
};

static const cfg_key_t *find_key(const char *section, const char *key) {
  for (size_t i = 0; i < NKEYS; i++)
    if (strcmp(keys[i].section, section) == 0 &&
        strcmp(keys[i].key, key) == 0)
      return &keys[i];
  return NULL;
}

static int known_section(const char *section) {
  for (size_t i = 0; i < NKEYS; i++)
    if (strcmp(keys[i].section, section) == 0)
      return 1;
  return 0;
}

void vg_config_defaults(vg_config_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  for (size_t i = 0; i < NKEYS; i++) {
    const cfg_key_t *k = &keys[i];
    char *field = (char *)cfg + k->offset;
    if (k->type == KEY_STR)
      snprintf(field, k->size, "%s", k->def_str);
    else
      *(int *)(void *)field = (int)k->def_int;
  }
}

const char *vg_config_default_path(void) {
  const char *env = getenv("VASGW_CONF");
  if (env != NULL && *env != '\0')
    return env;
  return VG_SYSCONFDIR "/vasgw/vasgw.conf";
}

/* ------------------------------------------------------------------------ */
/* Applying one value. */

static int parse_long(const char *s, long *out) {
  char *end;
  if (*s == '\0' || isspace((unsigned char)*s))
    return -1;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (*end != '\0')
    return -1;
  if (errno == ERANGE)
    v = v < 0 ? LONG_MIN : LONG_MAX; /* reported as out of bounds */
  *out = v;
  return 0;
}

static int parse_bool(const char *s) {
  static const enum_name_t words[] = {
      {"true", 1}, {"yes", 1}, {"on", 1},  {"1", 1},
      {"false", 0}, {"no", 0}, {"off", 0}, {"0", 0},
  };
  for (size_t i = 0; i < VG_ARRAY_SIZE(words); i++)
    if (strcasecmp(s, words[i].name) == 0)
      return words[i].value;
  return -1;
}

/*
 * Store `value` for key `k` into `cfg`.  `label` names the setting in the
 * message ("[smsc] window", or the environment variable).  Returns 0, or -1
 * with the reason in `why`.  The value of a string that is too long is not
 * echoed: it may be a password.
 */
static int apply(const cfg_key_t *k, const char *label, const char *value,
                 vg_config_t *cfg, char *why, size_t whysz) {
  char *field = (char *)cfg + k->offset;
  char reason[256];
  long n;

  switch (k->type) {
  case KEY_STR:
    if (strlen(value) > (size_t)k->max) {
      snprintf(why, whysz, "%s: too long (at most %ld characters)", label,
               k->max);
      return -1;
    }
    snprintf(field, k->size, "%s", value);
    if (k->check != NULL &&
        k->check(field, k->size, reason, sizeof reason) != 0)
      goto invalid;
    return 0;

  case KEY_INT:
    if (parse_long(value, &n) != 0) {
      snprintf(reason, sizeof reason, "not an integer");
      goto invalid;
    }
    if (n < k->min || n > k->max) {
      snprintf(reason, sizeof reason, "must be between %ld and %ld", k->min,
               k->max);
      goto invalid;
    }
    *(int *)(void *)field = (int)n;
    return 0;

  case KEY_BOOL:
    n = parse_bool(value);
    if (n < 0) {
      snprintf(reason, sizeof reason, "must be true or false");
      goto invalid;
    }
    *(int *)(void *)field = (int)n;
    return 0;

  case KEY_ENUM: {
    size_t used = 0;
    for (const enum_name_t *e = k->names; e->name != NULL; e++) {
      if (strcmp(value, e->name) == 0) {
        *(int *)(void *)field = e->value;
        return 0;
      }
    }
    used = (size_t)snprintf(reason, sizeof reason, "must be");
    for (const enum_name_t *e = k->names; e->name != NULL; e++) {
      if (used >= sizeof reason)
        break;
      used += (size_t)snprintf(reason + used, sizeof reason - used, "%s%s",
                               e == k->names ? " " :
                               (e + 1)->name == NULL ? " or " : ", ",
                               e->name);
    }
    goto invalid;
  }
  }
  snprintf(reason, sizeof reason, "unknown key type");

invalid:
  snprintf(why, whysz, "%s = %s: %s", label, value, reason);
  return -1;
}

/* ------------------------------------------------------------------------ */
/* One load: the line source, the line count, the first error. */

typedef struct {
  vg_config_t cfg;          /* the working copy */
  const char *name;         /* the file's name in messages */
  FILE *fp;                 /* source: a file ... */
  const char *str;          /* ... or the rest of a string */
  char *line;               /* the whole current line, our own buffer */
  size_t cap;
  int lineno;               /* of the line last handed to inih */
  int failed;               /* an error is in msg */
  char msg[512];            /* "PATH:LINE: reason" */
  unsigned char seen[NKEYS];
} load_t;

static void fail(load_t *ld, int lineno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(load_t *ld, int lineno, const char *fmt, ...) {
  char reason[400];
  va_list ap;
  if (ld->failed)
    return;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  if (lineno > 0)
    snprintf(ld->msg, sizeof ld->msg, "%s:%d: %s", ld->name, lineno, reason);
  else
    snprintf(ld->msg, sizeof ld->msg, "%s: %s", ld->name, reason);
  ld->failed = 1;
}

/* Next whole line into ld->line without its end-of-line; 0, or -1 at the
 * end or on a read error (then ld->failed is set). */
static int next_line(load_t *ld) {
  size_t len;
  if (ld->fp != NULL) {
    ssize_t n = getline(&ld->line, &ld->cap, ld->fp);
    if (n < 0) {
      if (ferror(ld->fp))
        fail(ld, 0, "cannot read: %s", strerror(errno));
      return -1;
    }
    len = (size_t)n;
  } else {
    if (ld->str == NULL || *ld->str == '\0')
      return -1;
    const char *nl = strchr(ld->str, '\n');
    len = nl ? (size_t)(nl - ld->str) : strlen(ld->str);
    if (len + 1 > ld->cap) {
      ld->cap = len + 1;
      ld->line = vg_realloc(ld->line, ld->cap);
    }
    memcpy(ld->line, ld->str, len);
    ld->line[len] = '\0';
    ld->str += nl ? len + 1 : len;
  }
  while (len > 0 && (ld->line[len - 1] == '\n' || ld->line[len - 1] == '\r'))
    ld->line[--len] = '\0';
  return 0;
}

/*
 * inih's line source (fgets-like).  Hands over each line with leading
 * blanks and any comment removed, so inih never sees an indented
 * continuation line nor a comment; checks section headings here, where
 * their line number is known.  Returns NULL to end parsing: at the end of
 * input, or at the first error.
 */
static char *reader(char *out, int num, void *stream) {
  load_t *ld = stream;
  char *s, *p;

  if (ld->failed || next_line(ld) != 0)
    return NULL;
  ld->lineno++;
  s = ld->line;
  if (ld->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
    s += 3; /* UTF-8 byte-order mark */
  while (*s == ' ' || *s == '\t')
    s++;
  if (*s == ';' || *s == '#')
    *s = '\0';
  for (p = s; *p; p++) {
    if (*p == ';' && p > s && (p[-1] == ' ' || p[-1] == '\t')) {
      *p = '\0';
      break;
    }
  }
  p = s + strlen(s);
  while (p > s && isspace((unsigned char)p[-1]))
    *--p = '\0';

  if (*s == '[') {
    char *close = strchr(s, ']');
    if (close != NULL) {
      *close = '\0';
      if (!known_section(s + 1))
        fail(ld, ld->lineno, "unknown section [%s]", s + 1);
      *close = ']';
    }
  }
  /* num is CONF_LINE_MAX + 3 (run()); should inih ever pass less, the line is
   * refused all the same, never cut. */
  if (!ld->failed && num >= 3 && strlen(s) > (size_t)num - 3)
    fail(ld, ld->lineno, "line too long (at most %d characters)", num - 3);
  if (ld->failed)
    return NULL;
  memcpy(out, s, strlen(s) + 1);
  return out;
}

/* inih's handler: one key = value of the current line. */
static int on_value(void *user, const char *section, const char *name,
                    const char *value) {
  load_t *ld = user;
  const cfg_key_t *k;
  char label[128], why[400];

  if (ld->failed)
    return 0;
  if (*section == '\0') {
    fail(ld, ld->lineno, "key '%s' outside any section", name);
    return 0;
  }
  k = find_key(section, name);
  if (k == NULL) {
    fail(ld, ld->lineno, "unknown key '%s' in [%s]", name, section);
    return 0;
  }
  if (ld->seen[k - keys]) {
    fail(ld, ld->lineno, "duplicate key '%s' in [%s]", name, section);
    return 0;
  }
  ld->seen[k - keys] = 1;
  snprintf(label, sizeof label, "[%s] %s", section, name);
  if (apply(k, label, value ? value : "", &ld->cfg, why, sizeof why) != 0) {
    fail(ld, ld->lineno, "%s", why);
    return 0;
  }
  return 1;
}

static void apply_env(load_t *ld) {
  char why[400];
  for (size_t i = 0; i < VG_ARRAY_SIZE(env_overrides) && !ld->failed; i++) {
    const char *v = getenv(env_overrides[i].env);
    if (v == NULL)
      continue;
    const cfg_key_t *k = find_key(env_overrides[i].section, env_overrides[i].key);
    if (apply(k, env_overrides[i].env, v, &ld->cfg, why, sizeof why) != 0) {
      /* not from the file: no PATH:LINE */
      snprintf(ld->msg, sizeof ld->msg, "environment %s", why);
      ld->failed = 1;
    }
  }
}

/* Parse what `ld` points at over the defaults; on success copy to `cfg`. */
static int run(load_t *ld, vg_config_t *cfg, char *err, size_t errsz) {
  int max_line = ini_max_line;
  bool use_stack = ini_use_stack;
  ini_max_line = CONF_LINE_MAX + 3; /* the line, '\r', '\n' and the NUL */
  ini_use_stack = true;        /* one buffer of that size, never regrown */
  int rc = ini_parse_stream(reader, ld, on_value, ld);
  ini_max_line = max_line;
  ini_use_stack = use_stack;

  /* inih's own complaints are syntax errors; ours came first if they are
   * on an earlier or the same line (the handler returned 0 there). */
  if (rc > 0 && (!ld->failed || rc < ld->lineno)) {
    ld->failed = 0;
    fail(ld, rc, "syntax error: expected 'key = value' or '[section]'");
  } else if (rc < 0 && !ld->failed) {
    fail(ld, 0, "%s", vg_strerror(VG_ENOMEM));
  }
  if (!ld->failed)
    apply_env(ld);
  free(ld->line);
  ld->line = NULL;

  if (ld->failed) {
    if (err != NULL && errsz > 0)
      snprintf(err, errsz, "%s", ld->msg);
    return VG_ECONFIG;
  }
  memcpy(cfg, &ld->cfg, sizeof *cfg); /* padding too: callers may memcmp */
  if (err != NULL && errsz > 0)
    err[0] = '\0';
  return 0;
}

int vg_config_load(const char *path, vg_config_t *cfg, char *err,
                   size_t errsz) {
  load_t *ld = vg_calloc(1, sizeof *ld);
  int rc;

  vg_config_defaults(&ld->cfg);
  ld->name = path;
  ld->fp = fopen(path, "r");
  if (ld->fp == NULL) {
    fail(ld, 0, "cannot open: %s", strerror(errno));
    if (err != NULL && errsz > 0)
      snprintf(err, errsz, "%s", ld->msg);
    free(ld);
    return VG_ECONFIG;
  }
  rc = run(ld, cfg, err, errsz);
  fclose(ld->fp);
  free(ld);
  return rc;
}

int vg_config_load_string(const char *text, const char *name, vg_config_t *cfg,
                          char *err, size_t errsz) {
  load_t *ld = vg_calloc(1, sizeof *ld);
  int rc;

  vg_config_defaults(&ld->cfg);
  ld->name = name != NULL ? name : "(string)";
  ld->str = text;
  rc = run(ld, cfg, err, errsz);
  free(ld);
  return rc;
}
