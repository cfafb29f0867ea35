#!/usr/bin/env python3
"""Writes the Keras model fixtures under Tests/Fixtures/models with real Keras.

For every model it writes the model file(s) and what Keras reports about it (`NAME.expected.json`: the
`model.layers` list with index, name, class, output shape, parameter count and inbound layers), and for models
the engine runs, a seeded input and Keras's output (`NAME.input.npy`, `NAME.output_K.npy`).

    pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 keras h5py scipy pillow
    python3 tools/make_fixtures.py            # the small committed fixtures
    python3 tools/make_fixtures.py --only normalization_zoo_k2 normalization_zoo_k3   # just those builders
    python3 tools/make_fixtures.py --zoo      # full-size keras.applications models into zoo/ (not committed)

Keras 2 files are written with tf-keras 2.21 (`import tf_keras`), Keras 3 files with Keras 3 (`import keras`).
Weights are random but seeded; BatchNormalization moving statistics and biases are randomised too, so that
mistakes in their handling change the outputs.
"""

import argparse
import json
import os
import re
import shutil
import sys
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# TF's oneDNN graph rewrites have crashed here on some gradient kernels; the reference uses TF's own kernels.
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as k2  # noqa: E402
import keras as k3  # noqa: E402
from keras import tree  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "Tests", "Fixtures", "models")
VIS = os.path.join(ROOT, "Tests", "Fixtures", "vis")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kerasvis_reference as kv  # noqa: E402
ZOO = os.path.join(ROOT, "zoo")


# ----------------------------------------------------------------------------------------------- reports


def _shape_json(shape):
    return [None if d is None else int(d) for d in shape]


def _report(model, keras_module, belongs, describe, recurse):
    """What Keras says about `model.layers`: one record per layer (the layer's call inside `model`, found by
    `belongs(layer, position)`, described as (inbound names, output shapes) by `describe(node)`), nested models'
    layers listed separately."""
    records, nested = [], {}
    for index, layer in enumerate(model.layers):
        node = next((c for p, c in enumerate(layer._inbound_nodes) if belongs(layer, p)), None)
        if node is None:
            raise RuntimeError(f"no node of {layer.name} belongs to {model.name}")
        inbound, shapes = describe(node)
        records.append({
            "index": index, "name": layer.name, "class": layer.__class__.__name__,
            "output_shape": shapes[0] if len(shapes) == 1 else shapes,
            "params": int(layer.count_params()), "inbound": inbound,
        })
        if isinstance(layer, keras_module.Model):
            inner = recurse(layer)
            nested[layer.name] = {"layers": inner["layers"]}
            nested.update(inner["nested"])
    return {"model": model.name, "class": model.__class__.__name__, "layers": records,
            "total_params": int(model.count_params()), "nested": nested}


def k2_report(model):
    """What tf-keras says about `model.layers`."""
    def describe(node):
        inbound = [] if node.is_input else [l.name for l in tf.nest.flatten(node.inbound_layers)]
        return inbound, [_shape_json(t.shape) for t in tf.nest.flatten(node.outputs)]
    network_nodes = model._network_nodes
    return _report(model, k2, lambda layer, p: f"{layer.name}_ib-{p}" in network_nodes, describe, k2_report)


def k3_report(model):
    """What Keras 3 says about `model.layers` (operations such as `x + y` are not layers but may feed them)."""
    def describe(node):
        # A mask Keras 3 recorded as the `mask` argument (kerasvis propagates masks itself) is not an input.
        masks = {id(t) for t in tree.flatten(node.arguments.kwargs.get("mask"))} if "mask" in node.arguments.kwargs else set()
        return ([t._keras_history.operation.name for t in node.input_tensors if id(t) not in masks],
                [_shape_json(t.shape) for t in node.outputs])
    functional = model if hasattr(model, "_nodes") else model._functional  # a Sequential wraps a Functional
    node_keys = functional._nodes
    return _report(model, k3, lambda layer, p: f"{id(layer)}_ib-{p}" in node_keys, describe, k3_report)


def write_json(name, report, folder=MODELS):
    with open(os.path.join(folder, f"{name}.expected.json"), "w") as file:
        json.dump(report, file, separators=(",", ":"))
        file.write("\n")


# ----------------------------------------------------------------------------------------------- weights


def _random_like(name, value, rng):
    """A seeded random replacement for one weight, by its role (taken from the variable's name)."""
    role = name.split("/")[-1].split(":")[0]
    shape = value.shape
    if role == "moving_variance" or role == "variance":
        return rng.uniform(0.5, 1.5, shape)
    if role == "moving_mean" or role == "mean":
        return rng.normal(0.0, 0.2, shape)
    if role == "gamma":
        return rng.uniform(0.7, 1.3, shape)
    if role in ("beta", "bias"):
        return rng.normal(0.0, 0.05, shape)
    if role == "alpha":  # PReLU
        return rng.uniform(0.0, 0.3, shape)
    if role == "count":
        return value
    if value.ndim >= 2:  # kernels: He-style scale on the fan-in, so deep stacks keep a sane range
        fan_in = int(np.prod(shape[:-1])) if role != "depthwise_kernel" else int(np.prod(shape[:2]))
        return rng.normal(0.0, np.sqrt(1.5 / max(fan_in, 1)), shape)
    return rng.normal(0.0, 0.1, shape)


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)


def randomize(model, seed):
    """Replaces every weight of `model` (nested models included) with seeded random values of its role.

    A Normalization layer given `mean` and `variance` in its config keeps its weights: Keras rebuilds it from the
    config when loading, so random weights would make the saved file disagree with the model in memory. An adapted
    one gets random statistics."""
    rng = np.random.default_rng(seed)
    frozen = {id(w) for layer in _all_layers(model)
              if layer.__class__.__name__ == "Normalization" and layer.get_config().get("mean") is not None
              for w in layer.weights}
    for weight in model.weights:
        if id(weight) in frozen:
            continue
        name = getattr(weight, "path", None) or weight.name
        value = np.asarray(weight.numpy())
        weight.assign(_random_like(name, value, rng).astype(value.dtype))
    # An adapted Normalization computes its mean and variance from its weights in finalize_state (as loading does).
    for layer in _all_layers(model):
        if layer.__class__.__name__ == "Normalization" and id(layer.weights[0] if layer.weights else None) not in frozen:
            layer.finalize_state()


