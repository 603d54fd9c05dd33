// One pool for the app. pg.Pool drops a connection that breaks (the database restarted) and opens a new one for the
// next query, so the app recovers from a database restart by itself.
const {Pool} = require('pg')

if (!process.env.DATABASE_URL) {
  console.error('DATABASE_URL is not set: run "ferry addons:create heroku-postgresql" first')
  process.exit(1)
}

const pool = new Pool({connectionString: process.env.DATABASE_URL, max: 4})
pool.on('error', error => console.error(`idle connection lost: ${error.message}`))
module.exports = pool
