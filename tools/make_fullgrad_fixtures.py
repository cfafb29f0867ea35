#!/usr/bin/env python3
"""Writes the references of pytorch-grad-cam 1.5.7's `FullGrad` and `ShapleyCAM` on PyTorch ports of the Keras
fixture models (Tests/Fixtures/methods/fullgrad.json and one float16 map per case).

The port is make_method_fixtures.py's `TorchPort` (imported through make_later_cam_fixtures.py, not copied), with
one change for FullGrad: pytorch-grad-cam's FullGrad finds its layers by module type (`torch.nn.Conv2d` and
`torch.nn.BatchNorm2d` with a bias), and the port computes every Keras layer in one generic module, so each Keras
Conv2D and DepthwiseConv2D becomes a `torch.nn.Conv2d` (TensorFlow's `same` padding applied before it, the Keras
`activation=` after it, so the module's output, whose gradient FullGrad reads, is the convolution's output before
its activation) and each BatchNormalization of a 4-D tensor a `torch.nn.BatchNorm2d` in eval mode (Keras's gamma,
beta, moving mean and variance, epsilon). A convolution without a bias is a `Conv2d(bias=False)`, which FullGrad
skips, as kerasvis skips a Conv2D with `use_bias=False`; a following BatchNormalization is a layer of its own on both
sides. The modules stay in `model.layers` order, the order in which they run, so FullGrad pairs each module's bias
with its own gradient (checked below). The port's outputs are checked against Keras before anything else.

ShapleyCAM runs on the unchanged port (its target layer is a Keras layer's output, activation included), with the
Hessian-vector product PyTorch's double backward computes; the layers are the last feature maps (a smooth head
above them: global average pooling, Dense, softmax) and inner ones with ReLUs and max poolings above
(`block_10_expand_relu`, `mixed5`, and sequential_cnn's layers under its Dense ReLU), where kerasvis takes the other
of its two ways to the product. (grad-cam 1.5.7's `ActivationsAndGradients.release` fails on ShapleyCAM's
gradients when the object is collected, "Can't detach views in-place"; PyTorch prints and ignores that.)

    pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 grad-cam==1.5.7
    python3 tools/make_fullgrad_fixtures.py
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_later_cam_fixtures as later  # noqa: E402  (torch before TensorFlow, as it requires)
import numpy as np  # noqa: E402
import torch  # noqa: E402
import pytorch_grad_cam.fullgrad_cam  # noqa: E402
from pytorch_grad_cam import FullGrad, ShapleyCAM  # noqa: E402

base = later.base
# FullGrad's eigen smoothing with the projection's sign chosen as kerasvis chooses it (make_method_fixtures.py).
pytorch_grad_cam.fullgrad_cam.get_2d_projection = base._projection_with_kerasvis_sign


class Conv2dLayer(torch.nn.Module):
    """A ported Keras Conv2D or DepthwiseConv2D as a `torch.nn.Conv2d` (padding before, activation after)."""

    def __init__(self, ported):
        super().__init__()
        c = ported.config
        self.config = c
        weight = ported.weight.detach()
        out_channels, per_group, kh, kw = weight.shape
        groups = 1
        if ported.kind == "DepthwiseConv2D":
            groups = out_channels // c["depth_multiplier"]
        self.conv = torch.nn.Conv2d(per_group * groups, out_channels, (kh, kw), tuple(c["strides"]), 0,
                                    tuple(c.get("dilation_rate", (1, 1))), groups, bias=ported.bias is not None)
        with torch.no_grad():
            self.conv.weight.copy_(weight)
            if ported.bias is not None:
                self.conv.bias.copy_(ported.bias.detach())
        self.act = ported.act

    def forward(self, x):
        c = self.config
        if c["padding"] == "same":
            x = base._pad_same(x, c["kernel_size"], tuple(c["strides"]), tuple(c.get("dilation_rate", (1, 1))))
        return self.act(self.conv(x))


class BatchNorm2dLayer(torch.nn.Module):
    """A ported Keras BatchNormalization of a 4-D tensor as a `torch.nn.BatchNorm2d` in eval mode."""

    def __init__(self, ported):
        super().__init__()
        self.norm = torch.nn.BatchNorm2d(ported.mean.shape[0], eps=ported.config["epsilon"])
        with torch.no_grad():
            self.norm.running_mean.copy_(ported.mean)
            self.norm.running_var.copy_(ported.variance)
            self.norm.weight.copy_(ported.gamma)
            self.norm.bias.copy_(ported.beta)
        self.norm.eval()

    def forward(self, x):
        return self.norm(x)


def with_torch_modules(port, keras_model):
    """Replaces, in place, the port's Conv2D, DepthwiseConv2D and 4-D BatchNormalization layers (nested models
    included) by modules holding `torch.nn.Conv2d` / `torch.nn.BatchNorm2d`; returns the port."""
    for layer in keras_model.layers:
        key = base.TorchPort._key(layer.name)
        block = port.blocks[key]
        if isinstance(block, base.TorchPort):
            with_torch_modules(block, layer)
        elif block.kind in ("Conv2D", "DepthwiseConv2D"):
            port.blocks[key] = Conv2dLayer(block)
        elif block.kind == "BatchNormalization" and len(layer.input_shape) == 4:
            port.blocks[key] = BatchNorm2dLayer(block)
    return port


def check_bias_order(torch_model, x):
    """pytorch-grad-cam pairs the i-th bias module (in registration order) with the i-th gradient (in the order the
    modules run): check that the two orders agree, so every bias meets its own gradient."""
    cam = FullGrad(model=torch_model, target_layers=[])
    ran = []
    handles = [layer.register_forward_hook(lambda module, i, o: ran.append(module)) for layer in cam.target_layers]
    with torch.no_grad():
        torch_model(base.nchw(x))
    for handle in handles:
        handle.remove()
    assert [id(m) for m in ran] == [id(m) for m in cam.target_layers], "bias modules run out of registration order"
    del cam
    return len(ran)


def main():
    cases = []
    for group, model_file, classes, shapley_layers in [
            ("sequential_cnn", "sequential_cnn", [3, 7], [("average_pooling2d", [5]), ("activation", [4])]),
            ("nested_mobilenet", "nested_mobilenet", [1, 4],
             [("mobilenetv2_0.10_96/out_relu", None), ("mobilenetv2_0.10_96/block_10_expand_relu", None)]),
            ("inception_v3_narrow", "inception_v3_narrow", [4], [("mixed10", [310]), ("mixed5", [164])])]:
        keras_model = base.k2.models.load_model(os.path.join(base.MODELS, f"{model_file}.h5"), compile=False)
        x = np.load(os.path.join(base.MODELS, f"{model_file}.input.npy"))
        ports = base.Ports(keras_model, x)
        model_path = f"models/{model_file}.h5"
        input_path = f"models/{model_file}.input.npy"

        # FullGrad on the port with torch.nn modules.
        torch_model = with_torch_modules(base.TorchPort(keras_model).eval(), keras_model)
        with torch.no_grad():
            error = np.abs(torch_model(base.nchw(x)).numpy() - keras_model(x, training=False).numpy()).max()
        assert error < 1e-5, f"{model_file}: the torch.nn port differs from Keras by {error}"
        bias_layers = check_bias_order(torch_model, x)
        smoothings = [(False, False)] + ([(True, False), (False, True)] if group == "sequential_cnn" else [])
        for eigen_smooth, aug_smooth in smoothings:
            cam = FullGrad(model=torch_model, target_layers=[])
            maps = cam(input_tensor=base.nchw(x), targets=base.torch_targets(classes, "output"),
                       eigen_smooth=eigen_smooth, aug_smooth=aug_smooth)
            suffix = "".join(["_eigen" if eigen_smooth else "", "_aug" if aug_smooth else ""])
            file = f"fullgrad.{group}{suffix}.npy"
            # float16 (exact to 2.44e-4 in 0.5...1) keeps the maps small.
            np.save(os.path.join(base.OUT, file), np.float16(maps))
            cases.append({"model": model_path, "input": input_path, "method": "fullgrad", "classes": classes,
                          "eigen_smooth": eigen_smooth, "aug_smooth": aug_smooth, "bias_layers": bias_layers,
                          "expected": file, "library": "pytorch-grad-cam", "version": base.VERSIONS["grad-cam"]})
            del cam
        print(f"  fullgrad: {bias_layers} bias layers, max |torch.nn port - keras| = {error:.2e}")

        # ShapleyCAM on the unchanged port.
        for layer_path, address in shapley_layers:
            if address is None:  # a layer inside the nested model: [index of the model, index inside it]
                outer, inner = layer_path.split("/")
                nested = keras_model.get_layer(outer)
                address = [[layer.name for layer in keras_model.layers].index(outer),
                           [layer.name for layer in nested.layers].index(inner)]
            # The logit (softmax left out) of a piecewise linear head has no curvature: ShapleyCAM is Grad-CAM there;
            # one such case is enough.
            for score in ["output", "logit"] if group == "sequential_cnn" else ["output"]:
                torch_model = ports.for_score(score)
                cam = ShapleyCAM(model=torch_model, target_layers=[torch_model.block(layer_path)])
                maps = cam(input_tensor=base.nchw(x), targets=base.torch_targets(classes, score))
                file = f"shapleycam.{group}.{layer_path.split('/')[-1]}.{score}.npy"
                np.save(os.path.join(base.OUT, file), np.float16(maps))
                cases.append({"model": model_path, "input": input_path, "method": "shapleycam", "layer": address,
                              "layer_name": layer_path, "classes": classes, "score": score, "expected": file,
                              "library": "pytorch-grad-cam", "version": base.VERSIONS["grad-cam"]})
                del cam
    with open(os.path.join(base.OUT, "fullgrad.json"), "w") as f:
        json.dump({"cases": cases}, f, indent=1)
    total = sum(os.path.getsize(os.path.join(base.OUT, case["expected"])) for case in cases)
    print(f"{len(cases)} cases, {total / 1024:.0f} KiB of maps")


if __name__ == "__main__":
    sys.exit(main())
