#!/usr/bin/env node
// ferry's entry point. `ferry --version` and the root help (`ferry`, `ferry --help`) are answered without loading
// oclif when the answer is known to be exactly what oclif would print (bin/fast-path.js); everything else runs oclif.
import {fastPath} from './fast-path.js'

let out
try {
  out = fastPath(process.argv.slice(2))
} catch {
  out = undefined
}

if (out === undefined) {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
} else {
  process.stdout.write(out)
}
