// redis-worker: a minimal Redis client over node:net (RESP2), so the example needs no npm package.
// connect(REDIS_URL) authenticates with the URL's user and password; command(...args) resolves with the reply.
const net = require('net')

// One reply parsed from buf at offset i: [value, next offset], or undefined when the reply is not complete yet.
function parse(buf, i) {
  const eol = buf.indexOf('\r\n', i)
  if (eol < 0) return undefined
  const type = String.fromCharCode(buf[i])
  const line = buf.toString('utf8', i + 1, eol)
  if (type === '+') return [line, eol + 2]
  if (type === '-') return [new Error(line), eol + 2]
  if (type === ':') return [Number(line), eol + 2]
  const n = Number(line)
  if (type === '$') {
    if (n < 0) return [null, eol + 2]
    if (buf.length < eol + 2 + n + 2) return undefined
    return [buf.toString('utf8', eol + 2, eol + 2 + n), eol + 2 + n + 2]
  }
  if (type === '*') {
    if (n < 0) return [null, eol + 2]
    const items = []
    let at = eol + 2
    for (let k = 0; k < n; k++) {
      const item = parse(buf, at)
      if (!item) return undefined
      items.push(item[0])
      at = item[1]
    }
    return [items, at]
  }
  throw new Error(`unexpected reply type ${JSON.stringify(type)} from Redis`)
}

const encode = args => `*${args.length}\r\n` + args.map(a => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')

function connect(redisUrl) {
  const url = new URL(redisUrl)
  const socket = net.connect(Number(url.port || 6379), url.hostname)
  const pending = [] // {resolve, reject} in the order the commands were sent; Redis answers in that order
  let buf = Buffer.alloc(0)
  socket.on('data', chunk => {
    buf = Buffer.concat([buf, chunk])
    for (let reply = parse(buf, 0); reply; reply = parse(buf, 0)) {
      buf = buf.subarray(reply[1])
      const {resolve, reject} = pending.shift()
      reply[0] instanceof Error ? reject(reply[0]) : resolve(reply[0])
    }
  })
  const fail = error => {
    for (const p of pending.splice(0)) p.reject(error)
  }
  socket.on('error', fail)
  socket.on('close', () => fail(new Error('Redis connection closed')))
  const command = (...args) =>
    new Promise((resolve, reject) => {
      if (socket.destroyed) return reject(new Error('Redis connection closed'))
      pending.push({resolve, reject})
      socket.write(encode(args))
    })
  const password = decodeURIComponent(url.password)
  const ready = password ? command('AUTH', ...(url.username ? [decodeURIComponent(url.username)] : []), password) : Promise.resolve()
  return ready.then(() => ({command, close: () => socket.end()}))
}

module.exports = {connect}
