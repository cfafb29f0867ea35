#!/usr/bin/env python3
"""Writes the reference fixtures of kerasvis's perturbation methods (Tests/Fixtures/methods/perturbation): occlusion,
RISE, LIME and Kernel SHAP, on the Keras fixture models run by TensorFlow itself.

- Occlusion, LIME and Kernel SHAP are Captum's (`captum.attr.Occlusion`, `Lime`, `KernelShap`, unmodified, their
  defaults), with a forward function that runs the Keras model: perturbation methods need no gradients, so Captum
  calls the function on NCHW torch tensors, which are transposed to NHWC for Keras and the outputs handed back.
  Captum draws its perturbations from torch's generator; the script records the binary vectors Captum draws (its own
  `default_perturb_func` and `kernel_shap_perturb_generator`, wrapped to keep a copy of what they yield) and stores
  them, and kerasvis's tests feed the same vectors back (`PerturbationSource.given`).
- RISE: eclique/RISE is not a package (its `explanations.py` is a script in a repository), so this file runs its
  algorithm as `explanations.py` writes it: `RISE.generate_masks` (grids `rand(N, s, s) < p1`, cell size
  `ceil(input / s)`, `skimage.transform.resize(grid, (s + 1) * cell, order=1, mode='reflect', anti_aliasing=False)`
  cropped at random offsets) and `RISE.forward` (`sal = p^T masks / N / p1` over the masked inputs' outputs). The
  random draws come from a port of kerasvis's seeded generator (SplitMix64, the same order of draws), so kerasvis
  makes the same grids and offsets from the seed; its bilinear upsampling is checked against skimage's on the
  stored masks.

Small arrays: segment coefficients (one per superpixel, Captum's input-shaped attributions reduced per segment after
checking they are constant on it), the perturbation vectors as float16 (0/1, exact), maps and attributions float32.

    pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 torch captum==0.9.0 scikit-learn scikit-image
    python3 tools/make_perturbation_fixtures.py
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import importlib.metadata as metadata  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import captum.attr  # noqa: E402
import captum.attr._core.lime as captum_lime  # noqa: E402
import skimage.segmentation  # noqa: E402
import skimage.transform  # noqa: E402
from PIL import Image  # noqa: E402
import tf_keras as k2  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "Tests", "Fixtures", "models")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "methods", "perturbation")
VERSIONS = {name: metadata.version(name)
            for name in ["captum", "torch", "tensorflow", "scikit-learn", "scikit-image"]}
CASES = []

torch.manual_seed(0)


def save(name, array, dtype=np.float32):
    np.save(os.path.join(OUT, name), np.ascontiguousarray(array, dtype=dtype))
    return f"methods/perturbation/{name}"


def keras_forward(model):
    """A Captum forward function: NCHW torch tensor -> the Keras model's outputs (TensorFlow runs the model)."""
    def forward(x):
        nhwc = x.detach().cpu().numpy().astype(np.float32).transpose(0, 2, 3, 1)
        return torch.from_numpy(model(nhwc, training=False).numpy().astype(np.float32))
    return forward


def nchw(x):
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


class SplitMix64:
    """kerasvis's `SeededGenerator` (KerasRuntime/SeededGenerator.swift)."""
    MASK = (1 << 64) - 1

    def __init__(self, state):
        self.state = state & self.MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
        return z ^ (z >> 31)

    def uniform(self):
        return (self.next() >> 11) / float(1 << 53)


