export * from './transform.js';
export * from './geometry.js';
export * from './color.js';
export * from './spec.js';
export * from './presets.js';
