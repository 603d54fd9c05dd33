// broken-build: never deployed successfully — its `npm run build` exits 1 on purpose.
'use strict'
require('node:http').createServer((req, res) => res.end('unreachable\n')).listen(Number(process.env.PORT || 5006))
