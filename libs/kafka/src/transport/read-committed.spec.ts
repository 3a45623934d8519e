// The read_committed correction against kafkajs' own filter (consumer/filterAbortedMessages.js), on
// fetch partitions laid out as the broker returns them (aborted list in abort-marker order).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  alignAbortedTransactions,
  alignFetchResponse,
  type AbortedTransaction,
  type FetchedRecord,
} from './read-committed';

interface Rec extends FetchedRecord {
  key: Buffer | null;
  isControlRecord: boolean;
  label: string;
}

type KafkajsFilter = (args: {
  messages: Rec[];
  abortedTransactions: AbortedTransaction[];
}) => Rec[];
const kafkajsFilter = createRequire(__filename)(
  'kafkajs/src/consumer/filterAbortedMessages',
) as KafkajsFilter;

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);

/** A partition log from a layout: 'A' = a record of producer A in a transaction, 'A!' its abort marker, 'A+' its commit marker. */
function log(layout: string[], base = 0): Rec[] {
  return layout.map((l, i) => {
    const producerId = l[0] ?? '?';
    const marker = l.endsWith('!') ? ABORT : l.endsWith('+') ? COMMIT : null;
    return {
      offset: String(base + i),
      key: marker,
      isControlRecord: marker !== null,
      label: `${l}@${base + i}`,
      batchContext: { producerId, inTransaction: true },
    };
  });
}

const visible = (msgs: Rec[], aborted: AbortedTransaction[]) =>
  kafkajsFilter({ messages: msgs, abortedTransactions: aborted })
    .filter((m) => !m.isControlRecord)
    .map((m) => m.label);

describe('read_committed correction of kafkajs aborted-record filtering', () => {
  // A starts first and aborts last; B starts later and aborts first; C commits.
  const layout = ['A', 'A', 'B', 'B!', 'A', 'A!', 'C', 'C+'];
  // the broker lists aborted transactions in the order their markers were written: B, then A
  const brokerList: AbortedTransaction[] = [
    { producerId: 'B', firstOffset: '2' },
    { producerId: 'A', firstOffset: '0' },
  ];

  it('kafkajs alone leaks the records of the transaction that started first and aborted last', () => {
    assert.deepEqual(visible(log(layout), brokerList), ['A@0', 'A@1', 'C@6']);
  });

  it('with the aligned list only the committed record is visible', () => {
    const msgs = log(layout);
    const aligned = alignAbortedTransactions(msgs, brokerList, '0');
    assert.deepEqual(aligned, [
      { producerId: 'A', firstOffset: '0' },
      { producerId: 'B', firstOffset: '2' },
    ]);
    assert.deepEqual(visible(msgs, aligned), ['C@6']);
  });

  it('a fetch starting inside two overlapping aborted transactions drops both', () => {
    // fetch from offset 10; both aborted transactions began before it (at 3 and 5)
    const msgs = log(['B', 'A', 'B', 'A!', 'B!', 'C', 'C+'], 10);
    const list: AbortedTransaction[] = [
      { producerId: 'A', firstOffset: '3' },
      { producerId: 'B', firstOffset: '5' },
    ];
    assert.deepEqual(visible(msgs, list), ['B@10', 'C@15'], 'kafkajs alone leaks B@10');
    assert.deepEqual(visible(msgs, alignAbortedTransactions(msgs, list, '10')), ['C@15']);
  });

  it('the same producer id aborting and then committing (a new epoch) keeps the committed records', () => {
    const msgs = log(['P', 'Q', 'P', 'P!', 'Q+', 'P', 'P+']);
    const list: AbortedTransaction[] = [{ producerId: 'P', firstOffset: '0' }];
    assert.deepEqual(visible(msgs, alignAbortedTransactions(msgs, list, '0')), ['Q@1', 'P@5']);
  });

  it('entries without a record in the fetch are left out; records before the fetch offset are ignored', () => {
    const msgs = log(['A', 'A', 'A!', 'B', 'B+'], 20);
    const list: AbortedTransaction[] = [
      { producerId: 'A', firstOffset: '18' },
      { producerId: 'Z', firstOffset: '19' },
    ];
    assert.deepEqual(alignAbortedTransactions(msgs, list, '21'), [
      { producerId: 'A', firstOffset: '21' },
    ]);
    assert.deepEqual(alignAbortedTransactions(msgs, [], '21'), []);
  });

  it('alignFetchResponse rewrites each partition with its own fetch offset and leaves messages alone', () => {
    const msgs = log(layout);
    const response = {
      responses: [
        {
          topicName: 't',
          partitions: [
            { partition: 0, abortedTransactions: [...brokerList], messages: msgs },
            { partition: 1, abortedTransactions: [], messages: log(['C', 'C+']) },
          ],
        },
      ],
    };
    alignFetchResponse(
      {
        topics: [
          {
            topic: 't',
            partitions: [
              { partition: 0, fetchOffset: '0' },
              { partition: 1, fetchOffset: '0' },
            ],
          },
        ],
      },
      response,
    );
    const [p0, p1] = response.responses[0]?.partitions ?? [];
    assert.deepEqual(
      p0?.abortedTransactions?.map((a) => a.producerId),
      ['A', 'B'],
    );
    assert.equal(p0?.messages.length, layout.length);
    assert.deepEqual(p1?.abortedTransactions, []);
  });
});
