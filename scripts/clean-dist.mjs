// Removes dist/ before a build: tsc never deletes outputs of moved or deleted sources, and a stale
// dist/x.js shadows a new dist/x/index.js at require time.
import { rmSync } from 'node:fs';
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
