#!/usr/bin/env python3
"""Writes Tests/Fixtures/models/mobilenet_tiny_imagenet.h5: the smallest model kerasvis takes for a keras.applications
ImageNet classifier, for the class-name tests.

kerasvis gives a model the ImageNet class names when its name is one keras.applications' preprocessing is
recognised by (here the `mobilenet` prefix, as in `mobilenet_1.00_224`) and its output has 1000 classes. This
model has both and nothing else of MobileNet: a 16x16 RGB input, one 3x3 convolution with 4 filters, global
average pooling and a 1000-way softmax (9,016 weights, about 50 KB). Its seeded random weights are small and the
output biases favour class 281 (`tabby`), then 282 (`tiger_cat`) and 285 (`Egyptian_cat`), so that any picture is
classified as 281.

    pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 h5py
    python3 tools/make_label_fixtures.py
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tf_keras as k2  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATH = os.path.join(ROOT, "Tests", "Fixtures", "models", "mobilenet_tiny_imagenet.h5")


def main():
    k2.utils.set_random_seed(281)
    layers = k2.layers
    inputs = k2.Input((16, 16, 3), name="input_1")
    x = layers.Conv2D(4, 3, activation="relu", name="conv1")(inputs)
    x = layers.GlobalAveragePooling2D(name="global_average_pooling2d")(x)
    outputs = layers.Dense(1000, activation="softmax", name="predictions")(x)
    model = k2.Model(inputs, outputs, name="mobilenet_tiny_imagenet")
    rng = np.random.default_rng(281)
    kernel, bias = model.get_layer("conv1").get_weights()
    model.get_layer("conv1").set_weights([rng.normal(0, 0.05, kernel.shape), rng.uniform(0, 0.1, bias.shape)])
    kernel, bias = model.get_layer("predictions").get_weights()
    bias = rng.normal(0, 0.1, bias.shape)
    bias[281], bias[282], bias[285] = 6.0, 5.0, 4.0
    model.get_layer("predictions").set_weights([rng.normal(0, 0.01, kernel.shape), bias])
    model.save(PATH, save_format="h5")
    picture = rng.uniform(0, 255, (1, 16, 16, 3)).astype(np.float32) / 127.5 - 1
    top = np.argsort(-model.predict(picture, verbose=0)[0])[:3]
    assert list(top) == [281, 282, 285], top
    print(f"wrote {PATH} ({os.path.getsize(PATH)} bytes); Keras's top classes: {list(top)}")


if __name__ == "__main__":
    main()
