// A Supervisor that runs nothing: placeholder until the real supervisor (D). Converge calls are accepted and ignored.
import type {OneOffHandle, Supervisor, WebTarget} from '../context.js'

import {StoreError} from '../store/errors.js'

export class NullSupervisor implements Supervisor {
  converges: string[] = []

  async converge(appId: string): Promise<void> {
    this.converges.push(appId)
  }

  async convergeAll(): Promise<void> {}

  dynos(): [] {
    return []
  }

  async restart(): Promise<void> {}

  async shutdown(): Promise<void> {}

  async startOneOff(): Promise<OneOffHandle> {
    throw new StoreError('conflict', 'This platform cannot run dynos yet (no supervisor).')
  }

  async stop(): Promise<void> {}

  webTargets(): WebTarget[] {
    return []
  }
}

export function createNullSupervisor(): NullSupervisor {
  return new NullSupervisor()
}
