export { expectNoTensorLeak, countTensors } from './leak.js';
export { sharedDataDir, sharedFixturesDir, describeWithSharedData } from './shared-data.js';
export { expectCleanOutcome, fuzzReader, fuzzRng } from './fuzz.js';
export type { FuzzBounds, FuzzCase, FuzzOutcome } from './fuzz.js';
