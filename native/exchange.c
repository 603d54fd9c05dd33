// One client connection's exchange, once its request is routed: the request (head, then body) to the dyno, the
// response to the client as far as its framing goes, the end of the exchange (keep-alive or close), the router's own
// answers (error pages, rejects), and what a client's readable socket means in each state.
#include "router.h"

/* ---------- answers from the router itself ---------- */

/* Same bytes as the Node router's respond(appErrorPage(detail, code), true): ANSWER_HEAD_FORMAT, ERROR_PAGE_FORMAT. */
void respond_error(conn_t *c, int status, const char *code, const char *desc, const char *detail) {
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
void respond_reject(conn_t *c, int status, const char *detail) {
  char title[64];
  snprintf(title, sizeof title, "%d %s", status, reason(status));
  buf_t body = {0};
  buf_printf(&body, PAGE_FORMAT, title, title, detail);
  buf_printf(&c->out, ANSWER_HEAD_FORMAT "Connection: close\r\n\r\n", status, reason(status), body.len);
  buf_append(&c->out, body.p, body.len);
  buf_free(&body);
}

/* ---------- the exchange ---------- */

void finish_client(conn_t *c) {
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
void start_upstream(conn_t *c) {
  exch_t *x = &c->ex;
  conn_t *u = c->peer;
  if (!u->reused) x->connect_ms = (int)ms_round(now_us - x->started);
  pump_request(c);
}

/* Routes the parsed request to a dyno of x->app; `head` is the upstream head. */
void begin_exchange(conn_t *c, const buf_t *head) {
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

/* Client → dyno: the upstream head (u->out), then the request body from the client's buffer. */
void pump_request(conn_t *c) {
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

/* Dyno → client: pending head bytes, then the response body as far as its framing goes. */
void pump_response(conn_t *c) {
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

void client_readable(conn_t *c) {
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
