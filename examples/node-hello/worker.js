// node-hello worker: logs a heartbeat every 2 seconds so `ferry logs` has something to show.
'use strict'
const ms = require('ms')

const started = Date.now()
let beats = 0
const name = process.env.DYNO || 'worker'

console.log(`${name} started (pid ${process.pid})`)
const timer = setInterval(() => {
  beats += 1
  console.log(`${name} heartbeat ${beats}, up ${ms(Date.now() - started)}`)
}, 2000)

process.on('SIGTERM', () => {
  clearInterval(timer)
  console.log(`${name} received SIGTERM, shutting down`)
  process.exit(0)
})
