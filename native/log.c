// The `heroku[router]` log line of a request this side routed, from rules.ts's templates (LOG_*), queued on the
// control channel's output (control.c) as `L <appId> <line>`.
#include "router.h"

unsigned ms_round(uint64_t us) { return (unsigned)((us + 500) / 1000); }

/* A quoted log value: `"` would end it, so it is written %22. */
void log_quoted(buf_t *b, const unsigned char *s, size_t n) {
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
void log_line(conn_t *c, const char *code, const char *desc, int status) {
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
