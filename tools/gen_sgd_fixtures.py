#!/usr/bin/python3
"""Fixtures for src/optim: torch.optim.SGD trajectories and lr scheduler sequences.

Writes test/fixtures/optim/sgd_cases.json and test/fixtures/optim/scheduler_cases.json.
Run with the system Python that has torch 1.13:  /usr/bin/python3 tools/gen_sgd_fixtures.py

SGD cases: a few parameters with fixed initial values receive a fixed gradient
sequence (drawn here from a seeded generator, so no model is involved) and torch
takes one step per gradient; the values after every step and the final momentum
buffers are recorded. One parameter gets no gradient on the first step, so its
momentum buffer starts one step later (torch's per-parameter first step). The lr
is changed before the last step the way a scheduler would.

Scheduler cases: lr after each epoch for StepLR and ReduceLROnPlateau on a fixed
metric sequence with plateaus, near-threshold changes and rises.
"""
import json
import os

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, 'test', 'fixtures', 'optim')

SHAPES = [[4, 3], [3], [2, 2, 2]]
STEPS = 6


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def sgd_case(name, options, late_param=2, lr_change=0.5):
    gen = torch.Generator().manual_seed(1234)
    params = [torch.nn.Parameter(torch.randn(s, generator=gen)) for s in SHAPES]
    initial = [flat(p) for p in params]
    opt = torch.optim.SGD(params, **options)
    grads, after, lrs = [], [], []
    for step in range(STEPS):
        if step == STEPS - 1:
            for group in opt.param_groups:
                group['lr'] = group['lr'] * lr_change
        step_grads = []
        for i, p in enumerate(params):
            if i == late_param and step == 0:
                p.grad = None
                step_grads.append(None)
            else:
                g = torch.randn(p.shape, generator=gen)
                p.grad = g
                step_grads.append(flat(g))
        opt.step()
        grads.append(step_grads)
        after.append([flat(p) for p in params])
        lrs.append(opt.param_groups[0]['lr'])
    state = opt.state_dict()['state']
    buffers = [flat(state[i]['momentum_buffer']) if i in state and state[i].get('momentum_buffer') is not None else None
               for i in range(len(params))]
    return {'name': name, 'options': options, 'shapes': SHAPES, 'initial': initial, 'grads': grads,
            'lrs': lrs, 'after': after, 'momentum_buffers': buffers}


def sgd_cases():
    return [
        sgd_case('plain', {'lr': 0.1}),
        sgd_case('momentum', {'lr': 0.05, 'momentum': 0.9}),
        sgd_case('dampening', {'lr': 0.05, 'momentum': 0.9, 'dampening': 0.3}),
        sgd_case('weight_decay', {'lr': 0.1, 'weight_decay': 5e-4}),
        sgd_case('momentum_weight_decay', {'lr': 0.01, 'momentum': 0.9, 'weight_decay': 5e-4}),
        sgd_case('nesterov', {'lr': 0.05, 'momentum': 0.9, 'nesterov': True, 'weight_decay': 1e-2}),
    ]


METRICS = [1.0, 0.8, 0.7, 0.7, 0.69995, 0.7, 0.71, 0.6, 0.6, 0.6, 0.6, 0.6, 0.59999, 0.5, 0.55, 0.55, 0.55, 0.55,
           0.55, 0.55, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4]


def schedule(make, metric_driven):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    sched = make(opt)
    lrs = []
    for m in METRICS:
        opt.step()
        if metric_driven:
            sched.step(m)
        else:
            sched.step()
        lrs.append(opt.param_groups[0]['lr'])
    state = {k: v for k, v in sched.state_dict().items()}
    return lrs, state


def scheduler_cases():
    cases = []
    for step_size, gamma in [(3, 0.1), (1, 0.5), (7, 0.3)]:
        lrs, _ = schedule(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=step_size, gamma=gamma), False)
        cases.append({'type': 'StepLR', 'options': {'stepSize': step_size, 'gamma': gamma}, 'lrs': lrs})
    plateau = [
        {'mode': 'min', 'factor': 0.1, 'patience': 2},
        {'mode': 'min', 'factor': 0.1, 'patience': 0},
        {'mode': 'min', 'factor': 0.5, 'patience': 1, 'cooldown': 2, 'min_lr': 0.004},
        {'mode': 'min', 'factor': 0.1, 'patience': 1, 'threshold': 0.05, 'threshold_mode': 'abs'},
        {'mode': 'max', 'factor': 0.1, 'patience': 1},
        {'mode': 'min', 'factor': 0.1, 'patience': 1, 'threshold': 0.0},
    ]
    for options in plateau:
        lrs, state = schedule(lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, **options), True)
        js = {'mode': options['mode'], 'factor': options['factor'], 'patience': options['patience']}
        for py, name in [('cooldown', 'cooldown'), ('min_lr', 'minLr'), ('threshold', 'threshold'), ('threshold_mode', 'thresholdMode')]:
            if py in options:
                js[name] = options[py]
        cases.append({'type': 'ReduceLROnPlateau', 'options': js, 'lrs': lrs,
                      'final': {'best': state['best'], 'num_bad_epochs': state['num_bad_epochs'],
                                'cooldown_counter': state['cooldown_counter'], 'last_epoch': state['last_epoch']}})
    return {'metrics': METRICS, 'cases': cases}


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.manual_seed(0)
    with open(os.path.join(OUT_DIR, 'sgd_cases.json'), 'w') as f:
        json.dump({'torch': torch.__version__, 'steps': STEPS, 'cases': sgd_cases()}, f)
    with open(os.path.join(OUT_DIR, 'scheduler_cases.json'), 'w') as f:
        json.dump({'torch': torch.__version__, **scheduler_cases()}, f)
    print('wrote', OUT_DIR)


if __name__ == '__main__':
    main()
