// The store's one SQLite connection: opening it (pragmas, migrations), the ONE transaction helper every repository's
// mutation runs in, and the prepared-statement cache (each SQL text is compiled once per connection, not per call).
import type BetterSqlite3 from 'better-sqlite3'

import {mkdirSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname} from 'node:path'

import {isoTimestamp} from '../time.js'
import {migrate} from './migrations.js'

// better-sqlite3 is CommonJS: require() it. An ESM `import` would first run Node's CommonJS export lexer over it,
// which loads and compiles the lexer for this one module (~1 MB of daemon RSS).
const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3

export type Statement = BetterSqlite3.Statement

export class Connection {
  readonly db: BetterSqlite3.Database
  /** Compiled statements by SQL text. Every text is a constant of the repositories (values are always bound). */
  private readonly statements = new Map<string, Statement>()
  /** One transaction function for all: better-sqlite3 runs a nested call as a SAVEPOINT of the outer transaction. */
  private readonly tx: BetterSqlite3.Transaction<(fn: () => unknown) => unknown>

  constructor(
    dbPath: string,
    readonly now: () => Date,
  ) {
    mkdirSync(dirname(dbPath), {recursive: true})
    this.db = new Database(dbPath)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('foreign_keys = ON')
    this.db.pragma('busy_timeout = 5000')
    this.db.pragma('synchronous = NORMAL')
    migrate(this.db)
    this.tx = this.db.transaction((fn: () => unknown) => fn())
  }

  close(): void {
    this.statements.clear()
    this.db.close()
  }

  /** Runs fn in one IMMEDIATE transaction (takes the write lock up front, so read-then-write is safe across connections). */
  transaction<T>(fn: () => T): T {
    return this.tx.immediate(fn) as T
  }

  /**
   * The prepared statement for this SQL, compiled on first use. Safe to share: the repositories only call
   * run/get/all (each finishes before it returns), never iterate() (which would hold the statement busy).
   */
  sql(text: string): Statement {
    let statement = this.statements.get(text)
    if (!statement) {
      statement = this.db.prepare(text)
      this.statements.set(text, statement)
    }

    return statement
  }

  /** Now as ISO 8601 without milliseconds, like Heroku. */
  timestamp(): string {
    return isoTimestamp(this.now(), false)
  }
}
