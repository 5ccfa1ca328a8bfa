/**
 * The demo page's smaller promises, in real Chromium: what it says about
 * threads on a page served without COOP/COEP and on one outside a secure
 * context (plain HTTP away from localhost, where the browser ignores the
 * headers); the training fields (valid as they start, arrows in sensible
 * steps, an empty field said to be empty); the layer cards enlarged from
 * the keyboard; legible placeholder text; the model's title after loading
 * Fashion-MNIST weights; a TIFF picture, which Chromium cannot decode; and
 * a .wasm file answered with a 404. Screenshots go to the artifacts.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createModel, nn, saveSafetensors } from '../../src/index.js';
import { artifactsDir, notices, openPage, photoPath, SKIP, type Site, type SitePair, startSitePair, type TestPage, tempDir, waitForWorker } from './helpers.js';

/** A name that is not localhost, resolved by Chromium to 127.0.0.1: its pages are not a secure context. */
const INSECURE_HOST = 'alexnet-demo.test';

const work = tempDir('alexnet-browser-details-');
let sites: SitePair | undefined;
let isolated: Site;
let plain: Site;
let browser: Browser;
let tab: TestPage;

before(async () => {
  if (SKIP) return;
  sites = await startSitePair(work.dir, [`--host-resolver-rules=MAP ${INSECURE_HOST} 127.0.0.1`]);
  ({ isolated, plain, browser } = sites);
  tab = await openPage(browser, isolated.url);
  assert.equal(await waitForWorker(tab.page), 'ready');
});

after(async () => {
  await sites?.close();
  work.remove();
});

/** The notice of `key`, waited for; its kind and text. */
async function noticeOf(page: Page, key: string): Promise<{ kind: string; text: string }> {
  await page.waitForSelector(`[data-testid=notice][data-key=${key}]`, { timeout: 60_000 });
  const found = (await notices(page)).find((n) => n.key === key);
  assert.ok(found, `a notice for ${key}`);
  return found;
}

/** WCAG's contrast of a CSS colour 'rgb(r, g, b)' on white. */
function contrastOnWhite(rgb: string): number {
  const [r, g, b] = (rgb.match(/\d+/g) ?? []).slice(0, 3).map((c) => {
    const v = Number(c) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05);
}

test('outside a secure context (plain HTTP, not localhost) the page says the browser ignores COOP/COEP', { skip: SKIP, timeout: 120_000 }, async () => {
  // The server sends the headers, but at http://alexnet-demo.test/ Chromium ignores them.
  const url = new URL(isolated.url);
  const insecure = await openPage(browser, `http://${INSECURE_HOST}:${url.port}/`);
  try {
    assert.equal(await waitForWorker(insecure.page), 'ready');
    assert.equal(await insecure.attr('#isolation', 'data-isolated'), 'false');
    assert.equal(await insecure.attr('#isolation', 'data-secure'), 'false');
    const title = (await insecure.attr('#isolation', 'title')) ?? '';
    assert.match(
      title,
      /plain HTTP from an address other than localhost, so the browser ignores the COOP\/COEP headers \(they take effect only over HTTPS or on localhost\)/,
    );
    assert.doesNotMatch(title, /does not send/, 'the host does send them');
    assert.match((await insecure.attr('#backend', 'title')) ?? '', /browser ignores the COOP\/COEP headers/);
    assert.equal(await insecure.attr('#backend', 'data-threads'), '1');
  } finally {
    await insecure.page.close();
  }
});

test('without COOP/COEP the backend\'s tooltip gives the reason (not cross-origin isolated), not "as asked"', { skip: SKIP, timeout: 120_000 }, async () => {
  const page = await openPage(browser, plain.url);
  try {
    assert.equal(await waitForWorker(page.page), 'ready');
    assert.equal(await page.attr('#backend', 'data-backend'), 'wasm');
    const title = (await page.attr('#backend', 'title')) ?? '';
    assert.match(title, /not cross-origin isolated/);
    assert.doesNotMatch(title, /as asked/);
    assert.match((await page.attr('#isolation', 'title')) ?? '', /does not send the COOP\/COEP headers/);
    assert.deepEqual(page.errors, []);
  } finally {
    await page.page.close();
  }
});

test('the training fields: valid as they start, arrows in steps of 0.001, an empty field said to be empty', { skip: SKIP, timeout: 60_000 }, async () => {
  const { page } = tab;
  assert.equal(await page.evaluate('document.getElementById("learning-rate").checkValidity()'), true, 'the default learning rate fits the field');
  assert.equal(await page.evaluate('document.getElementById("epochs").checkValidity()'), true);
  await page.focus('#learning-rate');
  await page.keyboard.press('ArrowUp');
  assert.equal(await page.inputValue('#learning-rate'), '0.011');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.inputValue('#learning-rate'), '0.01');

  const refused = async (field: string, value: string, message: RegExp): Promise<void> => {
    await page.fill(field, value);
    await page.click('#train-start');
    const notice = await noticeOf(page, 'training');
    assert.equal(notice.kind, 'error');
    assert.match(notice.text, message);
    assert.equal(await tab.attr('#train-card', 'data-state'), 'idle', 'nothing started');
    await page.locator('[data-testid=notice][data-key=training] button').click();
  };
  await refused('#learning-rate', '', /^Could not start training: the “Learning rate” field is empty: enter a number from 0\.001 to 1$/);
  await refused('#learning-rate', '3', /the “Learning rate” field holds 3: expected a number from 0\.001 to 1/);
  await page.fill('#learning-rate', '0.01');
  await refused('#epochs', '', /^Could not start training: the “Epochs” field is empty: enter a whole number from 1 to 100$/);
  await refused('#epochs', '2.5', /the “Epochs” field holds 2\.5: expected a whole number from 1 to 100/);
  await page.fill('#epochs', '2');
  await tab.screenshot('20-details-training-fields');
});

