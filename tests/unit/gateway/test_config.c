/*
 * test_config.c — vasgw.conf: defaults, the documented example, every kind of
 * error with its exact "FILE:LINE: reason", bounds at their edges and the
 * environment overrides (gateway/config.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/config.h"
#include "gateway/vg.h"

/* The configuration of vasgw.conf(5), every section and key. */
static const char spec_example[] =
    "[gateway]\n"
    "node = node1                 ; unique per daemon; names its stream "
    "consumers\n"
    "timezone = Asia/Shanghai     ; quiet hours, months for settlement\n"
    "locale = zh_CN               ; template set (templates/zh_CN, "
    "templates/en)\n"
    "templates = /usr/share/vasgw/templates\n"
    "log_level = info             ; error|warn|info|debug\n"
    "\n"
    "[redis]\n"
    "host = 127.0.0.1\n"
    "port = 6379\n"
    "db = 0\n"
    "password =\n"
    "prefix = vasgw               ; every key starts with this\n"
    "\n"
    "[smsc]\n"
    "host = 127.0.0.1\n"
    "port = 2775\n"
    "system_id = vasgw\n"
    "password = secret\n"
    "system_type =\n"
    "bind = transceiver           ; transceiver | transmitter+receiver\n"
    "service_number = 10658000    ; source of MT; the number people text\n"
    "ussd_service_code = *123*8#  ; USSD string that opens the promoter menu\n"
    "window = 64                  ; max outstanding submit_sm on this bind\n"
    "tps = 100                    ; max submit_sm per second on this bind (0: "
    "no cap)\n"
    "enquire_link_interval = 30   ; seconds\n"
    "response_timeout = 10        ; seconds to wait for any *_resp\n"
    "reconnect_max = 60           ; reconnect back-off ceiling, seconds\n"
    "\n"
    "[provisioning]\n"
    "url = http://127.0.0.1:9090/activate\n"
    "timeout_ms = 5000\n"
    "max_attempts = 6\n"
    "\n"
    "[policy]\n"
    "offer_ttl_hours = 48             ; a pending offer lapses after this\n"
    "marketing_interval_days = 60     ; no marketing SMS to a number contacted "
    "this recently\n"
    "cancel_block_days = 90           ; nor for a service it cancelled this "
    "recently\n"
    "max_marketing_per_day = 2        ; per subscriber, all promoters and "
    "campaigns together\n"
    "quiet_hours = 21:00-08:00        ; no marketing SMS in this local window\n"
    "mo_rate_limit_per_min = 10       ; per sender; beyond it messages are "
    "stored, not answered\n"
    "\n"
    "[promoters]\n"
    "auto_approve = false\n"
    "number_segments = "
    "134,135,136,137,138,139,147,150,151,152,157,158,159,178,182,183,184,187,"
    "188,198\n"
    "daily_recommend_limit = 200\n"
    "\n"
    "[commission]\n"
    "settlement_day = 15              ; month M is settled on day 15 of month "
    "M+1\n";

static const char segments[] =
    "134,135,136,137,138,139,147,150,151,152,157,158,159,178,182,183,184,187,"
    "188,198";

static vg_config_t cfg;
static char err[600];

static int setup(void **state) {
  (void)state;
  unsetenv("VASGW_SMSC_PASSWORD");
  unsetenv("VASGW_REDIS_PASSWORD");
  unsetenv("VASGW_CONF");
  memset(&cfg, 0xA5, sizeof cfg);
  memset(err, 0, sizeof err);
  return 0;
}

static int load(const char *text) {
  return vg_config_load_string(text, "vasgw.conf", &cfg, err, sizeof err);
}

/* Loading `text` fails with exactly `want`. */
static void expect_error(const char *text, const char *want) {
  int rc = load(text);
  if (rc != VG_ECONFIG || strcmp(err, want) != 0)
    print_error("input:\n%s\nwant: %s\ngot:  %s (rc %d)\n", text, want, err,
                rc);
  assert_int_equal(rc, VG_ECONFIG);
  assert_string_equal(err, want);
}

