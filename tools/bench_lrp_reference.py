#!/usr/bin/env python3
"""The reference side of tools/bench_lrp: times zennit's relevance of one image (a composite's context, the forward
pass and the modified backward pass, as `zennit.attribution.Gradient` runs them) on the PyTorch port of a Keras
model that tools/make_lrp_fixtures.py builds (`ZennitPort`, BatchNormalization merged by SequentialMergeBatchNorm),
starting from one-hot * logits of the top class. Prints the timing as JSON (median over `--runs` after one warm-up;
imports, the model load and the port are not timed).

    python3 tools/bench_lrp_reference.py Samples/shapes_cnn.h5 Samples/images/triangle_0.png \\
        --method lrp-epsilon-plus-flat --runs 3
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("image")
    parser.add_argument("--method", default="lrp-epsilon-plus-flat")
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    torch.set_default_dtype(torch.float32)
    torch.set_num_threads(os.cpu_count() or 1)
    model = lrp.k2.models.load_model(arguments.model, compile=False)
    size = model.input_shape[1:3]
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
    work()
    times = []
    for _ in range(arguments.runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    print(json.dumps({"method": arguments.method, "library": "zennit", "median_ms": statistics.median(times),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