test('the conv1 card and the feature-map cards enlarge from the keyboard (Enter, Space), saying so', { skip: SKIP, timeout: 120_000 }, async () => {
  const { page } = tab;
  await page.setInputFiles('#image-input', photoPath());
  await page.waitForSelector('#feature-maps[data-state=done]', { timeout: 90_000 });
  const cards = page.locator('#maps-grid .layer');
  assert.equal(await cards.count(), 6, 'conv1 filters and five feature-map cards');
  for (const card of await cards.all()) {
    assert.equal(await card.getAttribute('tabindex'), '0');
    assert.equal(await card.getAttribute('role'), 'button');
    assert.equal(await card.getAttribute('aria-expanded'), 'false');
  }
  const expanded = (selector: string) => page.locator(selector).evaluate((e) => [e.classList.contains('expanded'), e.getAttribute('aria-expanded')]);
  await page.focus('#filters');
  await page.keyboard.press('Enter');
  assert.deepEqual(await expanded('#filters'), [true, 'true']);
  const scrolled = await page.evaluate('window.scrollY');
  await page.keyboard.press(' ');
  assert.deepEqual(await expanded('#filters'), [false, 'false']);
  assert.equal(await page.evaluate('window.scrollY'), scrolled, 'Space on a card does not scroll the page');
  // The next tab stop is the first feature-map card.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate('document.activeElement?.dataset.layer'), 'features.0');
  await page.keyboard.press(' ');
  assert.deepEqual(await expanded('.layer[data-layer="features.0"]'), [true, 'true']);
  const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
  assert.equal(outline, 'solid', 'the focused card shows its focus');
  await tab.screenshot('21-details-card-enlarged-by-keyboard');
  await page.keyboard.press('Enter');
  assert.deepEqual(await expanded('.layer[data-layer="features.0"]'), [false, 'false']);
  // A click still works.
  await page.click('.layer[data-layer="features.3"]');
  assert.deepEqual(await expanded('.layer[data-layer="features.3"]'), [true, 'true']);
  await page.click('.layer[data-layer="features.3"]');
});

test('placeholder text is legible (WCAG AA: 4.5:1 on white)', { skip: SKIP, timeout: 30_000 }, async () => {
  const color = (await tab.page.evaluate('getComputedStyle(document.getElementById("train-filters-placeholder")).color')) as string;
  assert.ok(contrastOnWhite(color) >= 4.5, `${color}: ${contrastOnWhite(color).toFixed(2)}:1`);
});

