#!/usr/bin/env python3
"""Writes the references for explanations of multi-input and channels_first models into Tests/Fixtures/multi_input,
with tf-keras 2.21 (`TF_USE_LEGACY_KERAS=1`) and tf-keras-vis 0.8.7 on small models with random weights:

- `two_images_k2.h5`: inputs `image` (12, 12, 3) and `mask` (8, 8, 1), a convolution branch each, their global
  poolings concatenated into a softmax Dense. tf-keras-vis's Gradcam, GradcamPlusPlus and Layercam through
  `features` (the image branch's 6x6 map) return one map per input, the CAM zoomed (`order=1`) to each input's
  height and width (`tkv.METHOD.input_K.npy`); Saliency returns each input's `normalize(max_c |dS/dx|)`
  (`tkv.vanilla.input_K.npy`), and with `smooth_samples` SmoothGrad from NumPy's global RandomState after
  `np.random.seed(7)`: the script stores the standard-normal draws of each input (`noise.input_K.npy`, checked to
  reproduce tf-keras-vis's maps), which kerasvis's tests feed back as the noise.
- `image_vector_k2.h5`: inputs `image` (10, 10, 3) and `vector` (5,). tf-keras-vis's Saliency reduces the last axis of
  every input, which leaves a vector input a single value per sample (0 after `normalize`); its `keepdims=True` map
  of the vector (`normalize(|dS/dv|)`, per feature) is what kerasvis returns for inputs without spatial axes. Its
  Gradcam cannot run on this model (it zooms the CAM to every input, and a vector has no height and width).
  Integrated Gradients (Captum's Gauss-Legendre rule: `numpy.polynomial.legendre.leggauss`, points `(1 + t) / 2`,
  weights `w / 2`, 16 steps, zero baselines for every input, all inputs moved along the path together) and
  Input x Gradient, from TensorFlow's gradients of the Keras model (`ig.input_K.npy`, `ixg.input_K.npy`, float32
  raw attributions).
- `cf_cnn_k2.h5` and its channels_last twin `cf_cnn_twin_k2.h5` (the same layers and weights): a channels_first CNN
  (input (3, 12, 12)); TensorFlow cannot run channels_first convolutions on CPU, so the twin is the reference: an
  explanation of the channels_first model must equal the twin's on the transposed input.

Maps in 0...1 are float16 (exact to 2.5e-4); inputs and raw attributions float32. `cases.json` lists the classes,
layers and versions.

    pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 tf-keras-vis==0.8.7 scipy
    python3 tools/make_multi_input_fixtures.py
"""

import importlib.metadata as metadata
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_USE_LEGACY_KERAS"] = "1"  # tf-keras-vis works on tf.keras, which is then tf_keras
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as k2  # noqa: E402
from tf_keras_vis.gradcam import Gradcam  # noqa: E402
from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus  # noqa: E402
from tf_keras_vis.layercam import Layercam  # noqa: E402
from tf_keras_vis.saliency import Saliency  # noqa: E402
from tf_keras_vis.utils.scores import CategoricalScore  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "multi_input")
CLASSES = [0, 2]  # one per sample
SMOOTH_SAMPLES = 4
IG_STEPS = 16


def randomize(model, seed):
    """Replaces every weight with uniform values in -0.5...0.5 (BatchNormalization's moving variances in 0.5...1)."""
    rng = np.random.default_rng(seed)
    weights = []
    for variable in model.weights:
        values = rng.uniform(-0.5, 0.5, tuple(variable.shape)).astype(np.float32)
        if "moving_variance" in variable.name:
            values = np.abs(values) + 0.5
        weights.append(values)
    model.set_weights(weights)


def save(name, array, half=False):
    np.save(os.path.join(OUT, f"{name}.npy"), np.asarray(array, dtype=np.float16 if half else np.float32))


