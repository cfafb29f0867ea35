#!/usr/bin/env python3
"""Writes Tests/Fixtures/hdf5/kinds.h5: one HDF5 file holding every attribute and dataset kind the HDF5
wrapper must read (as h5py writes them, which is how Keras writes them), plus kinds.expected.json with the values.

Run: python3 tools/make_hdf5_fixtures.py   (needs h5py and numpy)
"""
import json
import os

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "hdf5")


def main():
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "kinds.h5")
    rng = np.random.default_rng(7)
    f32 = rng.standard_normal((2, 3, 4)).astype(np.float32)
    f16 = rng.standard_normal((5,)).astype(np.float16)
    f64 = rng.standard_normal((3, 2)).astype(np.float64)
    i64 = np.arange(6, dtype=np.int64).reshape(2, 3)
    long_names = [("name_%04d_" % i) + "x" * 240 for i in range(400)]
    with h5py.File(path, "w") as f:
        f.attrs["vlen_string"] = "variable length ünïcode"
        f.attrs["fixed_string"] = np.bytes_(b"fixed length bytes")
        f.attrs["fixed_string_array"] = np.array([b"alpha", b"be", b"gamma_long"], dtype="S10")
        f.attrs.create("vlen_string_array", ["one", "two", "three"], dtype=h5py.string_dtype("utf-8"))
        f.attrs["int_scalar"] = np.int64(42)
        f.attrs["float_array"] = np.array([0.5, 1.5, -2.0])
        # Keras splits attributes past HDF5's 64 KB object-header limit into name0, name1, ...
        chunks = np.array_split(np.array([n.encode() for n in long_names]), 2)
        for i, chunk in enumerate(chunks):
            f.attrs["split_names%d" % i] = chunk
        g = f.create_group("group/inner")
        g.attrs["note"] = "inner group"
        f["group/float32"] = f32
        f["group/float16"] = f16
        f["group/float64"] = f64
        f["group/int64"] = i64
        f["group/scalar"] = np.float32(3.25)
        f.create_dataset("group/strings", data=np.array([b"a", b"b"]))
    expected = {
        "vlen_string": "variable length ünïcode",
        "fixed_string": "fixed length bytes",
        "fixed_string_array": ["alpha", "be", "gamma_long"],
        "vlen_string_array": ["one", "two", "three"],
        "int_scalar": 42,
        "float_array": [0.5, 1.5, -2.0],
        "split_names": long_names,
        "float32": {"shape": list(f32.shape), "values": f32.ravel().tolist()},
        "float16": {"shape": list(f16.shape), "values": f16.astype(np.float32).ravel().tolist()},
        "float64": {"shape": list(f64.shape), "values": f64.astype(np.float32).ravel().tolist()},
        "int64": {"shape": list(i64.shape), "values": i64.astype(np.float32).ravel().tolist()},
    }
    with open(os.path.join(OUT, "kinds.expected.json"), "w") as out:
        json.dump(expected, out)
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
