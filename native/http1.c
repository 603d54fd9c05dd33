// HTTP/1 syntax both directions share (a port of the Node parser's rules, src/platform/router/http1/): token and
// request-id characters, a line, a field line, a list element, a Content-Length, and chunked framing.
#include "router.h"

unsigned char TOKEN[256], REQID[256];

void init_tables(void) {
  for (const char *t = TOKEN_CHARS; *t; t++) TOKEN[(unsigned char)*t] = 1;
  for (const char *r = REQUEST_ID_CHARS; *r; r++) REQID[(unsigned char)*r] = 1;
}

/*
 * Validates the line at p[i, limit): no control characters but HT, no bare CR or LF. Returns the index of its CR
 * (limit when none) or -1; *colon = the first ':' (or -1).
 */
long line_end(const unsigned char *p, size_t i, size_t limit, long *colon) {
  *colon = -1;
  for (; i < limit; i++) {
    unsigned char c = p[i];
    if (c < 32) {
      if (c == 13) return p[i + 1] == 10 ? (long)i : -1;
      if (c != 9) return -1;
    } else if (c == 127) {
      return -1;
    } else if (c == ':' && *colon < 0) {
      *colon = (long)i;
    }
  }
  return (long)i;
}

/* A field line at p[i..]: sets name/value ranges; returns its CR index or -1 when malformed. */
long field_line(const unsigned char *p, size_t i, size_t limit, size_t *vs, size_t *ve, long *colon) {
  long le = line_end(p, i, limit, colon);
  if (le < 0) return -1;
  if (p[i] == ' ' || p[i] == '\t') return -1;
  if (*colon <= (long)i) return -1;
  for (size_t k = i; k < (size_t)*colon; k++)
    if (!TOKEN[p[k]]) return -1;
  size_t a = (size_t)*colon + 1, b = (size_t)le;
  while (a < b && (p[a] == ' ' || p[a] == '\t')) a++;
  while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t')) b--;
  *vs = a;
  *ve = b;
  return le;
}

/*
 * The list element at p[a..ve) up to its `,`, without the spaces and tabs around it: p[*s, *t). Returns the index of
 * that `,` (ve for the last element).
 */
size_t list_item(const unsigned char *p, size_t a, size_t ve, size_t *s, size_t *t) {
  size_t z = a;
  while (z < ve && p[z] != ',') z++;
  size_t b = a, e = z;
  while (b < e && (p[b] == ' ' || p[b] == '\t')) b++;
  while (e > b && (p[e - 1] == ' ' || p[e - 1] == '\t')) e--;
  *s = b;
  *t = e;
  return z;
}

int parse_length(const unsigned char *p, size_t a, size_t b, uint64_t *out) {
  if (b == a || b - a > 15) return -1;
  uint64_t v = 0;
  for (size_t k = a; k < b; k++) {
    if (p[k] < '0' || p[k] > '9') return -1;
    v = v * 10 + (uint64_t)(p[k] - '0');
  }
  *out = v;
  return 0;
}

/* ---------- chunked framing (a port of ChunkedTracker in http1.ts) ---------- */

enum { CK_SIZE, CK_SIZE_LF, CK_EXT, CK_DATA, CK_DATA_CR, CK_DATA_LF, CK_TSTART, CK_TLINE, CK_TLF, CK_FINAL_LF, CK_DONE };

/* Returns how many bytes of p[0,n) belong to the message, or -1 on malformed framing. */
long chunk_feed(chunk_t *t, const unsigned char *p, size_t n) {
  size_t i = 0;
  while (i < n && t->state != CK_DONE) {
    unsigned char c;
    switch (t->state) {
      case CK_DATA: {
        uint64_t k = t->remaining < n - i ? t->remaining : n - i;
        i += k;
        t->remaining -= k;
        if (t->remaining == 0) t->state = CK_DATA_CR;
        break;
      }
      case CK_DATA_CR:
        if (p[i++] != 13) return -1;
        t->state = CK_DATA_LF;
        break;
      case CK_DATA_LF:
        if (p[i++] != 10) return -1;
        t->state = CK_SIZE;
        t->size = 0;
        t->saw_digit = 0;
        t->line_bytes = 0;
        break;
      case CK_EXT:
        c = p[i++];
        if (++t->line_bytes > MAX_CHUNK_LINE) return -1;
        if (c == 13) t->state = CK_SIZE_LF;
        else if (c == 10 || c == 0) return -1;
        break;
      case CK_FINAL_LF:
        if (p[i++] != 10) return -1;
        t->state = CK_DONE;
        t->done = 1;
        break;
      case CK_SIZE: {
        c = p[i++];
        if (++t->line_bytes > MAX_CHUNK_LINE) return -1;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 87 : c >= 'A' && c <= 'F' ? c - 55 : -1;
        if (d >= 0) {
          if (t->size > 0x0FFFFFFFFFFFFULL) return -1;
          t->size = t->size * 16 + (uint64_t)d;
          t->saw_digit = 1;
        } else if (!t->saw_digit) {
          return -1;
        } else if (c == 13) {
          t->state = CK_SIZE_LF;
        } else if (c == ';') {
          t->state = CK_EXT;
        } else {
          return -1;
        }
        break;
      }
      case CK_SIZE_LF:
        if (p[i++] != 10) return -1;
        if (t->size == 0) {
          t->state = CK_TSTART;
        } else {
          t->remaining = t->size;
          t->state = CK_DATA;
        }
        break;
      case CK_TLF:
        if (p[i++] != 10) return -1;
        t->state = CK_TSTART;
        break;
      case CK_TLINE:
        c = p[i++];
        if (++t->trailer_bytes > MAX_TRAILER) return -1;
        if (c == 13) t->state = CK_TLF;
        else if (c == 10) return -1;
        break;
      case CK_TSTART:
        c = p[i++];
        if (c == 13) {
          t->state = CK_FINAL_LF;
        } else if (c == 10 || c == ' ' || c == '\t') {
          return -1;
        } else {
          t->trailer_bytes++;
          t->state = CK_TLINE;
        }
        break;
      default:
        return -1;
    }
  }
  return (long)i;
}
