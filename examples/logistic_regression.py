"""Logistic regression trained with raw ntorch tensors and autograd on a data set made here.

Two Gaussian blobs in 2-D; a linear model z = x @ w + b; the loss is the mean of softplus(z) - y*z (the
numerically stable form of binary cross-entropy on logits); plain gradient descent under no_grad.
"""

import ntorch
import ntorch.nn.functional as F


def make_data(n: int = 512):
    ntorch.manual_seed(0)
    y = (ntorch.rand(n) > 0.5).float()
    centers = ntorch.stack([y * 2.0 - 1.0, 1.0 - y * 2.0], dim=1) * 0.7  # (+0.7, -0.7) or (-0.7, +0.7)
    x = centers + ntorch.randn(n, 2)
    return x, y


def main() -> None:
    x, y = make_data()
    w = ntorch.zeros(2, requires_grad=True)
    b = ntorch.zeros((), requires_grad=True)
    lr = 0.1
    for step in range(101):
        z = x @ w + b
        loss = (F.softplus(z) - y * z).mean()
        loss.backward()
        with ntorch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None
        b.grad = None
        if step % 20 == 0:
            with ntorch.no_grad():
                accuracy = ((x @ w + b > 0).float() == y).float().mean().item()
            print(f"step {step:3d}  loss {loss.item():.4f}  accuracy {accuracy:.3f}")
    print("weights", w.detach(), "bias", b.detach())


if __name__ == "__main__":
    main()
