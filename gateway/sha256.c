/*
 * sha256.c — see sha256.h.  OpenSSL's libcrypto does the hashing (it comes
 * with libssl-dev, which kannel-dev already depends on).
 */
#include "gateway/sha256.h"

#include <openssl/evp.h>
#include <stdio.h>

const char *vg_sha256_hex(const void *data, size_t len,
                          char out[VG_SHA256_HEX]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  out[0] = '\0';
  if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
    return out;
  for (unsigned int i = 0; i < n; i++)
    snprintf(out + 2 * i, 3, "%02x", md[i]);
  return out;
}
