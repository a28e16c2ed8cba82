// End to end: evaluateMaskFolders (what `facepar miou` runs) over the real CelebAMask-HQ
// training masks, scored against themselves (every file decoded twice, as for a real
// prediction folder). Skipped when ../shared/data is absent.
import fs from 'node:fs';
import path from 'node:path';
import { computeMetrics, evaluateMaskFolders } from '@facepar/metrics';
import { REPO_ROOT, writeBenchResult } from '../../../scripts/bench-lib.mjs';

const shared = process.env.FACEPAR_SHARED_DIR ?? path.resolve(REPO_ROOT, '..', 'shared');
const masks = path.join(shared, 'data', 'celebamask-mini', 'train', 'masks');
if (!fs.existsSync(masks)) {
  console.log(`metrics/folder: skipped, ${masks} not found (set FACEPAR_SHARED_DIR)`);
  process.exit(0);
}

await evaluateMaskFolders({ predDir: masks, gtDir: masks }); // warm-up (JIT, page cache)
const runs = [];
for (let i = 0; i < 3; i++) {
  const c0 = process.cpuUsage();
  const r = await evaluateMaskFolders({ predDir: masks, gtDir: masks });
  const c = process.cpuUsage(c0);
  r.cpuMs = (c.user + c.system) / 1000; // main thread + libuv read threads
  runs.push(r);
}
runs.sort((a, b) => a.timing.totalMs - b.timing.totalMs);
const r = runs[1];
const m = computeMetrics(r.confusionMatrix);
if (m.mIoU !== 1) throw new Error(`self-evaluation must give mIoU 1, got ${m.mIoU}`);
const n = r.stems.length;
const t = r.timing;
const px = r.confusionMatrix.totalPixels * 2;
writeBenchResult({
  pkg: 'metrics',
  name: 'folder',
  rows: [
    {
      case: `${n} mask pairs (512x512), total`,
      value: Number((t.totalMs / 1000).toFixed(2)),
      unit: 's',
      note: 'median of 3',
    },
    {
      case: 'PNG decode (native zlib inflate, 2 files per pair)',
      value: Number((t.decodeMs / 1000).toFixed(2)),
      unit: 's',
      note: `${(t.decodeMs / (2 * n)).toFixed(2)} ms per file`,
    },
    {
      case: 'waiting for file reads (overlapped with decode)',
      value: Number((t.readMs / 1000).toFixed(2)),
      unit: 's',
    },
    {
      case: 'confusion-matrix counting',
      value: Number((t.countMs / 1000).toFixed(2)),
      unit: 's',
      note: `${(px / 2 / t.countMs / 1e3).toFixed(0)} Mpx/s`,
    },
    {
      case: 'process CPU time',
      value: Number((r.cpuMs / 1000).toFixed(2)),
      unit: 's',
      note: 'all threads of the process; independent of other load on the machine',
    },
    { case: 'throughput', value: Number((n / (t.totalMs / 1000)).toFixed(1)), unit: 'pairs/s' },
  ],
});
