#!/usr/bin/env python3
"""Trains the sample model kerasvis's demo explains, and writes the pointing-game fixture.

The task has an answer with a location: a 64x64 RGB picture holds one filled shape (circle, square or triangle) of
random size, rotation, colour and position on a cluttered background (a posterized colour gradient, a few thin
lines, gray speckles); the class is the shape. A small CNN (Conv-BatchNorm-ReLU blocks with pooling down to 8x8, a
last conv, GlobalAveragePooling2D, Dense softmax) learns it with tf-keras on the CPU in a minute or two. Pixels go
in as they are (0...255): the model's first layer is a `Rescaling` to -1...1, so no preprocessing flag is needed.

    pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 h5py scipy pillow
    python3 tools/make_samples.py

Writes (everything is seeded; TensorFlow's CPU kernels may still differ in the last bits between machines):

- `Samples/shapes_cnn.h5`: the trained model (Keras 2 full-model HDF5, no optimizer state);
- `Samples/images/*.png`: a few held-out pictures of each class;
- `Samples/README.md`: the task, the classes, the accuracy on held-out pictures and Grad-CAM's pointing-game
  hit rate (both measured here);
- `Tests/Fixtures/pointing/NNN.png` and `boxes.json`: 100 further held-out pictures with their shape's bounding
  box, for the pointing-game test (`Tests/KerasExplainTests/PointingGameTests.swift`).
"""

import json
import os
import sys
import textwrap
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import numpy as np  # noqa: E402
import scipy.ndimage  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as k2  # noqa: E402
from PIL import Image  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, "Samples")
POINTING = os.path.join(ROOT, "Tests", "Fixtures", "pointing")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kerasvis_reference as kv  # noqa: E402

SIZE = 64
CLASSES = ["circle", "square", "triangle"]
TRAIN, VALIDATION, TEST, POINTING_COUNT = 12000, 1000, 1000, 100
EPOCHS, BATCH = 5, 64
SEED = 20240605


# ----------------------------------------------------------------------------------------------- pictures


def _background(rng):
    """A smooth colour gradient (a random 3x3 grid of colours, bilinearly enlarged) with a few thin lines."""
    grid = rng.uniform(30, 225, size=(3, 3, 3))
    image = scipy.ndimage.zoom(grid, (SIZE / 3, SIZE / 3, 1), order=1, mode="nearest", grid_mode=True)
    for _ in range(rng.integers(1, 4)):
        x0, y0, x1, y1 = rng.uniform(0, SIZE, size=4)
        colour = rng.uniform(0, 255, size=3)
        steps = int(max(abs(x1 - x0), abs(y1 - y0))) * 2 + 1
        xs = np.clip(np.round(np.linspace(x0, x1, steps)).astype(int), 0, SIZE - 1)
        ys = np.clip(np.round(np.linspace(y0, y1, steps)).astype(int), 0, SIZE - 1)
        image[ys, xs] = colour
    return image


def _polygon_mask(vertices, xs, ys):
    """Pixels whose centres lie inside the convex polygon `vertices` (counter-clockwise or clockwise)."""
    inside_left = np.ones_like(xs, dtype=bool)
    inside_right = np.ones_like(xs, dtype=bool)
    for (ax, ay), (bx, by) in zip(vertices, np.roll(vertices, -1, axis=0)):
        cross = (bx - ax) * (ys - ay) - (by - ay) * (xs - ax)
        inside_left &= cross >= 0
        inside_right &= cross <= 0
    return inside_left | inside_right


def _shape_mask(label, radius, cx, cy, angle):
    ys, xs = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64) + 0.5
    if CLASSES[label] == "circle":
        return (xs - cx) ** 2 + (ys - cy) ** 2 <= radius ** 2
    corners = 4 if CLASSES[label] == "square" else 3
    r = radius  # the circumradius: triangles cover 1.3 r^2, squares 2 r^2, circles 3.1 r^2
    t = angle + np.arange(corners) * 2 * np.pi / corners
    vertices = np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], axis=1)
    return _polygon_mask(vertices, xs, ys)


