// External tools: hyperfine (whole-command timings), wrk (HTTP load), nginx (reverse-proxy yardstick).
import fs from 'node:fs'
import path from 'node:path'

import {commandExists, killGroup, log, must, portOpen, run, spawnLogged, waitFor} from './util.js'

const PACKAGES = {hyperfine: 'hyperfine', nginx: 'nginx', wrk: 'wrk'}

/** Installs the missing tools with apt-get (Debian packages); returns the list still missing afterwards. */
export async function ensureTools(names) {
  const missing = names.filter(n => !commandExists(n) && !(n === 'nginx' && fs.existsSync('/usr/sbin/nginx')))
  if (missing.length === 0) return []
  log(`installing ${missing.join(' ')} with apt-get`)
  const env = {...process.env, DEBIAN_FRONTEND: 'noninteractive'}
  const pkgs = missing.map(n => PACKAGES[n])
  let r = await run('apt-get', ['install', '-y', '-qq', ...pkgs], {env})
  if (r.code !== 0) {
    await run('apt-get', ['update', '-qq'], {env})
    r = await run('apt-get', ['install', '-y', '-qq', ...pkgs], {env})
  }

  if (r.code !== 0) log(`apt-get install failed: ${(r.stderr || r.stdout).trim().split('\n').at(-1)}`)
  return names.filter(n => !commandExists(n) && !(n === 'nginx' && fs.existsSync('/usr/sbin/nginx')))
}

export function nginxBin() {
  return commandExists('nginx') ? 'nginx' : '/usr/sbin/nginx'
}

export async function toolVersions() {
  const v = {}
  const first = async (file, args) => {
    const r = await run(file, args)
    return (r.stdout || r.stderr).trim().split('\n')[0] || null
  }

  if (commandExists('hyperfine')) v.hyperfine = await first('hyperfine', ['--version'])
  if (commandExists('wrk')) v.wrk = (await first('wrk', ['-v']))?.replace(/ \[.*$/, '') ?? null
  if (commandExists('nginx') || fs.existsSync('/usr/sbin/nginx')) v.nginx = (await run(nginxBin(), ['-v'])).stderr.trim()
  if (commandExists('bwrap')) v.bwrap = await first('bwrap', ['--version'])
  if (commandExists('git')) v.git = await first('git', ['--version'])
  return v
}

/**
 * hyperfine over several commands in one run (side by side), no shell (-N), with warm-up.
 * commands: [{name, cmd: [file, ...args]}]. Returns {name: {median, min, max, mean, stddev, runs}} in ms.
 */
export async function hyperfine(commands, {cwd, env, exportPath, runs = 20, warmup = 3} = {}) {
  const args = ['-N', '--style', 'none', '-w', String(warmup), '-r', String(runs), '--export-json', exportPath]
  for (const c of commands) args.push('-n', c.name, c.cmd.map(a => (/[\s"'\\]/.test(a) ? `'${a.replaceAll("'", "'\\''")}'` : a)).join(' '))
  await must('hyperfine', args, {cwd, env, timeout: 30 * 60_000})
  const data = JSON.parse(fs.readFileSync(exportPath, 'utf8'))
  const out = {}
  for (const r of data.results) {
    const times = r.times.map(t => t * 1000)
    const sorted = [...times].sort((a, b) => a - b)
    out[r.command] = {
      max: sorted.at(-1),
      mean: r.mean * 1000,
      median: r.median * 1000,
      min: sorted[0],
      runs: times,
      stddev: (r.stddev ?? 0) * 1000,
    }
  }

  return out
}

/** Parses wrk --latency output. Latencies in ms. */
export function parseWrk(text) {
  const unit = (num, u) => {
    const n = Number(num)
    if (u === 'us') return n / 1000
    if (u === 's') return n * 1000
    if (u === 'm') return n * 60_000
    return n
  }

  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text)
  const lat = {}
  for (const m of text.matchAll(/^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$/gm)) lat[m[1]] = unit(m[2], m[3])
  const total = /(\d+) requests in/.exec(text)
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text)
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text)
  return {
    errors: errors ? errors.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    p50: lat['50'] ?? null,
    p99: lat['99'] ?? null,
    requests: total ? Number(total[1]) : null,
    rps: rps ? Number(rps[1]) : null,
  }
}

/** One wrk run against 127.0.0.1:port with an optional Host header. */
export async function wrk({connections = 32, durationS = 10, host, port, threads = 1}) {
  const args = [`-t${threads}`, `-c${connections}`, `-d${durationS}s`, '--latency']
  if (host) args.push('-H', `Host: ${host}`)
  args.push(`http://127.0.0.1:${port}/`)
  const r = await must('wrk', args, {timeout: (durationS + 30) * 1000})
  return parseWrk(r.stdout)
}

/** Starts nginx as a reverse proxy (MEASUREMENTS.md §1 config) on listenPort to the given backend ports. */
export async function startNginx({dir, listenPort, ports, serverName, workers = 1}) {
  fs.mkdirSync(path.join(dir, 'logs'), {recursive: true})
  const conf = `worker_processes ${workers};
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000;
  client_body_temp_path ${dir}/cb; proxy_temp_path ${dir}/pt; fastcgi_temp_path ${dir}/ft; uwsgi_temp_path ${dir}/ut; scgi_temp_path ${dir}/st;
  upstream app { ${ports.map(p => `server 127.0.0.1:${p};`).join(' ')} keepalive 64; keepalive_requests 100000; }
  server {
    listen 127.0.0.1:${listenPort} default_server;
    return 404;
  }
  server {
    listen 127.0.0.1:${listenPort};
    server_name ${serverName};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
    }
  }
}
`
  const confPath = path.join(dir, `nginx-${listenPort}.conf`)
  fs.writeFileSync(confPath, conf)
  await must(nginxBin(), ['-t', '-p', `${dir}/`, '-c', confPath])
  const child = spawnLogged(nginxBin(), ['-p', `${dir}/`, '-c', confPath, '-g', 'daemon off;'], {env: process.env, log: path.join(dir, 'logs', 'stdout.log')})
  await waitFor(() => portOpen(listenPort), {what: 'nginx to listen', timeoutMs: 10_000})
  return {
    pid: child.pid,
    stop: () => killGroup(child.pid, 3000),
  }
}
