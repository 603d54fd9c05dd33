// Backends for the router bench: `http.createServer((q,r)=>r.end('ok'))` on the given ports (MEASUREMENTS.md §1).
import http from 'node:http'
for (const port of process.argv.slice(2).map(Number)) http.createServer((q, r) => r.end('ok')).listen(port, '127.0.0.1')