def draw(rng, label=None):
    """One picture: (uint8 HxWx3, class, box [x0, y0, x1, y1] inclusive pixel bounds of the shape)."""
    if label is None:
        label = int(rng.integers(len(CLASSES)))
    image = _background(rng)
    radius = rng.uniform(9, 16)
    cx, cy = rng.uniform(radius + 1, SIZE - radius - 1, size=2)
    # Squares and triangles stand upright, turned by at most 15 degrees either way.
    upright = {"circle": 0.0, "square": np.pi / 4, "triangle": -np.pi / 2}[CLASSES[label]]
    mask = _shape_mask(label, radius, cx, cy, upright + rng.uniform(-1, 1) * np.pi / 12)
    under = image[mask].mean(axis=0)
    while True:  # a colour that stands out from what lies under the shape
        colour = rng.uniform(0, 255, size=3)
        if np.abs(colour - under).sum() > 150:
            break
    image[mask] = colour
    # Posterized to steps of 8 with 10% gray speckles of +-32: texture that keeps the PNGs small (about 3 KB).
    speckles = (rng.random((SIZE, SIZE, 1)) < 0.1) * rng.choice([-32.0, 32.0], size=(SIZE, SIZE, 1))
    image = np.clip(np.round(image / 8) * 8 + speckles, 0, 255).astype(np.uint8)
    rows = np.flatnonzero(mask.any(axis=1))
    columns = np.flatnonzero(mask.any(axis=0))
    box = [int(columns[0]), int(rows[0]), int(columns[-1]), int(rows[-1])]
    return image, label, box


def dataset(seed, count):
    rng = np.random.default_rng(seed)
    pictures = [draw(rng, label=index % len(CLASSES)) for index in range(count)]
    order = rng.permutation(count)
    images = np.stack([pictures[i][0] for i in order])
    labels = np.array([pictures[i][1] for i in order])
    boxes = [pictures[i][2] for i in order]
    return images, labels, boxes


# ----------------------------------------------------------------------------------------------- model


def build_model():
    """Conv-BN-ReLU blocks down to an 8x8 map, then a last conv, global average pooling and a softmax."""
    layers = k2.layers

    def block(x, filters, name, strides=1, size=3):
        x = layers.Conv2D(filters, size, strides=strides, padding="same", use_bias=False, name=f"conv{name}")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"bn{name}")(x)
        return layers.Activation("relu", name=f"relu{name}")(x)

    inputs = k2.Input((SIZE, SIZE, 3), name="image")
    x = layers.Rescaling(1 / 127.5, offset=-1, name="rescale")(inputs)
    x = block(x, 16, 1, strides=2, size=5)  # 32x32
    x = block(x, 32, 2)
    x = layers.MaxPooling2D(name="pool2")(x)  # 16x16
    x = block(x, 48, 3)
    x = layers.MaxPooling2D(name="pool3")(x)  # 8x8
    x = block(x, 64, 4)
    x = layers.Conv2D(64, 3, padding="same", activation="relu", name="last_conv")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(len(CLASSES), activation="softmax", name="predictions")(x)
    return k2.Model(inputs, outputs, name="shapes_cnn")


def pointing_game(model, images, boxes, linear):
    """Grad-CAM (keras-vis's visualize_cam at the last feature map, `last_conv`) for the predicted class, the
    softmax kept or swapped to linear; a hit when the heatmap's argmax (the first, in row-major order) lies inside
    the shape's box. Returns (hit rate, penultimate layer index, argmax [x, y] of each heatmap)."""
    last_conv = [layer.name for layer in model.layers].index("last_conv")
    predictions = model.predict(images, verbose=0).argmax(axis=1)
    hits, peaks = 0, []
    for image, box, predicted in zip(images, boxes, predictions):
        heatmap, _ = kv.visualize_cam(model, -1, [int(predicted)], image.astype(np.float32), k2,
                                      penultimate_layer_idx=last_conv, linear=linear)
        y, x = np.unravel_index(np.argmax(heatmap), heatmap.shape)
        hits += box[0] <= x <= box[2] and box[1] <= y <= box[3]
        peaks.append([int(x), int(y)])
    return hits / len(images), last_conv, peaks


