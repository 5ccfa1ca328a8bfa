/** Node-only weight handling: files on disk, the download cache, pretrained specs. */
export { weightsCacheDir } from './cache-dir.js';
export { downloadVerified, type DownloadOptions, type DownloadResult } from './download.js';
export { resolveWeights, loadWeights, type ResolveWeightsOptions, type ResolvedWeights } from './resolve.js';
export {
  readFileBytes, loadPthFile, loadStateDictFile, loadSafetensorsFile, loadNpyFile,
  savePthFile, saveSafetensorsFile, saveNpyFile,
} from './weight-files.js';
