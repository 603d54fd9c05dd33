// ferry-router: the router's native data plane (see src/platform/router/native.ts for the Node side and the
// protocol). One epoll loop, edge-triggered, one process. It takes the common request path — a clean HTTP/1.1
// request for a known app with a routable web dyno — and does exactly what the Node router (proxy.ts) does
// for it: round-robin choice, pooled keep-alive upstream sockets, the same head rewriting, strict response
// framing, one `heroku[router]` log line per request, H12/H13/H17 answers. The Node router (the daemon's, on a
// private loopback port) does the rest, and answers and logs it:
// * a request this side frames but does not route (unknown app, no dyno up, a refused or reset dyno connection
//   before any byte of the request body left, X-Forwarded-For/Via/Expect) goes to it as one exchange over a
//   pooled connection, verbatim both ways; the next request on the client's connection is this side's again;
// * a request this side cannot frame (upgrades, chunked or HTTP/1.0 requests, any doubt in the head) hands the
//   rest of the connection over: it is spliced to the Node router with the bytes held so far.
// Nothing ambiguous is ever guessed here: a head this parser is not sure of is the Node parser's to reject.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
/* The sanitizer build (scripts/build-native.mjs) runs with an empty environment, so no ASAN_OPTIONS: its settings are
   built in. Memory errors are what it is for; leak checking is off (LeakSanitizer's stop-the-world needs ptrace, which
   the sandbox does not give). */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }
#endif

/* The rules the Node router shares, generated from src/platform/router/rules.ts (src/platform/router/c-header.ts;
   scripts/build-native.mjs puts the header on the include path): the limits, TOKEN_CHARS, REQUEST_ID_*, reason(),
   idempotent_method(), name_is(), request_hop_by_hop(), response_hop_by_hop(), response_framing_field(),
   ERROR_PAGE_FORMAT, the APP_ERROR_* answers and the log line's templates (LOG_*). */
#include "router-rules.h"

#define IN_LIMIT (MAX_BUFFERED + MAX_HEAD) /* buffered bytes per socket before reading pauses */
#define MAX_DROP 32
#define MAX_TARGETS 256

/* ---------- options and clock ---------- */

static char opt_host[128] = "127.0.0.1";
static int opt_port = 0, opt_fallback = 0, opt_listen_fd = -1;
static long timeout_ms = 30000, idle_client_ms = 60000, idle_up_ms = 4000, head_timeout_ms = 15000;
static int bound_port = 0;
static uint64_t now_us;

static uint64_t clock_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---------- byte buffers: data is p[off, len) ---------- */

typedef struct {
  char *p;
  size_t off, len, cap;
} buf_t;

static void buf_reserve(buf_t *b, size_t extra) {
  if (b->len + extra <= b->cap) return;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + extra) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) abort();
  b->p = p;
  b->cap = cap;
}

static void buf_append(buf_t *b, const void *data, size_t n) {
  buf_reserve(b, n);
  memcpy(b->p + b->len, data, n);
  b->len += n;
}

static void buf_str(buf_t *b, const char *s) { buf_append(b, s, strlen(s)); }

