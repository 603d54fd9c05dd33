// The release phase (Procfile `release:`): runs once per deploy before the new release serves traffic.
const pool = require('./db')

pool
  .query('CREATE TABLE IF NOT EXISTS items (id serial PRIMARY KEY, text text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())')
  .then(() => {
    console.log('migrate: table items is ready')
    return pool.end()
  })
  .catch(error => {
    console.error(`migrate: ${error.message}`)
    process.exit(1)
  })
