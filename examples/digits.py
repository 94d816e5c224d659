"""Digits demo: an MLP learns to read noisy 8x8 digit images, with ntorch.nn, ntorch.optim and a DataLoader.

The images are generated here (a 5x7 font, randomly shifted, thickened and noised), so the demo needs no
download. Run with `python examples/digits.py [--device cuda]`.
"""

from __future__ import annotations

import argparse
import io
import time

import numpy as np

import ntorch
from ntorch import nn
from ntorch.utils.data import DataLoader, TensorDataset

FONT = {  # 5 columns x 7 rows per digit
    0: ["01110", "10001", "10011", "10101", "11001", "10001", "01110"],
    1: ["00100", "01100", "00100", "00100", "00100", "00100", "01110"],
    2: ["01110", "10001", "00001", "00010", "00100", "01000", "11111"],
    3: ["11110", "00001", "00001", "01110", "00001", "00001", "11110"],
    4: ["00010", "00110", "01010", "10010", "11111", "00010", "00010"],
    5: ["11111", "10000", "11110", "00001", "00001", "10001", "01110"],
    6: ["00110", "01000", "10000", "11110", "10001", "10001", "01110"],
    7: ["11111", "00001", "00010", "00100", "01000", "01000", "01000"],
    8: ["01110", "10001", "10001", "01110", "10001", "10001", "01110"],
    9: ["01110", "10001", "10001", "01111", "00001", "00010", "01100"],
}


def make_digits(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n noisy 8x8 images (float32 in [0, 1], flattened to 64) and their labels."""
    glyphs = np.array([[[c == "1" for c in row] for row in FONT[d]] for d in range(10)], np.float32)
    labels = rng.integers(0, 10, n)
    images = np.zeros((n, 8, 8), np.float32)
    for i, d in enumerate(labels):
        dy, dx = rng.integers(0, 2), rng.integers(0, 4)
        g = glyphs[d]
        if rng.random() < 0.3:  # a bolder stroke
            g = np.maximum(g, np.roll(g, 1, axis=1))
        images[i, dy:dy + 7, dx:dx + 5] = g
    images += rng.normal(0, 0.25, images.shape).astype(np.float32)
    return np.clip(images, 0, 1).reshape(n, 64), labels.astype(np.int64)


def accuracy(model: nn.Module, x: ntorch.Tensor, y: ntorch.Tensor) -> float:
    with ntorch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    ntorch.manual_seed(0)
    x_train, y_train = make_digits(6000, rng)
    x_test, y_test = make_digits(1000, rng)
    to = lambda a: ntorch.from_numpy(a).to(args.device)  # noqa: E731
    train = DataLoader(TensorDataset(to(x_train), to(y_train)), batch_size=64, shuffle=True)
    xt, yt = to(x_test), to(y_test)

    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 10)).to(args.device)
    optimizer = ntorch.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = ntorch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    loss_fn = nn.CrossEntropyLoss()
    print(model)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        total = 0.0
        for xb, yb in train:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        scheduler.step()
        model.eval()
        print(f"epoch {epoch + 1}  loss {total / len(x_train):.4f}  test accuracy {accuracy(model, xt, yt):.3f}")
    print(f"trained in {time.perf_counter() - start:.1f} s")

    buffer = io.BytesIO()  # a checkpoint round trip: the reloaded model reads the same
    ntorch.save(model.state_dict(), buffer)
    buffer.seek(0)
    twin = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 10)).to(args.device)
    twin.load_state_dict(ntorch.load(buffer))
    twin.eval()
    print(f"reloaded from a checkpoint: test accuracy {accuracy(twin, xt, yt):.3f}")


if __name__ == "__main__":
    main()
