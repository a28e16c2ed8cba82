// The unpickler against Python's own pickle.dumps at every protocol (scripts/gen_pth_fixtures.py):
// the same values come out, in Python's canonical JSON form.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PyDict, PySet, PyTuple, type PyValue, unpickle } from './pickle.js';
import { torchGlobal } from './torch-globals.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

/** The JSON form `canonical()` in the generator gives. */
function canonical(v: PyValue): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    return v;
  }
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return v.map(canonical);
  if (v instanceof PyTuple) return { tuple: v.items.map(canonical) };
  if (v instanceof PySet) {
    const items = v.items.map(canonical);
    return { set: items.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) };
  }
  if (v instanceof PyDict) {
    return {
      dict: [...v.entries.values()].map(([k, x]) => [canonical(k), canonical(x)]),
      ordered: v.kind === 'OrderedDict',
    };
  }
  throw new Error(`unexpected value ${String(v)}`);
}

const fail = (what: string, at?: number): never => {
  throw new Error(`${what} @${at}`);
};
const host = {
  global: (m: string, n: string) =>
    torchGlobal(m, n, { fail, unknownGlobals: 'error', skipped: new Set() }),
  persistentLoad: () => fail('no persistent ids here'),
};

describe('unpickle', () => {
  const expected = JSON.parse(fixture('plain-expected.json').toString('utf8'));

  it.each([0, 1, 2, 3, 4, 5])('reads protocol %i as Python wrote it', (p) => {
    const bytes = new Uint8Array(fixture(`plain-p${p}.pkl`));
    const r = unpickle(bytes, host, { maxObjects: 1e6, maxMarkDepth: 100, fail });
    expect(r.end).toBe(bytes.length);
    expect(r.protocol).toBe(p >= 2 ? p : 0);
    expect(canonical(r.value)).toEqual(expected);
  });

  it('keeps shared references shared (memo), as Python does', () => {
    const r = unpickle(new Uint8Array(fixture('plain-p2.pkl')), host, {
      maxObjects: 1e6,
      maxMarkDepth: 100,
      fail,
    });
    const shared = (r.value as PyDict).get('shared') as PyValue[][];
    expect(shared[0]).toBe(shared[1]);
  });
});
