/**
 * The Content-Type of each file the demo site serves, by extension. A
 * browser compiles a .wasm with `WebAssembly.instantiateStreaming` only when
 * it comes as application/wasm, and runs a module script only when it comes
 * as JavaScript; with `X-Content-Type-Options: nosniff` the types must be right.
 */
import { extname } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  // The IDX files are fetched as bytes and inflated by the page: no Content-Encoding, or the browser would inflate them first.
  '.gz': 'application/gzip',
  '.pth': 'application/octet-stream',
  '.onnx': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
};

export function contentType(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}