static void test_defaults(void **state) {
  (void)state;
  vg_config_defaults(&cfg);
  assert_string_equal(cfg.node, "node1");
  assert_string_equal(cfg.timezone, "Asia/Shanghai");
  assert_string_equal(cfg.locale, "zh_CN");
  assert_string_equal(cfg.templates, VG_DATADIR "/templates");
  assert_string_equal(cfg.log_level, "info");
  assert_string_equal(cfg.country_code, "86");
  assert_string_equal(cfg.log_file, "");
  assert_int_equal(cfg.msg_ttl_days, 7);
  assert_int_equal(cfg.max_parts, 10);
  assert_string_equal(cfg.redis_host, "127.0.0.1");
  assert_int_equal(cfg.redis_port, 6379);
  assert_int_equal(cfg.redis_db, 0);
  assert_string_equal(cfg.redis_password, "");
  assert_string_equal(cfg.prefix, "vasgw");
  assert_string_equal(cfg.smsc_host, "127.0.0.1");
  assert_int_equal(cfg.smsc_port, 2775);
  assert_string_equal(cfg.system_id, "vasgw");
  assert_string_equal(cfg.smsc_password, "");
  assert_string_equal(cfg.system_type, "");
  assert_int_equal(cfg.bind, VG_BIND_TRX);
  assert_string_equal(cfg.service_number, "10658000");
  assert_string_equal(cfg.ussd_service_code, "*123*8#");
  assert_int_equal(cfg.window, 64);
  assert_int_equal(cfg.tps, 100);
  assert_int_equal(cfg.enquire_link_interval, 30);
  assert_int_equal(cfg.response_timeout, 10);
  assert_int_equal(cfg.reconnect_max, 60);
  assert_string_equal(cfg.provisioning_url, "http://127.0.0.1:9090/activate");
  assert_int_equal(cfg.provisioning_timeout_ms, 5000);
  assert_int_equal(cfg.provisioning_max_attempts, 6);
  assert_int_equal(cfg.offer_ttl_hours, 48);
  assert_int_equal(cfg.marketing_interval_days, 60);
  assert_int_equal(cfg.cancel_block_days, 90);
  assert_int_equal(cfg.max_marketing_per_day, 2);
  assert_string_equal(cfg.quiet_hours, "21:00-08:00");
  assert_int_equal(cfg.mo_rate_limit_per_min, 10);
  assert_int_equal(cfg.auto_approve, 0);
  assert_string_equal(cfg.number_segments, segments);
  assert_int_equal(cfg.daily_recommend_limit, 200);
  assert_int_equal(cfg.settlement_day, 15);
}

/* An empty file gives exactly the defaults. */
static void test_empty_is_defaults(void **state) {
  vg_config_t want;
  (void)state;
  vg_config_defaults(&want);
  assert_int_equal(load(""), 0);
  assert_string_equal(err, "");
  assert_memory_equal(&cfg, &want, sizeof want);
  assert_int_equal(load("; only a comment\n# and another\n\n[smsc]\n"), 0);
  assert_memory_equal(&cfg, &want, sizeof want);
}

static void test_spec_example(void **state) {
  vg_config_t want;
  (void)state;
  assert_int_equal(load(spec_example), 0);
  assert_string_equal(err, "");
  /* inline comments gone, values exact */
  assert_string_equal(cfg.node, "node1");
  assert_string_equal(cfg.locale, "zh_CN");
  assert_string_equal(cfg.templates, "/usr/share/vasgw/templates");
  assert_string_equal(cfg.log_level, "info");
  assert_string_equal(cfg.prefix, "vasgw");
  assert_string_equal(cfg.smsc_password, "secret");
  assert_string_equal(cfg.service_number, "10658000");
  assert_string_equal(cfg.ussd_service_code, "*123*8#");
  assert_int_equal(cfg.bind, VG_BIND_TRX);
  assert_int_equal(cfg.tps, 100);
  assert_string_equal(cfg.quiet_hours, "21:00-08:00");
  assert_int_equal(cfg.mo_rate_limit_per_min, 10);
  assert_string_equal(cfg.number_segments, segments);
  assert_int_equal(cfg.settlement_day, 15);
  /* everything else is as the defaults, which match the example */
  vg_config_defaults(&want);
  snprintf(want.templates, sizeof want.templates, "%s",
           "/usr/share/vasgw/templates");
  snprintf(want.smsc_password, sizeof want.smsc_password, "%s", "secret");
  assert_memory_equal(&cfg, &want, sizeof want);
}

