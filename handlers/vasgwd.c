/*
 * vasgwd.c — the daemon's main: options, configuration and templates, then
 * the gateway's daemon (gateway/daemon.h) with the business plugged in:
 * the dispatcher answers MO (handlers/dispatch.h), the templates word the
 * result of every order (handlers/activation.h), and the settlement timer
 * runs each month's settlement (handlers/settle_timer.h), and the campaign
 * runner sends the running campaigns (handlers/campaign_runner.h).
 *
 * This is the one place where gateway/ and handlers/ meet: gateway/ includes
 * nothing from handlers/.
 */
#include "autoconfig.h"
#include "gateway/clock.h"
#include "gateway/config.h"
#include "gateway/daemon.h"
#include "gateway/gwlib_init.h"
#include "gateway/log.h"
#include "handlers/activation.h"
#include "handlers/api.h"
#include "handlers/catalogue.h"
#include "handlers/dispatch.h"
#include "handlers/campaign_runner.h"
#include "handlers/settle_timer.h"
#include "handlers/templates.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out) {
  fprintf(out,
          "usage: vasgwd [-c FILE] [--check]\n"
          "  -c FILE    configuration (default: $VASGW_CONF or %s)\n"
          "  --check    load and check the configuration and templates, then exit\n"
          "  --routes   print the HTTP API's routes and the roles that may call them\n"
          "  --help     this text\n"
          "  --version  print the version\n",
          vg_config_default_path());
}

/*
 * Warn about catalogue entries whose recommendation SMS takes more than two
 * parts with these templates: the operator changed one or the other.  The
 * daemon starts anyway (the SMS is still sent, concatenated); when Redis is
 * not reachable yet, there is nothing to check.
 */
static void check_catalogue(const vg_config_t *cfg, const vg_templates_t *t) {
  struct timeval tv = {2, 0};
  redisContext *rc = redisConnectWithTimeout(cfg->redis_host, cfg->redis_port,
                                             tv);
  if (rc == NULL || rc->err) {
    if (rc)
      redisFree(rc);
    return;
  }
  if (cfg->redis_password[0])
    freeReplyObject(redisCommand(rc, "AUTH %s", cfg->redis_password));
  if (cfg->redis_db)
    freeReplyObject(redisCommand(rc, "SELECT %d", cfg->redis_db));
  vg_service_code_t *codes = NULL;
  size_t n = 0;
  char err[256];
  if (vg_service_codes(rc, cfg->prefix, &codes, &n, err, sizeof err) == 0) {
    for (size_t i = 0; i < n; i++) {
      vg_service_t s;
      if (vg_service_load(rc, cfg->prefix, codes[i], &s) != 0)
        continue;
      size_t parts = vg_service_recommend_parts(t, &s);
      if (parts > VG_SVC_RECOMMEND_PARTS)
        fprintf(stderr,
                "vasgwd: warning: service %s: the recommendation SMS takes "
                "%zu parts with these templates (at most %d expected)\n",
                s.code, parts, VG_SVC_RECOMMEND_PARTS);
      /* One the catalogue took before [gateway] max_parts was lowered, or
       * the templates grew: its offers would be made, their SMS not sent. */
      char why[160];
      if (s.enabled &&
          vg_service_check_sms(t, &s, cfg->max_parts, why, sizeof why) != 0)
        fprintf(stderr,
                "vasgwd: warning: service %s: %s: its offers' SMS will not "
                "be sent (vasgw service set %s ... to shorten it)\n",
                s.code, why, s.code);
    }
    free(codes);
  }
  redisFree(rc);
}

/* What the daemon's hooks reach. */
typedef struct {
  vg_handlers_t *handlers;
  vg_settle_timer_t *timer;
  vg_campaign_runner_t *campaigns;
  void *templates;
  vg_daemon_t *daemon;
  vg_api_t *api; /* NULL when [http] listen is empty */
} business_t;

static void dispatch_mo(void *data, const vg_mo_t *mo) {
  business_t *b = data;
  vg_dispatch_mo(b->handlers, mo);
}

static char *order_text(void *data, const vg_order_fields_t *f,
                        vg_order_outcome_t outcome, const char *reason) {
  business_t *b = data;
  return vg_activation_text(b->templates, f, outcome, reason);
}

static void tick(void *data) {
  business_t *b = data;
  vg_settle_timer_tick(b->timer);
  vg_campaign_runner_tick(b->campaigns);
}

