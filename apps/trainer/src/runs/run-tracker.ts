// In-process record of training runs: ids, progress and results for GET /api/models/runs/:id, and the
// rule that one run per model name is in flight at a time (a second request gets 409).
import { randomUUID } from 'node:crypto';

export type RunStatus = 'running' | 'succeeded' | 'failed';

export interface RunProgress {
  phase: string;
  /** 0..1 over the whole run, when known. */
  fraction: number;
  detail?: Record<string, number | string>;
}

export interface RunRecord<R = unknown> {
  id: string;
  kind: string;
  model: string;
  trigger: 'schedule' | 'api' | 'first-run' | 'drift';
  /** Why the run started beyond its trigger (e.g. 'drift: feature X psi Y'); null when none. */
  reason: string | null;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  progress: RunProgress;
  result: R | null;
  error: string | null;
}

export class RunConflictError extends Error {
  constructor(
    readonly model: string,
    readonly runId: string,
  ) {
    super(`a training run for ${model} is already in progress (run ${runId})`);
    this.name = 'RunConflictError';
  }
}

export class RunTracker {
  private readonly runs = new Map<string, RunRecord>();
  private readonly active = new Map<string, string>();

  constructor(private readonly keep = 200) {}

  /** Starts `work` in the background; throws RunConflictError while a run of `model` is in flight. */
  start<R>(
    meta: { kind: string; model: string; trigger: RunRecord['trigger']; reason?: string | null },
    work: (progress: (p: RunProgress) => void) => Promise<R>,
  ): { run: RunRecord<R>; done: Promise<RunRecord<R>> } {
    const running = this.active.get(meta.model);
    if (running) throw new RunConflictError(meta.model, running);
    const run: RunRecord<R> = {
      id: randomUUID(),
      ...meta,
      reason: meta.reason ?? null,
      status: 'running',
      startedAt: new Date().toISOString(),
      finishedAt: null,
      progress: { phase: 'queued', fraction: 0 },
      result: null,
      error: null,
    };
    this.runs.set(run.id, run);
    this.active.set(meta.model, run.id);
    this.trim();
    const done = (async () => {
      try {
        run.result = await work((p) => {
          run.progress = p;
        });
        run.status = 'succeeded';
        run.progress = { ...run.progress, phase: 'done', fraction: 1 };
      } catch (e) {
        run.status = 'failed';
        run.error = e instanceof Error ? e.message : String(e);
      } finally {
        run.finishedAt = new Date().toISOString();
        this.active.delete(meta.model);
      }
      return run;
    })();
    return { run, done };
  }

  get(id: string): RunRecord | undefined {
    return this.runs.get(id);
  }

  list(): RunRecord[] {
    return [...this.runs.values()].reverse();
  }

  isRunning(model: string): boolean {
    return this.active.has(model);
  }

  private trim(): void {
    for (const [id, r] of this.runs) {
      if (this.runs.size <= this.keep) break;
      if (r.status !== 'running') this.runs.delete(id);
    }
  }
}
