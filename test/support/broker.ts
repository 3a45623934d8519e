// A Kafka broker a test may kill: its own single-node broker (infra/kafka/kafka.mjs, KRaft, the
// same jars and settings as the test broker) on its own port and data folder, so that SIGKILLing it
// does not touch the broker other tests share. `kill9()` kills the JVM (broker and controller) at
// once; `start()` brings it back on the same data folder and port, where it recovers its log.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './kafka';

const ROOT = join(__dirname, '..', '..', '..');
const SCRIPT = join(ROOT, 'infra', 'kafka', 'kafka.mjs');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class KillableBroker {
  /** `localhost:port`, for KAFKA_BROKERS. */
  readonly brokers: string[];
  /** Starts retried because the port was taken (see start). */
  bindRetries = 0;

  constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly heap = '384m',
  ) {
    this.brokers = [`localhost:${port}`];
  }

  private run(cmd: 'up' | 'down', timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const p = spawn(process.execPath, [SCRIPT, cmd], {
        env: {
          ...process.env,
          KAFKA_PORT: String(this.port),
          KAFKA_CONTROLLER_PORT: String(this.port + 1),
          KAFKA_DATA_DIR: this.dataDir,
          KAFKA_HEAP: this.heap,
          KAFKA_START_TIMEOUT_MS: String(timeoutMs),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const timer = setTimeout(() => {
        p.kill('SIGKILL');
        reject(
          new Error(`kafka.mjs ${cmd} (port ${this.port}) timed out after ${timeoutMs} ms: ${out}`),
        );
      }, timeoutMs + 10_000);
      p.once('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(out);
        else
          reject(
            new Error(
              `kafka.mjs ${cmd} (port ${this.port}, data ${this.dataDir}) exited with ${code}: ${out}`,
            ),
          );
      });
    });
  }

  /** The broker JVM's pid while it runs (from its pid file), else null. */
  pid(): number | null {
    const f = join(this.dataDir, 'broker.pid');
    if (!existsSync(f)) return null;
    const pid = Number(readFileSync(f, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : null;
  }

  /**
   * Starts it (formats the folder on first use) and waits until it answers metadata; returns the ms.
   * The test ports lie in the kernel's ephemeral range: a client reconnecting to the dead port can
   * be handed that very port as its source and connect to itself (TCP simultaneous open), and the
   * broker then fails to bind ("Address already in use"). Such a start is retried (up to 5 times).
   */
  async start(timeoutMs = 120_000): Promise<number> {
    const t0 = Date.now();
    const log = join(this.dataDir, 'broker.log');
    for (let attempt = 1; ; attempt++) {
      const from = existsSync(log) ? statSync(log).size : 0;
      try {
        await this.run('up', timeoutMs);
        break;
      } catch (e) {
        const tail = existsSync(log) ? readFileSync(log).subarray(from).toString('utf8') : '';
        if (attempt >= 5 || !tail.includes('Address already in use')) throw e;
        this.bindRetries++;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
    if (this.pid() === null)
      throw new Error(`broker on port ${this.port} reported up but its pid file names no process`);
    return Date.now() - t0;
  }

  /** SIGKILLs the JVM (no shutdown hook, no flush) and waits until the process is gone. */
  async kill9(): Promise<void> {
    const pid = this.pid();
    if (pid === null) throw new Error(`broker on port ${this.port} is not running`);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => Promise.resolve(!alive(pid)), 15_000, `broker pid ${pid} gone`, 50);
  }

  /** Clean stop (SIGTERM, then SIGKILL after 30 s); a no-op when it is not running. */
  async stop(): Promise<void> {
    if (this.pid() !== null) await this.run('down', 40_000);
  }
}