static void stop(void *data) {
  business_t *b = data;
  vg_campaign_runner_stop(b->campaigns);
  vg_api_close(b->api);
  b->api = NULL;
}

/* What /readyz and /metrics read of this node. */
static void node_state(void *data, vg_daemon_state_t *out) {
  business_t *b = data;
  vg_daemon_state(b->daemon, out);
}

/* The screen the gateway's wait guard sends a USSD request still without
 * its answer (docs/ussd.md, "Answering in time"). */
static char *ussd_wait_text(void *data) {
  business_t *b = data;
  return vg_templates_render(b->templates, VG_TPL_USSD_WAIT, NULL, 0);
}

static long mo_handled(void *data) {
  business_t *b = data;
  return b->handlers->handled;
}

int main(int argc, char **argv) {
  const char *path = vg_config_default_path();
  int check = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-c") == 0) {
      if (i + 1 == argc || argv[i + 1][0] == '\0') {
        fprintf(stderr, "vasgwd: option '-c' needs a file name: "
                        "vasgwd -c /path/to/vasgw.conf\n");
        return 2;
      }
      path = argv[++i];
    } else if (strcmp(argv[i], "--check") == 0) {
      check = 1;
    } else if (strcmp(argv[i], "--routes") == 0) {
      vg_api_print_routes(stdout);
      return 0;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout);
      return 0;
    } else if (strcmp(argv[i], "--version") == 0) {
      printf("vasgwd %s\n", PACKAGE_VERSION);
      return 0;
    } else {
      fprintf(stderr, "vasgwd: unknown option '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  static vg_config_t cfg;
  char err[512];
  if (vg_config_load(path, &cfg, err, sizeof err) != 0) {
    fprintf(stderr, "vasgwd: %s\n", err);
    return 1;
  }
  vg_clock_setup(cfg.timezone);
  vg_templates_t *tpl =
      vg_templates_load(cfg.templates, cfg.locale, err, sizeof err);
  if (tpl == NULL) {
    fprintf(stderr, "vasgwd: %s\n", err);
    return 1;
  }
  check_catalogue(&cfg, tpl);
  if (check) {
    printf("vasgwd: %s: configuration and templates OK\n", path);
    vg_templates_free(tpl);
    return 0;
  }
  if (vg_log_open(cfg.log_file, vg_log_level_parse(cfg.log_level)) != 0)
    fprintf(stderr, "vasgwd: cannot open log file %s; logging to stderr\n",
            cfg.log_file);
  /* The API's work runs on libuv's thread pool, sized before its first use. */
  char workers[16];
  snprintf(workers, sizeof workers, "%d", cfg.http_workers);
  setenv("UV_THREADPOOL_SIZE", workers, 1);
  vg_gwlib_init();
  static vg_daemon_t *d; /* static: reachable on an early exit */
  d = vg_daemon_new(&cfg);
  static vg_handlers_t handlers;
  handlers.cfg = &cfg;
  handlers.redis = vg_daemon_redis(d);
  handlers.templates = tpl;
  vg_settle_timer_t *timer = vg_settle_timer_new(vg_daemon_loop(d), &cfg, tpl);
  vg_campaign_runner_t *campaigns =
      vg_campaign_runner_new(vg_daemon_loop(d), &cfg, vg_daemon_redis(d));
  business_t b = {&handlers, timer, campaigns, (void *)tpl, d, NULL};
  if (cfg.http_listen[0]) {
    vg_api_hooks_t ah = {.state = node_state, .data = &b};
    b.api = vg_api_new(vg_daemon_loop(d), &cfg, tpl, &ah, err, sizeof err);
    if (b.api == NULL) {
      fprintf(stderr, "vasgwd: %s\n", err);
      return 1;
    }
    vg_log_info("http: listening on %s (port %d)", cfg.http_listen,
                vg_api_port(b.api));
  }
  vg_daemon_hooks_t hooks = {.mo = dispatch_mo,
                             .order_text = order_text,
                             .tick = tick,
                             .stop = stop,
                             .mo_handled = mo_handled,
                             .ussd_wait_text = ussd_wait_text,
                             .data = &b};
  vg_daemon_set_hooks(d, &hooks);
  int rc = vg_daemon_run(d);
  vg_settle_timer_free(timer);
  vg_campaign_runner_free(campaigns);
  vg_templates_free(tpl);
  vg_log_close();
  return rc;
}
