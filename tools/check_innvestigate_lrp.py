#!/usr/bin/env python3
"""Checks kerasvis's LRP against iNNvestigate's presets (run with iNNvestigate's own environment, which needs
TensorFlow < 2.15):

    python3 -m venv /tmp/innv && /tmp/innv/bin/pip install 'tensorflow-cpu<2.15' innvestigate
    /tmp/innv/bin/python tools/check_innvestigate_lrp.py /tmp/innvcheck      # writes the model, input, relevances
    tools/check_innvestigate_lrp.py --compare /tmp/innvcheck                  # runs kerasvis, prints differences

The model is the BatchNormalization-free `lrp_cnn` fixture (tools/make_lrp_fixtures.py) with its biases set to zero,
because iNNvestigate's z+ rules ignore biases where zennit's (and kerasvis's) include them; the inputs are in 0...1
because iNNvestigate's Deep Taylor (`ZPlusFast`) assumes non-negative inputs. Pairs: LRPEpsilon / lrp-epsilon,
LRPZPlus / lrp-z-plus, DeepTaylor / lrp-z-plus, BoundedDeepTaylor(0, 1) / deep-taylor --input-bounds 0,1. The
maps compared are kerasvis's `--npy` maps: the channel sum of the relevance scaled to 0...1. iNNvestigate 2.1.2 maps
Deep Taylor differently by design: W^2 for a kernel layer without ReLU (the logit layer) and the plain gradient
through average pooling, where kerasvis (zennit's composites) uses z+ and Norm, so those two pairs differ.
"""
import json
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAIRS = [("lrp.epsilon", "lrp-epsilon", []), ("lrp.z_plus", "lrp-z-plus", []), ("deep_taylor", "lrp-z-plus", []),
         ("deep_taylor.bounded", "deep-taylor", ["--input-bounds=0,1"])]


def reference(folder):
    import tensorflow as tf
    tf.compat.v1.disable_eager_execution()
    import innvestigate
    # Keras 2.14 cannot read tf-keras 2.21's InputLayer config: the same architecture, the fixture's weights.
    layers = tf.keras.layers
    model = tf.keras.Sequential([
        layers.Input((10, 10, 3)), layers.Conv2D(6, 3, padding="same", activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(8, 3, activation="relu"), layers.AveragePooling2D(3), layers.Flatten(),
        layers.Dense(12, activation="relu"), layers.Dense(5, activation="softmax")])
    model.load_weights(os.path.join(ROOT, "Tests/Fixtures/methods/lrp/lrp_cnn.h5"))
    for layer in model.layers:
        weights = layer.get_weights()
        if len(weights) == 2:
            layer.set_weights([weights[0], np.zeros_like(weights[1])])
    model.save(os.path.join(folder, "lrp_cnn_nobias.h5"))
    x = np.abs(np.load(os.path.join(ROOT, "Tests/Fixtures/methods/lrp/lrp_cnn.input.npy")))
    np.save(os.path.join(folder, "input.npy"), x[:1])
    logits = innvestigate.model_wo_softmax(model)
    klass = int(np.argmax(logits.predict(x[:1])))
    for name, _, _ in PAIRS:
        keywords = {"epsilon": 1e-6} if name == "lrp.epsilon" else {"low": 0.0, "high": 1.0} if "bounded" in name else {}
        analyzer = innvestigate.create_analyzer(name, logits, neuron_selection_mode="index", **keywords)
        np.save(os.path.join(folder, f"{name}.npy"), analyzer.analyze(x[:1], neuron_selection=klass))
    json.dump({"class": klass, "innvestigate": innvestigate.__version__, "tensorflow": tf.__version__},
              open(os.path.join(folder, "meta.json"), "w"))


def compare(folder):
    meta = json.load(open(os.path.join(folder, "meta.json")))
    print(f"iNNvestigate {meta['innvestigate']} (TensorFlow {meta['tensorflow']}), class {meta['class']}")
    for name, method, extra in PAIRS:
        out = os.path.join(folder, f"kv.{name}.npy")
        subprocess.run([os.path.join(ROOT, ".build/debug/kerasvis"), "saliency", os.path.join(folder, "lrp_cnn_nobias.h5"),
                        os.path.join(folder, "input.npy"), "--method", method, "--score", "logit", "--filter",
                        str(meta["class"]), "--npy", out] + extra, check=True, capture_output=True)
        theirs = np.load(os.path.join(folder, f"{name}.npy"))[0].sum(-1)
        theirs = (theirs - theirs.min()) / (theirs.max() - theirs.min() + 1e-7)
        ours = np.load(out)
        print(f"{name:22} vs {method:12} {' '.join(extra):20} max |map difference| = {np.abs(ours - theirs).max():.2e}")


if __name__ == "__main__":
    if sys.argv[1] == "--compare":
        compare(sys.argv[2])
    else:
        reference(sys.argv[1])
