"""Right and wrong answers to the conv_computes exercises, for the catalogue tests.

Each wrong answer is a mistake a student really makes, written the way a student would.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def single_loops(x, w):
    kh, kw = w.shape
    out = torch.empty(x.shape[0] - kh + 1, x.shape[1] - kw + 1)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            total = 0.0
            for u in range(kh):
                for v in range(kw):
                    total += float(x[i + u, j + v]) * float(w[u, v])
            out[i, j] = total
    return out


def single_flipped(x, w):
    return single_loops(x, w.flip(0, 1))


def single_same(x, w):
    return F.conv2d(x[None, None], w[None, None], padding="same")[0, 0]


def multi_by_channel(x, w):
    return sum(torch.stack([single_loops(x[c], w[o, c]) for o in range(w.shape[0])])
               for c in range(x.shape[0]))


def multi_first(x, w):
    return torch.stack([single_loops(x[0], w[o, 0]) for o in range(w.shape[0])])


def multi_kept(x, w):
    return torch.stack([torch.stack([single_loops(x[c], w[o, c]) for c in range(x.shape[0])])
                        for o in range(w.shape[0])])


def _strided(x, w, stride, padding, *, extra=1):
    x = F.pad(x, (padding,) * 4)
    o, _, kh, kw = w.shape
    h_out = (x.shape[1] - kh) // stride + extra
    w_out = (x.shape[2] - kw) // stride + extra
    out = torch.zeros(o, max(h_out, 0), max(w_out, 0))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            window = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[:, i, j] = (window[None] * w).sum((1, 2, 3))
    return out


def strided(x, w, stride, padding):
    return _strided(x, w, stride, padding)


def strided_no_padding(x, w, stride, padding):
    return _strided(x, w, stride, 0)


def strided_no_stride(x, w, stride, padding):
    return _strided(x, w, 1, padding)


def strided_range_short(x, w, stride, padding):
    """range(0, H + 2p - k, stride): the last window that fits is left out."""
    x = F.pad(x, (padding,) * 4)
    o, _, kh, kw = w.shape
    rows = list(range(0, x.shape[1] - kh, stride))
    cols = list(range(0, x.shape[2] - kw, stride))
    out = torch.zeros(o, len(rows), len(cols))
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            out[:, i, j] = (x[None, :, r:r + kh, c:c + kw] * w).sum((1, 2, 3))
    return out


def _im2col(x, w, rows, view_hw):
    n, _, h, wd = x.shape
    o, _, kh, kw = w.shape
    product = rows(w) @ F.unfold(x, (kh, kw))
    h_out, w_out = h - kh + 1, wd - kw + 1
    return product.view(n, o, *view_hw(h_out, w_out))


def im2col(x, w):
    return _im2col(x, w, lambda w: w.flatten(1), lambda h, w: (h, w))


def im2col_swapped(x, w):
    return _im2col(x, w, lambda w: w.flatten(1), lambda h, w: (w, h))


def im2col_channels_last(x, w):
    return _im2col(x, w, lambda w: w.permute(0, 2, 3, 1).reshape(w.shape[0], -1),
                   lambda h, w: (h, w))


SOBEL_X = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
KERNELS = {
    "box_blur": torch.ones(1, 1, 3, 3) / 9,  # shaped for F.conv2d: also accepted
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "sobel_x": torch.tensor(SOBEL_X, dtype=torch.float64),
    "sobel_y": torch.tensor(SOBEL_X).T,
}


def _edges(combine, padding=1):
    sx = torch.tensor(SOBEL_X, dtype=torch.float32).view(1, 1, 3, 3)
    sy = sx.transpose(2, 3)

    def edges(gray):
        return combine(F.conv2d(gray, sx, padding=padding), F.conv2d(gray, sy, padding=padding))
    return edges


edges = _edges(lambda gx, gy: torch.hypot(gx, gy))
edges_squared = _edges(lambda gx, gy: gx ** 2 + gy ** 2)
edges_l1 = _edges(lambda gx, gy: gx.abs() + gy.abs())
edges_unpadded = _edges(lambda gx, gy: torch.hypot(gx, gy), padding=0)


def colour(*weights, k=1):
    """A (1, 3, k, k) kernel with one weight per channel, spread over the k×k window."""
    return torch.tensor(weights, dtype=torch.float32).view(1, 3, 1, 1).expand(1, 3, k, k) / k**2
