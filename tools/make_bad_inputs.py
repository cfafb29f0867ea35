#!/usr/bin/env python3
"""Writes the malformed-input corpus under Tests/Fixtures/bad/ (issue 8), with `manifest.json` saying how each file
is opened and what kerasvis must answer:

- `"expect": "error"`: a clear error (exit code 1) whose message names the file and contains `"message"`;
- `"expect": "any"`: bit-flipped files may still load; whatever happens, never a crash or a hang.

    python3 tools/make_bad_inputs.py      # needs h5py and numpy; uses .build/debug/kerasvis for native files
"""
import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "Tests", "Fixtures", "models")
IMAGES = os.path.join(ROOT, "Tests", "Fixtures", "images")
BAD = os.path.join(ROOT, "Tests", "Fixtures", "bad")
entries = []


def add(name, kind, expect, message="", topology=None):
    entry = {"file": name, "kind": kind, "expect": expect, "message": message}
    if topology:
        entry["topology"] = topology
    entries.append(entry)


def truncated(source, name, kind, fractions=(0.1, 0.6)):
    data = open(source, "rb").read()
    stem, extension = os.path.splitext(name)
    for fraction in fractions:
        target = f"{stem}_truncated{int(fraction * 100)}{extension}"
        open(os.path.join(BAD, target), "wb").write(data[:int(len(data) * fraction)])
        add(target, kind, "error")


def bit_flipped(source, name, kind, variants=3, flips=16, seed=0):
    data = bytearray(open(source, "rb").read())
    rng = np.random.default_rng(seed)
    stem, extension = os.path.splitext(name)
    for variant in range(variants):
        copy = bytearray(data)
        for position in rng.integers(0, len(copy), flips):
            copy[position] ^= 1 << int(rng.integers(0, 8))
        target = f"{stem}_bitflip{variant}{extension}"
        open(os.path.join(BAD, target), "wb").write(bytes(copy))
        add(target, kind, "any")


def edited_topology(name, edit, message):
    topology = json.load(open(os.path.join(MODELS, "weights_only.json")))
    edit(topology)
    with open(os.path.join(BAD, name), "w") as file:
        json.dump(topology, file)
    add(name, "weights", "error", message, topology=name)


def layer(topology, class_name):
    return next(entry for entry in topology["config"]["layers"] if entry["class_name"] == class_name)


