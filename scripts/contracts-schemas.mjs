#!/usr/bin/env node
// Writes the JSON Schema of every topic's message value to docs/schemas (from the built contracts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const require = createRequire(import.meta.url);
const { jsonSchemas, schemaFileName } = require(
  join(root, 'dist', 'libs', 'contracts', 'src', 'index.js'),
);
const dir = join(root, 'docs', 'schemas');
mkdirSync(dir, { recursive: true });
for (const [topic, schema] of Object.entries(jsonSchemas())) {
  writeFileSync(join(dir, schemaFileName(topic)), JSON.stringify(schema, null, 2) + '\n');
  console.log(`wrote docs/schemas/${schemaFileName(topic)}`);
}
