import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { getBackend } from '../../src/backend/registry.js';
import { createModel } from '../../src/models/registry.js';
import { Conv2d, Linear, ReLU, Sequential, Flatten } from '../../src/nn/index.js';
import { formatSummary, summary, type SummaryResult } from '../../src/summary/index.js';
import { fixed2, withThousands } from '../../src/summary/python-format.js';

const FIXTURES = new URL('../fixtures/summary/', import.meta.url);

interface FixtureLayer {
  path: string;
  typeName: string;
  depth: number;
  isLeaf: boolean;
  outputShape: number[] | null;
  numParams: number;
  ownParams: number;
  multAdds: number;
  outputBytes: number;
}
interface FixtureCase {
  model: string;
  numClasses: number;
  inChannels: number;
  inputShape: number[];
  layers: FixtureLayer[];
  totals: Record<string, number>;
  footer: string[];
}
const fixtures = JSON.parse(readFileSync(new URL('cases.json', FIXTURES), 'utf8')) as {
  cases: FixtureCase[];
  python: { fixed2: Array<[number, string]>; thousands: Array<[number, string]> };
};

/** Models are slow to initialize (61 M random weights); the summary leaves them unchanged, so share them. */
const models = new Map<string, ReturnType<typeof createModel>>();
function model(name: string, numClasses = 1000, inChannels = 3): ReturnType<typeof createModel> {
  const key = `${name}/${numClasses}/${inChannels}`;
  if (!models.has(key)) models.set(key, createModel(name, { numClasses, inChannels }));
  return models.get(key)!;
}

/** The article's copy of the table lost its runs of spaces; compare on the same footing. */
const collapse = (line: string): string => line.replace(/\s+/g, ' ').trim();

test("the article's table: torchinfo.summary(AlexNet(), (1, 3, 416, 416), col_width=17)", () => {
  const article = readFileSync(new URL('article-table.txt', FIXTURES), 'utf8').trimEnd().split('\n');
  const text = formatSummary(summary(model('alexnet'), [1, 3, 416, 416]), { colWidth: 17 });
  const lines = text.split('\n');
  assert.deepEqual(lines.map(collapse), article);
  // The layout torchinfo gives these columns: a 40-wide layer column, 17-wide
  // cells each followed by one space, trailing spaces stripped, 74-wide rules.
  for (const line of lines) {
    assert.equal(line, line.trimEnd());
    assert.ok(line.length <= 74, line);
    if (line.startsWith('=')) assert.equal(line, '='.repeat(74));
  }
  const header = lines[1];
  assert.equal(header.indexOf('Output Shape'), 41);
  assert.equal(header.indexOf('Param #'), 59);
  const conv = lines.find((l) => l.includes('Conv2d: 2-1'))!;
  assert.equal(conv, `${'│    └─Conv2d: 2-1'.padEnd(40)} ${'[1, 64, 103, 103]'.padEnd(17)} 23,296`);
  assert.equal(lines[3], `${'AlexNet'.padEnd(40)} ${'--'.padEnd(17)} --`);
});

for (const c of fixtures.cases) {
  test(`summary numbers match torch: ${c.model} ${JSON.stringify(c.inputShape)} (${c.numClasses} classes)`, () => {
    const result = summary(model(c.model, c.numClasses, c.inChannels), c.inputShape);
    const pick = (l: SummaryResult['layers'][number]) => ({
      path: l.path,
      typeName: l.typeName,
      depth: l.depth,
      isLeaf: l.isLeaf,
      // torchinfo does not hook the model itself, so its shape is unknown; the fixture records it.
      outputShape: l.depth === 0 ? c.layers[0].outputShape : l.outputShape,
      numParams: l.numParams,
      ownParams: l.ownParams,
      multAdds: l.multAdds,
      outputBytes: l.depth === 0 ? c.layers[0].outputBytes : l.outputBytes,
    });
    assert.deepEqual(result.layers.map(pick), c.layers);
    assert.equal(result.layers[0].outputShape, null);
    const { totals } = c;
    for (const key of Object.keys(totals)) assert.equal(result[key as keyof SummaryResult], totals[key], key);
    const text = formatSummary(result).split('\n');
    for (const line of c.footer) assert.ok(text.includes(line), `missing line: ${line}`);
  });
}