def write_io(name, model, inputs, folder=MODELS, reload=None):
    """Stores `inputs` and Keras's outputs for them (`training=False`). With `reload` (a function loading the
    saved file), checks first that the file gives the outputs of the model in memory."""
    inputs = [np.asarray(x, dtype=np.float32) for x in (inputs if isinstance(inputs, list) else [inputs])]
    for position, x in enumerate(inputs):
        suffix = "" if len(inputs) == 1 else f"_{position}"
        np.save(os.path.join(folder, f"{name}.input{suffix}.npy"), x)
    outputs = model(inputs if len(inputs) > 1 else inputs[0], training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    if reload is not None:
        loaded = reload()
        again = loaded(inputs if len(inputs) > 1 else inputs[0], training=False)
        again = again if isinstance(again, (list, tuple)) else [again]
        for y, z in zip(outputs, again):
            assert np.allclose(np.asarray(y), np.asarray(z), rtol=1e-5, atol=1e-6), f"{name}: the saved file differs"
    for position, y in enumerate(outputs):
        np.save(os.path.join(folder, f"{name}.output_{position}.npy"), np.asarray(y, dtype=np.float32))


def fresh_k2(seed):
    """A new tf-keras session (layer names numbered from scratch, as in a fresh process) and a fixed seed."""
    k2.backend.clear_session()
    k2.utils.set_random_seed(seed)


def fresh_k3(seed):
    """A new Keras 3 session (layer names numbered from scratch) and a fixed seed."""
    k3.backend.clear_session()
    k3.utils.set_random_seed(seed)


def _outer_output(model, layer):
    """The output of `layer`'s call inside `model` (for a nested model, not its own internal output)."""
    if isinstance(model, k3.Model):
        keys = (model if hasattr(model, "_nodes") else model._functional)._nodes
        for position, node in enumerate(layer._inbound_nodes):
            if f"{id(layer)}_ib-{position}" in keys:
                return node.outputs[0]
    else:
        for position, node in enumerate(layer._inbound_nodes):
            if f"{layer.name}_ib-{position}" in model._network_nodes:
                return tf.nest.flatten(node.outputs)[0]
    return layer.output


def write_gradients(name, model, inputs, layer_names, seed, folder=MODELS, input_gradients=True):
    """Stores TensorFlow's gradients of `L = sum_k sum(seed_k * output_k)` (seeds random, stored) with respect to
    every model input and to the outputs of `layer_names` (`NAME.grad.json` lists their indices in model.layers).
    With `input_gradients=False` (integer token inputs, which have no gradient) only the layers' are stored, and
    `NAME.grad.json` says so (`"inputs": []`)."""
    inputs = [tf.constant(np.asarray(x, dtype=np.float32)) for x in (inputs if isinstance(inputs, list) else [inputs])]
    names = [layer.name for layer in model.layers]
    layers = [model.get_layer(n) for n in layer_names]
    functional = k3.Model if isinstance(model, k3.Model) else k2.Model
    probe = functional(model.inputs, [_outer_output(model, layer) for layer in layers] + list(model.outputs))
    rng = np.random.default_rng(seed)
    with tf.GradientTape(watch_accessed_variables=False, persistent=True) as tape:
        for x in inputs:
            tape.watch(x)
        if not input_gradients:
            # Integer inputs start no recorded computation: the weights do (the embedding table).
            for variable in model.trainable_variables:
                tape.watch(variable.value if isinstance(model, k3.Model) else variable)
        results = probe(inputs if len(inputs) > 1 else inputs[0], training=False)
        results = results if isinstance(results, (list, tuple)) else [results]
        taps, outputs = results[:len(layers)], results[len(layers):]
        seeds = [rng.normal(0, 1, tuple(y.shape)).astype(np.float32) for y in outputs]
        loss = tf.add_n([tf.reduce_sum(s * y) for s, y in zip(seeds, outputs)])
    for position, s in enumerate(seeds):
        np.save(os.path.join(folder, f"{name}.seed_{position}.npy"), s)
    if input_gradients:
        for position, g in enumerate(tape.gradient(loss, inputs)):
            np.save(os.path.join(folder, f"{name}.grad_input_{position}.npy"), np.asarray(g, dtype=np.float32))
    for position, g in enumerate(tape.gradient(loss, taps)):
        np.save(os.path.join(folder, f"{name}.grad_layer_{position}.npy"), np.asarray(g, dtype=np.float32))
    with open(os.path.join(folder, f"{name}.grad.json"), "w") as file:
        report = {"layers": [names.index(n) for n in layer_names]}
        if not input_gradients:
            report["inputs"] = []
        json.dump(report, file)


def seeded_input(shape, seed, low=-1.0, high=1.0):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(np.float32)


# ----------------------------------------------------------------------------------------------- models


KERAS22_COUNTERS = re.compile(
    r"^(conv2d|batch_normalization|activation|max_pooling2d|average_pooling2d|concatenate)(?:_(\d+))?$")


def keras22_name(name):
    """tf-keras names auto-numbered layers `conv2d`, `conv2d_1`, ...; Keras 2.2 named them `conv2d_1`, `conv2d_2`."""
    match = KERAS22_COUNTERS.match(name)
    if not match:
        return name
    number = int(match.group(2) or 0) + 1
    return f"{match.group(1)}_{number}"


def rename_functional_config(config, rename):
    """Renames every layer in a Functional config, with all references to it (inbound nodes, inputs, outputs)."""
    for layer in config["layers"]:
        layer["name"] = rename(layer["name"])
        layer["config"]["name"] = layer["name"]
        for node in layer["inbound_nodes"]:
            for reference in node:
                reference[0] = rename(reference[0])
    for key in ("input_layers", "output_layers"):
        for reference in config[key]:
            reference[0] = rename(reference[0])
    return config


def inception_v3_narrow():
    """keras.applications InceptionV3 (tf-keras) with 1/16 of the filters, 10 classes, 139x139, Keras 2.2 names."""
    fresh_k2(1)
    base = k2.applications.InceptionV3(weights=None, input_shape=(139, 139, 3), classes=10)
    config = base.get_config()
    for layer in config["layers"]:
        if layer["class_name"] == "Conv2D":
            layer["config"]["filters"] = max(4, layer["config"]["filters"] // 16)
    model = k2.Model.from_config(rename_functional_config(config, keras22_name))
    randomize(model, 1)
    model.save(os.path.join(MODELS, "inception_v3_narrow.h5"))
    write_json("inception_v3_narrow", k2_report(model))
    write_io("inception_v3_narrow", model, seeded_input((1, 139, 139, 3), 11), reload=lambda: k2.models.load_model(os.path.join(MODELS, "inception_v3_narrow.h5"), compile=False))
    write_gradients("inception_v3_narrow", model, seeded_input((1, 139, 139, 3), 11), ["mixed10", "conv2d_94"], 31)
    return model


def sequential_cnn():
    """A tf-keras Sequential CNN; one Conv2D renamed after it was built, so its datasets keep the old names."""
    L = k2.layers
    fresh_k2(2)
    model = k2.Sequential([
        k2.Input((28, 28, 1)),
        L.Conv2D(8, 3, activation="relu"),
        L.MaxPooling2D(2),
        L.Conv2D(16, 3, padding="same"),
        L.BatchNormalization(),
        L.Activation("relu"),
        L.AveragePooling2D(2),
        L.Flatten(),
        L.Dropout(0.3),
        L.Dense(32, activation="relu"),
        L.Dense(10, activation="softmax"),
    ], name="sequential_cnn")
    randomize(model, 2)
    report = k2_report(model)  # before the rename: tf-keras keys its nodes by the name a layer had when called
    model.layers[2]._name = "renamed_conv"  # variables stay `conv2d_1/kernel:0`: weight_names must be followed
    old_name, report["layers"][2]["name"] = report["layers"][2]["name"], "renamed_conv"
    for record in report["layers"]:
        record["inbound"] = ["renamed_conv" if n == old_name else n for n in record["inbound"]]
    path = os.path.join(MODELS, "sequential_cnn.h5")
    model.save(path)
    write_json("sequential_cnn", report)
    write_io("sequential_cnn", model, seeded_input((2, 28, 28, 1), 12, 0.0, 1.0), reload=lambda: k2.models.load_model(os.path.join(MODELS, "sequential_cnn.h5"), compile=False))
    write_gradients("sequential_cnn", model, seeded_input((2, 28, 28, 1), 12, 0.0, 1.0), ["renamed_conv"], 32)
    return path


def legacy_strings(source):
    """sequential_cnn.h5 rewritten as Keras 2.0 wrote files: fixed-length string attributes, class `Sequential`
    with a bare list of layers (the first carrying `batch_input_shape`), `keras_version` 2.0.5."""
    target = os.path.join(MODELS, "legacy_strings.h5")
    shutil.copyfile(source, target)
    with h5py.File(target, "r+") as file:
        config = json.loads(file.attrs["model_config"])
        layers = config["config"]["layers"]
        if layers[0]["class_name"] == "InputLayer":
            shape = layers[0]["config"]["batch_input_shape"]
            layers = layers[1:]
            layers[0]["config"]["batch_input_shape"] = shape
        legacy = {"class_name": "Sequential", "config": layers}
        for key, value in (("model_config", json.dumps(legacy)), ("keras_version", "2.0.5"),
                           ("backend", "tensorflow")):
            del file.attrs[key]
            file.attrs.create(key, np.bytes_(value))
        if "training_config" in file.attrs:
            del file.attrs["training_config"]
        weights = file["model_weights"]
        for group in [weights] + [weights[name] for name in weights]:
            for key in ("layer_names", "weight_names"):
                if key in group.attrs:
                    values = [v if isinstance(v, bytes) else v.encode() for v in group.attrs[key]]
                    del group.attrs[key]
                    width = max([len(v) for v in values] + [1])
                    group.attrs.create(key, np.array(values, dtype=f"S{width}"))
    model = k2.models.load_model(target, compile=False)
    report = k2_report(model)
    write_json("legacy_strings", report)
    write_io("legacy_strings", model, np.load(os.path.join(MODELS, "sequential_cnn.input.npy")))


def nested_mobilenet():
    """The transfer-learning pattern: Sequential([MobileNetV2(include_top=False), GlobalAveragePooling2D, Dense])."""
    fresh_k2(3)
    base = k2.applications.MobileNetV2(input_shape=(96, 96, 3), alpha=0.1, include_top=False, weights=None)
    model = k2.Sequential([base, k2.layers.GlobalAveragePooling2D(), k2.layers.Dense(5, activation="softmax")],
                          name="nested_mobilenet")
    model.build((None, 96, 96, 3))
    randomize(model, 3)
    model.save(os.path.join(MODELS, "nested_mobilenet.h5"))
    write_json("nested_mobilenet", k2_report(model))
    write_io("nested_mobilenet", model, seeded_input((2, 96, 96, 3), 13), reload=lambda: k2.models.load_model(os.path.join(MODELS, "nested_mobilenet.h5"), compile=False))
    write_gradients("nested_mobilenet", model, seeded_input((2, 96, 96, 3), 13), [], 33)


def weights_only():
    """`model.save_weights('w.h5')` plus `model.to_json()`."""
    L = k2.layers
    fresh_k2(4)
    inputs = k2.Input((10, 10, 3), name="pixels")
    x = L.Conv2D(4, 3, activation="relu", name="features")(inputs)
    x = L.Flatten()(x)
    x = L.Dense(6, activation="relu")(x)
    outputs = L.Dense(3, activation="softmax", name="scores")(x)
    model = k2.Model(inputs, outputs, name="weights_only")
    randomize(model, 4)
    # A name ending in `.weights.h5` would make tf-keras write the Keras 3 layout; this is the legacy one.
    legacy = os.path.join(MODELS, "weights_only_legacy.h5")
    model.save_weights(legacy)
    os.replace(legacy, os.path.join(MODELS, "weights_only.weights.h5"))
    with open(os.path.join(MODELS, "weights_only.json"), "w") as file:
        file.write(model.to_json())
    write_json("weights_only", k2_report(model))
    write_io("weights_only", model, seeded_input((2, 10, 10, 3), 14))


def weights_only_k3():
    """Keras 3's `save_weights('w.weights.h5')` (the `.keras` weight layout in a bare .h5) plus `to_json()`."""
    L = k3.layers
    fresh_k3(41)
    inputs = k3.Input((10, 10, 3), name="pixels")
    x = L.Conv2D(4, 3, activation="relu", name="features")(inputs)
    x = L.BatchNormalization()(x)
    x = L.Flatten()(x)
    outputs = L.Dense(3, activation="softmax", name="scores")(x)
    model = k3.Model(inputs, outputs, name="weights_only_k3")
    randomize(model, 41)
    model.save_weights(os.path.join(MODELS, "weights_only_k3.weights.h5"))
    with open(os.path.join(MODELS, "weights_only_k3.json"), "w") as file:
        file.write(model.to_json())
    write_json("weights_only_k3", k3_report(model))
    write_io("weights_only_k3", model, seeded_input((2, 10, 10, 3), 42))


def layer_zoo_k2():
    """Every layer class the importer decodes, in one tf-keras Functional model with two inputs and outputs."""
    L = k2.layers
    fresh_k2(5)
    image = k2.Input((12, 12, 4), name="image")
    sequence = k2.Input((5, 6), name="sequence")
    x = L.Rescaling(0.5, offset=0.1)(image)
    x = L.Normalization(mean=[0.1, -0.2, 0.0, 0.3], variance=[1.5, 0.5, 1.0, 2.0], name="fixed_norm")(x)
    adapted = L.Normalization(axis=-1, name="adapted_norm")
    adapted.adapt(np.random.default_rng(5).normal(0.5, 2.0, (64, 12, 12, 4)).astype(np.float32))
    x = adapted(x)
    c1 = L.Conv2D(8, 3, padding="same", activation="relu")(x)
    c2 = L.Conv2D(8, 3, padding="valid", dilation_rate=2, activation="elu")(x)  # 8x8
    grouped = L.Conv2D(8, 3, padding="same", groups=2, use_bias=False)(c1)
    depthwise = L.DepthwiseConv2D(3, depth_multiplier=2, strides=2, padding="same", activation="relu6")(grouped)
    separable = L.SeparableConv2D(8, 3, padding="same", activation="tanh")(depthwise)  # 6x6x8
    transposed = L.Conv2DTranspose(6, 3, strides=2, padding="same", activation="sigmoid")(separable)  # 12x12x6
    bn_no_center = L.BatchNormalization(center=False)(transposed)
    # A linear convolution followed by BatchNormalization (kerasvis folds one into the other). Normalizing c1 instead
    # would turn its ReLU zeros into plateaus of one value (see the note on max pooling below).
    bn_no_scale = L.BatchNormalization(scale=False)(L.Conv2D(8, 3, padding="same")(x))
    relu_layer = L.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.2)(bn_no_scale)
    leaky = L.LeakyReLU(alpha=0.25)(bn_no_center)
    prelu = L.PReLU(shared_axes=[1, 2])(leaky)
    # ReLU(max_value) saturates into plateaus of equal values; kept away from max pooling, whose gradient goes to
    # the first maximum: where float rounding alone orders two values (an average of a plateau), TF and kerasvis
    # may pick different ones.
    elu = L.ELU(alpha=0.7)(bn_no_scale)
    relu_summary = L.GlobalAveragePooling2D()(relu_layer)
    padded = L.ZeroPadding2D(((1, 2), (0, 3)))(c2)  # 11x11
    cropped = L.Cropping2D(((0, 1), (2, 0)))(padded)  # 10x9
    resized = L.UpSampling2D(2)(L.MaxPooling2D(2, strides=2, padding="same")(cropped))  # 5x5 -> 10x10
    bilinear = L.UpSampling2D(2, interpolation="bilinear")(L.AveragePooling2D(3, strides=2, padding="same")(elu))
    # bilinear: 12 -> 6 -> 12
    cat = L.Concatenate()([prelu, bilinear, elu])  # 12x12x22
    pooled_same = L.AveragePooling2D(3, strides=1, padding="same")(cat)
    pooled_valid = L.MaxPooling2D(3, strides=2)(pooled_same)  # 5x5
    mixed = L.Conv2D(10, 1)(pooled_valid)
    a = L.Activation("swish")(mixed)
    b = L.Activation("gelu")(mixed)
    c = L.Activation("softplus")(mixed)
    d = L.Activation("hard_sigmoid")(mixed)
    e = L.Activation("selu")(mixed)
    f = L.Activation("softsign")(mixed)
    merged = L.Add()([a, b])
    merged = L.Subtract()([merged, c])
    merged = L.Multiply()([merged, d])
    merged = L.Average()([merged, e, f])
    merged = L.Maximum()([merged, a])
    merged = L.Minimum()([merged, b])
    resized10 = L.Conv2D(10, 1, activation="exponential")(L.Cropping2D(((0, 0), (0, 0)))(resized))
    perm = L.Permute((2, 1, 3))(merged)
    norm = L.LayerNormalization(axis=-1)(perm)
    flat = L.Flatten()(norm)
    drop = L.Dropout(0.5)(flat)
    gap = L.GlobalAveragePooling2D(keepdims=True)(resized10)
    gmp = L.GlobalMaxPooling2D()(resized10)
    seq = L.Dense(7, activation="tanh")(sequence)  # Dense on (5, 6) -> (5, 7)
    seq = L.LayerNormalization(axis=[1, 2], center=False)(seq)
    seq = L.Reshape((35,))(seq)
    head = L.Concatenate()([drop, L.Flatten()(gap), gmp, seq, relu_summary])
    head = L.Dense(12, activation="relu")(head)
    head = L.Dense(4)(head)
    probabilities = L.Softmax()(head)
    spatial = L.Activation("softmax")(L.Reshape((10, 10, 10))(resized10))
    model = k2.Model([image, sequence], [probabilities, spatial], name="layer_zoo_k2")
    randomize(model, 5)
    model.save(os.path.join(MODELS, "layer_zoo_k2.h5"))
    write_json("layer_zoo_k2", k2_report(model))
    write_io("layer_zoo_k2", model, [seeded_input((2, 12, 12, 4), 15), seeded_input((2, 5, 6), 16)], reload=lambda: k2.models.load_model(os.path.join(MODELS, "layer_zoo_k2.h5"), compile=False))
    write_gradients("layer_zoo_k2", model, [seeded_input((2, 12, 12, 4), 15), seeded_input((2, 5, 6), 16)], ["concatenate", "conv2d_3"], 35)


def fully_convolutional():
    """A model with unknown height and width (Input((None, None, 3))): it runs on any image size."""
    L = k2.layers
    fresh_k2(11)
    inputs = k2.Input((None, None, 3), name="image")
    x = L.Conv2D(8, 3, padding="same", use_bias=False)(inputs)
    x = L.BatchNormalization()(x)
    x = L.Activation("relu")(x)
    x = L.MaxPooling2D(2, padding="same")(x)
    x = L.Conv2D(12, 3, strides=2, activation="relu")(x)
    x = L.GlobalAveragePooling2D()(x)
    outputs = L.Dense(5, activation="softmax")(x)
    model = k2.Model(inputs, outputs, name="fully_convolutional")
    randomize(model, 11)
    path = os.path.join(MODELS, "fully_convolutional.h5")
    model.save(path)
    write_json("fully_convolutional", k2_report(model))
    for position, shape in enumerate([(2, 20, 24, 3), (1, 33, 17, 3)]):
        x = seeded_input(shape, 60 + position)
        np.save(os.path.join(MODELS, f"fully_convolutional.size{position}.input.npy"), x)
        np.save(os.path.join(MODELS, f"fully_convolutional.size{position}.output_0.npy"),
                np.asarray(model(x, training=False), dtype=np.float32))


def long_names():
    """Enough long layer names that Keras splits `layer_names` into `layer_names0`, `layer_names1`, ..."""
    L = k2.layers
    fresh_k2(6)
    inputs = k2.Input((4,), name="values")
    x = L.Dense(4, activation="relu")(inputs)
    for index in range(340):
        x = L.Activation("linear", name=f"a_layer_with_a_very_long_name_{'x' * 170}_{index}")(x)
    outputs = L.Dense(2)(x)
    model = k2.Model(inputs, outputs, name="long_names")
    randomize(model, 6)
    path = os.path.join(MODELS, "long_names.h5")
    model.save(path)
    with h5py.File(path, "r") as file:
        assert "layer_names0" in file["model_weights"].attrs, "layer_names was not split"
    write_json("long_names", k2_report(model))


def float16_dense():
    """A Dense layer whose dtype is float16, so its weights are stored as float16."""
    L = k2.layers
    fresh_k2(7)
    inputs = k2.Input((6,), name="features")
    x = L.Dense(8, activation="relu")(inputs)
    outputs = L.Dense(4, dtype="float16", name="half")(x)
    model = k2.Model(inputs, outputs, name="float16_dense")
    randomize(model, 7)
    path = os.path.join(MODELS, "float16_dense.h5")
    model.save(path)
    with h5py.File(path, "r") as file:
        group = file["model_weights/half"]
        names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
        assert group[names[0]].dtype == np.float16, group[names[0]].dtype
    write_json("float16_dense", k2_report(model))


def lambda_layer():
    """A Lambda layer: kerasvis refuses it by name unless a Swift implementation is registered."""
    L = k2.layers
    fresh_k2(8)
    inputs = k2.Input((5,), name="values")
    x = L.Dense(5)(inputs)
    x = L.Lambda(lambda t: t * 2.0, name="doubling")(x)
    outputs = L.Dense(2)(x)
    model = k2.Model(inputs, outputs, name="lambda_layer")
    model.save(os.path.join(MODELS, "lambda_layer.h5"))
    write_json("lambda_layer", k2_report(model))


def layer_zoo_k3():
    """Keras 3: the layer classes plus operations on symbolic tensors (`x + y`), saved as .h5 and as .keras."""
    L = k3.layers
    fresh_k3(9)
    image = k3.Input((12, 12, 3), name="image")
    x = L.Rescaling(1.0 / 127.5, offset=-1.0)(image)
    c1 = L.Conv2D(8, 3, padding="same", activation="relu")(x)
    bn = L.BatchNormalization()(c1)
    depthwise = L.DepthwiseConv2D(3, padding="same", activation="silu")(bn)
    separable = L.SeparableConv2D(8, 3, padding="same", depth_multiplier=2)(depthwise)
    summed = depthwise + separable  # a Keras 3 operation, not a layer
    scaled = summed * 0.5
    act = L.Activation("hard_sigmoid")(scaled)
    act2 = L.Activation("relu6")(c1)
    act3 = L.Activation("leaky_relu")(c1)
    act4 = L.Activation("mish")(c1)
    act5 = L.Activation("hard_silu")(c1)
    act6 = L.Activation("log_softmax")(c1)
    cat = L.Concatenate(axis=-1)([act, act2, act3, act4, act5, act6])
    transposed = L.Conv2DTranspose(4, 3, strides=2, padding="valid")(cat)  # 25x25
    cropped = L.Cropping2D(((1, 0), (0, 1)))(transposed)  # 24x24
    pooled = L.MaxPooling2D(2)(cropped)
    pooled = L.AveragePooling2D(2, padding="same")(pooled)  # 6x6
    pooled = L.Conv2D(4, 1, groups=2, use_bias=False)(pooled)
    pooled = L.BatchNormalization(center=False)(pooled)
    ln = L.LayerNormalization(rms_scaling=True)(pooled)
    ln2 = L.LayerNormalization(center=False)(pooled)
    merged = L.Add()([ln, ln2])
    relu = L.ReLU(max_value=2.0)(merged)
    leaky = L.LeakyReLU(negative_slope=0.2)(merged)
    elu = L.ELU()(merged)
    prelu = L.PReLU()(merged)
    cat2 = L.Concatenate()([relu, leaky, elu, prelu])
    gap = L.GlobalAveragePooling2D()(cat2)
    gmp = L.GlobalMaxPooling2D(keepdims=True)(cat2)
    flat = L.Flatten()(gmp)
    head = L.Concatenate()([gap, flat])
    head = L.Dropout(0.2)(head)
    head = L.Dense(6, activation="gelu")(head)
    outputs = L.Dense(3, activation="softmax", name="predictions")(head)
    model = k3.Model(image, outputs, name="layer_zoo_k3")
    randomize(model, 9)
    model.save(os.path.join(MODELS, "layer_zoo_k3.h5"))
    model.save(os.path.join(MODELS, "layer_zoo_k3.keras"))
    write_json("layer_zoo_k3", k3_report(model))
    write_io("layer_zoo_k3", model, seeded_input((2, 12, 12, 3), 19, 0.0, 255.0), reload=lambda: k3.models.load_model(os.path.join(MODELS, "layer_zoo_k3.keras"), compile=False))
    write_gradients("layer_zoo_k3", model, seeded_input((2, 12, 12, 3), 19, 0.0, 255.0), ["concatenate", "conv2d_transpose"], 39)


def nested_k3():
    """Keras 3 .keras with a nested Sequential block and a nested Functional block, each with BatchNormalization."""
    L = k3.layers
    fresh_k3(10)
    block = k3.Sequential([
        k3.Input((16, 16, 3)), L.Conv2D(8, 3, padding="same"), L.BatchNormalization(), L.ReLU()], name="seq_block")
    inner_input = k3.Input((16, 16, 8))
    y = L.Conv2D(8, 3, strides=2, padding="same")(inner_input)
    y = L.BatchNormalization()(y)
    y = L.Activation("relu")(y)
    func_block = k3.Model(inner_input, y, name="func_block")
    inputs = k3.Input((16, 16, 3), name="image")
    x = block(inputs)
    x = func_block(x)
    x = L.GlobalAveragePooling2D()(x)
    outputs = L.Dense(4, activation="softmax", name="predictions")(x)
    model = k3.Model(inputs, outputs, name="nested_k3")
    randomize(model, 10)
    model.save(os.path.join(MODELS, "nested_k3.keras"))
    write_json("nested_k3", k3_report(model))
    write_io("nested_k3", model, seeded_input((2, 16, 16, 3), 20), reload=lambda: k3.models.load_model(os.path.join(MODELS, "nested_k3.keras"), compile=False))
    write_gradients("nested_k3", model, seeded_input((2, 16, 16, 3), 20), ["func_block"], 40)


def load_k3_h5(path):
    """Keras 3's .h5 loader with the layers' `axis` as the file has it. Keras 3.15's legacy model_from_config drops
    an `axis` that is a list of two or more (UnitNormalization(axis=[1, 2]) comes back with its default -1; see
    keras-team/keras#20963, fixed there only for ints); the file holds the right value."""
    model = k3.models.load_model(path, compile=False)
    with h5py.File(path, "r") as file:
        config = json.loads(file.attrs["model_config"])
    for layer in config["config"]["layers"]:
        axis = layer["config"].get("axis")
        if isinstance(axis, list) and len(axis) > 1:
            model.get_layer(layer["config"]["name"]).axis = axis
    return model


def _normalization_zoo(keras_module, name):
    """The normalization_zoo model in tf-keras or Keras 3: Identity, UnitNormalization over the channels (default
    and explicit axis) and over height and width, GroupNormalization with 2, 3, 6 (instance norm) and -1 (one per
    channel, which Keras turns into the channel count when building, so the files say 6) groups, without beta,
    without gamma, with non-default epsilons, and on a Dense output of rank 2. Every branch reaches the output."""
    L = keras_module.layers
    image = keras_module.Input((8, 8, 6), name="image")
    x = L.Identity()(image)
    gn2 = L.GroupNormalization(groups=2, name="gn_groups2")(x)
    c1 = L.Conv2D(6, 3, padding="same", activation="tanh")(gn2)
    gn3 = L.GroupNormalization(groups=3, center=False, name="gn_groups3_no_center")(c1)
    instance = L.GroupNormalization(groups=6, name="gn_instance")(x)
    per_channel = L.GroupNormalization(groups=-1, epsilon=1e-5, name="gn_per_channel")(c1)
    c2 = L.Conv2D(6, 1, activation="elu")(L.Add()([gn3, instance]))
    no_scale = L.GroupNormalization(groups=2, scale=False, epsilon=0.05, name="gn_no_scale")(c2)
    unit_channels = L.UnitNormalization(name="unit_channels")(no_scale)  # axis=-1 by default
    unit_axis3 = L.UnitNormalization(axis=3, name="unit_axis3")(c1)
    unit_spatial = L.UnitNormalization(axis=[1, 2], name="unit_spatial")(per_channel)
    cat = L.Concatenate()([unit_channels, unit_axis3, unit_spatial])
    gap = L.GlobalAveragePooling2D()(cat)
    dense = L.Dense(12, activation="elu")(gap)
    gn_dense = L.GroupNormalization(groups=4, epsilon=1e-4, name="gn_dense")(dense)
    outputs = L.Dense(3, activation="softmax", name="predictions")(gn_dense)
    return keras_module.Model(image, outputs, name=name)


def normalization_zoo_k2():
    """tf-keras Identity, UnitNormalization and GroupNormalization (see _normalization_zoo)."""
    fresh_k2(43)
    model = _normalization_zoo(k2, "normalization_zoo_k2")
    randomize(model, 43)
    model.save(os.path.join(MODELS, "normalization_zoo_k2.h5"))
    write_json("normalization_zoo_k2", k2_report(model))
    write_io("normalization_zoo_k2", model, seeded_input((2, 8, 8, 6), 44), reload=lambda: k2.models.load_model(os.path.join(MODELS, "normalization_zoo_k2.h5"), compile=False))
    write_gradients("normalization_zoo_k2", model, seeded_input((2, 8, 8, 6), 44), ["gn_groups3_no_center", "unit_spatial"], 45)


def normalization_zoo_k3():
    """Keras 3 Identity, UnitNormalization and GroupNormalization (see _normalization_zoo), as .keras and .h5."""
    fresh_k3(46)
    model = _normalization_zoo(k3, "normalization_zoo_k3")
    randomize(model, 46)
    model.save(os.path.join(MODELS, "normalization_zoo_k3.h5"))
    model.save(os.path.join(MODELS, "normalization_zoo_k3.keras"))
    write_json("normalization_zoo_k3", k3_report(model))
    write_io("normalization_zoo_k3", model, seeded_input((2, 8, 8, 6), 47), reload=lambda: k3.models.load_model(os.path.join(MODELS, "normalization_zoo_k3.keras"), compile=False))
    # The same files again, checking that the .h5 gives them too.
    write_io("normalization_zoo_k3", model, seeded_input((2, 8, 8, 6), 47), reload=lambda: load_k3_h5(os.path.join(MODELS, "normalization_zoo_k3.h5")))
    write_gradients("normalization_zoo_k3", model, seeded_input((2, 8, 8, 6), 47), ["gn_groups3_no_center", "unit_spatial"], 48)


def ops_zoo_k2():
    """tf-keras TFOpLambda layers: TensorFlow functions applied to Keras tensors in a Functional model (activations,
    softmax over an axis, both GELUs, sqrt/abs/square/exp/log, maximum with a constant and a tensor, clip_by_value,
    concat, the four reductions with int and list axes and keepdims, reshape, transpose, expand_dims, squeeze).
    The reductions see ties (relu's and clip's flat parts), which share reduce_max's gradient."""
    L = k2.layers
    fresh_k2(50)
    image = k2.Input((4, 4, 6), name="image")
    x = L.Conv2D(6, 1, name="conv")(image)
    a = tf.nn.relu(x)
    parts = [
        a, tf.nn.relu6(x * 4.0), tf.math.sigmoid(x), tf.math.tanh(x), tf.nn.softmax(x, axis=1),
        tf.nn.gelu(x, approximate=True), tf.nn.gelu(x), tf.math.sqrt(tf.abs(x) + 1), tf.math.square(x), tf.exp(x),
        tf.math.log(tf.abs(x) + 1), tf.maximum(x, 0.2), tf.minimum(x, a), tf.clip_by_value(x, -0.5, 0.5),
    ]
    cat = tf.concat(parts, axis=-1)  # (4, 4, 84)
    mean = tf.math.reduce_mean(cat, axis=[1, 2], keepdims=True)  # (1, 1, 84)
    maxima = tf.math.reduce_max(cat, axis=1)  # (4, 84)
    sums = tf.math.reduce_sum(cat, 2)  # (4, 4)
    minima = tf.math.reduce_min(cat, axis=-1, keepdims=True)  # (4, 4, 1)
    flat = tf.reshape(mean, (-1, 84))
    head = L.Dense(3, name="head")(flat)
    transposed = tf.transpose(maxima, perm=[0, 2, 1])  # (84, 4)
    squeezed = tf.squeeze(tf.expand_dims(sums, axis=1), axis=1)  # (4, 4)
    model = k2.Model(image, [head, transposed, squeezed, minima], name="ops_zoo_k2")
    randomize(model, 50)
    path = os.path.join(MODELS, "ops_zoo_k2.h5")
    model.save(path)
    write_json("ops_zoo_k2", k2_report(model))
    write_io("ops_zoo_k2", model, seeded_input((2, 4, 4, 6), 51), reload=lambda: k2.models.load_model(path, compile=False))
    write_gradients("ops_zoo_k2", model, seeded_input((2, 4, 4, 6), 51), ["conv", cat._keras_history.layer.name], 52)


def ops_zoo_k3():
    """Keras 3 operations on symbolic tensors (keras.ops: the ops_zoo_k2 functions, plus maximum with the constant
    first, ops.gelu's approximate default, amax, division by a constant and squeeze without an axis), as .keras and
    .h5. Operations are not in model.layers; the gradient taps are layers."""
    L = k3.layers
    ops = k3.ops
    fresh_k3(53)
    image = k3.Input((4, 4, 6), name="image")
    x = L.Conv2D(6, 1, name="conv")(image)
    a = ops.relu(x)
    parts = [
        a, ops.relu6(x * 4.0), ops.sigmoid(x), ops.tanh(x), ops.softmax(x, axis=1), ops.gelu(x),
        ops.gelu(x, approximate=False), ops.sqrt(ops.abs(x) + 1), ops.square(x), ops.exp(x), ops.log(ops.abs(x) + 1),
        ops.maximum(x, 0.2), ops.maximum(0.1, x), ops.minimum(x, a), ops.clip(x, -0.5, 0.5), x / 3.0,
    ]
    cat = ops.concatenate(parts, axis=-1)  # (4, 4, 96)
    mean = ops.mean(cat, axis=[1, 2], keepdims=True)  # (1, 1, 96)
    maxima = ops.max(cat, axis=1)  # (4, 96)
    sums = ops.sum(cat, 2)  # (4, 4)
    minima = ops.min(cat, axis=-1, keepdims=True)  # (4, 4, 1)
    amax = ops.amax(cat, axis=(1, 2))  # (96,)
    flat = ops.reshape(mean, (-1, 96))
    head = L.Dense(3, name="head")(ops.concatenate([flat, amax], axis=-1))
    transposed = ops.transpose(maxima, (0, 2, 1))  # (96, 4)
    squeezed = ops.squeeze(ops.expand_dims(sums, 1))  # (4, 4)
    squeezed_axis = ops.squeeze(ops.expand_dims(minima, -1), axis=-1)  # (4, 4, 1)
    model = k3.Model(image, [head, transposed, squeezed, squeezed_axis], name="ops_zoo_k3")
    randomize(model, 53)
    model.save(os.path.join(MODELS, "ops_zoo_k3.h5"))
    model.save(os.path.join(MODELS, "ops_zoo_k3.keras"))
    write_json("ops_zoo_k3", k3_report(model))
    write_io("ops_zoo_k3", model, seeded_input((2, 4, 4, 6), 54), reload=lambda: k3.models.load_model(os.path.join(MODELS, "ops_zoo_k3.keras"), compile=False))
    # Keras 3.15's .h5 loader cannot read the operations back ("Unknown layer: 'Absolute'"); the .h5 holds the same
    # config and weights, which the Swift tests check against these outputs.
    write_gradients("ops_zoo_k3", model, seeded_input((2, 4, 4, 6), 54), ["conv", "head"], 55)


def ops_more_k2():
    """tf-keras TFOpLambda and SlicingOpLambda layers beyond ops_zoo_k2: tf.stack (axis 1 and -1), tf.split (a count
    and sizes with -1; every part used downstream, reordered by a concat and multiplied), slicing
    (`x[:, 0]`, `x[:, 1:3]`, `x[..., ::2]`, negative indices and bounds, tf.newaxis/None, negative steps),
    tf.strided_slice with masks, tf.linalg.matmul/tf.matmul between tensors (transpose_a, transpose_b, batched over
    rows) and with constants (rank 2 and 3 inputs, transpose_b), tf.image.resize bilinear and nearest."""
    L = k2.layers
    fresh_k2(62)
    image = k2.Input((6, 8, 4), name="image")
    x = L.Conv2D(4, 1, name="conv")(image)
    y = L.Conv2D(4, 1, name="conv_b")(image)
    stacked = tf.concat([
        tf.reshape(tf.stack([x, y], axis=1), (-1, 2, 6, 32)),  # (2, 6, 8, 4)
        tf.reshape(tf.stack([x, y, x], axis=-1), (-1, 3, 6, 32)),  # (6, 8, 4, 3)
    ], axis=1)  # (5, 6, 32)
    left, right = tf.split(x, 2, axis=-1)  # (6, 8, 2) each
    first, middle, last = tf.split(y, [1, -1, 2], axis=2)  # (6, 1, 4), (6, 5, 4), (6, 2, 4)
    parts = tf.concat([last * 2.0, first, middle], axis=2) + tf.concat([left * right, right], axis=-1)[:, :, :, :4]
    sliced = tf.concat([
        tf.reshape(x[:, 0], (-1, 32)),  # (8, 4)
        tf.reshape(x[:, 1:3], (-1, 64)),  # (2, 8, 4)
        tf.reshape(x[..., ::2], (-1, 96)),  # (6, 8, 2)
        tf.reshape(y[:, -1, tf.newaxis, :, -3:-1], (-1, 16)),  # (1, 8, 2)
        tf.reshape(y[:, None, ::-1], (-1, 192)),  # (1, 6, 8, 4)
        tf.reshape(x[:, 4:0:-2, 1::3, -1], (-1, 6)),  # (2, 3)
        tf.reshape(tf.strided_slice(y, [0, 1, 0, 1], [0, 5, 8, 4], [1, 2, 3, 2], begin_mask=1, end_mask=1), (-1, 12)),
        tf.reshape(tf.strided_slice(x, [0, 2, 0], [0, 3, 5], [1, 1, 2], begin_mask=1, end_mask=1,
                                    shrink_axis_mask=2, ellipsis_mask=0, new_axis_mask=0), (-1, 12)),  # (3, 4)
    ], axis=-1)
    rng = np.random.default_rng(63)
    w = rng.normal(0, 0.5, (4, 3)).astype(np.float32)
    v = rng.normal(0, 0.5, (5, 4)).astype(np.float32)
    products = [
        tf.linalg.matmul(x, y, transpose_b=True),  # (6, 8, 8)
        tf.matmul(x, y, transpose_a=True),  # (6, 4, 4)
        tf.matmul(x[:, 0], w),  # (8, 3): a rank-3 tensor and a constant
        tf.matmul(x[:, 0, 0], w),  # (3,): a rank-2 tensor and a constant
        tf.matmul(x, v, transpose_b=True),  # (6, 8, 5)
        tf.matmul(tf.transpose(x, (0, 1, 3, 2)), x),  # (6, 4, 4)
    ]
    product = tf.concat([tf.reshape(p, (-1, n)) for p, n in zip(products, [384, 96, 24, 3, 240, 96])], axis=-1)
    resized = tf.concat([
        tf.reshape(tf.image.resize(x, (9, 5)), (-1, 180)),
        tf.reshape(tf.image.resize(y, (3, 16), method="nearest", antialias=False), (-1, 192)),
        tf.reshape(tf.image.resize(x, (12, 16), method=tf.image.ResizeMethod.BILINEAR), (-1, 768)),
    ], axis=-1)
    head = L.Dense(3, name="head")(tf.reshape(parts, (-1, 192)))
    model = k2.Model(image, [head, stacked, parts, sliced, product, resized], name="ops_more_k2")
    randomize(model, 62)
    path = os.path.join(MODELS, "ops_more_k2.h5")
    model.save(path)
    write_json("ops_more_k2", k2_report(model))
    inputs = seeded_input((2, 6, 8, 4), 64)
    write_io("ops_more_k2", model, inputs, reload=lambda: k2.models.load_model(path, compile=False))
    write_gradients("ops_more_k2", model, inputs, ["conv", "conv_b"], 65)


def ops_more_k3():
    """Keras 3 operations beyond ops_zoo_k3 (as .keras; .h5 where Keras 3 writes it): ops.stack (axis 1 and -1),
    ops.split (a count and split indices; every part used downstream), GetItem slicing (`x[:, 0]`, `x[:, 1:3]`,
    `x[..., ::2]`, negative indices and bounds, None, negative steps), ops.matmul between tensors (batched) and
    with constants (rank 2 and 3 inputs), ops.image.resize bilinear and nearest."""
    L = k3.layers
    ops = k3.ops
    fresh_k3(66)
    image = k3.Input((6, 8, 4), name="image")
    x = L.Conv2D(4, 1, name="conv")(image)
    y = L.Conv2D(4, 1, name="conv_b")(image)
    stacked = ops.concatenate([
        ops.reshape(ops.stack([x, y], axis=1), (-1, 2, 6, 32)),
        ops.reshape(ops.stack([x, y, x], axis=-1), (-1, 3, 6, 32)),
    ], axis=1)  # (5, 6, 32)
    left, right = ops.split(x, 2, axis=-1)  # (6, 8, 2) each
    first, middle, last = ops.split(y, [1, 6], axis=2)  # (6, 1, 4), (6, 5, 4), (6, 2, 4)
    parts = ops.concatenate([last * 2.0, first, middle], axis=2) + ops.concatenate([left * right, right], axis=-1)
    sliced = ops.concatenate([
        ops.reshape(x[:, 0], (-1, 32)),
        ops.reshape(x[:, 1:3], (-1, 64)),
        ops.reshape(x[..., ::2], (-1, 96)),
        ops.reshape(y[:, -1, None, :, -3:-1], (-1, 16)),
        ops.reshape(y[:, None, ::-1], (-1, 192)),
        ops.reshape(x[:, 4:0:-2, 1::3, -1], (-1, 6)),
    ], axis=-1)
    rng = np.random.default_rng(67)
    w = rng.normal(0, 0.5, (4, 3)).astype(np.float32)
    v = rng.normal(0, 0.5, (4, 5)).astype(np.float32)
    products = [
        ops.matmul(x, ops.transpose(y, (0, 1, 3, 2))),  # (6, 8, 8)
        ops.matmul(ops.transpose(x, (0, 1, 3, 2)), y),  # (6, 4, 4)
        ops.matmul(x[:, 0], w),  # (8, 3)
        ops.matmul(x[:, 0, 0], w),  # (3,)
        ops.matmul(x, v),  # (6, 8, 5)
    ]
    product = ops.concatenate([ops.reshape(p, (-1, n)) for p, n in zip(products, [384, 96, 24, 3, 240])], axis=-1)
    resized = ops.concatenate([
        ops.reshape(ops.image.resize(x, (9, 5)), (-1, 180)),
        ops.reshape(ops.image.resize(y, (3, 16), interpolation="nearest"), (-1, 192)),
        ops.reshape(ops.image.resize(x, (12, 16)), (-1, 768)),
    ], axis=-1)
    head = L.Dense(3, name="head")(ops.reshape(parts, (-1, 192)))
    model = k3.Model(image, [head, stacked, parts, sliced, product, resized], name="ops_more_k3")
    randomize(model, 66)
    path = os.path.join(MODELS, "ops_more_k3.keras")
    model.save(path)
    deflate_archive(path)
    write_json("ops_more_k3", k3_report(model))
    inputs = seeded_input((2, 6, 8, 4), 68)
    write_io("ops_more_k3", model, inputs, reload=lambda: k3.models.load_model(path, compile=False))
    write_gradients("ops_more_k3", model, inputs, ["conv", "conv_b", "head"], 69)


def _preprocessing(keras_module, name, random_crop, pad_branch, brightness=True):
    """The keras.io transfer-learning pattern in tf-keras or Keras 3: an image (20, 24, 3) -> a nested Sequential
    `data_augmentation` of the random augmentations (identity at inference) -> Resizing(16, 16) ->
    CenterCrop(12, 12) -> RandomCrop(random_crop) -> Rescaling -> a small Conv2D/GlobalAveragePooling2D/Dense
    head. Branches on the image, each an output: Resizing nearest (9, 31), Resizing crop_to_aspect_ratio (10, 6),
    CenterCrop larger than the image (22, 18: Keras smart-resizes it) and, in Keras 3, pad_to_aspect_ratio with
    a fill value (10, 5)."""
    L = keras_module.layers
    image = keras_module.Input((20, 24, 3), name="image")
    augmentation = keras_module.Sequential([
        L.RandomFlip("horizontal"), L.RandomRotation(0.1), L.RandomZoom(0.1), L.RandomTranslation(0.1, 0.1),
        L.RandomContrast(0.2),
    ] + ([L.RandomBrightness(0.2)] if brightness else []), name="data_augmentation")
    x = augmentation(image)
    x = L.Resizing(16, 16, name="resize")(x)
    x = L.CenterCrop(12, 12, name="center_crop")(x)
    x = L.RandomCrop(*random_crop, name="random_crop")(x)
    x = L.Rescaling(1 / 2.0, offset=-0.25)(x)
    x = L.Conv2D(4, 3, activation="relu", name="conv")(x)
    x = L.GlobalAveragePooling2D()(x)
    head = L.Dense(3, name="head")(x)
    nearest = L.Resizing(9, 31, interpolation="nearest", name="resize_nearest")(image)
    aspect = L.Resizing(10, 6, crop_to_aspect_ratio=True, name="resize_crop_aspect")(image)
    upsize = L.CenterCrop(22, 18, name="center_crop_upsize")(image)
    outputs = [head, nearest, aspect, upsize]
    if pad_branch:
        outputs.append(L.Resizing(10, 5, pad_to_aspect_ratio=True, fill_value=0.5, name="resize_pad_aspect")(image))
    return keras_module.Model(image, outputs, name=name)


def preprocessing_k2():
    """tf-keras preprocessing layers at inference (see _preprocessing); RandomCrop(10, 8) smart-resizes the 12x12
    crop (a centered 12x9 window, resized bilinearly)."""
    fresh_k2(56)
    model = _preprocessing(k2, "preprocessing_k2", (10, 8), pad_branch=False)
    randomize(model, 56)
    path = os.path.join(MODELS, "preprocessing_k2.h5")
    model.save(path)
    write_json("preprocessing_k2", k2_report(model))
    inputs = seeded_input((2, 20, 24, 3), 57)
    write_io("preprocessing_k2", model, inputs, reload=lambda: k2.models.load_model(path, compile=False))
    write_gradients("preprocessing_k2", model, inputs, ["resize", "random_crop"], 58)


def preprocessing_k3():
    """Keras 3 preprocessing layers at inference (see _preprocessing), as .keras and .h5. Keras 3's RandomCrop
    returns its input unchanged at inference, so it gets the 12x12 it declares (RandomCrop(12, 12)). Without
    RandomBrightness: Keras 3.15 cannot save it to .h5 ("TypeError: cannot pickle 'module' object")."""
    fresh_k3(59)
    model = _preprocessing(k3, "preprocessing_k3", (12, 12), pad_branch=True, brightness=False)
    randomize(model, 59)
    model.save(os.path.join(MODELS, "preprocessing_k3.h5"))
    model.save(os.path.join(MODELS, "preprocessing_k3.keras"))
    write_json("preprocessing_k3", k3_report(model))
    inputs = seeded_input((2, 20, 24, 3), 60)
    write_io("preprocessing_k3", model, inputs, reload=lambda: k3.models.load_model(os.path.join(MODELS, "preprocessing_k3.keras"), compile=False))
    write_io("preprocessing_k3", model, inputs, reload=lambda: load_k3_h5(os.path.join(MODELS, "preprocessing_k3.h5")))
    write_gradients("preprocessing_k3", model, inputs, ["resize", "center_crop"], 61)


def deflate_archive(path):
    """Rewrites a `.keras` zip with its entries deflated (Keras stores them uncompressed; the weights' HDF5 file is
    mostly padding), so that the committed fixture stays small. Keras and kerasvis read both."""
    import zipfile
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for filename, data in entries:
            target.writestr(filename, data)


def _rnn_zoo(keras_module, name):
    """The rnn_zoo model in tf-keras or Keras 3 (float sequences (6, 3)): Masking (steps of all zeros), LSTM, GRU
    with and without reset_after, SimpleRNN, go_backwards, Bidirectional with every merge_mode (None's two outputs
    added: Add ANDs their masks), return_state (LSTM's h and c, GRU's h with hard_sigmoid gates, which differ
    between the Kerases), TimeDistributed(Dense), RepeatVector into a GRU, an unmasked branch without bias, and the
    masks flowing through Dense and TimeDistributed. Three outputs."""
    L = keras_module.layers
    sequence = keras_module.Input((6, 3), name="sequence")
    masked = L.Masking(mask_value=0.0, name="masking")(sequence)
    lstm = L.LSTM(4, return_sequences=True, name="lstm_seq")(masked)
    gru_before = L.GRU(4, return_sequences=True, go_backwards=True, reset_after=False, name="gru_reset_before")(lstm)
    dense = L.Dense(4, activation="tanh", name="dense_steps")(gru_before)
    bi_concat = L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode="concat", name="bi_concat")(dense)
    bi_sum = L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode="sum", name="bi_sum")(bi_concat)
    bi_mul = L.Bidirectional(L.SimpleRNN(3, return_sequences=True), merge_mode="mul", name="bi_mul")(bi_sum)
    bi_ave = L.Bidirectional(L.GRU(3, return_sequences=True, reset_after=False), merge_mode="ave", name="bi_ave")(bi_mul)
    forward_seq, backward_seq = L.Bidirectional(L.SimpleRNN(3, return_sequences=True), merge_mode=None, name="bi_none")(bi_ave)
    both = L.Add(name="add_directions")([forward_seq, backward_seq])
    steps = L.TimeDistributed(L.Dense(3, activation="sigmoid"), name="time_dense")(both)
    out, h, c = L.LSTM(4, return_state=True, name="lstm_state")(steps)
    gru_last, gru_h = L.GRU(3, return_state=True, go_backwards=True, recurrent_activation="hard_sigmoid", name="gru_state")(masked)
    bi_last = L.Bidirectional(L.LSTM(2, return_state=True), name="bi_state")(masked)
    plain = L.SimpleRNN(3, activation="relu", use_bias=False, name="simple_unmasked")(sequence)
    repeated = L.RepeatVector(3, name="repeat")(plain)
    decoded = L.GRU(2, return_sequences=True, name="gru_decoder")(repeated)
    summary = L.Concatenate(name="summary")([out, h, c, gru_last, gru_h] + list(bi_last))
    head = L.Dense(3, activation="softmax", name="predictions")(summary)
    return keras_module.Model(sequence, [head, decoded, steps], name=name)


