#!/usr/bin/python3
"""The PyTorch side of the Fashion-MNIST comparison in bench/RESULTS.md.

torchvision's AlexNet with 1 input channel and 10 classes, trained on
Fashion-MNIST scaled to [0, 1], resized 28 -> 64 (bilinear, align_corners
False), normalized with mean 0.2860 / std 0.3530; SGD lr 0.01, momentum 0.9,
weight decay 5e-4, batch 128, shuffled every epoch; evaluated on the 10,000
test images after every epoch (loss, top-1 and top-5 error). The same recipe
as `alexnet train --dataset fashion-mnist` with its defaults.

Writes one JSON line per epoch (the fields of alexnet-ts's metrics.jsonl) to
--out and prints them. Throughput counts training only (forward, backward,
step and the per-batch resize), like alexnet-ts's images_per_s.

    /usr/bin/python3 tools/train_fashion_mnist_torch.py --seed 0 --out bench/out/torch-fmnist-seed0.jsonl
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

MEAN, STD = 0.2860, 0.3530
DEFAULT_DATA = '/usr/share/datasets/fashion-mnist'
FILES = {'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
         'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')}


def read_idx(directory, name):
    for candidate in (name, name + '.gz'):
        path = os.path.join(directory, candidate)
        if os.path.exists(path):
            opener = gzip.open if path.endswith('.gz') else open
            with opener(path, 'rb') as f:
                data = f.read()
            magic = struct.unpack('>I', data[:4])[0]
            ndim = magic & 0xFF
            dims = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
            return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)
    raise FileNotFoundError(f'{name}(.gz) not found in {directory}')


def load_split(directory, split):
    images, labels = FILES[split]
    x = torch.from_numpy(read_idx(directory, images).copy()).unsqueeze(1)  # [N, 1, 28, 28] uint8
    y = torch.from_numpy(read_idx(directory, labels).astype(np.int64))
    return x, y


def preprocess(batch_uint8, size):
    x = batch_uint8.float().div_(255)
    if size != 28:
        x = F.interpolate(x, size=(size, size), mode='bilinear', align_corners=False)
    return (x - MEAN) / STD


def make_model(num_classes=10):
    model = torchvision.models.alexnet(num_classes=num_classes)
    model.features[0] = torch.nn.Conv2d(1, 64, kernel_size=11, stride=4, padding=2)
    return model


@torch.no_grad()
def evaluate(model, x, y, size, batch_size):
    model.eval()
    loss_sum, top1, top5 = 0.0, 0, 0
    for start in range(0, len(y), batch_size):
        xb = preprocess(x[start:start + batch_size], size)
        yb = y[start:start + batch_size]
        logits = model(xb)
        loss_sum += F.cross_entropy(logits, yb).item() * len(yb)
        best5 = logits.topk(5, dim=1).indices
        top1 += (best5[:, 0] == yb).sum().item()
        top5 += (best5 == yb[:, None]).any(dim=1).sum().item()
    model.train()
    n = len(y)
    return loss_sum / n, (n - top1) / n, (n - top5) / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--data', default=os.environ.get('ALEXNET_DATA', DEFAULT_DATA))
    parser.add_argument('--epochs', type=int, default=2)
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--lr', type=float, default=0.01)
    parser.add_argument('--momentum', type=float, default=0.9)
    parser.add_argument('--weight-decay', type=float, default=5e-4)
    parser.add_argument('--image-size', type=int, default=64)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--max-steps', type=int, default=None, help='stop after this many steps (then evaluate)')
    parser.add_argument('--train-subset', type=int, default=None, help='use only the first N training images')
    parser.add_argument('--out', default=None, help='JSON lines file for the per-epoch metrics')
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_train, y_train = load_split(args.data, 'train')
    x_test, y_test = load_split(args.data, 'test')
    if args.train_subset is not None:
        x_train, y_train = x_train[:args.train_subset], y_train[:args.train_subset]
    model = make_model()
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    order_gen = torch.Generator().manual_seed(args.seed)
    out = open(args.out, 'w') if args.out else None
    step = 0
    print(f'torch {torch.__version__}, torchvision {torchvision.__version__}, {torch.get_num_threads()} threads; '
          f'{len(y_train)} train / {len(y_test)} test images at {args.image_size} px', flush=True)
    for epoch in range(args.epochs):
        order = torch.randperm(len(y_train), generator=order_gen)
        loss_sum, correct, seen, train_time = 0.0, 0, 0, 0.0
        stopped = False
        for start in range(0, len(order), args.batch_size):
            t0 = time.perf_counter()
            idx = order[start:start + args.batch_size]
            xb = preprocess(x_train[idx], args.image_size)
            yb = y_train[idx]
            optimizer.zero_grad()
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            loss.backward()
            optimizer.step()
            train_time += time.perf_counter() - t0
            step += 1
            loss_sum += loss.item() * len(yb)
            correct += (logits.argmax(1) == yb).sum().item()
            seen += len(yb)
            if step % 50 == 0:
                print(f'epoch {epoch + 1} step {step}: loss {loss.item():.4f}, {seen / train_time:.1f} img/s', flush=True)
            if args.max_steps is not None and step >= args.max_steps:
                stopped = True
                break
        t0 = time.perf_counter()
        val_loss, top1, top5 = evaluate(model, x_test, y_test, args.image_size, 256)
        line = {'epoch': epoch + 1, 'step': step, 'partial': stopped and seen < len(order),
                'train_loss': loss_sum / seen, 'train_top1_error': (seen - correct) / seen,
                'val_loss': val_loss, 'val_top1_error': top1, 'val_top5_error': top5, 'val_accuracy': 1 - top1,
                'images_per_s': seen / train_time, 'train_time_s': train_time, 'eval_time_s': time.perf_counter() - t0,
                'lr': optimizer.param_groups[0]['lr'], 'seed': args.seed, 'threads': torch.get_num_threads()}
        print(json.dumps(line), flush=True)
        if out:
            out.write(json.dumps(line) + '\n')
            out.flush()
        if stopped:
            break
    if out:
        out.close()


if __name__ == '__main__':
    main()
