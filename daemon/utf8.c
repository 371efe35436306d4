#include "utf8.h"

size_t rcw_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
  unsigned char c = s[0], lo = 0x80, hi = 0xBF;
  size_t n;
  uint32_t v;
  if (c < 0x80) {
    if (cp)
      *cp = c;
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF)
    n = 2, v = c & 0x1F;
  else if (c >= 0xE0 && c <= 0xEF)
    n = 3, v = c & 0x0F;
  else if (c >= 0xF0 && c <= 0xF4)
    n = 4, v = c & 0x07;
  else
    return 0;
  /* The second byte's range is what rules out overlongs, surrogates and
   * code points past U+10FFFF. */
  if (c == 0xE0)
    lo = 0xA0;
  else if (c == 0xED)
    hi = 0x9F;
  else if (c == 0xF0)
    lo = 0x90;
  else if (c == 0xF4)
    hi = 0x8F;
  if (len < n || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    v = v << 6 | (s[i] & 0x3F);
  }
  if (cp)
    *cp = v;
  return n;
}
