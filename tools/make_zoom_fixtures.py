#!/usr/bin/env python3
"""Writes Tests/Fixtures/zoom/: inputs and real scipy.ndimage.zoom outputs for the Swift port in
Sources/KerasVis/SplineZoom*.swift.

Every case is one float32 input (<name>.npy) and, per parameter set, one float32 array of expected outputs with
shape (orders, modes, out_height, out_width) (<name>.<variant>.npy). manifest.json lists them with the zoom factors
(and cval) written as float.hex() strings, so Swift reads the exact float64 values scipy was given.

Run: python3 tools/make_zoom_fixtures.py   (needs numpy and scipy; the fixtures were written with scipy 1.17.1)
"""
import json
import os
import warnings

import numpy as np
import scipy
import scipy.ndimage as ndi

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "zoom")

ALL_ORDERS = [0, 1, 2, 3, 4, 5]
ALL_MODES = ["constant", "grid-constant", "nearest", "reflect", "mirror", "wrap", "grid-wrap"]


def cam_like(rng, h, w):
    """A ReLU'd class activation map: a couple of smooth blobs minus an offset, clipped at zero."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    m = np.zeros((h, w))
    for _ in range(3):
        cy, cx = rng.uniform(0, h - 1), rng.uniform(0, w - 1)
        s = rng.uniform(0.8, 2.5)
        m += rng.uniform(0.5, 2.0) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
    m += 0.05 * rng.standard_normal((h, w))
    return np.maximum(m - 0.3, 0).astype(np.float32)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".npy") or f == "manifest.json":
            os.remove(os.path.join(OUT, f))
    rng = np.random.default_rng(20240611)

    inputs = {}

    def add_input(name, array):
        array = np.ascontiguousarray(array, dtype=np.float32)
        inputs[name] = array
        np.save(os.path.join(OUT, name + ".npy"), array)

    add_input("row_1x6", rng.standard_normal((1, 6)))
    add_input("column_5x1", rng.uniform(-1, 3, (5, 1)))
    add_input("pixel_1x1", np.array([[2.5]]))
    add_input("tiny_2x2", np.array([[0.0, 1.0], [3.0, -2.0]]))
    impulse = np.zeros((3, 3))
    impulse[1, 1] = 1.0
    add_input("impulse_3x3", impulse)
    step = np.zeros((6, 5))
    step[:, 3:] = 1.0
    step[4:, :] += 0.5
    add_input("step_6x5", step)
    add_input("random_5x3", rng.standard_normal((5, 3)))
    add_input("random_9x11", rng.uniform(0, 10, (9, 11)))
    add_input("random_17x13", rng.standard_normal((17, 13)))
    add_input("random_20x16", rng.standard_normal((20, 16)))
    add_input("cam_8x8", cam_like(rng, 8, 8))
    add_input("cam_7x7", cam_like(rng, 7, 7))
    add_input("cam_14x14", cam_like(rng, 14, 14))

    cases = []

    def add_case(input_name, variant, factors, orders=ALL_ORDERS, modes=ALL_MODES, cval=0.0, prefilter=True,
                 grid_mode=False, target=None):
        x = inputs[input_name]
        factors = tuple(float(f) for f in factors)
        outputs = []
        for order in orders:
            row = []
            for mode in modes:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # grid_mode=True with 'constant' / 'wrap' warns
                    y = ndi.zoom(x, factors, order=order, mode=mode, cval=cval, prefilter=prefilter,
                                 grid_mode=grid_mode)
                assert y.dtype == np.float32, y.dtype
                row.append(y)
            outputs.append(row)
        expected = np.array(outputs, dtype=np.float32)
        if target is not None:
            assert expected.shape[2:] == tuple(target), (expected.shape, target)
        file_name = f"{input_name}.{variant}.npy"
        np.save(os.path.join(OUT, file_name), expected)
        cases.append({
            "name": f"{input_name}.{variant}",
            "input": input_name + ".npy",
            "expected": file_name,
            "factors": [f.hex() for f in factors],
            "target": list(target) if target is not None else None,
            "orders": list(orders),
            "modes": list(modes),
            "cval": float(cval).hex(),
            "prefilter": prefilter,
            "gridMode": grid_mode,
            "outShape": list(expected.shape[2:]),
        })

    # Small and structured inputs, every order and mode, scipy's defaults otherwise.
    add_case("row_1x6", "up", (3.0, 2.5))  # a 1-row input: zoom factor 0 along that axis
    add_case("row_1x6", "keep_row", (1.0, 2.5))
    add_case("column_5x1", "up", (2.2, 4.0))
    add_case("pixel_1x1", "up", (3.0, 4.0))
    add_case("tiny_2x2", "up", (3.5, 3.5))
    add_case("impulse_3x3", "up", (3.0, 3.0))
    add_case("step_6x5", "up", (2.5, 2.2))
    add_case("random_5x3", "half_to_even", (0.5, 0.5))  # round(2.5) == 2 and round(1.5) == 2
    add_case("random_5x3", "to_single", (0.2, 1 / 3))  # 1x1 output: zoom factor 1 special case
    add_case("random_9x11", "non_integer", (2.37, 1.91))
    add_case("random_17x13", "non_integer", (1.3, 1.45))
    add_case("random_20x16", "down", (0.35, 0.45))
    add_case("random_20x16", "up_down", (1.55, 0.6))
    add_case("cam_8x8", "small", (23 / 8, 19 / 8))
    # (out - 1) * ((in - 1) / (out - 1)) > in - 1 for in = 8, out = 26: in 'constant' mode scipy's last row falls
    # outside the input and becomes cval.
    add_case("cam_8x8", "overshoot", (26 / 8, 0.75))
    # Zoom 1: scipy returns the input unchanged when prefiltering, but processes it without prefilter.
    add_case("step_6x5", "identity", (1.0, 1.0))
    add_case("step_6x5", "identity_no_prefilter", (1.0, 1.0), prefilter=False)
    add_case("step_6x5", "one_axis", (1.0, 2.0))

    # Parameter variants on small inputs.
    add_case("step_6x5", "cval", (2.5, 2.2), cval=1.5)
    add_case("random_9x11", "cval", (1.6, 1.3), cval=-0.75)
    # 0.1 is not a float32: np.pad rounds it to float32 for the 'grid-constant' prepadding, interpolation uses it as is.
    add_case("step_6x5", "cval_inexact", (2.5, 2.2), cval=0.1)
    add_case("step_6x5", "no_prefilter", (2.5, 2.2), prefilter=False)
    add_case("random_9x11", "no_prefilter", (1.6, 1.3), prefilter=False)
    add_case("step_6x5", "grid_mode", (2.5, 2.2), grid_mode=True)
    add_case("random_9x11", "grid_mode", (1.6, 1.3), grid_mode=True)
    add_case("random_20x16", "grid_mode_down", (0.35, 0.45), grid_mode=True)
    add_case("random_9x11", "grid_mode_cval", (1.6, 1.3), cval=0.5, grid_mode=True)
    add_case("tiny_2x2", "grid_mode", (3.5, 3.5), grid_mode=True)
    add_case("random_9x11", "no_prefilter_grid_mode_cval", (1.6, 1.3), cval=2.0, prefilter=False,
             grid_mode=True)

    # keras-vis sizes: factors = input size / CAM size (computed as keras-vis does), default order 3, 'constant'.
    for name, size in [("cam_8x8", 299), ("cam_7x7", 224), ("cam_14x14", 56)]:
        h, w = inputs[name].shape
        add_case(name, f"kerasvis_{size}", (size / (h * 1.0), size / (w * 1.0)), orders=[3], modes=["constant"],
                 target=(size, size))
    add_case("random_17x13", "large_224", (224 / 17, 224 / 13), orders=[3], modes=["constant"])

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"scipy": scipy.__version__, "numpy": np.__version__, "cases": cases}, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"{len(cases)} cases, {total / 1e6:.2f} MB in {OUT}")


if __name__ == "__main__":
    main()