# ----------------------------------------------------------------------------------------------- main


def write_boxes(path, document):
    """JSON with one line per picture."""
    head = {key: value for key, value in document.items() if key != "images"}
    lines = [f"  {json.dumps(key)}: {json.dumps(value)}," for key, value in head.items()]
    pictures = [f"    {json.dumps(record)}" for record in document["images"]]
    with open(path, "w") as f:
        f.write("{\n" + "\n".join(lines) + '\n  "images": [\n' + ",\n".join(pictures) + "\n  ]\n}\n")


README = """# Samples

`shapes_cnn.h5` is a small CNN trained by `tools/make_samples.py` (tf-keras {tf_version}, seeded, CPU) on a task
whose answer has a location, so that its explanations can be checked by eye and by number.

**Task.** A 64x64 RGB picture holds one filled shape on a cluttered background (a posterized colour gradient, one
to three thin lines of random colours, gray speckles on 10% of the pixels). The shape has a random colour that
stands out from what lies under it, a random position and a circumradius of 9 to 16 pixels; squares and
triangles stand upright, turned by up to 15 degrees. The class is the shape:

| Class | Name |
| --- | --- |
{class_rows}

**Model** (`shapes_cnn`, {params} parameters, Keras 2 full-model HDF5 without optimizer state):
`image (64, 64, 3)` -> `rescale` (Rescaling x / 127.5 - 1) -> `conv1` (Conv2D 16, 5x5, stride 2) -> `bn1` ->
`relu1` -> `conv2` (32) -> `bn2` -> `relu2` -> `pool2` -> `conv3` (48) -> `bn3` -> `relu3` -> `pool3` ->
`conv4` (64) -> `bn4` -> `relu4` -> `last_conv` (Conv2D 64, ReLU, 8x8) -> `gap` (GlobalAveragePooling2D) ->
`predictions` (Dense 3, softmax). Pixels go in as they are (0...255): the model scales them itself, so kerasvis
needs no `--preprocess`. Trained with Adam (learning rate 0.001) and cross-entropy with label smoothing 0.1 (so
the softmax does not saturate and its gradients, which Grad-CAM uses, stay informative) on {train} pictures for
{epochs} epochs ({seconds:.0f} s here).

**Numbers** (held-out pictures, generated with other seeds than the training set):

- accuracy on {test} pictures: **{accuracy:.1%}**;
- Grad-CAM pointing game on the {pointing} pictures of `Tests/Fixtures/pointing/`: the argmax of keras-vis's
  `visualize_cam` for the predicted class, at `last_conv` (index {last_conv}, the last feature map and also
  keras-vis's automatic choice), falls inside the shape's bounding box in **{hit_rate:.0%}** of them
  ({linear_hit_rate:.0%} with the softmax swapped to linear). These are the TensorFlow port of keras-vis in
  `tools/kerasvis_reference.py`; `Tests/KerasExplainTests/PointingGameTests.swift` measures the same with kerasvis
  and requires at least 90%.
{misses}

`images/` holds held-out pictures named by their class:

```sh
kerasvis predict Samples/shapes_cnn.h5 Samples/images/*.png --top 1
kerasvis cam Samples/shapes_cnn.h5 Samples/images/triangle_0.png --out cam.png
kerasvis layers Samples/shapes_cnn.h5 Samples/images/triangle_0.png --layer conv1 last_conv --out layers.png
kerasvis filters Samples/shapes_cnn.h5 --layer conv1 --out filters.png
# keras-vis's default regularizers (tv_weight, lp_norm_weight 10) wash out what this small model's filters want:
kerasvis filters Samples/shapes_cnn.h5 --layer conv4 --maximize --max-filters 8 --tv-weight 0 --lp-norm-weight 0 \\
  --out maximized.png
```

## Regenerating

```sh
pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 h5py scipy pillow
python3 tools/make_samples.py   # about two minutes on two cores
```

It rewrites this folder and `Tests/Fixtures/pointing/` (pictures plus `boxes.json`: for each file the class and
the box `[x0, y0, x1, y1]`, inclusive pixel bounds, x to the right and y down).
"""