static void buf_printf(buf_t *b, const char *fmt, ...) {
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

static size_t buf_avail(const buf_t *b) { return b->len - b->off; }

static void buf_consume(buf_t *b, size_t n) {
  b->off += n;
  if (b->off == b->len) b->off = b->len = 0;
}

static void buf_free(buf_t *b) {
  free(b->p);
  b->p = NULL;
  b->off = b->len = b->cap = 0;
}

/* ---------- apps (pushed by the Node side) ---------- */

typedef struct {
  int port;
  char dyno[40];
} target_t;

enum { E_ASKED, E_NONE, E_APP, E_FORGOTTEN /* the daemon stopped tracking it (`F`): ask again on its next request */ };

typedef struct entry {
  struct entry *next;
  char name[256]; /* the route key: an app name, or a custom domain's host name */
  int state;
  char id[64];
  int ntargets;
  target_t *targets;
  unsigned rr;
} entry_t;

#define NBUCKETS 1024
static entry_t *buckets[NBUCKETS];
static int nentries;

static unsigned hash_name(const char *s, size_t n) {
  unsigned h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h % NBUCKETS;
}

static entry_t *entry_find(const char *name, size_t n) {
  for (entry_t *e = buckets[hash_name(name, n)]; e; e = e->next)
    if (strlen(e->name) == n && memcmp(e->name, name, n) == 0) return e;
  return NULL;
}

static entry_t *entry_add(const char *name, size_t n) {
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
static size_t route_key(const char *h, size_t n) {
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

/* ---------- connections ---------- */

enum { K_LISTEN = 1, K_STDIN, K_STDOUT, K_CLIENT, K_UP, K_FALLBACK };
enum { CS_IDLE, CS_EXCH, CS_SPLICE, CS_CLOSING, CS_WAIT };
enum { BODY_NONE, BODY_LENGTH, BODY_CHUNKED, BODY_CLOSE };

typedef struct {
  int state;
  uint64_t size, remaining;
  int saw_digit;
  unsigned line_bytes, trailer_bytes;
  int done;
} chunk_t;

typedef struct conn conn_t;

typedef struct {
  /* request */
  char method[33];
  int idempotent;
  int body_none;
  int keep_alive;
  uint64_t req_remaining;
  int request_done;
  size_t req_start; /* offset of the request head in the client's buffer (for a hand-off) */
  int replayable;   /* the request may still be handed off (nothing of it reached a dyno, or body-less) */
  size_t head_len;  /* the client's head is c->in.p[req_start, req_start + head_len) */
  int fallback;     /* this exchange goes to the Node router (which answers and logs it), not to a dyno */
  char reqid[208];
  entry_t *app;
  char dyno[40];
  buf_t logtext; /* `method=… path="…" host=… request_id=… fwd="…" ` */
  uint64_t started;
  int connect_ms;
  uint64_t last;
  /* response */
  int have_head;
  int got_bytes;
  int status;
  int res_kind;
  uint64_t res_remaining;
  int res_reuse; /* HTTP/1.1 without Connection: close */
  chunk_t chunk;
  size_t scanned; /* bytes at the front of the dyno's buffer that belong to this response body */
  int complete;
  uint64_t bytes;
} exch_t;

struct conn {
  int kind;
  int fd;
  int dead;
  buf_t in, out;
  conn_t *peer;
  int connected, rd_eof, wr_shut, rd_blocked;
  int hup; /* epoll said RDHUP/HUP/ERR: read_in reads on past a short read, to the EOF or error behind the data */
  /* client */
  int state;
  char fwd[64];
  uint64_t last;
  conn_t *cprev, *cnext;
  char lasthost[256];
  size_t lasthostlen;
  entry_t *lastentry;
  entry_t *waiting; /* CS_WAIT: the app entry asked for (W) and not answered yet */
  int to_node;      /* the next request goes to the Node router (no answer about its app in time) */
  char hostname[256];
  uint64_t head_since; /* when the first byte of the (incomplete) head being read arrived; 0: none buffered */
  exch_t ex;
  /* upstream */
  int port;
  int idle;
  int reused;
  uint64_t idle_since;
  conn_t *pprev, *pnext;
};

static int ep;
static conn_t *clients;
static conn_t *dead_list[4096];
static int ndead;
static buf_t logout; /* stdout queue */
static conn_t stdin_conn = {.kind = K_STDIN, .fd = 0};
static conn_t stdout_conn = {.kind = K_STDOUT, .fd = 1};
static int stdout_blocked;

typedef struct {
  int port;
  conn_t *head, *tail;
} pool_t;
static pool_t *pools;
static int npools, cappools;

static void die(const char *msg) {
  dprintf(1, "E %s\n", msg);
  exit(1);
}

static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static void ep_add(conn_t *c) {
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl failed");
}

static pool_t *pool_for(int port) {
  for (int i = 0; i < npools; i++)
    if (pools[i].port == port) return &pools[i];
  if (npools == cappools) {
    cappools = cappools ? cappools * 2 : 16;
    pools = realloc(pools, sizeof(pool_t) * (size_t)cappools);
    if (!pools) abort();
  }
  pools[npools] = (pool_t){.port = port};
  return &pools[npools++];
}

static void pool_remove(conn_t *u) {
  if (!u->idle) return;
  pool_t *p = pool_for(u->port);
  if (u->pprev) u->pprev->pnext = u->pnext;
  else p->head = u->pnext;
  if (u->pnext) u->pnext->pprev = u->pprev;
  else p->tail = u->pprev;
  u->pprev = u->pnext = NULL;
  u->idle = 0;
}

static void pool_push(conn_t *u) {
  pool_t *p = pool_for(u->port);
  u->idle = 1;
  u->idle_since = now_us;
  u->pnext = NULL;
  u->pprev = p->tail;
  if (p->tail) p->tail->pnext = u;
  else p->head = u;
  p->tail = u;
}

static void close_conn(conn_t *c) {
  if (!c || c->dead) return;
  c->dead = 1;
  if (c->kind == K_UP) pool_remove(c);
  if (c->kind == K_CLIENT) {
    if (c->cprev) c->cprev->cnext = c->cnext;
    else clients = c->cnext;
    if (c->cnext) c->cnext->cprev = c->cprev;
  }
  close(c->fd);
  if (ndead < (int)(sizeof dead_list / sizeof dead_list[0])) dead_list[ndead++] = c;
  /* else: leaked until exit — only when over 4096 sockets close in one epoll batch */
}

static void free_dead(void) {
  for (int i = 0; i < ndead; i++) {
    conn_t *c = dead_list[i];
    buf_free(&c->in);
    buf_free(&c->out);
    buf_free(&c->ex.logtext);
    free(c);
  }
  ndead = 0;
}

static conn_t *conn_new(int kind, int fd) {
  conn_t *c = calloc(1, sizeof *c);
  if (!c) abort();
  c->kind = kind;
  c->fd = fd;
  return c;
}

/* ---------- log lines and control output ---------- */

static void flush_stdout(void) {
  while (buf_avail(&logout) > 0) {
    ssize_t n = write(1, logout.p + logout.off, buf_avail(&logout));
    if (n > 0) {
      buf_consume(&logout, (size_t)n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      stdout_blocked = 1;
      return;
    }
    exit(0); /* the daemon is gone */
  }
  stdout_blocked = 0;
}

static void emit(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char tmp[1024];
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) buf_append(&logout, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static unsigned ms_round(uint64_t us) { return (unsigned)((us + 500) / 1000); }

static void buf_u64(buf_t *b, uint64_t v) {
  char tmp[20];
  int k = 20;
  do {
    tmp[--k] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  buf_append(b, tmp + k, (size_t)(20 - k));
}

/* The log templates' pieces (rules.ts LOG_*): LOG_LIT(text) appends a literal to `log`, LOG_VAL(name) the value
   LOGV_name (defined where a template is expanded). */
#define LOG_LIT(s) buf_append(log, s, sizeof s - 1);
#define LOG_VAL(name) LOGV_##name

/* A quoted log value: `"` would end it, so it is written %22. */
static void log_quoted(buf_t *b, const unsigned char *s, size_t n) {
  for (size_t j = 0; j < n;) {
    const unsigned char *q = memchr(s + j, '"', n - j);
    size_t stop = q ? (size_t)(q - s) : n;
    buf_append(b, s + j, stop - j);
    if (!q) break;
    buf_str(b, "%22");
    j = stop + 1;
  }
}

/* `L <appId> ` then LOG_ERROR (code set) or LOG_INFO, the request's log text (LOG_REQUEST), and LOG_RESULT. */
static void log_line(conn_t *c, const char *code, const char *desc, int status) {
  exch_t *x = &c->ex;
  if (!x->app) return;
  buf_t *log = &logout;
  buf_str(log, "L ");
  buf_str(log, x->app->id);
  buf_str(log, " ");
#define LOGV_at buf_str(log, code ? "error" : "info");
#define LOGV_code buf_str(log, code);
#define LOGV_desc buf_str(log, desc);
#define LOGV_dyno buf_str(log, x->dyno);
#define LOGV_connect buf_u64(log, (uint64_t)x->connect_ms);
#define LOGV_service buf_u64(log, ms_round(now_us - x->started));
#define LOGV_status buf_u64(log, (uint64_t)status);
#define LOGV_bytes buf_u64(log, x->bytes);
  if (code) {
    LOG_ERROR(LOG_LIT, LOG_VAL)
  } else {
    LOG_INFO(LOG_LIT, LOG_VAL)
  }
  buf_append(log, x->logtext.p, x->logtext.len);
  LOG_RESULT(LOG_LIT, LOG_VAL)
  buf_str(log, "\n");
#undef LOGV_at
#undef LOGV_code
#undef LOGV_desc
#undef LOGV_dyno
#undef LOGV_connect
#undef LOGV_service
#undef LOGV_status
#undef LOGV_bytes
}

/* ---------- request ids ---------- */

static uint64_t rs0, rs1;
static uint64_t rnd(void) {
  uint64_t x = rs0, y = rs1;
  rs0 = y;
  x ^= x << 23;
  rs1 = x ^ y ^ (x >> 17) ^ (y >> 26);
  return rs1 + y;
}

static void uuid4(char *out) {
  static const char hex[] = "0123456789abcdef";
  uint64_t a = rnd(), b = rnd();
  unsigned char v[16];
  memcpy(v, &a, 8);
  memcpy(v + 8, &b, 8);
  v[6] = (unsigned char)((v[6] & 0x0f) | 0x40);
  v[8] = (unsigned char)((v[8] & 0x3f) | 0x80);
  int k = 0;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[k++] = '-';
    out[k++] = hex[v[i] >> 4];
    out[k++] = hex[v[i] & 15];
  }
  out[k] = 0;
}

/* ---------- character classes ---------- */

static unsigned char TOKEN[256], REQID[256];

static void init_tables(void) {
  for (const char *t = TOKEN_CHARS; *t; t++) TOKEN[(unsigned char)*t] = 1;
  for (const char *r = REQUEST_ID_CHARS; *r; r++) REQID[(unsigned char)*r] = 1;
}

/*
 * Validates the line at p[i, limit): no control characters but HT, no bare CR or LF. Returns the index of its CR
 * (limit when none) or -1; *colon = the first ':' (or -1).
 */
static long line_end(const unsigned char *p, size_t i, size_t limit, long *colon) {
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
static long field_line(const unsigned char *p, size_t i, size_t limit, size_t *vs, size_t *ve, long *colon) {
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
static size_t list_item(const unsigned char *p, size_t a, size_t ve, size_t *s, size_t *t) {
  size_t z = a;
  while (z < ve && p[z] != ',') z++;
  size_t b = a, e = z;
  while (b < e && (p[b] == ' ' || p[b] == '\t')) b++;
  while (e > b && (p[e - 1] == ' ' || p[e - 1] == '\t')) e--;
  *s = b;
  *t = e;
  return z;
}

static int parse_length(const unsigned char *p, size_t a, size_t b, uint64_t *out) {
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
static long chunk_feed(chunk_t *t, const unsigned char *p, size_t n) {
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

/* ---------- forward declarations ---------- */

static void client_readable(conn_t *c);
static void process_requests(conn_t *c);
static void pump_request(conn_t *c);
static void pump_response(conn_t *c);
static void splice_pump(conn_t *from, conn_t *to);
static void upstream_gone(conn_t *c, conn_t *u);
static void handoff(conn_t *c);
static void to_fallback(conn_t *c);
static void upstream_readable(conn_t *u);

/* ---------- socket I/O ---------- */

/*
 * Reads what is there into c->in (edge-triggered: until a short read, or EOF when the peer half-closed).
 * Returns -1 when the socket failed. Stops at IN_LIMIT buffered bytes (rd_blocked: read again after consuming).
 */
static int read_in(conn_t *c) {
  int got = 0;
  for (;;) {
    buf_t *b = &c->in;
    size_t keep = b->off;
    if (c->kind == K_CLIENT && c->state == CS_EXCH && c->ex.replayable && c->ex.req_start < keep) keep = c->ex.req_start;
    if (b->len - keep >= IN_LIMIT) {
      c->rd_blocked = 1;
      return 0;
    }
    if (b->cap - b->len < 16384) {
      if (keep > 0 && keep >= b->cap / 2) {
        memmove(b->p, b->p + keep, b->len - keep);
        b->len -= keep;
        b->off -= keep;
        if (c->kind == K_CLIENT && c->ex.req_start >= keep) c->ex.req_start -= keep;
        else if (c->kind == K_CLIENT) c->ex.req_start = 0;
      } else {
        buf_reserve(b, 65536);
      }
    }
    size_t space = b->cap - b->len;
    ssize_t n = read(c->fd, b->p + b->len, space);
    if (n > 0) {
      b->len += (size_t)n;
      got = 1;
      if ((size_t)n < space && !c->hup) return 0;
      continue;
    }
    if (n == 0) {
      c->rd_eof = 1;
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return 0;
    if (got) {
      /* Bytes, then a reset (a dyno that answered early and closed with request bytes unread): the bytes count,
         like the Node router's reads before its 'close'; the socket ends as at EOF (reads now return 0). */
      c->rd_eof = 1;
      return 0;
    }
    return -1;
  }
}

/* Writes c->out, then `extra` (n bytes). Returns bytes of `extra` written, or -1 on failure. */
static long write_out(conn_t *c, const char *extra, size_t n) {
  struct iovec iov[2];
  int k = 0;
  size_t outn = buf_avail(&c->out);
  if (outn) iov[k++] = (struct iovec){c->out.p + c->out.off, outn};
  if (n) iov[k++] = (struct iovec){(void *)extra, n};
  if (k == 0) return 0;
  ssize_t w;
  do w = writev(c->fd, iov, k);
  while (w < 0 && errno == EINTR);
  if (w < 0) return errno == EAGAIN ? 0 : -1;
  size_t ww = (size_t)w;
  if (ww < outn) {
    buf_consume(&c->out, ww);
    return 0;
  }
  buf_consume(&c->out, outn);
  return (long)(ww - outn);
}

static void shut_wr(conn_t *c) {
  if (c->wr_shut) return;
  c->wr_shut = 1;
  shutdown(c->fd, SHUT_WR);
}

/* ---------- upstream connections ---------- */

static struct sockaddr_storage up_addr;
static socklen_t up_addrlen;

static conn_t *connect_to(int kind, int port) {
  int fd = socket(up_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return NULL;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_storage a = up_addr;
  if (a.ss_family == AF_INET) ((struct sockaddr_in *)&a)->sin_port = htons((uint16_t)port);
  else ((struct sockaddr_in6 *)&a)->sin6_port = htons((uint16_t)port);
  conn_t *u = conn_new(kind, fd);
  u->port = port;
  int r = connect(fd, (struct sockaddr *)&a, up_addrlen);
  if (r == 0) u->connected = 1;
  else if (errno != EINPROGRESS) {
    close(fd);
    free(u);
    return NULL;
  }
  ep_add(u);
  return u;
}

static conn_t *acquire(int port) {
  pool_t *p = pool_for(port);
  uint64_t cutoff = now_us - (uint64_t)idle_up_ms * 1000;
  while (p->tail) {
    conn_t *u = p->tail;
    pool_remove(u);
    if (u->rd_eof || u->idle_since < cutoff) {
      close_conn(u);
      continue;
    }
    u->reused = 1;
    return u;
  }
  return connect_to(K_UP, port);
}

/* ---------- answers from the router itself ---------- */

/* Same bytes as the Node router's respond(appErrorPage(detail, code), true): ANSWER_HEAD_FORMAT, ERROR_PAGE_FORMAT. */
static void respond_error(conn_t *c, int status, const char *code, const char *desc, const char *detail) {
  buf_t body = {0};
  buf_printf(&body, ERROR_PAGE_FORMAT, detail, code);
  size_t before = c->out.len - c->out.off;
  buf_printf(&c->out, ANSWER_HEAD_FORMAT "Connection: close\r\n\r\n", status, reason(status), body.len);
  buf_append(&c->out, body.p, body.len);
  c->ex.bytes = (c->out.len - c->out.off) - before;
  buf_free(&body);
  c->ex.status = status;
  log_line(c, code, desc, status);
  c->state = CS_CLOSING;
  pump_response(c);
}

/* Same bytes as the Node router's ClientConn.reject(status, detail): the page titled `STATUS REASON`, then close.
   Not logged (no app is known yet). The caller ends the connection. */
static void respond_reject(conn_t *c, int status, const char *detail) {
  char title[64];
  snprintf(title, sizeof title, "%d %s", status, reason(status));
  buf_t body = {0};
  buf_printf(&body, PAGE_FORMAT, title, title, detail);
  buf_printf(&c->out, ANSWER_HEAD_FORMAT "Connection: close\r\n\r\n", status, reason(status), body.len);
  buf_append(&c->out, body.p, body.len);
  buf_free(&body);
}

/* ---------- the exchange ---------- */

static void finish_client(conn_t *c) {
  /* Answer written (or being written), then FIN; the socket closes once the client closes its side too. */
  c->state = CS_CLOSING;
  c->in.off = c->in.len = 0;
  if (buf_avail(&c->out) == 0) {
    shut_wr(c);
    if (c->rd_eof) close_conn(c);
  }
}

static void exchange_done(conn_t *c, int reusable) {
  exch_t *x = &c->ex;
  conn_t *u = c->peer;
  log_line(c, NULL, NULL, x->status);
  if (u) {
    u->peer = NULL;
    c->peer = NULL;
    if (reusable && x->request_done && x->res_reuse && !u->rd_eof && !u->wr_shut) { /* wr_shut: a write to it failed */
      u->in.off = u->in.len = 0;
      pool_push(u);
    } else {
      close_conn(u);
    }
  }
  c->last = now_us;
  if (!x->request_done || !x->keep_alive) {
    finish_client(c);
    return;
  }
  if (c->in.off == c->in.len) c->in.off = c->in.len = 0;
  c->state = CS_IDLE;
  process_requests(c);
}

/* Sends the request (head then body) once the dyno socket is connected. */
static void start_upstream(conn_t *c) {
  exch_t *x = &c->ex;
  conn_t *u = c->peer;
  if (!u->reused) x->connect_ms = (int)ms_round(now_us - x->started);
  pump_request(c);
}

/* Routes the parsed request to a dyno of x->app; `head` is the upstream head. */
static void begin_exchange(conn_t *c, const buf_t *head) {
  exch_t *x = &c->ex;
  entry_t *e = x->app;
  target_t *t = &e->targets[e->rr++ % (unsigned)e->ntargets];
  memcpy(x->dyno, t->dyno, sizeof x->dyno);
  conn_t *u = acquire(t->port);
  if (!u) {
    to_fallback(c);
    return;
  }
  u->peer = c;
  c->peer = u;
  x->last = now_us;
  buf_append(&u->out, head->p, head->len);
  if (u->reused) x->connect_ms = 0;
  if (u->connected) start_upstream(c);
}

/*
 * Parses the request head at the front of c->in. Returns 1 when routed (an exchange started), 0 when more bytes
 * are needed, -1 when the connection was handed off (or closed).
 */
static int parse_request(conn_t *c) {
  buf_t *b = &c->in;
  const unsigned char *p = (const unsigned char *)b->p;
  size_t start = b->off, avail = buf_avail(b);
  if (avail == 0) return 0;
  if (p[start] == '\r' || p[start] == '\n') goto handoff; /* empty lines between requests: the Node router's */
  size_t scan = avail < MAX_HEAD ? avail : MAX_HEAD;
  const unsigned char *hit = memmem(p + start, scan, "\r\n\r\n", 4);
  if (!hit) {
    if (avail >= MAX_HEAD) goto handoff; /* 431 */
    return 0;
  }
  size_t end = (size_t)(hit - p) + 4, limit = end - 2;

  /* request line: method SP target SP HTTP/1.1 CRLF */
  long colon;
  long le = line_end(p, start, limit, &colon);
  if (le < 0) goto handoff;
  size_t i = start;
  while (i < (size_t)le && TOKEN[p[i]]) i++;
  size_t ms = i;
  if (ms == start || ms - start > 32 || p[i] != ' ') goto handoff;
  size_t ts = ++i;
  while (i < (size_t)le && p[i] > 32 && p[i] != 127 && p[i] != 0xA0) i++;
  if (i == ts || p[i] != ' ' || (size_t)le - i != 9 || memcmp(p + i + 1, "HTTP/1.1", 8) != 0) goto handoff;
  size_t te_ = i;

  /* fields */
  size_t drop_at[MAX_DROP], drop_next[MAX_DROP];
  int ndrop = 0;
  size_t host_a = 0, host_b = 0;
  int have_host = 0, have_length = 0, close_conn_tok = 0;
  uint64_t length = 0;
  size_t rid_a = 0, rid_b = 0;
  int to_node = c->to_node; /* framed here, answered by the Node router */
  c->to_node = 0;
  i = (size_t)le + 2;
  while (i < limit) {
    size_t vs, ve;
    long fe = field_line(p, i, limit, &vs, &ve, &colon);
    if (fe < 0) goto handoff;
    const char *n = (const char *)p + i;
    size_t nl = (size_t)colon - i;
    /* The fields a dyno never gets as sent (rules.ts REQUEST_HOP_BY_HOP); below, what this side does besides. */
    int drop = request_hop_by_hop(n, nl);
    switch (nl) {
      case 3:
        if (name_is(n, nl, "via")) to_node = 1;
        break;
      case 4:
        if (name_is(n, nl, "host")) {
          if (have_host) goto handoff;
          have_host = 1;
          host_a = vs;
          host_b = ve;
        }
        break;
      case 6:
        if (name_is(n, nl, "expect")) to_node = 1;
        break;
      case 7:
        if (name_is(n, nl, "upgrade")) goto handoff;
        break;
      case 10:
        if (name_is(n, nl, "connection")) {
          /* Only a lone `close` or `keep-alive` is routed here; any other list (one that names a framing field,
             rules.ts FRAMING_FIELDS, is a smuggling attempt) is the Node parser's to judge and reject. */
          if (name_is((const char *)p + vs, ve - vs, "close")) close_conn_tok = 1;
          else if (!name_is((const char *)p + vs, ve - vs, "keep-alive")) goto handoff;
        }
        break;
      case 12:
        if (name_is(n, nl, "x-request-id")) {
          if (rid_b == 0 && ve - vs >= REQUEST_ID_MIN && ve - vs <= REQUEST_ID_MAX) {
            size_t k = vs;
            while (k < ve && REQID[p[k]]) k++;
            if (k == ve) {
              rid_a = vs;
              rid_b = ve;
            }
          }
        }
        break;
      case 14:
        if (name_is(n, nl, "content-length")) {
          if (have_length || parse_length(p, vs, ve, &length) < 0) goto handoff;
          have_length = 1;
        }
        break;
      case 15:
        if (name_is(n, nl, "x-forwarded-for")) to_node = 1;
        break;
      case 17:
        if (name_is(n, nl, "transfer-encoding")) goto handoff;
        break;
      default:
        break;
    }
    if (drop) {
      if (ndrop == MAX_DROP) goto handoff;
      drop_at[ndrop] = i;
      drop_next[ndrop++] = (size_t)fe + 2;
    }
    i = (size_t)fe + 2;
  }
  if (!have_host) goto handoff;

  /* The request's framing is known from here on: what this side cannot route goes to the Node router as one
     exchange (then the connection carries on here), not as a hand-off of the whole connection. */
  exch_t *x = &c->ex;
  buf_t logtext = x->logtext; /* its allocation is reused request after request */
  memset(x, 0, sizeof *x);
  x->logtext = logtext;
  x->started = now_us;
  memcpy(x->method, p + start, ms - start);
  x->method[ms - start] = 0;
  const char *m = x->method;
  x->idempotent = idempotent_method(m);
  x->body_none = !(have_length && length > 0);
  x->req_remaining = x->body_none ? 0 : length;
  x->request_done = x->body_none;
  x->keep_alive = !close_conn_tok;
  x->req_start = start;
  x->head_len = end - start;
  x->replayable = 1;
  if (to_node) goto node;

  /* Host → app name: strip `:digits`, lower case, `NAME.localhost` */
  size_t hl = host_b - host_a;
  const char *hv = (const char *)p + host_a;
  entry_t *e;
  if (c->lastentry && hl == c->lasthostlen && memcmp(hv, c->lasthost, hl) == 0) {
    e = c->lastentry;
  } else {
    /* c->hostname (what the log line says) is rewritten for this Host: the cached entry no longer goes with it. Kept,
       a later request with the cached Host would be logged under this request's host name. */
    c->lastentry = NULL;
    c->lasthostlen = 0;
    size_t k = hl;
    while (k > 0 && hv[k - 1] >= '0' && hv[k - 1] <= '9') k--;
    size_t hn = (k < hl && k > 0 && hv[k - 1] == ':') ? k - 1 : hl;
    if (hn >= sizeof c->hostname || hl >= sizeof c->lasthost) goto node;
    for (size_t j = 0; j < hn; j++) {
      char ch = hv[j];
      c->hostname[j] = ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
    }
    c->hostname[hn] = 0;
    /* The route key, as routeKey() in proxy.ts: the app name of `NAME.localhost`, else the whole host name when it
       may be a custom domain (letters, digits, dashes, dot-separated labels), else none (the Node router answers). */
    const char *name = c->hostname;
    size_t nl = route_key(name, hn);
    if (!nl) goto node;
    e = entry_find(name, nl);
    if (!e) {
      e = entry_add(name, nl);
      if (!e) goto node;
      emit("W %.*s\n", (int)nl, name);
    } else if (e->state == E_FORGOTTEN) {
      e->state = E_ASKED;
      emit("W %.*s\n", (int)nl, name);
    }
    if (e->state == E_ASKED) {
      /* First request for this app: wait for the daemon's answer (about a millisecond; see sweep) instead of handing
         the connection off, so a keep-alive connection opened before the entry arrived still takes this path. */
      c->state = CS_WAIT;
      c->waiting = e;
      c->last = now_us;
      return -1;
    }
    memcpy(c->lasthost, hv, hl);
    c->lasthostlen = hl;
    c->lastentry = e;
  }
  if (e->state != E_APP || e->ntargets == 0) goto node;

  /* Routed here. */
  x->app = e;
  if (rid_b) {
    memcpy(x->reqid, p + rid_a, rid_b - rid_a);
    x->reqid[rid_b - rid_a] = 0;
  } else {
    uuid4(x->reqid);
  }

  /* log text (rules.ts LOG_REQUEST): method=… path="…" host=… request_id=… fwd="…" */
  buf_t *log = &x->logtext;
  log->off = log->len = 0;
#define LOGV_method buf_str(log, m);
#define LOGV_path log_quoted(log, p + ts, te_ - ts);
#define LOGV_host buf_str(log, c->hostname);
#define LOGV_request_id buf_str(log, x->reqid);
#define LOGV_fwd buf_str(log, c->fwd);
  LOG_REQUEST(LOG_LIT, LOG_VAL)
#undef LOGV_method
#undef LOGV_path
#undef LOGV_host
#undef LOGV_request_id
#undef LOGV_fwd

  /* The upstream head: the client's head minus the dropped lines, then X-Forwarded-*, X-Request-Id, Via, Connection. */
  size_t head_end = end - 4, from = start;
  c->state = CS_EXCH;
  static buf_t head;
  head.off = head.len = 0;
  for (int k = 0; k < ndrop; k++) {
    buf_append(&head, p + from, drop_at[k] - from);
    from = drop_next[k];
  }
  if (ndrop && from > head_end) head.len -= 2;
  if (from < head_end) buf_append(&head, p + from, head_end - from);
  buf_printf(&head, FORWARDED_FIELDS_FORMAT, c->fwd, bound_port, x->reqid, "", "keep-alive"); /* no Via from the client */
  b->off = end; /* the body (if any) follows; the head stays in the buffer while the request may be handed off */
  begin_exchange(c, &head);
  return c->dead || c->state != CS_EXCH ? -1 : 1;

node:
  c->state = CS_EXCH;
  b->off = end;
  to_fallback(c);
  return c->dead || c->state != CS_EXCH ? -1 : 1;

handoff:
  c->ex.req_start = b->off;
  handoff(c);
  return -1;
}

/* Routes every complete request buffered on an idle client connection (pipelining), then reads on. */
static void process_requests(conn_t *c) {
  while (!c->dead && c->state == CS_IDLE) {
    if (buf_avail(&c->in) == 0) {
      if (c->rd_eof) {
        finish_client(c);
        return;
      }
      if (c->rd_blocked) {
        c->rd_blocked = 0;
        client_readable(c);
      }
      return;
    }
    int r = parse_request(c);
    /* The head's deadline runs from its first byte (or from now, for bytes that waited behind an exchange). */
    c->head_since = r == 0 ? (c->head_since ? c->head_since : now_us) : 0;
    if (r == 0) {
      if (c->rd_eof) finish_client(c); /* an incomplete request followed by FIN */
      else if (c->rd_blocked) {
        c->rd_blocked = 0;
        client_readable(c);
      }
      return;
    }
    if (r < 0) return;
  }
}

/* Client → dyno: the upstream head (u->out), then the request body from the client's buffer. */
static void pump_request(conn_t *c) {
  exch_t *x = &c->ex;
  conn_t *u = c->peer;
  if (!u || !u->connected || c->state != CS_EXCH) return;
  size_t n = 0;
  if (!x->request_done) {
    size_t avail = buf_avail(&c->in);
    n = x->req_remaining < avail ? (size_t)x->req_remaining : avail;
  }
  if (buf_avail(&u->out) == 0 && n == 0) return;
  if (u->wr_shut) return; /* the dyno stopped reading (below): the rest of the body waits, then goes nowhere */
  long w = write_out(u, c->in.p + c->in.off, n);
  if (w < 0) {
    /* The dyno may have answered before it closed (early responses, e.g. 413 or 431, with the body unread): read
       what it sent first; without any response bytes this ends as before (upstream_gone). */
    u->wr_shut = 1;
    u->hup = 1;
    upstream_readable(u);
    return;
  }
  x->last = now_us;
  if (w > 0) {
    x->replayable = 0;
    buf_consume(&c->in, (size_t)w);
    if (c->in.len == 0) c->ex.req_start = 0;
    x->req_remaining -= (uint64_t)w;
    if (x->req_remaining == 0) x->request_done = 1;
  }
  if (c->rd_blocked && buf_avail(&c->in) < IN_LIMIT / 2) {
    c->rd_blocked = 0;
    client_readable(c);
  }
}

/* Parses the dyno's response head(s); 1xx heads go through as they are. Returns 0 when more bytes are needed. */
static int parse_response(conn_t *c, conn_t *u) {
  exch_t *x = &c->ex;
  for (;;) {
    buf_t *b = &u->in;
    const unsigned char *p = (const unsigned char *)b->p;
    size_t start = b->off, avail = buf_avail(b);
    size_t scan = avail < MAX_HEAD ? avail : MAX_HEAD;
    const unsigned char *hit = avail >= 4 ? memmem(p + start, scan, "\r\n\r\n", 4) : NULL;
    if (!hit) {
      if (avail >= MAX_HEAD) goto bad;
      return 0;
    }
    size_t end = (size_t)(hit - p) + 4, limit = end - 2;
    long colon;
    long le = line_end(p, start, limit, &colon);
    if (le < 0) goto bad;
    size_t n = (size_t)le - start;
    if (n < 12 || memcmp(p + start, "HTTP/1.", 7) != 0 || (p[start + 7] != '0' && p[start + 7] != '1') || p[start + 8] != ' ' ||
        (n > 12 && p[start + 12] != ' '))
      goto bad;
    int status = 0;
    for (size_t k = start + 9; k < start + 12; k++) {
      if (p[k] < '0' || p[k] > '9') goto bad;
      status = status * 10 + (p[k] - '0');
    }
    int v11 = p[start + 7] == '1';
    size_t hop_at[MAX_DROP], hop_next[MAX_DROP];
    int nhop = 0, has_close = 0, have_length = 0, te_seen = 0, chunked = 0, te_count = 0, chunked_at = -1, te_empty = 0;
    uint64_t length = 0;
    size_t i = (size_t)le + 2;
    while (i < limit) {
      size_t vs, ve;
      long fe = field_line(p, i, limit, &vs, &ve, &colon);
      if (fe < 0) goto bad;
      const char *nm = (const char *)p + i;
      size_t nl = (size_t)colon - i;
      if (response_hop_by_hop(nm, nl)) { /* rules.ts RESPONSE_HOP_BY_HOP */
        if (nhop == MAX_DROP) goto bad;
        hop_at[nhop] = i;
        hop_next[nhop++] = (size_t)fe + 2;
        if (name_is(nm, nl, "connection")) {
          /* tokens: any `close`; one naming a framing field (rules.ts FRAMING_FIELDS) is a bad response (a proxy drops
             the fields Connection names, so the client could read the body differently: like the Node router, never
             strip framing) */
          for (size_t a = vs; a < ve;) {
            size_t s, t, z = list_item(p, a, ve, &s, &t);
            if (name_is((const char *)p + s, t - s, "close")) has_close = 1;
            else if (response_framing_field((const char *)p + s, t - s)) goto bad;
            a = z + 1;
          }
        }
      } else if (name_is(nm, nl, "content-length")) {
        if (have_length || parse_length(p, vs, ve, &length) < 0) goto bad;
        have_length = 1;
      } else if (name_is(nm, nl, "transfer-encoding")) {
        te_seen = 1;
        size_t a = vs;
        for (;;) {
          size_t s, t, z = list_item(p, a, ve, &s, &t);
          if (t == s) te_empty = 1;
          else if (name_is((const char *)p + s, t - s, "chunked")) {
            if (chunked_at >= 0) te_empty = 1; /* twice */
            chunked_at = te_count;
          }
          te_count++;
          if (z >= ve) break;
          a = z + 1;
        }
      }
      i = (size_t)fe + 2;
    }
    if (te_seen) {
      if (te_empty || (chunked_at >= 0 && chunked_at != te_count - 1)) goto bad;
      chunked = chunked_at == te_count - 1;
    }

    if (status >= 100 && status < 200) {
      /* 1xx (101 too: this path never forwards an Upgrade): pass through as is, then the real response. */
      buf_append(&c->out, p + start, end - start);
      buf_consume(b, end - start);
      x->got_bytes = 1;
      continue;
    }

    x->have_head = 1;
    x->status = status;
    x->res_reuse = v11 && !has_close;
    const char *m = x->method;
    if (!strcmp(m, "HEAD") || status == 204 || status == 304) x->res_kind = BODY_NONE;
    else if (chunked) x->res_kind = BODY_CHUNKED;
    else if (te_seen) x->res_kind = BODY_CLOSE;
    else if (have_length) x->res_kind = length == 0 ? BODY_NONE : BODY_LENGTH;
    else x->res_kind = BODY_CLOSE;
    if (x->res_kind == BODY_CLOSE) x->keep_alive = 0;
    x->res_remaining = length;
    memset(&x->chunk, 0, sizeof x->chunk);
    size_t before = buf_avail(&c->out), from = start;
    if (x->fallback) {
      /* The Node router's answer is final as it is; it closes after `Connection: close`, and so does this side. */
      if (has_close) x->keep_alive = 0;
      buf_append(&c->out, p + start, end - start);
      x->bytes += end - start;
      buf_consume(b, end - start);
      x->scanned = 0;
      if (x->res_kind == BODY_NONE) x->complete = 1;
      return 1;
    }
    /* The client's head: the dyno's head minus hop-by-hop lines, plus Connection: close when we close. */
    for (int k = 0; k < nhop; k++) {
      buf_append(&c->out, p + from, hop_at[k] - from);
      from = hop_next[k];
    }
    if (from < end - 2) buf_append(&c->out, p + from, end - 2 - from);
    if (!x->keep_alive) buf_str(&c->out, "Connection: close\r\n");
    buf_str(&c->out, "\r\n");
    x->bytes += buf_avail(&c->out) - before;
    buf_consume(b, end - start);
    x->scanned = 0;
    if (x->res_kind == BODY_NONE) x->complete = 1;
    return 1;

  bad:
    if (x->fallback) {
      c->peer = NULL;
      u->peer = NULL;
      close_conn(u);
      close_conn(c);
      return -1;
    }
    c->ex.got_bytes = 1;
    if (c->peer) {
      c->peer->peer = NULL;
      close_conn(c->peer);
      c->peer = NULL;
    }
    c->out.off = c->out.len = 0;
    respond_error(c, 502, APP_ERROR_MALFORMED);
    return -1;
  }
}

/* Dyno → client: pending head bytes, then the response body as far as its framing goes. */
static void pump_response(conn_t *c) {
  exch_t *x = &c->ex;
  conn_t *u = c->peer;
  size_t n = 0;
  if (u && x->have_head) {
    size_t avail = buf_avail(&u->in);
    if (x->scanned < avail && !x->complete) {
      size_t fresh = avail - x->scanned;
      const unsigned char *q = (const unsigned char *)u->in.p + u->in.off + x->scanned;
      size_t k = fresh;
      switch (x->res_kind) {
        case BODY_LENGTH:
          k = x->res_remaining < fresh ? (size_t)x->res_remaining : fresh;
          x->res_remaining -= k;
          if (x->res_remaining == 0) x->complete = 1;
          break;
        case BODY_CHUNKED: {
          long r = chunk_feed(&x->chunk, q, fresh);
          if (r < 0) {
            log_line(c, APP_ERROR_MALFORMED_LOG, x->status);
            c->peer = NULL;
            u->peer = NULL;
            close_conn(u);
            close_conn(c);
            return;
          }
          k = (size_t)r;
          if (x->chunk.done) x->complete = 1;
          break;
        }
        default:
          break;
      }
      x->scanned += k;
      x->bytes += k;
    }
    n = x->scanned;
  }
  if (buf_avail(&c->out) == 0 && n == 0) goto check;
  long w = write_out(c, n ? u->in.p + u->in.off : NULL, n);
  if (w < 0) {
    if (u) {
      u->peer = NULL;
      close_conn(u);
    }
    close_conn(c);
    return;
  }
  if (w > 0) {
    buf_consume(&u->in, (size_t)w);
    x->scanned -= (size_t)w;
  }
  if (u && u->rd_blocked && buf_avail(&u->in) < IN_LIMIT / 2 && buf_avail(&c->out) < IN_LIMIT / 2) {
    u->rd_blocked = 0;
    upstream_readable(u); /* reads, parses (1xx), pumps, and sees an EOF */
    return;
  }
check:
  if (c->state == CS_CLOSING) {
    if (buf_avail(&c->out) == 0) {
      shut_wr(c);
      if (c->rd_eof) close_conn(c);
    }
    return;
  }
  if (u && x->have_head && buf_avail(&c->out) == 0 && x->scanned == 0) {
    if (x->complete) {
      exchange_done(c, buf_avail(&u->in) == 0);
    } else if (x->res_kind == BODY_CLOSE && u->rd_eof) {
      x->keep_alive = 0;
      exchange_done(c, 0);
    }
  }
}

/* The dyno socket failed or closed before its response was complete. */
static void upstream_gone(conn_t *c, conn_t *u) {
  exch_t *x = &c->ex;
  int never = !u->connected;
  u->peer = NULL;
  c->peer = NULL;
  close_conn(u);
  if (x->fallback) {
    /* The Node router is gone (it never closes a connection mid-answer otherwise). */
    close_conn(c);
    return;
  }
  if (!x->got_bytes) {
    if ((never && x->replayable) || (x->body_none && x->idempotent)) {
      /* Nothing reached the app, or a body-less idempotent request: the Node router takes it (and retries). */
      to_fallback(c);
      return;
    }
    if (never) respond_error(c, 502, APP_ERROR_REFUSED);
    else respond_error(c, 502, APP_ERROR_CLOSED);
    return;
  }
  log_line(c, APP_ERROR_CLOSED_LOG, x->status ? x->status : 503);
  close_conn(c);
}

/* ---------- hand-off to the Node router ---------- */

/*
 * Sends the current request — as the client sent it, from c->in — to the Node router over a pooled connection, as
 * one exchange: the Node router routes (or answers) and logs it, its response goes back to the client as it is, and
 * the next request on the connection is this side's again. Only while nothing of the request body has been sent
 * anywhere (x->replayable).
 */
static void to_fallback(conn_t *c) {
  exch_t *x = &c->ex;
  if (!x->replayable) {
    close_conn(c);
    return;
  }
  x->fallback = 1;
  x->app = NULL; /* no log line from here: the Node router writes it */
  x->have_head = x->got_bytes = x->complete = 0;
  x->status = 0;
  x->scanned = 0;
  x->bytes = 0;
  x->last = now_us;
  conn_t *u = acquire(opt_fallback);
  if (!u) {
    close_conn(c);
    return;
  }
  u->peer = c;
  c->peer = u;
  buf_append(&u->out, c->in.p + x->req_start, x->head_len);
  if (u->connected) pump_request(c);
}

static void handoff(conn_t *c) {
  conn_t *f = connect_to(K_FALLBACK, opt_fallback);
  if (!f) {
    close_conn(c);
    return;
  }
  size_t from = c->ex.req_start < c->in.off ? c->ex.req_start : c->in.off;
  if (from > c->in.len) from = c->in.off;
  buf_append(&f->out, c->in.p + from, c->in.len - from);
  c->in.off = c->in.len = 0;
  c->state = CS_SPLICE;
  c->peer = f;
  f->peer = c;
  c->rd_blocked = 0;
  if (f->connected) splice_pump(c, f);
}

/* Moves bytes between a handed-off client and the Node router; FIN follows the bytes. */
static void splice_pump(conn_t *from, conn_t *to) {
  if (!to->connected || to->dead || from->dead) return;
  size_t n = buf_avail(&from->in);
  if (n || buf_avail(&to->out)) {
    long w = write_out(to, from->in.p + from->in.off, n);
    if (w < 0) {
      close_conn(from);
      close_conn(to);
      return;
    }
    buf_consume(&from->in, (size_t)w);
  }
  if (buf_avail(&from->in) || buf_avail(&to->out)) return; /* waits for `to` to drain */
  if (from->rd_blocked) {
    from->rd_blocked = 0;
    if (read_in(from) < 0) {
      close_conn(from);
      close_conn(to);
      return;
    }
    splice_pump(from, to);
    return;
  }
  if (from->rd_eof) {
    shut_wr(to);
    if (to->rd_eof && buf_avail(&to->in) == 0 && buf_avail(&from->out) == 0) {
      close_conn(from);
      close_conn(to);
    }
  }
}

/* ---------- event handlers ---------- */

static void client_readable(conn_t *c) {
  if (read_in(c) < 0) {
    if (c->peer) {
      c->peer->peer = NULL;
      close_conn(c->peer);
    }
    close_conn(c);
    return;
  }
  /* Bytes dropped while closing are no activity: a client trickling into a closing connection meets the idle limit. */
  if (c->state != CS_CLOSING) c->last = now_us;
  switch (c->state) {
    case CS_IDLE:
      process_requests(c);
      break;
    case CS_EXCH:
      pump_request(c);
      break;
    case CS_SPLICE:
      splice_pump(c, c->peer);
      break;
    case CS_WAIT:
      break; /* buffered until the app's entry arrives */
    case CS_CLOSING:
      c->in.off = c->in.len = 0;
      if (c->rd_eof && buf_avail(&c->out) == 0) close_conn(c);
      else if (c->rd_blocked) c->rd_blocked = 0;
      break;
  }
  /* A client that half-closed mid-exchange: its side is done; the answer still goes out (see exchange_done). */
}

static void upstream_readable(conn_t *u) {
  conn_t *c = u->peer;
  if (c && buf_avail(&c->out) >= IN_LIMIT) {
    /* A client that does not read while the dyno sends 1xx heads: stop reading the dyno (see pump_response). */
    u->rd_blocked = 1;
    return;
  }
  if (read_in(u) < 0) {
    if (c) upstream_gone(c, u);
    else close_conn(u);
    return;
  }
  if (!c) {
    /* An idle pooled socket: the dyno closed it (or sent junk). */
    if (u->rd_eof || buf_avail(&u->in)) close_conn(u);
    return;
  }
  exch_t *x = &c->ex;
  x->last = now_us;
  if (buf_avail(&u->in)) x->got_bytes = 1;
  if (!x->have_head) {
    int r = parse_response(c, u);
    if (r < 0) return;
    if (r == 0) {
      if (buf_avail(&c->out)) pump_response(c); /* a 1xx */
      if (c->dead || c->peer != u) return;
      if (u->rd_eof) upstream_gone(c, u);
      return;
    }
  }
  pump_response(c);
  if (c->dead || c->peer != u) return;
  if (u->rd_eof && !(x->res_kind == BODY_CLOSE)) {
    /* EOF before the framing said the response ended (closed-by-EOF responses end in pump_response). */
    if (!x->complete) upstream_gone(c, u);
  }
}

static void on_event(conn_t *c, uint32_t ev) {
  if (c->dead) return;
  /* Edge-triggered: a FIN that came with the last bytes has no edge of its own (a short read stops before it). */
  if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->hup = 1;
  switch (c->kind) {
    case K_CLIENT:
      if (ev & EPOLLOUT) {
        if (c->state == CS_SPLICE) splice_pump(c->peer, c);
        else if (c->state == CS_EXCH || c->state == CS_CLOSING) pump_response(c);
        if (c->dead) return;
      }
      if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) client_readable(c);
      break;
    case K_UP:
    case K_FALLBACK: {
      conn_t *c2 = c->peer;
      if (!c->connected) {
        if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err || (ev & (EPOLLERR | EPOLLHUP))) {
          if (c->kind == K_FALLBACK || !c2) {
            if (c2) close_conn(c2);
            close_conn(c);
          } else {
            upstream_gone(c2, c);
          }
          return;
        }
        c->connected = 1;
        if (c->kind == K_UP && c2) start_upstream(c2);
        else if (c2) splice_pump(c2, c);
        if (c->dead) return;
      } else if (ev & EPOLLOUT) {
        if (c->kind == K_UP && c2) pump_request(c2);
        else if (c2) splice_pump(c2, c);
        if (c->dead) return;
      }
      if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        if (c->kind == K_UP) upstream_readable(c);
        else {
          if (read_in(c) < 0) {
            if (c2) close_conn(c2);
            close_conn(c);
            return;
          }
          if (c2) splice_pump(c, c2);
          else close_conn(c);
        }
      }
      break;
    }
  }
}

/* ---------- control input ---------- */

static buf_t ctl;

/* The entry for e arrived: route the requests that waited for it. */
static void wake(entry_t *e) {
  for (conn_t *c = clients, *next; c; c = next) {
    next = c->cnext;
    if (c->state != CS_WAIT || c->waiting != e) continue;
    c->state = CS_IDLE;
    c->waiting = NULL;
    process_requests(c);
  }
}

static void control_line(char *s, size_t n) {
  s[n] = 0;
  if (n >= 2 && s[0] == 'S' && s[1] == ' ') {
    emit("S %s\n", s + 2);
    return;
  }
  if (n < 3 || s[1] != ' ') return;
  char *name = s + 2;
  char *sp = strchr(name, ' ');
  size_t nl = sp ? (size_t)(sp - name) : strlen(name);
  entry_t *e = entry_find(name, nl);
  if (s[0] == 'F') {
    /* Only an answer can be forgotten (never an app entry mid-update, nor a question still open). */
    if (e && e->state == E_NONE) e->state = E_FORGOTTEN;
    return;
  }
  if (!e) e = entry_add(name, nl);
  if (!e) return;
  if (s[0] == 'N') {
    e->state = E_NONE;
    e->ntargets = 0;
    wake(e);
    return;
  }
  if (s[0] != 'A' || !sp) return;
  char *id = sp + 1;
  char *sp2 = strchr(id, ' ');
  if (!sp2 || (size_t)(sp2 - id) >= sizeof e->id) return;
  memcpy(e->id, id, (size_t)(sp2 - id));
  e->id[sp2 - id] = 0;
  char *list = sp2 + 1;
  int nt = 0;
  target_t tmp[MAX_TARGETS];
  if (strcmp(list, "-") != 0) {
    char *save = NULL;
    for (char *tok = strtok_r(list, ",", &save); tok && nt < MAX_TARGETS; tok = strtok_r(NULL, ",", &save)) {
      char *slash = strchr(tok, '/');
      if (!slash) continue;
      *slash = 0;
      int port = atoi(tok);
      if (port <= 0 || port > 65535) continue;
      tmp[nt].port = port;
      snprintf(tmp[nt].dyno, sizeof tmp[nt].dyno, "%s", slash + 1);
      nt++;
    }
  }
  target_t *t = nt ? malloc(sizeof(target_t) * (size_t)nt) : NULL;
  if (nt) memcpy(t, tmp, sizeof(target_t) * (size_t)nt);
  free(e->targets);
  e->targets = t;
  e->ntargets = nt;
  e->state = E_APP;
  wake(e);
}

static void control_readable(void) {
  for (;;) {
    buf_reserve(&ctl, 65536);
    ssize_t n = read(0, ctl.p + ctl.len, ctl.cap - ctl.len - 1);
    if (n == 0) exit(0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      exit(0);
    }
    ctl.len += (size_t)n;
    size_t start = ctl.off;
    for (size_t i = start; i < ctl.len; i++) {
      if (ctl.p[i] != '\n') continue;
      control_line(ctl.p + start, i - start);
      start = i + 1;
    }
    ctl.off = start;
    if (ctl.off == ctl.len) ctl.off = ctl.len = 0;
    else if (ctl.off > 0) {
      memmove(ctl.p, ctl.p + ctl.off, ctl.len - ctl.off);
      ctl.len -= ctl.off;
      ctl.off = 0;
    }
  }
}

/* ---------- timers ---------- */

static void sweep(void) {
  uint64_t t = (uint64_t)timeout_ms * 1000, ic = (uint64_t)idle_client_ms * 1000;
  for (conn_t *c = clients, *next; c; c = next) {
    next = c->cnext;
    if (c->state == CS_EXCH && c->peer && c->ex.fallback) {
      /* The Node router keeps its own request timeout; this is only a backstop should it stop answering. */
      if (now_us - c->ex.last > 2 * t + 5000000) {
        conn_t *u = c->peer;
        u->peer = NULL;
        close_conn(u);
        close_conn(c);
      }
    } else if (c->state == CS_EXCH && c->peer) {
      exch_t *x = &c->ex;
      if (now_us - x->last > t) {
        conn_t *u = c->peer;
        if (!x->have_head) {
          u->peer = NULL;
          c->peer = NULL;
          close_conn(u);
          /* c->out holds only whole 1xx heads (if any): the 503 follows them. */
          respond_error(c, 503, APP_ERROR_TIMEOUT);
        } else {
          u->peer = NULL;
          close_conn(u);
          close_conn(c);
        }
      }
    } else if (c->state == CS_WAIT && now_us - c->last > 1000000) {
      /* No answer from the daemon within a second: the Node router takes the request. */
      c->state = CS_IDLE;
      c->waiting = NULL;
      c->to_node = 1;
      process_requests(c);
    } else if (c->state == CS_IDLE && c->head_since && now_us - c->head_since > (uint64_t)head_timeout_ms * 1000) {
      /* A head trickled in byte by byte (slowloris): however active, it has a total deadline, like the Node router. */
      c->head_since = 0;
      respond_reject(c, 408, HEAD_TIMEOUT_DETAIL);
      finish_client(c);
      pump_response(c);
    } else if ((c->state == CS_IDLE || c->state == CS_CLOSING) && now_us - c->last > ic) {
      close_conn(c);
    } else if (c->state == CS_SPLICE && c->wr_shut && now_us - c->last > ic) {
      /* Handed over, the Node router's side has ended (FIN passed on), and the client, silent since, never closed. */
      if (c->peer) close_conn(c->peer);
      close_conn(c);
    }
  }
  uint64_t cutoff = now_us - (uint64_t)idle_up_ms * 1000;
  for (int i = 0; i < npools; i++)
    while (pools[i].head && pools[i].head->idle_since < cutoff) close_conn(pools[i].head);
}

/* ---------- main ---------- */

static void accept_all(int lfd) {
  for (;;) {
    struct sockaddr_storage sa;
    socklen_t sl = sizeof sa;
    int fd = accept4(lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return; /* EAGAIN, or EMFILE and friends: retried on the next readiness */
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    conn_t *c = conn_new(K_CLIENT, fd);
    c->connected = 1;
    if (sa.ss_family == AF_INET) inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, c->fwd, sizeof c->fwd);
    else if (sa.ss_family == AF_INET6) {
      struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
      if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], c->fwd, sizeof c->fwd);
      else inet_ntop(AF_INET6, &s6->sin6_addr, c->fwd, sizeof c->fwd);
    } else strcpy(c->fwd, "127.0.0.1");
    c->last = now_us;
    c->cnext = clients;
    if (clients) clients->cprev = c;
    clients = c;
    ep_add(c);
  }
}

/* Closes every descriptor but stdin, stdout, stderr and the listener (whatever the daemon's own parent left open). */
static void close_inherited(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) return;
  int fds[4096], n = 0, self = dirfd(d);
  struct dirent *e;
  while ((e = readdir(d)) && n < 4096) {
    int fd = atoi(e->d_name);
    if (fd > 2 && fd != self && fd != opt_listen_fd) fds[n++] = fd;
  }
  closedir(d);
  for (int i = 0; i < n; i++) close(fds[i]);
}

static long arg_num(const char *s) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == 0 || *end != 0 || v < 0) die("bad numeric argument");
  return v;
}

int main(int argc, char **argv) {
  pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) return 0;
  signal(SIGPIPE, SIG_IGN);
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--host")) snprintf(opt_host, sizeof opt_host, "%s", v);
    else if (!strcmp(k, "--port")) opt_port = (int)arg_num(v);
    else if (!strcmp(k, "--listen-fd")) opt_listen_fd = (int)arg_num(v);
    else if (!strcmp(k, "--fallback-port")) opt_fallback = (int)arg_num(v);
    else if (!strcmp(k, "--timeout-ms")) timeout_ms = arg_num(v);
    else if (!strcmp(k, "--idle-client-ms")) idle_client_ms = arg_num(v);
    else if (!strcmp(k, "--idle-upstream-ms")) idle_up_ms = arg_num(v);
    else if (!strcmp(k, "--head-timeout-ms")) head_timeout_ms = arg_num(v);
    else die("unknown option");
  }
  if (!opt_fallback) die("--fallback-port is required");
  close_inherited();
  init_tables();
  if (getrandom(&rs0, sizeof rs0, 0) != sizeof rs0 || getrandom(&rs1, sizeof rs1, 0) != sizeof rs1) {
    rs0 = (uint64_t)clock_us() ^ (uint64_t)getpid();
    rs1 = 0x9E3779B97F4A7C15ULL;
  }
  if (!rs0 && !rs1) rs1 = 1;
  now_us = clock_us();

  int lfd = opt_listen_fd;
  if (lfd >= 0) {
    /* The daemon's socket, bound by it and held for the platform's lifetime (--listen-fd): this process only listens
       and accepts on it. The port is never free while a crashed child is replaced (a dyno could take it then). */
    set_nonblock(lfd);
    fcntl(lfd, F_SETFD, FD_CLOEXEC);
  } else {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *ai;
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", opt_port);
    if (getaddrinfo(opt_host, portstr, &hints, &ai) != 0) die("the router host must be a numeric address");
    lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, ai->ai_addr, ai->ai_addrlen) < 0) {
      char msg[160];
      snprintf(msg, sizeof msg, "cannot listen on %s:%d: %s", opt_host, opt_port, strerror(errno));
      die(msg);
    }
    freeaddrinfo(ai);
  }
  if (listen(lfd, 1024) < 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "cannot listen on %s:%d: %s", opt_host, opt_port, strerror(errno));
    die(msg);
  }
  struct sockaddr_storage bound;
  socklen_t bl = sizeof bound;
  if (getsockname(lfd, (struct sockaddr *)&bound, &bl) < 0 || (bound.ss_family != AF_INET && bound.ss_family != AF_INET6))
    die("the listening socket must be a TCP socket");
  /* Dynos listen on the router's own address (loopback): connect to it, port by port. */
  memcpy(&up_addr, &bound, bl);
  up_addrlen = bl;
  bound_port = ntohs(bound.ss_family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port : ((struct sockaddr_in6 *)&bound)->sin6_port);

  ep = epoll_create1(EPOLL_CLOEXEC);
  conn_t listen_conn = {.kind = K_LISTEN, .fd = lfd};
  struct epoll_event lev = {.events = EPOLLIN | EPOLLET, .data.ptr = &listen_conn};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
  set_nonblock(0);
  struct epoll_event sev = {.events = EPOLLIN | EPOLLET | EPOLLRDHUP, .data.ptr = &stdin_conn};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &sev) < 0) die("stdin must be a pipe");
  set_nonblock(1);
  struct epoll_event oev = {.events = EPOLLOUT | EPOLLET, .data.ptr = &stdout_conn};
  epoll_ctl(ep, EPOLL_CTL_ADD, 1, &oev);

  emit("P %d\n", bound_port);
  flush_stdout();

  long period = timeout_ms / 8;
  if (idle_client_ms / 8 < period) period = idle_client_ms / 8;
  if (idle_up_ms / 4 < period) period = idle_up_ms / 4;
  if (head_timeout_ms / 4 < period) period = head_timeout_ms / 4;
  if (period > 1000) period = 1000;
  if (period < 10) period = 10;
  uint64_t next_sweep = now_us + (uint64_t)period * 1000;

  /* Log lines leave in batches (at most a millisecond late): the daemon wakes once per batch, not per request. */
  uint64_t last_flush = now_us;
  struct epoll_event evs[256];
  for (;;) {
    int wait = (int)period;
    if (buf_avail(&logout) && !stdout_blocked) wait = 1;
    int n = epoll_wait(ep, evs, 256, wait);
    now_us = clock_us();
    if (n < 0 && errno != EINTR) die("epoll_wait failed");
    for (int i = 0; i < n; i++) {
      conn_t *c = evs[i].data.ptr;
      switch (c->kind) {
        case K_LISTEN:
          accept_all(lfd);
          break;
        case K_STDIN:
          control_readable();
          break;
        case K_STDOUT:
          break;
        default:
          on_event(c, evs[i].events);
      }
    }
    if (now_us >= next_sweep) {
      sweep();
      next_sweep = now_us + (uint64_t)period * 1000;
    }
    free_dead();
    if (buf_avail(&logout) && (now_us - last_flush >= 1000 || buf_avail(&logout) >= 65536 || logout.p[logout.off] != 'L')) {
      flush_stdout();
      last_flush = now_us;
    }
  }
}
