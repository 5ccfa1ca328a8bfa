import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderHeader } from '../../bench/lib/report.js';
import {
  cpuKey,
  isCpuSection,
  legacyCpuHeading,
  mergeResults,
  mergeSubsection,
  readSections,
  SERVING_HEADING,
  splitSections,
  splitSubsections,
  type Section,
} from '../../bench/lib/sections.js';

/** A CPU section as bench/run.ts writes one: heading, environment table with a CPU row, a table. */
function cpuSection(heading: string, cpuRow: string, marker: string): Section {
  const text = [
    `## ${heading}`,
    '',
    `Measured on 2026-12-01T00:00:00Z by \`npm run bench\`.`,
    '',
    '| | |',
    '| --- | --- |',
    `| CPU | ${cpuRow}, 2 cores visible |`,
    '',
    '### Summary',
    '',
    `| case | x |`,
    '| --- | ---: |',
    `| alexnet-b1 | ${marker} |`,
  ].join('\n');
  return { heading, text };
}

const AMD = cpuSection('AMD EPYC (AMD family 25 model 17, tuning zen4)', 'AMD EPYC, AuthenticAMD family 25 model 17', 'new AMD run');
const AMD_OLD = cpuSection('AMD EPYC (AMD family 25 model 17, tuning zen4)', 'AMD EPYC, AuthenticAMD family 25 model 17', 'old AMD run');
const INTEL = cpuSection(
  'Intel(R) Xeon(R) Platinum 8480+ (Intel family 6 model 143, tuning sapphirerapids)',
  'Intel(R) Xeon(R) Platinum 8480+, GenuineIntel family 6 model 143',
  'Intel run',
);

const TRAINING = [
  '## Training: Fashion-MNIST',
  '',
  'Not produced by `npm run bench`.',
  '',
  '```sh',
  '# PyTorch',
  '## not a heading inside a code block',
  '/usr/bin/python3 tools/train_fashion_mnist_torch.py',
  '```',
  '',
  '| framework | seed |',
  '| PyTorch | 0 |',
].join('\n');

/** The layout of bench/RESULTS.md up to 2026-11 (trimmed): one run, its environment above the first `## `. */
const LEGACY = [
  '# Benchmarks',
  '',
  'Produced by `npm run bench` (bench/run.ts) on 2026-11-29T23:30:24Z. Do not edit by hand: rerun it.',
  '',
  '| | |',
  '| --- | --- |',
  '| CPU | AMD EPYC (family 25 model 17, avx512f avx2 fma), 2 cores visible |',
  '| Node.js | v20.20.2 |',
  '',
  'Every framework runs the same network with the same weights on the same input batch.',
  '',
  '## Inference and training',
  '',
  '### torchvision AlexNet, 224×224, inference, batch 1',
  '',
  '| framework | ms / batch |',
  '| --- | ---: |',
  '| alexnet-ts native | 18.3 |',
  '',
  '## Per-layer forward times (torchvision AlexNet, 224×224, batch 1)',
  '',
  '| layer | native ms |',
  '| features.0 | 2.22 |',
  '',
  '## Notes',
  '',
  '- Threads: 2.',
  '',
  TRAINING,
  '',
].join('\n');

const file = (...sections: Section[]): string => `${[renderHeader(), ...sections.map((s) => s.text)].join('\n\n')}\n`;
const headings = (markdown: string): string[] => splitSections(markdown).sections.map((s) => s.heading);

test('sections split at `## ` headings, not at those inside code blocks', () => {
  const { preamble, sections } = splitSections(file(AMD, { heading: 'Training: Fashion-MNIST', text: TRAINING }));
  assert.equal(preamble.trimEnd(), renderHeader());
  assert.deepEqual(
    sections.map((s) => s.heading),
    [AMD.heading, 'Training: Fashion-MNIST'],
  );
  assert.equal(sections[1].text.trimEnd(), TRAINING);
  assert.deepEqual(sections.map(isCpuSection), [true, false]);
});

