// PerSkuWorkerPool: the PerSkuFitter adapter over node:worker_threads. A fit() call is cut into
// batches of `batchSkus` jobs; every idle worker takes the next batch from one FIFO queue (so a
// slow SKU does not hold the others back), and the call resolves when all its batches are back, in
// job order. Workers start at the first call, are unref'd while idle (an idle pool never keeps the
// process alive) and are terminated by close(). Errors are never swallowed: a model error in a
// worker rejects the call with the SKU and method named; a worker that dies (uncaught error, exit)
// rejects the call with the SKUs of its batch named, and is replaced for the next batches.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '@storepulse/observability';
import {
  PerSkuFitError,
  type PerSkuFitJob,
  type PerSkuFitProgress,
  type PerSkuFitSettings,
  type PerSkuFitter,
} from './per-sku-fit';
import {
  isPerSkuWorkerReply,
  unpackForecasts,
  type PerSkuWorkerReply,
  type PerSkuWorkerRequest,
} from './per-sku-protocol';
import type { Forecast } from './types';

/** The compiled worker script beside this module (dist/libs/ml/src/forecast/per-sku.worker.js). */
export const PER_SKU_WORKER_PATH = join(__dirname, 'per-sku.worker.js');

export interface PerSkuWorkerPoolOptions {
  /** Worker threads (≥ 1). */
  size: number;
  /** Jobs per message to a worker (default 25): small enough to balance, large enough to be cheap. */
  batchSkus?: number;
  /** The worker script (default PER_SKU_WORKER_PATH; tests pass a crashing one). */
  workerPath?: string;
  log?: Logger;
}

/** fit() was called after close(), or close() ended the call. */
export class PerSkuPoolClosedError extends Error {
  constructor(detail: string) {
    super(`per-SKU worker pool closed: ${detail}`);
    this.name = 'PerSkuPoolClosedError';
  }
}

interface Call {
  jobs: readonly PerSkuFitJob[];
  settings: PerSkuFitSettings;
  results: (Forecast[] | undefined)[];
  batchesLeft: number;
  done: number;
  failed: boolean;
  onProgress: PerSkuFitProgress | undefined;
  resolve: (r: Forecast[][]) => void;
  reject: (e: Error) => void;
}

interface Batch {
  call: Call;
  /** Index of the batch's first job in call.jobs. */
  first: number;
  jobs: readonly PerSkuFitJob[];
}

interface Slot {
  index: number;
  worker: Worker;
  batch: Batch | null;
  requestId: number;
  /** Set once the worker has failed: its exit must not report the batch twice. */
  dead: boolean;
}

const MAX_SKUS_NAMED = 5;

function namedSkus(jobs: readonly PerSkuFitJob[]): string {
  const names = jobs.slice(0, MAX_SKUS_NAMED).map((j) => `'${j.sku}'`);
  return jobs.length > MAX_SKUS_NAMED
    ? `${names.join(', ')} and ${jobs.length - MAX_SKUS_NAMED} more`
    : names.join(', ');
}

export class PerSkuWorkerPool implements PerSkuFitter {
  readonly threads: number;
  private readonly batchSkus: number;
  private readonly workerPath: string;
  private readonly slots: Slot[] = [];
  private readonly queue: Batch[] = [];
  private readonly calls = new Set<Call>();
  private nextRequest = 1;
  private nextWorker = 1;
  private closed = false;
  /** Workers started and replaced (crashes), for the status and tests. */
  readonly stats = { started: 0, crashed: 0 };

  constructor(private readonly opts: PerSkuWorkerPoolOptions) {
    if (!Number.isInteger(opts.size) || opts.size < 1)
      throw new RangeError(`PerSkuWorkerPool: size must be an integer ≥ 1, got ${opts.size}`);
    const b = opts.batchSkus ?? 25;
    if (!Number.isInteger(b) || b < 1)
      throw new RangeError(`PerSkuWorkerPool: batchSkus must be an integer ≥ 1, got ${b}`);
    this.threads = opts.size;
    this.batchSkus = b;
    this.workerPath = opts.workerPath ?? PER_SKU_WORKER_PATH;
  }

  fit(
    jobs: readonly PerSkuFitJob[],
    settings: PerSkuFitSettings,
    onProgress?: PerSkuFitProgress,
  ): Promise<Forecast[][]> {
    if (this.closed) return Promise.reject(new PerSkuPoolClosedError('fit() after close()'));
    if (jobs.length === 0) return Promise.resolve([]);
    return new Promise<Forecast[][]>((resolve, reject) => {
      const call: Call = {
        jobs,
        settings,
        results: new Array<Forecast[] | undefined>(jobs.length),
        batchesLeft: 0,
        done: 0,
        failed: false,
        onProgress,
        resolve,
        reject,
      };
      for (let first = 0; first < jobs.length; first += this.batchSkus) {
        this.queue.push({ call, first, jobs: jobs.slice(first, first + this.batchSkus) });
        call.batchesLeft++;
      }
      this.calls.add(call);
      this.pump();
    });
  }

