/**
 * Bad input on the demo page in real Chromium: a file that is not a picture,
 * a PNG whose header claims 30,000 × 30,000 pixels, a weights file cut short,
 * a weights file of another architecture, and a wasm build that fails to
 * load. Each gets a clear message on the page (a notice, and the card's own
 * text), the page stays whole and keeps working (a real photo is classified
 * afterwards), and a failed wasm load falls back to the js backend. A
 * screenshot of each message goes to the artifacts.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { createModel, manualSeed, savePth, saveSafetensors, Tensor } from '../../src/index.js';
import {
  buildSite,
  launchChromium,
  notices,
  openPage,
  pageIsNotBlank,
  photoPath,
  SKIP,
  type Site,
  serveSite,
  type TestPage,
  tempDir,
  waitForWorker,
} from './helpers.js';

const work = tempDir('alexnet-browser-bad-input-');
let site: Site;
let brokenWasmSite: Site;
let browser: Browser;
let tab: TestPage;

before(async () => {
  if (SKIP) return;
  const root = join(work.dir, 'site');
  await buildSite(root);
  site = await serveSite(root, { isolated: true });
  // A copy of the site whose wasm builds are cut short: both fail to compile.
  const broken = join(work.dir, 'broken-wasm-site');
  await buildSite(broken);
  for (const name of ['alexnet-simd.wasm', 'alexnet-simd-threads.wasm']) {
    const bytes = readFileSync(join(broken, name));
    writeFileSync(join(broken, name), bytes.subarray(0, 4096));
  }
  brokenWasmSite = await serveSite(broken, { isolated: true });
  browser = await launchChromium();
  tab = await openPage(browser, site.url);
  assert.equal(await waitForWorker(tab.page), 'ready');
});

after(async () => {
  await browser?.close();
  await site?.close();
  await brokenWasmSite?.close();
  work.remove();
});

function file(name: string, bytes: Uint8Array | string): string {
  const path = join(work.dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** The notice of `key`, waited for; its kind and text. */
async function noticeOf(page: TestPage['page'], key: string): Promise<{ kind: string; text: string }> {
  await page.waitForSelector(`[data-testid=notice][data-key=${key}]`, { timeout: 60_000 });
  const found = (await notices(page)).find((n) => n.key === key);
  assert.ok(found, `a notice for ${key}`);
  return found;
}

/** The page is whole and answers: the worker is up, the cards are laid out, nothing in the console's errors. */
async function assertPageAlive(t: TestPage): Promise<void> {
  assert.equal(await t.attr('body', 'data-worker'), 'ready');
  assert.ok(await pageIsNotBlank(t.page), 'the page is not blank');
  assert.deepEqual(t.errors, [], 'bad input is reported on the page, not as console errors');
}

