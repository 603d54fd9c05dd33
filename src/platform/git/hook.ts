// The pre-receive hook installed in every app repository. git runs it inside `git http-backend` with the CGI
// environment ferry set up: it posts the ref updates (and git's quarantine paths) to the daemon over loopback with
// the push's one-time secret, prints the streamed build output (git shows it as `remote:` lines) and exits with
// the status the daemon sends last.
export const HOOK_EXIT_MARKER = '\u0000ferry-exit '

export function preReceiveHookSource(nodePath: string): string {
  return `#!${nodePath}
// ferry pre-receive hook (generated; rewritten by the platform).
'use strict'
const http = require('node:http')
const chunks = []
process.stdin.on('data', chunk => chunks.push(chunk))
process.stdin.on('end', () => {
  const env = {}
  for (const key of ['GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_QUARANTINE_PATH']) {
    if (process.env[key]) env[key] = process.env[key]
  }
  const body = JSON.stringify({env, refs: Buffer.concat(chunks).toString('utf8')})
  const fail = message => {
    process.stdout.write(' !     ' + message + '\\n')
    process.exit(1)
  }
  if (!process.env.FERRY_HOOK_URL || !process.env.FERRY_PUSH_SECRET) fail('This repository only accepts pushes through the ferry platform.')
  const req = http.request(process.env.FERRY_HOOK_URL, {
    headers: {'content-length': Buffer.byteLength(body), 'content-type': 'application/json', 'x-ferry-push-secret': process.env.FERRY_PUSH_SECRET},
    method: 'POST',
  }, res => {
    let rest = ''
    let code = 1
    res.setEncoding('utf8')
    const handle = line => {
      if (line.startsWith(${JSON.stringify(HOOK_EXIT_MARKER)})) code = Number(line.slice(${HOOK_EXIT_MARKER.length})) || 0
      else process.stdout.write(line + '\\n')
    }
    res.on('data', chunk => {
      rest += chunk
      const lines = rest.split('\\n')
      rest = lines.pop()
      for (const line of lines) handle(line)
    })
    res.on('end', () => {
      if (rest) handle(rest)
      if (res.statusCode !== 200) code = 1
      process.exitCode = code
    })
    res.on('error', error => fail('Lost the connection to the ferry platform: ' + error.message))
  })
  req.on('error', error => fail('Cannot reach the ferry platform: ' + error.message))
  req.end(body)
})
`
}
