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

export interface CurvesSpecOptions {
  records: readonly LogRecord[];
  title?: string;
}

/**
 * A vega-lite spec with the loss curve (total, decode, aux vs iteration; the report's
 * Figure 1) beside the validation mIoU curve (Figure 2).
 */
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
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    background: 'white',
    hconcat: [
      {
        title: 'Training loss',
        width: 360,
        height: 240,
        data: { values: loss },
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'iter', type: 'quantitative', title: 'Iteration' },
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
        title: 'Validation mIoU',
        width: 360,
        height: 240,
        data: { values: miou },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'iter', type: 'quantitative', title: 'Iteration' },
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

export interface RenderCurvesOptions extends CurvesSpecOptions {
  /** PNG scale factor (default 2 for crisp text). */
  scale?: number;
}

/** Renders the curves in Node (no browser): vega-lite → vega → SVG → resvg PNG. */
export async function renderCurves(
  options: RenderCurvesOptions,
): Promise<{ svg: string; png: Uint8Array }> {
  const { scale = 2 } = options;
  const spec = vl.compile(curvesSpec(options)).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const resvg = new Resvg(svg, {
      background: 'white',
      fitTo: { mode: 'zoom', value: scale },
      font: {
        loadSystemFonts: false,
        fontFiles: curveFontFiles(),
        defaultFontFamily: 'DejaVu Sans',
        sansSerifFamily: 'DejaVu Sans',
      },
    });
    const png = resvg.render().asPng();
    return { svg, png: new Uint8Array(png) };
  } finally {
    view.finalize();
  }
}
