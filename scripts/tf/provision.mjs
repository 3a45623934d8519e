#!/usr/bin/env node
// Provision native TensorFlow for @tensorflow/tfjs-node from package registries only.
//
//   node scripts/tf/provision.mjs [--strict] [--force] [--quiet]
//
// tfjs-node's own install script downloads libtensorflow from a Google host that no longer serves it
// (and is unreachable here). Instead we:
//   1. fetch the PyPI `tensorflow-cpu` wheel with pip (cached under .cache/tf/wheels),
//   2. extract libtensorflow_cc.so.2, libtensorflow_framework.so.2 and the C API headers
//      (cached under .cache/tf/libtensorflow-<ver>),
//   3. place them where tfjs-node's binding.gyp expects them (node_modules/@tensorflow/tfjs-node/deps),
//   4. build tfjs_binding.node with node-gyp against the LOCAL Node headers (no download), and put it
//      where tfjs-node looks (node-pre-gyp's module_path, lib/napi-v8/); the built binding is cached
//      (.cache/tf/binding-...) so `npm ci` on a warm cache skips the compile,
//   5. verify with a real matMul in a child process, then write a stamp so a second run is quick.
//
// Env: STOREPULSE_TF_PROVISION=0 skips everything. STOREPULSE_TF_VERSION=x.y.z[,a.b.c] overrides the
// wheel versions tried (default 2.9.3 then 2.12.1).
// Exit code: 0 unless --strict (a failure then exits 1). Without --strict a failure prints once that
// the platform will fall back to wasm, so `npm install` still succeeds.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
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

// Wheel versions tried in order (each is verified with a real matMul before it is accepted):
// - 2.9.3: the 2.9 line tfjs-node 4.22 was built and tested against (it wants 2.9.1, which has no
//   wheel for a current pip platform tag any more than 2.9.3 does; 2.9.3 is the last 2.9 patch).
//   TF <= 2.11 wheels ship no standalone C-API library: the C API is exported by the Python
//   extension _pywrap_tensorflow_internal.so, which also references 187 CPython C-API symbols that
//   are never called outside Python. We link against that library plus a generated stub library
//   (libpystub.so) that defines those symbols, so no libpython is needed ("pywrap" layout).
// - 2.12.1: the oldest wheel with the standalone libtensorflow_cc.so.2 ("cc" layout, no stub); the
//   TF C API is ABI-stable, so tfjs-node's binding builds and runs against it unchanged.
const DEFAULT_TF_VERSIONS = ['2.9.3', '2.12.1'];
const TF_VERSIONS = process.env.STOREPULSE_TF_VERSION
  ? process.env.STOREPULSE_TF_VERSION.split(',')
      .map((v) => v.trim())
      .filter(Boolean)
  : DEFAULT_TF_VERSIONS;
const CACHE = join(root, '.cache', 'tf');
const STAMP_NAME = 'storepulse-provision.json';

const log = (msg) => {
  if (!quiet) console.log(`[tf-provision] ${msg}`);
};
const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

// ---------------------------------------------------------------------------------------------
// Locate tfjs-node and where it loads its binding from.
function locateTfjsNode() {
  const req = createRequire(join(root, 'package.json'));
  let pkgJson;
  try {
    pkgJson = req.resolve('@tensorflow/tfjs-node/package.json');
  } catch {
    throw new ProvisionError('@tensorflow/tfjs-node is not installed', 'run npm install first');
  }
  const dir = dirname(pkgJson);
  const pkg = JSON.parse(readFileSync(pkgJson, 'utf8'));
  const tfReq = createRequire(pkgJson);
  let bindingPath;
  try {
    // Exactly the path tfjs-node's dist/index.js requires (node-pre-gyp picks the napi version).
    bindingPath = tfReq('@mapbox/node-pre-gyp').find(pkgJson);
  } catch (e) {
    throw new ProvisionError(
      '@mapbox/node-pre-gyp (tfjs-node dependency) cannot resolve the binding path',
      String(e),
    );
  }
  const napi = /napi-v(\d+)/.exec(bindingPath)?.[1];
  if (!napi) throw new ProvisionError('unexpected tfjs-node binding path', bindingPath);
  return { dir, version: pkg.version, bindingPath, napi };
}

