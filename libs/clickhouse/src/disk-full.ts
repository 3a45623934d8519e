import type { ClickHouseClient } from '@clickhouse/client';

/**
 * ClickHouse could not write because its data folder is full: the engine's NOT_ENOUGH_SPACE (code
 * 243, "Cannot reserve 1.00 MiB, not enough space") or the OS's ENOSPC ("No space left on device",
 * e.g. inside CANNOT_WRITE_TO_FILE_DESCRIPTOR). A transient condition, not a bad input: nothing
 * was (durably) written, the same write succeeds once space is freed. `folder` is where the space
 * ran out: the embedded engine's data folder, or the ClickHouse server's data disk.
 */
export class ClickHouseDiskFullError extends Error {
  readonly code = 'NOT_ENOUGH_SPACE';
  constructor(
    readonly folder: string,
    /** The engine's (or OS's) own message. */
    readonly engineMessage: string,
    options?: { cause?: unknown },
  ) {
    super(
      `ClickHouse cannot write: no space left in ${folder} (free space there and writing resumes): ${engineMessage}`,
      options,
    );
    this.name = 'ClickHouseDiskFullError';
  }
}

/** ClickHouse's error code for a failed space reservation. */
const NOT_ENOUGH_SPACE_CODE = '243';
const DISK_FULL_TEXT = /NOT_ENOUGH_SPACE|not enough space|No space left on device|ENOSPC/i;

/**
 * The engine's message when `err` (or an error in its cause chain) says the disk is full, else
 * undefined. Recognises the @clickhouse/client error (code "243", type NOT_ENOUGH_SPACE), chdb's
 * raw-insert error ("Code: 243. DB::Exception: … (NOT_ENOUGH_SPACE)"), and ENOSPC from the OS.
 */
export function diskFullMessage(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (e instanceof ClickHouseDiskFullError) return e.engineMessage;
    const o = e as { code?: unknown; type?: unknown; message?: unknown; cause?: unknown };
    const message = typeof o.message === 'string' ? o.message : typeof e === 'string' ? e : '';
    if (
      String(o.code) === NOT_ENOUGH_SPACE_CODE ||
      o.code === 'ENOSPC' ||
      o.type === 'NOT_ENOUGH_SPACE' ||
      DISK_FULL_TEXT.test(message)
    )
      return message;
    e = o.cause;
  }
  return undefined;
}

/** `err` as a ClickHouseDiskFullError naming `folder` when it says the disk is full, else `err`. */
export function classifyDiskFull(err: unknown, folder: string): Error {
  if (err instanceof ClickHouseDiskFullError) return err;
  const m = diskFullMessage(err);
  if (m !== undefined) return new ClickHouseDiskFullError(folder, m, { cause: err });
  return err instanceof Error ? err : new Error(String(err));
}

const WRAPPED = ['insert', 'command', 'exec', 'query'] as const;

/**
 * `client` whose insert / command / exec / query reject with a ClickHouseDiskFullError naming
 * `folder` when the engine reports a full disk; every other error and every result pass unchanged.
 */
export function withDiskFullErrors(client: ClickHouseClient, folder: string): ClickHouseClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      const fn = (v as (...a: unknown[]) => unknown).bind(target);
      if (!(WRAPPED as readonly (string | symbol)[]).includes(prop)) return fn;
      return (...a: unknown[]) =>
        (fn(...a) as Promise<unknown>).catch((e: unknown) => {
          throw classifyDiskFull(e, folder);
        });
    },
  });
}