def two_images():
    k2.utils.set_random_seed(1)
    L = k2.layers
    image = k2.Input((12, 12, 3), name="image")
    x = L.Conv2D(4, 3, padding="same", activation="relu", name="conv_a")(image)
    x = L.MaxPooling2D(2, name="pool_a")(x)
    x = L.Conv2D(6, 3, padding="same", activation="relu", name="features")(x)
    mask = k2.Input((8, 8, 1), name="mask")
    m = L.Conv2D(3, 3, padding="same", activation="relu", name="conv_b")(mask)
    head = L.Concatenate()([L.GlobalAveragePooling2D()(x), L.GlobalAveragePooling2D()(m)])
    out = L.Dense(3, activation="softmax", name="predictions")(head)
    model = k2.Model([image, mask], out, name="two_images")
    randomize(model, 11)
    model.save(os.path.join(OUT, "two_images_k2.h5"))
    rng = np.random.default_rng(12)
    xs = [rng.uniform(-1, 1, (2, 12, 12, 3)).astype(np.float32), rng.uniform(0, 1, (2, 8, 8, 1)).astype(np.float32)]
    for k, x in enumerate(xs):
        save(f"two_images.input_{k}", x)
    score = CategoricalScore(CLASSES)
    for method, kind in (("gradcam", Gradcam), ("gradcam++", GradcamPlusPlus), ("layercam", Layercam)):
        maps = kind(model, clone=True)(score, xs, penultimate_layer="features", seek_penultimate_conv_layer=False)
        assert len(maps) == 2 and maps[0].shape == (2, 12, 12) and maps[1].shape == (2, 8, 8), method
        for k, m in enumerate(maps):
            save(f"two_images.tkv.{method}.input_{k}", m, half=True)
    maps = Saliency(model, clone=True)(score, xs)
    for k, m in enumerate(maps):
        save(f"two_images.tkv.vanilla.input_{k}", m, half=True)
    # SmoothGrad: tf-keras-vis draws np.random.normal(0, sigma, (samples, N, ...)) for each input in turn.
    np.random.seed(7)
    smooth = Saliency(model, clone=True)(score, xs, smooth_samples=SMOOTH_SAMPLES, smooth_noise=0.2)
    np.random.seed(7)
    noise = [np.random.standard_normal((SMOOTH_SAMPLES,) + x.shape).astype(np.float32) for x in xs]
    check = smoothgrad(model, xs, noise, CLASSES)
    for k, (m, c) in enumerate(zip(smooth, check)):
        assert np.allclose(m, c, atol=1e-4), f"the stored noise does not reproduce tf-keras-vis's SmoothGrad ({k})"
        save(f"two_images.tkv.smoothgrad.input_{k}", m, half=True)
        save(f"two_images.noise.input_{k}", noise[k])
    return {"classes": CLASSES, "layer": "features", "smooth_samples": SMOOTH_SAMPLES, "smooth_noise": 0.2}


def gradients(model, xs, classes):
    """`d score_n / d x_k` for every input `k` (each sample's own class)."""
    ts = [tf.constant(x) for x in xs]
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        for t in ts:
            tape.watch(t)
        out = model(ts, training=False)
        score = tf.reduce_sum(tf.stack([out[n, c] for n, c in enumerate(classes)]))
    return [g.numpy() for g in tape.gradient(score, ts)]


def normalize(array):
    """tf-keras-vis's `normalize`: per sample `(x - min) / (max - min + 1e-7)`."""
    axes = tuple(range(1, array.ndim))
    low, high = array.min(axis=axes, keepdims=True), array.max(axis=axes, keepdims=True)
    return (array - low) / (high - low + 1e-7)


def smoothgrad(model, xs, noise, classes):
    """tf-keras-vis's SmoothGrad given the standard-normal draws (to check that they reproduce its maps)."""
    sigmas = [0.2 * (x.max(axis=tuple(range(1, x.ndim)), keepdims=True)
                     - x.min(axis=tuple(range(1, x.ndim)), keepdims=True)) for x in xs]
    total = [np.zeros_like(x) for x in xs]
    for s in range(SMOOTH_SAMPLES):
        grads = gradients(model, [x + sigma * z[s] for x, sigma, z in zip(xs, sigmas, noise)], classes)
        total = [t + np.abs(g) for t, g in zip(total, grads)]
    return [normalize(np.max(t / SMOOTH_SAMPLES, axis=-1)) for t in total]


