// The all-in-one process (`dist/apps/platform/src/main.js`) as a child of an e2e test: spawned with
// an explicit environment, its own log lines kept (without kafkajs chatter and per-epoch lines) for
// failure messages, and a small HTTP client for its API.
import { spawn, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './kafka';

const ROOT = join(__dirname, '..', '..', '..');

/** The latest log lines (≤ 30,000 characters) of one or more children, with their exits. */
export class ChildOutput {
  text = '';
  append(lines: string): void {
    this.text = (this.text + lines).slice(-30_000);
  }
}

/**
 * Spawns the platform with PATH, HOME, TF_BACKEND, STATUS_LINE=false, LOG_LEVEL and `env` only (no
 * other inherited variables); its own lines go to `out` (a restarted child may share one).
 */
export function spawnPlatform(env: Record<string, string>, out: ChildOutput): ChildProcess {
  return spawnApp('platform', env, out);
}

/**
 * Spawns one app (`dist/apps/<app>/src/main.js`: platform, aggregator, simulator, trainer, scorer,
 * monitor, clickhouse-gateway) like {@link spawnPlatform}; with `label`, its lines are prefixed
 * `[label]` (several apps sharing one output).
 */
export function spawnApp(
  app: string,
  env: Record<string, string>,
  out: ChildOutput,
  label?: string,
): ChildProcess {
  const proc = spawn(
    process.execPath,
    ['--enable-source-maps', join(ROOT, 'dist', 'apps', app, 'src', 'main.js')],
    {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TF_BACKEND: process.env.TF_BACKEND ?? 'auto',
        STATUS_LINE: 'false',
        LOG_LEVEL: process.env.TEST_CHILD_LOG_LEVEL ?? 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const keep = (d: Buffer) => {
    const lines = d
      .toString()
      .split('\n')
      .filter((l) => l !== '' && !l.includes('"kafkajs"') && !l.includes('"msg":"epoch"'))
      .map((l) => (label ? `[${label}] ${l}` : l));
    out.append(lines.join('\n') + '\n');
  };
  // TEST_CHILD_LOG_DIR: every line of every child (kafkajs' included) in <dir>/<app>-<pid>.log, for
  // diagnosis (e.g. the timestamps of reconnects in fault case 2)
  const logDir = process.env.TEST_CHILD_LOG_DIR;
  if (logDir) {
    mkdirSync(logDir, { recursive: true });
    const file = createWriteStream(join(logDir, `${label ?? app}-${proc.pid}.log`));
    proc.stdout?.pipe(file);
    proc.stderr?.pipe(file);
  }
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  proc.on('exit', (code, signal) =>
    out.append(`\n[${label ?? 'child'} exited: code ${code}, signal ${signal}]\n`),
  );
  return proc;
}

export interface PlatformHttp {
  /** fetch, retried on a connection reset (a keep-alive socket closed by the busy child). */
  call: (path: string, init?: RequestInit) => Promise<Response>;
  /** GET that must answer 200; the parsed JSON body. */
  get: <T>(path: string) => Promise<T>;
  post: (path: string, body: unknown) => Promise<Response>;
  /** Waits until /health answers 200. */
  up: (timeoutMs?: number) => Promise<void>;
}

export function platformHttp(base: string): PlatformHttp {
  const call = async (path: string, init?: RequestInit): Promise<Response> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fetch(base + path, init);
      } catch (e) {
        if (attempt >= 4) throw e;
        await new Promise((r) => setTimeout(r, 250 * attempt));
      }
    }
  };
  return {
    call,
    get: async <T>(path: string): Promise<T> => {
      const r = await call(path);
      assert.equal(r.status, 200, `${path}: ${r.status} ${await r.clone().text()}`);
      return (await r.json()) as T;
    },
    post: (path: string, body: unknown) =>
      call(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    up: (timeoutMs = 120_000) =>
      waitFor(
        async () => {
          try {
            return (await fetch(`${base}/health`)).status === 200;
          } catch {
            return false;
          }
        },
        timeoutMs,
        'platform /health',
        300,
      ),
  };
}
