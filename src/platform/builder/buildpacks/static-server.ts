// The static file server copied into static-site slugs (`.ferry/static-server.mjs`). It must run with nothing but
// node inside the dyno sandbox, so it is plain JavaScript with Node built-ins only.
export const STATIC_SERVER_PATH = '.ferry/static-server.mjs'

export const STATIC_SERVER_SOURCE = String.raw`// ferry static file server: node .ferry/static-server.mjs [ROOT]; listens on 127.0.0.1:$PORT
// (loopback only: the router reaches dynos there, and nothing else on the network should).
import {createReadStream} from 'node:fs'
import {stat} from 'node:fs/promises'
import {createServer} from 'node:http'
import {extname, join, resolve, sep} from 'node:path'

const root = resolve(process.argv[2] || '.')
const port = Number(process.env.PORT || 5000)
const types = {
  '.css': 'text/css; charset=utf-8', '.gif': 'image/gif', '.htm': 'text/html; charset=utf-8', '.html': 'text/html; charset=utf-8',
  '.ico': 'image/x-icon', '.jpeg': 'image/jpeg', '.jpg': 'image/jpeg', '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json', '.map': 'application/json', '.mjs': 'text/javascript; charset=utf-8', '.pdf': 'application/pdf',
  '.png': 'image/png', '.svg': 'image/svg+xml', '.txt': 'text/plain; charset=utf-8', '.wasm': 'application/wasm',
  '.webp': 'image/webp', '.woff': 'font/woff', '.woff2': 'font/woff2', '.xml': 'application/xml',
}

async function find(urlPath) {
  let rel
  try {
    rel = decodeURIComponent(urlPath.split('?')[0])
  } catch {
    return undefined
  }
  const file = resolve(join(root, rel))
  if (file !== root && !file.startsWith(root + sep)) return undefined
  try {
    const info = await stat(file)
    if (info.isFile()) return {file, info}
    if (info.isDirectory()) {
      const index = join(file, 'index.html')
      const indexInfo = await stat(index)
      if (indexInfo.isFile()) return {file: index, info: indexInfo}
    }
  } catch {}
  return undefined
}

const server = createServer(async (req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, {Allow: 'GET, HEAD', 'Content-Type': 'text/plain'})
    res.end('Method Not Allowed\n')
    return
  }
  const found = await find(req.url || '/')
  if (!found) {
    const notFound = await find('/404.html')
    res.writeHead(404, {'Content-Type': 'text/html; charset=utf-8'})
    if (notFound && req.method === 'GET') createReadStream(notFound.file).pipe(res)
    else res.end(req.method === 'HEAD' ? undefined : 'Not Found\n')
    return
  }
  res.writeHead(200, {
    'Content-Length': found.info.size,
    'Content-Type': types[extname(found.file).toLowerCase()] || 'application/octet-stream',
    'Last-Modified': found.info.mtime.toUTCString(),
  })
  if (req.method === 'HEAD') res.end()
  else createReadStream(found.file).on('error', () => res.destroy()).pipe(res)
})

server.listen(port, '127.0.0.1', () => console.log('static site from ' + root + ' listening on ' + port))
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)))
`
