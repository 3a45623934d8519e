import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { killAllChildren, startChild, type ChildHandle } from '../support/child-process';
import { tempDir } from '../support/env';
import type { HangPoint, RegistryStateLine, TrainerChildSettings } from '../support/trainer-child';

/**
 * Fault suite, case 5 (trainer half): a half-trained model never becomes champion. A training run's
 * registry side runs as a child process (test/support/trainer-child: real engine, real TF.js fit,
 * the real ModelRegistry) and is killed -9 at every phase: building the set, fitting (after an
 * epoch), with the artifact saved, right after the version's row was inserted, after it was
 * registered, and inside the promotion after each of its two status writes. After each kill a new
 * incarnation starts the way the trainer does (ModelRegistry.recover) and reports the registry:
 * the champion must be the previous one or the complete version being promoted, its artifact must
 * match its checksum and load, no candidate may be left, and the promotion history must name the
 * same champion. The last incarnation finishes a run.
 */
interface Kill {
  /** Where the run is killed: a printed phase (killed as soon as it is seen) or a hang point. */
  at: string;
  hang?: HangPoint;
}
const KILLS: Kill[] = [
  { at: 'PHASE building', hang: 'building' },
  { at: 'PHASE fitting epoch 2' },
  { at: 'HANG saved', hang: 'saved' },
  { at: 'HANG registered-row', hang: 'registered-row' },
  { at: 'HANG registered', hang: 'registered' },
  { at: 'HANG promoted-champion', hang: 'promoted-champion' },
  { at: 'HANG promoted-retired', hang: 'promoted-retired' },
];

const REGISTERED: HangPoint[] = [
  'registered-row',
  'registered',
  'promoted-champion',
  'promoted-retired',
];
/** Rows of each run's labelled set: enough for several epochs of a real fit, small for CI. */
const ROWS = Number(process.env.FAULTS_TRAINER_ROWS ?? 6_000);

interface Incarnation {
  child: ChildHandle<never>;
  lines: string[];
  seen(prefix: string): Promise<string>;
}

