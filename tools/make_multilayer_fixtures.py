#!/usr/bin/env python3
"""Writes the multi-layer CAM references: pytorch-grad-cam (grad-cam 1.5.7) with several `target_layers` on the
PyTorch port of a fixture model (make_method_fixtures.py's `Ports`), whose `BaseCAM.aggregate_multi_layers` averages
the layers' ReLU'd, scaled, resized maps and scales the mean again.

    pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 tf-keras-vis==0.8.7 grad-cam==1.5.7 captum==0.9.0
    python3 tools/make_multilayer_fixtures.py

Writes Tests/Fixtures/methods/multilayer.json and one float32 .npy per case (a few KB).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_method_fixtures as base  # noqa: E402  (torch before TensorFlow, as it requires)
import numpy as np  # noqa: E402
from pytorch_grad_cam import GradCAM, GradCAMPlusPlus, LayerCAM  # noqa: E402


def main():
    keras_model = base.k2.models.load_model(os.path.join(base.MODELS, "sequential_cnn.h5"), compile=False)
    x = np.load(os.path.join(base.MODELS, "sequential_cnn.input.npy"))
    ports = base.Ports(keras_model, x)
    classes = [3, 7]
    layers = [("activation", [4]), ("average_pooling2d", [5])]
    cases = []
    for name, method in [("gradcam", GradCAM), ("gradcam++", GradCAMPlusPlus), ("layercam", LayerCAM)]:
        torch_model = ports.for_score("output")
        cam = method(model=torch_model, target_layers=[torch_model.block(path) for path, _ in layers])
        maps = cam(input_tensor=base.nchw(x), targets=base.torch_targets(classes, "output")).astype(np.float32)
        file = f"multilayer.sequential_cnn.{name}.npy"
        np.save(os.path.join(base.OUT, file), maps)
        cases.append({"model": "models/sequential_cnn.h5", "input": "models/sequential_cnn.input.npy",
                      "method": name, "layers": [address for _, address in layers],
                      "layer_names": [path for path, _ in layers], "classes": classes, "expected": file,
                      "library": "pytorch-grad-cam", "version": base.VERSIONS["grad-cam"]})
        del cam
    with open(os.path.join(base.OUT, "multilayer.json"), "w") as f:
        json.dump({"cases": cases}, f, indent=1)
    print(f"{len(cases)} multi-layer cases")


if __name__ == "__main__":
    sys.exit(main())