def image_vector():
    k2.utils.set_random_seed(2)
    L = k2.layers
    image = k2.Input((10, 10, 3), name="image")
    x = L.Conv2D(4, 3, activation="relu", name="conv")(image)
    vector = k2.Input((5,), name="vector")
    v = L.Dense(4, activation="tanh", name="dense_v")(vector)
    head = L.Concatenate()([L.GlobalAveragePooling2D()(x), v])
    out = L.Dense(3, activation="softmax", name="predictions")(head)
    model = k2.Model([image, vector], out, name="image_vector")
    randomize(model, 21)
    model.save(os.path.join(OUT, "image_vector_k2.h5"))
    rng = np.random.default_rng(22)
    xs = [rng.uniform(-1, 1, (2, 10, 10, 3)).astype(np.float32), rng.uniform(-1, 1, (2, 5)).astype(np.float32)]
    for k, x in enumerate(xs):
        save(f"image_vector.input_{k}", x)
    score = CategoricalScore(CLASSES)
    image_map = Saliency(model, clone=True)(score, xs)[0]
    vector_map = Saliency(model, clone=True)(score, xs, keepdims=True)[1]
    save("image_vector.tkv.vanilla.input_0", image_map, half=True)
    save("image_vector.tkv.vanilla.input_1", vector_map, half=True)
    nodes, weights = np.polynomial.legendre.leggauss(IG_STEPS)
    alphas, weights = 0.5 * (1 + nodes), 0.5 * weights
    total = [np.zeros_like(x) for x in xs]
    for alpha, weight in zip(alphas, weights):
        grads = gradients(model, [alpha * x for x in xs], CLASSES)
        total = [t + weight * g for t, g in zip(total, grads)]
    for k, (x, t) in enumerate(zip(xs, total)):
        save(f"image_vector.ig.input_{k}", x * t)
    for k, (x, g) in enumerate(zip(xs, gradients(model, xs, CLASSES))):
        save(f"image_vector.ixg.input_{k}", x * g)
    return {"classes": CLASSES, "ig_steps": IG_STEPS}


def channels_first():
    L = k2.layers

    def build(fmt):
        first = fmt == "channels_first"
        image = k2.Input((3, 12, 12) if first else (12, 12, 3), name="image")
        x = L.Conv2D(4, 3, padding="same", data_format=fmt, name="conv")(image)
        x = L.BatchNormalization(axis=1 if first else -1, name="bn")(x)
        x = L.Activation("relu", name="relu")(x)
        x = L.MaxPooling2D(2, data_format=fmt, name="pool")(x)
        x = L.Conv2D(5, 3, padding="same", activation="relu", data_format=fmt, name="features")(x)
        x = L.GlobalAveragePooling2D(data_format=fmt)(x)
        out = L.Dense(3, activation="softmax", name="predictions")(x)
        return k2.Model(image, out, name="cf_cnn")

    k2.utils.set_random_seed(3)
    model = build("channels_first")
    randomize(model, 31)
    twin = build("channels_last")
    twin.set_weights(model.get_weights())
    model.save(os.path.join(OUT, "cf_cnn_k2.h5"))
    twin.save(os.path.join(OUT, "cf_cnn_twin_k2.h5"))
    rng = np.random.default_rng(32)
    save("cf_cnn.input", rng.uniform(-1, 1, (2, 3, 12, 12)).astype(np.float32))
    return {"layer": "features", "twin_of": "cf_cnn_k2.h5"}


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = {"two_images": two_images(), "image_vector": image_vector(), "cf_cnn": channels_first(),
             "versions": {name: metadata.version(name) for name in ["tf-keras-vis", "tensorflow", "tf-keras"]}}
    with open(os.path.join(OUT, "cases.json"), "w") as file:
        json.dump(cases, file, indent=1)


if __name__ == "__main__":
    main()
