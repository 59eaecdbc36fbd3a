/*
 * cli_service.c — `vasgw service ...`: the operator's side of the service
 * catalogue (handlers/catalogue.h), written straight to Redis so that every
 * daemon sees it at once.
 *
 *   service add CODE --name N --price P --provision-code X --commission-fen F
 *               [--knowledge T] [--usage T] [--cancel T]
 *   service set CODE [the same options] [--enable]
 *   service show CODE | list [--all] | disable CODE | import FILE.csv
 *
 * Exit status (cli.h): 0 done; 1 a runtime failure (Redis, an unknown or
 * existing code, a CSV file with bad rows); 2 a usage error — a malformed
 * command line, and also a refused value on it (a bad code, a name too long,
 * a commission that is not a whole number of fen).
 */
#include "gateway/cli.h"
#include "gateway/keys.h"
#include "gateway/vg.h"
#include "handlers/catalogue.h"
#include "handlers/templates.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uniwidth.h>

/* The fields an operator gives, as options (--provision-code) or columns. */
static const vg_svc_field_t input_fields[] = {
    VG_SVC_F_CODE,      VG_SVC_F_NAME,           VG_SVC_F_PRICE,
    VG_SVC_F_PROVISION_CODE, VG_SVC_F_COMMISSION_FEN, VG_SVC_F_KNOWLEDGE,
    VG_SVC_F_USAGE,     VG_SVC_F_CANCEL};
#define REQUIRED                                                             \
  (VG_SVC_BIT(CODE) | VG_SVC_BIT(NAME) | VG_SVC_BIT(PRICE) |                 \
   VG_SVC_BIT(PROVISION_CODE) | VG_SVC_BIT(COMMISSION_FEN))

/* A refused value on the command line: "vasgw: service add: why", exit 2. */
static int refuse(const char *sub, const char *why) {
  fprintf(stderr, "vasgw: service %s: %s\n", sub, why);
  return 2;
}

/* --- output ---------------------------------------------------------------- */

static void print_json(const vg_service_t *s) {
  char buf[VG_SVC_UTF8_BYTES(VG_SVC_TEXT_MAX) + 1];

  printf("{");
  for (int f = 0; f < VG_SVC_F_COUNT; f++) {
    vg_service_field_text(s, (vg_svc_field_t)f, buf, sizeof buf);
    printf("%s\"%s\":", f ? "," : "", vg_service_field_name((vg_svc_field_t)f));
    if (f == VG_SVC_F_ENABLED)
      printf("%s", s->enabled ? "true" : "false");
    else if (f == VG_SVC_F_COMMISSION_FEN || f == VG_SVC_F_CREATED ||
             f == VG_SVC_F_UPDATED)
      printf("%s", buf);
    else
      vg_cli_json_str(stdout, buf);
  }
  printf("}");
}

/* Fen as yuan with two decimals, integer arithmetic only. */
static const char *yuan(char out[32], long long fen) {
  snprintf(out, 32, "%lld.%02lld", fen / 100, fen % 100);
  return out;
}

static void print_show(const vg_service_t *s) {
  char y[32], t[32];

  printf("service %s (%s)\n", s->code, s->enabled ? "enabled" : "disabled");
  printf("  %-15s %s\n", "name", s->name);
  printf("  %-15s %s\n", "price", s->price);
  printf("  %-15s %s\n", "provision_code", s->provision_code);
  printf("  %-15s %s yuan (%lld fen)\n", "commission",
         yuan(y, s->commission_fen), s->commission_fen);
  printf("  %-15s %s\n", "knowledge", s->knowledge);
  printf("  %-15s %s\n", "usage", s->usage);
  printf("  %-15s %s\n", "cancel", s->cancel);
  printf("  %-15s %s\n", "created", vg_cli_time(t, s->created_ms));
  printf("  %-15s %s\n", "updated", vg_cli_time(t, s->updated_ms));
}

/* Columns on a terminal: Chinese characters take two. */
static size_t width(const char *s) {
  int w = u8_width((const uint8_t *)s, strlen(s), "UTF-8");
  return w > 0 ? (size_t)w : 0;
}

static void cell(const char *s, size_t w, int right) {
  size_t have = width(s);
  if (right)
    printf("%*s%s", (int)(w > have ? w - have : 0), "", s);
  else
    printf("%s%*s", s, (int)(w > have ? w - have : 0), "");
}

