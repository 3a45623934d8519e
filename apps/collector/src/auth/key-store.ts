import { mergeWriteKeys, parseKeysFile, WriteKeysError, type WriteKey } from '@storepulse/config';

/** `null` keys = anonymous writes (COLLECTOR_ALLOW_ANONYMOUS=true, no keys configured). */
export type WriteKeys = readonly WriteKey[] | null;

export type ReloadTrigger = 'sighup' | 'timer';

export type ReloadOutcome =
  | { outcome: 'unchanged' }
  | { outcome: 'applied'; active: number; revoked: number }
  /** The file could not be read or is invalid: the keys in use stay as they were. */
  | { outcome: 'failed'; message: string };

/**
 * The write keys in use. Without a keys file they never change; with one (COLLECTOR_KEYS_FILE),
 * `reload()` re-reads it and, when its text changed and is valid, replaces the keys that came from
 * the file (COLLECTOR_WRITE_KEYS and a development key stay). A file that cannot be read or does not
 * validate changes nothing: the keys in use stay, and the outcome names the file and the problem.
 */
export class WriteKeyStore {
  private keys: WriteKeys;
  private lastText: string | undefined;
  private readonly fixed: WriteKey[];

  constructor(
    initial: WriteKeys,
    private readonly file?: {
      path: string;
      /** Reads the file's text (throws when it cannot be read). */
      read: (path: string) => Promise<string>;
    },
  ) {
    this.keys = initial;
    this.fixed = (initial ?? []).filter((k) => k.fromFile !== true);
  }

  current(): WriteKeys {
    return this.keys;
  }

  get reloadable(): boolean {
    return this.file !== undefined;
  }

  async reload(): Promise<ReloadOutcome> {
    if (!this.file) return { outcome: 'unchanged' };
    let text: string;
    try {
      text = await this.file.read(this.file.path);
    } catch (e) {
      return {
        outcome: 'failed',
        message: `cannot read ${this.file.path}: ${e instanceof Error ? e.message : String(e)}`,
      };
    }
    if (text === this.lastText) return { outcome: 'unchanged' };
    let keys: WriteKey[];
    try {
      keys = mergeWriteKeys(this.fixed, parseKeysFile(text, this.file.path));
    } catch (e) {
      if (e instanceof WriteKeysError) return { outcome: 'failed', message: e.message };
      throw e;
    }
    this.lastText = text;
    this.keys = keys;
    const revoked = keys.filter((k) => k.revoked).length;
    return { outcome: 'applied', active: keys.length - revoked, revoked };
  }
}
