// Worker thread of PerSkuWorkerPool (per-sku-pool.ts): fits the per-SKU demand models of every
// batch it is sent (per-sku-protocol.ts). It loads no TensorFlow, only the statistical models.
import { parentPort } from 'node:worker_threads';
import { servePerSkuFits } from './per-sku-protocol';

if (!parentPort) throw new Error('per-sku.worker must run as a worker thread (PerSkuWorkerPool)');
servePerSkuFits(parentPort);
