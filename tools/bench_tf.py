#!/usr/bin/env python3
"""TensorFlow's side of tools/bench: times, on seeded random input, what `kerasvis bench` times, and prints the
timings as JSON:

- `--task forward`: the forward pass compiled with tf.function;
- `--task cam` / `--task saliency` with `--library tf`: Grad-CAM at `--penultimate` (keras-vis's computation: the
  gradient of the class score, its max-normalization, channel means, the weighted sum, ReLU, the resize to the
  input size and the normalization) or the saliency map (|gradient|, maximum over channels, normalization),
  compiled with tf.function and GradientTape;
- `--library tf-keras-vis`: tf-keras-vis's Gradcam / Saliency objects (with its ReplaceToLinear modifier off).

    python3 tools/bench_tf.py zoo/inception_v3.h5 --task cam --penultimate mixed10 --runs 20
"""
import argparse
import json
import os
import resource
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # tf-keras-vis works on tf.keras, which is then tf_keras

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402


def make_work(model, arguments):
    """The timed function of one input batch; returns something with `.numpy()`."""
    if arguments.task == "forward":
        return tf.function(lambda t: model(t, training=False))
    if arguments.library == "tf-keras-vis":
        from tf_keras_vis.gradcam import Gradcam
        from tf_keras_vis.saliency import Saliency
        from tf_keras_vis.utils.scores import CategoricalScore
        score = CategoricalScore([arguments.filter])
        if arguments.task == "cam":
            gradcam = Gradcam(model, clone=False)
            return lambda t: Wrapped(gradcam(score, t, penultimate_layer=arguments.penultimate,
                                             seek_penultimate_conv_layer=False))
        saliency = Saliency(model, clone=False)
        return lambda t: Wrapped(saliency(score, t))
    size = tuple(model.inputs[0].shape[1:3])
    if arguments.task == "cam":
        probe = keras.Model(model.inputs, [model.get_layer(arguments.penultimate).output, model.output])

        @tf.function
        def cam(t):
            with tf.GradientTape() as tape:
                features, output = probe(t, training=False)
                score = tf.reduce_mean(output[:, arguments.filter])
            grads = tape.gradient(score, features)
            grads = grads / (tf.reduce_max(grads) + 1e-7)
            weights = tf.reduce_mean(grads, axis=(0, 1, 2))
            heatmap = tf.nn.relu(tf.reduce_sum(features[0] * weights, axis=-1))
            heatmap = tf.image.resize(heatmap[..., None], size, method="bicubic")[..., 0]
            low, high = tf.reduce_min(heatmap), tf.reduce_max(heatmap)
            return (heatmap - low) / (high - low + 1e-7)
        return cam

    @tf.function
    def saliency(t):
        with tf.GradientTape() as tape:
            tape.watch(t)
            score = tf.reduce_mean(model(t, training=False)[:, arguments.filter])
        grads = tf.reduce_max(tf.abs(tape.gradient(score, t)), axis=-1)
        low, high = tf.reduce_min(grads), tf.reduce_max(grads)
        return ((grads - low) / (high - low + 1e-7))[0]
    return saliency


class Wrapped:
    """tf-keras-vis returns NumPy arrays; `.numpy()` for the timing loop."""

    def __init__(self, value):
        self.value = value

    def numpy(self):
        return self.value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--task", choices=["forward", "cam", "saliency"], default="forward")
    parser.add_argument("--library", choices=["tf", "tf-keras-vis"], default="tf")
    parser.add_argument("--penultimate", default="mixed10")
    parser.add_argument("--filter", type=int, default=0)
    arguments = parser.parse_args()
    start = time.perf_counter()
    model = keras.models.load_model(arguments.model, compile=False)
    load_ms = (time.perf_counter() - start) * 1000
    shape = (arguments.batch,) + tuple(model.inputs[0].shape[1:])
    x = tf.constant(np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32))
    forward = make_work(model, arguments)
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
        "mean_ms": sum(times) / len(times), "task": arguments.task, "library": arguments.library,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "tensorflow": tf.__version__,
    }))


if __name__ == "__main__":
    main()
