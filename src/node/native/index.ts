/** The native (C++ addon) backend: loader, backend class and addon types. */
export { installNativeBackend, loadNativeAddon, nativeAddonCandidates, nativeAddonPath, nativeBackend, nativeInfo, nativeLoadFailure } from './load.js';
export type { NativeInfo } from './load.js';
export { NativeBackend } from './native-backend.js';
export type { NativeAsyncKernels, PackedConv2dWeight } from './native-backend.js';
export type { NativeAddon, NativeAddonInfo, PackedConvHandle, SimdLevel } from './addon.js';
