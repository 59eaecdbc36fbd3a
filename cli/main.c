/*
 * main.c — `vasgw`, the operator's command-line tool (docs/programs.md).
 *
 * A client of the same Redis as the daemons, with blocking hiredis: it
 * works whether or not a daemon runs.  Every command is a row of
 * cli/commands.def, which gives its words, its function, its usage and its
 * help: the same table dispatches a command and answers `--help` for it,
 * without reading the configuration or touching Redis.
 * Exit status: 0 success, 1 runtime failure, 2 usage error.
 */
#include "autoconfig.h"
#include "cli/cli.h"
#include "gateway/clock.h"
#include "gateway/config.h"
#include "gateway/vg.h"

#include <stdio.h>
#include <string.h>

typedef struct {
  const char *words;
  int (*fn)(cli_t *c, int nw, const char **words);
  const char *args;
  const char *help;
} command_t;

static const command_t commands[] = {
#define CLI(words, fn, args, help) {words, fn, args, help},
#include "cli/commands.def"
};

#define NCOMMANDS VG_ARRAY_SIZE(commands)

/* How many of `words` the row's words are (0: it does not match). */
static int matches(const command_t *c, int nw, const char **words) {
  const char *p = c->words;
  int n = 0;
  while (*p) {
    size_t len = strcspn(p, " ");
    if (n >= nw || strlen(words[n]) != len || strncmp(words[n], p, len) != 0)
      return 0;
    n++;
    p += len;
    if (*p == ' ')
      p++;
  }
  return n;
}

/* The row the command line names, longest match; NULL for none. */
static const command_t *lookup(int nw, const char **words, int *used) {
  const command_t *best = NULL;
  *used = 0;
  for (size_t i = 0; i < NCOMMANDS; i++) {
    int n = matches(&commands[i], nw, words);
    if (n > *used) {
      *used = n;
      best = &commands[i];
    }
  }
  return best;
}

/* The first sentence of a help text, for the list of commands. */
static void summary(FILE *out, const char *help) {
  const char *dot = strstr(help, ". ");
  int n = dot ? (int)(dot - help + 1) : (int)strlen(help);
  fprintf(out, "%.*s", n, help);
}

/* `text` folded at 76 columns, the first line indented by `indent`, the
 * others by `more`. */
static void folded_as(FILE *out, const char *text, int indent, int more) {
  int col = 0;
  while (*text) {
    while (*text == ' ')
      text++;
    size_t len = strcspn(text, " ");
    if (col > 0 && col + 1 + (int)len > 76) {
      fputc('\n', out);
      col = 0;
    }
    if (col == 0) {
      fprintf(out, "%*s", indent, "");
      col = indent;
      indent = more;
    } else {
      fputc(' ', out);
      col++;
    }
    fprintf(out, "%.*s", (int)len, text);
    col += (int)len;
    text += len;
  }
  if (col)
    fputc('\n', out);
}

static void folded(FILE *out, const char *text, int indent) {
  folded_as(out, text, indent, indent);
}

static void usage_line(FILE *out, const command_t *c) {
  char line[1024];
  snprintf(line, sizeof line, "usage: vasgw %s%s%s", c->words,
           *c->args ? " " : "", c->args);
  folded_as(out, line, 0, 6);
}

/* Every command whose words start with `family` ("" for all). */
static void list(FILE *out, const char *family) {
  size_t fl = strlen(family);
  for (size_t i = 0; i < NCOMMANDS; i++) {
    const command_t *c = &commands[i];
    if (fl && (strncmp(c->words, family, fl) != 0 ||
               (c->words[fl] != ' ' && c->words[fl] != '\0')))
      continue;
    fprintf(out, "  %-17s ", c->words);
    summary(out, c->help);
    fputc('\n', out);
  }
}

static void help_all(FILE *out) {
  fprintf(out,
          "usage: vasgw [-c FILE] [--json] COMMAND [ARGUMENTS]\n"
          "commands:\n");
  list(out, "");
  fprintf(out,
          "options:\n"
          "  -c FILE    configuration (default: $VASGW_CONF or %s)\n"
          "  --json     machine-readable output\n"
          "  --help     this text; 'vasgw COMMAND --help' for one command\n"
          "  --version  the version\n",
          vg_config_default_path());
}

static void help_one(FILE *out, const command_t *c) {
  usage_line(out, c);
  fputc('\n', out);
  folded(out, c->help, 2);
  fprintf(out, "\noptions of every command: -c FILE, --json (see 'vasgw "
               "--help')\n");
}

/* The command whose options c's usage lends it ("[any option of service
 * add]"), or NULL. */
static const command_t *lender(const command_t *c) {
  static const char any[] = "any option of ";
  const char *a = strstr(c->args, any);
  if (a == NULL)
    return NULL;
  a += sizeof any - 1;
  size_t wl = strcspn(a, "]");
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (strlen(commands[i].words) == wl &&
        strncmp(commands[i].words, a, wl) == 0 && &commands[i] != c)
      return &commands[i];
  return NULL;
}

