export { expectNoTensorLeak, countTensors } from './leak.js';
export { sharedDataDir, sharedFixturesDir, describeWithSharedData } from './shared-data.js';
export { withoutSyncReads } from './sync-reads.js';