// ---------------------------------------------------------------------------------------------
// Verification: a real computation in a child process with the native backend.
function verify() {
  const code = `
    const tf = require('@tensorflow/tfjs-node');
    const a = tf.tensor2d([[1, 2], [3, 4]]);
    const b = tf.tensor2d([[5, 6], [7, 8]]);
    const r = Array.from(tf.matMul(a, b).dataSync());
    const ok = tf.getBackend() === 'tensorflow' && JSON.stringify(r) === '[19,22,43,50]';
    const bk = tf.backend();
    console.log(JSON.stringify({ ok, backend: tf.getBackend(), result: r, tfjsNode: tf.version['tfjs-node'],
      libtensorflow: bk.binding && bk.binding.TF_Version }));
  `;
  const r = run(process.execPath, ['-e', code], {
    cwd: root,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  const line = r.out.split('\n').find((l) => l.startsWith('{"ok"'));
  if (!r.ok || !line) return { ok: false, detail: tail(r.out) };
  const parsed = JSON.parse(line);
  return parsed.ok ? { ok: true, ...parsed } : { ok: false, detail: line };
}

// ---------------------------------------------------------------------------------------------
// 1. Wheel from PyPI (cached).
function findPython() {
  for (const py of [process.env.PYTHON, 'python3', 'python'].filter(Boolean)) {
    const r = run(py, ['-m', 'pip', '--version']);
    if (r.ok) return py;
  }
  throw new ProvisionError(
    'Python 3 with pip not found',
    'install python3 and python3-pip (apt-get install -y python3-pip)',
  );
}

function wheelFor(version) {
  const dir = join(CACHE, 'wheels');
  if (!existsSync(dir)) return null;
  const f = readdirSync(dir).find(
    (n) => n.startsWith(`tensorflow_cpu-${version}-`) && n.endsWith('.whl'),
  );
  return f ? join(dir, f) : null;
}

function downloadWheel(py, version) {
  const cached = wheelFor(version);
  if (cached) {
    log(`wheel tensorflow-cpu==${version} cached (${cached.replace(root + '/', '')})`);
    return cached;
  }
  const dir = join(CACHE, 'wheels');
  mkdirSync(dir, { recursive: true });
  log(`downloading tensorflow-cpu==${version} wheel from PyPI (~210-230 MB) ...`);
  const r = run(py, [
    '-m',
    'pip',
    'download',
    '--no-deps',
    '--only-binary=:all:',
    '--python-version',
    '3.10',
    '--platform',
    'manylinux2014_x86_64',
    '--disable-pip-version-check',
    '-q',
    `tensorflow-cpu==${version}`,
    '-d',
    dir,
  ]);
  const w = wheelFor(version);
  if (!r.ok || !w)
    throw new ProvisionError(
      `pip download of tensorflow-cpu==${version} failed`,
      tail(r.out, 2).replace(/\(from versions: [^)]*\)/, ''),
    );
  log(
    `downloaded ${w.replace(root + '/', '')} (${(statSync(w).size / 1e6).toFixed(0)} MB) at ${secs()}`,
  );
  return w;
}

// 2. Extract libs + C headers from the wheel (python's zipfile: pip needs python anyway).
const EXTRACT_PY = `
import sys, zipfile, os, json
whl, out = sys.argv[1], sys.argv[2]
z = zipfile.ZipFile(whl)
names = set(z.namelist())
FW = 'tensorflow/libtensorflow_framework.so.2'
CC = 'tensorflow/libtensorflow_cc.so.2'
PYWRAP = 'tensorflow/python/_pywrap_tensorflow_internal.so'
if CC in names and FW in names:
    layout, libs = 'cc', [CC, FW]
elif PYWRAP in names and FW in names:
    layout, libs = 'pywrap', [PYWRAP, FW]
else:
    print('MISSING neither %s nor %s (with %s)' % (CC, PYWRAP, FW)); sys.exit(3)
inc_prefixes = ('tensorflow/include/tensorflow/c/', 'tensorflow/include/tensorflow/tsl/c/',
                'tensorflow/include/tensorflow/core/platform/', 'tensorflow/include/tensorflow/tsl/platform/')
for n in libs:
    with z.open(n) as src, open(os.path.join(out, 'lib', os.path.basename(n)), 'wb') as dst:
        while True:
            b = src.read(1 << 22)
            if not b: break
            dst.write(b)
count = 0
for n in names:
    if n.endswith('.h') and n.startswith(inc_prefixes):
        p = os.path.join(out, 'include', n[len('tensorflow/include/'):])
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, 'wb') as dst: dst.write(z.read(n))
        count += 1
print(json.dumps({'layout': layout, 'libs': [os.path.basename(l) for l in libs], 'headers': count}))
`;

// For the pywrap layout: a tiny shared library defining every CPython symbol the TF library refers
// to, so the dynamic loader can resolve them. Data symbols (GLOB_DAT relocations, bound at load
// time) become zero-filled placeholders; functions (JUMP_SLOT, bound lazily) become stubs that
// abort with the symbol's name. Nothing calls them: Python entry points (PyInit_*) never run in Node.
function buildPyStub(libDir) {
  // readelf's full relocation listing is ~80 MB: filter it in the shell.
  const re = run('sh', [
    '-c',
    'readelf -rW "$1" | grep -E " _?Py"',
    'sh',
    join(libDir, '_pywrap_tensorflow_internal.so'),
  ]);
  if (!re.ok)
    throw new ProvisionError(
      'readelf (binutils) failed on _pywrap_tensorflow_internal.so',
      tail(re.out, 3),
    );
  const kinds = new Map(); // symbol -> 'data' | 'func'
  for (const line of re.out.split('\n')) {
    const m = /\s(R_X86_64_\w+)\s+[0-9a-f]+\s+(_?Py\w*)(@\S+)?\s+\+/.exec(line);
    if (!m) continue;
    const kind = m[1] === 'R_X86_64_JUMP_SLOT' ? 'func' : 'data';
    if (kinds.get(m[2]) !== 'data') kinds.set(m[2], kind);
  }
  if (kinds.size === 0)
    throw new ProvisionError('no CPython symbols found to stub in _pywrap_tensorflow_internal.so');
  const names = [...kinds.keys()].sort();
  const c = [
    '/* Generated by scripts/tf/provision.mjs: CPython C-API placeholders, never used from Node. */',
    '#include <stdio.h>',
    '#include <stdlib.h>',
    'static void pystub_called(const char *n) { fprintf(stderr, "libpystub: CPython function %s called outside Python\\n", n); abort(); }',
    ...names.map((n) =>
      kinds.get(n) === 'func'
        ? `void ${n}(void) { pystub_called("${n}"); }`
        : `char ${n}[512] __attribute__((aligned(64)));`,
    ),
  ].join('\n');
  writeFileSync(join(libDir, 'pystub.c'), `${c}\n`);
  const cc = run('gcc', [
    '-shared',
    '-fPIC',
    '-O1',
    '-Wl,-soname,libpystub.so',
    '-o',
    join(libDir, 'libpystub.so'),
    join(libDir, 'pystub.c'),
  ]);
  if (!cc.ok)
    throw new ProvisionError('compiling the CPython stub library failed', tail(cc.out, 5));
  return kinds.size;
}

function extract(py, wheel, version) {
  const out = join(CACHE, `libtensorflow-${version}`);
  try {
    return { dir: out, ...JSON.parse(readFileSync(join(out, '.complete'), 'utf8')) };
  } catch {
    /* not extracted yet */
  }
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'lib'), { recursive: true });
  mkdirSync(join(tmp, 'include'), { recursive: true });
  log(`extracting libtensorflow ${version} from the wheel ...`);
  const r = run(py, ['-c', EXTRACT_PY, wheel, tmp]);
  if (!r.ok) {
    rmSync(tmp, { recursive: true, force: true });
    if (r.status === 3)
      throw new ProvisionError(
        `tensorflow-cpu==${version} wheel has no usable TensorFlow library`,
        r.out.trim(),
      );
    throw new ProvisionError('extracting the TensorFlow wheel failed', tail(r.out, 5));
  }
  const meta = JSON.parse(r.out.trim().split('\n').pop());
  if (meta.layout === 'pywrap') {
    checkToolchain();
    meta.stubbedSymbols = buildPyStub(join(tmp, 'lib'));
  }
  writeFileSync(join(tmp, '.complete'), `${JSON.stringify(meta)}\n`);
  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
  const stub = meta.stubbedSymbols ? `, ${meta.stubbedSymbols} CPython symbols stubbed` : '';
  log(
    `extracted (${meta.layout} layout: ${meta.libs.join(' + ')}, ${meta.headers} headers${stub}) at ${secs()}`,
  );
  return { dir: out, ...meta };
}