static void test_values_other_than_default(void **state) {
  (void)state;
  assert_int_equal(load("[gateway]\n"
                        "  node = gw-2.bj     ; indented keys are keys\n"
                        "log_level = debug\n"
                        "country_code = 1\n"
                        "log_file = /var/log/vasgw/vasgwd.log\n"
                        "msg_ttl_days = 365\n"
                        "[smsc]\r\n"
                        "bind = transmitter+receiver\r\n"
                        "password = a;b\n"
                        "system_type = VMA\t; tab before the comment\n"
                        "tps = 0\n"
                        "window: 10000\n"
                        "[promoters]\n"
                        "auto_approve = YES\n"
                        "number_segments = 134 , 135,\t1705\n"
                        "[redis]\n"
                        "db = 15\n"
                        "password = p w\n"),
                   0);
  assert_string_equal(cfg.node, "gw-2.bj");
  assert_string_equal(cfg.log_level, "debug");
  assert_string_equal(cfg.country_code, "1");
  assert_string_equal(cfg.log_file, "/var/log/vasgw/vasgwd.log");
  assert_int_equal(cfg.msg_ttl_days, 365);
  assert_int_equal(cfg.bind, VG_BIND_TX_RX);
  assert_string_equal(cfg.smsc_password, "a;b"); /* ';' needs a blank before */
  assert_string_equal(cfg.system_type, "VMA");
  assert_int_equal(cfg.tps, 0);
  assert_int_equal(cfg.window, 10000);
  assert_int_equal(cfg.auto_approve, 1);
  assert_string_equal(cfg.number_segments, "134,135,1705");
  assert_int_equal(cfg.redis_db, 15);
  assert_string_equal(cfg.redis_password, "p w");
}

static void test_bom(void **state) {
  (void)state;
  assert_int_equal(load("\xEF\xBB\xBF[smsc]\nwindow = 7\n"), 0);
  assert_int_equal(cfg.window, 7);
}

static void test_unknown_key(void **state) {
  (void)state;
  expect_error("[smsc]\nhost = x\nwindw = 5\n",
               "vasgw.conf:3: unknown key 'windw' in [smsc]");
  /* a key of another section is unknown here */
  expect_error("[redis]\nwindow = 5\n",
               "vasgw.conf:2: unknown key 'window' in [redis]");
}

static void test_unknown_section(void **state) {
  (void)state;
  expect_error("[smsc]\nport = 2775\n\n; x\n\n\n[smssc]\nport = 1\n",
               "vasgw.conf:7: unknown section [smssc]");
  /* even with no keys under it */
  expect_error("[gateway]\n[Redis]\n", "vasgw.conf:2: unknown section [Redis]");
}

static void test_duplicate_key(void **state) {
  (void)state;
  expect_error("[redis]\nport = 6379\nhost = h\n[smsc]\nport = 1\n"
               "[redis]\n\n\nport = 6380\n",
               "vasgw.conf:9: duplicate key 'port' in [redis]");
}

static void test_key_outside_section(void **state) {
  (void)state;
  expect_error("\nwindow = 5\n[smsc]\n",
               "vasgw.conf:2: key 'window' outside any section");
}

static void test_syntax_error(void **state) {
  (void)state;
  expect_error("[smsc]\nwindow 5\n", "vasgw.conf:2: syntax error: expected "
                                     "'key = value' or '[section]'");
  expect_error("[smsc\nwindow = 5\n", "vasgw.conf:1: syntax error: expected "
                                      "'key = value' or '[section]'");
  /* the first error wins, whoever finds it */
  expect_error("[smsc]\nwindow 5\nwindw = 1\n",
               "vasgw.conf:2: syntax error: expected 'key = value' or "
               "'[section]'");
  expect_error("[smsc]\nwindw = 1\nwindow 5\n",
               "vasgw.conf:2: unknown key 'windw' in [smsc]");
}