describe('fault suite: trainer SIGKILL at every phase of a training run', () => {
  const dataDir = tempDir('trainer-sigkill');
  after(() => killAllChildren());

  function start(settings: Omit<TrainerChildSettings, 'dataDir'>): Incarnation {
    const lines: string[] = [];
    const waiters: { prefix: string; resolve: (l: string) => void }[] = [];
    const child = startChild<never>({
      script: join(__dirname, '..', 'support', 'trainer-child.js'),
      args: [JSON.stringify({ ...settings, dataDir })],
      env: { NODE_ENV: 'test', LOG_LEVEL: 'warn' },
      readyTimeoutMs: 120_000,
      onLine: (line) => {
        lines.push(line);
        for (const w of waiters.filter((x) => line.startsWith(x.prefix))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      },
    });
    const seen = (prefix: string) => {
      const had = lines.find((l) => l.startsWith(prefix));
      if (had) return Promise.resolve(had);
      return Promise.race([
        new Promise<string>((resolve) => waiters.push({ prefix, resolve })),
        child.exited().then(({ code, signal }) => {
          const late = lines.find((l) => l.startsWith(prefix));
          if (late) return late;
          throw new Error(
            `trainer child exited (code ${code}, signal ${signal}) before "${prefix}"; its lines:\n${lines.join('\n')}`,
          );
        }),
        new Promise<string>((_, reject) =>
          setTimeout(
            () => reject(new Error(`no "${prefix}" within 180 s; lines:\n${lines.join('\n')}`)),
            180_000,
          ).unref(),
        ),
      ]);
    };
    return { child, lines, seen };
  }

  const parse = (line: string, prefix: string) =>
    JSON.parse(line.slice(prefix.length + 1)) as RegistryStateLine & { version?: number };

  it('after each kill the champion is the previous one or a complete version; no candidate stays; a run then finishes', async () => {
    const t0 = Date.now();
    const log: string[] = [];
    // a first champion, so that the kills have a previous one to keep
    const first = start({ run: true, rows: ROWS });
    const done0 = parse(await first.seen('DONE'), 'DONE');
    assert.equal((await first.child.exited()).code, 0);
    assert.equal(done0.champion, 1);
    let champion = 1;
    let next = 2; // the version the next registration gets
    let restartMs = 0;
    let killedAt = 0;
    // incarnation i checks what kill i-1 left (at its start, as the trainer recovers), then runs
    // until kill i; the last one (no kill) finishes its run
    let done: (RegistryStateLine & { version?: number }) | undefined;
    for (let i = 0; i <= KILLS.length; i++) {
      const k = KILLS[i] as Kill | undefined;
      const c = start({ run: true, ...(k?.hang ? { hangAt: k.hang } : {}), rows: ROWS });
      const prev = KILLS[i - 1] as Kill | undefined;
      if (prev) {
        const before = parse(await c.seen('BEFORE'), 'BEFORE');
        const st = parse(await c.seen('STATE'), 'STATE');
        restartMs = Math.max(restartMs, Date.now() - killedAt);
        const at = prev.at;
        log.push(
          `kill at ${at}: left ${JSON.stringify(before.statuses)} (history says v${before.historyChampion}); repaired ${
            st.repairs?.map((r) => `v${r.version} ${r.action}`).join(', ') || 'nothing'
          }; champion v${st.champion}`,
        );
        assert.deepEqual(st.candidates, [], `${at}: no candidate left after the restart`);
        assert.equal(st.championSha256Ok, true, `${at}: the champion's checksum matches`);
        assert.equal(st.championLoads, true, `${at}: the champion's artifact loads`);
        assert.equal(st.historyChampion, st.champion, `${at}: the promotion history agrees`);
        assert.equal(
          Object.values(st.statuses).filter((x) => x === 'champion').length,
          1,
          `${at}: exactly one champion`,
        );
        const promoting = prev.hang === 'promoted-champion' || prev.hang === 'promoted-retired';
        if (promoting) {
          // the gate had decided: the complete new version is champion, the previous one retired
          assert.equal(st.champion, next, `${at}: the promoted version completes its promotion`);
          assert.equal(st.statuses[`v${champion}`], 'retired');
          champion = next;
        } else assert.equal(st.champion, champion, `${at}: the previous champion stays`);
        if (prev.hang && REGISTERED.includes(prev.hang)) {
          if (!promoting) {
            assert.equal(
              before.statuses[`v${next}`],
              'candidate',
              `${at}: the kill left a candidate`,
            );
            assert.equal(st.statuses[`v${next}`], 'rejected', `${at}: the orphan is rejected`);
          }
          next++;
        } else assert.equal(before.statuses[`v${next}`], undefined, `${at}: nothing registered`);
      }
      if (k) {
        await c.seen(k.at);
        const { signal } = await c.child.kill('SIGKILL');
        killedAt = Date.now();
        assert.equal(signal, 'SIGKILL');
      } else {
        // the restarted trainer finishes a run
        done = parse(await c.seen('DONE'), 'DONE');
        assert.equal((await c.child.exited()).code, 0);
      }
    }
    assert.ok(done);
    assert.equal(done.version, next);
    assert.equal(done.champion, next);
    assert.equal(done.historyChampion, next);
    assert.equal(done.championLoads, true);
    assert.deepEqual(done.candidates, []);
    console.log(
      `[faults] trainer SIGKILL: ${KILLS.length} kills (${KILLS.map((k) => k.at.replace(/^(PHASE|HANG) /, '')).join(', ')}); ` +
        `kill to recovered ≤ ${(restartMs / 1000).toFixed(1)} s; final run registered and promoted v${done.version}; ` +
        `half-trained champions 0, orphaned candidates left 0 (${((Date.now() - t0) / 1000).toFixed(0)} s in all)\n` +
        log.join('\n'),
    );
  });
});
