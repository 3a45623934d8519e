// Model registry in ClickHouse (tables `models` and `model_events`, migration 0008), shared by the
// purchase-propensity and demand-forecast models. MLflow vocabulary: numbered versions per model
// name, one `champion` alias per name, candidates promoted or rejected by a gate, and an audit of
// every transition that answers which version served at any instant.
//
// Consistency: every transition of one name runs under an in-process lock, and takes one timestamp
// strictly later than the name's previous event; the rows it rewrites and the event it appends
// carry that timestamp. Several processes writing the same name concurrently are not serialised.
import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@storepulse/clickhouse';
import { toChDateTime64 } from '@storepulse/contracts';

export type ModelKind = 'propensity' | 'demand';
export type ModelStatus = 'candidate' | 'champion' | 'retired' | 'rejected';
export type ModelEventType = 'registered' | 'promoted' | 'rejected' | 'rolled_back' | 'retired';

export const MODEL_KINDS: readonly ModelKind[] = ['propensity', 'demand'];

export interface NewModelVersion {
  /** Model name, e.g. `propensity_7d`, `demand_global`: [a-z][a-z0-9_]*, at most 64 characters. */
  name: string;
  kind: ModelKind;
  /** Prediction horizon, e.g. `7d`, `28d`. */
  horizon: string;
  /** The version this one was warm-started from (must exist under the same name), or null. */
  parentVersion: number | null;
  trainingFrom: Date | number;
  trainingTo: Date | number;
  featureNames: string[];
  catalogHash: string;
  /** JSON-serialisable: finite numbers, strings, booleans, null, arrays and plain objects. */
  metrics: Record<string, unknown>;
}

export interface ModelVersion extends NewModelVersion {
  version: number;
  /** Epoch milliseconds. */
  trainingFrom: number;
  /** Epoch milliseconds. */
  trainingTo: number;
  /** ISO-8601 UTC, e.g. 2026-12-01T09:15:00.000Z. */
  createdAt: string;
  /** ISO-8601 UTC of the last status change (createdAt until then). */
  updatedAt: string;
  status: ModelStatus;
  artifactSha256: string;
  artifactBytes: number;
}

export interface ModelEvent {
  name: string;
  version: number;
  event: ModelEventType;
  reason: string;
  actor: string;
  /** ISO-8601 UTC. */
  at: string;
  /** The champion before a promotion or rollback; null otherwise or when there was none. */
  fromVersion: number | null;
}

export type RegistryErrorCode =
  | 'INVALID_INPUT'
  | 'UNKNOWN_VERSION'
  | 'UNKNOWN_PARENT'
  | 'KIND_MISMATCH'
  | 'INVALID_TRANSITION'
  | 'NO_CHAMPION'
  | 'NO_PREVIOUS_CHAMPION'
  | 'INCONSISTENT_HISTORY'
  | 'ARTIFACT_CORRUPT'
  | 'CORRUPT_ROW';

export class RegistryError extends Error {
  constructor(
    readonly code: RegistryErrorCode,
    /** The model name concerned ('' when the name itself is invalid). */
    readonly model: string,
    /** The version concerned, or null. */
    readonly version: number | null,
    message: string,
  ) {
    super(`model registry: ${message}`);
    this.name = 'RegistryError';
  }
}

const NAME_RE = /^[a-z][a-z0-9_]{0,63}$/;
const HORIZON_RE = /^[0-9]+[a-z]+$/;
const MAX_UINT32 = 0xffff_ffff;

/** Columns of `models` in insert order (INSERT ... SELECT rewrites the last two). */
const MODEL_COLUMNS =
  'name, version, kind, horizon, created_at, parent_version, training_from, training_to, feature_names, catalog_hash, metrics, artifact, artifact_sha256, artifact_bytes, status, updated_at';
const COPIED_COLUMNS =
  'name, version, kind, horizon, created_at, parent_version, training_from, training_to, feature_names, catalog_hash, metrics, artifact, artifact_sha256, artifact_bytes';
/** Everything a ModelVersion needs, never the artifact itself. */
const VERSION_SELECT = `name, version, kind, horizon,
  toUnixTimestamp64Milli(created_at) AS created_ms, parent_version,
  toUnixTimestamp64Milli(training_from) AS training_from_ms,
  toUnixTimestamp64Milli(training_to) AS training_to_ms,
  feature_names, catalog_hash, metrics, artifact_sha256, artifact_bytes, status,
  toUnixTimestamp64Milli(updated_at) AS updated_ms`;

