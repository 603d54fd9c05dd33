// redis-worker (web): enqueues jobs on Redis (REDIS_URL) for the worker dyno and shows what the worker stored.
// GET /enqueue?n=… LPUSHes job n onto the `jobs` list; GET /result?n=… answers the worker's result, 404 until it is there.
const http = require('http')
const {connect} = require('./resp')

const reply = (res, status, body) => {
  res.writeHead(status, {'Content-Type': 'application/json'})
  res.end(JSON.stringify(body) + '\n')
}

const redis = connect(process.env.REDIS_URL)
redis.catch(error => {
  console.error(`web: cannot reach Redis: ${error.message}`)
  process.exit(1)
})

http
  .createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost')
    const n = url.searchParams.get('n')
    try {
      if (url.pathname === '/enqueue' || url.pathname === '/result') {
        if (!/^\d{1,4}$/.test(n ?? '')) return reply(res, 400, {error: 'pass ?n=<an integer from 0 to 9999>'})
        const client = await redis
        if (url.pathname === '/enqueue') return reply(res, 202, {queued: Number(n), waiting: await client.command('LPUSH', 'jobs', n)})
        const result = await client.command('GET', `result:${n}`)
        return result === null ? reply(res, 404, {n: Number(n), status: 'pending'}) : reply(res, 200, JSON.parse(result))
      }
      reply(res, 404, {error: 'try /enqueue?n=30 then /result?n=30'})
    } catch (error) {
      reply(res, 503, {error: error.message})
    }
  })
  .listen(process.env.PORT || 5000, () => console.log(`web: listening on ${process.env.PORT || 5000}`))
