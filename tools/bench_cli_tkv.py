#!/usr/bin/env python3
"""The whole job `kerasvis cam MODEL PHOTO --penultimate LAYER --out OUT` does, written with tf-keras-vis as its
examples do: load the model (tf-keras), load the photo at the model's input size and preprocess it as
keras.applications does, Grad-CAM of the top class at LAYER (Gradcam with CategoricalScore, ReplaceToLinear off),
the heatmap resized to the photo's own size, coloured with matplotlib's jet and blended over the photo (alpha 0.5),
written as PNG. tools/bench_cli times it cold beside kerasvis.

    pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 tf-keras-vis==0.8.7 matplotlib pillow
    python3 tools/bench_cli_tkv.py MODEL.h5 PHOTO.jpg LAYER OUT.png
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_USE_LEGACY_KERAS"] = "1"

import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402
from matplotlib import colormaps  # noqa: E402
from PIL import Image  # noqa: E402
from tf_keras_vis.gradcam import Gradcam  # noqa: E402
from tf_keras_vis.utils.scores import CategoricalScore  # noqa: E402


def main(model_path, photo_path, layer, out_path):
    model = keras.models.load_model(model_path, compile=False)
    height, width = model.input_shape[1:3]
    picture = keras.utils.load_img(photo_path, target_size=(height, width))
    x = keras.applications.inception_v3.preprocess_input(
        np.expand_dims(keras.utils.img_to_array(picture), 0))
    top = int(np.argmax(model(x, training=False)[0]))
    cam = Gradcam(model, clone=False)(
        CategoricalScore([top]), x, penultimate_layer=layer, seek_penultimate_conv_layer=False)[0]
    photo = Image.open(photo_path).convert("RGB")
    heat = np.asarray(Image.fromarray(np.uint8(cam * 255)).resize(photo.size, Image.BILINEAR)) / 255.0
    colored = np.uint8(colormaps["jet"](heat)[..., :3] * 255)
    blended = np.uint8(0.5 * np.asarray(photo, dtype=np.float32) + 0.5 * colored)
    Image.fromarray(blended).save(out_path)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
