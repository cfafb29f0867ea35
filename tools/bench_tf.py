#!/usr/bin/env python3
"""TensorFlow's side of tools/bench: times a Keras model's forward pass compiled with tf.function on seeded
random input, in the same way `kerasvis bench` does, and prints the timings as JSON.

    python3 tools/bench_tf.py zoo/inception_v3.h5 --batch 1 --runs 20
"""
import argparse
import json
import os
import resource
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    arguments = parser.parse_args()
    start = time.perf_counter()
    model = keras.models.load_model(arguments.model, compile=False)
    load_ms = (time.perf_counter() - start) * 1000
    shape = (arguments.batch,) + tuple(model.inputs[0].shape[1:])
    x = tf.constant(np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32))
    forward = tf.function(lambda t: model(t, training=False))
    start = time.perf_counter()
    forward(x).numpy()
    first_ms = (time.perf_counter() - start) * 1000
    for _ in range(max(arguments.warmup - 1, 0)):
        forward(x).numpy()
    times = []
    for _ in range(arguments.runs):
        start = time.perf_counter()
        forward(x).numpy()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(json.dumps({
        "model": model.name, "batch": arguments.batch, "runs": arguments.runs, "load_ms": load_ms,
        "first_run_ms": first_ms, "median_ms": times[len(times) // 2], "min_ms": times[0],
        "mean_ms": sum(times) / len(times),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "tensorflow": tf.__version__,
    }))


if __name__ == "__main__":
    main()