static void print_table(const vg_service_t *s, size_t n) {
  static const char *const head[] = {"CODE", "NAME", "PRICE",
                                     "COMMISSION (yuan)", "ENABLED"};
  size_t w[5];
  char y[32];

  for (int k = 0; k < 5; k++)
    w[k] = strlen(head[k]);
  for (size_t i = 0; i < n; i++) {
    const char *v[3] = {s[i].code, s[i].name, s[i].price};
    for (int k = 0; k < 3; k++)
      if (width(v[k]) > w[k])
        w[k] = width(v[k]);
    if (strlen(yuan(y, s[i].commission_fen)) > w[3])
      w[3] = strlen(y);
  }
  for (int k = 0; k < 5; k++) {
    cell(head[k], w[k], k == 3);
    printf(k < 4 ? "  " : "\n");
  }
  for (size_t i = 0; i < n; i++) {
    cell(s[i].code, w[0], 0);
    printf("  ");
    cell(s[i].name, w[1], 0);
    printf("  ");
    cell(s[i].price, w[2], 0);
    printf("  ");
    cell(yuan(y, s[i].commission_fen), w[3], 1);
    printf("  %s\n", s[i].enabled ? "yes" : "no");
  }
}

/* --- the recommendation length check ----------------------------------------- */

/* The templates for the check, loaded once; NULL (said once) when they
 * cannot be: the check is a warning and never stops a command. */
static vg_templates_t *templates(cli_t *c) {
  static vg_templates_t *t;
  static int tried;
  char err[512];

  if (!tried) {
    tried = 1;
    t = vg_templates_load(c->cfg.templates, c->cfg.locale, err, sizeof err);
    if (t == NULL)
      fprintf(stderr,
              "vasgw: warning: cannot check the recommendation SMS: %s\n",
              err);
  }
  return t;
}

static void warn_length(cli_t *c, const vg_service_t *s, size_t n) {
  vg_templates_t *t = templates(c);

  for (size_t i = 0; t != NULL && i < n; i++) {
    size_t parts = vg_service_recommend_parts(t, &s[i]);
    if (parts > VG_SVC_RECOMMEND_PARTS)
      fprintf(stderr,
              "vasgw: warning: %s: the recommendation SMS takes %zu parts "
              "(at most %d expected); shorten the name or price\n",
              s[i].code, parts, VG_SVC_RECOMMEND_PARTS);
  }
}

/* --- Redis ------------------------------------------------------------------- */

/* Load `code`; 0, or 1 after saying why. */
static int load(cli_t *c, const char *code, vg_service_t *s) {
  int rc = vg_service_load(c->rc, c->cfg.prefix, code, s);

  if (rc == VG_ENOTFOUND)
    return vg_cli_fail("no service %s in the catalogue (see 'vasgw service "
                       "list --all')", code);
  if (rc == VG_EINVAL)
    return vg_cli_fail("service %s: the stored record is malformed", code);
  if (rc != 0)
    return vg_cli_fail("Redis: %s", c->rc->err ? c->rc->errstr
                                               : "cannot read the service");
  return 0;
}

static int save(cli_t *c, const vg_service_t *s, size_t n, unsigned overwrite,
                size_t *added) {
  char err[512];
  int rc = vg_service_save(c->rc, c->cfg.prefix, s, n, overwrite, added, err,
                           sizeof err);

  if (rc == VG_EBUSY)
    return vg_cli_fail("service %s was changed meanwhile by someone else; "
                       "nothing written, try again", s[0].code);
  if (rc != 0)
    return vg_cli_fail("Redis: %s", err);
  return 0;
}

static void simple(cli_t *c, const char *cmd) {
  redisReply *r = redisCommand(c->rc, "%s", cmd);
  freeReplyObject(r);
}

/* --- command-line options ------------------------------------------------------ */

typedef struct {
  const char *sub;           /* "add", "set" */
  const char *code;          /* the positional argument */
  const char *value[VG_SVC_F_COUNT];
  unsigned given;            /* VG_SVC_BIT of each option given */
  int enable;                /* --enable */
} opts_t;