static void test_int_bounds(void **state) {
  (void)state;
  assert_int_equal(load("[smsc]\nwindow = 1\n"), 0);
  assert_int_equal(cfg.window, 1);
  assert_int_equal(load("[smsc]\nwindow = 10000\n"), 0);
  assert_int_equal(cfg.window, 10000);
  expect_error("[gateway]\n\n\n\n\n\n\n\n\n\n\n[smsc]\nwindow = 0\n",
               "vasgw.conf:13: [smsc] window = 0: must be between 1 and 10000");
  expect_error("[smsc]\nwindow = 10001\n",
               "vasgw.conf:2: [smsc] window = 10001: must be between 1 and "
               "10000");
  expect_error("[smsc]\nwindow = -1\n",
               "vasgw.conf:2: [smsc] window = -1: must be between 1 and 10000");
  expect_error("[smsc]\nwindow = 99999999999999999999999\n",
               "vasgw.conf:2: [smsc] window = 99999999999999999999999: must "
               "be between 1 and 10000");
  assert_int_equal(load("[redis]\nport = 65535\n"), 0);
  assert_int_equal(cfg.redis_port, 65535);
  expect_error("[redis]\nport = 65536\n",
               "vasgw.conf:2: [redis] port = 65536: must be between 1 and "
               "65535");
  expect_error("[commission]\nsettlement_day = 29\n",
               "vasgw.conf:2: [commission] settlement_day = 29: must be "
               "between 1 and 28");
  expect_error("[gateway]\nmsg_ttl_days = 0\n",
               "vasgw.conf:2: [gateway] msg_ttl_days = 0: must be between 1 "
               "and 365");
  /* the longest MT: 1 part to the concatenation UDH's 255 */
  for (int v = 0; v <= 256; v += 1 + (v > 0 && v < 255) * 253) {
    char text[64], want[128];
    snprintf(text, sizeof text, "[gateway]\nmax_parts = %d\n", v);
    snprintf(want, sizeof want, "vasgw.conf:2: [gateway] max_parts = %d: "
             "must be between 1 and 255", v);
    if (v == 0 || v == 256) {
      expect_error(text, want);
    } else {
      assert_int_equal(load(text), 0);
      assert_int_equal(cfg.max_parts, v);
    }
  }
}

static void test_not_an_integer(void **state) {
  (void)state;
  expect_error("[smsc]\nwindow = 6x\n",
               "vasgw.conf:2: [smsc] window = 6x: not an integer");
  expect_error("[smsc]\nwindow =\n",
               "vasgw.conf:2: [smsc] window = : not an integer");
  expect_error("[smsc]\ntps = 1.5\n",
               "vasgw.conf:2: [smsc] tps = 1.5: not an integer");
  expect_error("[gateway]\nmax_parts = ten\n",
               "vasgw.conf:2: [gateway] max_parts = ten: not an integer");
}

static void test_string_limits(void **state) {
  (void)state;
  assert_int_equal(load("[smsc]\nsystem_id = abcdefghijklmno\n"), 0);
  assert_string_equal(cfg.system_id, "abcdefghijklmno");
  expect_error("[smsc]\nsystem_id = abcdefghijklmnop\n",
               "vasgw.conf:2: [smsc] system_id: too long (at most 15 "
               "characters)");
  assert_int_equal(load("[smsc]\npassword = 12345678\n"), 0);
  assert_string_equal(cfg.smsc_password, "12345678");
  /* a password is never echoed */
  expect_error("[smsc]\npassword = 123456789\n",
               "vasgw.conf:2: [smsc] password: too long (at most 8 "
               "characters)");
  assert_int_equal(load("[smsc]\nsystem_type = abcdefghijkl\n"), 0);
  expect_error("[smsc]\nsystem_type = abcdefghijklm\n",
               "vasgw.conf:2: [smsc] system_type: too long (at most 12 "
               "characters)");
  expect_error("[smsc]\nsystem_id =\n",
               "vasgw.conf:2: [smsc] system_id = : must not be empty");
}

