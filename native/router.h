// The native router's internal header: the structs every unit shares (byte buffers, app entries, connections and their
// exchange), the globals that cross units, and the functions one unit calls in another. A function used by one unit
// only stays `static` there. The units (see router.c's opening comment for what the program does):
//   router.c    options, the listener (accept), the epoll loop and its dispatch, timers (sweep), start-up
//   conn.c      a socket's life: epoll registration, reads and writes, close and deferred free
//   request.c   a client's request head: parsing, routing decision, the dyno's head, request ids; pipelining
//   exchange.c  one client connection's exchange: request body to the dyno, response to the client, own answers
//   upstream.c  the dyno side: pooled keep-alive sockets, connects, the response head, a dyno that went away
//   handoff.c   the Node router: one exchange over a pooled connection, or the whole connection spliced over
//   http1.c     HTTP/1 syntax shared by both directions: character classes, lines, fields, lists, chunked framing
//   apps.c      the app table the daemon fills (route key → app id and targets)
//   control.c   the control channel with the daemon (stdin: app answers; stdout: questions, log lines, status)
//   log.c       the `heroku[router]` log line
//   buf.c       byte buffers
#ifndef FERRY_ROUTER_H
#define FERRY_ROUTER_H
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


/* The rules the Node router shares, generated from src/platform/router/rules.ts (src/platform/router/c-header.ts;
   scripts/build-native.mjs puts the header on the include path): the limits, TOKEN_CHARS, REQUEST_ID_*, reason(),
   idempotent_method(), name_is(), request_hop_by_hop(), response_hop_by_hop(), response_framing_field(),
   ERROR_PAGE_FORMAT, the APP_ERROR_* answers and the log line's templates (LOG_*). */
#include "router-rules.h"

#define IN_LIMIT (MAX_BUFFERED + MAX_HEAD) /* buffered bytes per socket before reading pauses */
#define MAX_DROP 32
#define MAX_TARGETS 256

/* ---------- options and clock (router.c) ---------- */

extern int opt_fallback, bound_port;
extern long idle_up_ms;
extern uint64_t now_us; /* the loop's clock, read once per epoll batch */

static inline uint64_t clock_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---------- byte buffers: data is p[off, len) (buf.c; the hot few inline) ---------- */

typedef struct {
  char *p;
  size_t off, len, cap;
} buf_t;

void buf_grow(buf_t *b, size_t extra);
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_free(buf_t *b);
void buf_u64(buf_t *b, uint64_t v);

static inline void buf_reserve(buf_t *b, size_t extra) {
  if (b->len + extra > b->cap) buf_grow(b, extra);
}

static inline void buf_append(buf_t *b, const void *data, size_t n) {
  buf_reserve(b, n);
  memcpy(b->p + b->len, data, n);
  b->len += n;
}

static inline void buf_str(buf_t *b, const char *s) { buf_append(b, s, strlen(s)); }

static inline size_t buf_avail(const buf_t *b) { return b->len - b->off; }

static inline void buf_consume(buf_t *b, size_t n) {
  b->off += n;
  if (b->off == b->len) b->off = b->len = 0;
}

/* ---------- apps, pushed by the daemon (apps.c) ---------- */

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

entry_t *entry_find(const char *name, size_t n);
entry_t *entry_add(const char *name, size_t n);
size_t route_key(const char *h, size_t n);

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

/* conn.c */
extern int ep;
extern conn_t *clients;
void set_nonblock(int fd);
void ep_add(conn_t *c);
conn_t *conn_new(int kind, int fd);
void close_conn(conn_t *c);
void free_dead(void);
int read_in(conn_t *c);
long write_out(conn_t *c, const char *extra, size_t n);
void shut_wr(conn_t *c);

/* request.c */
void request_ids_seed(void);
void process_requests(conn_t *c);

/* exchange.c */
void respond_error(conn_t *c, int status, const char *code, const char *desc, const char *detail);
void respond_reject(conn_t *c, int status, const char *detail);
void finish_client(conn_t *c);
void begin_exchange(conn_t *c, const buf_t *head);
void start_upstream(conn_t *c);
void pump_request(conn_t *c);
void pump_response(conn_t *c);
void client_readable(conn_t *c);

/* upstream.c */
extern struct sockaddr_storage up_addr;
extern socklen_t up_addrlen;
conn_t *connect_to(int kind, int port);
conn_t *acquire(int port);
void pool_remove(conn_t *u);
void pool_push(conn_t *u);
void pools_expire(void);
void upstream_readable(conn_t *u);
void upstream_gone(conn_t *c, conn_t *u);

/* handoff.c */
void to_fallback(conn_t *c);
void handoff(conn_t *c);
void splice_pump(conn_t *from, conn_t *to);

/* ---------- HTTP/1 syntax (http1.c) ---------- */

extern unsigned char TOKEN[256], REQID[256];
void init_tables(void);
long line_end(const unsigned char *p, size_t i, size_t limit, long *colon);
long field_line(const unsigned char *p, size_t i, size_t limit, size_t *vs, size_t *ve, long *colon);
size_t list_item(const unsigned char *p, size_t a, size_t ve, size_t *s, size_t *t);
int parse_length(const unsigned char *p, size_t a, size_t b, uint64_t *out);
long chunk_feed(chunk_t *t, const unsigned char *p, size_t n);

/* ---------- the control channel (control.c) and the log line (log.c) ---------- */

extern buf_t logout; /* stdout queue */
extern int stdout_blocked;
void die(const char *msg) __attribute__((noreturn));
void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void flush_stdout(void);
void control_readable(void);

unsigned ms_round(uint64_t us);
void log_quoted(buf_t *b, const unsigned char *s, size_t n);
void log_line(conn_t *c, const char *code, const char *desc, int status);

/* The log templates' pieces (rules.ts LOG_*): LOG_LIT(text) appends a literal to `log`, LOG_VAL(name) the value
   LOGV_name (defined where a template is expanded). */
#define LOG_LIT(s) buf_append(log, s, sizeof s - 1);
#define LOG_VAL(name) LOGV_##name

#endif
