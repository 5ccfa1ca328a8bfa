/**
 * The browser tests' helpers: the demo site built into a temporary folder,
 * served in-process (cross-origin isolated by StaticServer, or through a
 * proxy that drops the COOP/COEP headers), Debian's Chromium driven by
 * playwright-core, and for each page: the console errors it logged, the
 * main-thread long tasks it ran (a PerformanceObserver installed before the
 * page's own scripts), and screenshots saved as test artifacts.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { StaticServer } from '../../src/node/web/static-server.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or false when they can. */
export const SKIP: string | false = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (Debian: apt-get install chromium; .ci/run installs it)`;

/** A real photo: scikit-image's Chelsea (python3-skimage, which .ci/run installs), else the small committed copy. */
export function photoPath(): string {
  const skimage = '/usr/lib/python3/dist-packages/skimage/data/chelsea.png';
  return existsSync(skimage) ? skimage : join(ROOT, 'test/fixtures/image/photos/chelsea.png');
}

/** Where the screenshots go: $ALEXNET_TEST_ARTIFACTS, else test-artifacts/browser/ of the checkout. */
export function artifactsDir(): string {
  const dir = process.env.ALEXNET_TEST_ARTIFACTS ? resolve(process.env.ALEXNET_TEST_ARTIFACTS) : join(ROOT, 'test-artifacts', 'browser');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A temporary folder, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function newestMtime(path: string, skip: (name: string) => boolean = () => false): number {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) if (!skip(entry)) newest = Math.max(newest, newestMtime(join(path, entry), skip));
  return newest;
}

/** Whether dist/browser (the library bundle and the wasm builds) is at least as new as what it is built from. */
function browserBundleFresh(): boolean {
  const bundle = join(ROOT, 'dist', 'browser', 'alexnet-ts.js');
  if (!existsSync(bundle)) return false;
  const built = statSync(bundle).mtimeMs;
  const sources = [
    newestMtime(join(ROOT, 'src'), (name) => name === 'node'),
    newestMtime(join(ROOT, 'wasm')),
    newestMtime(join(ROOT, 'scripts', 'build-browser.mjs')),
  ];
  return sources.every((t) => t <= built);
}

function runBuild(out: string, skipBrowser: boolean): Promise<void> {
  const args = ['scripts/build-web.mjs', '--out', out, ...(skipBrowser ? ['--skip-browser'] : [])];
  return new Promise((done, reject) => {
    execFile(process.execPath, args, { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) =>
      error === null ? done() : reject(new Error(`build-web failed: ${stderr}`)),
    );
  });
}

/**
 * The site as `npm run build:web` makes it, in `out`. dist/browser is rebuilt only when stale (CI's
 * `npm ci` builds it), so test files running side by side do not rebuild it under each other; one
 * retry covers the moment another build swaps it.
 */
export async function buildSite(out: string): Promise<void> {
  try {
    await runBuild(out, browserBundleFresh());
  } catch {
    await new Promise((r) => setTimeout(r, 1000));
    await runBuild(out, browserBundleFresh());
  }
  // A blank page of the site's origin, for running the library bundle on the main thread.
  writeFileSync(join(out, 'blank.html'), '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>blank</title>\n');
}

export interface Site {
  url: string;
  close(): Promise<void>;
}

/** Serves `root` with StaticServer (COOP/COEP: cross-origin isolated) or, with `isolated: false`, the same files without those headers. */
export async function serveSite(root: string, { isolated }: { isolated: boolean }): Promise<Site> {
  const server = await StaticServer.start({ root, host: '127.0.0.1', port: 0 });
  if (isolated) return server;
  const upstream = new URL(server.url);
  const proxy: Server = createServer((req, res) => {
    const forward = request(
      { hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers, agent: false },
      (reply) => {
        const headers = { ...reply.headers };
        delete headers['cross-origin-opener-policy'];
        delete headers['cross-origin-embedder-policy'];
        res.writeHead(reply.statusCode ?? 502, headers);
        reply.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
  const { port } = proxy.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      await new Promise<void>((done) => {
        proxy.close(() => done());
        proxy.closeAllConnections();
      });
      await server.close();
    },
  };
}

/** Debian's Chromium, headless; `args` are more command-line switches (e.g. --host-resolver-rules). */
export function launchChromium(args: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', ...args] });
}

/** The site built once and served twice (cross-origin isolated and not), and a browser to open it in. */
export interface SitePair {
  isolated: Site;
  plain: Site;
  browser: Browser;
  close(): Promise<void>;
}

/** Builds the site under `dir`, serves it with and without COOP/COEP, and launches Chromium with `args`. */
export async function startSitePair(dir: string, args: string[] = []): Promise<SitePair> {
  const root = join(dir, 'site');
  await buildSite(root);
  const isolated = await serveSite(root, { isolated: true });
  const plain = await serveSite(root, { isolated: false });
  const browser = await launchChromium(args);
  return {
    isolated,
    plain,
    browser,
    close: async () => {
      await browser.close();
      await isolated.close();
      await plain.close();
    },
  };
}

/** Collects every main-thread task over 50 ms (the Long Tasks API) into window.__longTasks, from before the page's scripts run. */
const LONG_TASK_OBSERVER = `
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__longTasks.push({ start: entry.startTime, duration: entry.duration });
  }).observe({ type: 'longtask', buffered: true });
