import { resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import type { ClickHouseConfig } from '@storepulse/config';
import { classifyDiskFull, withDiskFullErrors } from './disk-full';

type ChdbCompatibleConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];

export type ClickHouseMode = 'server' | 'embedded';

/** A connected ClickHouse client plus what the rest of the platform needs to know about it. */
export interface ClickHouseHandle {
  readonly client: ClickHouseClient;
  readonly mode: ClickHouseMode;
  readonly database: string;
  /** Where the embedded engine keeps its data (embedded mode only). */
  readonly dataDir: string | undefined;
  version(): Promise<string>;
  close(): Promise<void>;
  /**
   * Embedded mode only: hands a JSONEachRow payload to the engine zero-copy (chdb's raw insert; the
   * engine's parser does the work). Same SQL semantics and settings as `client.insert`; undefined in
   * server mode.
   */
  readonly insertJsonLines?: (
    table: string,
    body: Buffer,
    settings: Record<string, string | number>,
  ) => Promise<void>;
}

export class ClickHouseUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClickHouseUnavailableError';
  }
}

/**
 * One factory for both modes: with CLICKHOUSE_URL, HTTP to a real server; without it, the real
 * ClickHouse engine in-process (chdb) through the same @clickhouse/client API. Same SQL either way.
 * The embedded engine binds one data directory per process: separate app processes need a server.
 */
export async function createClickHouse(cfg: ClickHouseConfig): Promise<ClickHouseHandle> {
  if (cfg.mode === 'server' && cfg.url) {
    const bootstrap = createClient({ url: cfg.url, username: cfg.user, password: cfg.password });
    try {
      await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${cfg.database}` });
    } catch (e) {
      await bootstrap.close();
      throw new ClickHouseUnavailableError(
        `ClickHouse server at ${cfg.url} is not reachable: ${(e as Error).message}`,
        { cause: e },
      );
    }
    await bootstrap.close();
    const client = createClient({
      url: cfg.url,
      username: cfg.user,
      password: cfg.password,
      database: cfg.database,
      clickhouse_settings: { date_time_input_format: 'basic' },
      // The client's default (30 s) fails a training-set query on a busy machine ("Timeout error.").
      request_timeout: cfg.requestTimeoutMs,
      // A training run keeps the event loop busy for seconds: the client's idle-socket timers do not
      // fire, a socket idle longer than the server's keep-alive (10 s) is closed by the server, and the
      // next request on it fails with "socket hang up". Checking the socket's age before each request
      // (by its release time) drops such sockets instead.
      keep_alive: { enabled: true, idle_socket_ttl: 2_500, eagerly_destroy_stale_sockets: true },
    });
    return handle(
      withDiskFullErrors(client, `the data disk of the ClickHouse server at ${cfg.url}`),
      'server',
      cfg.database,
      undefined,
    );
  }
  const dataDir = resolve(cfg.dataDir);
  mkdirSync(dataDir, { recursive: true });
  let connection;
  try {
    connection = createChdbConnection({ path: dataDir });
  } catch (e) {
    throw new ClickHouseUnavailableError(
      `embedded ClickHouse (chdb) could not open ${dataDir}: ${(e as Error).message}. ` +
        'The embedded engine belongs to one process; to run apps as separate processes set CLICKHOUSE_URL to a ClickHouse server.',
      { cause: e },
    );
  }
  // chdb implements @clickhouse/client-common's Connection; @clickhouse/client >= 1.23 bundles an
  // identical copy of those types, which TypeScript treats as distinct. Same shape, one cast.
  // a full disk surfaces as a ClickHouseDiskFullError naming dataDir (transient, not bad input)
  const client = withDiskFullErrors(
    createClient({ connection: connection as unknown as ChdbCompatibleConnection }),
    dataDir,
  );
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${cfg.database}` });
  // chdb keeps session state: USE makes unqualified table names resolve in our database.
  await client.command({ query: `USE ${cfg.database}` });
  const chdb = connection.chdb;
  const insertJsonLines = async (
    table: string,
    body: Buffer,
    settings: Record<string, string | number>,
  ): Promise<void> => {
    try {
      await chdb.rawInsert({
        table: `${cfg.database}.${table}`,
        values: body,
        format: 'JSONEachRow',
        settings,
      });
    } catch (e) {
      throw classifyDiskFull(e, dataDir);
    }
  };
  return { ...handle(client, 'embedded', cfg.database, dataDir), insertJsonLines };
}

function handle(
  client: ClickHouseClient,
  mode: ClickHouseMode,
  database: string,
  dataDir: string | undefined,
): ClickHouseHandle {
  let cachedVersion: string | undefined;
  return {
    client,
    mode,
    database,
    dataDir,
    async version() {
      if (cachedVersion) return cachedVersion;
      const rows = await queryRows<{ v: string }>(client, 'SELECT version() AS v');
      cachedVersion = rows[0]?.v ?? 'unknown';
      return cachedVersion;
    },
    close: () => client.close(),
  };
}

/** Runs a parameterised query and returns its rows (JSONEachRow). */
export async function queryRows<T>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}
