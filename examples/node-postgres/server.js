// node-postgres: a web app that stores and lists rows in its own Postgres add-on (DATABASE_URL).
// GET / lists the rows, GET /add?text=… stores one (a GET so a browser or plain curl can add rows).
const http = require('http')
const pool = require('./db')

const reply = (res, status, body) => {
  res.writeHead(status, {'Content-Type': 'application/json'})
  res.end(JSON.stringify(body) + '\n')
}

http
  .createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost')
    try {
      if (url.pathname === '/add') {
        const text = url.searchParams.get('text')
        if (!text) return reply(res, 400, {error: 'pass ?text=…'})
        const {rows} = await pool.query('INSERT INTO items (text) VALUES ($1) RETURNING id, text', [text])
        return reply(res, 201, rows[0])
      }

      const {rows} = await pool.query('SELECT id, text FROM items ORDER BY id')
      reply(res, 200, {dyno: process.env.DYNO, items: rows})
    } catch (error) {
      reply(res, 503, {error: error.message})
    }
  })
  .listen(process.env.PORT || 5000, () => console.log(`node-postgres listening on ${process.env.PORT} (dyno ${process.env.DYNO})`))
