/*
 * vasgwd.c — the daemon's main: options, configuration, templates, then
 * the loop (daemon.c).
 */
#include "autoconfig.h"
#include "gateway/config.h"
#include "gateway/daemon.h"
#include "gateway/gwlib_init.h"
#include "gateway/log.h"
#include "handlers/templates.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out) {
  fprintf(out,
          "usage: vasgwd [-c FILE] [--check]\n"
          "  -c FILE    configuration (default: $VASGW_CONF or %s)\n"
          "  --check    load and check the configuration and templates, then exit\n"
          "  --help     this text\n"
          "  --version  print the version\n",
          vg_config_default_path());
}

int main(int argc, char **argv) {
  const char *path = vg_config_default_path();
  int check = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
      path = argv[++i];
    } else if (strcmp(argv[i], "--check") == 0) {
      check = 1;
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
  vg_templates_t *tpl =
      vg_templates_load(cfg.templates, cfg.locale, err, sizeof err);
  if (tpl == NULL) {
    fprintf(stderr, "vasgwd: %s\n", err);
    return 1;
  }
  if (check) {
    printf("vasgwd: %s: configuration and templates OK\n", path);
    vg_templates_free(tpl);
    return 0;
  }
  if (vg_log_open(cfg.log_file, vg_log_level_parse(cfg.log_level)) != 0)
    fprintf(stderr, "vasgwd: cannot open log file %s; logging to stderr\n",
            cfg.log_file);
  vg_gwlib_init();
  int rc = vg_daemon_run(&cfg, tpl);
  vg_templates_free(tpl);
  vg_log_close();
  return rc;
}
