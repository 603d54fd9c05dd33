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
//
// This unit: the options, the listener (accept), the epoll loop and its dispatch, the timers (sweep), start-up.
// router.h names the other units and declares what crosses them.
#include "router.h"

#if defined(__SANITIZE_ADDRESS__)
/* The sanitizer build (scripts/build-native.mjs) runs with an empty environment, so no ASAN_OPTIONS: its settings are
   built in. Memory errors are what it is for; leak checking is off (LeakSanitizer's stop-the-world needs ptrace, which
   the sandbox does not give). */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }
#endif

/* ---------- options ---------- */

static char opt_host[128] = "127.0.0.1";
static int opt_port = 0, opt_listen_fd = -1;
int opt_fallback = 0;
static long timeout_ms = 30000, idle_client_ms = 60000, head_timeout_ms = 15000;
long idle_up_ms = 4000;
int bound_port = 0;
uint64_t now_us;

static conn_t stdin_conn = {.kind = K_STDIN, .fd = 0};
static conn_t stdout_conn = {.kind = K_STDOUT, .fd = 1};

/* ---------- event dispatch ---------- */

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
  pools_expire();
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
  request_ids_seed();
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
