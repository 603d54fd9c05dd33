// The app table the daemon fills over the control channel (control.c): route key → the app's id and its web
// targets, or "no such app". A request for a key not in it asks the daemon (request.c).
#include "router.h"

#define NBUCKETS 1024
static entry_t *buckets[NBUCKETS];
static int nentries;

static unsigned hash_name(const char *s, size_t n) {
  unsigned h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h % NBUCKETS;
}

entry_t *entry_find(const char *name, size_t n) {
  for (entry_t *e = buckets[hash_name(name, n)]; e; e = e->next)
    if (strlen(e->name) == n && memcmp(e->name, name, n) == 0) return e;
  return NULL;
}

entry_t *entry_add(const char *name, size_t n) {
  if (n >= sizeof(((entry_t *)0)->name) || nentries >= 100000) return NULL;
  entry_t *e = calloc(1, sizeof *e);
  if (!e) abort();
  memcpy(e->name, name, n);
  unsigned h = hash_name(name, n);
  e->next = buckets[h];
  buckets[h] = e;
  nentries++;
  return e;
}

static int is_name_char(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'; }

/* The length of the route key at the start of host name h (lower case, no port, n bytes), 0 when there is none:
   the app name of `NAME.localhost` (NAME: APP_NAME_MIN to APP_NAME_MAX of [a-z0-9-], a letter first, no dash last),
   else all of h when it is a possible custom domain (labels of [a-z0-9-] joined by single dots, at least two, shorter
   than HOST_NAME_LIMIT): rules.ts, as routeKey() in proxy/targets.ts. */
size_t route_key(const char *h, size_t n) {
  if (n > 10 && memcmp(h + n - 10, ".localhost", 10) == 0) {
    size_t nl = n - 10, j = 0;
    while (j < nl && is_name_char(h[j])) j++;
    if (j == nl && nl >= APP_NAME_MIN && nl <= APP_NAME_MAX && h[0] >= 'a' && h[0] <= 'z' && h[nl - 1] != '-') return nl;
  }
  if (n == 0 || n >= HOST_NAME_LIMIT) return 0;
  int dots = 0;
  for (size_t j = 0; j < n; j++) {
    if (h[j] == '.') {
      if (j == 0 || j == n - 1 || h[j - 1] == '.') return 0;
      dots++;
    } else if (!is_name_char(h[j])) {
      return 0;
    }
  }
  return dots ? n : 0;
}
