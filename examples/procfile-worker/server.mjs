// procfile-worker web: a Node built-ins-only HTTP server (no package.json: this app is Procfile-only).
import http from 'node:http'

const port = Number(process.env.PORT || 5006)
http.createServer((req, res) => {
  res.writeHead(200, {'content-type': 'text/plain; charset=utf-8'})
  res.end(`ok from ${process.env.DYNO || 'web'} (pid ${process.pid})\n`)
}).listen(port, () => console.log(`web listening on ${port}`))
process.on('SIGTERM', () => process.exit(0))
