"""pytorch/examples fast_neural_style's training step timed on this CPU, for
`npm run bench:fast-train`. The loop body is neural_style.py train()'s, with its TransformerNet,
Vgg16 and utils as written out in scripts/fixtures/fast_train.py (VGG-16 with torchvision's
default random initialisation: timing does not depend on the values). Prints one JSON line with
the median seconds per step. Run with Debian's PyTorch: /usr/bin/python3 bench/fast_train_peer.py
"""
import argparse
import json
import os
import sys
import time

import torch
import torchvision

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "fixtures"))
from fast_train import TransformerNet, Vgg16, gram_matrix, normalize_batch  # noqa: E402


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--width", choices=["full", "half"], default="full")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    transformer = TransformerNet(32 if a.width == "full" else 16)
    optimizer = torch.optim.Adam(transformer.parameters(), 1e-3)
    mse_loss = torch.nn.MSELoss()
    vgg = Vgg16(torchvision.models.vgg16().features)
    style = torch.rand(1, 3, a.size, a.size) * 255
    gram_style = [gram_matrix(y) for y in vgg(normalize_batch(style.repeat(a.batch, 1, 1, 1)))]
    content_weight, style_weight = 1e5, 1e10
    x0 = torch.rand(a.batch, 3, a.size, a.size) * 255
    times = []
    for i in range(a.steps + 1):
        t = time.perf_counter()
        # neural_style.py train(), one batch
        x = x0.clone()
        n_batch = len(x)
        optimizer.zero_grad()
        y = transformer(x)
        y = normalize_batch(y)
        x = normalize_batch(x)
        features_y = vgg(y)
        features_x = vgg(x)
        content_loss = content_weight * mse_loss(features_y[1], features_x[1])
        style_loss = 0.0
        for ft_y, gm_s in zip(features_y, gram_style):
            gm_y = gram_matrix(ft_y)
            style_loss += mse_loss(gm_y, gm_s[:n_batch, :, :])
        style_loss *= style_weight
        total_loss = content_loss + style_loss
        total_loss.backward()
        optimizer.step()
        total_loss.item()
        if i:
            times.append(time.perf_counter() - t)
    print(json.dumps({"peer": "pytorch/examples", "torch": torch.__version__, "size": a.size, "batch": a.batch,
                      "width": a.width, "threads": a.threads, "step_seconds": median(times), "times": times}))


if __name__ == "__main__":
    main()
