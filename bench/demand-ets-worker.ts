// Worker thread of the demand benchmark's AutoETS speed run: fits AutoETS on its share of the
// series and returns their p10/p50/p90 (the parent splits the SKUs across the cores).
import { parentPort, workerData } from 'node:worker_threads';
import { AutoEts } from '@storepulse/ml';
import { fitPredictEts, type EtsJob } from './demand-speed-ets';

const port = parentPort;
if (!port) throw new Error('demand-ets-worker must run as a worker thread');
const job = workerData as EtsJob;
const t0 = performance.now();
const out = fitPredictEts(job, () => new AutoEts({ seasonLength: 7 }));
port.postMessage({ out, ms: performance.now() - t0 }, [out.buffer as ArrayBuffer]);