/* "--provision-code" -> the field, or -1. */
static int option_field(const char *opt, size_t len) {
  for (size_t i = 1; i < VG_ARRAY_SIZE(input_fields); i++) {
    const char *n = vg_service_field_name(input_fields[i]);
    size_t k;
    if (strlen(n) != len)
      continue;
    for (k = 0; k < len; k++)
      if (opt[k] != (n[k] == '_' ? '-' : n[k]))
        break;
    if (k == len)
      return (int)input_fields[i];
  }
  return -1;
}

/* Parse words[2..] of add/set: the code and the options.  0, or the exit
 * status of a usage error (already reported). */
static int parse_options(int nw, const char **words, int allow_enable,
                         opts_t *o) {
  memset(o, 0, sizeof *o);
  o->sub = words[1];
  for (int i = 2; i < nw; i++) {
    const char *w = words[i];
    if (strncmp(w, "--", 2) != 0) {
      if (o->code != NULL)
        return vg_cli_usage_error("service %s: unexpected argument '%s'",
                                  o->sub, w);
      o->code = w;
      continue;
    }
    if (allow_enable && strcmp(w, "--enable") == 0) {
      o->enable = 1;
      continue;
    }
    const char *eq = strchr(w, '=');
    size_t len = eq ? (size_t)(eq - w - 2) : strlen(w + 2);
    int f = option_field(w + 2, len);
    if (f < 0)
      return vg_cli_usage_error("service %s: unknown option '%.*s'", o->sub,
                                (int)(len + 2), w);
    if (o->given & (1u << f))
      return vg_cli_usage_error("service %s: option '%.*s' given twice",
                                o->sub, (int)(len + 2), w);
    const char *v;
    if (eq != NULL)
      v = eq + 1;
    else if (i + 1 < nw && strncmp(words[i + 1], "--", 2) != 0)
      v = words[++i];
    else
      return vg_cli_usage_error("service %s: option '%s' needs a value",
                                o->sub, w);
    o->value[f] = v;
    o->given |= 1u << f;
  }
  if (o->code == NULL)
    return vg_cli_usage_error("service %s: missing CODE", o->sub);
  return 0;
}

/* Apply the options to `s`; 0, or 2 after saying which value is refused. */
static int apply_options(const opts_t *o, vg_service_t *s) {
  char why[256];

  for (int f = 0; f < VG_SVC_F_COUNT; f++)
    if ((o->given & (1u << f)) &&
        vg_service_set_field(s, (vg_svc_field_t)f, o->value[f], why,
                             sizeof why) != 0)
      return refuse(o->sub, why);
  return 0;
}

/* Exactly one CODE after the subcommand, upper-cased and checked. */
static int one_code(int nw, const char **words, char code[VG_SVC_CODE_MAX + 1],
                    const char *usage) {
  char why[256];

  if (nw != 3 || strncmp(words[2], "--", 2) == 0)
    return vg_cli_usage_error("usage: service %s", usage);
  if (vg_service_norm_code(words[2], code, why, sizeof why) != 0)
    return refuse(words[1], why);
  return 0;
}

/* --- add, set, show, disable, list ----------------------------------------------- */

static int cmd_add(cli_t *c, int nw, const char **words) {
  opts_t o;
  vg_service_t s;
  char why[256], key[VG_KEY_MAX];
  int rc;

  if ((rc = parse_options(nw, words, 0, &o)) != 0)
    return rc;
  for (size_t i = 1; i < VG_ARRAY_SIZE(input_fields); i++) {
    vg_svc_field_t f = input_fields[i];
    if ((REQUIRED & (1u << f)) && !(o.given & (1u << f))) {
      char opt[32];
      snprintf(opt, sizeof opt, "%s", vg_service_field_name(f));
      for (char *p = opt; *p; p++)
        if (*p == '_')
          *p = '-';
      return vg_cli_usage_error("service add: missing --%s", opt);
    }
  }
  vg_service_init(&s);
  if (vg_service_set_field(&s, VG_SVC_F_CODE, o.code, why, sizeof why) != 0)
    return refuse("add", why);
  if ((rc = apply_options(&o, &s)) != 0)
    return rc;
  s.created_ms = s.updated_ms = vg_now_ms();
  if (vg_service_check(&s, why, sizeof why) != 0)
    return refuse("add", why);

  if (vg_cli_connect(c))
    return 1;
  /* WATCH, then EXISTS: a concurrent add of the same code makes EXEC fail. */
  vg_key(key, c->cfg.prefix, VG_K_SVC, s.code);
  freeReplyObject(redisCommand(c->rc, "WATCH %s", key));
  redisReply *r = redisCommand(c->rc, "EXISTS %s", key);
  if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
    rc = vg_cli_fail("Redis: %s", r ? r->str : c->rc->errstr);
    freeReplyObject(r);
    return rc;
  }
  long long exists = r->integer;
  freeReplyObject(r);
  if (exists) {
    simple(c, "UNWATCH");
    return vg_cli_fail("service %s already exists; use 'vasgw service set "
                       "%s ...' to change it", s.code, s.code);
  }
  if (save(c, &s, 1, VG_SVC_ALL, NULL))
    return 1;
  if (c->json) {
    print_json(&s);
    printf("\n");
  } else {
    printf("service %s added\n", s.code);
  }
  warn_length(c, &s, 1);
  return 0;
}

