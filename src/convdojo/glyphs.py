"""Glyphs: a procedural image set for the mini-project, drawn from a seed (no download).

Five classes of 16×16 grey images (a ring, a square outline, a filled triangle, a plus,
an X), each at a random position, size, stroke and brightness, on a noisy background.
The same seed gives the same images on every machine (NumPy's PCG64). The grader draws
its test images from the course secret (``convdojo.course_secret``), so they are images
no student ever had. ``fit`` is the notebook's training loop (Adam, CPU).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

__all__ = ["CLASSES", "SIZE", "make", "fit", "predict", "confusion", "Fitted"]

CLASSES = ("ring", "square", "triangle", "plus", "cross")
SIZE = 16


def make(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images of shape (n, 1, 16, 16), float32, and their labels (n,), int64."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive whole number of images, got {n!r}")
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(CLASSES), n)
    cy, cx = (rng.uniform(5.5, 9.5, (2, n, 1, 1)))
    r = rng.uniform(3.5, 6.0, (n, 1, 1))
    t = rng.uniform(0.9, 1.8, (n, 1, 1))
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    dy, dx = yy[None] - cy, xx[None] - cx
    dist = np.hypot(dy, dx)
    ring = np.abs(dist - r) < t / 2
    box = np.maximum(np.abs(dy), np.abs(dx))
    square = (box <= r * 0.85) & (box >= r * 0.85 - t)
    triangle = (dy <= r * 0.8) & (dy >= -r * 0.8) & (np.abs(dx) <= (dy + r * 0.8) * 0.6)
    bar = (np.abs(dy) < t / 2 + 0.3) | (np.abs(dx) < t / 2 + 0.3)
    plus = bar & (box <= r)
    diag = (np.abs(dy - dx) < t * 0.75) | (np.abs(dy + dx) < t * 0.75)
    cross = diag & (box <= r * 0.8)
    masks = np.stack([ring, square, triangle, plus, cross])[labels, np.arange(n)]
    bright = rng.uniform(0.5, 1.0, (n, 1, 1))
    images = masks * bright + rng.normal(0.0, 0.3, (n, SIZE, SIZE))
    return (torch.from_numpy(images[:, None].astype(np.float32)),
            torch.from_numpy(labels.astype(np.int64)))


@dataclass(frozen=True)
class Fitted:
    """What ``fit`` did: epochs run, seconds taken, the last epoch's training accuracy."""

    epochs: int
    seconds: float
    train_accuracy: float


def fit(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *, epochs: int = 12,
        batch_size: int = 64, lr: float = 0.01, seconds: float = 55.0, seed: int = 0,
        verbose: bool = True) -> Fitted:
    """Train ``model`` with Adam (one-cycle learning rate) and cross-entropy; stops early
    after ``seconds``. One thread: a small network trains fastest so on a shared CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _fit(model, images, labels, epochs, batch_size, lr, seconds, seed, verbose)
    finally:
        torch.set_num_threads(threads)


def _fit(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, epochs: int,
         batch_size: int, lr: float, seconds: float, seed: int, verbose: bool) -> Fitted:
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * -(-len(images) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    loss_fn = nn.CrossEntropyLoss()
    start, done, acc = time.perf_counter(), 0, 0.0
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(len(images))
        right = 0
        for i in range(0, len(images), batch_size):
            idx = order[i:i + batch_size]
            out = model(images[idx])
            loss = loss_fn(out, labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule.step()
            right += int((out.argmax(1) == labels[idx]).sum())
        done, acc = epoch + 1, right / len(images)
        if verbose:
            print(f"epoch {done}: training accuracy {acc:.1%}, "
                  f"{time.perf_counter() - start:.1f} s")
        if time.perf_counter() - start > seconds:
            break
    model.eval()
    return Fitted(done, time.perf_counter() - start, acc)


def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """The class the model gives each image, in eval mode and without gradients."""
    model.eval()
    with torch.no_grad():
        return torch.cat([model(images[i:i + batch_size]).argmax(1)
                          for i in range(0, len(images), batch_size)])


def confusion(labels: torch.Tensor, predicted: torch.Tensor) -> list[list[int]]:
    """counts[true][predicted], one row per class."""
    k = len(CLASSES)
    counts = torch.bincount(labels * k + predicted, minlength=k * k).reshape(k, k)
    return counts.tolist()
