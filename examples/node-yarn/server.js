// node-yarn: installed by yarn 1 from yarn.lock (corepack); GET / answers what yarn's integrity file says it installed.
const http = require('node:http')
const {readFileSync} = require('node:fs')
const ms = require('ms')

const integrity = JSON.parse(readFileSync(`${__dirname}/node_modules/.yarn-integrity`, 'utf8'))
http.createServer((req, res) => {
  res.writeHead(200, {'content-type': 'application/json'})
  res.end(JSON.stringify({installedByYarn: Object.keys(integrity.lockfileEntries), oneMinute: ms(60_000)}))
}).listen(Number(process.env.PORT || 5006))
