#!/usr/bin/env python3
"""The reference side of tools/bench_lrp: times zennit's relevance of one image (a composite's context, the forward
pass and the modified backward pass, as `zennit.attribution.Gradient` runs them) on the PyTorch port of a Keras
model that tools/make_lrp_fixtures.py builds (`ZennitPort`, BatchNormalization merged by SequentialMergeBatchNorm),
starting from one-hot * logits of the top class. Prints the timing as JSON (median over `--runs` after `--warmup`
untimed runs; imports, the model load and the port are not timed). With `--random` instead of an image the input is
the seeded random one `kerasvis bench` uses (same generator, same values), so the two time the same work.

    python3 tools/bench_lrp_reference.py Samples/shapes_cnn.h5 Samples/images/triangle_0.png \\
        --method lrp-epsilon-plus-flat --runs 3
    python3 tools/bench_lrp_reference.py zoo/vgg16.h5 --random --warmup 2 --runs 5
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_lrp_fixtures as lrp  # noqa: E402  (torch before TensorFlow)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402


def seeded_input(shape):
    """`kerasvis bench`'s random input: a 64-bit linear congruential generator's top 24 bits scaled to [-1, 1)."""
    state, mask = 0x9E3779B97F4A7C15, (1 << 64) - 1
    values = np.empty(int(np.prod(shape)), dtype=np.float32)
    for i in range(values.size):
        state = (state * 6364136223846793005 + 1442695040888963407) & mask
        values[i] = (state >> 40) / float(1 << 24) * 2 - 1
    return values.reshape(shape)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("image", nargs="?")
    parser.add_argument("--random", action="store_true", help="kerasvis bench's seeded random input")
    parser.add_argument("--method", default="lrp-epsilon-plus-flat")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    torch.set_default_dtype(torch.float32)
    torch.set_num_threads(os.cpu_count() or 1)
    model = lrp.k2.models.load_model(arguments.model, compile=False)
    size = model.input_shape[1:3]
    if arguments.random:
        x = seeded_input((1,) + tuple(model.input_shape[1:]))
    else:
        image = Image.open(arguments.image).convert("RGB").resize((size[1], size[0]))
        x = np.asarray(image, dtype=np.float32)[None]
    lrp._tensor = lambda array: torch.tensor(np.asarray(array, dtype=np.float32))
    port = lrp.ZennitPort(model).eval()
    sample = torch.tensor(np.ascontiguousarray(np.transpose(x, (0, 3, 1, 2))))
    with torch.no_grad():
        top = int(port(sample).argmax())
    composite = lrp.composites(float(x.min()), float(x.max()))[arguments.method]

    def work():
        return lrp.relevance(port, composite, sample, top)
    for _ in range(arguments.warmup):
        work()
    times = []
    for _ in range(arguments.runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    print(json.dumps({"method": arguments.method, "library": "zennit",
                      "median_ms": statistics.median(times) if times else None,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
