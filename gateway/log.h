/*
 * log.h — the daemon's log: one line per event, at the edge, with context.
 *
 * Lines never hold a full MSISDN, a password or message text: callers pass
 * numbers through vg_msisdn_mask().  The file (or stderr) is reopened on
 * SIGHUP so logrotate can move it.
 */
#ifndef VG_LOG_H
#define VG_LOG_H

typedef enum {
  VG_LOG_ERROR = 0,
  VG_LOG_WARN = 1,
  VG_LOG_INFO = 2,
  VG_LOG_DEBUG = 3,
} vg_log_level_t;

/* Parse "error|warn|info|debug"; -1 when unknown. */
int vg_log_level_parse(const char *name);

/*
 * Set up logging at `level` to `path` ("" or NULL: stderr).  Returns 0 or
 * VG_EIO when the file cannot be opened (logging then goes to stderr).
 */
int vg_log_open(const char *path, vg_log_level_t level);

/* Reopen the same path (SIGHUP).  Returns 0 or VG_EIO. */
int vg_log_reopen(void);

void vg_log_close(void);

/* The longest message of a line, in bytes (before it: the time and the
 * level).  A longer one is cut where a UTF-8 character ends, within these
 * bytes, and ends "…[cut: N bytes in all]". */
#define VG_LOG_LINE_MAX 2047

/* printf-style; a newline is added. */
void vg_log(vg_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* What the program stops for (exit status 1): logged at error, and written
 * to standard error too when the log goes to a file, where the operator
 * who started it looks (vasgwd(8), EXIT STATUS). */
void vg_log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define vg_log_error(...) vg_log(VG_LOG_ERROR, __VA_ARGS__)
#define vg_log_warn(...) vg_log(VG_LOG_WARN, __VA_ARGS__)
#define vg_log_info(...) vg_log(VG_LOG_INFO, __VA_ARGS__)
#define vg_log_debug(...) vg_log(VG_LOG_DEBUG, __VA_ARGS__)

/* 1 when `level` would be written (to skip building costly arguments). */
int vg_log_enabled(vg_log_level_t level);

#endif
