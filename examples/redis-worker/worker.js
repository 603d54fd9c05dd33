// redis-worker (worker): takes jobs off the `jobs` list in Redis (REDIS_URL) with BRPOP, computes fibonacci(n)
// and stores {n, fibonacci, by} under result:<n>, where the web dyno reads it.
const {connect} = require('./resp')

const fibonacci = n => {
  let [a, b] = [0n, 1n]
  for (let i = 0; i < n; i++) [a, b] = [b, a + b]
  return a
}

async function main() {
  const client = await connect(process.env.REDIS_URL)
  console.log(`${process.env.DYNO}: waiting for jobs`)
  for (;;) {
    const [, job] = await client.command('BRPOP', 'jobs', 0) // blocks until a job arrives
    const n = Number(job)
    const result = {n, fibonacci: fibonacci(n).toString(), by: process.env.DYNO}
    await client.command('SET', `result:${n}`, JSON.stringify(result))
    console.log(`${process.env.DYNO}: job ${n} done`)
  }
}

// Redis gone (server restarted, URL changed in a new release): exit, and the platform restarts the dyno.
main().catch(error => {
  console.error(`worker: ${error.message}`)
  process.exit(1)
})
