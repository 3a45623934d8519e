// A child-process harness for crash tests: spawns a node entry (compiled test/support/*-child.js),
// waits for its READY line, keeps its latest `COUNTERS {json}` line, and kills it (SIGKILL or SIGTERM).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ChildOptions {
  /** Absolute path of the compiled entry script. */
  script: string;
  /** Arguments after the script (e.g. one JSON settings string). */
  args?: string[];
  /** Extra environment; the parent's environment is inherited. */
  env?: Record<string, string>;
  /** How long to wait for READY (default 60 s). */
  readyTimeoutMs?: number;
  /** Called with every other stdout line (e.g. the child's JSON log lines). */
  onLine?: (line: string) => void;
}

export interface ChildHandle<C> {
  proc: ChildProcess;
  /** Resolves on the child's READY line; rejects if it exits first or the timeout passes. */
  ready: Promise<void>;
  /** The last COUNTERS line, parsed. */
  last(): C | undefined;
  /** Resolves when the child has exited (with its code or signal). */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Children still running, so a failing test can kill them all (`killAllChildren` in `after`). */
const running = new Set<ChildProcess>();

export function startChild<C = unknown>(o: ChildOptions): ChildHandle<C> {
  const proc = spawn(process.execPath, ['--enable-source-maps', o.script, ...(o.args ?? [])], {
    env: { ...process.env, ...(o.env ?? {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  running.add(proc);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    proc.once('exit', (code, signal) => {
      running.delete(proc);
      r({ code, signal });
    }),
  );
  let last: C | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${o.script}: no READY within ${o.readyTimeoutMs ?? 60_000} ms`)),
      o.readyTimeoutMs ?? 60_000,
    );
    void exit.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${o.script} exited before READY (code ${code}, signal ${signal})`));
    });
    createInterface({ input: proc.stdout }).on('line', (line) => {
      if (line === 'READY') {
        clearTimeout(timer);
        resolve();
      } else if (line.startsWith('COUNTERS ')) last = JSON.parse(line.slice(9)) as C;
      else o.onLine?.(line);
    });
  });
  ready.catch(() => undefined); // observed by the caller; never an unhandled rejection
  return {
    proc,
    ready,
    last: () => last,
    exited: () => exit,
    kill: (signal) => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exit;
    },
  };
}

/** SIGKILLs every child started by startChild that is still running. */
export function killAllChildren(): void {
  for (const p of running) p.kill('SIGKILL');
}
