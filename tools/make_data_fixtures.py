#!/usr/bin/env python3
"""Writes test/fixtures/data/transforms.json: inputs and torch/torchvision outputs
for the data pipeline's resize, crop and normalize, checked by
test/data/transforms-torch.test.ts.

Run with the system Python that has torch 1.13 / torchvision 0.14:
    /usr/bin/python3 tools/make_data_fixtures.py
Arrays are stored as base64 of little-endian float32 so values are exact.
"""
import base64
import gzip
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms as T
import torchvision.transforms.functional as TF

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "data", "transforms.json")
FASHION_TRAIN_IMAGES = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


def b64(t: torch.Tensor) -> str:
    return base64.b64encode(t.detach().contiguous().numpy().astype("<f4").tobytes()).decode("ascii")


def entry(name, x, y, **params):
    return {"name": name, "inputShape": list(x.shape), "input": b64(x), "outputShape": list(y.shape), "output": b64(y), **params}


def resize_case(name, x, size, antialias):
    y = F.interpolate(x[None], size=size, mode="bilinear", align_corners=False, antialias=antialias)[0]
    return entry(name, x, y, size=list(size), antialias=antialias)


def first_fashion_image() -> np.ndarray:
    with gzip.open(FASHION_TRAIN_IMAGES, "rb") as f:
        data = f.read(16 + 28 * 28)
    return np.frombuffer(data[16:], dtype=np.uint8).reshape(28, 28)


def main():
    rng = np.random.default_rng(20240601)
    rand = lambda *shape: torch.from_numpy(rng.random(shape, dtype=np.float32))

    resize = [
        resize_case("gray 28->64", rand(1, 28, 28), (64, 64), False),
        resize_case("gray 28->17 shrink", rand(1, 28, 28), (17, 17), False),
        resize_case("gray 28->17 shrink antialias", rand(1, 28, 28), (17, 17), True),
        resize_case("rgb 13x9->20x31 mixed", rand(3, 13, 9), (20, 31), False),
        resize_case("rgb 13x9->20x31 mixed antialias", rand(3, 13, 9), (20, 31), True),
        resize_case("rgb 50x40->16x21 antialias", rand(3, 50, 40), (16, 21), True),
        resize_case("rgb 37x41->37x12 width only antialias", rand(3, 37, 41), (37, 12), True),
    ]

    # The project's Fashion-MNIST input: ToTensor, Resize(64) on the tensor, Normalize.
    pixels = first_fashion_image()
    pipeline = T.Compose([T.ToTensor(), T.Resize(64), T.Normalize((0.2860,), (0.3530,))])
    fashion = pipeline(pixels.copy())
    fashion_case = {"pixels": base64.b64encode(pixels.tobytes()).decode("ascii"), "outputShape": list(fashion.shape), "output": b64(fashion)}

    center_crops = []
    for shape, size in [((3, 7, 6), (4, 3)), ((2, 9, 8), (6, 5)), ((1, 5, 5), (8, 7)), ((3, 6, 9), (6, 4))]:
        x = rand(*shape)
        center_crops.append(entry(f"center crop {shape}->{size}", x, TF.center_crop(x, list(size)), size=list(size)))

    resize_sizes = []
    for h, w, size in [(10, 15, 4), (15, 10, 4), (375, 500, 256), (500, 333, 256), (64, 64, 64), (7, 3, 5)]:
        out = TF.resize(torch.zeros(1, h, w), [size])
        resize_sizes.append({"height": h, "width": w, "size": size, "output": list(out.shape[1:])})

    x = rand(3, 11, 10)
    normalize = entry("normalize imagenet", x, TF.normalize(x, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
                      mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])

    fixture = {
        "generator": "tools/make_data_fixtures.py",
        "torch": torch.__version__,
        "resize": resize,
        "fashionMnistFirstImage": fashion_case,
        "centerCrop": center_crops,
        "resizeOutputSize": resize_sizes,
        "normalize": normalize,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1)
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
