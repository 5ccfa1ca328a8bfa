/**
 * Pictures of what AlexNet learned, as raster images (no Node API, so the
 * browser demo draws the same pictures the CLI writes as PNGs): conv1's
 * kernels (the paper's Figure 3) and each conv layer's feature maps for an image.
 */
export { filterGrid, type FilterGridOptions, type RasterImage } from '../train/filter-grid.js';
export { convLayers, firstConv, type NamedConv } from './conv-layers.js';
export { convFeatureMaps, convFeatureMapsAsync, type FeatureMaps } from './feature-maps.js';
export { featureMapGrid, normalizeMap, type FeatureMapGridOptions } from './feature-map-grid.js';
export { rasterToRgba } from './rgba.js';
