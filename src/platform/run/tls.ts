// A self-signed certificate for the rendezvous listener (`IP:127.0.0.1`, `DNS:localhost`): the official heroku
// CLI speaks TLS to attach URLs and verifies them (trust it with NODE_EXTRA_CA_CERTS=<dataDir>/run/tls/cert.pem).
import {execFile} from 'node:child_process'
import {existsSync, mkdirSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import path from 'node:path'

export interface TlsMaterial {
  cert: Buffer
  certPath: string
  key: Buffer
}

/** Where the platform's certificate lives (trust it with NODE_EXTRA_CA_CERTS / git's sslCAInfo = <dir>/cert.pem). */
export const certificateDir = (dataDir: string) => path.join(dataDir, 'run', 'tls')

const made = new Map<string, Promise<TlsMaterial | undefined>>()

/**
 * Reads `<dir>/cert.pem` + `key.pem`, generating them with openssl on first use; undefined when that fails. One
 * promise per dir in a process: the API port and the rendezvous listener never generate two different pairs.
 */
export function ensureCertificate(dir: string): Promise<TlsMaterial | undefined> {
  let material = made.get(dir)
  if (!material) {
    material = loadOrMake(dir)
    made.set(dir, material)
    // A failure is not remembered: the next caller tries again.
    void material.then(m => m === undefined && made.delete(dir))
  }

  return material
}

async function loadOrMake(dir: string): Promise<TlsMaterial | undefined> {
  const certPath = path.join(dir, 'cert.pem')
  const keyPath = path.join(dir, 'key.pem')
  try {
    if (!existsSync(certPath) || !existsSync(keyPath)) {
      mkdirSync(dir, {mode: 0o700, recursive: true})
      await new Promise<void>((resolve, reject) => {
        const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650']
        args.push('-subj', '/CN=ferry local platform', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-addext', 'basicConstraints=critical,CA:TRUE', '-keyout', keyPath, '-out', certPath)
        execFile(
          'openssl',
          args,
          {timeout: 10_000},
          error => (error ? reject(error) : resolve()),
        )
      })
    }

    return {cert: await readFile(certPath), certPath, key: await readFile(keyPath)}
  } catch {
    return undefined
  }
}