// 3. Place libs/headers where binding.gyp expects them. Hard links (same filesystem) are instant and
//    survive deleting .cache; fall back to copying.
function place(tfjs, extracted) {
  const deps = join(tfjs.dir, 'deps');
  const lib = join(deps, 'lib');
  rmSync(deps, { recursive: true, force: true });
  mkdirSync(lib, { recursive: true });
  const files =
    extracted.layout === 'pywrap' ? [...extracted.libs, 'libpystub.so'] : extracted.libs;
  for (const f of files) {
    const src = join(extracted.dir, 'lib', f);
    try {
      linkSync(src, join(lib, f));
    } catch {
      copyFileSync(src, join(lib, f));
    }
  }
  // binding.gyp links -ltensorflow -ltensorflow_framework; the runtime NEEDED entries are the sonames,
  // found via the binding's rpath $ORIGIN/../../deps/lib.
  if (extracted.layout === 'pywrap') {
    // soname _pywrap_tensorflow_internal.so; libtensorflow_framework.so is a linker script so the
    // binding also gets NEEDED libpystub.so, which puts the stubs in the library's lookup scope.
    symlinkSync('_pywrap_tensorflow_internal.so', join(lib, 'libtensorflow.so'));
    writeFileSync(
      join(lib, 'libtensorflow_framework.so'),
      'INPUT(libtensorflow_framework.so.2 libpystub.so)\n',
    );
  } else {
    // sonames libtensorflow_cc.so.2 + libtensorflow_framework.so.2
    symlinkSync('libtensorflow_cc.so.2', join(lib, 'libtensorflow.so'));
    symlinkSync('libtensorflow_cc.so.2', join(lib, 'libtensorflow.so.2'));
    symlinkSync('libtensorflow_framework.so.2', join(lib, 'libtensorflow_framework.so'));
  }
  const cp = spawnSync('cp', ['-r', join(extracted.dir, 'include'), join(deps, 'include')]);
  if (cp.status !== 0)
    throw new ProvisionError('copying TensorFlow headers into tfjs-node/deps/include failed');
}