def _rnn_zoo_input():
    """Two sequences of (6, 3): the second padded with all-zero steps at its end and one in the middle."""
    x = seeded_input((2, 6, 3), 71)
    x[1, 4:] = 0
    x[1, 1] = 0
    return x


def rnn_zoo_k2():
    """tf-keras recurrent layers, masking and wrappers (see _rnn_zoo)."""
    fresh_k2(70)
    model = _rnn_zoo(k2, "rnn_zoo_k2")
    randomize(model, 70)
    model.save(os.path.join(MODELS, "rnn_zoo_k2.h5"))
    write_json("rnn_zoo_k2", k2_report(model))
    write_io("rnn_zoo_k2", model, _rnn_zoo_input(), reload=lambda: k2.models.load_model(os.path.join(MODELS, "rnn_zoo_k2.h5"), compile=False))
    write_gradients("rnn_zoo_k2", model, _rnn_zoo_input(), ["lstm_seq", "bi_sum", "time_dense"], 72)


def rnn_zoo_k3():
    """Keras 3 recurrent layers, masking and wrappers (see _rnn_zoo), as .keras."""
    fresh_k3(73)
    model = _rnn_zoo(k3, "rnn_zoo_k3")
    randomize(model, 73)
    model.save(os.path.join(MODELS, "rnn_zoo_k3.keras"))
    deflate_archive(os.path.join(MODELS, "rnn_zoo_k3.keras"))
    write_json("rnn_zoo_k3", k3_report(model))
    write_io("rnn_zoo_k3", model, _rnn_zoo_input(), reload=lambda: k3.models.load_model(os.path.join(MODELS, "rnn_zoo_k3.keras"), compile=False))
    write_gradients("rnn_zoo_k3", model, _rnn_zoo_input(), ["lstm_seq", "bi_sum", "time_dense"], 74)


