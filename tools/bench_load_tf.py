#!/usr/bin/env python3
"""Keras's side of the load rows of tools/bench: times `tf_keras.models.load_model` on a model file, in the same way
`kerasvis bench MODEL --load-only` times kerasvis's load, and prints the timings as JSON.

    python3 tools/bench_load_tf.py zoo/inception_v3.h5 --runs 5

Each run loads the file again (compile=False, as kerasvis does no training setup); the session is cleared between
runs, outside the timed part, so that layer names and graph state do not pile up.
"""
import argparse
import json
import os
import resource
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    arguments = parser.parse_args()
    name = ""
    for _ in range(arguments.warmup):
        keras.models.load_model(arguments.model, compile=False)
        keras.backend.clear_session()
    times = []
    for _ in range(arguments.runs):
        start = time.perf_counter()
        model = keras.models.load_model(arguments.model, compile=False)
        times.append((time.perf_counter() - start) * 1000)
        name = model.name
        del model
        keras.backend.clear_session()
    ordered = sorted(times)
    print(json.dumps({
        "model": name, "file": arguments.model, "runs": arguments.runs, "median_ms": ordered[len(ordered) // 2],
        "min_ms": ordered[0], "mean_ms": sum(times) / len(times),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "tensorflow": tf.__version__,
    }))


if __name__ == "__main__":
    main()
