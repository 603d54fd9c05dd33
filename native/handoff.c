// Hand-off to the Node router (the daemon's, on a private loopback port), which answers and logs what this side does
// not route: one exchange over a pooled connection (to_fallback), or the rest of the connection spliced over (handoff).
#include "router.h"

/*
 * Sends the current request — as the client sent it, from c->in — to the Node router over a pooled connection, as
 * one exchange: the Node router routes (or answers) and logs it, its response goes back to the client as it is, and
 * the next request on the connection is this side's again. Only while nothing of the request body has been sent
 * anywhere (x->replayable).
 */
void to_fallback(conn_t *c) {
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

void handoff(conn_t *c) {
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
void splice_pump(conn_t *from, conn_t *to) {
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
