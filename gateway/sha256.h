/*
 * sha256.h — SHA-256 (FIPS 180-4) of a buffer, as lower-case hex.  vasgw
 * names an imported feed file by the digest of its bytes (docs/keys.md,
 * "Ledger facts"), so that importing the same file twice is recognised.
 * OpenSSL's libcrypto computes it.
 */
#ifndef VG_SHA256_H
#define VG_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define VG_SHA256_HEX 65 /* 64 hex digits and the NUL */

/* The digest of `len` bytes at `data` into `out` ("e3b0c442..." for none);
 * returns `out`. */
const char *vg_sha256_hex(const void *data, size_t len,
                          char out[VG_SHA256_HEX]);

#endif
