// What the native-addon provisioners share (scripts/tf/provision.mjs, scripts/kafka-native/provision.mjs):
// the error they report, a child-process runner, and a node-gyp toolchain that works offline (the
// local Node headers instead of a download, npm's own node-gyp).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

/** A provisioning step that failed: `piece` names it, the detail says why or what to do. */
export class ProvisionError extends Error {
  constructor(piece, detail) {
    super(`${piece}${detail ? `: ${detail}` : ''}`);
    this.piece = piece;
  }
}

export function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  return {
    ok: r.status === 0 && !r.error,
    status: r.status,
    out: `${r.stdout ?? ''}${r.stderr ?? ''}`,
    error: r.error,
  };
}

export function tail(text, n = 15) {
  return text.trim().split('\n').slice(-n).join('\n');
}

export function findNodeDir() {
  const candidates = [
    process.env.npm_config_nodedir,
    resolve(dirname(process.execPath), '..'), // /usr for /usr/bin/node (Debian/NodeSource package)
    '/usr',
    '/usr/local',
    join(process.env.HOME ?? '/root', '.cache', 'node-gyp', process.versions.node),
  ].filter(Boolean);
  for (const d of candidates) {
    if (
      existsSync(join(d, 'include', 'node', 'node_api.h')) &&
      existsSync(join(d, 'include', 'node', 'common.gypi'))
    ) {
      const v = readFileSync(join(d, 'include', 'node', 'node_version.h'), 'utf8');
      const major = /#define NODE_MAJOR_VERSION (\d+)/.exec(v)?.[1];
      if (major === process.versions.node.split('.')[0]) return d;
    }
  }
  throw new ProvisionError(
    'Node.js headers for this node (' + process.version + ') not found',
    `looked for include/node/node_api.h + common.gypi in ${candidates.join(', ')}; ` +
      'the NodeSource "nodejs" package ships them in /usr/include/node, or set npm_config_nodedir',
  );
}

/** npm's bundled node-gyp (or a project one), for `root`'s package.json. */
export function findNodeGyp(root) {
  const candidates = [];
  if (process.env.npm_execpath)
    candidates.push(
      join(
        dirname(process.env.npm_execpath),
        '..',
        'node_modules',
        'node-gyp',
        'bin',
        'node-gyp.js',
      ),
    );
  candidates.push(
    resolve(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  );
  candidates.push(
    '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    '/usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  );
  try {
    candidates.push(createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    /* not a project dependency */
  }
  const found = candidates.find((c) => existsSync(c));
  if (!found)
    throw new ProvisionError(
      'node-gyp not found',
      `looked in ${candidates.join(', ')} (it ships with npm)`,
    );
  return found;
}

export function checkToolchain() {
  for (const [tool, pkg] of [
    ['make', 'make'],
    ['g++', 'g++'],
    ['python3', 'python3'],
  ]) {
    if (!run(tool, ['--version']).ok)
      throw new ProvisionError(
        `${tool} not found (needed by node-gyp)`,
        `apt-get install -y ${pkg}`,
      );
  }
}
