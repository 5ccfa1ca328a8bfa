/**
 * The two kernel sets in real Chromium: the library bundle the page loads
 * (alexnet-ts.js) runs one AlexNet forward pass on the js backend and on the
 * wasm one, with the same seeded weights and input, and the logits agree
 * within 1e-5 of the largest: the threaded build on a cross-origin isolated
 * page, the single-threaded one on a page served without COOP/COEP. The demo
 * page itself runs on that single-threaded build when not isolated, and on
 * the js backend when asked with ?backend=js. Either build's .wasm is
 * compiled while it downloads (WebAssembly.instantiateStreaming).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { openPage, pageIsNotBlank, photoPath, SKIP, type Site, type SitePair, startSitePair, tempDir, waitForWorker } from './helpers.js';

const work = tempDir('alexnet-browser-backends-');
let sites: SitePair | undefined;
let isolated: Site;
let plain: Site;
let browser: Browser;

before(async () => {
  if (SKIP) return;
  sites = await startSitePair(work.dir);
  ({ isolated, plain, browser } = sites);
});

after(async () => {
  await sites?.close();
  work.remove();
});

interface Comparison {
  isolated: boolean;
  backend: string;
  build: string;
  threads: number;
  outputs: number;
  maxDiff: number;
  maxAbs: number;
  /** Whether the wasm model's 6 runs gave the same logits to the bit. */
  sameRuns: boolean;
  /** Calls of WebAssembly.instantiateStreaming while the backend loaded: the .wasm compiled as it downloaded. */
  streamed: number;
}

/**
 * In a blank page of the site: AlexNet (seed 3) on an input (seed 4), js then wasm, on the main thread. The wasm
 * model runs 6 times: with threads, its Winograd layers' first 4 calls at batch 1 alternate the two ways of sharing an
 * image among the threads (native/src/winograd_split.h), which must give the same logits to the bit.
 */
function forwardOnBothBackends(threads: boolean): string {
  return `(async () => {
    const m = await import('/alexnet-ts.js');
    const forward = (runs) => {
      m.manualSeed(3);
      const model = m.createModel('alexnet').eval();
      m.manualSeed(4);
      const x = m.Tensor.randn([1, 3, 224, 224]);
      return Array.from({ length: runs }, () => m.noGrad(() => model.call(x)).data);
    };
    m.setBackend(m.referenceBackend());
    const [reference] = forward(1);
    const streaming = WebAssembly.instantiateStreaming;
    let streamed = 0;
    WebAssembly.instantiateStreaming = (...args) => (streamed++, streaming.apply(WebAssembly, args));
    const info = await m.useWasmBackend({ threads: ${threads} });
    WebAssembly.instantiateStreaming = streaming;
    const runs = forward(6);
    const wasm = runs[0];
    const sameRuns = runs.every((r) => r.every((v, i) => Object.is(v, wasm[i])));
    let maxDiff = 0;
    let maxAbs = 0;
    for (let i = 0; i < reference.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(wasm[i] - reference[i]));
      maxAbs = Math.max(maxAbs, Math.abs(reference[i]));
    }
    return { isolated: crossOriginIsolated, backend: m.getBackend().name, build: info.build, threads: info.threads, outputs: reference.length, maxDiff, maxAbs, sameRuns, streamed };
  })()`;
}

async function compare(site: Site, threads: boolean): Promise<Comparison> {
  const tab = await openPage(browser, `${site.url}blank.html`);
  try {
    const result = (await tab.page.evaluate(forwardOnBothBackends(threads))) as Comparison;
    assert.deepEqual(tab.errors, []);
    return result;
  } finally {
    await tab.page.close();
  }
}

function assertClose(c: Comparison, t: { diagnostic(message: string): void }): void {
  t.diagnostic(`wasm ${c.build}, ${c.threads} thread(s): max |Δ| ${c.maxDiff.toExponential(2)}, largest logit ${c.maxAbs.toExponential(2)}`);
  assert.equal(c.backend, 'wasm');
  assert.equal(c.outputs, 1000);
  assert.ok(c.maxAbs > 0, 'the logits are not all zero');
  assert.ok(c.sameRuns, 'the same model and input give the same logits on every run');
  assert.equal(c.streamed, 1, 'the .wasm (served as application/wasm) is compiled while it downloads');
  const relative = c.maxDiff / c.maxAbs;
  assert.ok(
    relative <= 1e-5,
    `wasm (${c.build}, ${c.threads} threads) vs js: max |Δ| ${c.maxDiff} is ${relative.toExponential(2)} of the largest logit (≤ 1e-5)`,
  );
}

test('threaded wasm equals js on an AlexNet forward pass (1e-5 relative), cross-origin isolated', { skip: SKIP, timeout: 180_000 }, async (t) => {
  const c = await compare(isolated, true);
  assert.equal(c.isolated, true);
  assert.equal(c.build, 'simd-threads');
  assert.ok(c.threads >= 2, `threads: ${c.threads}`);
  assertClose(c, t);
});

test('single-threaded wasm equals js on an AlexNet forward pass (1e-5 relative), without COOP/COEP', { skip: SKIP, timeout: 180_000 }, async (t) => {
  const c = await compare(plain, true);
  assert.equal(c.isolated, false, 'served without COOP/COEP, the page is not isolated');
  assert.equal(c.build, 'simd', 'threads were asked for, but without isolation the single-threaded build runs');
  assert.equal(c.threads, 1);
  assertClose(c, t);
});

test('without COOP/COEP the page runs on single-threaded wasm, says so, and classifies', { skip: SKIP, timeout: 180_000 }, async () => {
  const tab = await openPage(browser, plain.url);
  try {
    assert.equal(await waitForWorker(tab.page), 'ready');
    assert.equal(await tab.attr('#isolation', 'data-isolated'), 'false');
    assert.equal(await tab.attr('#backend', 'data-backend'), 'wasm');
    assert.equal(await tab.attr('#backend', 'data-threads'), '1');
    await tab.page.setInputFiles('#image-input', photoPath());
    await tab.page.waitForSelector('#classify-card[data-state=done]', { timeout: 60_000 });
    await tab.page.waitForSelector('#feature-maps[data-state=done]', { timeout: 60_000 });
    assert.equal(await tab.page.locator('[data-testid=prediction]').count(), 5);
    assert.ok(await pageIsNotBlank(tab.page));
    await tab.screenshot('04-not-isolated-single-thread');
    assert.deepEqual(tab.errors, []);
  } finally {
    await tab.page.close();
  }
});

test('?backend=js runs the page on the js backend', { skip: SKIP, timeout: 180_000 }, async () => {
  const tab = await openPage(browser, `${isolated.url}?backend=js`);
  try {
    assert.equal(await waitForWorker(tab.page), 'ready');
    assert.equal(await tab.attr('#backend', 'data-backend'), 'js');
    assert.equal(await tab.page.locator('#backend-select').inputValue(), 'js');
    await tab.page.setInputFiles('#image-input', photoPath());
    await tab.page.waitForSelector('#classify-card[data-state=done]', { timeout: 60_000 });
    assert.equal(await tab.page.locator('[data-testid=prediction]').count(), 5);
    assert.match((await tab.page.locator('#inference-backend').textContent()) ?? '', /^js/);
    assert.deepEqual(tab.errors, []);
  } finally {
    await tab.page.close();
  }
});