static void test_quiet_hours(void **state) {
  static const char *bad[] = {"21:00",       "9:00-08:00",  "21:00-8:00",
                              "24:00-08:00", "21:60-08:00", "21:00 08:00",
                              "21:00-08:00x", "-",          "aa:bb-cc:dd"};
  char text[128], want[200];
  (void)state;
  assert_int_equal(load("[policy]\nquiet_hours = 00:00-23:59\n"), 0);
  assert_string_equal(cfg.quiet_hours, "00:00-23:59");
  assert_int_equal(load("[policy]\nquiet_hours = 22:30-07:15\n"), 0);
  assert_string_equal(cfg.quiet_hours, "22:30-07:15");
  /* Empty: no quiet hours. */
  assert_int_equal(load("[policy]\nquiet_hours =\n"), 0);
  assert_string_equal(cfg.quiet_hours, "");
  for (size_t i = 0; i < VG_ARRAY_SIZE(bad); i++) {
    snprintf(text, sizeof text, "[policy]\nquiet_hours = %s\n", bad[i]);
    snprintf(want, sizeof want,
             "vasgw.conf:2: [policy] quiet_hours = %s: must be HH:MM-HH:MM "
             "(24-hour local time)",
             bad[i]);
    expect_error(text, want);
  }
  expect_error("[policy]\nquiet_hours = 08:00-08:00\n",
               "vasgw.conf:2: [policy] quiet_hours = 08:00-08:00: start and "
               "end must differ");
}

static void test_enums_and_checks(void **state) {
  (void)state;
  expect_error("[gateway]\ntimezone = Mars/Olympus\n",
               "vasgw.conf:2: [gateway] timezone = Mars/Olympus: unknown time "
               "zone (no zone file /usr/share/zoneinfo/Mars/Olympus; is "
               "tzdata installed?)");
  expect_error("[gateway]\ntimezone = ../etc/passwd\n",
               "vasgw.conf:2: [gateway] timezone = ../etc/passwd: must be a "
               "zone name such as Asia/Shanghai");
  expect_error("[gateway]\ntimezone = Asia\n",
               "vasgw.conf:2: [gateway] timezone = Asia: unknown time zone (no "
               "zone file /usr/share/zoneinfo/Asia; is tzdata installed?)");
  assert_int_equal(load("[gateway]\ntimezone = Europe/Paris\n"), 0);
  expect_error("[smsc]\nbind = trx\n",
               "vasgw.conf:2: [smsc] bind = trx: must be transceiver or "
               "transmitter+receiver");
  expect_error("[gateway]\nlog_level = verbose\n",
               "vasgw.conf:2: [gateway] log_level = verbose: must be one of "
               "error, warn, info, debug");
  expect_error("[promoters]\nauto_approve = maybe\n",
               "vasgw.conf:2: [promoters] auto_approve = maybe: must be true "
               "or false");
  expect_error("[promoters]\nnumber_segments = 134,,135\n",
               "vasgw.conf:2: [promoters] number_segments = 134,,135: must be "
               "digit prefixes separated by commas");
  expect_error("[promoters]\nnumber_segments = 13a\n",
               "vasgw.conf:2: [promoters] number_segments = 13a: must be "
               "digit prefixes separated by commas");
  expect_error("[promoters]\nnumber_segments =\n",
               "vasgw.conf:2: [promoters] number_segments = : must be digit "
               "prefixes separated by commas");
  expect_error("[gateway]\ncountry_code = 8612\n",
               "vasgw.conf:2: [gateway] country_code = 8612: must be 1 to 3 "
               "digits, not starting with 0");
  expect_error("[gateway]\ncountry_code = +86\n",
               "vasgw.conf:2: [gateway] country_code = +86: must be 1 to 3 "
               "digits, not starting with 0");
  expect_error("[provisioning]\nurl = ftp://x/\n",
               "vasgw.conf:2: [provisioning] url = ftp://x/: must be an "
               "http:// or https:// URL");
  expect_error("[gateway]\nlocale = ../etc\n",
               "vasgw.conf:2: [gateway] locale = ../etc: only letters, "
               "digits, '.', '_', ':' and '-' are allowed");
  assert_int_equal(load("[provisioning]\nurl = https://bss.example/act?a=1\n"),
                   0);
  assert_string_equal(cfg.provisioning_url, "https://bss.example/act?a=1");
}

