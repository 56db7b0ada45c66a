"""The official CycleGAN/pix2pix code timed on this CPU, for `npm run bench:gan`.

Imports the official models from a checkout given with --official DIR (or AI_ART_OFFICIAL);
nothing of it is part of ai-art. Prints one JSON line: median seconds per
optimize_parameters() step and per generator forward (inference, no_grad).
Run with Debian's PyTorch: /usr/bin/python3 bench/gan_peer.py --official DIR ...
"""
import argparse
import json
import os
import sys
import time
from types import SimpleNamespace

import torch


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--official', default=os.environ.get('AI_ART_OFFICIAL'))
    ap.add_argument('--model', choices=['cycle_gan', 'pix2pix'], default='cycle_gan')
    ap.add_argument('--size', type=int, default=128)
    ap.add_argument('--steps', type=int, default=3)
    ap.add_argument('--infer', default='', help='comma list of sizes for generator inference')
    ap.add_argument('--infer-runs', type=int, default=3, help='timed generator forwards per size (after one warm-up)')
    ap.add_argument('--threads', type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    if a.infer and a.infer_runs < 1:
        ap.error('--infer-runs must be at least 1')
    if not a.official:
        print(json.dumps({'skipped': 'no official checkout'}))
        return 0
    sys.path.insert(0, a.official)
    torch.set_num_threads(a.threads)
    from models.cycle_gan_model import CycleGANModel
    from models.pix2pix_model import Pix2PixModel
    common = dict(input_nc=3, output_nc=3, ngf=64, ndf=64, netD='basic', n_layers_D=3, init_type='normal',
                  init_gain=0.02, gpu_ids=[], isTrain=True, checkpoints_dir='/tmp/ai-art-bench-unused', name='bench',
                  preprocess='resize_and_crop', lr=0.0002, beta1=0.5, direction='AtoB', lr_policy='linear',
                  epoch_count=1, n_epochs=100, n_epochs_decay=100, continue_train=False, verbose=False)
    if a.model == 'cycle_gan':
        opt = SimpleNamespace(**common, netG='resnet_9blocks', norm='instance', no_dropout=True, gan_mode='lsgan',
                              pool_size=50, lambda_A=10.0, lambda_B=10.0, lambda_identity=0.5)
        model = CycleGANModel(opt)
        gen = model.netG_A
    else:
        opt = SimpleNamespace(**common, netG='unet_256', norm='batch', no_dropout=False, gan_mode='vanilla',
                              pool_size=0, lambda_L1=100.0)
        model = Pix2PixModel(opt)
        gen = model.netG
    torch.manual_seed(0)
    x = torch.rand(1, 3, a.size, a.size) * 2 - 1
    y = torch.rand(1, 3, a.size, a.size) * 2 - 1
    times = []
    for i in range(a.steps + 1 if a.steps > 0 else 0):
        model.set_input({'A': x, 'B': y, 'A_paths': ['a'], 'B_paths': ['b']})
        t = time.perf_counter()
        model.optimize_parameters()
        if i:
            times.append(time.perf_counter() - t)
    out = {'peer': 'official', 'model': a.model, 'size': a.size, 'step_seconds': median(times) if times else None}
    infer = {}
    for s in [int(v) for v in a.infer.split(',') if v]:
        z = torch.rand(1, 3, s, s) * 2 - 1
        ts = []
        with torch.no_grad():
            for i in range(a.infer_runs + 1):
                t = time.perf_counter()
                gen(z)
                if i:
                    ts.append(time.perf_counter() - t)
        infer[str(s)] = median(ts)
    out['infer_seconds'] = infer
    print(json.dumps(out))
    return 0


if __name__ == '__main__':
    sys.exit(main())
