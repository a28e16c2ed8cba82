// The fuzz-case runner the weight-file suites share: a reader of untrusted bytes must accept
// (then `accepted` checks the value) or throw a FileFormatError naming `source`.
import { type FuzzCase, type FuzzOutcome, fuzzReader } from '@facepar/test-utils';
import { FileFormatError } from './errors.js';

export function weightFileFuzzer<O, T>(
  read: (bytes: Uint8Array, options: O & { source: string }) => T,
  source: string,
  accepted: (value: T, bytes: Uint8Array) => void,
): (c: FuzzCase<O, T>) => Promise<FuzzOutcome<T>> {
  return fuzzReader({ read, errorType: FileFormatError, source, accepted });
}
