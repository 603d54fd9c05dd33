// Byte buffers (buf_t, data at p[off, len)): growth, formatted appends, numbers. The hot few are inline in router.h.
#include "router.h"

void buf_grow(buf_t *b, size_t extra) {
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + extra) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) abort();
  b->p = p;
  b->cap = cap;
}

void buf_printf(buf_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char tmp[512];
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) {
    buf_append(b, tmp, (size_t)n);
    return;
  }
  buf_reserve(b, (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void buf_free(buf_t *b) {
  free(b->p);
  b->p = NULL;
  b->off = b->len = b->cap = 0;
}

void buf_u64(buf_t *b, uint64_t v) {
  char tmp[20];
  int k = 20;
  do {
    tmp[--k] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  buf_append(b, tmp + k, (size_t)(20 - k));
}
