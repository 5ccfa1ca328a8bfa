import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Parameter } from '../../src/nn/parameter.js';
import { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from '../../src/optim/reduce-lr-on-plateau.js';
import type { LrScheduler } from '../../src/optim/scheduler.js';
import { SGD } from '../../src/optim/sgd.js';
import { StepLR } from '../../src/optim/step-lr.js';

interface Case {
  type: 'StepLR' | 'ReduceLROnPlateau';
  options: Record<string, unknown>;
  lrs: number[];
  final?: { best: number; num_bad_epochs: number; cooldown_counter: number; last_epoch: number };
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/optim/scheduler_cases.json', import.meta.url), 'utf8')) as { metrics: number[]; cases: Case[] };

function make(c: Case, optimizer: SGD): LrScheduler {
  if (c.type === 'StepLR') return new StepLR(optimizer, c.options.stepSize as number, c.options.gamma as number);
  return new ReduceLROnPlateau(optimizer, c.options as ReduceLROnPlateauOptions);
}

const newOptimizer = (): SGD => new SGD([new Parameter(Float32Array.of(0), [1])], { lr: 0.1, momentum: 0.9 });

for (const c of fixture.cases) {
  test(`${c.type} ${JSON.stringify(c.options)} gives torch's learning rates exactly`, () => {
    const optimizer = newOptimizer();
    const scheduler = make(c, optimizer);
    fixture.metrics.forEach((metric, epoch) => {
      scheduler.step(metric);
      assert.equal(optimizer.paramGroups[0].lr, c.lrs[epoch], `epoch ${epoch}`);
      assert.deepEqual(scheduler.lastLr, [c.lrs[epoch]]);
    });
    if (c.final !== undefined) {
      const state = scheduler.stateDict();
      assert.equal(state.best, c.final.best);
      assert.equal(state.num_bad_epochs, c.final.num_bad_epochs);
      assert.equal(state.cooldown_counter, c.final.cooldown_counter);
      assert.equal(state.last_epoch, c.final.last_epoch);
    }
  });

  test(`${c.type} ${JSON.stringify(c.options)} resumes from its state dict`, () => {
    const half = 13;
    const optimizer = newOptimizer();
    const scheduler = make(c, optimizer);
    for (const m of fixture.metrics.slice(0, half)) scheduler.step(m);
    const saved = JSON.parse(JSON.stringify({ s: scheduler.stateDict(), o: { ...optimizer.stateDict(), state: {} } }));
    const resumedOptimizer = newOptimizer();
    resumedOptimizer.loadStateDict(saved.o);
    const resumed = make(c, resumedOptimizer);
    resumed.loadStateDict(saved.s);
    fixture.metrics.slice(half).forEach((m, k) => {
      resumed.step(m);
      assert.equal(resumedOptimizer.paramGroups[0].lr, c.lrs[half + k], `epoch ${half + k}`);
    });
  });
}

test('schedulers reject bad settings and a state of another schedule', () => {
  assert.throws(() => new StepLR(newOptimizer(), 0), /stepSize must be a positive integer/);
  assert.throws(() => new ReduceLROnPlateau(newOptimizer(), { factor: 1 }), /factor must be in \[0, 1\)/);
  assert.throws(() => new ReduceLROnPlateau(newOptimizer()).step(), /needs the monitored metric/);
  const saved = new StepLR(newOptimizer(), 3).stateDict();
  assert.throws(() => new StepLR(newOptimizer(), 5).loadStateDict(saved), /differs from this one/);
  const plateau = new ReduceLROnPlateau(newOptimizer(), { patience: 2 }).stateDict();
  assert.throws(() => new ReduceLROnPlateau(newOptimizer(), { patience: 3 }).loadStateDict(plateau), /patience 2 vs 3/);
});
