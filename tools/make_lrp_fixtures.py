#!/usr/bin/env python3
"""Writes the Layer-wise Relevance Propagation references of kerasvis (Tests/Fixtures/methods/lrp) with zennit.

Two small tf-keras models are built here (seeded) and saved as .h5:

- `lrp_cnn` (Sequential): Conv2D(relu) - MaxPooling2D - Conv2D(relu) - AveragePooling2D - Flatten - Dense(relu) -
  Dense(softmax);
- `lrp_blocks` (Functional): Conv2D without bias - BatchNormalization - ReLU - a nested Sequential block (Conv2D -
  BatchNormalization - ReLU) - Add (residual) - DepthwiseConv2D - BatchNormalization - ReLU and, beside it,
  SeparableConv2D(relu) - Concatenate - GlobalAveragePooling2D - Dense(softmax).

Each model is rebuilt in PyTorch from real torch modules (Conv2d, Linear, BatchNorm2d, ReLU, MaxPool2d, AvgPool2d,
AdaptiveAvgPool2d; DepthwiseConv2D as a grouped Conv2d, SeparableConv2D as two Conv2d; the residual Add as stacked
inputs summed by zennit's `Sum` layer, as zennit's ResNet canonizer does), weight by weight, registered in Keras's
layer order, and checked against Keras's output. zennit then runs every rule (one rule for every linear layer, on top
of zennit's `layer_map_base`: Pass for activations and BatchNorm, Norm for Sum and average pooling) and the
composites EpsilonPlusFlat, EpsilonGammaBox, EpsilonAlpha2Beta1 and a Deep Taylor composite (ZBox first, ZPlus
elsewhere), all with `SequentialMergeBatchNorm` (each BatchNorm ported with its epsilon added to the variance and
`eps=0`: zennit 0.5.1's merged BatchNorm is meant to be the identity but computes `x / sqrt(1 + eps)`, which kerasvis
does not reproduce). The relevance starts from `one-hot * logits` (the output softmax
left out: kerasvis's `--score logit`); each sample is explained alone so that ZBox's bounds can be its own input
range (kerasvis's default). The references are float32 NHWC input relevances.

    pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 zennit torch
    python3 tools/make_lrp_fixtures.py
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_method_fixtures as base  # noqa: E402  (torch before TensorFlow, as it requires)
import importlib.metadata as metadata  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import zennit.composites as zc  # noqa: E402
import zennit.rules as zr  # noqa: E402
import zennit.types as zt  # noqa: E402
from zennit.canonizers import SequentialMergeBatchNorm  # noqa: E402
from zennit.layer import Sum  # noqa: E402

k2 = base.k2
OUT = os.path.join(base.ROOT, "Tests", "Fixtures", "methods", "lrp")
VERSIONS = {name: metadata.version(name) for name in ["zennit", "torch", "tensorflow", "tf-keras"]}
torch.set_default_dtype(torch.float64)  # the references in double precision; kerasvis computes in float32


# ------------------------------------------------------------------------------------------- the models

def randomize(model, rng):
    """Random biases (Keras starts them at zero, which would hide the rules' bias terms) and BatchNormalization
    statistics."""
    for layer in model.layers:
        if isinstance(layer, k2.Model):
            randomize(layer, rng)
        elif getattr(layer, "bias", None) is not None:
            layer.bias.assign(rng.normal(0, 0.1, layer.bias.shape))
        if isinstance(layer, k2.layers.BatchNormalization):
            gamma, beta, mean, variance = layer.get_weights()
            layer.set_weights([
                rng.uniform(0.5, 1.5, gamma.shape), rng.normal(0, 0.2, beta.shape),
                rng.normal(0, 0.3, mean.shape), rng.uniform(0.5, 2.0, variance.shape)])


def lrp_cnn():
    k2.utils.set_random_seed(11)
    layers = k2.layers
    model = k2.Sequential([
        layers.Input((10, 10, 3)),
        layers.Conv2D(6, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(8, 3, activation="relu"),
        layers.AveragePooling2D(3),
        layers.Flatten(),
        layers.Dense(12, activation="relu"),
        layers.Dense(5, activation="softmax"),
    ], name="lrp_cnn")
    randomize(model, np.random.default_rng(11))
    return model


def lrp_blocks():
    k2.utils.set_random_seed(12)
    layers = k2.layers
    x = layers.Input((8, 8, 3))
    a = layers.Conv2D(8, 3, padding="same", use_bias=False)(x)
    a = layers.BatchNormalization()(a)
    a = layers.ReLU()(a)
    block = k2.Sequential([
        layers.Input((8, 8, 8)),
        layers.Conv2D(8, 3, padding="same"),
        layers.BatchNormalization(),
        layers.Activation("relu"),
    ], name="block")
    c = layers.Add()([a, block(a)])
    d = layers.DepthwiseConv2D(3, padding="same")(c)
    d = layers.BatchNormalization()(d)
    d = layers.ReLU()(d)
    e = layers.SeparableConv2D(6, 3, padding="same", activation="relu")(c)
    f = layers.Concatenate()([d, e])
    g = layers.GlobalAveragePooling2D()(f)
    y = layers.Dense(4, activation="softmax")(g)
    model = k2.Model(x, y, name="lrp_blocks")
    randomize(model, np.random.default_rng(12))
    return model


# ------------------------------------------------------------------------------------------- the zennit port

def _same(kernel):
    """Symmetric 'same' padding of an odd kernel at stride 1 (what TensorFlow pads then)."""
    assert kernel % 2 == 1
    return kernel // 2


class Flatten(torch.nn.Module):
    def forward(self, x):
        return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # Keras flattens channels-last


class Rescaling(torch.nn.Module):
    def __init__(self, scale, offset):
        super().__init__()
        self.scale, self.offset = scale, offset

    def forward(self, x):
        return x * self.scale + self.offset


class Concatenate(torch.nn.Module):
    def forward(self, *inputs):
        return torch.cat(inputs, dim=1)


class Add(torch.nn.Module):
    """Keras's Add as zennit's ResNet canonizer writes it: the inputs stacked, then summed by a `Sum` module."""

    def __init__(self):
        super().__init__()
        self.sum = Sum(dim=-1)

    def forward(self, *inputs):
        return self.sum(torch.stack(inputs, dim=-1))


def _tensor(array):
    return torch.tensor(np.asarray(array, dtype=np.float64))


def port_layer(layer, logits):
    """The torch modules of one Keras layer, in execution order."""
    kind = layer.__class__.__name__
    c = layer.get_config()
    weights = {w.name.split("/")[-1].split(":")[0]: _tensor(w.numpy()) for w in layer.weights}
    modules = []
    if kind == "Conv2D":
        kh, kw, cin, cout = weights["kernel"].shape
        strides = tuple(c["strides"])
        padding = 0
        if c["padding"] == "same":
            (top, bottom), (left, right) = [base._tf_same_padding(size, k, s) for size, k, s in
                                            zip(layer.input_shape[1:3], (kh, kw), strides)]
            if (top, left) == (bottom, right):
                padding = (top, left)
            else:  # TensorFlow's uneven padding as a module (tools/bench_lrp only: zennit's flat and w-square rules
                # then count the padded zeros as inputs, which kerasvis does not)
                modules.append(torch.nn.ZeroPad2d((left, right, top, bottom)))
        conv = torch.nn.Conv2d(cin, cout, (kh, kw), strides, padding=padding, bias=c["use_bias"])
        conv.weight.data = weights["kernel"].permute(3, 2, 0, 1).contiguous()
        if c["use_bias"]:
            conv.bias.data = weights["bias"]
        modules.append(conv)
    elif kind == "DepthwiseConv2D":
        kh, kw, channels, multiplier = weights["depthwise_kernel"].shape
        conv = torch.nn.Conv2d(channels, channels * multiplier, (kh, kw), padding=_same(kh), groups=channels,
                               bias=c["use_bias"])
        conv.weight.data = weights["depthwise_kernel"].permute(2, 3, 0, 1).reshape(
            channels * multiplier, 1, kh, kw).contiguous()
        if c["use_bias"]:
            conv.bias.data = weights["bias"]
        modules.append(conv)
    elif kind == "SeparableConv2D":
        kh, kw, channels, multiplier = weights["depthwise_kernel"].shape
        depthwise = torch.nn.Conv2d(channels, channels * multiplier, (kh, kw), padding=_same(kh), groups=channels,
                                    bias=False)
        depthwise.weight.data = weights["depthwise_kernel"].permute(2, 3, 0, 1).reshape(
            channels * multiplier, 1, kh, kw).contiguous()
        pointwise = torch.nn.Conv2d(channels * multiplier, c["filters"], 1, bias=c["use_bias"])
        pointwise.weight.data = weights["pointwise_kernel"].permute(3, 2, 0, 1).contiguous()
        if c["use_bias"]:
            pointwise.bias.data = weights["bias"]
        modules += [depthwise, pointwise]
    elif kind == "Dense":
        cin, cout = weights["kernel"].shape
        linear = torch.nn.Linear(cin, cout, bias=c["use_bias"])
        linear.weight.data = weights["kernel"].t().contiguous()
        if c["use_bias"]:
            linear.bias.data = weights["bias"]
        modules.append(linear)
    elif kind == "BatchNormalization":
        # Keras's epsilon goes into the variance and the module's eps is 0: zennit 0.5.1's MergeBatchNorm leaves the
        # merged BatchNorm computing x / sqrt(1 + eps) rather than x (it resets the statistics and affine parameters
        # but not eps), which would scale every later activation by 1 / sqrt(1.001) per merged layer.
        norm = torch.nn.BatchNorm2d(weights["moving_mean"].shape[0], eps=0.0)
        norm.weight.data, norm.bias.data = weights["gamma"], weights["beta"]
        norm.running_mean.data = weights["moving_mean"]
        norm.running_var.data = weights["moving_variance"] + c["epsilon"]
        modules.append(norm)
    elif kind == "ReLU":
        modules.append(torch.nn.ReLU())
    elif kind == "MaxPooling2D":
        modules.append(torch.nn.MaxPool2d(tuple(c["pool_size"]), tuple(c["strides"])))
    elif kind == "AveragePooling2D":
        modules.append(torch.nn.AvgPool2d(tuple(c["pool_size"]), tuple(c["strides"])))
    elif kind == "GlobalAveragePooling2D":
        modules += [torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten()]
    elif kind == "Flatten":
        modules.append(Flatten())
    elif kind == "Rescaling":
        modules.append(Rescaling(c["scale"], c["offset"]))
    elif kind == "Add":
        modules.append(Add())
    elif kind == "Concatenate":
        modules.append(Concatenate())
    elif kind not in ("Activation", "InputLayer"):
        raise ValueError(f"{layer.name} ({kind}) is not ported")
    activation = c.get("activation")
    if activation == "relu":
        modules.append(torch.nn.ReLU())
    elif activation == "softmax" and not logits:
        modules.append(torch.nn.Softmax(dim=1))
    else:
        assert activation in (None, "linear", "softmax"), activation
    return modules


class ZennitPort(torch.nn.Module):
    """A Keras model as torch modules registered in Keras's layer order (nested models recursively), so that
    zennit's first-layer maps and SequentialMergeBatchNorm see the layers as Keras orders them."""

    def __init__(self, model, logits=True):
        super().__init__()
        self.sequential = model.__class__.__name__ == "Sequential"
        self.names = [layer.name for layer in model.layers]
        self.blocks = torch.nn.ModuleDict()
        for layer in model.layers:
            key = layer.name.replace(".", "_")
            if isinstance(layer, k2.Model):
                self.blocks[key] = ZennitPort(layer, logits)
            else:
                self.blocks[key] = torch.nn.ModuleList(port_layer(layer, logits))
        if not self.sequential:
            config = model.get_config()
            self.inbound = {entry["name"]: [ref[0] for ref in entry["inbound_nodes"][-1]] if entry["inbound_nodes"]
                            else [] for entry in config["layers"]}
            self.input_names = [ref[0] for ref in config["input_layers"]]
            self.output_names = [ref[0] for ref in config["output_layers"]]

    def run(self, name, *inputs):
        block = self.blocks[name.replace(".", "_")]
        if isinstance(block, ZennitPort):
            return block(*inputs)
        x = inputs
        for module in block:
            x = (module(*x),)
        return x[0]

    def forward(self, x):
        if self.sequential:
            for name in self.names:
                x = self.run(name, x)
            return x
        values = {self.input_names[0]: x}
        for name in self.names:
            sources = self.inbound[name]
            values[name] = self.run(name, *[values[s] for s in sources]) if sources else values[name]
        return values[self.output_names[0]]


# ------------------------------------------------------------------------------------------- the references

def layer_map(rule):
    return zc.layer_map_base(1e-6) + [(zt.Convolution, rule), (torch.nn.Linear, rule)]


def composites(low, high):
    """Each kerasvis method name with its zennit composite (`low`, `high`: the ZBox bounds)."""
    uniform = {
        "lrp-epsilon": zr.Epsilon(1e-6),
        "lrp-z-plus": zr.ZPlus(),
        "lrp-alpha1-beta0": zr.AlphaBeta(alpha=1, beta=0),
        "lrp-alpha2-beta1": zr.AlphaBeta(alpha=2, beta=1),
        "lrp-w-square": zr.WSquare(),
        "lrp-flat": zr.Flat(),
        "lrp-gamma": zr.Gamma(0.25),
    }
    result = {name: zc.LayerMapComposite(layer_map(rule), canonizers=[SequentialMergeBatchNorm()])
              for name, rule in uniform.items()}
    result["lrp-epsilon-plus-flat"] = zc.EpsilonPlusFlat(canonizers=[SequentialMergeBatchNorm()])
    result["lrp-epsilon-gamma-box"] = zc.EpsilonGammaBox(low=low, high=high, canonizers=[SequentialMergeBatchNorm()])
    result["lrp-epsilon-alpha2-beta1"] = zc.EpsilonAlpha2Beta1(canonizers=[SequentialMergeBatchNorm()])
    result["deep-taylor"] = zc.SpecialFirstLayerMapComposite(
        layer_map(zr.ZPlus()), [(zt.Linear, zr.ZBox(low=low, high=high))], canonizers=[SequentialMergeBatchNorm()])
    return result


def relevance(port, composite, x, klass):
    """zennit's relevance of `x` (1, C, H, W) for `klass`, starting from one-hot * output."""
    x = x.clone().requires_grad_(True)
    with composite.context(port) as modified:
        output = modified(x)
        seed = torch.zeros_like(output)
        seed[:, klass] = output[:, klass].detach()
        (gradient,) = torch.autograd.grad(output, x, grad_outputs=seed)
    return gradient.detach()


def write_model(name, model, x):
    path = os.path.join(OUT, f"{name}.h5")
    model.save(path)
    np.save(os.path.join(OUT, f"{name}.input.npy"), x.astype(np.float32))
    port = ZennitPort(model).eval()
    full = ZennitPort(model, logits=False).eval()
    with torch.no_grad():
        ours = full(_tensor(np.transpose(x, (0, 3, 1, 2)))).numpy()
        logits = port(_tensor(np.transpose(x, (0, 3, 1, 2)))).numpy()
    theirs = model(x, training=False).numpy()
    error = np.abs(ours - theirs).max()
    assert error < 1e-5, f"{name}: the PyTorch port differs from Keras by {error}"
    print(f"  zennit port of {name}: max |torch - keras| = {error:.2e}")
    classes = [int(k) for k in logits.argmax(axis=1)]
    cases = {}
    names = list(composites(0.0, 1.0))
    for method in names:
        parts = []
        for n in range(x.shape[0]):
            sample = _tensor(np.transpose(x[n:n + 1], (0, 3, 1, 2)))
            low, high = float(x[n].min()), float(x[n].max())
            parts.append(base.nhwc(relevance(port, composites(low, high)[method], sample, classes[n])))
        result = np.concatenate(parts).astype(np.float32)
        file = f"{name}.{method}.npy"
        np.save(os.path.join(OUT, file), result)
        cases[method] = {"file": file, "sum": [float(p.sum()) for p in parts]}
    return {"model": f"{name}.h5", "input": f"{name}.input.npy", "classes": classes,
            "logits": [float(logits[n, k]) for n, k in enumerate(classes)], "methods": cases}


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(5)
    fixtures = {
        "lrp_cnn": write_model("lrp_cnn", lrp_cnn(), rng.uniform(-1, 1, (2, 10, 10, 3)).astype(np.float32)),
        "lrp_blocks": write_model("lrp_blocks", lrp_blocks(), rng.uniform(-1, 1, (2, 8, 8, 3)).astype(np.float32)),
    }
    with open(os.path.join(OUT, "cases.json"), "w") as file:
        json.dump({"versions": VERSIONS, "score": "logit", "models": fixtures}, file, indent=1)
        file.write("\n")


if __name__ == "__main__":
    main()