def main():
    shutil.rmtree(BAD, ignore_errors=True)
    os.makedirs(BAD)
    small = os.path.join(MODELS, "float16_dense.h5")  # small files keep the corpus small
    archive = os.path.join(MODELS, "nested_k3.keras")

    # Truncated and bit-flipped containers.
    truncated(small, "model.h5", "model")
    bit_flipped(small, "model.h5", "model", seed=1)
    truncated(archive, "model.keras", "model")
    bit_flipped(archive, "model.keras", "model", seed=2)
    kerasvis = os.path.join(ROOT, ".build", "debug", "kerasvis")
    native = os.path.join(BAD, "model.safetensors")
    if os.path.exists(kerasvis):
        subprocess.run([kerasvis, "convert", small, native], check=True, stdout=subprocess.DEVNULL)
        truncated(native, "model.safetensors", "model")
        bit_flipped(native, "model.safetensors", "model", seed=3)
        os.remove(native)
    else:
        print("make_bad_inputs: build kerasvis first (swift build) for the native cases", file=sys.stderr)
    for image in ("rgb8.png", "rgb_444.jpg"):
        stem, extension = os.path.splitext(image)
        truncated(os.path.join(IMAGES, image), f"image{extension}", "image", fractions=(0.05, 0.5))
        bit_flipped(os.path.join(IMAGES, image), f"image{extension}", "image", seed=4 if extension == ".png" else 5)
    shutil.copyfile(os.path.join(IMAGES, "huge_dimensions.png"), os.path.join(BAD, "image_huge_dimensions.png"))
    add("image_huge_dimensions.png", "image", "error", "limit")

    # Broken topologies (with weights_only.weights.h5).
    def cycle(topology):
        last = topology["config"]["layers"][-1]["name"]
        layer(topology, "Conv2D")["inbound_nodes"] = [[[last, 0, 0, {}]]]
    edited_topology("topology_cycle.json", cycle, "cycle")
    edited_topology(
        "topology_unknown_inbound.json",
        lambda t: layer(t, "Conv2D").__setitem__("inbound_nodes", [[["no_such_layer", 0, 0, {}]]]), "no_such_layer")
    edited_topology(
        "topology_negative_shape.json",
        lambda t: layer(t, "InputLayer")["config"].__setitem__("batch_input_shape", [None, -10, 10, 3]), "InputLayer")
    edited_topology(
        "topology_huge_shape.json",
        lambda t: layer(t, "InputLayer")["config"].__setitem__("batch_input_shape", [None, 1 << 40, 1 << 40, 3]),
        "InputLayer")
    edited_topology(
        "topology_kernel_mismatch.json",
        lambda t: layer(t, "Conv2D")["config"].__setitem__("filters", 5), "kernel")
    with open(os.path.join(BAD, "topology_not_json.json"), "w") as file:
        file.write('{"class_name": "Functional", "config": {"layers": [')
    add("topology_not_json.json", "weights", "error", "JSON", topology="topology_not_json.json")
    with open(os.path.join(BAD, "topology_deep_nesting.json"), "w") as file:
        file.write('{"class_name": "Functional", "config": ' + "[" * 20000 + "]" * 20000 + "}")
    add("topology_deep_nesting.json", "weights", "error", "deep", topology="topology_deep_nesting.json")

    # model_config that is not JSON, NaN weights, and a 2 GiB weight the file only claims.
    target = os.path.join(BAD, "model_config_not_json.h5")
    shutil.copyfile(small, target)
    with h5py.File(target, "r+") as file:
        file.attrs["model_config"] = '{"class_name": "Functional", "config": {'
    add("model_config_not_json.h5", "model", "error", "JSON")
    target = os.path.join(BAD, "nan_weights.h5")
    shutil.copyfile(small, target)
    with h5py.File(target, "r+") as file:
        group = file["model_weights/dense"]
        name = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]][0]
        data = group[name][...]
        data.flat[::7] = np.nan
        data.flat[3] = np.inf
        group[name][...] = data
    add("nan_weights.h5", "model", "error", "NaN")
    target = os.path.join(BAD, "claims_2gib.h5")
    config = {"class_name": "Sequential", "config": {"name": "big", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 32768], "dtype": "float32",
                                                "name": "input_1"}},
        {"class_name": "Dense", "config": {"name": "dense", "units": 16384, "activation": "linear",
                                           "use_bias": False, "dtype": "float32", "trainable": True}}]}}
    with h5py.File(target, "w") as file:
        file.attrs["model_config"] = json.dumps(config)
        file.attrs["keras_version"] = "2.21.0"
        file.attrs["backend"] = "tensorflow"
        weights = file.create_group("model_weights")
        weights.attrs["layer_names"] = np.array([b"dense"])
        group = weights.create_group("dense")
        group.attrs["weight_names"] = np.array([b"dense/kernel:0"])
        group.create_dataset("dense/kernel:0", shape=(32768, 16384), dtype="float32", chunks=(1024, 1024))
    add("claims_2gib.h5", "model", "error", "limit")

    with open(os.path.join(BAD, "manifest.json"), "w") as file:
        json.dump({"entries": entries}, file, indent=1)
    total = sum(os.path.getsize(os.path.join(BAD, name)) for name in os.listdir(BAD))
    print(f"{len(entries)} cases, {total / 1024:.0f} KiB in {BAD}")


if __name__ == "__main__":
    main()
