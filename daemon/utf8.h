/* utf8 — the one UTF-8 validator behind every output that must stay valid
 * text (JSON, the Prometheus exposition, log lines) while its input is
 * bytes from log lines. */
#ifndef RCW_UTF8_H
#define RCW_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length (1-4) of the well-formed UTF-8 sequence at s, with len bytes
 * available, and its code point in *cp (may be NULL); 0 when the bytes at
 * s are not one.  Overlong forms, UTF-16 surrogates and code points past
 * U+10FFFF are ill-formed (RFC 3629).  len must be at least 1. */
size_t rcw_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

#endif
