#!/usr/bin/env python3
"""Writes the references for ViT explanations into Tests/Fixtures/models, on the Keras 3 fixture `vit_k3.keras`
(written by make_fixtures.py first):

- `vit_k3.rollout.FUSION_RATIO.npy`: jacobgil/vit-explain's attention rollout (`vit_rollout.rollout`) of each
  stored sample, `(N, 4, 4)`, for head fusions mean, max, min and discard ratios 0.9 and 0.5;
- `vit_k3.grad_rollout.RATIO.npy`: its gradient rollout (`vit_grad_rollout.grad_rollout`) for the top class of each
  sample (the score is the model's softmax output, as `ExplanationTarget.Score.output`);
- `vit_k3.ptgc.gradcam.npy`: pytorch-grad-cam's Grad-CAM through `vit_reshape_transform` at `block1_norm1`
  (its `(N, 17, 16)` token output and gradient from TensorFlow, reshaped and weighted by pytorch-grad-cam's own
  `vit_reshape_transform`, `GradCAM.get_cam_weights` and `scale_cam_image`), for the top classes;
- `vit_k3.ptgc.ablationcam.npy`: pytorch-grad-cam's AblationCAM with `AblationLayerVit` and `vit_reshape_transform`
  at `block1_norm1`, for the top classes: the class itself runs the Keras model wrapped as a `torch.nn.Module` whose
  `norm1` child (a pass-through, the target layer) receives the layer's TensorFlow output and hands on whatever it
  returns, so that pytorch-grad-cam's ablation layer replaces it as in its ViT tutorial;
- `vit_explain.json`: the classes and layer addresses.

`--only-ablationcam` writes the Ablation-CAM reference alone.

vit-explain is not on PyPI: its two functions are re-implemented here in NumPy from its source
(github.com/jacobgil/vit-explain, vit_rollout.py and vit_grad_rollout.py), quirks included: PyTorch's
broadcasting of `a / a.sum(dim=-1)` on a `(1, T, T)` batch divides entry `[i, j]` by the sum of row `j`; each image
runs as a batch of one, as vit-explain runs it. The attention probabilities are those Keras's MultiHeadAttention
computes (`_compute_attention`, its non-fused path, wrapped to record them under a GradientTape).

    pip install tensorflow-cpu==2.21.0 keras grad-cam torch
    python3 tools/make_vit_explain_fixtures.py
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from pytorch_grad_cam import AblationCAM, GradCAM  # noqa: E402
from pytorch_grad_cam.ablation_layer import AblationLayerVit  # noqa: E402
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget  # noqa: E402
from pytorch_grad_cam.utils.image import scale_cam_image  # noqa: E402
from pytorch_grad_cam.utils.reshape_transforms import vit_reshape_transform  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "Tests", "Fixtures", "models")
NAME = "vit_k3"
CAM_LAYER = "block1_norm1"


def rollout(attentions, discard_ratio, head_fusion):
    """vit_rollout.rollout for one image: `attentions` are (1, heads, T, T) arrays."""
    tokens = attentions[0].shape[-1]
    result = np.eye(tokens, dtype=np.float32)
    for attention in attentions:
        if head_fusion == "mean":
            fused = attention.mean(axis=1)
        elif head_fusion == "max":
            fused = attention.max(axis=1)
        else:
            fused = attention.min(axis=1)
        flat = fused.reshape(fused.shape[0], -1)  # a view: writes reach `fused`
        count = int(flat.shape[-1] * discard_ratio)
        indices = np.argsort(flat[0], kind="stable")[:count]
        indices = indices[indices != 0]
        flat[0, indices] = 0
        a = (fused + np.eye(tokens, dtype=np.float32)) / 2
        a = a / a.sum(axis=-1)  # (1, T, T) / (1, T): column j divided by the sum of row j
        result = np.matmul(a, result)
    mask = result[0, 0, 1:]
    width = int(mask.shape[-1] ** 0.5)
    mask = mask.reshape(width, width)
    return mask / np.max(mask)


def grad_rollout(attentions, gradients, discard_ratio):
    """vit_grad_rollout.grad_rollout for one image."""
    tokens = attentions[0].shape[-1]
    result = np.eye(tokens, dtype=np.float32)
    for attention, grad in zip(attentions, gradients):
        fused = (attention * grad).mean(axis=1)
        fused[fused < 0] = 0
        flat = fused.reshape(fused.shape[0], -1)
        count = int(flat.shape[-1] * discard_ratio)
        indices = np.argsort(flat[0], kind="stable")[:count]
        flat[0, indices] = 0
        a = (fused + np.eye(tokens, dtype=np.float32)) / 2
        a = a / a.sum(axis=-1)
        result = np.matmul(a, result)
    mask = result[0, 0, 1:]
    width = int(mask.shape[-1] ** 0.5)
    mask = mask.reshape(width, width)
    return mask / np.max(mask)


def recorded_run(model, x):
    """The model's output for `x` under a tape, with every MultiHeadAttention's probabilities recorded."""
    recorded = []
    original = keras.layers.MultiHeadAttention._compute_attention

    def compute(self, query, key, value, attention_mask=None, training=None, return_attention_scores=False,
                use_causal_mask=False):
        output, scores = original(self, query, key, value, attention_mask, training, True, use_causal_mask)
        recorded.append(scores)
        return output, scores if return_attention_scores else None

    keras.layers.MultiHeadAttention._compute_attention = compute
    try:
        tape = tf.GradientTape(persistent=True)
        with tape:
            output = model(tf.constant(x), training=False)
    finally:
        keras.layers.MultiHeadAttention._compute_attention = original
    return tape, output, recorded


class PassThrough(torch.nn.Module):
    """The target layer's stand-in: pytorch-grad-cam hooks it and swaps it for its ablation layer."""

    def forward(self, tokens):
        return tokens


