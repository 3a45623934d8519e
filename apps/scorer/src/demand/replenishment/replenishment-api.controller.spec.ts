import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestException } from '@nestjs/common';
import { DEFAULT_LIST_LIMIT, parseAction, parseLimit } from './replenishment-api.controller';

describe('replenishment API query parsing', () => {
  it('action: the three actions or nothing; anything else is a 400 naming the allowed values', () => {
    assert.equal(parseAction('reorder'), 'reorder');
    assert.equal(parseAction('overstock'), 'overstock');
    assert.equal(parseAction(undefined), undefined);
    assert.throws(
      () => parseAction('buy'),
      (e: unknown) =>
        e instanceof BadRequestException &&
        e.message === 'action: must be one of reorder, ok, overstock (got "buy")',
    );
    assert.throws(() => parseAction(['reorder', 'ok']), BadRequestException);
  });

  it('limit: default, bounds and non-integers', () => {
    assert.equal(parseLimit(undefined), DEFAULT_LIST_LIMIT);
    assert.equal(parseLimit('7'), 7);
    for (const bad of ['0', '-1', '2.5', 'ten', '10001'])
      assert.throws(
        () => parseLimit(bad),
        (e: unknown) =>
          e instanceof BadRequestException && /^limit: must be an integer/.test(e.message),
        bad,
      );
  });
});
