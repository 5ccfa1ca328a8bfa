/**
 * The static server of the browser bench: the bench page and its worker
 * (bench/web/browser/, bundled by esbuild when the server starts), and
 * read-only mounts of the files they load: dist/browser (alexnet-ts's bundle
 * and wasm builds), the dist folders of TensorFlow.js and onnxruntime-web
 * (only the files named), and the weights and inputs (only those named).
 * A request maps to a file only through resolveRequest: one plain file name
 * under a mount prefix, no directories, no dot files, no '..', so nothing
 * outside the mounts can be reached.
 *
 * `isolated` sends COOP same-origin and COEP require-corp on every answer, so
 * that the page is cross-origin isolated (SharedArrayBuffer, the frameworks'
 * threaded builds); without it the page gets the single-threaded builds.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** URL prefix (starting and ending with '/') → a folder; `files` lists the names served, all plain files when absent. */
export interface Mount {
  prefix: string;
  dir: string;
  files?: readonly string[];
}

/** A document held in memory: the page and the bundled scripts. */
export interface Document {
  type: string;
  body: string | Uint8Array;
}

export interface BenchServerOptions {
  isolated: boolean;
  mounts: readonly Mount[];
  /** Exact paths ('/', '/worker.js') → documents. */
  documents: Readonly<Record<string, Document>>;
}

export interface BenchServer {
  url: string;
  isolated: boolean;
  close(): Promise<void>;
}

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.npy': 'application/octet-stream',
  '.pth': 'application/octet-stream',
  '.onnx': 'application/octet-stream',
};

/** A file name the server may answer with: letters, digits, '.', '_', '-', not starting with a dot. */
const FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * The file a request path maps to, or null: the path must be a mount's prefix
 * followed by one file name of a known type (listed in the mount's `files`
 * when it has them). Percent-escapes are decoded first, so '%2e%2e%2f' is '../'
 * and refused like it.
 */
export function resolveRequest(pathname: string, mounts: readonly Mount[]): string | null {
  let path: string;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  for (const mount of mounts) {
    if (!path.startsWith(mount.prefix)) continue;
    const name = path.slice(mount.prefix.length);
    if (!FILE_NAME.test(name) || name.includes('..') || !(extname(name) in CONTENT_TYPES)) return null;
    if (mount.files !== undefined && !mount.files.includes(name)) return null;
    const dir = resolve(mount.dir);
    const file = join(dir, name);
    // Belt and braces: the name has no separator, but the file must be directly inside the folder.
    if (relative(dir, file).includes(sep) || !file.startsWith(dir + sep)) return null;
    return file;
  }
  return null;
}

/** The headers of every answer: no caching (each run is a fresh browser anyway), and COOP/COEP when isolated. */
export function responseHeaders(type: string, isolated: boolean): Record<string, string> {
  return {
    'content-type': type,
    'cache-control': 'no-store',
    ...(isolated
      ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp', 'cross-origin-resource-policy': 'same-origin' }
      : {}),
  };
}

async function answer(req: IncomingMessage, res: ServerResponse, options: BenchServerOptions): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  const document = Object.hasOwn(options.documents, pathname) ? options.documents[pathname] : undefined;
  if (document !== undefined) {
    const body = typeof document.body === 'string' ? Buffer.from(document.body) : document.body;
    res.writeHead(200, { ...responseHeaders(document.type, options.isolated), 'content-length': String(body.byteLength) });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  const file = resolveRequest(pathname, options.mounts);
  const info = file === null ? null : await stat(file).catch(() => null);
  if (file === null || info === null || !info.isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  res.writeHead(200, { ...responseHeaders(CONTENT_TYPES[extname(file)], options.isolated), 'content-length': String(info.size) });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}

/** Starts a server on 127.0.0.1 at a free port. */
export function startBenchServer(options: BenchServerOptions): Promise<BenchServer> {
  const server = createServer((req, res) => {
    answer(req, res, options).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolvePromise({
        url: `http://127.0.0.1:${port}`,
        isolated: options.isolated,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

const BROWSER_DIR = fileURLToPath(new URL('./browser/', import.meta.url));

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>alexnet-ts: browser bench</title></head>
<body><script type="module" src="/page.js"></script></body></html>
`;

/**
 * The page and its worker as documents: browser/page.ts and browser/worker.ts
 * bundled (their own modules only; the frameworks are fetched at run time).
 */
export async function benchDocuments(): Promise<Record<string, Document>> {
  const result = await build({
    entryPoints: { page: join(BROWSER_DIR, 'page.ts'), worker: join(BROWSER_DIR, 'worker.ts') },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: '/bench-web',
    logLevel: 'silent',
  });
  const documents: Record<string, Document> = { '/': { type: CONTENT_TYPES['.html'], body: PAGE } };
  for (const output of result.outputFiles) documents[`/${output.path.split('/').at(-1)}`] = { type: CONTENT_TYPES['.js'], body: output.contents };
  if (documents['/page.js'] === undefined || documents['/worker.js'] === undefined) throw new Error('bench/web: the page and worker bundles were not produced');
  return documents;
}