/* The string keys with the maximum vasgw.conf(5) documents for each, and
 * a value of that length the key's own check takes (NULL: no value of that
 * length is valid, such as a time zone of 63 bytes; only one over is
 * tried). */
typedef struct {
  const char *section, *key;
  size_t max;
  size_t offset; /* of the field in vg_config_t */
  const char *head; /* the value starts so, then `fill` to the length */
  char fill;
} str_key_t;

#define STR_KEY(sec, k, f, m, head, fill)                                    \
  {sec, k, m, offsetof(vg_config_t, f), head, fill}

static const str_key_t str_keys[] = {
    STR_KEY("gateway", "node", node, 63, "", 'n'),
    STR_KEY("gateway", "timezone", timezone, 63, NULL, 'z'),
    STR_KEY("gateway", "locale", locale, 15, "", 'l'),
    STR_KEY("gateway", "templates", templates, 511, "/", 't'),
    STR_KEY("gateway", "log_level", log_level, 15, NULL, 'v'),
    STR_KEY("gateway", "country_code", country_code, 7, NULL, '8'),
    STR_KEY("gateway", "log_file", log_file, 511, "/", 'f'),
    STR_KEY("redis", "host", redis_host, 255, "", 'r'),
    STR_KEY("redis", "password", redis_password, 255, "", 'p'),
    STR_KEY("redis", "prefix", prefix, 63, "", 'x'),
    STR_KEY("smsc", "host", smsc_host, 255, "", 's'),
    STR_KEY("smsc", "system_id", system_id, 15, "", 'i'),
    STR_KEY("smsc", "password", smsc_password, 8, "", 'w'),
    STR_KEY("smsc", "system_type", system_type, 12, "", 'y'),
    STR_KEY("smsc", "service_number", service_number, 20, "", '1'),
    STR_KEY("smsc", "ussd_service_code", ussd_service_code, 31, "*", '9'),
    STR_KEY("provisioning", "url", provisioning_url, 511, "http://", 'h'),
    STR_KEY("policy", "quiet_hours", quiet_hours, 15, NULL, '2'),
    /* 64 prefixes of 15 digits and 63 commas: 1023 */
    STR_KEY("promoters", "number_segments", number_segments, 1023, NULL, 0),
};

/* A value of `len` bytes for `k` (malloc'd). */
static char *value_of(const str_key_t *k, size_t len) {
  char *v = malloc(len + 1);
  assert_non_null(v);
  if (k->fill == 0) { /* number_segments: "123456789012345,1234..." */
    for (size_t i = 0; i < len; i++)
      v[i] = i % 16 == 15 ? ',' : (char)('1' + i % 16 % 9);
    if (len > 0 && v[len - 1] == ',')
      v[len - 1] = '7';
  } else {
    size_t h = strlen(k->head ? k->head : "");
    memcpy(v, k->head ? k->head : "", h);
    memset(v + h, k->fill, len - h);
  }
  v[len] = '\0';
  return v;
}

static char *conf_line(const char *section, const char *key, const char *v) {
  size_t n = strlen(section) + strlen(key) + strlen(v) + 16;
  char *text = malloc(n);
  assert_non_null(text);
  snprintf(text, n, "[%s]\n%s = %s\n", section, key, v);
  return text;
}

/* Every string key at its documented maximum is taken whole; one more
 * byte is refused with the key named (and the value not echoed: it may be
 * a password).  Lines of any key's longest value are legal lines. */