interface VersionRow {
  name: string;
  version: number;
  kind: ModelKind;
  horizon: string;
  created_ms: number | string;
  parent_version: number | null;
  training_from_ms: number | string;
  training_to_ms: number | string;
  feature_names: string[];
  catalog_hash: string;
  metrics: string;
  artifact_sha256: string;
  artifact_bytes: number | string;
  status: ModelStatus;
  updated_ms: number | string;
}

interface EventRow {
  name: string;
  version: number;
  event: ModelEventType;
  reason: string;
  actor: string;
  at_ms: number | string;
  from_version: number | null;
}

const iso = (ms: number | string): string => new Date(Number(ms)).toISOString();
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function invalid(model: string, version: number | null, message: string): RegistryError {
  return new RegistryError('INVALID_INPUT', model, version, message);
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !NAME_RE.test(name))
    throw invalid(
      '',
      null,
      `model name ${JSON.stringify(name)} must match ${NAME_RE.source} (e.g. propensity_7d)`,
    );
}

function checkVersion(name: string, version: unknown): asserts version is number {
  if (
    typeof version !== 'number' ||
    !Number.isInteger(version) ||
    version < 1 ||
    version > MAX_UINT32
  )
    throw invalid(name, null, `${name}: version ${String(version)} must be an integer >= 1`);
}

function checkText(name: string, version: number | null, field: string, value: unknown): void {
  if (typeof value !== 'string' || value.trim().length === 0)
    throw invalid(
      name,
      version,
      `${name}${version === null ? '' : ` v${version}`}: ${field} must be a non-empty string`,
    );
}

function toMs(name: string, field: string, value: unknown): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms))
    throw invalid(name, null, `${name}: ${field} must be a valid Date or epoch milliseconds`);
  return Math.trunc(ms);
}

/** Rejects what JSON cannot carry faithfully (NaN, Infinity, undefined, functions, bigint, ...). */
function checkJson(name: string, path: string, value: unknown, seen: Set<object>): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw invalid(name, null, `${name}: ${path} is ${value}, not JSON-serialisable`);
    return;
  }
  if (typeof value !== 'object')
    throw invalid(name, null, `${name}: ${path} is a ${typeof value}, not JSON-serialisable`);
  if (seen.has(value)) throw invalid(name, null, `${name}: ${path} is a circular reference`);
  seen.add(value);
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkJson(name, `${path}[${i}]`, v, seen));
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null)
      throw invalid(name, null, `${name}: ${path} is not a plain object`);
    for (const [k, v] of Object.entries(value)) checkJson(name, `${path}.${k}`, v, seen);
  }
  seen.delete(value);
}

function validateNew(v: NewModelVersion, artifact: unknown): void {
  checkName(v.name);
  const n = v.name;
  if (!MODEL_KINDS.includes(v.kind))
    throw invalid(
      n,
      null,
      `${n}: kind ${JSON.stringify(v.kind)} must be one of ${MODEL_KINDS.join(', ')}`,
    );
  if (typeof v.horizon !== 'string' || !HORIZON_RE.test(v.horizon))
    throw invalid(n, null, `${n}: horizon ${JSON.stringify(v.horizon)} must look like 7d or 28d`);
  if (v.parentVersion !== null) checkVersion(n, v.parentVersion);
  const from = toMs(n, 'trainingFrom', v.trainingFrom);
  const to = toMs(n, 'trainingTo', v.trainingTo);
  if (from >= to)
    throw invalid(
      n,
      null,
      `${n}: trainingFrom (${iso(from)}) must be before trainingTo (${iso(to)})`,
    );
  if (!Array.isArray(v.featureNames))
    throw invalid(n, null, `${n}: featureNames must be an array of strings`);
  const seen = new Set<string>();
  v.featureNames.forEach((f, i) => {
    if (typeof f !== 'string' || f.length === 0)
      throw invalid(n, null, `${n}: featureNames[${i}] must be a non-empty string`);
    if (seen.has(f)) throw invalid(n, null, `${n}: feature name '${f}' appears twice`);
    seen.add(f);
  });
  if (typeof v.catalogHash !== 'string')
    throw invalid(n, null, `${n}: catalogHash must be a string`);
  if (typeof v.metrics !== 'object' || v.metrics === null || Array.isArray(v.metrics))
    throw invalid(n, null, `${n}: metrics must be a plain object`);
  checkJson(n, 'metrics', v.metrics, new Set());
  if (!(artifact instanceof Uint8Array) || artifact.length === 0)
    throw invalid(n, null, `${n}: the artifact must be a non-empty Buffer`);
  if (artifact.length > MAX_UINT32)
    throw invalid(n, null, `${n}: the artifact is ${artifact.length} bytes, over 4 GiB`);
}

