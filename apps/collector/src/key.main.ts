import { newWriteKey } from './auth/write-keys';

/**
 * `npm run collector:key -- NAME`: a new random write key for storefront NAME, and the entry to
 * add to COLLECTOR_WRITE_KEYS (or the keys file). Only the hash goes into configuration.
 */
const name = process.argv[2];
if (name === undefined || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
  console.error('usage: npm run collector:key -- STOREFRONT   (1-64 characters A-Z a-z 0-9 . _ -)');
  process.exit(2);
}
const { key, configEntry } = newWriteKey(name);
const hash = configEntry.slice(configEntry.lastIndexOf(':') + 1);
console.log(
  [
    `write key for ${name} (give it to the storefront; it is not stored anywhere):`,
    `  ${key}`,
    '',
    'add to COLLECTOR_WRITE_KEYS (comma-separated):',
    `  ${configEntry}`,
    'or to the COLLECTOR_KEYS_FILE "keys" array:',
    `  ${JSON.stringify({ storefront: name, sha256: hash, revoked: false })}`,
  ].join('\n'),
);
