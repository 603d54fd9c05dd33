// Runs the ferry router alone for wrk (needs `npm run build`): Host app.localhost → backends on the given
// ports, one router line per request into a FileLogService, as in the daemon.
// Usage: node bench/router-proxy.mjs LISTEN_PORT LOGDIR BACKEND_PORT...
// Diagnostic only: FERRY_BENCH_ROUTER_NO_LOG=1 drops the lines instead of appending them (to see the log's share of
// the cost; the router still formats every line — the shipped router always logs).
import {FileLogService} from '../dist/platform/logs/service.js'
import {HttpRouter} from '../dist/platform/router/proxy.js'

const [listen, logDir, ...ports] = process.argv.slice(2)
const logs = new FileLogService({dir: logDir})
const targets = ports.map((p, i) => ({dyno: `web.${i + 1}`, port: Number(p)}))
const noLog = process.env.FERRY_BENCH_ROUTER_NO_LOG === '1'
const router = new HttpRouter({
  log: noLog ? () => {} : (appId, message) => logs.append(appId, {dyno: 'router', message, source: 'heroku'}),
  port: Number(listen),
  resolveApp: name => (name === 'app' ? {id: 'app-id', name: 'app'} : undefined),
  targets: () => targets,
})
await router.listen()
console.log(`router on ${router.port}`)
process.on('SIGINT', () => process.exit(0))
