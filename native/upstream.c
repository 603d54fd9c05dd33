// The dyno side: pooled keep-alive sockets per port, connects, the dyno's response head, and a dyno socket that
// failed or closed before its response was complete.
#include "router.h"

struct sockaddr_storage up_addr; /* the router's own address (dynos listen on it), port set per connect */
socklen_t up_addrlen;

typedef struct {
  int port;
  conn_t *head, *tail;
} pool_t;
static pool_t *pools;
static int npools, cappools;

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

void pool_remove(conn_t *u) {
  if (!u->idle) return;
  pool_t *p = pool_for(u->port);
  if (u->pprev) u->pprev->pnext = u->pnext;
  else p->head = u->pnext;
  if (u->pnext) u->pnext->pprev = u->pprev;
  else p->tail = u->pprev;
  u->pprev = u->pnext = NULL;
  u->idle = 0;
}

void pool_push(conn_t *u) {
  pool_t *p = pool_for(u->port);
  u->idle = 1;
  u->idle_since = now_us;
  u->pnext = NULL;
  u->pprev = p->tail;
  if (p->tail) p->tail->pnext = u;
  else p->head = u;
  p->tail = u;
}

/* Closes pooled sockets idle longer than the upstream idle limit (oldest first). */
void pools_expire(void) {
  uint64_t cutoff = now_us - (uint64_t)idle_up_ms * 1000;
  for (int i = 0; i < npools; i++)
    while (pools[i].head && pools[i].head->idle_since < cutoff) close_conn(pools[i].head);
}

conn_t *connect_to(int kind, int port) {
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

conn_t *acquire(int port) {
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

/* The dyno socket failed or closed before its response was complete. */
void upstream_gone(conn_t *c, conn_t *u) {
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

void upstream_readable(conn_t *u) {
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