def main():
    k2.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    x_train, y_train, _ = dataset(SEED + 1, TRAIN)
    x_val, y_val, _ = dataset(SEED + 2, VALIDATION)
    x_test, y_test, _ = dataset(SEED + 3, TEST)
    x_point, y_point, boxes = dataset(SEED + 4, POINTING_COUNT)

    model = build_model()
    model.compile(optimizer=k2.optimizers.Adam(1e-3),
                  loss=k2.losses.CategoricalCrossentropy(label_smoothing=0.1), metrics=["accuracy"])
    start = time.time()
    model.fit(x_train, k2.utils.to_categorical(y_train, len(CLASSES)), batch_size=BATCH, epochs=EPOCHS,
              validation_data=(x_val, k2.utils.to_categorical(y_val, len(CLASSES))), verbose=2)
    seconds = time.time() - start
    accuracy = float((model.predict(x_test, verbose=0).argmax(axis=1) == y_test).mean())
    print(f"held-out accuracy {accuracy:.4f} ({TEST} pictures), training {seconds:.0f} s")
    hit_rate, last_conv, peaks = pointing_game(model, x_point, boxes, linear=False)
    linear_hit_rate, _, _ = pointing_game(model, x_point, boxes, linear=True)
    print(f"pointing game at layer {last_conv} (last_conv): {hit_rate:.2f} (softmax), {linear_hit_rate:.2f} (linear)")

    os.makedirs(os.path.join(SAMPLES, "images"), exist_ok=True)
    model.save(os.path.join(SAMPLES, "shapes_cnn.h5"), include_optimizer=False)
    for name in os.listdir(os.path.join(SAMPLES, "images")):
        os.remove(os.path.join(SAMPLES, "images", name))
    for label, name in enumerate(CLASSES):
        for position, index in enumerate(np.flatnonzero(y_test == label)[:2]):
            Image.fromarray(x_test[index]).save(os.path.join(SAMPLES, "images", f"{name}_{position}.png"),
                                                optimize=True)

    os.makedirs(POINTING, exist_ok=True)
    for name in os.listdir(POINTING):
        os.remove(os.path.join(POINTING, name))
    records = []
    for index, (image, label, box, peak) in enumerate(zip(x_point, y_point, boxes, peaks)):
        file = f"{index:03d}.png"
        Image.fromarray(image).save(os.path.join(POINTING, file), optimize=True)
        records.append({"file": file, "class": int(label), "box": box, "python_peak": peak})
    missed = [(label, box, peak) for label, box, peak in zip(y_point, boxes, peaks)
              if not (box[0] <= peak[0] <= box[2] and box[1] <= peak[1] <= box[3])]
    counts = [f"{sum(1 for label, _, _ in missed if label == c)} {name}s" for c, name in enumerate(CLASSES)]
    above = sum(1 for _, box, peak in missed if peak[1] < box[1])
    misses = (f"{', '.join(counts)}; the maximum lies above the box's top in {above} of the {len(missed)} "
              "(for squares the heat tends to sit on the flat top edge, which is what tells them from upright "
              "triangles)") if missed else "none"
    misses = textwrap.fill(f"- misses: {misses}.", width=116, subsequent_indent="  ")
    write_boxes(os.path.join(POINTING, "boxes.json"), {
        "model": "Samples/shapes_cnn.h5", "classes": CLASSES, "box_format": "x0 y0 x1 y1, inclusive pixel bounds",
        "penultimate_layer_idx": last_conv, "python_hit_rate": hit_rate, "python_hit_rate_linear": linear_hit_rate,
        "images": records})

    with open(os.path.join(SAMPLES, "README.md"), "w") as f:
        f.write(README.format(
            tf_version=k2.__version__, class_rows="\n".join(f"| {i} | {name} |" for i, name in enumerate(CLASSES)),
            params=model.count_params(), train=TRAIN, epochs=EPOCHS, seconds=seconds, test=TEST, accuracy=accuracy,
            pointing=POINTING_COUNT, hit_rate=hit_rate, linear_hit_rate=linear_hit_rate, last_conv=last_conv,
            misses=misses))


if __name__ == "__main__":
    main()