// 4. Build the binding against local Node headers.
function buildBinding(tfjs) {
  checkToolchain();
  const nodedir = findNodeDir();
  const gyp = findNodeGyp(root);
  log(`building tfjs_binding.node with node-gyp (nodedir=${nodedir}, napi ${tfjs.napi}) ...`);
  const r = run(
    process.execPath,
    [
      gyp,
      'rebuild',
      `--nodedir=${nodedir}`,
      '--jobs=max',
      '--module_name=tfjs_binding',
      `--module_path=${dirname(tfjs.bindingPath)}`,
      `--napi_build_version=${tfjs.napi}`,
    ],
    { cwd: tfjs.dir, env: { ...process.env, npm_config_nodedir: nodedir } },
  );
  if (!r.ok || !existsSync(tfjs.bindingPath))
    throw new ProvisionError('node-gyp build of tfjs_binding.node failed', tail(r.out, 20));
  rmSync(join(tfjs.dir, 'build'), { recursive: true, force: true });
  log(`built ${tfjs.bindingPath.replace(root + '/', '')} at ${secs()}`);
}

// ---------------------------------------------------------------------------------------------
function key(tfjs, version) {
  // What the built binding depends on: tfjs-node version + its binding sources, TF version, node ABI.
  const h = createHash('sha256');
  h.update(readFileSync(join(tfjs.dir, 'binding.gyp')));
  for (const f of readdirSync(join(tfjs.dir, 'binding')).sort())
    h.update(readFileSync(join(tfjs.dir, 'binding', f)));
  return `tfjs-node-${tfjs.version}-tf-${version}-napi${tfjs.napi}-node${process.versions.modules}-${process.arch}-${h.digest('hex').slice(0, 10)}`;
}

