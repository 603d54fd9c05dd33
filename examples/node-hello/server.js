// node-hello: ferry's smallest web app — answers with its DYNO, the GREETING config var and its pid.
'use strict'
const http = require('node:http')
const ms = require('ms')

const port = Number(process.env.PORT || 5006)
const started = Date.now()

const server = http.createServer((req, res) => {
  const body = {
    message: `${process.env.GREETING || 'Hello'} from ${process.env.DYNO || 'node-hello'}`,
    dyno: process.env.DYNO || null,
    greeting: process.env.GREETING || null,
    pid: process.pid,
    uptime: ms(Date.now() - started),
    path: req.url,
  }
  const accept = String(req.headers.accept || '')
  if (accept.includes('text/plain')) {
    res.writeHead(200, {'content-type': 'text/plain; charset=utf-8'})
    res.end(`${body.message} (pid ${body.pid}, up ${body.uptime})\n`)
    return
  }
  res.writeHead(200, {'content-type': 'application/json; charset=utf-8'})
  res.end(JSON.stringify(body) + '\n')
})

server.listen(port, () => {
  console.log(`node-hello listening on ${port} (dyno ${process.env.DYNO || '-'}, pid ${process.pid})`)
})

// Heroku stops dynos with SIGTERM: close the server and exit cleanly.
process.on('SIGTERM', () => {
  console.log('node-hello received SIGTERM, shutting down')
  server.close(() => process.exit(0))
  setTimeout(() => process.exit(0), 2000).unref()
})