function toVersion(row: VersionRow): ModelVersion {
  let metrics: Record<string, unknown>;
  try {
    metrics = JSON.parse(row.metrics) as Record<string, unknown>;
  } catch (e) {
    throw new RegistryError(
      'CORRUPT_ROW',
      row.name,
      Number(row.version),
      `${row.name} v${row.version}: stored metrics are not valid JSON (${(e as Error).message})`,
    );
  }
  return {
    name: row.name,
    version: Number(row.version),
    kind: row.kind,
    horizon: row.horizon,
    parentVersion: row.parent_version === null ? null : Number(row.parent_version),
    trainingFrom: Number(row.training_from_ms),
    trainingTo: Number(row.training_to_ms),
    featureNames: row.feature_names,
    catalogHash: row.catalog_hash,
    metrics,
    createdAt: iso(row.created_ms),
    updatedAt: iso(row.updated_ms),
    status: row.status,
    artifactSha256: row.artifact_sha256,
    artifactBytes: Number(row.artifact_bytes),
  };
}

function toEvent(row: EventRow): ModelEvent {
  return {
    name: row.name,
    version: Number(row.version),
    event: row.event,
    reason: row.reason,
    actor: row.actor,
    at: iso(row.at_ms),
    fromVersion: row.from_version === null ? null : Number(row.from_version),
  };
}

/** The champion stack replayed from promoted / rolled_back events (oldest first). */
function championStack(history: { version: number; event: ModelEventType }[]): number[] {
  const stack: number[] = [];
  for (const e of history) {
    if (e.event === 'promoted') stack.push(e.version);
    else {
      stack.pop();
      if (stack[stack.length - 1] !== e.version) stack.push(e.version);
    }
  }
  return stack;
}

/** One repair made by ModelRegistry.recover. */
export interface RegistryRepair {
  name: string;
  version: number;
  action: 'rejected-orphan' | 'retired-second-champion' | 'recorded-promotion';
  reason: string;
}

export interface RegisterOptions {
  /** Who registers (audit). Default 'trainer'. */
  actor?: string;
  /** Free text stored with the 'registered' event. Default ''. */
  reason?: string;
}

/** The arguments every status change takes: a valid name and version, a reason and an actor. */
function checkChange(name: string, version: number, reason: string, actor: string): void {
  checkName(name);
  checkVersion(name, version);
  checkText(name, version, 'reason', reason);
  checkText(name, version, 'actor', actor);
}

export class ModelRegistry {
  private readonly locks = new Map<string, Promise<void>>();

