// Worker threads do not inherit the tsx loader given to the main thread with --import, so the
// media worker registers it first and then loads its TypeScript entry.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