static void test_string_maxima(void **state) {
  (void)state;
  for (size_t i = 0; i < VG_ARRAY_SIZE(str_keys); i++) {
    const str_key_t *k = &str_keys[i];
    char *v, *text, want[200];
    print_message("[%s] %s: %zu\n", k->section, k->key, k->max);
    if (k->head != NULL || k->fill == 0) {
      v = value_of(k, k->max);
      text = conf_line(k->section, k->key, v);
      setup(NULL);
      if (load(text) != 0)
        print_error("%s\n", err);
      assert_int_equal(load(text), 0);
      assert_string_equal((const char *)&cfg + k->offset, v);
      free(text);
      free(v);
    }
    v = value_of(k, k->max + 1);
    text = conf_line(k->section, k->key, v);
    snprintf(want, sizeof want,
             "vasgw.conf:2: [%s] %s: too long (at most %zu characters)",
             k->section, k->key, k->max);
    expect_error(text, want);
    free(text);
    free(v);
  }
}

/* `head`, `n` times `c`, then `tail` and a newline, in `text`. */
static const char *lines_of(char *text, const char *head, char c, size_t n,
                            const char *tail) {
  size_t h = strlen(head);
  memcpy(text, head, h);
  memset(text + h, c, n);
  snprintf(text + h + n, strlen(tail) + 2, "%s\n", tail);
  return text;
}

/* A line longer than any key's longest value is refused with its place;
 * a long comment is not part of the line. */
static void test_long_line(void **state) {
  static const char head[] = "[gateway]\nnode = n1\nlog_file = /";
  /* the line's bytes after "log_file = /" */
  const size_t rest = 2048 - strlen("log_file = /");
  char text[4200];
  (void)state;
  expect_error(lines_of(text, "[smsc]\nsystem_type = ", 'x', 250, ""),
               "vasgw.conf:2: [smsc] system_type: too long (at most 12 "
               "characters)");
  expect_error(lines_of(text, head, 'x', rest, ""),
               "vasgw.conf:3: [gateway] log_file: too long (at most 511 "
               "characters)");
  expect_error(lines_of(text, head, 'x', rest + 1, ""),
               "vasgw.conf:3: line too long (at most 2048 characters)");
  assert_int_equal(load(lines_of(text, "[gateway]\nlog_file = /l ; ", 'c',
                                 3000, "")),
                   0);
  assert_string_equal(cfg.log_file, "/l");
}

/* On error the caller's struct is left as it was. */
static void test_error_leaves_cfg(void **state) {
  vg_config_t before;
  (void)state;
  vg_config_defaults(&cfg);
  cfg.window = 12345;
  memcpy(&before, &cfg, sizeof before);
  assert_int_equal(load("[smsc]\ntps = 5\nwindow = 0\n"), VG_ECONFIG);
  assert_memory_equal(&cfg, &before, sizeof before);
}

static void test_env_overrides(void **state) {
  (void)state;
  setenv("VASGW_SMSC_PASSWORD", "fromenv", 1);
  setenv("VASGW_REDIS_PASSWORD", "redis-secret", 1);
  assert_int_equal(load("[smsc]\npassword = infile\n[redis]\npassword = x\n"),
                   0);
  assert_string_equal(cfg.smsc_password, "fromenv");
  assert_string_equal(cfg.redis_password, "redis-secret");
  /* set but empty: an empty password */
  setenv("VASGW_SMSC_PASSWORD", "", 1);
  assert_int_equal(load("[smsc]\npassword = infile\n"), 0);
  assert_string_equal(cfg.smsc_password, "");
  setenv("VASGW_SMSC_PASSWORD", "123456789", 1);
  expect_error("", "environment VASGW_SMSC_PASSWORD: too long (at most 8 "
                   "characters)");
  /* a file error is reported before the environment is looked at */
  expect_error("[smsc]\nwindow = 0\n",
               "vasgw.conf:2: [smsc] window = 0: must be between 1 and 10000");
  unsetenv("VASGW_SMSC_PASSWORD");
  unsetenv("VASGW_REDIS_PASSWORD");
  assert_int_equal(load("[smsc]\npassword = infile\n"), 0);
  assert_string_equal(cfg.smsc_password, "infile");
  assert_string_equal(cfg.redis_password, "");
}