def _text_zoo(keras_module, name):
    """The text_zoo model in tf-keras or Keras 3, a Sequential model (its calls record no masks: Keras fills them
    in): integer token ids (6,) from a vocabulary of 20, Embedding with mask_zero, a Bidirectional LSTM over the
    masked sequence, a GRU reading it, and a softmax head."""
    L = keras_module.layers
    return keras_module.Sequential([
        keras_module.Input((6,), dtype="int32", name="tokens"),
        L.Embedding(20, 5, mask_zero=True, name="embedding"),
        L.Bidirectional(L.LSTM(4, return_sequences=True), name="bi_lstm"),
        L.GRU(4, name="gru"),
        L.Dense(3, activation="softmax", name="predictions"),
    ], name=name)


def _text_zoo_input():
    """Three token sequences: one full, one padded after, one padded before (ids 1..19, 0 the padding)."""
    return np.array([[3, 7, 1, 19, 4, 2], [5, 11, 8, 0, 0, 0], [0, 0, 13, 6, 9, 17]], dtype=np.float32)


def text_zoo_k2():
    """tf-keras Embedding(mask_zero) into recurrent layers (see _text_zoo); gradients at the embedding output."""
    fresh_k2(75)
    model = _text_zoo(k2, "text_zoo_k2")
    randomize(model, 75)
    model.save(os.path.join(MODELS, "text_zoo_k2.h5"))
    write_json("text_zoo_k2", k2_report(model))
    write_io("text_zoo_k2", model, _text_zoo_input(), reload=lambda: k2.models.load_model(os.path.join(MODELS, "text_zoo_k2.h5"), compile=False))
    write_gradients("text_zoo_k2", model, _text_zoo_input(), ["embedding", "bi_lstm"], 76, input_gradients=False)