  /**
   * @param client a ClickHouse client whose database has migration 0008 applied
   * @param now clock in epoch milliseconds (default Date.now); injectable for tests
   */
  constructor(
    private readonly client: ClickHouseClient,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Stores a new version (the next number for its name, from 1) as a candidate and records a
   * 'registered' event. Registers of one name are serialised in this process, so versions are unique.
   */
  async register(
    v: NewModelVersion,
    artifact: Buffer,
    opts: RegisterOptions = {},
  ): Promise<ModelVersion> {
    validateNew(v, artifact);
    const actor = opts.actor ?? 'trainer';
    checkText(v.name, null, 'actor', actor);
    const metrics = JSON.stringify(v.metrics);
    return this.serialise(v.name, async () => {
      const [latest] = await queryRows<{ version: number; kind: ModelKind }>(
        this.client,
        'SELECT version, kind FROM models WHERE name = {name:String} ORDER BY version DESC LIMIT 1',
        { name: v.name },
      );
      if (latest && latest.kind !== v.kind)
        throw new RegistryError(
          'KIND_MISMATCH',
          v.name,
          null,
          `${v.name} is a ${latest.kind} model (v${latest.version}); cannot register a ${v.kind} version under that name`,
        );
      if (v.parentVersion !== null && !(await this.get(v.name, v.parentVersion)))
        throw new RegistryError(
          'UNKNOWN_PARENT',
          v.name,
          v.parentVersion,
          `${v.name}: parent version v${v.parentVersion} does not exist`,
        );
      const version = (latest ? Number(latest.version) : 0) + 1;
      const at = await this.tick(v.name);
      const artifactSha256 = sha256(artifact);
      const trainingFrom = toMs(v.name, 'trainingFrom', v.trainingFrom);
      const trainingTo = toMs(v.name, 'trainingTo', v.trainingTo);
      await this.client.insert({
        table: 'models',
        format: 'JSONEachRow',
        values: [
          {
            name: v.name,
            version,
            kind: v.kind,
            horizon: v.horizon,
            created_at: toChDateTime64(at),
            parent_version: v.parentVersion,
            training_from: toChDateTime64(trainingFrom),
            training_to: toChDateTime64(trainingTo),
            feature_names: v.featureNames,
            catalog_hash: v.catalogHash,
            metrics,
            artifact: Buffer.from(artifact).toString('base64'),
            artifact_sha256: artifactSha256,
            artifact_bytes: artifact.length,
            status: 'candidate',
            updated_at: toChDateTime64(at),
          },
        ],
      });
      await this.appendEvent({
        name: v.name,
        version,
        event: 'registered',
        reason: opts.reason ?? '',
        actor,
        at,
        fromVersion: null,
      });
      return {
        name: v.name,
        kind: v.kind,
        horizon: v.horizon,
        parentVersion: v.parentVersion,
        trainingFrom,
        trainingTo,
        featureNames: [...v.featureNames],
        catalogHash: v.catalogHash,
        metrics: JSON.parse(metrics) as Record<string, unknown>,
        version,
        createdAt: iso(at),
        updatedAt: iso(at),
        status: 'candidate',
        artifactSha256,
        artifactBytes: artifact.length,
      };
    });
  }

  /** One version (without its artifact), or null when it does not exist. */
  async get(name: string, version: number): Promise<ModelVersion | null> {
    checkName(name);
    checkVersion(name, version);
    const [row] = await queryRows<VersionRow>(
      this.client,
      `SELECT ${VERSION_SELECT} FROM models FINAL WHERE name = {name:String} AND version = {version:UInt32}`,
      { name, version },
    );
    return row ? toVersion(row) : null;
  }

  /** Versions (never their artifacts), newest first; optionally of one name and/or one kind. */
  async list(filter: { name?: string; kind?: ModelKind } = {}): Promise<ModelVersion[]> {
    const where: string[] = [];
    if (filter.name !== undefined) {
      checkName(filter.name);
      where.push('name = {name:String}');
    }
    if (filter.kind !== undefined) {
      if (!MODEL_KINDS.includes(filter.kind))
        throw invalid('', null, `list: kind ${JSON.stringify(filter.kind)} is not a model kind`);
      // kind never changes within a name, so filtering it before FINAL is exact
      where.push('kind = {kind:String}');
    }
    const rows = await queryRows<VersionRow>(
      this.client,
      `SELECT ${VERSION_SELECT} FROM models FINAL
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, name ASC, version DESC`,
      {
        ...(filter.name !== undefined ? { name: filter.name } : {}),
        ...(filter.kind ? { kind: filter.kind } : {}),
      },
    );
    return rows.map(toVersion);
  }

  /** The champion version of a name, or null when it has none. */
  async champion(name: string): Promise<ModelVersion | null> {
    checkName(name);
    const [row] = await queryRows<VersionRow>(
      this.client,
      // status is filtered after FINAL (outside), so a superseded 'champion' row never matches
      `SELECT * FROM (SELECT ${VERSION_SELECT} FROM models FINAL WHERE name = {name:String})
       WHERE status = 'champion' ORDER BY updated_ms DESC LIMIT 1`,
      { name },
    );
    return row ? toVersion(row) : null;
  }

  /** The champion's version number, or null; one small query, meant to be polled by scorers. */
  async championVersion(name: string): Promise<number | null> {
    checkName(name);
    const [row] = await queryRows<{ version: number }>(
      this.client,
      `SELECT version FROM (SELECT version, status, updated_at FROM models FINAL WHERE name = {name:String})
       WHERE status = 'champion' ORDER BY updated_at DESC LIMIT 1`,
      { name },
    );
    return row ? Number(row.version) : null;
  }

  /** The version's model-io buffer, byte-exact; throws when the version is missing or corrupt. */
  async artifact(name: string, version: number): Promise<Buffer> {
    checkName(name);
    checkVersion(name, version);
    const [row] = await queryRows<{
      artifact: string;
      artifact_sha256: string;
      artifact_bytes: number | string;
    }>(
      this.client,
      'SELECT artifact, artifact_sha256, artifact_bytes FROM models FINAL WHERE name = {name:String} AND version = {version:UInt32}',
      { name, version },
    );
    if (!row) throw this.unknown(name, version);
    const bytes = Buffer.from(row.artifact, 'base64');
    if (bytes.length !== Number(row.artifact_bytes))
      throw new RegistryError(
        'ARTIFACT_CORRUPT',
        name,
        version,
        `${name} v${version}: artifact is ${bytes.length} bytes, expected ${row.artifact_bytes}`,
      );
    const actual = sha256(bytes);
    if (actual !== row.artifact_sha256)
      throw new RegistryError(
        'ARTIFACT_CORRUPT',
        name,
        version,
        `${name} v${version}: artifact sha256 ${actual} does not match the registered ${row.artifact_sha256}`,
      );
    return bytes;
  }

  /**
   * Makes a candidate (or a retired version) the champion; the previous champion becomes retired.
   * Records 'promoted' with from_version = the previous champion (null when there was none).
   */
  async promote(name: string, version: number, reason: string, actor: string): Promise<void> {
    checkChange(name, version, reason, actor);
    await this.serialise(name, async () => {
      const target = await this.get(name, version);
      if (!target) throw this.unknown(name, version);
      if (target.status === 'rejected' || target.status === 'champion')
        throw new RegistryError(
          'INVALID_TRANSITION',
          name,
          version,
          `cannot promote ${name} v${version}: it is ${target.status === 'champion' ? 'already the champion' : 'rejected'}`,
        );
      const previous = await this.championVersion(name);
      const at = await this.tick(name);
      // the new champion first: a reader between the two writes sees two champions and picks the
      // newer, never none
      await this.setStatus(name, version, 'champion', at);
      if (previous !== null) await this.setStatus(name, previous, 'retired', at);
      await this.appendEvent({
        name,
        version,
        event: 'promoted',
        reason,
        actor,
        at,
        fromVersion: previous,
      });
    });
  }

  /** Marks a candidate rejected (e.g. by the gate) and records the reason. */
  async reject(name: string, version: number, reason: string, actor: string): Promise<void> {
    checkChange(name, version, reason, actor);
    await this.serialise(name, async () => {
      const target = await this.get(name, version);
      if (!target) throw this.unknown(name, version);
      if (target.status !== 'candidate')
        throw new RegistryError(
          'INVALID_TRANSITION',
          name,
          version,
          `cannot reject ${name} v${version}: it is ${target.status === 'champion' ? 'the champion (promote another version or roll back)' : target.status}, only candidates can be rejected`,
        );
      const at = await this.tick(name);
      await this.setStatus(name, version, 'rejected', at);
      await this.appendEvent({
        name,
        version,
        event: 'rejected',
        reason,
        actor,
        at,
        fromVersion: null,
      });
    });
  }

  /**
   * Restores the champion that preceded the current one in the promotion history (multi-level:
   * rolling back twice goes two champions back). The current champion becomes retired; records
   * 'rolled_back' with version = the restored one and from_version = the one rolled back.
   */
  async rollback(name: string, reason: string, actor: string): Promise<ModelVersion> {
    checkName(name);
    checkText(name, null, 'reason', reason);
    checkText(name, null, 'actor', actor);
    return this.serialise(name, async () => {
      const current = await this.championVersion(name);
      if (current === null)
        throw new RegistryError(
          'NO_CHAMPION',
          name,
          null,
          `cannot roll back ${name}: it has no champion`,
        );
      const history = await queryRows<{ version: number; event: ModelEventType }>(
        this.client,
        `SELECT version, event FROM model_events
         WHERE name = {name:String} AND event IN ('promoted', 'rolled_back') ORDER BY at`,
        { name },
      );
      const stack = championStack(history.map((h) => ({ ...h, version: Number(h.version) })));
      if (stack[stack.length - 1] !== current)
        throw new RegistryError(
          'INCONSISTENT_HISTORY',
          name,
          current,
          `cannot roll back ${name} v${current}: the event history says v${String(stack[stack.length - 1])} is the champion`,
        );
      const previous = stack[stack.length - 2];
      if (previous === undefined)
        throw new RegistryError(
          'NO_PREVIOUS_CHAMPION',
          name,
          current,
          `cannot roll back ${name} v${current}: no previous champion in its history`,
        );
      const target = await this.get(name, previous);
      if (!target) throw this.unknown(name, previous);
      if (target.status !== 'retired')
        throw new RegistryError(
          'INVALID_TRANSITION',
          name,
          previous,
          `cannot roll back ${name} to v${previous}: it is ${target.status}, expected retired`,
        );
      const at = await this.tick(name);
      await this.setStatus(name, previous, 'champion', at);
      await this.setStatus(name, current, 'retired', at);
      await this.appendEvent({
        name,
        version: previous,
        event: 'rolled_back',
        reason,
        actor,
        at,
        fromVersion: current,
      });
      return { ...target, status: 'champion', updatedAt: iso(at) };
    });
  }

  /**
   * Repairs what a process killed in the middle of a registry change leaves behind; the trainer
   * runs it at start, before any run (one trainer process writes the registry: a `candidate` is
   * only ever in flight inside a run of that process). Per name:
   * - a `candidate` (killed between register and the gate's decision) becomes `rejected`, reason
   *   "interrupted: …": it was never judged, so it never serves;
   * - several `champion` rows (killed inside promote or rollback, between the two status writes):
   *   the newest stays champion (the one the gate or the operator chose; readers already served it),
   *   the others become `retired`;
   * - a champion the event history does not show (killed before the 'promoted' / 'rolled_back'
   *   event): a 'promoted' event is appended (reason "recovered: …"), so rollback and servedAt agree
   *   with the statuses again.
   * A version's row is written in one insert with its artifact and checksum, so a killed register
   * leaves either no row or a complete one. Returns what was repaired (empty when nothing was).
   */
  async recover(actor = 'trainer'): Promise<RegistryRepair[]> {
    checkText('', null, 'actor', actor);
    const rows = await queryRows<{
      name: string;
      version: number;
      status: ModelStatus;
      updated_ms: string;
    }>(
      this.client,
      `SELECT name, version, status, toString(toUnixTimestamp64Milli(updated_at)) AS updated_ms
       FROM models FINAL WHERE status IN ('candidate', 'champion') ORDER BY name, version`,
    );
    const names = [...new Set(rows.map((r) => r.name))];
    const out: RegistryRepair[] = [];
    for (const name of names)
      await this.serialise(name, async () => {
        const mine = rows.filter((r) => r.name === name);
        for (const c of mine.filter((r) => r.status === 'candidate')) {
          const at = await this.tick(name);
          const version = Number(c.version);
          await this.setStatus(name, version, 'rejected', at);
          const reason =
            'interrupted: the trainer stopped between registering this version and the gate decision; never judged, rejected at restart';
          await this.appendEvent({
            name,
            version,
            event: 'rejected',
            reason,
            actor,
            at,
            fromVersion: null,
          });
          out.push({ name, version, action: 'rejected-orphan', reason });
        }
        const champions = mine
          .filter((r) => r.status === 'champion')
          .sort(
            (a, b) =>
              Number(b.updated_ms) - Number(a.updated_ms) || Number(b.version) - Number(a.version),
          );
        if (champions.length === 0) return;
        const keep = Number(champions[0].version);
        for (const old of champions.slice(1)) {
          const version = Number(old.version);
          await this.setStatus(name, version, 'retired', await this.tick(name));
          out.push({
            name,
            version,
            action: 'retired-second-champion',
            reason: `an interrupted promotion left v${version} champion beside v${keep}`,
          });
        }
        const history = await queryRows<{ version: number; event: ModelEventType }>(
          this.client,
          `SELECT version, event FROM model_events
           WHERE name = {name:String} AND event IN ('promoted', 'rolled_back') ORDER BY at`,
          { name },
        );
        const stack = championStack(history.map((h) => ({ ...h, version: Number(h.version) })));
        const recorded = stack[stack.length - 1];
        if (recorded !== keep) {
          const reason = `recovered: v${keep} is champion but its promotion event is missing (the process stopped before recording it)`;
          await this.appendEvent({
            name,
            version: keep,
            event: 'promoted',
            reason,
            actor,
            at: await this.tick(name),
            fromVersion: recorded ?? null,
          });
          out.push({ name, version: keep, action: 'recorded-promotion', reason });
        }
      });
    return out;
  }

  /** The audit, newest first; optionally of one name, at most `limit` events (default: all). */
  async events(filter: { name?: string; limit?: number } = {}): Promise<ModelEvent[]> {
    if (filter.name !== undefined) checkName(filter.name);
    if (filter.limit !== undefined && (!Number.isInteger(filter.limit) || filter.limit < 1))
      throw invalid(
        filter.name ?? '',
        null,
        `events: limit ${filter.limit} must be an integer >= 1`,
      );
    const rows = await queryRows<EventRow>(
      this.client,
      `SELECT name, version, event, reason, actor, toUnixTimestamp64Milli(at) AS at_ms, from_version
       FROM model_events ${filter.name !== undefined ? 'WHERE name = {name:String}' : ''}
       ORDER BY at DESC, name ASC ${filter.limit !== undefined ? 'LIMIT {limit:UInt32}' : ''}`,
      {
        ...(filter.name !== undefined ? { name: filter.name } : {}),
        ...(filter.limit !== undefined ? { limit: filter.limit } : {}),
      },
    );
    return rows.map(toEvent);
  }

  /** Audit: the version that was champion of `name` at the instant `atMs`, or null if none was. */
  async servedAt(name: string, atMs: number): Promise<number | null> {
    checkName(name);
    if (!Number.isFinite(atMs))
      throw invalid(name, null, `${name}: servedAt instant ${atMs} is not finite`);
    const [row] = await queryRows<{ version: number }>(
      this.client,
      `SELECT version FROM model_events
       WHERE name = {name:String} AND event IN ('promoted', 'rolled_back')
         AND at <= fromUnixTimestamp64Milli({at:Int64}, 'UTC')
       ORDER BY at DESC LIMIT 1`,
      { name, at: Math.floor(atMs) },
    );
    return row ? Number(row.version) : null;
  }

  private unknown(name: string, version: number): RegistryError {
    return new RegistryError(
      'UNKNOWN_VERSION',
      name,
      version,
      `${name} v${version} does not exist`,
    );
  }

  /** Runs `fn` after every earlier call for the same name has settled. */
  private serialise<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(name) ?? Promise.resolve();
    const run = previous.then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(name, tail);
    void tail.then(() => {
      if (this.locks.get(name) === tail) this.locks.delete(name);
    });
    return run;
  }

