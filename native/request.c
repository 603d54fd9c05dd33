// A client's request head: parsed, judged (routed here, one exchange for the Node router, or the whole connection
// handed over), the dyno's head written; request ids; the pipelined requests of an idle connection.
#include "router.h"

/* ---------- request ids ---------- */

static uint64_t rs0, rs1;
static uint64_t rnd(void) {
  uint64_t x = rs0, y = rs1;
  rs0 = y;
  x ^= x << 23;
  rs1 = x ^ y ^ (x >> 17) ^ (y >> 26);
  return rs1 + y;
}

void request_ids_seed(void) {
  if (getrandom(&rs0, sizeof rs0, 0) != sizeof rs0 || getrandom(&rs1, sizeof rs1, 0) != sizeof rs1) {
    rs0 = (uint64_t)clock_us() ^ (uint64_t)getpid();
    rs1 = 0x9E3779B97F4A7C15ULL;
  }
  if (!rs0 && !rs1) rs1 = 1;
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

/* ---------- the request head ---------- */

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
void process_requests(conn_t *c) {
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