def text_zoo_k3():
    """Keras 3 Embedding(mask_zero) into recurrent layers (see _text_zoo), as .keras; gradients at the embedding
    output."""
    fresh_k3(77)
    model = _text_zoo(k3, "text_zoo_k3")
    randomize(model, 77)
    model.save(os.path.join(MODELS, "text_zoo_k3.keras"))
    deflate_archive(os.path.join(MODELS, "text_zoo_k3.keras"))
    write_json("text_zoo_k3", k3_report(model))
    write_io("text_zoo_k3", model, _text_zoo_input(), reload=lambda: k3.models.load_model(os.path.join(MODELS, "text_zoo_k3.keras"), compile=False))
    write_gradients("text_zoo_k3", model, _text_zoo_input(), ["embedding", "bi_lstm"], 78, input_gradients=False)


def _seq2seq(keras_module, name):
    """The seq2seq model in tf-keras or Keras 3: an encoder (Embedding with mask_zero, LSTM with return_state) whose
    final states start a decoder LSTM (`initial_state=[h, c]`) over its own embedded tokens, a GRU started from a
    Dense of the encoder state, and a TimeDistributed softmax over a vocabulary of 12."""
    L = keras_module.layers
    source = keras_module.Input((5,), dtype="int32", name="source")
    target = keras_module.Input((4,), dtype="int32", name="target")
    encoded = L.Embedding(12, 4, mask_zero=True, name="source_embedding")(source)
    _, h, c = L.LSTM(3, return_state=True, name="encoder")(encoded)
    decoded = L.Embedding(12, 4, mask_zero=True, name="target_embedding")(target)
    sequence = L.LSTM(3, return_sequences=True, name="decoder")(decoded, initial_state=[h, c])
    start = L.Dense(3, activation="tanh", name="bridge")(h)
    refined = L.GRU(3, return_sequences=True, go_backwards=True, name="refiner")(sequence, initial_state=[start])
    outputs = L.TimeDistributed(L.Dense(12, activation="softmax"), name="vocabulary")(refined)
    return keras_module.Model([source, target], outputs, name=name)


def _seq2seq_inputs():
    """Two source and target sequences, padded with 0 after the tokens."""
    return [np.array([[4, 9, 2, 0, 0], [1, 3, 5, 7, 11]], dtype=np.float32),
            np.array([[2, 6, 0, 0], [8, 1, 10, 3]], dtype=np.float32)]


def seq2seq_k2():
    """tf-keras encoder-decoder with initial_state (see _seq2seq); gradients at both embedding outputs."""
    fresh_k2(79)
    model = _seq2seq(k2, "seq2seq_k2")
    randomize(model, 79)
    model.save(os.path.join(MODELS, "seq2seq_k2.h5"))
    write_json("seq2seq_k2", k2_report(model))
    write_io("seq2seq_k2", model, _seq2seq_inputs(), reload=lambda: k2.models.load_model(os.path.join(MODELS, "seq2seq_k2.h5"), compile=False))
    write_gradients("seq2seq_k2", model, _seq2seq_inputs(), ["source_embedding", "target_embedding", "bridge"], 80, input_gradients=False)


def seq2seq_k3():
    """Keras 3 encoder-decoder with initial_state (see _seq2seq), as .keras; gradients at both embedding outputs."""
    fresh_k3(81)
    model = _seq2seq(k3, "seq2seq_k3")
    randomize(model, 81)
    model.save(os.path.join(MODELS, "seq2seq_k3.keras"))
    deflate_archive(os.path.join(MODELS, "seq2seq_k3.keras"))
    write_json("seq2seq_k3", k3_report(model))
    write_io("seq2seq_k3", model, _seq2seq_inputs(), reload=lambda: k3.models.load_model(os.path.join(MODELS, "seq2seq_k3.keras"), compile=False))
    write_gradients("seq2seq_k3", model, _seq2seq_inputs(), ["source_embedding", "target_embedding", "bridge"], 82, input_gradients=False)


def _time_distributed(keras_module, name):
    """The time_distributed model in tf-keras or Keras 3: frames (3, 6, 6, 2) through TimeDistributed Conv2D,
    BatchNormalization, MaxPooling2D, Flatten and GlobalAveragePooling2D into recurrent layers."""
    L = keras_module.layers
    frames = keras_module.Input((3, 6, 6, 2), name="frames")
    conv = L.TimeDistributed(L.Conv2D(3, 3, padding="same", activation="tanh"), name="td_conv")(frames)
    norm = L.TimeDistributed(L.BatchNormalization(), name="td_norm")(conv)
    pooled = L.TimeDistributed(L.MaxPooling2D(2), name="td_pool")(norm)
    flat = L.TimeDistributed(L.Flatten(), name="td_flatten")(pooled)
    summary = L.TimeDistributed(L.GlobalAveragePooling2D(), name="td_gap")(norm)
    gru = L.GRU(4, name="gru")(flat)
    simple = L.SimpleRNN(3, go_backwards=True, name="simple")(summary)
    merged = L.Concatenate(name="merged")([gru, simple])
    outputs = L.Dense(2, activation="softmax", name="predictions")(merged)
    return keras_module.Model(frames, outputs, name=name)


def time_distributed_k2():
    """tf-keras TimeDistributed around image layers (see _time_distributed)."""
    fresh_k2(83)
    model = _time_distributed(k2, "time_distributed_k2")
    randomize(model, 83)
    model.save(os.path.join(MODELS, "time_distributed_k2.h5"))
    write_json("time_distributed_k2", k2_report(model))
    inputs = seeded_input((2, 3, 6, 6, 2), 84)
    write_io("time_distributed_k2", model, inputs, reload=lambda: k2.models.load_model(os.path.join(MODELS, "time_distributed_k2.h5"), compile=False))
    write_gradients("time_distributed_k2", model, inputs, ["td_conv", "td_flatten"], 85)


def time_distributed_k3():
    """Keras 3 TimeDistributed around image layers (see _time_distributed), as .keras."""
    fresh_k3(86)
    model = _time_distributed(k3, "time_distributed_k3")
    randomize(model, 86)
    model.save(os.path.join(MODELS, "time_distributed_k3.keras"))
    deflate_archive(os.path.join(MODELS, "time_distributed_k3.keras"))
    write_json("time_distributed_k3", k3_report(model))
    inputs = seeded_input((2, 3, 6, 6, 2), 87)
    write_io("time_distributed_k3", model, inputs, reload=lambda: k3.models.load_model(os.path.join(MODELS, "time_distributed_k3.keras"), compile=False))
    write_gradients("time_distributed_k3", model, inputs, ["td_conv", "td_flatten"], 88)


