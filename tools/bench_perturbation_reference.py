#!/usr/bin/env python3
"""The reference side of tools/bench_perturbation: times Captum's `Occlusion.attribute` and eclique/RISE's
`explanations.py` algorithm (as tools/make_perturbation_fixtures.py runs it: masks made once, outside the timing,
as `RISE.generate_masks` saves them; the timed part is `RISE.forward`) on one image, with the Keras model run by
TensorFlow through a Captum forward function, batching `--batch` perturbed inputs per call as kerasvis's
`--batch-size` does. Prints the timing as JSON (median over `--runs` after one warm-up; imports and the model load
are not timed).

    python3 tools/bench_perturbation_reference.py Samples/shapes_cnn.h5 Samples/images/triangle_0.png \\
        --method occlusion --window 8 --stride 4 --runs 3
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_USE_LEGACY_KERAS"] = "1"

import numpy as np  # noqa: E402
import torch  # noqa: E402
import captum.attr  # noqa: E402
from PIL import Image  # noqa: E402
import tf_keras as k2  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_perturbation_fixtures import keras_forward, nchw, rise_masks, rise_saliency  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("image")
    parser.add_argument("--method", choices=["occlusion", "rise"], default="occlusion")
    parser.add_argument("--window", type=int, default=8)
    parser.add_argument("--stride", type=int, default=4)
    parser.add_argument("--masks", type=int, default=1000)
    parser.add_argument("--grid-size", type=int, default=8)
    parser.add_argument("--keep-probability", type=float, default=0.5)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    model = k2.models.load_model(arguments.model, compile=False)
    size = model.input_shape[1:3]
    image = Image.open(arguments.image).convert("RGB").resize((size[1], size[0]))
    x = np.asarray(image, dtype=np.float32)[None]
    forward = keras_forward(model)
    top = int(np.argmax(model(x, training=False).numpy()[0]))
    if arguments.method == "occlusion":
        occlusion = captum.attr.Occlusion(forward)
        channels = x.shape[3]

        def work():
            occlusion.attribute(nchw(x), sliding_window_shapes=(channels, arguments.window, arguments.window),
                                strides=(channels, arguments.stride, arguments.stride), baselines=0.0, target=top,
                                perturbations_per_eval=arguments.batch)
    else:
        _, masks = rise_masks(arguments.masks, arguments.grid_size, arguments.keep_probability, x.shape[1:3], 0)

        def work():
            rise_saliency(forward, nchw(x), masks, arguments.keep_probability, batch=arguments.batch)
    work()
    times = []
    for _ in range(arguments.runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    print(json.dumps({"method": arguments.method, "library": "captum" if arguments.method == "occlusion"
                      else "RISE explanations.py (algorithm)", "median_ms": statistics.median(times),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