test('a text file as the picture: "not a picture", said on the page', { skip: SKIP, timeout: 60_000 }, async () => {
  await tab.page.setInputFiles('#image-input', file('notes.txt', 'These are my notes, not a photo.\n'));
  await tab.page.waitForSelector('#classify-card[data-state=error]', { timeout: 30_000 });
  const notice = await noticeOf(tab.page, 'image');
  assert.equal(notice.kind, 'error');
  assert.match(notice.text, /notes\.txt is not a picture \(expected JPEG, PNG/);
  assert.match((await tab.page.locator('[data-testid=classify-error]').textContent()) ?? '', /notes\.txt is not a picture/);
  await assertPageAlive(tab);
  await tab.screenshot('05-bad-input-not-a-picture');
});

test('a PNG claiming 30,000 × 30,000 pixels is refused before decoding, with its size', { skip: SKIP, timeout: 60_000 }, async () => {
  const png = new Uint8Array(4096);
  png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(png.buffer).setUint32(16, 30000);
  new DataView(png.buffer).setUint32(20, 30000);
  png.set([8, 2, 0, 0, 0], 24); // 8-bit RGB
  await tab.page.setInputFiles('#image-input', file('huge.png', png));
  await tab.page.waitForSelector('#classify-card[data-state=error]', { timeout: 30_000 });
  const notice = await noticeOf(tab.page, 'image');
  assert.equal(notice.kind, 'error');
  assert.match(notice.text, /huge\.png is too large to decode here: 30,000 × 30,000 \(900\.0 MP\); the page takes pictures up to 40 MP/);
  await assertPageAlive(tab);
  await tab.screenshot('06-bad-input-huge-png');
});

test('a weights file cut short: a message naming it, and the previous model stays', { skip: SKIP, timeout: 120_000 }, async () => {
  manualSeed(1);
  const whole = savePth(createModel('alexnet').stateDict());
  await tab.page.setInputFiles('#weights-input', file('alexnet-truncated.pth', whole.subarray(0, 1 << 20)));
  await tab.page.waitForSelector('#model-card[data-load=error]', { timeout: 60_000 });
  const notice = await noticeOf(tab.page, 'weights');
  assert.equal(notice.kind, 'error');
  assert.match(notice.text, /^Could not load alexnet-truncated\.pth: .*truncated.*\. The previous model is still in use\.$/);
  assert.equal(notice.text.split('alexnet-truncated.pth').length, 2, 'the file is named once');
  assert.match((await tab.page.locator('#model-progress').textContent()) ?? '', /Could not load alexnet-truncated\.pth/);
  assert.equal(await tab.attr('#model-card', 'data-state'), 'ready');
  assert.equal(await tab.attr('#model-card', 'data-model'), 'alexnet');
  await assertPageAlive(tab);
  await tab.screenshot('07-bad-input-truncated-weights');
});

test('weights of another architecture (a ResNet): "not an AlexNet", with what the file holds', { skip: SKIP, timeout: 60_000 }, async () => {
  const resnet = new Map<string, Tensor>([
    ['conv1.weight', Tensor.zeros([64, 3, 7, 7])],
    ['bn1.weight', Tensor.ones([64])],
    ['bn1.bias', Tensor.zeros([64])],
    ['layer1.0.conv1.weight', Tensor.zeros([64, 64, 3, 3])],
    ['fc.weight', Tensor.zeros([1000, 512])],
    ['fc.bias', Tensor.zeros([1000])],
  ]);
  await tab.page.setInputFiles('#weights-input', file('resnet18.safetensors', saveSafetensors(resnet)));
  await tab.page.waitForSelector('#model-card[data-load=error]', { timeout: 60_000 });
  const notice = await noticeOf(tab.page, 'weights');
  assert.equal(notice.kind, 'error');
  assert.match(
    notice.text,
    /Could not load resnet18\.safetensors: resnet18\.safetensors is not an AlexNet \(alexnet, .*\): it holds 6 tensors \(conv1\.weight \[64, 3, 7, 7\]/,
  );
  assert.equal(await tab.attr('#model-card', 'data-model'), 'alexnet');
  await assertPageAlive(tab);
  await tab.screenshot('08-bad-input-other-architecture');
});

test('after the bad files the page still classifies a real photo', { skip: SKIP, timeout: 120_000 }, async () => {
  const runs = Number(await tab.attr('#classify-card', 'data-runs'));
  await tab.page.setInputFiles('#image-input', photoPath());
  await tab.page.waitForSelector(`#classify-card[data-state=done][data-runs="${runs + 1}"]`, { timeout: 60_000 });
  assert.equal(await tab.page.locator('[data-testid=prediction]').count(), 5);
  assert.equal(await tab.page.locator('[data-testid=notice][data-key=image]').count(), 0, 'the picture error went away');
  await assertPageAlive(tab);
});

test("a picture that fails after a good one leaves nothing of the good one's beside the error", { skip: SKIP, timeout: 120_000 }, async () => {
  await tab.page.waitForSelector('#feature-maps canvas', { timeout: 60_000 });
  assert.equal(await tab.page.locator('#preview').isVisible(), true, "the good picture's preview is shown first");
  const photo = readFileSync(photoPath());
  await tab.page.setInputFiles('#image-input', file('cut.jpg', photo.subarray(0, 600)));
  await tab.page.waitForSelector('#classify-card[data-state=error]', { timeout: 30_000 });
  assert.equal(await tab.page.locator('#preview').isVisible(), false, "the good picture's preview is gone");
  assert.equal(await tab.page.locator('#feature-maps canvas').count(), 0, "the good picture's feature maps are gone");
  assert.match((await tab.page.locator('#maps-status').textContent()) ?? '', /could not be classified/);
  await tab.screenshot('07b-bad-input-after-a-good-picture');
});

test('a wasm build that fails to load: a warning on the page, and everything runs on js', { skip: SKIP, timeout: 180_000 }, async () => {
  const broken = await openPage(browser, brokenWasmSite.url);
  try {
    assert.equal(await waitForWorker(broken.page), 'ready');
    assert.equal(await broken.attr('#backend', 'data-backend'), 'js');
    const notice = await noticeOf(broken.page, 'wasm');
    assert.equal(notice.kind, 'warning');
    assert.match(
      notice.text,
      /^The WebAssembly backend did not load \(alexnet-simd-threads\.wasm: CompileError: .+\)\. The page runs on the JavaScript backend/,
    );
    assert.doesNotMatch(notice.text, /ASSERTIONS/, 'no advice for whoever builds the wasm, on a page for users');
    assert.ok(await broken.page.locator('#backend-note').isVisible(), 'the header says it too');
    assert.match((await broken.page.locator('#backend-note').textContent()) ?? '', /^WebAssembly did not load: .*Running on JavaScript\.$/);
    await broken.screenshot('09-bad-input-wasm-failed');
    await broken.page.setInputFiles('#image-input', photoPath());
    await broken.page.waitForSelector('#classify-card[data-state=done]', { timeout: 90_000 });
    assert.equal(await broken.page.locator('[data-testid=prediction]').count(), 5);
    assert.match((await broken.page.locator('#inference-backend').textContent()) ?? '', /^js/);
    await assertPageAlive(broken);
  } finally {
    await broken.page.close();
  }
});

test('a PNG with transparent pixels: the model sees their stored colour, as PIL and the CLI do (not black)', { skip: SKIP, timeout: 60_000 }, async () => {
  const sharp = (await import('sharp')).default;
  // Left half opaque red, right half fully transparent white.
  const rgba = Buffer.alloc(256 * 256 * 4);
  for (let i = 0; i < 256 * 256; i++) rgba.set(i % 256 < 128 ? [255, 0, 0, 255] : [255, 255, 255, 0], i * 4);
  const png = await sharp(rgba, { raw: { width: 256, height: 256, channels: 4 } })
    .png()
    .toBuffer();
  const runs = Number(await tab.attr('#classify-card', 'data-runs'));
  await tab.page.setInputFiles('#image-input', file('transparent.png', png));
  await tab.page.waitForSelector(`#classify-card[data-state=done][data-runs="${runs + 1}"]`, { timeout: 60_000 });
  const shot = await tab.page.locator('#model-input-canvas').screenshot();
  const { data, info } = await sharp(shot).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number): number[] => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
  const middle = Math.floor(info.height / 2);
  assert.deepEqual(at(Math.floor(info.width / 4), middle), [255, 0, 0], 'the opaque half');
  assert.deepEqual(at(Math.floor((3 * info.width) / 4), middle), [255, 255, 255], 'the transparent half keeps its white');
  await assertPageAlive(tab);
});

test("the article's AlexNetOriginal weights load; a file dropped while loading gets a notice, not silence", { skip: SKIP, timeout: 180_000 }, async () => {
  const { nn } = await import('../../src/index.js');
  const original = nn.init.withoutInitialization(() => createModel('alexnet-original'));
  await tab.page.setInputFiles('#weights-input', file('alexnet-original.safetensors', saveSafetensors(original.stateDict())));
  // While the card loads, a second weights file dropped on the page.
  await tab.page.waitForSelector('#model-card[data-state=loading]', { timeout: 30_000 });
  await tab.page.evaluate(`(() => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(16)], 'second.pth'));
    window.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, cancelable: true }));
  })()`);
  const busy = await noticeOf(tab.page, 'weights-busy');
  assert.match(busy.text, /^second\.pth was not loaded: the model card is still busy .*Drop it again when it is done\.$/);
  await tab.page.waitForSelector('#model-card[data-load=loaded]', { timeout: 120_000 });
  assert.equal(await tab.attr('#model-card', 'data-model'), 'alexnet-original');
  await assertPageAlive(tab);
});

test('keyboard focus on "Load weights…" is visible on the button, and the picture has one tab stop', { skip: SKIP, timeout: 30_000 }, async () => {
  await tab.page.focus('#weights-input');
  await tab.page.keyboard.press('Shift+Tab');
  await tab.page.keyboard.press('Tab'); // focus by keyboard: :focus-visible
  assert.equal(await tab.page.evaluate('document.activeElement?.id'), 'weights-input');
  const outline = await tab.page.evaluate('getComputedStyle(document.querySelector("label[for=weights-input]")).outlineStyle');
  assert.equal(outline, 'solid');
  assert.equal(await tab.attr('#image-input', 'tabindex'), '-1', 'the drop zone is the tab stop, not its hidden input');
});
