import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { LogRecord } from '@facepar/train';

const require = createRequire(import.meta.url);

/** Bundled fonts so the PNG does not depend on the machine's fonts. */
export function curveFontFiles(): string[] {
  return [
    require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'),
    require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'),
  ];
}

type CurvesSpecOptions = { records: readonly LogRecord[]; title?: string };

/** A vega-lite spec: loss (total, decode, aux) vs iteration beside the validation mIoU. */
export function curvesSpec(options: CurvesSpecOptions): vl.TopLevelSpec {
  const { records, title = 'Training curves' } = options;
  const loss: { iter: number; series: string; value: number }[] = [];
  const miou: { iter: number; mIoU: number }[] = [];
  for (const r of records) {
    if (r.kind === 'train') {
      loss.push({ iter: r.iter, series: 'total', value: r.loss });
      loss.push({ iter: r.iter, series: 'decode', value: r.decodeLoss });
      if (r.auxLoss !== undefined) loss.push({ iter: r.iter, series: 'aux', value: r.auxLoss });
    } else if (r.kind === 'eval') {
      miou.push({ iter: r.iter, mIoU: r.mIoU * 100 });
    }
  }
  // from 0, integer ticks: one evaluation would otherwise give ticks such as 40.000000
  const x = {
    field: 'iter',
    type: 'quantitative',
    title: 'Iteration',
    scale: { zero: true },
    axis: { format: ',d', tickMinStep: 1 },
  } as const;
  const panel = { width: 360, height: 240 };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    background: 'white',
    // each panel keeps its own legend beside it (a shared one sits right of the last panel)
    resolve: { legend: { color: 'independent' } },
    hconcat: [
      {
        ...{ ...panel, title: 'Training loss', data: { values: loss } },
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: 'Loss' },
          color: {
            field: 'series',
            type: 'nominal',
            title: 'Loss',
            sort: ['total', 'decode', 'aux'],
          },
        },
      },
      {
        ...{ ...panel, title: 'Validation mIoU', data: { values: miou } },
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: {
            field: 'mIoU',
            type: 'quantitative',
            title: 'mIoU (%)',
            scale: { domain: [0, 100] },
          },
        },
      },
    ],
  };
}

/** Renders the curves in Node (no browser): vega-lite → vega → SVG → resvg PNG. */
export async function renderCurves(
  options: CurvesSpecOptions & { /** PNG scale (default 2: crisp text). */ scale?: number },
): Promise<{ svg: string; png: Uint8Array }> {
  const { scale = 2 } = options;
  const spec = vl.compile(curvesSpec(options)).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const family = { defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' };
    const font = { loadSystemFonts: false, fontFiles: curveFontFiles(), ...family };
    const fitTo = { mode: 'zoom', value: scale } as const;
    const png = new Resvg(svg, { background: 'white', fitTo, font }).render().asPng();
    return { svg, png: new Uint8Array(png) };
  } finally {
    view.finalize();
  }
}
