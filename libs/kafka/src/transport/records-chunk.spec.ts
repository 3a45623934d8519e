import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chunkTopicMessages } from './records';

describe('chunkTopicMessages', () => {
  it('splits output into sends under the byte cap, keeping every record once and in order', () => {
    const value = 'x'.repeat(1000);
    const input = [
      { topic: 'a', messages: Array.from({ length: 25 }, (_, i) => ({ key: `k${i}`, value })) },
      { topic: 'b', messages: Array.from({ length: 5 }, (_, i) => ({ key: `b${i}`, value })) },
    ];
    const chunks = chunkTopicMessages(input, 10_000);
    assert.ok(chunks.length >= 3);
    for (const c of chunks) {
      const bytes = c.flatMap((t) => t.messages).length * (1000 + 64 + 3);
      assert.ok(bytes <= 10_000 + 1100, `chunk of ${bytes} bytes`);
    }
    const flat = chunks.flatMap((c) =>
      c.flatMap((t) => t.messages.map((m) => `${t.topic}:${String(m.key)}`)),
    );
    assert.deepEqual(flat, [
      ...input[0].messages.map((m) => `a:${m.key}`),
      ...input[1].messages.map((m) => `b:${m.key}`),
    ]);
  });
  it('a record larger than the cap goes alone; empty input sends nothing', () => {
    const big = {
      topic: 'a',
      messages: [
        { key: null, value: 'y'.repeat(5000) },
        { key: null, value: 'z' },
      ],
    };
    assert.deepEqual(
      chunkTopicMessages([big], 1000).map((c) => c[0]?.messages.length),
      [1, 1],
    );
    assert.deepEqual(chunkTopicMessages([], 1000), []);
  });
});