# ----------------------------------------------------------------------------------------------- keras-vis

def write_vis_cases(name, model_file, cases, seed_file, seed_input=None):
    """Runs the keras-vis port (tools/kerasvis_reference.py) on the saved model for each case and stores the maps
    (float16 where they lie in 0...1, which float16 holds to 2.5e-4) and `NAME.cases.json` describing them. The
    seed input is the first sample of `seed_file` (under Tests/Fixtures), written from `seed_input` if given."""
    os.makedirs(VIS, exist_ok=True)
    model = k2.models.load_model(os.path.join(MODELS, model_file), compile=False)
    if seed_input is not None:
        np.save(os.path.join(ROOT, "Tests", "Fixtures", seed_file), np.asarray(seed_input, dtype=np.float32)[None])
    seed_input = np.load(os.path.join(ROOT, "Tests", "Fixtures", seed_file))[0]
    records = []
    for case in cases:
        arguments = {k: v for k, v in case.items() if k not in ("name", "method")}
        if case["method"] == "saliency":
            result = kv.visualize_saliency(model, seed_input=seed_input, keras_module=k2, **arguments)
        elif case["method"] == "cam":
            result, used = kv.visualize_cam(model, seed_input=seed_input, keras_module=k2, **arguments)
            case = dict(case, penultimate_used=int(used))
        else:
            result = kv.visualize_activation(model, seed_input=seed_input, keras_module=k2, **arguments)
        result = np.asarray(result)
        assert result.max() > result.min(), f"{name}.{case['name']} is constant: it would test little"
        dtype = np.float32 if case["method"] == "activation" else np.float16
        np.save(os.path.join(VIS, f"{name}.{case['name']}.npy"), result.astype(dtype))
        records.append(case)
    with open(os.path.join(VIS, f"{name}.cases.json"), "w") as file:
        json.dump({"model": model_file, "seed": seed_file, "cases": records}, file, indent=1)


def make_vis():
    """keras-vis's numbers for the fixture models: Grad-CAM at the automatic and at a named penultimate layer,
    saliency vanilla/guided/rectified, with and without the linear swap, and activation maximization."""
    names = [layer.name for layer in k2.models.load_model(
        os.path.join(MODELS, "inception_v3_narrow.h5"), compile=False).layers]
    predictions, mixed10 = names.index("predictions"), names.index("mixed10")
    write_vis_cases("inception_v3_narrow", "inception_v3_narrow.h5", [
        dict(name="cam_auto", method="cam", layer_idx=predictions, filter_indices=[0]),
        dict(name="cam_auto_linear", method="cam", layer_idx=predictions, filter_indices=[0, 6], linear=True),
        dict(name="cam_mixed10", method="cam", layer_idx=predictions, filter_indices=[3],
             penultimate_layer_idx=mixed10),
        dict(name="cam_mixed10_linear", method="cam", layer_idx=predictions, filter_indices=[3, 7],
             penultimate_layer_idx=mixed10, linear=True),
        dict(name="cam_mixed10_guided", method="cam", layer_idx=predictions, filter_indices=[6],
             penultimate_layer_idx=mixed10, backprop_modifier="guided", grad_modifier="relu", linear=True),
        dict(name="saliency", method="saliency", layer_idx=predictions, filter_indices=[3]),
        dict(name="saliency_linear", method="saliency", layer_idx=predictions, filter_indices=[3], linear=True),
        dict(name="saliency_guided", method="saliency", layer_idx=predictions, filter_indices=[3],
             backprop_modifier="guided"),
        dict(name="saliency_guided_linear", method="saliency", layer_idx=predictions, filter_indices=[3],
             backprop_modifier="guided", linear=True),
        dict(name="saliency_relu", method="saliency", layer_idx=predictions, filter_indices=[3],
             backprop_modifier="relu"),
        dict(name="saliency_relu_linear", method="saliency", layer_idx=predictions, filter_indices=[3],
             backprop_modifier="relu", linear=True),
        dict(name="saliency_conv_negate", method="saliency", layer_idx=mixed10, filter_indices=[5, 9],
             grad_modifier="negate"),
    ], "models/inception_v3_narrow.input.npy")

    last = len(k2.models.load_model(os.path.join(MODELS, "sequential_cnn.h5"), compile=False).layers) - 1
    write_vis_cases("sequential_cnn", "sequential_cnn.h5", [
        dict(name="cam_auto", method="cam", layer_idx=last, filter_indices=[4]),
        dict(name="saliency_keepdims_small_values", method="saliency", layer_idx=last, filter_indices=[4],
             grad_modifier="small_values", keepdims=True),
        dict(name="saliency_all_filters_invert", method="saliency", layer_idx=2, filter_indices=None,
             grad_modifier="invert"),
    ], "models/sequential_cnn.input.npy")
    rng = np.random.default_rng(51)
    start = rng.random((28, 28, 1))
    start = (start - start.mean()) / (start.std() + kv.EPSILON) * (0.05 * 255) + 127.5  # keras-vis's random_array
    write_vis_cases("sequential_cnn_activation", "sequential_cnn.h5", [
        dict(name="dense_linear", method="activation", layer_idx=last, filter_indices=[4], max_iter=20, linear=True),
        dict(name="conv", method="activation", layer_idx=2, filter_indices=[3], max_iter=20),
    ], "vis/sequential_cnn_activation.seed.npy", seed_input=start)


def _conv1d_zoo(keras_module, name):
    """The conv1d_zoo model in tf-keras or Keras 3, input (N, 16, 3): Conv1D with causal padding and dilation, with
    stride 2, 'same' padding and groups, SeparableConv1D, DepthwiseConv1D, Conv1DTranspose (inferred size and
    output_padding), Max/AveragePooling1D ('same' with stride), ZeroPadding1D, Cropping1D, UpSampling1D and both
    global poolings (keepdims). Activations are smooth (no relu ties before the max poolings)."""
    L = keras_module.layers
    series = keras_module.Input((16, 3), name="series")
    causal = L.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="tanh", name="causal")(series)
    grouped = L.Conv1D(6, 3, strides=2, padding="same", groups=2, activation="elu", name="grouped")(causal)  # 8
    separable = L.SeparableConv1D(5, 3, depth_multiplier=2, padding="same", activation="tanh", name="separable")(grouped)
    # A zero padding read only by a convolution (kerasvis folds it into the convolution's padding).
    padded_separable = L.ZeroPadding1D((1, 0), name="pad_depthwise")(separable)  # 9
    depthwise = L.DepthwiseConv1D(3, depth_multiplier=2, name="depthwise")(padded_separable)  # 7, 10 channels
    transposed = L.Conv1DTranspose(4, 3, strides=2, padding="same", name="transposed")(depthwise)  # 14
    padded_transpose = L.Conv1DTranspose(4, 3, strides=2, output_padding=1, name="transposed_output_padding")(depthwise)  # 16
    cropped = L.Cropping1D((1, 1))(padded_transpose)  # 14
    merged = L.Add()([transposed, cropped])
    padded = L.ZeroPadding1D((1, 2))(merged)  # 17
    maxed = L.MaxPooling1D(2)(padded)  # 8
    averaged = L.AveragePooling1D(3, strides=2, padding="same")(padded)  # 9
    upsampled = L.UpSampling1D(2)(maxed)  # 16, flattened so that the order of the copies matters
    gap = L.GlobalAveragePooling1D()(upsampled)
    gmp = L.GlobalMaxPooling1D(keepdims=True)(averaged)
    head = L.Concatenate()([gap, L.Flatten()(gmp), L.Flatten()(upsampled)])
    outputs = L.Dense(3, activation="softmax", name="predictions")(head)
    return keras_module.Model(series, outputs, name=name)


def _conv3d_zoo(keras_module, name):
    """The conv3d_zoo model in tf-keras or Keras 3, input (N, 6, 6, 6, 2): Conv3D ('same'; grouped with
    anisotropic strides; dilated), Conv3DTranspose, Max/AveragePooling3D ('same' with stride 1), ZeroPadding3D,
    Cropping3D, UpSampling3D and both global poolings (keepdims). The max pooling sees ties (the padding's zeros),
    whose gradient MaxPool3DGrad gives to each of them."""
    L = keras_module.layers
    volume = keras_module.Input((6, 6, 6, 2), name="volume")
    same = L.Conv3D(4, 3, padding="same", activation="tanh", name="same")(volume)
    grouped = L.Conv3D(4, (2, 3, 1), strides=(1, 2, 1), groups=2, activation="elu", name="grouped")(same)  # 5,2,6
    dilated = L.Conv3D(3, 2, dilation_rate=2, padding="same", name="dilated")(same)  # 6,6,6
    transposed = L.Conv3DTranspose(3, 2, strides=2, activation="tanh", name="transposed")(grouped)  # 10,4,12
    cropped = L.Cropping3D(((1, 0), (0, 1), (1, 1)))(transposed)  # 9,3,10
    padded = L.ZeroPadding3D(((1, 0), (0, 1), (1, 1)))(dilated)  # 7,7,8
    maxed = L.MaxPooling3D(2)(padded)  # 3,3,4
    averaged = L.AveragePooling3D(2, strides=1, padding="same")(cropped)  # 9,3,10
    upsampled = L.UpSampling3D((1, 2, 1))(maxed)  # 3,6,4, flattened so that the order of the copies matters
    # A zero padding read only by a convolution (kerasvis folds it into the convolution's padding).
    folded = L.Conv3D(2, 2, name="after_padding")(L.ZeroPadding3D(1, name="pad_conv")(grouped))  # 6,3,7
    gap = L.GlobalAveragePooling3D()(upsampled)
    gmp = L.GlobalMaxPooling3D(keepdims=True)(averaged)
    head = L.Concatenate()([gap, L.Flatten()(gmp), L.Flatten()(upsampled), L.GlobalAveragePooling3D()(folded)])
    outputs = L.Dense(3, activation="softmax", name="predictions")(head)
    return keras_module.Model(volume, outputs, name=name)


def deflate_keras(path):
    """Rewrites a .keras archive (which Keras stores uncompressed) with deflate: the same members, a tenth of the size
    for these small models (their weights file is mostly HDF5 headers). Keras and kerasvis read both."""
    with zipfile.ZipFile(path) as source:
        members = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info, data in members:
            target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


def _dims_fixture_k2(name, build, shape, seed, taps):
    """A tf-keras fixture: the .h5, Keras's report, outputs and gradients with respect to the input and `taps`."""
    fresh_k2(seed)
    model = build(k2, name)
    randomize(model, seed)
    path = os.path.join(MODELS, f"{name}.h5")
    model.save(path)
    write_json(name, k2_report(model))
    x = seeded_input(shape, seed + 1)
    write_io(name, model, x, reload=lambda: k2.models.load_model(path, compile=False))
    write_gradients(name, model, x, taps, seed + 2)


def _dims_fixture_k3(name, build, shape, seed, taps):
    """A Keras 3 fixture as a deflated .keras only (the .h5 twin would add 40-50 KB of HDF5 overhead), with the
    gradient of one layer besides the input's (the tf-keras twin checks more; this keeps the fixtures small)."""
    fresh_k3(seed)
    model = build(k3, name)
    randomize(model, seed)
    model.save(os.path.join(MODELS, f"{name}.keras"))
    deflate_keras(os.path.join(MODELS, f"{name}.keras"))
    write_json(name, k3_report(model))
    x = seeded_input(shape, seed + 1)
    write_io(name, model, x, reload=lambda: k3.models.load_model(os.path.join(MODELS, f"{name}.keras"), compile=False))
    write_gradients(name, model, x, taps, seed + 2)


def conv1d_zoo_k2():
    """tf-keras 1-D layers (see _conv1d_zoo)."""
    _dims_fixture_k2("conv1d_zoo_k2", _conv1d_zoo, (2, 16, 3), 61, ["grouped", "depthwise", "zero_padding1d"])


def conv1d_zoo_k3():
    """Keras 3 1-D layers (see _conv1d_zoo)."""
    _dims_fixture_k3("conv1d_zoo_k3", _conv1d_zoo, (2, 16, 3), 64, ["grouped"])


def conv3d_zoo_k2():
    """tf-keras 3-D layers (see _conv3d_zoo)."""
    _dims_fixture_k2("conv3d_zoo_k2", _conv3d_zoo, (2, 6, 6, 6, 2), 67, ["same", "zero_padding3d"])


def conv3d_zoo_k3():
    """Keras 3 3-D layers (see _conv3d_zoo)."""
    _dims_fixture_k3("conv3d_zoo_k3", _conv3d_zoo, (2, 6, 6, 6, 2), 70, ["same"])


