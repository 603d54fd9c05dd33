// node-engines: engines.node "18.x" on a Node 20 platform; GET / answers the node that runs the dyno and built the slug.
const http = require('node:http')
const fs = require('node:fs')

const built = `${__dirname}/built-with.txt` // written by the build script (npm run build), with the build's node
const builtWith = fs.existsSync(built) ? fs.readFileSync(built, 'utf8') : null
http.createServer((req, res) => res.end(JSON.stringify({builtWith, execPath: process.execPath, running: process.version}))).listen(process.env.PORT || 5006)
