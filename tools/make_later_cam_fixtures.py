#!/usr/bin/env python3
"""Writes the references of pytorch-grad-cam's later methods on the PyTorch port of a fixture model
(make_method_fixtures.py's `Ports`), grad-cam 1.5.7:

- multi-layer CAM: several `target_layers`, whose `BaseCAM.aggregate_multi_layers` averages the layers' ReLU'd,
  scaled, resized maps and scales the mean again (multilayer.json);
- GradCAMElementWise, FEM, KPCA_CAM and FinerCAM (latercam.json).

    pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 tf-keras-vis==0.8.7 grad-cam==1.5.7 captum==0.9.0
    python3 tools/make_later_cam_fixtures.py

Writes Tests/Fixtures/methods/{multilayer,latercam}.json and one float32 .npy per case (a few KB each).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_method_fixtures as base  # noqa: E402  (torch before TensorFlow, as it requires)
import numpy as np  # noqa: E402
from pytorch_grad_cam import (FEM, KPCA_CAM, FinerCAM, GradCAM, GradCAMElementWise, GradCAMPlusPlus,  # noqa: E402
                              LayerCAM)


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
    later = []
    for group, model_file, layer_path, address, targets in [
            ("sequential_cnn.average_pooling2d", "sequential_cnn", "average_pooling2d", [5], classes),
            ("inception_v3_narrow.mixed10", "inception_v3_narrow", "mixed10", [310], [4])]:
        keras_model = base.k2.models.load_model(os.path.join(base.MODELS, f"{model_file}.h5"), compile=False)
        x = np.load(os.path.join(base.MODELS, f"{model_file}.input.npy"))
        ports = base.Ports(keras_model, x)
        for name, method, with_targets in [("gradcam-elementwise", GradCAMElementWise, True), ("fem", FEM, True),
                                           ("kpca-cam", KPCA_CAM, True), ("finercam", FinerCAM, False)]:
            torch_model = ports.for_score("output")
            cam = method(model=torch_model, target_layers=[torch_model.block(layer_path)])
            tensor = base.nchw(x)
            if with_targets:
                maps = cam(input_tensor=tensor, targets=base.torch_targets(targets, "output"))
            else:
                maps = cam(input_tensor=tensor)  # FinerCAM's default: each sample's top class against its neighbours
            file = f"latercam.{group}.{name}.npy"
            # float16 (exact to 2.44e-4 in 0.5...1) keeps the 139x139 maps small.
            np.save(os.path.join(base.OUT, file), np.float16(maps))
            later.append({"model": f"models/{model_file}.h5", "input": f"models/{model_file}.input.npy",
                          "method": name, "layer": address, "layer_name": layer_path,
                          "classes": targets if with_targets else None, "expected": file,
                          "library": "pytorch-grad-cam", "version": base.VERSIONS["grad-cam"]})
            del cam
    with open(os.path.join(base.OUT, "latercam.json"), "w") as f:
        json.dump({"cases": later}, f, indent=1)
    print(f"{len(later)} later-method cases")


if __name__ == "__main__":
    sys.exit(main())