function readStamp(tfjs) {
  try {
    return JSON.parse(readFileSync(join(tfjs.dir, 'deps', STAMP_NAME), 'utf8'));
  } catch {
    return null;
  }
}

function provisionVersion(tfjs, py, version) {
  const wheel = downloadWheel(py, version);
  const extracted = extract(py, wheel, version);
  place(tfjs, extracted);
  const k = key(tfjs, version);
  const cachedBinding = join(CACHE, `binding-${k}`, 'tfjs_binding.node');
  if (existsSync(cachedBinding) && !force) {
    mkdirSync(dirname(tfjs.bindingPath), { recursive: true });
    copyFileSync(cachedBinding, tfjs.bindingPath);
    log(`reused cached binding ${cachedBinding.replace(root + '/', '')}`);
  } else {
    buildBinding(tfjs);
    mkdirSync(dirname(cachedBinding), { recursive: true });
    copyFileSync(tfjs.bindingPath, cachedBinding);
  }
  const v = verify();
  if (!v.ok)
    throw new ProvisionError(
      `native tfjs-node failed to load with TensorFlow ${version}`,
      v.detail,
    );
  writeFileSync(
    join(tfjs.dir, 'deps', STAMP_NAME),
    JSON.stringify(
      {
        key: k,
        tensorflow: version,
        source: `pypi:tensorflow-cpu==${version}`,
        layout: extracted.layout,
        candidates: TF_VERSIONS.join(','),
        libtensorflow: v.libtensorflow,
        at: new Date().toISOString(),
      },
      null,
      2,
    ) + '\n',
  );
  return v;
}

function main() {
  if (process.env.STOREPULSE_TF_PROVISION === '0') {
    log(
      'skipped (STOREPULSE_TF_PROVISION=0); without a provisioned native backend the platform falls back to wasm.',
    );
    return 0;
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new ProvisionError(
      `native TensorFlow provisioning supports linux-x64 only (this is ${process.platform}-${process.arch})`,
    );
  }
  const tfjs = locateTfjsNode();
  const stamp = readStamp(tfjs);
  if (
    !force &&
    stamp &&
    existsSync(tfjs.bindingPath) &&
    stamp.key === key(tfjs, stamp.tensorflow) &&
    stamp.candidates === TF_VERSIONS.join(',')
  ) {
    const v = verify();
    if (v.ok) {
      log(
        `already provisioned: tfjs-node ${tfjs.version} native backend on TensorFlow ${v.libtensorflow} (${secs()})`,
      );
      return 0;
    }
    log(`stamp present but verification failed, re-provisioning: ${v.detail}`);
  }
  const py = findPython();
  const errors = [];
  for (const version of TF_VERSIONS) {
    try {
      const v = provisionVersion(tfjs, py, version);
      log(
        `OK: tfjs-node ${tfjs.version} native backend on TensorFlow ${v.libtensorflow} (matMul verified) in ${secs()}`,
      );
      return 0;
    } catch (e) {
      if (!(e instanceof ProvisionError)) throw e;
      errors.push(e);
      if (errors.length < TF_VERSIONS.length)
        log(`tensorflow-cpu==${version} did not work (${e.message}); trying the next version`);
    }
  }
  throw errors[errors.length - 1];
}

try {
  process.exitCode = main();
} catch (e) {
  const msg = e instanceof ProvisionError ? e.message : (e && e.stack) || String(e);
  console.error(`[tf-provision] FAILED: ${msg}`);
  console.error(
    '[tf-provision] native TensorFlow is NOT available; the platform will fall back to the wasm backend ' +
      '(re-run: node scripts/tf/provision.mjs --strict).',
  );
  process.exitCode = strict ? 1 : 0;
}
