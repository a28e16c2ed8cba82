export { expectNoTensorLeak, countTensors } from './leak.js';
export { packageFixture } from './fixtures.js';
export { sharedDataDir, sharedFixturesDir, describeWithSharedData } from './shared-data.js';
export { expectCleanOutcome, fuzzReader, fuzzRng } from './fuzz.js';
export type { FuzzBounds, FuzzCase, FuzzOutcome } from './fuzz.js';
export { describeBackboneContract, describeSegmentorContract } from './contracts.js';
export type {
  BackboneContractEntry,
  ContractModel,
  ContractTensorEntry,
  SegmentorContractEntry,
} from './contracts.js';
export { withoutSyncReads } from './sync-reads.js';
export { requireWebGpuUnderCi } from './webgpu-gate.js';
export type { BackendProbe } from './webgpu-gate.js';
