import { resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { Session, drainPending } from 'chdb';
import { engineFailure, type EngineFailure, type SimpleInsert } from './protocol';

/** Counters of one statement, for X-ClickHouse-Summary. */
export interface StatementSummary {
  readRows: number;
  readBytes: number;
  writtenRows: number;
  writtenBytes: number;
  resultBytes: number;
  elapsedNs: number;
}

export type EngineStatement =
  | { kind: 'query'; prefix: string[]; sql: string; format: string }
  | { kind: 'insert'; prefix: string[]; insert: SimpleInsert; body: Buffer };

export interface EngineOutcome {
  body: Buffer;
  summary: StatementSummary;
}

/** Raised for a statement the engine refused; carries ClickHouse's code, type and text. */
export class EngineError extends Error {
  constructor(readonly failure: EngineFailure) {
    super(failure.text);
    this.name = 'EngineError';
  }
}

/**
 * The embedded engine (chdb) behind the gateway: one data directory, a fresh engine session per
 * statement (its own current database, settings and query parameters, so concurrent requests never
 * see each other's state; opening one costs ~0.5 ms), at most `maxConcurrency` statements at once
 * (the rest wait their turn in arrival order).
 */
export class GatewayEngine {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private closed = false;

  private constructor(
    readonly dataDir: string,
    private readonly base: Session,
    readonly version: string,
    readonly timezone: string,
    private readonly maxConcurrency: number,
  ) {}

  static async open(dataDir: string, maxConcurrency: number): Promise<GatewayEngine> {
    const dir = resolve(dataDir);
    mkdirSync(dir, { recursive: true });
    const base = new Session(dir);
    try {
      const r = await base.queryAsync('SELECT version() AS v, timezone() AS tz', {
        format: 'JSONEachRow',
      });
      const row = r.json<{ v: string; tz: string }>();
      return new GatewayEngine(dir, base, row.v, row.tz, maxConcurrency);
    } catch (e) {
      base.close();
      throw e;
    }
  }

  /** Statements running or waiting. */
  load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }

  async run(stmt: EngineStatement): Promise<EngineOutcome> {
    if (this.closed) throw new EngineError(engineFailure('the gateway is shutting down'));
    await this.acquire();
    const session = new Session(this.dataDir);
    try {
      const prefix = stmt.prefix.join('; ');
      if (stmt.kind === 'insert') {
        await session.queryAsync(prefix);
        if (stmt.body.length === 0) return { body: Buffer.alloc(0), summary: empty() };
        const s = await session.insert({
          table: stmt.insert.table,
          values: stmt.body,
          format: stmt.insert.format,
          ...(stmt.insert.columns ? { columns: stmt.insert.columns } : {}),
        });
        return {
          body: Buffer.alloc(0),
          summary: {
            ...empty(),
            readRows: s.rowsSent ?? s.rowsWritten,
            readBytes: s.bytesSent,
            writtenRows: s.rowsWritten,
            writtenBytes: s.bytesWritten,
            elapsedNs: Math.round(s.elapsed * 1e9),
          },
        };
      }
      const r = await session.queryAsync(`${prefix}; ${stmt.sql}`, { format: stmt.format });
      const bytes = r.bytes();
      const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return {
        body,
        summary: {
          ...empty(),
          readRows: r.rowsRead,
          readBytes: r.bytesRead,
          resultBytes: body.length,
          elapsedNs: Math.round(r.elapsed * 1e9),
        },
      };
    } catch (e) {
      if (e instanceof EngineError) throw e;
      throw new EngineError(engineFailure(e instanceof Error ? e.message : String(e)));
    } finally {
      session.close();
      this.release();
    }
  }

  /** Refuses new statements, waits for the running ones, closes the engine. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const deadline = Date.now() + 30_000;
    while ((this.active > 0 || this.waiting.length > 0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await drainPending();
    this.base.close();
  }

  private acquire(): Promise<void> {
    if (this.active < this.maxConcurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolveTurn) =>
      this.waiting.push(() => {
        this.active++;
        resolveTurn();
      }),
    );
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }
}

function empty(): StatementSummary {
  return {
    readRows: 0,
    readBytes: 0,
    writtenRows: 0,
    writtenBytes: 0,
    resultBytes: 0,
    elapsedNs: 0,
  };
}
