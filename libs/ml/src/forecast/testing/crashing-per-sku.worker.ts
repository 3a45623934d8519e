// Test worker for per-sku-pool.spec.ts: the real per-SKU worker, except that a job whose SKU starts
// with "crash-exit" ends the thread (exit code 7) and one starting with "crash-throw" throws outside
// the fit (an uncaught error in the thread), so the pool's crash handling can be tested.
import { parentPort } from 'node:worker_threads';
import { servePerSkuFits } from '../per-sku-protocol';

if (!parentPort) throw new Error('crashing-per-sku.worker must run as a worker thread');
servePerSkuFits(parentPort, (job) => {
  if (job.sku.startsWith('crash-exit')) process.exit(7);
  if (job.sku.startsWith('crash-throw')) throw new RangeError(`test crash on ${job.sku}`);
});
