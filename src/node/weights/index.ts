/** Node-only weight handling: files on disk, the download cache, pretrained specs. */
export { resolveWeights, loadWeights, type ResolveWeightsOptions, type ResolvedWeights } from './resolve.js';
export {
  readFileBytes,
  loadPthFile,
  readStateDictFile,
  loadStateDictFile,
  loadSafetensorsFile,
  loadNpyFile,
  savePthFile,
  saveSafetensorsFile,
  saveNpyFile,
} from './weight-files.js';
