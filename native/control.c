// The control channel with the daemon (protocol in src/platform/router/native.ts). stdin carries the daemon's lines:
// `A name id port/dyno,…` (an app and its targets), `N name` (no such app), `F name` (forget an answer), `S text`
// (echoed back). stdout carries this side's: `P port` (listening), `W name` (which app is this?), `L appId …` (log
// lines, log.c), `S text`, `E message` (fatal). Output is queued in `logout` and flushed by the loop (router.c).
#include "router.h"

buf_t logout;
int stdout_blocked;
static buf_t ctl;

void die(const char *msg) {
  dprintf(1, "E %s\n", msg);
  exit(1);
}

void flush_stdout(void) {
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

void emit(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char tmp[1024];
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) buf_append(&logout, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

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

void control_readable(void) {
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
