"""PPO's image encoder, forward and backward on a minibatch, in NCHW against NHWC (channels-last) memory.

    python benchmarks/cnn_layout.py [--batch 256] [--repeats 5]

The arena's ImageEncoder keeps its convolutions in channels-last layout; this
measures what that buys on this machine, alternating the two layouts in one run,
with one torch thread (as each worker uses when ranks outnumber cores).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from arena.algos.networks import ImageEncoder


def ms_per_frame(encoder: ImageEncoder, frames: torch.Tensor, layout: torch.memory_format, steps: int = 5) -> float:
    """Milliseconds per frame of forward + backward through the encoder's convolutions in ``layout``."""
    conv = encoder.conv.to(memory_format=layout)
    x = frames.contiguous(memory_format=layout).float() / 255.0
    start = time.perf_counter()
    for _ in range(steps):
        conv.zero_grad()
        encoder.fc(conv(x)).sum().backward()
    return (time.perf_counter() - start) / steps / len(frames) * 1e3


def main() -> None:
    """Alternate the two layouts and print the medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    encoder = ImageEncoder((4, 84, 84))
    frames = torch.randint(0, 256, (args.batch, 4, 84, 84), dtype=torch.uint8)
    ms_per_frame(encoder, frames, torch.channels_last, steps=1)  # warm-up
    nchw, nhwc = [], []
    for _ in range(args.repeats):
        nchw.append(ms_per_frame(encoder, frames, torch.contiguous_format))
        nhwc.append(ms_per_frame(encoder, frames, torch.channels_last))
    a, b = statistics.median(nchw), statistics.median(nhwc)
    print(f"NCHW {a:.3f} ms/frame, NHWC {b:.3f} ms/frame (medians of {args.repeats}): NHWC is {a / b:.2f}x faster")


if __name__ == "__main__":
    main()
