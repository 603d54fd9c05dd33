// A socket's life: epoll registration (edge-triggered), reads into its buffer, writes of its queue, half-close, and
// close with the free deferred to the end of the epoll batch (events already fetched may still name it).
#include "router.h"

int ep;
conn_t *clients; /* every client connection, for the timers (router.c sweep) and wake-ups (control.c) */
static conn_t *dead_list[4096];
static int ndead;

void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

void ep_add(conn_t *c) {
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl failed");
}

conn_t *conn_new(int kind, int fd) {
  conn_t *c = calloc(1, sizeof *c);
  if (!c) abort();
  c->kind = kind;
  c->fd = fd;
  return c;
}

void close_conn(conn_t *c) {
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

void free_dead(void) {
  for (int i = 0; i < ndead; i++) {
    conn_t *c = dead_list[i];
    buf_free(&c->in);
    buf_free(&c->out);
    buf_free(&c->ex.logtext);
    free(c);
  }
  ndead = 0;
}

/*
 * Reads what is there into c->in (edge-triggered: until a short read, or EOF when the peer half-closed).
 * Returns -1 when the socket failed. Stops at IN_LIMIT buffered bytes (rd_blocked: read again after consuming).
 */
int read_in(conn_t *c) {
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
long write_out(conn_t *c, const char *extra, size_t n) {
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

void shut_wr(conn_t *c) {
  if (c->wr_shut) return;
  c->wr_shut = 1;
  shutdown(c->fd, SHUT_WR);
}
