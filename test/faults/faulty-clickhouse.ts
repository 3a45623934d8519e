import type { ClickHouseHandle } from '@storepulse/clickhouse';

/** How an injected write failure looks to the caller. */
export type WriteFault =
  /** refused before anything reached the engine */
  | 'refused'
  /** the engine wrote the data, then the caller got an error (a reset connection): ambiguous */
  | 'after-write'
  /** the caller gave up after `timeoutMs`; the write went on and may land later: ambiguous */
  | 'timeout';

export interface FaultPlan {
  /** Share of write calls that fail while active, 0..1. */
  rate: number;
  seed: number;
  timeoutMs: number;
}

/**
 * A ClickHouse handle whose writes (client.insert, client.command, client.exec and the embedded
 * insertJsonLines) fail on a seeded share of calls while `active`, in the three ways a real server
 * fails: refused, written-then-failed, timed out with the write still running. Reads pass through.
 */
export class FaultyClickHouse {
  active = false;
  readonly injected: Record<WriteFault, number> = { refused: 0, 'after-write': 0, timeout: 0 };
  calls = 0;
  readonly handle: ClickHouseHandle;
  private s: number;

  constructor(
    real: ClickHouseHandle,
    private readonly plan: FaultPlan,
  ) {
    this.s = plan.seed;
    const wrap =
      <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
      (...a: A): Promise<R> =>
        this.call(() => fn(...a));
    const client = real.client;
    const faulty = new Proxy(client, {
      get: (target, prop, receiver) => {
        const v: unknown = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        const bound = (v as (...a: unknown[]) => unknown).bind(target);
        return prop === 'insert' || prop === 'command' || prop === 'exec'
          ? wrap(bound as (...a: unknown[]) => Promise<unknown>)
          : bound;
      },
    });
    const raw = real.insertJsonLines;
    this.handle = {
      client: faulty,
      mode: real.mode,
      database: real.database,
      dataDir: real.dataDir,
      version: () => real.version(),
      close: () => real.close(),
      insertJsonLines: raw ? wrap(raw) : undefined,
    };
  }

  private random(): number {
    this.s = (this.s * 1_103_515_245 + 12_345) % 2 ** 31;
    return this.s / 2 ** 31;
  }

  private async call<R>(run: () => Promise<R>): Promise<R> {
    this.calls++;
    if (!this.active || this.random() >= this.plan.rate) return run();
    const r = this.random();
    const fault: WriteFault = r < 1 / 3 ? 'refused' : r < 2 / 3 ? 'after-write' : 'timeout';
    this.injected[fault]++;
    if (fault === 'refused') throw new Error('injected fault: connection refused');
    if (fault === 'after-write') {
      await run();
      throw new Error('injected fault: socket hang up after the write');
    }
    const late = run();
    late.catch(() => undefined); // lands (or not) after the caller gave up
    await new Promise((res) => setTimeout(res, this.plan.timeoutMs));
    throw new Error(`injected fault: timeout after ${this.plan.timeoutMs} ms`);
  }
}