static int cmd_set(cli_t *c, int nw, const char **words) {
  opts_t o;
  vg_service_t s, scratch;
  char why[256], code[VG_SVC_CODE_MAX + 1];
  int rc;

  if ((rc = parse_options(nw, words, 1, &o)) != 0)
    return rc;
  if (vg_service_norm_code(o.code, code, why, sizeof why) != 0)
    return refuse("set", why);
  if (o.given == 0 && !o.enable)
    return vg_cli_usage_error("service set: nothing to change (give an "
                              "option such as --name, or --enable)");
  /* Refuse a bad value before touching Redis. */
  vg_service_init(&scratch);
  if ((rc = apply_options(&o, &scratch)) != 0)
    return rc;

  if (vg_cli_connect(c))
    return 1;
  if (load(c, code, &s))
    return 1;
  apply_options(&o, &s);
  unsigned overwrite = o.given | VG_SVC_BIT(UPDATED);
  if (o.enable) {
    s.enabled = 1;
    overwrite |= VG_SVC_BIT(ENABLED);
  }
  s.updated_ms = vg_now_ms();
  if (vg_service_check(&s, why, sizeof why) != 0)
    return refuse("set", why);
  /* Only the fields asked for: a concurrent change of others is kept. */
  if (save(c, &s, 1, overwrite, NULL))
    return 1;
  if (c->json) {
    print_json(&s);
    printf("\n");
  } else {
    printf("service %s updated\n", s.code);
  }
  warn_length(c, &s, 1);
  return 0;
}

static int cmd_show(cli_t *c, int nw, const char **words) {
  char code[VG_SVC_CODE_MAX + 1];
  vg_service_t s;
  int rc;

  if ((rc = one_code(nw, words, code, "show CODE")) != 0)
    return rc;
  if (vg_cli_connect(c) || load(c, code, &s))
    return 1;
  if (c->json) {
    print_json(&s);
    printf("\n");
  } else {
    print_show(&s);
  }
  return 0;
}

static int cmd_disable(cli_t *c, int nw, const char **words) {
  char code[VG_SVC_CODE_MAX + 1];
  vg_service_t s;
  int rc, was;

  if ((rc = one_code(nw, words, code, "disable CODE")) != 0)
    return rc;
  if (vg_cli_connect(c) || load(c, code, &s))
    return 1;
  was = s.enabled;
  if (was) {
    s.enabled = 0;
    s.updated_ms = vg_now_ms();
    if (save(c, &s, 1, VG_SVC_BIT(ENABLED) | VG_SVC_BIT(UPDATED), NULL))
      return 1;
  }
  if (c->json) {
    print_json(&s);
    printf("\n");
  } else {
    printf(was ? "service %s disabled\n" : "service %s was already disabled\n",
           s.code);
  }
  return 0;
}

