"""The benchmark's models in PyTorch, built exactly as alexnet-ts builds them.

`alexnet` is torchvision's. `alexnet-original` is the article's AlexNetOriginal
(src/models/alexnet-original.ts): same layers, same state_dict keys (net.*,
classifier.*), so one .pth file loads into both engines.
"""
import torch
import torch.nn as nn
import torchvision

INPUT_SIZE = {'alexnet': 224, 'alexnet-original': 227}


class AlexNetOriginal(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), nn.LocalResponseNorm(5, 1e-4, 0.75, 2), nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.LocalResponseNorm(5, 1e-4, 0.75, 2), nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(256 * 6 * 6, 4096), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        return self.classifier(torch.flatten(self.net(x), 1))


def create(name):
    if name == 'alexnet':
        return torchvision.models.alexnet()
    if name == 'alexnet-original':
        return AlexNetOriginal()
    raise ValueError(f"unknown model '{name}': expected alexnet or alexnet-original")
