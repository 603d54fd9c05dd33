// release-phase web: a Node built-ins server; the interesting part is the Procfile's `release:` line.
import http from 'node:http'

const port = Number(process.env.PORT || 5006)
http.createServer((req, res) => {
  res.writeHead(200, {'content-type': 'text/plain; charset=utf-8'})
  res.end(`release-phase ${process.env.DYNO || 'web'}\n`)
}).listen(port, () => console.log(`release-phase listening on ${port}`))
process.on('SIGTERM', () => process.exit(0))