def _channels_first_zoo(keras_module, name, data_format):
    """The channels_first model (and, with data_format="channels_last", its twin with the same weights): three
    inputs, an image (N, 3, 8, 8), a series (N, 3, 12) and a volume (N, 2, 4, 4, 4) in `data_format`, through 1-D,
    2-D and 3-D convolutions (plain, depthwise, separable, transposed), BatchNormalization over the channel axis,
    poolings, global poolings (keepdims), paddings, croppings, upsamplings (nearest and bilinear) and Flatten (which
    Keras makes channels-last before flattening)."""
    L = keras_module.layers
    fmt = data_format
    first = fmt == "channels_first"

    def shape(channels, *spatial):
        return (channels,) + spatial if first else spatial + (channels,)

    image = keras_module.Input(shape(3, 8, 8), name="image")
    x = L.Conv2D(4, 3, padding="same", data_format=fmt, activation="tanh", name="conv")(image)
    x = L.BatchNormalization(axis=1 if first else -1, name="bn")(x)
    x = L.DepthwiseConv2D(3, data_format=fmt, name="depthwise")(x)  # 6x6
    x = L.SeparableConv2D(4, 3, padding="same", data_format=fmt, activation="elu", name="separable")(x)
    x = L.Conv2DTranspose(3, 2, strides=2, data_format=fmt, name="transposed")(x)  # 12x12
    x = L.ZeroPadding2D(((1, 0), (0, 1)), data_format=fmt)(x)  # 13x13
    x = L.Cropping2D(((0, 1), (1, 0)), data_format=fmt)(x)  # 12x12
    x = L.MaxPooling2D(2, data_format=fmt)(x)  # 6x6
    x = L.AveragePooling2D(2, strides=1, padding="same", data_format=fmt)(x)
    x = L.UpSampling2D(2, data_format=fmt)(x)  # 12x12
    bilinear = L.UpSampling2D(2, interpolation="bilinear", data_format=fmt)(L.MaxPooling2D(3, data_format=fmt)(x))
    gap = L.GlobalAveragePooling2D(data_format=fmt)(x)
    gmp = L.GlobalMaxPooling2D(data_format=fmt, keepdims=True)(x)
    flat = L.Flatten(data_format=fmt)(L.MaxPooling2D(2, data_format=fmt)(bilinear))  # 4x4x3
    series = keras_module.Input(shape(3, 12), name="series")
    s = L.Conv1D(4, 3, data_format=fmt, activation="tanh", name="conv1d")(series)  # 10
    if keras_module is k3:  # tf-keras's ZeroPadding1D has no data_format
        s = L.ZeroPadding1D((1, 0), data_format=fmt)(s)  # 11
    s = L.MaxPooling1D(2, data_format=fmt)(s)  # 5
    s = L.AveragePooling1D(2, strides=1, data_format=fmt)(s)  # 4
    gs = L.GlobalAveragePooling1D(data_format=fmt)(s)
    fs = L.Flatten(data_format=fmt)(s)
    volume = keras_module.Input(shape(2, 4, 4, 4), name="volume")
    v = L.Conv3D(3, 2, data_format=fmt, activation="tanh", name="conv3d")(volume)  # 3x3x3
    v = L.ZeroPadding3D(1, data_format=fmt)(v)  # 5x5x5
    v = L.Cropping3D(((1, 0), (0, 0), (0, 1)), data_format=fmt)(v)  # 4x5x4
    v = L.MaxPooling3D(2, data_format=fmt)(v)  # 2x2x2
    v = L.UpSampling3D((2, 1, 2), data_format=fmt)(v)  # 4x2x4
    v = L.Conv3DTranspose(2, 2, strides=2, data_format=fmt, name="transposed3d")(v)  # 8x4x8
    v = L.AveragePooling3D(2, data_format=fmt)(v)  # 4x2x4
    gv = L.GlobalMaxPooling3D(data_format=fmt)(v)
    fv = L.Flatten(data_format=fmt)(v)
    head = L.Concatenate()([gap, L.Flatten(data_format=fmt)(gmp), flat, gs, fs, gv, fv])
    outputs = L.Dense(3, activation="softmax", name="predictions")(head)
    return keras_module.Model([image, series, volume], outputs, name=name)


def _channels_first_fixture(keras_module, name, seed, path, load):
    """Saves the channels_first model with random weights; its outputs and gradients come from the channels_last
    twin (the same layers and weights), which TensorFlow runs on CPU, with inputs and layer gradients transposed.
    For tf-keras, XLA (`jit_compile=True`, which runs channels_first convolutions on CPU) checks the saved file's
    outputs. Not for Keras 3: its TensorFlow backend's channels_first Conv3D under XLA is off by up to 0.14 from a
    direct NumPy sum of the layer, which the twin's Conv3D equals to 2e-7 (every 1-D and 2-D layer agrees)."""
    fresh = fresh_k2 if keras_module is k2 else fresh_k3
    fresh(seed)
    model = _channels_first_zoo(keras_module, name, "channels_first")
    randomize(model, seed)
    fresh(seed)
    twin = _channels_first_zoo(keras_module, name, "channels_last")
    twin.set_weights(model.get_weights())
    model.save(path)
    if keras_module is k3:
        deflate_keras(path)
    write_json(name, (k2_report if keras_module is k2 else k3_report)(model))
    rng = np.random.default_rng(seed + 1)
    inputs = [rng.uniform(-1, 1, s).astype(np.float32) for s in [(2, 3, 8, 8), (2, 3, 12), (2, 2, 4, 4, 4)]]

    def to_last(x):
        return np.transpose(x, (0,) + tuple(range(2, x.ndim)) + (1,))

    def to_first(x):
        return np.transpose(x, (0, x.ndim - 1) + tuple(range(1, x.ndim - 1)))

    last_inputs = [to_last(x) for x in inputs]
    for position, x in enumerate(inputs):
        np.save(os.path.join(MODELS, f"{name}.input_{position}.npy"), x)
    expected = np.asarray(twin(last_inputs, training=False), dtype=np.float32)
    loaded = load(path)
    assert all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), twin.get_weights())), f"{name}: weights"
    if keras_module is k2:
        xla = np.asarray(tf.function(lambda *xs: loaded(list(xs), training=False), jit_compile=True)(*inputs))
        assert np.allclose(xla, expected, rtol=1e-5, atol=1e-6), f"{name}: XLA on the saved file differs from the twin"
    np.save(os.path.join(MODELS, f"{name}.output_0.npy"), expected)
    taps = ["conv", "transposed", "conv1d", "conv3d"]
    functional = k3.Model if keras_module is k3 else k2.Model
    probe = functional(twin.inputs, [twin.get_layer(n).output for n in taps] + list(twin.outputs))
    grng = np.random.default_rng(seed + 2)
    xs = [tf.constant(x) for x in last_inputs]
    with tf.GradientTape(watch_accessed_variables=False, persistent=True) as tape:
        for x in xs:
            tape.watch(x)
        results = probe(xs, training=False)
        layer_outputs, output = results[:len(taps)], results[len(taps)]
        seed_values = grng.normal(0, 1, tuple(output.shape)).astype(np.float32)
        loss = tf.reduce_sum(seed_values * output)
    np.save(os.path.join(MODELS, f"{name}.seed_0.npy"), seed_values)
    for position, g in enumerate(tape.gradient(loss, xs)):
        np.save(os.path.join(MODELS, f"{name}.grad_input_{position}.npy"), to_first(np.asarray(g, dtype=np.float32)))
    for position, g in enumerate(tape.gradient(loss, layer_outputs)):
        np.save(os.path.join(MODELS, f"{name}.grad_layer_{position}.npy"), to_first(np.asarray(g, dtype=np.float32)))
    names = [layer.name for layer in model.layers]
    with open(os.path.join(MODELS, f"{name}.grad.json"), "w") as file:
        json.dump({"layers": [names.index(n) for n in taps]}, file)


def channels_first_k2():
    """tf-keras channels_first layers (see _channels_first_zoo), as .h5."""
    path = os.path.join(MODELS, "channels_first_k2.h5")
    _channels_first_fixture(k2, "channels_first_k2", 81, path, lambda p: k2.models.load_model(p, compile=False))


def channels_first_k3():
    """Keras 3 channels_first layers (see _channels_first_zoo), as .keras."""
    path = os.path.join(MODELS, "channels_first_k3.keras")
    _channels_first_fixture(k3, "channels_first_k3", 84, path, lambda p: k3.models.load_model(p, compile=False))


def _attention_zoo(keras_module, name, keras3):
    """The attention_zoo model in tf-keras or Keras 3: a sequence (5, 8), a memory (6, 8), an attention mask
    (5, 6) of 0/1, a grid (3, 4, 6) and a self-attention mask (5, 5) (the model returning scores attends over as
    many steps as it has queries: Keras 3 reports a scores shape of (N, heads, T, T) whatever the key length). EinsumDense with and without `...` and bias over two axes, activations
    (gelu, mish, swish, Keras 3's hard_silu), MultiHeadAttention with an attention mask and its scores, with
    use_causal_mask and the mask together, with value_dim, output_shape and no bias, over two attention axes of
    the grid, and causal self-attention; Attention (dot with scale, concat causal with a key), AdditiveAttention
    with its scores; Dot (summing axes 2 and 2, and normalized on -1); Softmax and LayerNormalization over two
    axes; in Keras 3 a chain of its other activations (celu, squareplus, ..., glu, sparsemax). Seven outputs (eight in
    Keras 3)."""
    L = keras_module.layers
    sequence = keras_module.Input((5, 8), name="sequence")
    memory = keras_module.Input((6, 8), name="memory")
    mask = keras_module.Input((5, 6), name="attention_mask")
    self_mask = keras_module.Input((5, 5), name="self_mask")
    grid = keras_module.Input((3, 4, 6), name="grid")
    projected = L.EinsumDense("abc,cd->abd", output_shape=(5, 6), bias_axes="d", activation="gelu", name="einsum_gelu")(sequence)
    elided = L.EinsumDense("...b,bc->...c", output_shape=8, bias_axes="c", activation="mish", name="einsum_elided")(projected)
    both_bias = L.EinsumDense("abc,cd->abd", output_shape=(5, 4), bias_axes="bd", activation="swish", name="einsum_bias_bd")(sequence)
    extra = []
    if keras3:
        both_bias = L.Activation("hard_silu", name="hard_silu")(both_bias)
        # Keras 3's other activations, chained: the last two act on the last axis (glu halves it).
        chained = elided
        for function in ["celu", "squareplus", "soft_shrink", "sparse_plus", "tanh_shrink", "log_sigmoid",
                         "hard_tanh", "selu", "glu", "sparsemax"]:
            chained = L.Activation(function, name=f"activation_{function}")(chained)
        extra = [chained]
    attended, scores = L.MultiHeadAttention(2, 4, name="mha_masked")(sequence, sequence, attention_mask=self_mask, return_attention_scores=True)
    causal_masked = L.MultiHeadAttention(2, 3, value_dim=5, output_shape=7, use_bias=False, name="mha_causal_masked")(
        elided, memory, key=memory, attention_mask=mask, use_causal_mask=True)
    self_causal = L.MultiHeadAttention(1, 4, name="mha_self_causal")(both_bias, both_bias, use_causal_mask=True)
    grid_attended = L.MultiHeadAttention(2, 3, attention_axes=(1, 2), name="mha_grid")(grid, grid)
    dot_attention = L.Attention(use_scale=True, name="attention_dot")([sequence, memory])
    concat_attention = L.Attention(score_mode="concat", use_scale=True, name="attention_concat")(
        [sequence, memory, memory], use_causal_mask=True)
    additive, additive_scores = L.AdditiveAttention(use_scale=True, name="additive")(
        [elided, memory], return_attention_scores=True)
    similarity = L.Dot(axes=(2, 2), name="dot_steps")([sequence, memory])
    joint = L.Softmax(axis=(1, 2), name="softmax_two_axes")(similarity)
    cosine = L.Dot(axes=-1, normalize=True, name="dot_cosine")([L.GlobalAveragePooling1D(name="pool_a")(attended),
                                                               L.GlobalAveragePooling1D(name="pool_b")(dot_attention)])
    normalized = L.LayerNormalization(axis=(1, 2), name="layer_norm_two_axes")(
        L.Concatenate(name="concat_heads")([causal_masked, self_causal, concat_attention, additive]))
    return keras_module.Model([sequence, memory, mask, grid, self_mask],
                              [normalized, scores, grid_attended, joint, cosine, additive_scores, attended] + extra,
                              name=name)


def _attention_zoo_inputs():
    mask = (np.random.default_rng(91).uniform(0, 1, (2, 5, 6)) > 0.3).astype(np.float32)
    mask[1, 2] = 0  # a query that attends to nothing
    self_mask = (np.random.default_rng(98).uniform(0, 1, (2, 5, 5)) > 0.3).astype(np.float32)
    self_mask[0, 3] = 0
    return [seeded_input((2, 5, 8), 92), seeded_input((2, 6, 8), 93), mask, seeded_input((2, 3, 4, 6), 94), self_mask]


ATTENTION_TAPS = ["einsum_elided", "mha_masked", "mha_causal_masked", "attention_concat", "additive"]


def attention_zoo_k2():
    """tf-keras attention layers, EinsumDense, Dot and multi-axis Softmax/LayerNormalization (see _attention_zoo)."""
    fresh_k2(90)
    model = _attention_zoo(k2, "attention_zoo_k2", keras3=False)
    randomize(model, 90)
    path = os.path.join(MODELS, "attention_zoo_k2.h5")
    model.save(path)
    write_json("attention_zoo_k2", k2_report(model))
    write_io("attention_zoo_k2", model, _attention_zoo_inputs(), reload=lambda: k2.models.load_model(path, compile=False))
    # The masks have no gradient in Keras 3 (cast to booleans) and a 1e9-scaled one in tf-keras: only the layers'
    # gradients are stored (the taps cover the backward pass of every attention kind).
    write_gradients("attention_zoo_k2", model, _attention_zoo_inputs(), ATTENTION_TAPS, 95, input_gradients=False)


