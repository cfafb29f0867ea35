#!/usr/bin/env python3
"""Checks a kerasvis native file against the Keras .h5 it was converted from, with independent readers.

    pip install safetensors h5py numpy
    python3 tools/check_native.py model.safetensors model.h5

The native file is opened with the `safetensors` package (so it must be a valid safetensors file); the .h5 with h5py,
following Keras's legacy layout: `layer_names` on `model_weights` (or the root of a `save_weights` file), and each
layer group's `weight_names`. Every tensor of the native file is compared with the dataset it came from: shapes, and
values bit for bit (after rounding the .h5 values to binary16 or bfloat16 when the native file stores those).
Layers pair by name, or by order when the names differ (as Keras's `load_weights` pairs them); the tensors of a
layer pair by weight name, then by order. Prints a summary; exits with 1 when anything differs or is missing.
"""
import argparse
import json
import struct
import sys

import h5py
import numpy as np
from safetensors import safe_open


def strings(group, name):
    """An HDF5 string-list attribute, joined from Keras's chunks (`name0`, `name1`, ...) when it was split."""
    if name in group.attrs:
        values = list(group.attrs[name])
    else:
        values, index = [], 0
        while f"{name}{index}" in group.attrs:
            values += list(group.attrs[f"{name}{index}"])
            index += 1
    return [value.decode("utf8") if isinstance(value, bytes) else str(value) for value in values]


def read_header(path):
    """The raw safetensors header (for the tensors' order in the data and their dtypes)."""
    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        return json.loads(handle.read(length))


def bfloat16_bits(values):
    """bfloat16 bits of float32 values, rounded to nearest even (NaN kept NaN)."""
    bits = values.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(values)
    rounded[nan] = ((bits[nan] >> 16).astype(np.uint16)) | 0x40
    return rounded


def layer_tensors(graph):
    """For every top-level layer of the graph, its name and the names of its tensors (nested models included)."""
    def collect(layer):
        names = [weight["tensor"] for weight in layer["weights"]]
        if layer["op"]["op"] == "model":
            for inner in layer["op"]["graph"]["layers"] + layer["op"]["graph"]["operations"]:
                names += collect(inner)
        return names

    model = graph["model"]
    return [(layer["name"], collect(layer)) for layer in model["layers"] + model["operations"]]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("native", help="the .safetensors file written by kerasvis convert")
    parser.add_argument("source", help="the Keras .h5 it was converted from (legacy layout)")
    arguments = parser.parse_args()

    header = read_header(arguments.native)
    problems = []
    with safe_open(arguments.native, framework="numpy") as native:
        metadata = native.metadata() or {}
        if "kerasvis.graph" not in metadata:
            sys.exit(f"{arguments.native}: no kerasvis.graph in the metadata; not a kerasvis native file")
        graph = json.loads(metadata["kerasvis.graph"])
        if graph.get("format_version", 0) > 1:
            sys.exit(f"{arguments.native}: graph format_version {graph['format_version']} is newer than this tool")
        names = set(native.keys())

        def tensor(name):
            entry = header[name]
            if entry["dtype"] == "BF16":  # NumPy has no bfloat16: read the bits.
                with open(arguments.native, "rb") as handle:
                    (length,) = struct.unpack("<Q", handle.read(8))
                    begin, end = entry["data_offsets"]
                    handle.seek(8 + length + begin)
                    return np.frombuffer(handle.read(end - begin), dtype="<u2").reshape(entry["shape"])
            return native.get_tensor(name)

        with h5py.File(arguments.source, "r") as source:
            root = source["model_weights"] if "model_weights" in source else source
            if not strings(root, "layer_names"):
                sys.exit(f"{arguments.source}: no layer_names attribute; only Keras's legacy .h5 layout is supported")
            stored = []
            for name in strings(root, "layer_names"):
                weight_names = strings(root[name], "weight_names") if name in root else []
                if weight_names:
                    stored.append((name, weight_names))
            ours = [(name, tensors) for name, tensors in layer_tensors(graph) if tensors]
            ours_by_name = dict(ours)
            if all(name in ours_by_name for name, _ in stored):
                pairs = [(name, weight_names, ours_by_name[name]) for name, weight_names in stored]
            else:
                if len(stored) != len(ours):
                    sys.exit(f"layers with weights: {len(stored)} in the .h5, {len(ours)} in the native file")
                pairs = [(name, weight_names, tensors) for (name, weight_names), (_, tensors) in zip(stored, ours)]

            compared = 0
            seen = set()
            for layer_name, weight_names, tensors in pairs:
                if len(weight_names) != len(tensors):
                    problems.append(f"{layer_name}: {len(weight_names)} weights in the .h5, {len(tensors)} in the file")
                    continue
                our_layer = next(name for name, names in ours if names is tensors)
                relative = {name[len(our_layer) + 1:]: name for name in tensors if name.startswith(our_layer + "/")}
                matched = {}
                for weight_name in weight_names:
                    bare = weight_name.rsplit(":", 1)[0]
                    for candidate in (bare, bare[len(layer_name) + 1:] if bare.startswith(layer_name + "/") else None):
                        if candidate in relative and relative[candidate] not in matched.values():
                            matched[weight_name] = relative[candidate]
                            break
                rest = iter(name for name in tensors if name not in matched.values())
                for weight_name in weight_names:
                    if weight_name not in matched:
                        matched[weight_name] = next(rest)
                for weight_name in weight_names:
                    name = matched[weight_name]
                    seen.add(name)
                    expected = np.asarray(root[layer_name][weight_name])
                    actual = tensor(name)
                    dtype = header[name]["dtype"]
                    if actual.size != expected.size or (actual.shape != expected.shape and actual.size != 1):
                        problems.append(f"{name}: shape {list(actual.shape)}, .h5 {layer_name}/{weight_name} has "
                                        f"{list(expected.shape)}")
                        continue
                    expected = expected.reshape(actual.shape)
                    if dtype == "F32":
                        same = np.array_equal(actual.view(np.uint32), expected.astype(np.float32).view(np.uint32))
                    elif dtype == "F16":
                        same = np.array_equal(actual.view(np.uint16), expected.astype(np.float16).view(np.uint16))
                    else:
                        same = np.array_equal(actual, bfloat16_bits(expected))
                    if not same:
                        problems.append(f"{name} ({dtype}) differs from {layer_name}/{weight_name}")
                    compared += 1
            for name in sorted(names - seen):
                problems.append(f"{name}: in the native file but not in the .h5")

    dtypes = sorted({entry["dtype"] for key, entry in header.items() if key != "__metadata__"})
    print(f"{arguments.native}: {compared} tensors ({', '.join(dtypes)}) of {len(pairs)} layers compared with "
          f"{arguments.source}")
    for problem in problems:
        print(f"  MISMATCH {problem}")
    print("all equal" if not problems else f"{len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
