/*
 * gwlib_init.h — Kannel's libgw, set up once for the codec and charsets.
 *
 * vasgw uses libgw on the loop thread only, for SMPP PDUs and charsets
 * (STYLE.md 8); never its threads, Connection or logging.  Safe to call more
 * than once; the first call wins.
 */
#ifndef VG_GWLIB_INIT_H
#define VG_GWLIB_INIT_H

/* gwlib_init() with libgw's own logging silenced below panic level. */
void vg_gwlib_init(void);

#endif