static int cmd_list(cli_t *c, int nw, const char **words) {
  int all = 0;
  vg_service_code_t *codes;
  size_t ncodes, n = 0;
  char err[512];

  for (int i = 2; i < nw; i++) {
    if (strcmp(words[i], "--all") == 0)
      all = 1;
    else if (strncmp(words[i], "--", 2) == 0)
      return vg_cli_usage_error("service list: unknown option '%s'", words[i]);
    else
      return vg_cli_usage_error("service list: unexpected argument '%s'",
                                words[i]);
  }
  if (vg_cli_connect(c))
    return 1;
  if (vg_service_codes(c->rc, c->cfg.prefix, &codes, &ncodes, err,
                       sizeof err) != 0)
    return vg_cli_fail("Redis: %s", err);
  vg_service_t *s = vg_malloc((ncodes ? ncodes : 1) * sizeof *s);
  int rc = 0;
  for (size_t i = 0; i < ncodes && rc == 0; i++) {
    int r = vg_service_load(c->rc, c->cfg.prefix, codes[i], &s[n]);
    if (r == VG_ENOTFOUND)
      continue; /* in the index, its hash removed by hand */
    if (r == VG_EINVAL)
      fprintf(stderr, "vasgw: warning: %s: the stored record is malformed\n",
              codes[i]);
    else if (r != 0)
      rc = vg_cli_fail("Redis: %s", c->rc->err ? c->rc->errstr
                                               : "cannot read the catalogue");
    else if (all || s[n].enabled)
      n++;
  }
  if (rc == 0) {
    if (c->json) {
      printf("[");
      for (size_t i = 0; i < n; i++) {
        printf(i ? "," : "");
        print_json(&s[i]);
      }
      printf("]\n");
    } else if (n == 0) {
      printf(all ? "(the catalogue is empty)\n"
                 : "(no enabled service; 'service list --all' shows all)\n");
    } else {
      print_table(s, n);
    }
  }
  free(s);
  free(codes);
  return rc;
}

/* --- import ---------------------------------------------------------------------- */

/* One CSV record: its fields (malloc'd) and the line it starts on. */
typedef struct {
  char **f;
  size_t n, cap;
  long line;
} row_t;

typedef struct {
  const char *buf;
  size_t len, pos;
  long line; /* of buf[pos] */
} csv_t;

static void row_clear(row_t *r) {
  for (size_t i = 0; i < r->n; i++)
    free(r->f[i]);
  r->n = 0;
}

static void row_add(row_t *r, const char *s, size_t len) {
  if (r->n == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 16;
    r->f = vg_realloc(r->f, r->cap * sizeof *r->f);
  }
  r->f[r->n++] = vg_strndup(s, len);
}

/* At a line end (CRLF, LF or a lone CR)?  Consumes it and counts the line. */
static int line_end(csv_t *p) {
  if (p->pos >= p->len)
    return 0;
  if (p->buf[p->pos] == '\r') {
    p->pos += (p->pos + 1 < p->len && p->buf[p->pos + 1] == '\n') ? 2 : 1;
  } else if (p->buf[p->pos] == '\n') {
    p->pos++;
  } else {
    return 0;
  }
  p->line++;
  return 1;
}

/* Skip the rest of a malformed record's physical line. */
static void skip_line(csv_t *p) {
  while (p->pos < p->len && !line_end(p))
    p->pos++;
}

/*
 * The next record (RFC 4180: fields in "..." may hold commas, line breaks
 * and "" for a quote).  1 with `r` filled, 0 at the end of the input, -1 for
 * a malformed record with the reason in `why` (the parser goes on after it).
 */
static int csv_next(csv_t *p, row_t *r, char *why, size_t whysz) {
  row_clear(r);
  if (p->pos >= p->len)
    return 0;
  r->line = p->line;
  char *tmp = NULL;
  size_t tlen = 0, tcap = 0;
  for (;;) {
    if (p->pos < p->len && p->buf[p->pos] == '"') {
      long open_line = p->line;
      tlen = 0;
      p->pos++;
      for (;;) {
        if (p->pos >= p->len) {
          snprintf(why, whysz, "a quoted field opened on line %ld is never "
                   "closed", open_line);
          free(tmp);
          return -1;
        }
        char ch = p->buf[p->pos++];
        if (ch == '"') {
          if (p->pos < p->len && p->buf[p->pos] == '"')
            p->pos++;
          else
            break;
        } else if (ch == '\n' || (ch == '\r' && !(p->pos < p->len &&
                                                  p->buf[p->pos] == '\n'))) {
          p->line++;
        }
        if (tlen + 1 >= tcap) {
          tcap = tcap ? tcap * 2 : 256;
          tmp = vg_realloc(tmp, tcap);
        }
        tmp[tlen++] = ch;
      }
      row_add(r, tmp ? tmp : "", tlen);
      if (p->pos < p->len && p->buf[p->pos] != ',' &&
          p->buf[p->pos] != '\r' && p->buf[p->pos] != '\n') {
        snprintf(why, whysz, "text after the closing quote of field %zu",
                 r->n);
        skip_line(p);
        free(tmp);
        return -1;
      }
    } else {
      size_t start = p->pos;
      while (p->pos < p->len && p->buf[p->pos] != ',' &&
             p->buf[p->pos] != '\r' && p->buf[p->pos] != '\n') {
        if (p->buf[p->pos] == '"') {
          snprintf(why, whysz, "a quote inside unquoted field %zu (quote "
                   "the whole field and double the quote: \"a \"\"b\"\"\")",
                   r->n + 1);
          skip_line(p);
          free(tmp);
          return -1;
        }
        p->pos++;
      }
      row_add(r, p->buf + start, p->pos - start);
    }
    if (p->pos < p->len && p->buf[p->pos] == ',') {
      p->pos++;
      continue;
    }
    line_end(p);
    break;
  }
  free(tmp);
  return 1;
}