def attention_zoo_k3():
    """Keras 3 attention layers, EinsumDense, Dot and multi-axis Softmax/LayerNormalization (see _attention_zoo), as
    .keras."""
    fresh_k3(96)
    model = _attention_zoo(k3, "attention_zoo_k3", keras3=True)
    randomize(model, 96)
    path = os.path.join(MODELS, "attention_zoo_k3.keras")
    model.save(path)
    deflate_archive(path)
    write_json("attention_zoo_k3", k3_report(model))
    write_io("attention_zoo_k3", model, _attention_zoo_inputs(), reload=lambda: k3.models.load_model(path, compile=False))
    # The masks have no gradient in Keras 3 (cast to booleans) and a 1e9-scaled one in tf-keras: only the layers'
    # gradients are stored (the taps cover the backward pass of every attention kind).
    write_gradients("attention_zoo_k3", model, _attention_zoo_inputs(), ATTENTION_TAPS, 97, input_gradients=False)


def vit(keras_module, name, size=16, patch=4, dim=16, heads=2, blocks=2, mlp=32, classes=5):
    """A ViT (Dosovitskiy et al. 2020, arXiv 2010.11929) from built-in Keras layers only, so Keras saves and loads it
    without custom classes: a patch Conv2D (kernel and stride `patch`), Reshape to (tokens, dim); the class token is
    the bias of a Dense reading zeros (Rescaling(0) of the pooled tokens), prepended by Concatenate; the position
    embedding is the (tokens + 1, dim) bias of an EinsumDense reading zeros, added; then `blocks` pre-norm blocks
    (LayerNormalization, MultiHeadAttention self-attention, Add; LayerNormalization, Dense(gelu), Dense, Add), a
    final LayerNormalization, the class token (Cropping1D) and a softmax head."""
    L = keras_module.layers
    grid = size // patch
    tokens = grid * grid
    image = keras_module.Input((size, size, 3), name="image")
    x = L.Conv2D(dim, patch, strides=patch, name="patch_embedding")(image)
    x = L.Reshape((tokens, dim), name="patch_tokens")(x)
    zeros = L.Rescaling(0.0, name="zeros")(L.GlobalAveragePooling1D(name="token_mean")(x))
    cls = L.Reshape((1, dim), name="class_token_row")(L.Dense(dim, name="class_token")(zeros))
    x = L.Concatenate(axis=1, name="with_class_token")([cls, x])
    position = L.EinsumDense("abc,cd->abd", output_shape=(tokens + 1, dim), bias_axes="bd", name="position_embedding")(
        L.Rescaling(0.0, name="position_zeros")(x))
    x = L.Add(name="embedded")([x, position])
    for block in range(blocks):
        h = L.LayerNormalization(epsilon=1e-6, name=f"block{block}_norm1")(x)
        h = L.MultiHeadAttention(heads, dim // heads, name=f"block{block}_attention")(h, h)
        x = L.Add(name=f"block{block}_residual1")([x, h])
        h = L.LayerNormalization(epsilon=1e-6, name=f"block{block}_norm2")(x)
        h = L.Dense(mlp, activation="gelu", name=f"block{block}_mlp1")(h)
        h = L.Dense(dim, name=f"block{block}_mlp2")(h)
        x = L.Add(name=f"block{block}_output")([x, h])
    x = L.LayerNormalization(epsilon=1e-6, name="final_norm")(x)
    cls = L.Flatten(name="class_output")(L.Cropping1D((0, tokens), name="class_token_out")(x))
    return keras_module.Model(image, L.Dense(classes, activation="softmax", name="predictions")(cls), name=name)


VIT_TAPS = ["patch_embedding", "block0_attention", "block1_output"]


def vit_k2():
    """The tiny ViT (see vit) in tf-keras, .h5: 16x16 input, patch 4, dim 16, 2 heads, 2 blocks."""
    fresh_k2(110)
    model = vit(k2, "vit_k2")
    randomize(model, 110)
    path = os.path.join(MODELS, "vit_k2.h5")
    model.save(path)
    write_json("vit_k2", k2_report(model))
    x = seeded_input((2, 16, 16, 3), 111)
    write_io("vit_k2", model, x, reload=lambda: k2.models.load_model(path, compile=False))
    write_gradients("vit_k2", model, x, VIT_TAPS, 112)


def vit_k3():
    """The tiny ViT (see vit) in Keras 3, .keras."""
    fresh_k3(113)
    model = vit(k3, "vit_k3")
    randomize(model, 113)
    path = os.path.join(MODELS, "vit_k3.keras")
    model.save(path)
    deflate_archive(path)
    write_json("vit_k3", k3_report(model))
    x = seeded_input((2, 16, 16, 3), 114)
    write_io("vit_k3", model, x, reload=lambda: k3.models.load_model(path, compile=False))
    write_gradients("vit_k3", model, x, VIT_TAPS, 115)


def _masked_attention(keras_module, name):
    """Integer tokens (6,) from a vocabulary of 20, Embedding with mask_zero, MultiHeadAttention self-attention
    reading the Keras mask (query and value masks AND-ed; padded queries attend to nothing), LayerNormalization,
    causal self-attention under the same mask, Attention and causal AdditiveAttention reading the query and value
    masks, Flatten and a softmax head."""
    L = keras_module.layers
    tokens = keras_module.Input((6,), dtype="int32", name="tokens")
    x = L.Embedding(20, 8, mask_zero=True, name="embedding")(tokens)
    h = L.MultiHeadAttention(2, 4, name="mha_masked_self")(x, x)
    h = L.LayerNormalization(name="norm")(h)
    h = L.MultiHeadAttention(2, 3, name="mha_masked_causal")(h, h, use_causal_mask=True)
    h = L.Attention(use_scale=True, name="attention_masked")([h, x])
    h = L.AdditiveAttention(name="additive_masked")([h, x], use_causal_mask=True)
    out = L.Dense(3, activation="softmax", name="predictions")(L.Flatten(name="flatten")(h))
    return keras_module.Model(tokens, out, name=name)


def _masked_attention_input():
    return np.array([[3, 7, 1, 0, 0, 0], [5, 0, 2, 9, 4, 11], [0, 0, 6, 8, 1, 2]], dtype=np.float32)


def masked_attention_k2():
    """tf-keras MultiHeadAttention under an Embedding's mask (see _masked_attention)."""
    fresh_k2(120)
    model = _masked_attention(k2, "masked_attention_k2")
    randomize(model, 120)
    path = os.path.join(MODELS, "masked_attention_k2.h5")
    model.save(path)
    write_json("masked_attention_k2", k2_report(model))
    write_io("masked_attention_k2", model, _masked_attention_input(), reload=lambda: k2.models.load_model(path, compile=False))
    write_gradients("masked_attention_k2", model, _masked_attention_input(), ["embedding", "mha_masked_self"], 121,
                    input_gradients=False)


def masked_attention_k3():
    """Keras 3 MultiHeadAttention under an Embedding's mask (see _masked_attention), as .keras."""
    fresh_k3(122)
    model = _masked_attention(k3, "masked_attention_k3")
    randomize(model, 122)
    path = os.path.join(MODELS, "masked_attention_k3.keras")
    model.save(path)
    deflate_archive(path)
    write_json("masked_attention_k3", k3_report(model))
    write_io("masked_attention_k3", model, _masked_attention_input(), reload=lambda: k3.models.load_model(path, compile=False))
    write_gradients("masked_attention_k3", model, _masked_attention_input(), ["embedding", "mha_masked_self"], 123,
                    input_gradients=False)


SMALL_BUILDERS = {
    # name (a function's, for --only): the step of make_small, in order
    "inception_v3_narrow": inception_v3_narrow,
    "sequential_cnn": sequential_cnn,
    "legacy_strings": lambda: legacy_strings(os.path.join(MODELS, "sequential_cnn.h5")),  # after sequential_cnn
    "nested_mobilenet": nested_mobilenet,
    "weights_only": weights_only,
    "weights_only_k3": weights_only_k3,
    "layer_zoo_k2": layer_zoo_k2,
    "long_names": long_names,
    "fully_convolutional": fully_convolutional,
    "float16_dense": float16_dense,
    "lambda_layer": lambda_layer,
    "layer_zoo_k3": layer_zoo_k3,
    "nested_k3": nested_k3,
    "normalization_zoo_k2": normalization_zoo_k2,
    "normalization_zoo_k3": normalization_zoo_k3,
    "ops_zoo_k2": ops_zoo_k2,
    "ops_zoo_k3": ops_zoo_k3,
    "ops_more_k2": ops_more_k2,
    "ops_more_k3": ops_more_k3,
    "preprocessing_k2": preprocessing_k2,
    "preprocessing_k3": preprocessing_k3,
    "conv1d_zoo_k2": conv1d_zoo_k2,
    "conv1d_zoo_k3": conv1d_zoo_k3,
    "conv3d_zoo_k2": conv3d_zoo_k2,
    "conv3d_zoo_k3": conv3d_zoo_k3,
    "channels_first_k2": channels_first_k2,
    "channels_first_k3": channels_first_k3,
    "rnn_zoo_k2": rnn_zoo_k2,
    "rnn_zoo_k3": rnn_zoo_k3,
    "text_zoo_k2": text_zoo_k2,
    "text_zoo_k3": text_zoo_k3,
    "seq2seq_k2": seq2seq_k2,
    "seq2seq_k3": seq2seq_k3,
    "time_distributed_k2": time_distributed_k2,
    "time_distributed_k3": time_distributed_k3,
    "attention_zoo_k2": attention_zoo_k2,
    "attention_zoo_k3": attention_zoo_k3,
    "vit_k2": vit_k2,
    "vit_k3": vit_k3,
    "masked_attention_k2": masked_attention_k2,
    "masked_attention_k3": masked_attention_k3,
    "make_vis": make_vis,  # reads the saved inception_v3_narrow.h5 and sequential_cnn.h5
}


def make_small(only=None):
    """The committed fixtures; with `only` (names in SMALL_BUILDERS), just those builders, in SMALL_BUILDERS's order."""
    os.makedirs(MODELS, exist_ok=True)
    for name, build in SMALL_BUILDERS.items():
        if only is None or name in only:
            build()


# ----------------------------------------------------------------------------------------------- zoo

ZOO_MODELS = {
    # name: (constructor in keras.applications, input size)
    "inception_v3": ("InceptionV3", 299),
    "vgg16": ("VGG16", 224),
    "resnet50": ("ResNet50", 224),
    "mobilenet": ("MobileNet", 224),
    "mobilenet_v2": ("MobileNetV2", 224),
    "mobilenet_v3_small": ("MobileNetV3Small", 224),
    "xception": ("Xception", 299),
    "densenet121": ("DenseNet121", 224),
    "efficientnet_b0": ("EfficientNetB0", 224),
    "nasnet_mobile": ("NASNetMobile", 224),
    # A ViT-Tiny shape (patch 16, dim 192, 3 heads, 12 blocks) from built-in layers (see `vit`), not an application.
    "vit": (None, 224),
}


def make_zoo(names):
    """Full-size keras.applications models (tf-keras, .h5) with seeded random weights, input and output.

    Random weights make some models' features explode and their softmax one-hot, which would hide differences:
    the classifier (the last layer with weights) is rescaled so that its logits have a standard deviation of about
    2 on the stored input, and the features it reads are stored too (`NAME.features.npy`, with the index of the
    layer producing them in `NAME.zoo.json`)."""
    os.makedirs(ZOO, exist_ok=True)
    for name in names:
        position = list(ZOO_MODELS).index(name)
        constructor, size = ZOO_MODELS[name]
        fresh_k2(100 + position)
        if constructor is None:
            model = vit(k2, name, size=size, patch=16, dim=192, heads=3, blocks=12, mlp=768, classes=1000)
        else:
            model = getattr(k2.applications, constructor)(weights=None, input_shape=(size, size, 3))
        randomize(model, 100 + position)
        inputs = seeded_input((2, size, size, 3), 200 + position)
        classifier = [layer for layer in model.layers if layer.weights][-1]
        source = tf.nest.flatten(classifier._inbound_nodes[0].inbound_layers)[0]
        features = np.asarray(k2.Model(model.inputs, classifier.input)(inputs, training=False), dtype=np.float32)
        kernel = classifier.weights[0]
        fan_in = int(np.prod(kernel.shape[:-1]))
        rng = np.random.default_rng(300 + position)
        spread = float(np.sqrt(np.mean(np.square(features)))) or 1.0
        kernel.assign(rng.normal(0, 2.0 / (spread * np.sqrt(fan_in)), kernel.shape).astype(np.float32))
        model.save(os.path.join(ZOO, f"{name}.h5"))
        write_json(name, k2_report(model), ZOO)
        write_io(name, model, inputs, ZOO)
        np.save(os.path.join(ZOO, f"{name}.features.npy"), features)
        with open(os.path.join(ZOO, f"{name}.zoo.json"), "w") as file:
            json.dump({"features_layer": [layer.name for layer in model.layers].index(source.name),
                       "features_layer_name": source.name}, file)
        print(f"zoo/{name}.h5: {len(model.layers)} layers, {model.count_params()} parameters", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--vis", action="store_true", help="only the keras-vis fixtures (Tests/Fixtures/vis)")
    choice.add_argument("--only", nargs="+", metavar="NAME", choices=list(SMALL_BUILDERS),
                        help=f"only these builders of the small fixtures (some of: {', '.join(SMALL_BUILDERS)})")
    choice.add_argument("--zoo", nargs="*", metavar="MODEL",
                        help=f"write full-size models into zoo/ (all, or some of: {', '.join(ZOO_MODELS)})")
    arguments = parser.parse_args()
    if arguments.vis:
        make_vis()
    elif arguments.only is not None:
        make_small(arguments.only)
    elif arguments.zoo is not None:
        make_zoo(arguments.zoo or list(ZOO_MODELS))
    else:
        make_small()


if __name__ == "__main__":
    sys.exit(main())
