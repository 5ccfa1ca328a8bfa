#!/usr/bin/env python3
"""Builds data/fashion-mnist-subset/: a small, class-balanced, real subset of
Fashion-MNIST that ships with the repository so the main command can train
offline on a fresh machine.

Selection (deterministic, no randomness): from each split, the first N images
of every class in file order (N = 600 for train, 100 for test), kept in their
original file order. Output: the four standard IDX files, gzipped with
mtime 0 so the bytes are reproducible, plus indices.json with the source
index of every kept image.

    /usr/bin/python3 tools/make_embedded_subset.py [--source DIR] [--train-per-class 600] [--test-per-class 100]

Source: Debian's dataset-fashion-mnist package (/usr/share/datasets/fashion-mnist).
"""
import argparse
import gzip
import hashlib
import json
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "data", "fashion-mnist-subset")
NUM_CLASSES = 10


def read_idx(path, magic):
    with gzip.open(path, "rb") as f:
        data = f.read()
    found, = struct.unpack(">I", data[:4])
    if found != magic:
        raise SystemExit(f"{path}: magic 0x{found:08x}, expected 0x{magic:08x}")
    ndims = magic & 0xFF
    dims = struct.unpack(f">{ndims}I", data[4:4 + 4 * ndims])
    return dims, data[4 + 4 * ndims:]


def select(labels, per_class):
    taken = [0] * NUM_CLASSES
    keep = []
    for i, label in enumerate(labels):
        if taken[label] < per_class:
            taken[label] += 1
            keep.append(i)
    if min(taken) < per_class:
        raise SystemExit(f"not enough images: per-class counts {taken}, wanted {per_class}")
    return keep


def write_gz(path, header, payload):
    with open(path, "wb") as f:
        f.write(gzip.compress(header + payload, compresslevel=9, mtime=0))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--train-per-class", type=int, default=600)
    parser.add_argument("--test-per-class", type=int, default=100)
    args = parser.parse_args()

    os.makedirs(OUT_DIR, exist_ok=True)
    report = {"source": args.source, "rule": "first N images of each class in file order, original order kept", "splits": {}}
    for split, prefix, per_class in [("train", "train", args.train_per_class), ("test", "t10k", args.test_per_class)]:
        images_src = os.path.join(args.source, f"{prefix}-images-idx3-ubyte.gz")
        labels_src = os.path.join(args.source, f"{prefix}-labels-idx1-ubyte.gz")
        (count, rows, cols), pixels = read_idx(images_src, 0x803)
        (label_count,), labels = read_idx(labels_src, 0x801)
        if count != label_count:
            raise SystemExit(f"{images_src}: {count} images but {label_count} labels")
        keep = select(labels, per_class)
        size = rows * cols
        out_pixels = b"".join(pixels[i * size:(i + 1) * size] for i in keep)
        out_labels = bytes(labels[i] for i in keep)
        images_out = os.path.join(OUT_DIR, f"{prefix}-images-idx3-ubyte.gz")
        labels_out = os.path.join(OUT_DIR, f"{prefix}-labels-idx1-ubyte.gz")
        write_gz(images_out, struct.pack(">IIII", 0x803, len(keep), rows, cols), out_pixels)
        write_gz(labels_out, struct.pack(">II", 0x801, len(keep)), out_labels)
        report["splits"][split] = {
            "count": len(keep),
            "perClass": per_class,
            "sourceFiles": {os.path.basename(p): sha256(p) for p in (images_src, labels_src)},
            "files": {os.path.basename(p): {"bytes": os.path.getsize(p), "sha256": sha256(p)} for p in (images_out, labels_out)},
            "sourceIndices": keep,
        }
        print(f"{split}: {len(keep)} images -> {os.path.getsize(images_out) + os.path.getsize(labels_out)} bytes")
    with open(os.path.join(OUT_DIR, "indices.json"), "w") as f:
        json.dump(report, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