/* A record of empty fields only: a blank line, or ",,," from a spreadsheet. */
static int row_blank(const row_t *r) {
  for (size_t i = 0; i < r->n; i++)
    if (r->f[i][0] != '\0')
      return 0;
  return 1;
}

static char *read_all(const char *path, size_t *len) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  size_t cap = 65536, n = 0, got;
  char *buf;

  if (f == NULL)
    return NULL;
  buf = vg_malloc(cap);
  while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap)
      buf = vg_realloc(buf, cap *= 2);
  }
  int bad = ferror(f);
  if (f != stdin)
    fclose(f);
  if (bad) {
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

/* Report one bad row: "FILE:LINE: reason". */
static void bad_row(const char *path, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void bad_row(const char *path, long line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "vasgw: %s:%ld: ", path, line);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* Match a header cell to a column: trimmed, any case. */
static int header_field(const char *cell) {
  char name[32];
  size_t n = 0;

  while (*cell == ' ')
    cell++;
  for (; *cell && n + 1 < sizeof name; cell++)
    name[n++] = (*cell >= 'A' && *cell <= 'Z') ? (char)(*cell - 'A' + 'a')
                                                : *cell;
  while (n > 0 && name[n - 1] == ' ')
    n--;
  name[n] = '\0';
  for (size_t i = 0; i < VG_ARRAY_SIZE(input_fields); i++)
    if (strcmp(vg_service_field_name(input_fields[i]), name) == 0)
      return (int)input_fields[i];
  return -1;
}

static int cmd_import(cli_t *c, int nw, const char **words) {
  if (nw != 3 || (strncmp(words[2], "--", 2) == 0))
    return vg_cli_usage_error("usage: service import FILE.csv");
  const char *path = words[2];
  size_t len = 0;
  char *buf = read_all(path, &len);
  if (buf == NULL)
    return vg_cli_fail("%s: cannot read: %s", path, strerror(errno));

  csv_t p = {buf, len, 0, 1};
  if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
    p.pos = 3; /* a UTF-8 byte order mark, as spreadsheets write it */
  row_t r = {0};
  char why[512];
  int col[VG_SVC_F_COUNT * 2], ncol = 0, bad = 0, got;
  unsigned have = 0;
  vg_service_t *svc = NULL;
  long *lines = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;

  /* The header: the first record that is not blank. */
  while ((got = csv_next(&p, &r, why, sizeof why)) == 1 && row_blank(&r))
    ;
  if (got == 0) {
    rc = vg_cli_fail("%s: empty file; expected a header row (code,name,"
                     "price,provision_code,commission_fen,...)", path);
    goto out;
  }
  if (got < 0) {
    bad_row(path, r.line, "%s", why);
    rc = vg_cli_fail("%s: bad header; nothing imported", path);
    goto out;
  }
  if (r.n > VG_ARRAY_SIZE(col)) {
    bad_row(path, r.line, "%zu columns; there are %zu", r.n,
            VG_ARRAY_SIZE(input_fields));
    rc = vg_cli_fail("%s: bad header; nothing imported", path);
    goto out;
  }
  for (size_t i = 0; i < r.n; i++) {
    int f = header_field(r.f[i]);
    col[ncol++] = f;
    if (f < 0) {
      bad_row(path, r.line,
              "unknown column '%s' (columns: code, name, price, "
              "provision_code, commission_fen, knowledge, usage, cancel)",
              r.f[i]);
      bad++;
    } else if (have & (1u << f)) {
      bad_row(path, r.line, "column '%s' appears twice", r.f[i]);
      bad++;
    }
    if (f >= 0)
      have |= 1u << f;
  }
  for (size_t i = 0; i < VG_ARRAY_SIZE(input_fields); i++) {
    vg_svc_field_t f = input_fields[i];
    if ((REQUIRED & (1u << f)) && !(have & (1u << f))) {
      bad_row(path, r.line, "missing column '%s'", vg_service_field_name(f));
      bad++;
    }
  }
  if (bad) {
    rc = vg_cli_fail("%s: bad header; nothing imported", path);
    goto out;
  }

  /* Every row checked, every bad one reported, before anything is written. */
  int64_t now = vg_now_ms();
  while ((got = csv_next(&p, &r, why, sizeof why)) != 0) {
    if (got < 0) {
      bad_row(path, r.line, "%s", why);
      bad++;
      continue;
    }
    if (row_blank(&r))
      continue;
    if (r.n != (size_t)ncol) {
      bad_row(path, r.line, "%zu field%s; the header has %d", r.n,
              r.n == 1 ? "" : "s", ncol);
      bad++;
      continue;
    }
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      svc = vg_realloc(svc, cap * sizeof *svc);
      lines = vg_realloc(lines, cap * sizeof *lines);
    }
    vg_service_t *s = &svc[n];
    int row_bad = 0;
    vg_service_init(s);
    for (int k = 0; k < ncol; k++)
      if (vg_service_set_field(s, (vg_svc_field_t)col[k], r.f[k], why,
                               sizeof why) != 0) {
        bad_row(path, r.line, "%s", why);
        row_bad = 1;
      }
    for (size_t k = 0; !row_bad && k < n; k++)
      if (strcmp(svc[k].code, s->code) == 0) {
        bad_row(path, r.line, "code %s repeats line %ld", s->code, lines[k]);
        row_bad = 1;
      }
    if (!row_bad && vg_service_check(s, why, sizeof why) != 0) {
      bad_row(path, r.line, "%s", why);
      row_bad = 1;
    }
    if (row_bad) {
      bad++;
      continue;
    }
    s->created_ms = s->updated_ms = now;
    lines[n++] = r.line;
  }
  if (bad) {
    rc = vg_cli_fail("%s: %d bad row%s; nothing imported", path, bad,
                     bad == 1 ? "" : "s");
    goto out;
  }

  /* One MULTI/EXEC.  The columns of the file overwrite; an existing entry
   * keeps its `created`, its enabled state and any column the file lacks. */
  size_t added = 0;
  if (vg_cli_connect(c) ||
      (n > 0 && save(c, svc, n, have | VG_SVC_BIT(UPDATED), &added))) {
    rc = 1;
    goto out;
  }
  if (c->json) {
    printf("{\"added\":%zu,\"updated\":%zu,\"codes\":[", added, n - added);
    for (size_t i = 0; i < n; i++) {
      printf(i ? "," : "");
      vg_cli_json_str(stdout, svc[i].code);
    }
    printf("]}\n");
  } else {
    printf("%s: %zu service%s imported (%zu added, %zu updated)\n", path, n,
           n == 1 ? "" : "s", added, n - added);
  }
  warn_length(c, svc, n);
out:
  row_clear(&r);
  free(r.f);
  free(svc);
  free(lines);
  free(buf);
  return rc;
}

/* --- entry --------------------------------------------------------------------- */

int vg_cli_service(cli_t *c, int nw, const char **words) {
  static const struct {
    const char *name;
    int (*fn)(cli_t *, int, const char **);
  } subs[] = {{"add", cmd_add},   {"set", cmd_set},         {"show", cmd_show},
              {"list", cmd_list}, {"disable", cmd_disable}, {"import", cmd_import}};

  if (nw < 2)
    return vg_cli_usage_error(
        "usage: service add|set|show|list|disable|import ...");
  for (size_t i = 0; i < VG_ARRAY_SIZE(subs); i++)
    if (strcmp(words[1], subs[i].name) == 0)
      return subs[i].fn(c, nw, words);
  return vg_cli_usage_error("unknown command 'service %s' (add, set, show, "
                            "list, disable, import)", words[1]);
}