class TorchWrappedKeras(torch.nn.Module):
    """The Keras model as a `torch.nn.Module` on `(N, C, H, W)` inputs; the output of the Keras layer `layer` goes
    through the child `norm1`, and the model goes on with what `norm1` returns."""

    def __init__(self, model, layer):
        super().__init__()
        self.keras = (model, layer)  # a tuple, so that torch does not register them
        self.norm1 = PassThrough()
        self.anchor = torch.nn.Parameter(torch.zeros(1), requires_grad=False)  # BaseCAM reads the device from one

    def forward(self, x):
        model, layer = self.keras
        kind = type(layer)
        original = kind.call
        norm1 = self.norm1

        def call(this, *args, **kwargs):
            output = original(this, *args, **kwargs)
            if this is layer:
                output = tf.constant(norm1(torch.from_numpy(np.array(output))).numpy())
            return output

        kind.call = call
        try:
            output = model(tf.constant(x.permute(0, 2, 3, 1).numpy()), training=False)
        finally:
            kind.call = original
        return torch.from_numpy(np.array(output))


def ablation_cam(model, x, classes):
    """pytorch-grad-cam's AblationCAM (AblationLayerVit, batch size 32) at CAM_LAYER, as in its ViT tutorial."""
    wrapped = TorchWrappedKeras(model, model.get_layer(CAM_LAYER))
    side = int((model.get_layer(CAM_LAYER).output.shape[1] - 1) ** 0.5)
    cam = AblationCAM(model=wrapped, target_layers=[wrapped.norm1],
                      reshape_transform=lambda tokens: vit_reshape_transform(tokens, side, side),
                      ablation_layer=AblationLayerVit())
    maps = cam(torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(), [ClassifierOutputTarget(c) for c in classes])
    cam.activations_and_grads.release()
    np.save(os.path.join(MODELS, f"{NAME}.ptgc.ablationcam.npy"), np.asarray(maps, np.float32))


def main():
    model = keras.models.load_model(os.path.join(MODELS, f"{NAME}.keras"), compile=False)
    x = np.load(os.path.join(MODELS, f"{NAME}.input.npy"))
    names = [layer.name for layer in model.layers]
    classes = [int(c) for c in np.argmax(np.asarray(model(x, training=False)), axis=-1)]
    ablation_cam(model, x, classes)
    if "--only-ablationcam" in sys.argv:
        return
    manifest = {"classes": classes, "attention_layers": [i for i, l in enumerate(model.layers)
                                                         if isinstance(l, keras.layers.MultiHeadAttention)]}
    for fusion in ("mean", "max", "min"):
        for ratio in (0.9, 0.5):
            maps = []
            for sample in range(len(x)):
                _, _, attentions = recorded_run(model, x[sample:sample + 1])
                maps.append(rollout([np.asarray(a) for a in attentions], ratio, fusion))
            np.save(os.path.join(MODELS, f"{NAME}.rollout.{fusion}_{ratio}.npy"), np.asarray(maps, np.float32))
    for ratio in (0.9, 0.5):
        maps = []
        for sample in range(len(x)):
            tape, output, attentions = recorded_run(model, x[sample:sample + 1])
            with tape:
                score = tf.reduce_sum(output[:, classes[sample]])
            gradients = tape.gradient(score, attentions)
            maps.append(grad_rollout([np.asarray(a) for a in attentions], [np.asarray(g) for g in gradients], ratio))
        np.save(os.path.join(MODELS, f"{NAME}.grad_rollout.{ratio}.npy"), np.asarray(maps, np.float32))
    # Grad-CAM through vit_reshape_transform: activations and gradients from TensorFlow, the rest pytorch-grad-cam's.
    layer = model.get_layer(CAM_LAYER)
    probe = keras.Model(model.inputs, [layer.output, model.output])
    with tf.GradientTape() as tape:
        tokens, output = probe(tf.constant(x), training=False)
        score = tf.reduce_sum(tf.gather(output, classes, axis=1, batch_dims=0) * tf.eye(len(x)))
    gradient = tape.gradient(score, tokens)
    side = int((tokens.shape[1] - 1) ** 0.5)
    activations = vit_reshape_transform(torch.tensor(np.asarray(tokens)), side, side).numpy()
    gradients = vit_reshape_transform(torch.tensor(np.asarray(gradient)), side, side).numpy()
    weights = GradCAM.get_cam_weights(None, None, None, None, activations, gradients)
    cam = np.maximum((weights[:, :, None, None] * activations).sum(axis=1), 0)
    # BaseCAM.compute_cam_per_layer scales each layer's map to the input size; aggregate_multi_layers scales the
    # (one-layer) mean again.
    maps = scale_cam_image(np.maximum(scale_cam_image(cam, (x.shape[2], x.shape[1])), 0))
    np.save(os.path.join(MODELS, f"{NAME}.ptgc.gradcam.npy"), np.asarray(maps, np.float32))
    manifest["cam_layer"] = [names.index(CAM_LAYER)]
    with open(os.path.join(MODELS, "vit_explain.json"), "w") as file:
        json.dump(manifest, file)


if __name__ == "__main__":
    main()
