/**
 * A layer's feature maps as one gray picture: each map a tile, tiles in rows
 * with gaps between them, like the activation grids of Zeiler & Fergus and
 * of the AlexNet paper's companions.
 */
import type { RasterImage } from '../train/filter-grid.js';

export interface FeatureMapGridOptions {
  /**
   * Each map pixel becomes scale×scale output pixels (pixel repetition, no
   * smoothing, so every activation stays visible as itself). Default: the
   * smallest integer that makes a tile at least 48 pixels wide, so conv5's
   * 13×13 maps are as readable as conv1's 55×55.
   */
  scale?: number;
  /** Pixels between tiles and around the edge (default 2). */
  gap?: number;
  /** Tiles per row (default ⌈√count⌉). */
  columns?: number;
  /** Gap gray level, 0..255 (default 255: white, so a black, all-zero map still shows as a tile). */
  background?: number;
  /** Draw only the first maxMaps maps (default all). */
  maxMaps?: number;
}

const MIN_TILE = 48;

/** `maps` holds C maps of H × W values, row-major (a FeatureMaps record fits). */
export function featureMapGrid(
  { shape, maps }: { shape: readonly [number, number, number]; maps: Float32Array },
  options: FeatureMapGridOptions = {},
): RasterImage {
  const [channels, h, w] = shape;
  if (maps.length !== channels * h * w) throw new Error(`featureMapGrid: expected ${channels}×${h}×${w} values, got ${maps.length}`);
  const count = Math.min(channels, options.maxMaps ?? channels);
  if (!(count >= 1)) throw new Error(`featureMapGrid: nothing to draw (${channels} maps, maxMaps ${options.maxMaps})`);
  const scale = options.scale ?? Math.max(1, Math.ceil(MIN_TILE / w));
  const gap = options.gap ?? 2;
  const columns = Math.min(count, options.columns ?? Math.ceil(Math.sqrt(count)));
  const rows = Math.ceil(count / columns);
  const tileW = w * scale;
  const tileH = h * scale;
  const width = columns * tileW + (columns + 1) * gap;
  const height = rows * tileH + (rows + 1) * gap;
  const pixels = new Uint8Array(width * height).fill(options.background ?? 255);
  const plane = h * w;
  const gray = new Uint8Array(plane);
  for (let c = 0; c < count; c++) {
    normalizeMap(maps.subarray(c * plane, (c + 1) * plane), gray);
    const x0 = gap + (c % columns) * (tileW + gap);
    const y0 = gap + Math.floor(c / columns) * (tileH + gap);
    for (let y = 0; y < tileH; y++) {
      const src = Math.floor(y / scale) * w;
      const row = (y0 + y) * width + x0;
      for (let x = 0; x < tileW; x++) pixels[row + x] = gray[src + Math.floor(x / scale)];
    }
  }
  return { width, height, channels: 1, pixels };
}

/**
 * One map stretched from its own minimum to its own maximum onto 0..255.
 * Each map on its own scale because maps of one layer differ in magnitude by
 * orders (a few channels fire strongly on any image), so a shared scale would
 * leave most of them black; what a map shows is where in the image its
 * filter responds. A constant map (after ReLU: the filter found nothing) is
 * black; values that are not finite count as the minimum, so no NaN reaches
 * the pixels.
 */
export function normalizeMap(map: Float32Array, out: Uint8Array): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of map) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const range = hi - lo;
  for (let i = 0; i < map.length; i++) {
    const v = map[i];
    out[i] = range > 0 && Number.isFinite(v) ? Math.round(((v - lo) / range) * 255) : 0;
  }
}
