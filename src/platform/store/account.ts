// The platform's one user account (the local developer): every release and build records it as its author.
import {randomUUID} from 'node:crypto'

import type {Connection} from './connection.js'

export const LOCAL_USER_EMAIL = 'dev@ferry.local'

export interface AccountRecord {createdAt: string; email: string; id: string; name: string | null; updatedAt: string}

export class AccountRepository {
  constructor(private readonly conn: Connection) {}

  get(): AccountRecord {
    const row = this.conn.sql('SELECT * FROM account ORDER BY created_at LIMIT 1').get() as any
    return {createdAt: row.created_at, email: row.email, id: row.id, name: row.name, updatedAt: row.updated_at}
  }

  /** Creates the account on a new database. */
  ensure(): void {
    this.conn.transaction(() => {
      const exists = this.conn.sql('SELECT 1 FROM account LIMIT 1').get()
      if (exists) return
      const at = this.conn.timestamp()
      this.conn.sql('INSERT INTO account (id, email, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(randomUUID(), LOCAL_USER_EMAIL, 'Local Developer', at, at)
    })
  }
}
