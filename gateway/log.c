/*
 * log.c — timestamped log lines to a file or stderr, reopened on SIGHUP.
 *
 * One process-wide sink is the one piece of global state vasgw keeps: a log
 * must be reachable from every edge without threading a pointer through
 * codecs that never log anyway.
 */
#include "gateway/log.h"
#include "gateway/text.h"
#include "gateway/vg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static FILE *sink;
static char sink_path[512];
static vg_log_level_t sink_level = VG_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int vg_log_level_parse(const char *name) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(level_names); i++)
    if (strcmp(name, level_names[i]) == 0)
      return (int)i;
  return -1;
}

int vg_log_open(const char *path, vg_log_level_t level) {
  sink_level = level;
  snprintf(sink_path, sizeof sink_path, "%s", path ? path : "");
  return vg_log_reopen();
}

int vg_log_reopen(void) {
  if (sink && sink != stderr)
    fclose(sink);
  sink = stderr;
  if (sink_path[0] == '\0')
    return 0;
  FILE *f = fopen(sink_path, "a");
  if (f == NULL)
    return VG_EIO;
  setvbuf(f, NULL, _IOLBF, 0);
  sink = f;
  return 0;
}

void vg_log_close(void) {
  if (sink && sink != stderr)
    fclose(sink);
  sink = NULL;
}

int vg_log_enabled(vg_log_level_t level) { return level <= sink_level; }

static void vlog(vg_log_level_t level, int fatal, const char *fmt,
                 va_list ap) {
  if (level > sink_level && !fatal)
    return;
  FILE *out = sink ? sink : stderr;
  struct timeval tv;
  gettimeofday(&tv, NULL);
  struct tm tm;
  gmtime_r(&tv.tv_sec, &tm);
  char ts[32];
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  char line[VG_LOG_LINE_MAX + 1];
  int n = vsnprintf(line, sizeof line, fmt, ap);
  if (n > VG_LOG_LINE_MAX) {
    /* Cut where a character ends, and said so with the length it had: a
     * line that stops inside a character is not UTF-8 any more, and one
     * that stops without a word looks whole. */
    char mark[48];
    int m = snprintf(mark, sizeof mark, "…[cut: %d bytes in all]", n);
    size_t keep = vg_text_utf8_prefix(line, VG_LOG_LINE_MAX,
                                      VG_LOG_LINE_MAX - (size_t)m);
    memcpy(line + keep, mark, (size_t)m + 1);
  }
  if (level <= sink_level)
    fprintf(out, "%s.%03dZ %s %s\n", ts, (int)(tv.tv_usec / 1000),
            level_names[level], line);
  if (fatal && out != stderr)
    fprintf(stderr, "vasgwd: %s\n", line);
}

void vg_log(vg_log_level_t level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(level, 0, fmt, ap);
  va_end(ap);
}

void vg_log_fatal(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(VG_LOG_ERROR, 1, fmt, ap);
  va_end(ap);
}