  /** Now, but strictly after the name's latest event (the audit's order is its timestamps). */
  private async tick(name: string): Promise<number> {
    const now = this.now();
    if (!Number.isFinite(now)) throw new Error(`model registry: the clock returned ${now}`);
    const [row] = await queryRows<{ last: number | string; n: number | string }>(
      this.client,
      'SELECT toUnixTimestamp64Milli(max(at)) AS last, count() AS n FROM model_events WHERE name = {name:String}',
      { name },
    );
    const last = row && Number(row.n) > 0 ? Number(row.last) : -Infinity;
    return Math.max(Math.trunc(now), last + 1);
  }

  /** Re-inserts a version's row server side (the artifact never crosses the wire) with a new status. */
  private async setStatus(
    name: string,
    version: number,
    status: ModelStatus,
    at: number,
  ): Promise<void> {
    await this.client.command({
      query: `INSERT INTO models (${MODEL_COLUMNS})
        SELECT ${COPIED_COLUMNS}, {status:String}, fromUnixTimestamp64Milli({at:Int64}, 'UTC')
        FROM models FINAL WHERE name = {name:String} AND version = {version:UInt32}`,
      query_params: { name, version, status, at },
    });
  }

  private async appendEvent(e: Omit<ModelEvent, 'at'> & { at: number }): Promise<void> {
    await this.client.insert({
      table: 'model_events',
      format: 'JSONEachRow',
      values: [
        {
          name: e.name,
          version: e.version,
          event: e.event,
          reason: e.reason,
          actor: e.actor,
          at: toChDateTime64(e.at),
          from_version: e.fromVersion,
        },
      ],
    });
  }
}
