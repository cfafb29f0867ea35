#!/usr/bin/env python3
"""Reference numbers for kerasvis's lucid-style feature visualization, from lucent (torch-lucent 0.1.8).

Writes Tests/Fixtures/lucid/lucent.json: lucent's fft_image + to_valid_rgb(decorrelate=True) for given Fourier
coefficients (even and odd sizes), its colour decorrelation, each of transform.standard_transforms at given
draws (jitter offsets, scales, angles; kornia's translate/warp_affine and torch's Upsample as lucent calls them),
the final Upsample to the model's size, and two steps of torch's Adam on given gradients.
Run: python3 tools/make_lucid_fixtures.py   (needs torch, torch-lucent, kornia)
"""
import json
import os
from unittest import mock

import numpy as np
import torch

from lucent.optvis import param, transform
from lucent.optvis.param import color

torch.manual_seed(0)
rng = np.random.default_rng(15)
out = {"lucent": "torch-lucent 0.1.8", "torch": torch.__version__}


def listed(t):
    return [float(v) for v in np.asarray(t.detach().cpu().numpy(), dtype=np.float64).ravel()]


# Parameterization: fft_image + to_valid_rgb(decorrelate=True), on given coefficients.
cases = []
for (n, c, h, w) in [(1, 3, 8, 8), (2, 3, 6, 7), (1, 3, 5, 6)]:
    params, image_f = param.fft_image((n, c, h, w))
    coefficients = torch.tensor(rng.standard_normal(params[0].shape).astype(np.float32) * 0.5)
    with torch.no_grad():
        params[0].copy_(coefficients)
    spatial = image_f()
    rgb = color.to_valid_rgb(image_f, decorrelate=True)()
    cases.append({"shape": [n, c, h, w], "coefficientShape": list(params[0].shape),
                  "coefficients": listed(coefficients), "spatial": listed(spatial), "rgb": listed(rgb)})
out["parameterization"] = cases

# Decorrelation alone.
x = torch.tensor(rng.standard_normal((1, 3, 4, 5)).astype(np.float32))
out["decorrelation"] = {"shape": [1, 3, 4, 5], "input": listed(x),
                        "output": listed(color._linear_decorrelate_color(x))}

# Transforms at given draws.
image = torch.tensor(rng.uniform(0, 1, (1, 3, 11, 11)).astype(np.float32))
out["transformInput"] = {"shape": [1, 3, 11, 11], "values": listed(image)}


def with_choices(values, f, x):
    it = iter(values)
    with mock.patch.object(np.random, "choice", lambda a: next(it)):
        return f(x)


transforms = []
transforms.append({"kind": "pad", "amount": 12, "output": listed(transform.pad(12, mode="constant",
                                                                                constant_value=0.5)(image))})
for dx, dy in [(0, 0), (3, 5), (7, 1)]:
    y = with_choices([dx, dy], transform.jitter(8), image)
    transforms.append({"kind": "jitter", "dx": dx, "dy": dy, "shape": list(y.shape), "output": listed(y)})
for scale in [0.9, 0.96, 1.0, 1.04, 1.1]:
    y = with_choices([np.float64(scale)], transform.random_scale([scale]), image)
    transforms.append({"kind": "scale", "scale": scale, "shape": list(y.shape), "output": listed(y)})
for angle in [-10, -3, 0, 7, 10]:
    y = with_choices([angle], transform.random_rotate([angle]), image)
    transforms.append({"kind": "rotate", "angle": angle, "shape": list(y.shape), "output": listed(y)})
y = torch.nn.Upsample(size=16, mode="bilinear", align_corners=True)(image)
transforms.append({"kind": "resize", "size": 16, "shape": list(y.shape), "output": listed(y)})
out["transforms"] = transforms

# Adam: two steps on given gradients.
p = torch.tensor(rng.standard_normal(6).astype(np.float32), requires_grad=True)
start = p.detach().clone()
opt = torch.optim.Adam([p], lr=0.05)
grads = [rng.standard_normal(6).astype(np.float32) for _ in range(3)]
steps = []
for g in grads:
    p.grad = torch.tensor(g)
    opt.step()
    steps.append(listed(p))
out["adam"] = {"learningRate": 0.05, "start": listed(start), "gradients": [listed(torch.tensor(g)) for g in grads],
               "steps": steps}

path = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "lucid", "lucent.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", path, os.path.getsize(path), "bytes")