`;

export interface LongTask {
  start: number;
  duration: number;
}

/** One task of a renderer's main thread, from Chrome's trace: its wall time, and the CPU time the thread spent on it. */
export interface MainThreadTask {
  wallMs: number;
  cpuMs: number;
  /** What took the time: the task's longest nested trace events (script calls with their function and file, GC, layout, paint). */
  inside: string[];
}

interface TraceEvent {
  ph: string;
  name: string;
  cat: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string; data?: { functionName?: string; url?: string; lineNumber?: number } };
}

/** The trace categories: 'toplevel' gives every scheduler task; the timeline ones say what ran inside it. */
const TRACE_CATEGORIES = ['toplevel', 'devtools.timeline', 'v8.execute', 'disabled-by-default-v8.gc'];

/**
 * The `count` longest events nested in `task` on its thread, each as "name 12.3 ms (function file:line)"; the
 * scheduler's own wrappers (category 'toplevel') are left out, as they say nothing about the work.
 */
function eventsInside(task: TraceEvent, sameThread: TraceEvent[], count = 5): string[] {
  const end = task.ts + (task.dur ?? 0);
  return sameThread
    .filter((e) => e.ts >= task.ts && e.ts < end && !e.cat.split(',').includes('toplevel'))
    .sort((a, b) => (b.dur ?? 0) - (a.dur ?? 0))
    .slice(0, count)
    .map((e) => {
      const data = e.args?.data;
      const where =
        data?.url || data?.functionName ? ` (${data.functionName || 'anonymous'} ${data.url?.split('/').pop() ?? ''}:${data.lineNumber ?? ''})` : '';
      return `${e.name} ${((e.dur ?? 0) / 1000).toFixed(1)} ms${where}`;
    });
}

/**
 * Runs `work` under Chrome's tracing ('toplevel': every scheduler task) and returns the tasks of the renderers' main
 * threads (CrRendererMain) that ran meanwhile. The CPU time (thread time) is what the page itself spent; the wall time
 * also counts the time the thread waited for a core, which on a shared machine is not the page's doing.
 */
export async function traceMainThread<T>(browser: Browser, page: Page, work: () => Promise<T>): Promise<{ result: T; tasks: MainThreadTask[] }> {
  await browser.startTracing(page, { categories: TRACE_CATEGORIES });
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await browser.stopTracing();
    throw error;
  }
  const trace = await browser.stopTracing();
  const events = (JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
  const mainThreads = new Set(
    events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`),
  );
  const onMainThread = events.filter((e) => e.ph === 'X' && mainThreads.has(`${e.pid}:${e.tid}`));
  const tasks = onMainThread
    .filter((e) => e.name === 'ThreadControllerImpl::RunTask')
    .map((e) => ({
      wallMs: (e.dur ?? 0) / 1000,
      cpuMs: (e.tdur ?? e.dur ?? 0) / 1000,
      // Said only for the long ones (the diagnostic of a failure); the search is quadratic in the events.
      inside:
        (e.tdur ?? e.dur ?? 0) > 50_000
          ? eventsInside(
              e,
              onMainThread.filter((x) => x.tid === e.tid && x.pid === e.pid),
            )
          : [],
    }));
  if (tasks.length === 0) throw new Error("Chrome's trace holds no main-thread task (ThreadControllerImpl::RunTask): has the trace format changed?");
  return { result, tasks };
}

export interface TestPage {
  page: Page;
  /** Console errors and uncaught page errors, in order. */
  errors: string[];
  /** Saves a full-page screenshot as `<name>.png` in the artifacts folder; returns its path. */
  screenshot(name: string): Promise<string>;
  /** The page's clock (performance.now()), to mark the start and end of a measured window. */
  now(): Promise<number>;
  /** The long tasks that started in [from, to] of the page's clock. */
  longTasks(from: number, to: number): Promise<LongTask[]>;
  /** A data-* attribute of the first element matching `selector` (null when absent). */
  attr(selector: string, name: string): Promise<string | null>;
}

export async function openPage(browser: Browser, url: string): Promise<TestPage> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  await page.addInitScript(LONG_TASK_OBSERVER);
  await page.goto(url);
  return {
    page,
    errors,
    async screenshot(name) {
      const path = join(artifactsDir(), `${name}.png`);
      await page.screenshot({ path, fullPage: true, animations: 'disabled' });
      return path;
    },
    now: () => page.evaluate('performance.now()') as Promise<number>,
    async longTasks(from, to) {
      // The observer's callback runs after the task it reports: let two frames pass first.
      await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
      const all = (await page.evaluate('window.__longTasks')) as LongTask[];
      return all.filter((t) => t.start >= from && t.start <= to);
    },
    attr: (selector, name) => page.locator(selector).first().getAttribute(name),
  };
}

/** Waits for body[data-worker] to leave 'starting'; returns its value (ready | error). */
export async function waitForWorker(page: Page, timeout = 60_000): Promise<string> {
  await page.waitForSelector('body:not([data-worker="starting"])', { timeout });
  return (await page.locator('body').getAttribute('data-worker')) ?? '';
}

/** The visible notices: kind and text. */
export function notices(page: Page): Promise<{ kind: string; key: string; text: string }[]> {
  return page
    .locator('[data-testid=notice]')
    .evaluateAll((els) => els.map((e) => ({ kind: e.dataset.kind ?? '', key: e.dataset.key ?? '', text: e.textContent?.replace(/×$/, '').trim() ?? '' })));
}

/** Whether the page shows something: the main cards are laid out with a size and the body has text (not a blank page). */
export async function pageIsNotBlank(page: Page): Promise<boolean> {
  return (await page.evaluate(`(() => {
    const ids = ['model-card', 'classify-card', 'inside-card', 'train-card'];
    const sized = ids.every((id) => { const r = document.getElementById(id)?.getBoundingClientRect(); return r !== undefined && r.width > 100 && r.height > 100; });
    return sized && document.body.innerText.trim().length > 200;
  })()`)) as boolean;
}