/* Where option `opt` (its first `ol` bytes: "--name" of "--name=value")
 * ends in the usage of `c` or of the command it lends from, or NULL when
 * neither names it. */
static const char *usage_option(const command_t *c, const char *opt,
                                size_t ol) {
  for (; c; c = lender(c))
    for (const char *p = strstr(c->args, "--"); p; p = strstr(p + 2, "--")) {
      size_t len = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz-") + 2;
      if (len == ol && strncmp(p, opt, ol) == 0)
        return p + ol;
    }
  return NULL;
}

/* Is `opt` ("--name" or "--name=value") one of the options of `c`? */
static int option_known(const command_t *c, const char *opt) {
  return usage_option(c, opt, strcspn(opt, "=")) != NULL;
}

/* Does option `opt` of `c` take a value?  Its usage writes it followed by
 * a metavariable ("--limit N", "--reason TEXT"), not alone ("--all"). */
static int option_takes_value(const command_t *c, const char *opt) {
  const char *v = usage_option(c, opt, strlen(opt));
  return v && v[0] == ' ' && v[1] >= 'A' && v[1] <= 'Z';
}

/* A family without its subcommand ("vasgw service"), or no such command. */
static int unknown(int nw, const char **words) {
  int any = 0;
  size_t fl = strlen(words[0]);
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (strncmp(commands[i].words, words[0], fl) == 0 &&
        commands[i].words[fl] == ' ')
      any = 1;
  if (!any)
    return vg_cli_usage_error("unknown command '%s'", words[0]);
  if (nw == 1)
    fprintf(stderr, "vasgw: '%s' needs a command:\n", words[0]);
  else
    fprintf(stderr, "vasgw: unknown command '%s %s'; the %s commands are:\n",
            words[0], words[1], words[0]);
  list(stderr, words[0]);
  return 2;
}

int main(int argc, char **argv) {
  static cli_t c;
  const char *path = vg_config_default_path();
  const char *words[64];
  int nw = 0, help = 0;
  /* Options may come before or after the command's words. */
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-c") == 0) {
      if (i + 1 == argc)
        return vg_cli_usage_error("-c needs a file name");
      path = argv[++i];
    } else if (strcmp(a, "--json") == 0) {
      c.json = 1;
    } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      help = 1;
    } else if (strcmp(a, "--version") == 0 && nw == 0) {
      printf("vasgw %s\n", PACKAGE_VERSION);
      return 0;
    } else if (nw == 0 && a[0] == '-') {
      return vg_cli_usage_error("unknown option '%s'", a);
    } else if (nw < (int)VG_ARRAY_SIZE(words)) {
      words[nw++] = a;
    } else {
      return vg_cli_usage_error("too many arguments");
    }
  }
  if (nw == 0) {
    if (help) {
      help_all(stdout);
      return 0;
    }
    return vg_cli_usage_error("no command given");
  }
  int used;
  const command_t *cmd = lookup(nw, words, &used);
  if (help) {
    if (cmd) {
      help_one(stdout, cmd);
      return 0;
    }
    size_t fl = strlen(words[0]);
    int family = 0;
    for (size_t i = 0; i < NCOMMANDS; i++)
      family |= strncmp(commands[i].words, words[0], fl) == 0 &&
                commands[i].words[fl] == ' ';
    if (!family)
      return vg_cli_usage_error("unknown command '%s'", words[0]);
    printf("the %s commands ('vasgw %s COMMAND --help' for one):\n", words[0],
           words[0]);
    list(stdout, words[0]);
    return 0;
  }
  if (cmd == NULL)
    return unknown(nw, words);
  /* A mistyped option is a usage error before anything is read: the same
   * answer with or without a configuration. */
  for (int i = used; i < nw; i++)
    if (strncmp(words[i], "--", 2) == 0 && words[i][2] != '\0' &&
        !option_known(cmd, words[i]))
      return vg_cli_usage_error("%s: unknown option '%.*s'", cmd->words,
                                (int)strcspn(words[i], "="), words[i]);
  /* ... and so is an option given without the value it takes. */
  for (int i = used; i < nw; i++)
    if (strncmp(words[i], "--", 2) == 0 && strchr(words[i], '=') == NULL &&
        option_takes_value(cmd, words[i]) &&
        (i + 1 == nw || strncmp(words[i + 1], "--", 2) == 0))
      return vg_cli_usage_error("%s: option '%s' needs a value", cmd->words,
                                words[i]);
  char err[512];
  if (vg_config_load(path, &c.cfg, err, sizeof err) != 0)
    return vg_cli_fail("%s", err);
  vg_clock_setup(c.cfg.timezone);
  int rc = cmd->fn(&c, nw, words);
  if (c.rc)
    redisFree(c.rc);
  return rc;
}
