/*
 * daemon.h — vasgwd's wiring: one libuv loop holding the SMPP binds, the
 * Redis connections, the outbox, the inbox, the stream readers and the
 * dispatcher (ARCHITECTURE.md, "One picture").
 */
#ifndef VG_DAEMON_H
#define VG_DAEMON_H

#include "gateway/config.h"
#include "handlers/templates.h"

/*
 * Run until SIGTERM/SIGINT: stop taking work, wait (bounded) for the
 * window to drain, unbind, disconnect.  Returns the process exit status.
 */
/* Run until SIGTERM.  `config_path` is passed on to the `vasgw settle` the
 * daemon starts on [commission] settlement_day. */
int vg_daemon_run(const vg_config_t *cfg, const vg_templates_t *templates,
                  const char *config_path);

#endif