  /** Terminates every worker; calls in progress reject with PerSkuPoolClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    for (const call of this.calls)
      this.fail(
        call,
        new PerSkuPoolClosedError(`${call.done} of ${call.jobs.length} SKUs were fitted`),
      );
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
    if (slots.length > 0)
      this.opts.log?.info({ workers: slots.length }, 'per-SKU fit workers terminated');
  }

  private pump(): void {
    while (!this.closed && this.queue.length > 0) {
      let slot = this.slots.find((s) => s.batch === null && !s.dead);
      if (!slot && this.slots.length < this.threads) slot = this.spawn();
      if (!slot) return;
      const batch = this.queue.shift();
      if (!batch) return;
      if (batch.call.failed) continue;
      const req: PerSkuWorkerRequest = {
        id: this.nextRequest++,
        settings: batch.call.settings,
        jobs: [...batch.jobs],
      };
      slot.batch = batch;
      slot.requestId = req.id;
      slot.worker.ref();
      slot.worker.postMessage(req);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(this.workerPath);
    const slot: Slot = { index: this.nextWorker++, worker, batch: null, requestId: 0, dead: false };
    this.stats.started++;
    worker.on('message', (m: unknown) => this.onReply(slot, m));
    worker.on('error', (e: Error) => this.onDeath(slot, `failed: ${e.message}`, e));
    worker.on('exit', (code: number) => this.onDeath(slot, `exited with code ${code}`, null));
    this.slots.push(slot);
    if (this.stats.started <= this.threads)
      this.opts.log?.debug({ worker: slot.index, of: this.threads }, 'per-SKU fit worker started');
    return slot;
  }

  private onReply(slot: Slot, m: unknown): void {
    const batch = slot.batch;
    if (!isPerSkuWorkerReply(m) || batch === null || m.id !== slot.requestId) {
      this.onDeath(slot, 'sent a reply that does not answer its batch', null);
      void slot.worker.terminate();
      return;
    }
    slot.batch = null;
    slot.worker.unref();
    this.settle(batch, m);
    this.pump();
  }

  private settle(batch: Batch, m: PerSkuWorkerReply): void {
    const call = batch.call;
    if (call.failed) return;
    if (!m.ok) {
      const cause = new Error(m.message);
      cause.name = m.errorName;
      cause.stack = m.stack;
      this.fail(call, new PerSkuFitError(m.sku, m.method, m.message, { cause }));
      return;
    }
    let fcs: Forecast[][];
    try {
      fcs = unpackForecasts(m.out, batch.jobs, call.settings.horizon);
    } catch (e) {
      this.fail(
        call,
        new PerSkuFitError(batch.jobs[0].sku, null, e instanceof Error ? e.message : String(e), {
          cause: e,
        }),
      );
      return;
    }
    fcs.forEach((f, i) => (call.results[batch.first + i] = f));
    call.done += fcs.length;
    call.batchesLeft--;
    call.onProgress?.(call.done, call.jobs.length);
    if (call.batchesLeft === 0) {
      this.calls.delete(call);
      const out: Forecast[][] = [];
      for (let i = 0; i < call.results.length; i++) {
        const r = call.results[i];
        if (r === undefined) {
          call.reject(new PerSkuFitError(call.jobs[i].sku, null, 'no result from the workers'));
          return;
        }
        out.push(r);
      }
      call.resolve(out);
    }
  }

  private onDeath(slot: Slot, what: string, cause: Error | null): void {
    if (slot.dead) return;
    slot.dead = true;
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    if (this.closed) return;
    this.stats.crashed++;
    const batch = slot.batch;
    slot.batch = null;
    this.opts.log?.warn(
      { worker: slot.index, err: cause ?? undefined, skus: batch ? batch.jobs.length : 0 },
      `per-SKU fit worker ${what}; it is replaced for the next batches`,
    );
    if (batch && !batch.call.failed)
      this.fail(
        batch.call,
        new PerSkuFitError(
          batch.jobs[0].sku,
          null,
          `worker thread ${slot.index} ${what} while fitting SKUs ${namedSkus(batch.jobs)}`,
          cause ? { cause } : undefined,
        ),
      );
    this.pump();
  }

  private fail(call: Call, e: Error): void {
    if (call.failed) return;
    call.failed = true;
    this.calls.delete(call);
    // its queued batches are dropped; those in flight finish and are ignored
    for (let i = this.queue.length - 1; i >= 0; i--)
      if (this.queue[i].call === call) this.queue.splice(i, 1);
    call.reject(e);
  }
}
