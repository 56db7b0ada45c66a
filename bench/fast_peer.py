"""PyTorch's side of `npm run bench:fast`: pytorch/examples' TransformerNet (the module copied in
scripts/fixtures/fast.py) in eval mode under torch.no_grad(), as neural_style.py stylize() runs it.

  --image HxW   forward passes of one HxW image: prints {"image_seconds": [...], "image_cpu_seconds": [...]}
  --video FILE  a per-frame loop over FILE: ffmpeg decodes raw RGB frames on a pipe, each frame
                goes through the network (0-255 in, clamped and rounded out) and into an ffmpeg
                encoder on a pipe; prints {"video_frames": n, "video_seconds": s}

Run with Debian's PyTorch: /usr/bin/python3 bench/fast_peer.py --threads 2 --image 768x1024 --runs 5
"""
import argparse
import json
import os
import subprocess
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "scripts", "fixtures"))
from fast import TransformerNet  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--image", default="")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--video", default="")
    ap.add_argument("--size", default="", help="video frame size WxH")
    ap.add_argument("--out", default=os.devnull)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = TransformerNet(a.width).eval()
    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    if a.image:
        h, w = (int(v) for v in a.image.split("x"))
        x = torch.rand(1, 3, h, w) * 255
        times = []
        cpu = []
        with torch.no_grad():
            for i in range(a.runs + 1):
                t = time.perf_counter()
                c = time.process_time()
                net(x)
                if i:
                    times.append(time.perf_counter() - t)
                    cpu.append(time.process_time() - c)
        out["image_seconds"] = times
        out["image_cpu_seconds"] = cpu
    if a.video:
        w, h = (int(v) for v in a.size.split("x"))
        dec = subprocess.Popen(["ffmpeg", "-nostdin", "-v", "error", "-i", a.video, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"], stdout=subprocess.PIPE)
        enc = subprocess.Popen(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-framerate", "30",
                                "-i", "pipe:0", "-c:v", "libx264", "-preset", "medium", "-crf", "18", "-pix_fmt", "yuv420p", "-f", "mp4", a.out], stdin=subprocess.PIPE)
        n = 0
        t = time.perf_counter()
        with torch.no_grad():
            while True:
                buf = dec.stdout.read(w * h * 3)
                if len(buf) < w * h * 3:
                    break
                x = torch.frombuffer(bytearray(buf), dtype=torch.uint8).view(h, w, 3).permute(2, 0, 1)[None].float()
                y = net(x).clamp(0, 255).round().to(torch.uint8)[0].permute(1, 2, 0).contiguous()
                enc.stdin.write(y.numpy().tobytes())
                n += 1
        enc.stdin.close()
        enc.wait()
        dec.wait()
        out["video_frames"] = n
        out["video_seconds"] = time.perf_counter() - t
    print(json.dumps(out))


if __name__ == "__main__":
    main()