test('a CPU is known by brand, family and model: the tuning row and the legacy heading do not split it', () => {
  assert.equal(cpuKey(AMD.heading), 'amd epyc family 25 model 17');
  assert.equal(cpuKey('AMD EPYC (AMD family 25 model 17)'), cpuKey(AMD.heading));
  assert.equal(cpuKey(INTEL.heading), 'intel(r) xeon(r) platinum 8480+ family 6 model 143');
  assert.notEqual(cpuKey('AMD EPYC (AMD family 25 model 1, tuning zen3)'), cpuKey(AMD.heading));
  assert.equal(cpuKey('Apple M2'), 'apple m2');
});

test('a section of a different CPU is kept verbatim; the new CPU comes after it, before the other sections', () => {
  const existing = file(INTEL, { heading: 'Training: Fashion-MNIST', text: TRAINING });
  const merged = mergeResults(existing, AMD);
  assert.deepEqual(headings(merged), [INTEL.heading, AMD.heading, 'Training: Fashion-MNIST']);
  assert.ok(merged.includes(`${INTEL.text}\n\n`), 'the Intel section, byte for byte');
  assert.ok(merged.includes(AMD.text));
  assert.ok(merged.endsWith(`${TRAINING}\n`));
  assert.ok(merged.startsWith(`${renderHeader()}\n\n## `));
});

test('the section of the same CPU is replaced in place', () => {
  const merged = mergeResults(file(AMD_OLD, INTEL, { heading: 'Training: Fashion-MNIST', text: TRAINING }), AMD);
  assert.deepEqual(headings(merged), [AMD.heading, INTEL.heading, 'Training: Fashion-MNIST']);
  assert.ok(merged.includes('new AMD run'));
  assert.ok(!merged.includes('old AMD run'));
  assert.ok(merged.includes(INTEL.text));
  assert.equal(mergeResults(merged, AMD), merged, 'merging the same run again changes nothing');
});

