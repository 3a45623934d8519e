import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import {
  checkStorefront,
  decodeStorefront,
  decodeStorefrontReference,
  firstInvalidUtf8,
} from '@storepulse/contracts';
import { POISON_KINDS, namesField, poisonCorpus, validCorpus } from './poison-corpus';

describe('poison corpus against the contracts (the decoders the aggregator and collector use)', () => {
  const corpus = poisonCorpus(3_000);

  it('covers every kind on every input topic', () => {
    const seen = new Set(corpus.map((c) => `${c.topic}/${c.kind}`));
    for (const t of new Set(corpus.map((c) => c.topic)))
      for (const k of POISON_KINDS) assert.ok(seen.has(`${t}/${k}`), `${t}/${k} in the corpus`);
    assert.equal(new Set(corpus.map((c) => c.topic)).size, 3);
  });

  it('every malformed message is rejected by all three decoders, naming the broken field', () => {
    const wrong: string[] = [];
    for (const c of corpus) {
      for (const [name, decode] of [
        ['hot path', checkStorefront],
        ['decodeStorefront', decodeStorefront],
        ['reference (zod)', decodeStorefrontReference],
      ] as const) {
        const r = decode(c.topic, c.value);
        if (r.ok)
          wrong.push(`${name} accepted ${c.kind} ${c.key}: ${c.value.toString().slice(0, 160)}`);
        else if (
          !namesField(
            r.errors.map((e) => e.field),
            c.field,
          )
        )
          wrong.push(
            `${name} ${c.kind} ${c.key}: expected ${c.field}, got ${r.reason.slice(0, 160)}`,
          );
      }
      if (wrong.length > 20) break;
    }
    assert.deepEqual(wrong, []);
  });

  it('the valid messages beside them are accepted', () => {
    for (const v of validCorpus(3_000)) {
      const r = checkStorefront(v.topic, v.value);
      assert.ok(r.ok, `${v.key}: ${r.ok ? '' : r.reason}`);
    }
  });

  it('invalid UTF-8 is named with its byte offset', () => {
    const r = decodeStorefront(
      'storefront.clickstream.v1',
      Buffer.concat([Buffer.from('{"user_id":"a'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
    );
    assert.ok(!r.ok);
    assert.equal(r.reason, '$: invalid UTF-8 at byte 13');
  });

  it('firstInvalidUtf8 agrees with the engine check (isUtf8) on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const at = firstInvalidUtf8(b);
        assert.equal(at === b.length, isUtf8(b), `at ${at} of ${Buffer.from(b).toString('hex')}`);
        if (at < b.length) assert.ok(isUtf8(b.subarray(0, at)), 'the prefix before it is valid');
      }),
      { numRuns: 20_000, seed: 11 },
    );
  });
});