test('a valid TIFF: "this browser cannot decode TIFF pictures", not "not a readable TIFF"', { skip: SKIP, timeout: 60_000 }, async () => {
  const sharp = (await import('sharp')).default;
  const tiff = await sharp(Buffer.alloc(64 * 64 * 3, 128), { raw: { width: 64, height: 64, channels: 3 } })
    .tiff()
    .toBuffer();
  const path = join(work.dir, 'scan.tiff');
  writeFileSync(path, tiff);
  await tab.page.setInputFiles('#image-input', path);
  await tab.page.waitForSelector('#classify-card[data-state=error]', { timeout: 30_000 });
  const notice = await noticeOf(tab.page, 'image');
  assert.equal(notice.kind, 'error');
  assert.match(notice.text, /scan\.tiff: this browser cannot decode TIFF pictures: convert it to PNG or JPEG/);
  assert.doesNotMatch(notice.text, /not a readable/);
  await tab.screenshot('22-details-tiff');
});

test('Fashion-MNIST weights: the model choice is titled "Fashion-MNIST AlexNet", and back after random weights', { skip: SKIP, timeout: 180_000 }, async () => {
  const { page } = tab;
  assert.equal(await page.locator('#main-model-title').textContent(), 'ImageNet AlexNet');
  const model = nn.init.withoutInitialization(() => createModel('alexnet', { numClasses: 10, inChannels: 1 }));
  const file = join(work.dir, 'fashion-mnist-alexnet.safetensors');
  writeFileSync(file, saveSafetensors(model.stateDict()));
  await page.setInputFiles('#weights-input', file);
  await page.waitForSelector('#model-card[data-load=loaded]', { timeout: 120_000 });
  assert.equal(await tab.attr('#model-card', 'data-dataset'), 'fashion-mnist');
  assert.equal(await page.locator('#main-model-title').textContent(), 'Fashion-MNIST AlexNet');
  await tab.page.locator('#model-card').screenshot({ path: join(artifactsDir(), '23-details-fashion-mnist-title.png') });
  await page.click('#random-weights');
  await page.waitForFunction('document.getElementById("main-model-title").textContent === "ImageNet AlexNet"', null, { timeout: 60_000 });
});

test('a .wasm served with another content type than application/wasm still loads, from its bytes', { skip: SKIP, timeout: 120_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    // Streaming compilation refuses such a response; the library then compiles the downloaded bytes.
    await context.route(/alexnet-simd(-threads)?\.wasm$/, async (route) => {
      const original = await route.fetch();
      await route.fulfill({ response: original, contentType: 'application/octet-stream' });
    });
    const page = await context.newPage();
    await page.goto(isolated.url);
    assert.equal(await waitForWorker(page), 'ready');
    assert.equal(await page.locator('#backend').getAttribute('data-backend'), 'wasm');
  } finally {
    await context.close();
  }
});

test('a .wasm answered with 404: "HTTP 404 for <its URL>", and the page runs on js', { skip: SKIP, timeout: 120_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    await context.route(/alexnet-simd(-threads)?\.wasm$/, (route) =>
      route.fulfill({ status: 404, contentType: 'text/plain', body: '404 Not Found: not found\n' }),
    );
    const page = await context.newPage();
    await page.goto(isolated.url);
    assert.equal(await waitForWorker(page), 'ready');
    assert.equal(await page.locator('#backend').getAttribute('data-backend'), 'js');
    const notice = await noticeOf(page, 'wasm');
    assert.equal(notice.kind, 'warning');
    assert.match(
      notice.text,
      /^The WebAssembly backend did not load \(alexnet-simd-threads\.wasm: HTTP 404( Not Found)? for http:\/\/127\.0\.0\.1:\d+\/alexnet-simd-threads\.wasm\)\. The page runs on the JavaScript backend/,
    );
    assert.doesNotMatch(notice.text, /CompileError|magic/);
    await page.screenshot({ path: join(artifactsDir(), '24-details-wasm-404.png') });
  } finally {
    await context.close();
  }
});