test('the legacy single-section file is read as the section of its CPU, headings one level down', () => {
  assert.equal(legacyCpuHeading('AMD EPYC (family 25 model 17, avx512f avx2 fma), 2 cores visible'), 'AMD EPYC (AMD family 25 model 17)');
  const [legacy, training, ...rest] = readSections(LEGACY);
  assert.equal(rest.length, 0);
  assert.equal(legacy.heading, 'AMD EPYC (AMD family 25 model 17)');
  assert.ok(legacy.text.startsWith('## AMD EPYC (AMD family 25 model 17)\n\nProduced by `npm run bench` (bench/run.ts) on 2026-11-29'));
  assert.match(legacy.text, /^### Inference and training$/m);
  assert.match(legacy.text, /^#### torchvision AlexNet, 224×224, inference, batch 1$/m);
  assert.match(legacy.text, /^### Notes\n\n- Threads: 2\.$/m);
  assert.match(legacy.text, /^\| alexnet-ts native \| 18\.3 \|$/m);
  assert.ok(!legacy.text.includes('# Benchmarks'));
  assert.ok(isCpuSection(legacy));
  assert.equal(training.text.trimEnd(), TRAINING, 'the Fashion-MNIST section stays its own, verbatim');
});

test('the legacy file: a run on the same CPU replaces it, a run on another CPU keeps it', () => {
  const sameCpu = mergeResults(LEGACY, AMD);
  assert.deepEqual(headings(sameCpu), [AMD.heading, 'Training: Fashion-MNIST']);
  assert.ok(!sameCpu.includes('18.3'), 'nothing of the old run is left');
  assert.ok(sameCpu.endsWith(`${TRAINING}\n`));

  const otherCpu = mergeResults(LEGACY, INTEL);
  assert.deepEqual(headings(otherCpu), ['AMD EPYC (AMD family 25 model 17)', INTEL.heading, 'Training: Fashion-MNIST']);
  assert.match(otherCpu, /^\| alexnet-ts native \| 18\.3 \|$/m);
  assert.match(otherCpu, /^\| CPU \| AMD EPYC \(family 25 model 17, avx512f avx2 fma\), 2 cores visible \|$/m);
  // Written back in the new layout, the old run is then replaced by the next run on its CPU.
  const later = mergeResults(otherCpu, AMD);
  assert.deepEqual(headings(later), [AMD.heading, INTEL.heading, 'Training: Fashion-MNIST']);
  assert.ok(!later.includes('18.3'));
  assert.ok(later.includes(INTEL.text));
});

test('no earlier file (--output to a new path): the header and this run', () => {
  assert.equal(mergeResults(null, AMD), `${renderHeader()}\n\n${AMD.text}\n`);
});

/** A serving subsection as bench/serve.ts writes one: its own environment table (CPU row included) and a table. */
function serving(marker: string): Section {
  const text = [
    `### ${SERVING_HEADING}`,
    '',
    '| | |',
    '| --- | --- |',
    '| CPU | AMD EPYC, AuthenticAMD family 25 model 17, 2 cores visible |',
    '',
    '#### 224×224 JPEGs',
    '',
    '| concurrency | images/s |',
    '| ---: | ---: |',
    `| 64 | ${marker} |`,
  ].join('\n');
  return { heading: SERVING_HEADING, text };
}

const subsections = (markdown: string, heading: string): string[] =>
  splitSubsections(splitSections(markdown).sections.find((s) => s.heading === heading)!.text).sections.map((s) => s.heading);

test('the serving subsection goes last in its CPU section, and replaces its earlier version there', () => {
  const existing = file(AMD_OLD, INTEL);
  const once = mergeSubsection(existing, AMD.heading, serving('first serve run'));
  assert.deepEqual(headings(once), [AMD.heading, INTEL.heading]);
  assert.deepEqual(subsections(once, AMD.heading), ['Summary', SERVING_HEADING]);
  assert.ok(once.includes('old AMD run'), 'the npm run bench results stay');
  assert.ok(once.includes(INTEL.text));
  const twice = mergeSubsection(once, AMD.heading, serving('second serve run'));
  assert.ok(twice.includes('second serve run'));
  assert.ok(!twice.includes('first serve run'));
  assert.deepEqual(subsections(twice, AMD.heading), ['Summary', SERVING_HEADING]);
});

test('npm run bench keeps the serving subsection of the section it replaces', () => {
  const served = mergeSubsection(file(AMD_OLD, INTEL), AMD.heading, serving('serve run'));
  const merged = mergeResults(served, AMD);
  assert.ok(merged.includes('new AMD run'));
  assert.ok(!merged.includes('old AMD run'));
  assert.ok(merged.includes(serving('serve run').text), 'the serving subsection, byte for byte');
  assert.deepEqual(subsections(merged, AMD.heading), ['Summary', SERVING_HEADING]);
  assert.equal(mergeResults(merged, AMD), merged, 'merging the same run again changes nothing');
});

test('a CPU without a section gets one holding the serving subsection, which npm run bench then takes over', () => {
  const served = mergeSubsection(file(INTEL), AMD.heading, serving('serve run'));
  assert.deepEqual(headings(served), [INTEL.heading, AMD.heading]);
  assert.ok(readSections(served).every(isCpuSection));
  const merged = mergeResults(served, AMD);
  assert.deepEqual(headings(merged), [INTEL.heading, AMD.heading]);
  assert.deepEqual(subsections(merged, AMD.heading), ['Summary', SERVING_HEADING]);
  assert.ok(merged.includes('new AMD run') && merged.includes('serve run'));
  assert.equal(mergeSubsection(null, AMD.heading, serving('x')), `${renderHeader()}\n\n## ${AMD.heading}\n\n${serving('x').text}\n`);
});