static void test_load_file(void **state) {
  char dir[] = "/tmp/test_config.XXXXXX";
  char path[256], want[400];
  FILE *fp;
  (void)state;
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/vasgw.conf", dir);

  assert_int_equal(vg_config_load(path, &cfg, err, sizeof err), VG_ECONFIG);
  snprintf(want, sizeof want, "%s: cannot open: No such file or directory",
           path);
  assert_string_equal(err, want);

  fp = fopen(path, "w");
  assert_non_null(fp);
  fputs(spec_example, fp);
  fclose(fp);
  assert_int_equal(vg_config_load(path, &cfg, err, sizeof err), 0);
  assert_string_equal(cfg.smsc_password, "secret");
  assert_string_equal(cfg.number_segments, segments);

  fp = fopen(path, "w");
  assert_non_null(fp);
  fputs("[smsc]\nwindow = 64\n\n[smsc]\nwindow = 65\n", fp);
  fclose(fp);
  assert_int_equal(vg_config_load(path, &cfg, err, sizeof err), VG_ECONFIG);
  snprintf(want, sizeof want, "%s:5: duplicate key 'window' in [smsc]", path);
  assert_string_equal(err, want);

  /* a directory opens but cannot be read */
  assert_int_equal(vg_config_load(dir, &cfg, err, sizeof err), VG_ECONFIG);
  snprintf(want, sizeof want, "%s: cannot read: Is a directory", dir);
  assert_string_equal(err, want);

  unlink(path);
  rmdir(dir);
}

/* deploy/vasgw.conf.example, which make substitutes from
 * deploy/vasgw.conf.example.in with the build's directories, loads and shows
 * every default, the templates directory ($(pkgdatadir)/templates) too. */
static void test_deploy_example(void **state) {
  /* make check gives top_builddir; run by hand, from the build tree. */
  const char *top = getenv("top_builddir") ? getenv("top_builddir") : ".";
  char path[1024];
  vg_config_t want;
  (void)state;
  snprintf(path, sizeof path, "%s/deploy/vasgw.conf.example", top);
  if (vg_config_load(path, &cfg, err, sizeof err) != 0)
    print_error("%s\n", err);
  assert_int_equal(vg_config_load(path, &cfg, err, sizeof err), 0);
  vg_config_defaults(&want);
  assert_string_equal(cfg.templates, want.templates);
  assert_memory_equal(&cfg, &want, sizeof want);
}

static void test_default_path(void **state) {
  (void)state;
  assert_string_equal(vg_config_default_path(),
                      VG_SYSCONFDIR "/vasgw/vasgw.conf");
  setenv("VASGW_CONF", "/srv/vasgw.conf", 1);
  assert_string_equal(vg_config_default_path(), "/srv/vasgw.conf");
  setenv("VASGW_CONF", "", 1);
  assert_string_equal(vg_config_default_path(),
                      VG_SYSCONFDIR "/vasgw/vasgw.conf");
  unsetenv("VASGW_CONF");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_defaults, setup),
      cmocka_unit_test_setup(test_empty_is_defaults, setup),
      cmocka_unit_test_setup(test_spec_example, setup),
      cmocka_unit_test_setup(test_values_other_than_default, setup),
      cmocka_unit_test_setup(test_bom, setup),
      cmocka_unit_test_setup(test_unknown_key, setup),
      cmocka_unit_test_setup(test_unknown_section, setup),
      cmocka_unit_test_setup(test_duplicate_key, setup),
      cmocka_unit_test_setup(test_key_outside_section, setup),
      cmocka_unit_test_setup(test_syntax_error, setup),
      cmocka_unit_test_setup(test_int_bounds, setup),
      cmocka_unit_test_setup(test_not_an_integer, setup),
      cmocka_unit_test_setup(test_string_limits, setup),
      cmocka_unit_test_setup(test_quiet_hours, setup),
      cmocka_unit_test_setup(test_enums_and_checks, setup),
      cmocka_unit_test_setup(test_string_maxima, setup),
      cmocka_unit_test_setup(test_long_line, setup),
      cmocka_unit_test_setup(test_error_leaves_cfg, setup),
      cmocka_unit_test_setup(test_env_overrides, setup),
      cmocka_unit_test_setup(test_load_file, setup),
      cmocka_unit_test_setup(test_deploy_example, setup),
      cmocka_unit_test_setup(test_default_path, setup),
  };
  return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