test('depth hides deeper layers; a layer at the limit shows everything under it; totals stay', () => {
  const result = summary(model('alexnet'), [1, 3, 224, 224], { depth: 1 });
  const lines = formatSummary(result).split('\n');
  assert.ok(!lines.some((l) => l.includes('└─')));
  const featureParams = fixtures.cases[1].layers.filter((l) => l.path.startsWith('features.')).reduce((s, l) => s + l.numParams, 0);
  const featuresRow = lines.find((l) => l.startsWith('├─Sequential: 1-1'))!;
  assert.ok(featuresRow.endsWith(` ${withThousands(featureParams)}`), featuresRow);
  assert.equal(lines.filter((l) => l.startsWith('├─')).length, 3);
  assert.equal(result.totalParams, fixtures.cases[1].totals.totalParams);
  // depth 0: the model's row only, its parameters never shown (torchinfo does not count them there).
  const only = formatSummary(result, { depth: 0 }).split('\n');
  assert.equal(only[3], `${'AlexNet'.padEnd(40)} ${'--'.padEnd(25)} --`);
  assert.ok(only[4].startsWith('='));
});

test('frozen parameters are non-trainable and shown in parentheses; modes and hooks are restored', () => {
  const net = new Sequential(new Conv2d(1, 2, 3), new ReLU(), new Flatten(), new Linear(2 * 4 * 4, 3));
  net.train();
  for (const p of net.at<Conv2d>(0).parameters()) p.requiresGrad = false;
  const backend = getBackend();
  const result = summary(net, [2, 1, 6, 6]);
  assert.equal(getBackend(), backend);
  const conv = 2 * 1 * 3 * 3 + 2;
  const linear = 32 * 3 + 3;
  assert.equal(result.totalParams, conv + linear);
  assert.equal(result.nonTrainableParams, conv);
  // Conv: params × batch × H·W; Linear: params × batch.
  assert.equal(result.totalMultAdds, conv * 2 * 16 + linear * 2);
  const text = formatSummary(result);
  assert.match(text, /├─Conv2d: 1-1 +\[2, 2, 4, 4\] +\(20\)\n/);
  assert.match(text, /Non-trainable params: 20\n/);
  assert.match(text, /Total mult-adds \(M\): 0\.00\n/);
  assert.ok([...net.namedModules()].every(([, m]) => m.training && !m.hasForwardHooks));
});

test('compute: true runs the real kernels and gives the same summary', () => {
  const net = new Sequential(new Conv2d(3, 4, 3, { padding: 1 }), new ReLU(), new Flatten(), new Linear(4 * 5 * 5, 2));
  assert.deepEqual(summary(net, [1, 3, 5, 5], { compute: true }), summary(net, [1, 3, 5, 5]));
});

test('mult-adds units follow torchinfo 1.7: T, G, else M', () => {
  const base = summary(new Sequential(new Linear(2, 2)), [1, 2]);
  const withMacs = (n: number): string =>
    formatSummary({ ...base, totalMultAdds: n })
      .split('\n')
      .find((l) => l.startsWith('Total mult-adds'))!;
  assert.equal(withMacs(2_442_185_000_000), 'Total mult-adds (T): 2.44');
  assert.equal(withMacs(1e9), 'Total mult-adds (G): 1.00');
  assert.equal(withMacs(999_999_999), 'Total mult-adds (M): 1000.00');
  assert.equal(withMacs(6), 'Total mult-adds (M): 0.00');
});

test('bad input to summary names the problem', () => {
  assert.throws(() => summary(model('alexnet'), [1, 3, 0, 224]), /input shape must be positive integers, got \[1, 3, 0, 224\]/);
  assert.throws(() => summary(model('alexnet'), [1, 3, 32, 32]), /alexnet: input 32×32 is too small/);
  assert.throws(() => summary(model('alexnet'), [1, 3, 224, 224], { depth: -1 }), /depth must be a non-negative integer/);
  // Named before anything is allocated (the allocator's own error named neither the input nor the limit).
  assert.throws(
    () => summary(model('alexnet'), [1, 3, 30000, 30000]),
    /summary: input \[1, 3, 30000, 30000\] has 2700000000 elements, more than a tensor holds \(2147483647\)/,
  );
  const table = summary(model('alexnet'), [1, 3, 224, 224]);
  assert.throws(() => formatSummary(table, { colWidth: 1e11 }), /colWidth must be an integer from 1 to 1000, got 100000000000/);
  assert.match(formatSummary(table, { colWidth: 1000 }), /^=+$/m);
});

test("numbers are printed the way Python's format specs print them", () => {
  for (const [value, text] of fixtures.python.fixed2) assert.equal(fixed2(value), text, `fixed2(${value})`);
  for (const [value, text] of fixtures.python.thousands) assert.equal(withThousands(value), text);
});
