/*
 * gwlib_init.c — one place that starts Kannel's libgw.
 */
#include "gateway/gwlib_init.h"

#include "gwlib/gwlib.h"

void vg_gwlib_init(void) {
  static int done;
  if (done)
    return;
  done = 1;
  gwlib_init();
  /* libgw logs to stderr at debug level until told otherwise; vasgw logs
   * once, at the edge, itself (STYLE.md 2). */
  log_set_output_level(GW_PANIC);
}
