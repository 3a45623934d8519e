#!/usr/bin/env node
// Build the librdkafka binding of @confluentinc/kafka-javascript from package registries only.
//
//   node scripts/kafka-native/provision.mjs [--strict] [--force] [--quiet]
//
// The package's own install script (blocked: allowScripts) would download a prebuilt binary from
// GitHub, then fall back to a source build whose configure downloads OpenSSL, zstd and curl sources;
// neither host is reachable here. The npm tarball carries librdkafka's source, so we build it against
// the system's libssl/zlib (CKJS_LINKING=dynamic: no downloads) with npm's node-gyp and the local
// Node headers, verify that the module loads, and cache the result (.cache/kafka-native/<key>):
// `npm ci` on a warm cache copies it back instead of compiling (about 100 s on 2 cores).
//
// What uses it: the history import's producer (libs/kafka RdKafkaReplaySink, IMPORT_KAFKA_CLIENT).
// Without it the import falls back to kafkajs. Env: STOREPULSE_KAFKA_NATIVE_PROVISION=0 skips this.
// Exit code: 0 unless --strict (a failure then exits 1), so `npm install` still succeeds.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  checkToolchain,
  findNodeDir,
  findNodeGyp,
  ProvisionError,
  run,
  tail,
} from '../native/toolchain.mjs';

const root = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const args = new Set(process.argv.slice(2));
const strict = args.has('--strict');
const force = args.has('--force');
const quiet = args.has('--quiet');
const t0 = Date.now();
const PKG = '@confluentinc/kafka-javascript';
const CACHE = join(root, '.cache', 'kafka-native');
const log = (msg) => {
  if (!quiet) console.log(`[kafka-native] ${msg}`);
};
const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

function locate() {
  let pkgJson;
  try {
    pkgJson = createRequire(join(root, 'package.json')).resolve(`${PKG}/package.json`);
  } catch {
    throw new ProvisionError(`${PKG} is not installed`, 'run npm install first');
  }
  const dir = dirname(pkgJson);
  const version = JSON.parse(readFileSync(pkgJson, 'utf8')).version;
  return { dir, version, key: `${version}-node${process.versions.modules}-${process.arch}` };
}

/** Loads the module in a child (a failed dlopen must not take this process down). */
function verify(dir) {
  const r = run(process.execPath, [
    '-e',
    `const k = require(${JSON.stringify(dir)}); if (!k.librdkafkaVersion) process.exit(2); console.log(k.librdkafkaVersion)`,
  ]);
  return r.ok
    ? { ok: true, librdkafka: r.out.trim().split('\n').pop() }
    : { ok: false, detail: tail(r.out, 5) };
}

// What a working install needs of build/: the addon and the librdkafka shared libraries it loads
// through its rpath ($ORIGIN/../deps).
const KEEP = [join('build', 'Release', 'confluent-kafka-javascript.node'), join('build', 'deps')];

function restore(pkg) {
  const cached = join(CACHE, pkg.key);
  if (!existsSync(join(cached, KEEP[0]))) return false;
  for (const p of KEEP)
    cpSync(join(cached, p), join(pkg.dir, p), { recursive: true, verbatimSymlinks: true });
  return true;
}

function save(pkg) {
  const cached = join(CACHE, pkg.key);
  rmSync(cached, { recursive: true, force: true });
  for (const p of KEEP) {
    if (p.endsWith('deps')) mkdirSync(join(cached, p), { recursive: true });
    else mkdirSync(dirname(join(cached, p)), { recursive: true });
    // dereference nothing: the .so symlinks (librdkafka.so -> librdkafka.so.1) stay links
    cpSync(join(pkg.dir, p), join(cached, p), { recursive: true, verbatimSymlinks: true });
  }
  writeFileSync(join(cached, 'stamp.json'), JSON.stringify({ key: pkg.key, at: new Date() }));
}

function build(pkg) {
  checkToolchain();
  const nodedir = findNodeDir();
  const gyp = findNodeGyp(root);
  log(
    `building librdkafka and the binding with node-gyp (nodedir=${nodedir}, system OpenSSL/zlib) ...`,
  );
  // no --jobs: the binding's sources include librdkafka's generated headers, and node-gyp's parallel
  // make started them before librdkafka's own build target finished (that target runs make -j itself)
  const r = run(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`], {
    cwd: pkg.dir,
    env: { ...process.env, CKJS_LINKING: 'dynamic', npm_config_nodedir: nodedir },
  });
  if (!r.ok || !existsSync(join(pkg.dir, KEEP[0])))
    throw new ProvisionError('node-gyp build of the librdkafka binding failed', tail(r.out, 25));
  // the objects (~80 MB) are not needed at run time
  rmSync(join(pkg.dir, 'build', 'Release', 'obj.target'), { recursive: true, force: true });
  log(`built ${KEEP[0]} at ${secs()}`);
}

function main() {
  if (process.env.STOREPULSE_KAFKA_NATIVE_PROVISION === '0') {
    log('skipped (STOREPULSE_KAFKA_NATIVE_PROVISION=0)');
    return 0;
  }
  const pkg = locate();
  if (!force && existsSync(join(pkg.dir, KEEP[0]))) {
    const v = verify(pkg.dir);
    if (v.ok) {
      log(`already provisioned: ${PKG} ${pkg.version}, librdkafka ${v.librdkafka} (${secs()})`);
      return 0;
    }
    log(`binding present but it does not load, rebuilding: ${v.detail}`);
  }
  if (!force && restore(pkg)) {
    const v = verify(pkg.dir);
    if (v.ok) {
      log(`restored from .cache/kafka-native/${pkg.key}: librdkafka ${v.librdkafka} (${secs()})`);
      return 0;
    }
    log(`cached build does not load, rebuilding: ${v.detail}`);
  }
  build(pkg);
  const v = verify(pkg.dir);
  if (!v.ok) throw new ProvisionError('the built binding does not load', v.detail);
  save(pkg);
  log(`OK: ${PKG} ${pkg.version} on librdkafka ${v.librdkafka} in ${secs()}`);
  return 0;
}

try {
  process.exitCode = main();
} catch (e) {
  const msg = e instanceof ProvisionError ? e.message : (e && e.stack) || String(e);
  console.error(`[kafka-native] FAILED: ${msg}`);
  console.error(
    '[kafka-native] the librdkafka client is NOT available; the history import falls back to kafkajs ' +
      '(re-run: node scripts/kafka-native/provision.mjs --strict).',
  );
  process.exitCode = strict ? 1 : 0;
}
