/**
 * The demo page's web server: the files of one folder (dist/web) over
 * node:http, GET and HEAD only, with the headers that make the page
 * cross-origin isolated (COOP same-origin + COEP require-corp, so the wasm
 * backend may use SharedArrayBuffer threads) and CORP same-origin on every
 * response. No directory listings, no hidden files, nothing outside the root
 * (request-path.ts), no caching of stale builds (`Cache-Control: no-cache`
 * with ETags, so an unchanged file costs a 304). A path the root has no
 * file for may be served from fallback folders, mounted at URL paths of the
 * site: the installed package's page-only dist/web takes the library bundle,
 * the wasm builds and the data from dist/browser/ and data/ (site.ts).
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, resolve, sep } from 'node:path';
import { contentType } from './content-types.js';
import { resolveRequestPath } from './request-path.js';

export interface StaticServerOptions {
  /** The folder served as the site root. */
  root: string;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Called with one line per request that fails (a 4xx or 5xx), if given. */
  log?: (line: string) => void;
  /** Folders whose files are served, in this order, at paths the root has nothing at. */
  fallbacks?: readonly FallbackFolder[];
}

/** A folder whose files are served at `at`/NAME when the site root has nothing at that path. */
export interface FallbackFolder {
  /** The URL path it is mounted at, without slashes at either end ('' for the site root). */
  at: string;
  dir: string;
}

interface FileInfo {
  isFile: boolean;
  isDirectory: boolean;
  size: number;
  mtimeMs: number;
}

/** Sent with every response: cross-origin isolation and safe defaults. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  const text = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(text.length),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

async function fileStat(path: string): Promise<FileInfo | null> {
  try {
    const s = await stat(path);
    return { isFile: s.isFile(), isDirectory: s.isDirectory(), size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return null;
  }
}

/**
 * Where a folder asked for without its trailing slash redirects: rebuilt from the checked path under the root, each
 * segment encoded again, so it is always a path of this site starting with a single '/'. (The raw target would not
 * do: `//evil.example` is a path here, but as a Location it is a URL of another host.) The query goes along.
 */
export function directoryLocation(root: string, folder: string, target: string): string {
  const below = relative(root, folder);
  const segments = below === '' ? [] : below.split(sep);
  const query = /\?[^#]*/.exec(target)?.[0] ?? '';
  return `/${segments.map((segment) => `${encodeURIComponent(segment)}/`).join('')}${query}`;
}

export class StaticServer {
  private constructor(
    private readonly server: Server,
    /** The root's real path (symbolic links resolved). */
    readonly root: string,
    readonly url: string,
  ) {}

  static async start(options: StaticServerOptions): Promise<StaticServer> {
    const root = await realpath(resolve(options.root)).catch(() => {
      throw new Error(`the site folder ${options.root} does not exist`);
    });
    const fallbacks = await Promise.all((options.fallbacks ?? []).map(resolveFallback));
    const server = createServer((req, res) => {
      handle(root, fallbacks, req, res, options.log).catch((error: unknown) => {
        options.log?.(`alexnet web: ${req.method} ${req.url}: ${(error as Error).message}`);
        if (!res.headersSent) send(res, 500, 'internal error\n');
        else res.destroy();
      });
    });
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolveListen();
      });
    });
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return new StaticServer(server, root, `http://${host}:${address.port}/`);
  }

  /** Stops accepting and closes every connection. */
  close(): Promise<void> {
    return new Promise((resolveClose) => {
      this.server.close(() => resolveClose());
      this.server.closeAllConnections();
    });
  }
}

/** A fallback folder with its real path, and its mount point as a relative path (platform separators, as the checked request path has them). */
async function resolveFallback(fallback: FallbackFolder): Promise<FallbackFolder> {
  const dir = await realpath(resolve(fallback.dir)).catch(() => {
    throw new Error(`the fallback folder ${fallback.dir} (served at /${fallback.at}) does not exist`);
  });
  const segments = fallback.at.split('/').filter((segment) => segment !== '');
  return { at: segments.length === 0 ? '' : join(...segments), dir };
}

/** Whether `path`, symbolic links resolved, lies inside `folder` (a real path): a link must not lead out of it. */
async function realPathInside(folder: string, path: string): Promise<boolean> {
  const real = await realpath(path);
  return real === folder || real.startsWith(folder + sep);
}

/**
 * The file a fallback folder has for `below`, a request path already checked by resolveRequestPath and taken relative
 * to the site root (so it holds no `..`, nothing hidden); only files, never a folder's index.
 */
async function fallbackFile(fallbacks: readonly FallbackFolder[], below: string): Promise<{ path: string; info: FileInfo; folder: string } | null> {
  for (const { at, dir } of fallbacks) {
    if (at !== '' && !below.startsWith(at + sep)) continue;
    const path = join(dir, at === '' ? below : below.slice(at.length + 1));
    if (path === dir || !path.startsWith(dir + sep)) continue;
    const info = await fileStat(path);
    if (info?.isFile) return { path, info, folder: dir };
  }
  return null;
}

async function handle(
  root: string,
  fallbacks: readonly FallbackFolder[],
  req: IncomingMessage,
  res: ServerResponse,
  log?: (line: string) => void,
): Promise<void> {
  const fail = (status: number, reason: string, headers: Record<string, string> = {}): void => {
    log?.(`alexnet web: ${status} ${req.method} ${req.url}: ${reason}`);
    send(res, status, `${status} ${STATUS_CODES[status] ?? ''}: ${reason}\n`, headers);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return fail(405, `${req.method} is not served (GET and HEAD only)`, { Allow: 'GET, HEAD' });
  const target = resolveRequestPath(root, req.url ?? '/');
  if (!target.ok) return fail(target.status, target.reason);
  let path = target.path;
  /** The folder the file is served from: the root, or the fallback folder that has it. */
  let folder = root;
  let info = await fileStat(path);
  if (info?.isDirectory) {
    // Relative URLs inside the page resolve against the directory only when the URL ends in '/'.
    if (!target.trailingSlash) return send(res, 301, 'moved\n', { Location: directoryLocation(root, path, req.url ?? '') });
    path = join(path, 'index.html');
    info = await fileStat(path);
  } else if (info === null) {
    const fallback = await fallbackFile(fallbacks, relative(root, path));
    if (fallback !== null) ({ path, info, folder } = fallback);
  }
  if (info === null || !info.isFile) return fail(404, 'not found');
  // A symbolic link inside the folder must not lead out of it.
  if (!(await realPathInside(folder, path))) return fail(404, 'not found');

  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    'Content-Type': contentType(path),
    'Cache-Control': 'no-cache',
    ETag: etag,
    'Last-Modified': new Date(info.mtimeMs).toUTCString(),
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': String(info.size) });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((done, reject) => {
    const stream = createReadStream(path);
    stream.on('error', (error) => {
      res.destroy();
      reject(error);
    });
    res.on('close', () => {
      stream.destroy();
      done();
    });
    stream.pipe(res);
  });
}
