/** torchinfo-style model summaries: the data (summary) and the table (formatSummary). */
export { summary, TORCHINFO_STORAGE_OVERHEAD_BYTES, type SummaryOptions } from './summary.js';
export { formatSummary, DEFAULT_COL_WIDTH, type FormatOptions } from './format.js';
export { layerMultAdds, type NamedCount } from './mult-adds.js';
export { shapesOnlyBackend } from './shapes-only-backend.js';
export type { LayerSummary, SummaryResult } from './types.js';
