import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonSchemas, schemaFileName } from './json-schema';

const DOCS = join(__dirname, '..', '..', '..', '..', 'docs', 'schemas');

describe('published JSON schemas (docs/schemas)', () => {
  it('are up to date with the zod schemas (regenerate: npm run contracts:schemas)', () => {
    for (const [topic, schema] of Object.entries(jsonSchemas())) {
      const onDisk = JSON.parse(readFileSync(join(DOCS, schemaFileName(topic)), 'utf8')) as unknown;
      assert.deepEqual(onDisk, schema, `${schemaFileName(topic)} is stale`);
    }
  });
});