def rise_masks(n, s, p1, input_size, seed):
    """explanations.py's `RISE.generate_masks(N, s, p1)` with kerasvis's generator for the random draws."""
    generator = SplitMix64(seed)
    cell_size = np.ceil(np.array(input_size) / s)
    up_size = (s + 1) * cell_size
    grid = np.array([generator.uniform() < p1 for _ in range(n * s * s)]).reshape(n, s, s).astype("float32")
    shifts = [(generator.next() % int(cell_size[0]), generator.next() % int(cell_size[1])) for _ in range(n)]
    masks = np.empty((n, *input_size))
    for i in range(n):
        x, y = shifts[i]
        masks[i, :, :] = skimage.transform.resize(grid[i], up_size, order=1, mode="reflect",
                                                  anti_aliasing=False)[x:x + input_size[0], y:y + input_size[1]]
    return grid, masks.reshape(-1, 1, *input_size)


def rise_saliency(forward, x_nchw, masks, p1, batch=100):
    """explanations.py's `RISE.forward`: the saliency of every class, (classes, H, W)."""
    masks = torch.from_numpy(masks).float()
    n = masks.shape[0]
    _, _, h, w = x_nchw.size()
    stack = torch.mul(masks, x_nchw.data)
    p = torch.cat([forward(stack[i:min(i + batch, n)]) for i in range(0, n, batch)])
    classes = p.size(1)
    sal = torch.matmul(p.data.transpose(0, 1), masks.view(n, h * w))
    return (sal.view((classes, h, w)) / n / p1).numpy()


def grid_segments(height, width, segments):
    """kerasvis's `Segmentation.grid(segments:)`."""
    rows = min(max(int(round((segments * height / width) ** 0.5)), 1), height)
    columns = min(max(int(round(segments / rows)), 1), width)
    ys = np.arange(height)[:, None] * rows // height
    xs = np.arange(width)[None, :] * columns // width
    return (ys * columns + xs).astype(np.int64), rows * columns


def occlusion_cases(group, model_file, model, x, targets, configurations):
    forward = keras_forward(model)
    occlusion = captum.attr.Occlusion(forward)
    for window, strides, baseline in configurations:
        attributions = occlusion.attribute(nchw(x), sliding_window_shapes=window, strides=strides,
                                           baselines=baseline, target=targets["captum"], perturbations_per_eval=16)
        tag = f"w{'x'.join(map(str, window))}_s{'x'.join(map(str, strides))}_b{baseline}"
        name = save(f"{group}.occlusion_{tag}.npy", attributions.numpy().transpose(0, 2, 3, 1))
        CASES.append(dict(group=group, model=model_file, library="captum", version=VERSIONS["captum"],
                          method="occlusion", window_chw=list(window), strides_chw=list(strides), baseline=baseline,
                          input=targets["input"], **targets["case"], expected=name))


def rise_cases(group, model_file, model, x, targets, n, s, p1, seed):
    forward = keras_forward(model)
    grid, masks = rise_masks(n, s, p1, x.shape[1:3], seed)
    saliency = np.stack([rise_saliency(forward, nchw(x[i:i + 1]), masks, p1)[k]
                         for i, k in enumerate(targets["classes"])])
    tag = f"N{n}_s{s}_p{p1}_seed{seed}"
    name = save(f"{group}.rise_{tag}.npy", saliency)
    masks_name = save(f"{group}.rise_{tag}.first_masks.npy", masks[:4, 0])
    CASES.append(dict(group=group, model=model_file, library="eclique/RISE explanations.py (algorithm)",
                      version="skimage " + VERSIONS["scikit-image"], method="rise", masks=n, grid_size=s,
                      keep_probability=p1, seed=seed, input=targets["input"], **targets["case"], expected=name,
                      first_masks=masks_name))


class Recorder:
    """Keeps a copy of every binary vector a Captum perturbation function hands out."""

    def __init__(self):
        self.vectors = []

    def function(self, perturb):
        def recorded(original, **kwargs):
            vector = perturb(original, **kwargs)
            self.vectors.append(vector.clone())
            return vector
        return recorded

    def generator(self, perturb):
        def recorded(original, **kwargs):
            for vector in perturb(original, **kwargs):
                self.vectors.append(vector.clone())
                yield vector
        return recorded


