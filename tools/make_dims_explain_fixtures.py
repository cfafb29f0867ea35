#!/usr/bin/env python3
"""Writes the references for explanations of 1-D and 3-D models into Tests/Fixtures/models, from tf-keras-vis and
scipy on the tf-keras fixtures `conv1d_zoo_k2.h5` and `conv3d_zoo_k2.h5` (written by make_fixtures.py first):

- `NAME.tkv.METHOD.npy`: tf-keras-vis's Gradcam, GradcamPlusPlus, Layercam (penultimate layer given, float32 maps
  resized to the input length or volume with `zoom(cam, factors, order=1)`) and Saliency, for classes 1 and 2 of the
  two stored samples (`CategoricalScore([1, 2])` on the softmax output);
- `NAME.tkv.scorecam.npy`, `NAME.tkv.scorecam_max2.npy`: tf-keras-vis's Scorecam (every channel, and Faster
  Score-CAM's `max_N=2`) on the same layer and classes, float16 (maps in 0...1; its masks are `zoom(order=1,
  mode='nearest')` of the `(N, L, C)` or `(N, D, H, W, C)` maps);
- `NAME.kv.cam.npy`, `NAME.kv.saliency.npy`: keras-vis's visualize_cam (cubic `zoom` of the heatmap to the input's
  length or volume) and visualize_saliency (tools/kerasvis_reference.py) of class 1 for the first sample;
- `dims_zoom.*.npy`: `scipy.ndimage.zoom` of a random 3-D array (orders 1 and 3, as tf-keras-vis and
  pytorch-grad-cam/keras-vis zoom 3-D maps) and of a 1-D one.

    pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 tf-keras-vis==0.8.7 scipy
    python3 tools/make_dims_explain_fixtures.py
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_USE_LEGACY_KERAS"] = "1"  # tf-keras-vis works on tf.keras, which is then tf_keras
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import sys  # noqa: E402

import numpy as np  # noqa: E402
import scipy.ndimage  # noqa: E402
import tf_keras as k2  # noqa: E402
from tf_keras_vis.gradcam import Gradcam  # noqa: E402
from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus  # noqa: E402
from tf_keras_vis.layercam import Layercam  # noqa: E402
from tf_keras_vis.saliency import Saliency  # noqa: E402
from tf_keras_vis.scorecam import Scorecam  # noqa: E402
from tf_keras_vis.utils.scores import CategoricalScore  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kerasvis_reference as kv  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "Tests", "Fixtures", "models")
# The model, its feature-map layer (a low-resolution one, so that the zoom matters), the classes of the samples.
CASES = {"conv1d_zoo_k2": ("max_pooling1d", [1, 2]), "conv3d_zoo_k2": ("max_pooling3d", [1, 2])}


def main():
    manifest = {}
    for name, (layer, classes) in CASES.items():
        model = k2.models.load_model(os.path.join(MODELS, f"{name}.h5"), compile=False)
        x = np.load(os.path.join(MODELS, f"{name}.input.npy"))
        score = CategoricalScore(classes)
        for method, kind in (("gradcam", Gradcam), ("gradcam++", GradcamPlusPlus), ("layercam", Layercam)):
            maps = kind(model, clone=True)(score, x, penultimate_layer=layer, seek_penultimate_conv_layer=False)
            np.save(os.path.join(MODELS, f"{name}.tkv.{method}.npy"), np.asarray(maps, dtype=np.float32))
        for suffix, max_n in (("", None), ("_max2", 2)):
            maps = Scorecam(model, clone=True)(score, x, penultimate_layer=layer, seek_penultimate_conv_layer=False,
                                               max_N=max_n)
            np.save(os.path.join(MODELS, f"{name}.tkv.scorecam{suffix}.npy"), np.asarray(maps, dtype=np.float16))
        maps = Saliency(model, clone=True)(score, x)
        np.save(os.path.join(MODELS, f"{name}.tkv.vanilla.npy"), np.asarray(maps, dtype=np.float32))
        index = [l.name for l in model.layers].index(layer)
        cam, _ = kv.visualize_cam(model, -1, [1], x[0], k2, penultimate_layer_idx=index)
        np.save(os.path.join(MODELS, f"{name}.kv.cam.npy"), np.asarray(cam, dtype=np.float32))
        saliency = kv.visualize_saliency(model, -1, [1], x[0], k2)
        np.save(os.path.join(MODELS, f"{name}.kv.saliency.npy"), np.asarray(saliency, dtype=np.float32))
        manifest[name] = {"layer": layer, "address": [[l.name for l in model.layers].index(layer)],
                          "classes": classes}
    rng = np.random.default_rng(91)
    volume = rng.uniform(-1, 1, (3, 2, 4)).astype(np.float32)
    line = rng.uniform(-1, 1, (5,)).astype(np.float32)
    np.save(os.path.join(MODELS, "dims_zoom.volume.npy"), volume)
    np.save(os.path.join(MODELS, "dims_zoom.line.npy"), line)
    for order in (1, 3):
        np.save(os.path.join(MODELS, f"dims_zoom.volume.order{order}.npy"),
                scipy.ndimage.zoom(volume, (2, 1.5, 0.75), order=order))
        np.save(os.path.join(MODELS, f"dims_zoom.line.order{order}.npy"), scipy.ndimage.zoom(line, 9 / 5, order=order))
    with open(os.path.join(MODELS, "dims_explain.json"), "w") as file:
        json.dump(manifest, file)


if __name__ == "__main__":
    main()