def slic_labels(sample, segments, compactness):
    """scikit-image's SLIC on one (H, W, C) sample (float64, as kerasvis computes in double precision)."""
    return skimage.segmentation.slic(sample.astype(np.float64), n_segments=segments, compactness=compactness,
                                     start_label=0, channel_axis=-1)


def slic_cases(group, x, input_name, segments, compactness):
    labels = np.stack([slic_labels(sample, segments, compactness) for sample in x])
    name = save(f"{group}.slic{segments}_c{compactness}.npy", labels, np.float16)  # small integers: exact
    CASES.append(dict(group=group, library="scikit-image", version=VERSIONS["scikit-image"], method="slic",
                      segments=segments, compactness=compactness, input=input_name, expected=name))


def surrogate_cases(group, model_file, model, x, targets, method, segments, samples, baseline, slic=None):
    forward = keras_forward(model)
    recorder = Recorder()
    if method == "lime":
        explainer = captum.attr.Lime(forward, perturb_func=recorder.function(captum_lime.default_perturb_func))
    else:
        explainer = captum.attr.KernelShap(forward)
        explainer.perturb_func = recorder.generator(explainer.perturb_func)
    if slic is None:
        mask, features = grid_segments(x.shape[1], x.shape[2], segments)
    else:
        mask = slic_labels(x[0], segments, slic).astype(np.int64)
        features = int(mask.max()) + 1
    attributions = explainer.attribute(nchw(x), baselines=baseline, target=targets["captum"],
                                       feature_mask=torch.from_numpy(mask)[None, None], n_samples=samples,
                                       perturbations_per_eval=16).numpy()
    coefficients = np.zeros((x.shape[0], features), np.float32)
    for j in range(features):
        values = attributions[:, :, mask == j]
        assert np.all(values == values[:, :1, :1]), "Captum's attribution is not constant on a segment"
        coefficients[:, j] = values[:, 0, 0]
    vectors = torch.cat(recorder.vectors).numpy().reshape(x.shape[0], samples, features)
    kind = "seg" if slic is None else "slic"
    tag = f"{method}_{kind}{segments}_n{samples}_b{baseline}"
    name = save(f"{group}.{tag}.coefficients.npy", coefficients)
    vectors_name = save(f"{group}.{tag}.vectors.npy", vectors, np.float16)
    mask_name = save(f"{group}.{kind}{segments}.mask.npy", mask, np.float16)
    CASES.append(dict(group=group, model=model_file, library="captum", version=VERSIONS["captum"], method=method,
                      segments=segments, slic_compactness=slic, samples=samples, baseline=baseline,
                      input=targets["input"],
                      **targets["case"], expected=name, vectors=vectors_name, feature_mask=mask_name))


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.remove(os.path.join(OUT, name))
    print("versions:", VERSIONS)

    # sequential_cnn: 28x28x1, two samples, softmax over 10 classes.
    model = k2.models.load_model(os.path.join(MODELS, "sequential_cnn.h5"), compile=False)
    x = np.load(os.path.join(MODELS, "sequential_cnn.input.npy"))
    classes = [3, 7]
    targets = dict(captum=classes, classes=classes, input="models/sequential_cnn.input.npy",
                   case=dict(classes=classes))
    occlusion_cases("sequential_cnn", "models/sequential_cnn.h5", model, x, targets,
                    [((1, 6, 6), (1, 3, 3), 0.0), ((1, 4, 4), (1, 4, 4), 0.5)])
    rise_cases("sequential_cnn", "models/sequential_cnn.h5", model, x, targets, 48, 5, 0.5, 7)
    slic_cases("sequential_cnn", x, "models/sequential_cnn.input.npy", 16, 0.5)
    slic_cases("sequential_cnn", x, "models/sequential_cnn.input.npy", 16, 0.3)

    # binary_cnn: 20x20x3, a sigmoid score (N, 1): the window also slides over channels.
    model = k2.models.load_model(os.path.join(ROOT, "Tests", "Fixtures", "methods", "binary_cnn.h5"), compile=False)
    x = np.load(os.path.join(ROOT, "Tests", "Fixtures", "methods", "binary_cnn.input.npy"))
    targets = dict(captum=0, classes=[0, 0], input="methods/binary_cnn.input.npy", case=dict(binary=[True]))
    occlusion_cases("binary_cnn", "methods/binary_cnn.h5", model, x, targets, [((2, 5, 5), (1, 3, 3), -0.25)])
    rise_cases("binary_cnn", "methods/binary_cnn.h5", model, x, targets, 32, 3, 0.3, 11)
    slic_cases("binary_cnn", x, "methods/binary_cnn.input.npy", 12, 10.0)

    # nested_mobilenet: Sequential([MobileNetV2 (nested), ...]), 96x96x3; windows of 32x32 that tile the input, so
    # the attributions are constant on each window: stored at the windows' first pixels.
    model = k2.models.load_model(os.path.join(MODELS, "nested_mobilenet.h5"), compile=False)
    x = np.load(os.path.join(MODELS, "nested_mobilenet.input.npy"))
    forward = keras_forward(model)
    attributions = captum.attr.Occlusion(forward).attribute(
        nchw(x), sliding_window_shapes=(3, 32, 32), strides=(3, 32, 32), baselines=0.0, target=[1, 4],
        perturbations_per_eval=16).numpy().transpose(0, 2, 3, 1)
    corners = attributions[:, ::32, ::32, :]
    assert np.all(attributions == np.repeat(np.repeat(corners, 32, axis=1), 32, axis=2))
    name = save("nested_mobilenet.occlusion_w3x32x32_s3x32x32_b0.0.corners.npy", corners)
    CASES.append(dict(group="nested_mobilenet", model="models/nested_mobilenet.h5", library="captum",
                      version=VERSIONS["captum"], method="occlusion-tiles", window_chw=[3, 32, 32],
                      strides_chw=[3, 32, 32], baseline=0.0, input="models/nested_mobilenet.input.npy",
                      classes=[1, 4], expected=name))

    # shapes_cnn (the shipped sample): a triangle, 64x64x3 pixels 0...255, softmax over 3 classes.
    model = k2.models.load_model(os.path.join(ROOT, "Samples", "shapes_cnn.h5"), compile=False)
    image = Image.open(os.path.join(ROOT, "Samples", "images", "triangle_0.png")).convert("RGB")
    x = np.asarray(image, dtype=np.float32)[None]
    input_name = save("shapes_cnn.triangle_0.input.npy", x, np.float16)  # 0...255 integers: exact in float16
    top = int(np.argmax(model(x, training=False).numpy()[0]))
    targets = dict(captum=top, classes=[top], input=input_name, case=dict(classes=[top]))
    surrogate_cases("shapes_cnn", "Samples/shapes_cnn.h5", model, x, targets, "lime", 16, 80, 0.0)
    surrogate_cases("shapes_cnn", "Samples/shapes_cnn.h5", model, x, targets, "kernel-shap", 16, 80, 0.0)
    surrogate_cases("shapes_cnn", "Samples/shapes_cnn.h5", model, x, targets, "kernel-shap", 9, 40, 127.0)
    slic_cases("shapes_cnn", x, input_name, 25, 10.0)
    slic_cases("shapes_cnn", x, input_name, 60, 20.0)
    slic_cases("shapes_cnn", x, input_name, 40, 5.0)
    surrogate_cases("shapes_cnn", "Samples/shapes_cnn.h5", model, x, targets, "lime", 25, 80, 0.0, slic=10.0)

    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"versions": VERSIONS, "cases": CASES}, f, indent=1)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"{len(CASES)} cases, {total / 1024:.0f} KiB in {OUT}")


if __name__ == "__main__":
    sys.exit(main())
