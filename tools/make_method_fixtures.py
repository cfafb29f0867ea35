#!/usr/bin/env python3
"""Writes the reference fixtures of kerasvis's explanation methods and metrics (Tests/Fixtures/methods) with the
real libraries, on the small Keras fixture models:

- pytorch-grad-cam (pip `grad-cam`) runs on a PyTorch port of each Keras model: `TorchPort` rebuilds the Keras
  layer graph from the loaded tf-keras model with PyTorch modules holding copies of the Keras weights (NCHW), and
  the port is checked against Keras's own output before anything is computed with it;
- tf-keras-vis runs on the Keras model itself (tf-keras, `TF_USE_LEGACY_KERAS=1`);
- Captum runs Integrated Gradients and Input x Gradient on the PyTorch port.

Everything stochastic is made reproducible: SmoothGrad's noise is drawn by tf-keras-vis from NumPy's global
RandomState after `np.random.seed(s)`, and the script stores the same standard-normal draws (`noise_*.npy`), which
kerasvis's tests feed back as the noise. Maps in 0...1 are stored as float16 (exact to 2.5e-4), raw attributions as
float32. `cases.json` lists every case with the library and version that produced it.

Eigen-CAM's sign: NumPy's SVD returns the first singular vector with an arbitrary sign; kerasvis fixes it so that
the vector's components sum to a non-negative number. The script wraps pytorch-grad-cam's `get_2d_projection` to
apply the same rule (and records in each case whether LAPACK's sign had to be flipped), so both compute the same
thing; everything else in the libraries runs unmodified.

    pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 tf-keras-vis==0.8.7 grad-cam==1.5.7 captum==0.9.0
    python3 tools/make_method_fixtures.py
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_USE_LEGACY_KERAS"] = "1"  # tf-keras-vis works on tf.keras, which is then tf_keras
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import importlib.metadata as metadata  # noqa: E402

import numpy as np  # noqa: E402
# PyTorch's side first: torchvision (which pytorch-grad-cam imports) aborts on an LLVM option clash when it is
# loaded after TensorFlow.
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import pytorch_grad_cam  # noqa: E402
import pytorch_grad_cam.base_cam  # noqa: E402
import pytorch_grad_cam.eigen_cam  # noqa: E402
import pytorch_grad_cam.eigen_grad_cam  # noqa: E402
import pytorch_grad_cam.hirescam  # noqa: E402
import pytorch_grad_cam.layer_cam  # noqa: E402
import pytorch_grad_cam.utils.svd_on_activations as svd  # noqa: E402
from pytorch_grad_cam.utils.model_targets import (  # noqa: E402
    BinaryClassifierOutputTarget, ClassifierOutputSoftmaxTarget, ClassifierOutputTarget)
import captum.attr  # noqa: E402, F401
import tensorflow as tf  # noqa: E402
import tf_keras as k2  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "Tests", "Fixtures", "models")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "methods")
VERSIONS = {name: metadata.version(name) for name in ["grad-cam", "tf-keras-vis", "captum", "torch", "tensorflow"]}

torch.set_num_threads(2)
torch.use_deterministic_algorithms(True)


# ------------------------------------------------------------------------------------------- the PyTorch port

def _tf_same_padding(size, kernel, stride, dilation=1):
    """TensorFlow's 'same' padding (before, after) along one axis: the extra pixel goes after."""
    effective = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def _pad_same(x, kernel, strides, dilation=(1, 1), value=0.0):
    top, bottom = _tf_same_padding(x.shape[2], kernel[0], strides[0], dilation[0])
    left, right = _tf_same_padding(x.shape[3], kernel[1], strides[1], dilation[1])
    return F.pad(x, (left, right, top, bottom), value=value)


def _activation(name):
    """A module for a Keras activation name (ReLU as `torch.nn.ReLU`, which guided backprop replaces)."""
    if name in (None, "linear"):
        return torch.nn.Identity()
    if name == "relu":
        return torch.nn.ReLU()
    if name == "softmax":
        return Softmax()
    if name == "sigmoid":
        return torch.nn.Sigmoid()
    raise ValueError(f"activation {name} is not ported")


class Softmax(torch.nn.Module):
    def forward(self, x):
        return torch.softmax(x, dim=1)


class KerasLayer(torch.nn.Module):
    """One Keras layer computed with PyTorch on NCHW tensors, with copies of the layer's weights."""

    def __init__(self, layer):
        super().__init__()
        self.kind = layer.__class__.__name__
        self.config = layer.get_config()
        weights = {w.name.split("/")[-1].split(":")[0]: torch.tensor(np.asarray(w.numpy()))
                   for w in layer.weights}
        c = self.config
        self.act = _activation(c.get("activation"))
        if self.kind == "Conv2D":
            self.weight = torch.nn.Parameter(weights["kernel"].permute(3, 2, 0, 1).contiguous())
            self.bias = torch.nn.Parameter(weights["bias"]) if c["use_bias"] else None
        elif self.kind == "DepthwiseConv2D":
            kernel = weights["depthwise_kernel"]  # (kh, kw, in, multiplier)
            kh, kw, channels, multiplier = kernel.shape
            self.weight = torch.nn.Parameter(
                kernel.permute(2, 3, 0, 1).reshape(channels * multiplier, 1, kh, kw).contiguous())
            self.bias = torch.nn.Parameter(weights["bias"]) if c["use_bias"] else None
        elif self.kind == "Dense":
            self.weight = torch.nn.Parameter(weights["kernel"].t().contiguous())
            self.bias = torch.nn.Parameter(weights["bias"]) if c["use_bias"] else None
        elif self.kind == "BatchNormalization":
            names = [w.name.split("/")[-1].split(":")[0] for w in layer.weights]
            self.register_buffer("mean", weights["moving_mean"])
            self.register_buffer("variance", weights["moving_variance"])
            self.register_buffer("gamma", weights["gamma"] if "gamma" in names else torch.ones_like(self.mean))
            self.register_buffer("beta", weights["beta"] if "beta" in names else torch.zeros_like(self.mean))
        elif self.kind == "ReLU":
            assert not c.get("negative_slope") and not c.get("threshold")
            self.act = torch.nn.ReLU() if c.get("max_value") is None else torch.nn.Hardtanh(0.0, float(c["max_value"]))
        elif self.kind not in ("InputLayer", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
                               "Concatenate", "Add", "Flatten", "Dropout", "ZeroPadding2D", "Activation"):
            raise ValueError(f"{layer.name} ({self.kind}) is not ported")

    def forward(self, *inputs):
        c = self.config
        x = inputs[0]
        if self.kind == "Conv2D":
            strides, dilation = tuple(c["strides"]), tuple(c["dilation_rate"])
            if c["padding"] == "same":
                x = _pad_same(x, c["kernel_size"], strides, dilation)
            return self.act(F.conv2d(x, self.weight, self.bias, strides, 0, dilation))
        if self.kind == "DepthwiseConv2D":
            strides = tuple(c["strides"])
            if c["padding"] == "same":
                x = _pad_same(x, c["kernel_size"], strides)
            return self.act(F.conv2d(x, self.weight, self.bias, strides, 0, 1, groups=x.shape[1]))
        if self.kind == "Dense":
            return self.act(F.linear(x, self.weight, self.bias))
        if self.kind == "BatchNormalization":
            shape = (1, -1, 1, 1) if x.dim() == 4 else (1, -1)
            scale = self.gamma / torch.sqrt(self.variance + c["epsilon"])
            return (x - self.mean.view(shape)) * scale.view(shape) + self.beta.view(shape)
        if self.kind in ("Activation", "ReLU"):
            return self.act(x)
        if self.kind == "MaxPooling2D":
            pool, strides = tuple(c["pool_size"]), tuple(c["strides"])
            if c["padding"] == "same":
                x = _pad_same(x, pool, strides, value=-float("inf"))
            return F.max_pool2d(x, pool, strides)
        if self.kind == "AveragePooling2D":
            pool, strides = tuple(c["pool_size"]), tuple(c["strides"])
            if c["padding"] == "valid":
                return F.avg_pool2d(x, pool, strides)
            ones = torch.ones_like(x[:, :1])
            total = F.avg_pool2d(_pad_same(x, pool, strides), pool, strides, divisor_override=1)
            count = F.avg_pool2d(_pad_same(ones, pool, strides), pool, strides, divisor_override=1)
            return total / count  # Keras excludes the padding from the mean
        if self.kind == "GlobalAveragePooling2D":
            return x.mean(dim=(2, 3), keepdim=bool(c.get("keepdims")))
        if self.kind == "Concatenate":
            axis = c["axis"]
            return torch.cat(inputs, dim=1 if axis in (-1, 3) and x.dim() == 4 else axis)
        if self.kind == "Add":
            return sum(inputs[1:], inputs[0])
        if self.kind == "Flatten":
            return (x.permute(0, 2, 3, 1) if x.dim() == 4 else x).reshape(x.shape[0], -1)
        if self.kind == "ZeroPadding2D":
            (top, bottom), (left, right) = c["padding"]
            return F.pad(x, (left, right, top, bottom))
        return x  # InputLayer, Dropout


class TorchPort(torch.nn.Module):
    """A Keras model (Sequential or Functional, nested models included) as a PyTorch module."""

    def __init__(self, model):
        super().__init__()
        self.sequential = model.__class__.__name__ == "Sequential"
        self.names = [layer.name for layer in model.layers]
        self.blocks = torch.nn.ModuleDict()
        for layer in model.layers:
            is_model = isinstance(layer, k2.Model)
            self.blocks[self._key(layer.name)] = TorchPort(layer) if is_model else KerasLayer(layer)
        if not self.sequential:
            config = model.get_config()
            self.inbound = {entry["name"]: [ref[0] for ref in entry["inbound_nodes"][-1]] if entry["inbound_nodes"] else []
                            for entry in config["layers"]}
            self.input_names = [ref[0] for ref in config["input_layers"]]
            self.output_names = [ref[0] for ref in config["output_layers"]]

    @staticmethod
    def _key(name):
        return name.replace(".", "_")

    def block(self, path):
        """The module of the layer at a path of names (`mobilenetv2_0.10_96/out_relu`)."""
        module = self
        for name in path.split("/"):
            module = module.blocks[self._key(name)]
        return module

    def forward(self, x):
        if self.sequential:
            for name in self.names:
                x = self.blocks[self._key(name)](x)
            return x
        values = {}
        for position, name in enumerate(self.input_names):
            values[name] = x if position == 0 else None
        for name in self.names:
            sources = self.inbound[name]
            arguments = [values[source] for source in sources] if sources else [values[name]]
            block = self.blocks[self._key(name)]
            if not isinstance(block, (KerasLayer, TorchPort)):
                arguments = arguments[:1]  # pytorch-grad-cam's AblationLayer in place of the layer: one input
            values[name] = block(*arguments)
        return values[self.output_names[0]]


def nchw(x):
    return torch.tensor(np.ascontiguousarray(np.transpose(x, (0, 3, 1, 2))))


def nhwc(x):
    return np.ascontiguousarray(np.transpose(np.asarray(x), (0, 2, 3, 1)))


class Ports:
    """The PyTorch port of a Keras model as it is (`output`) and with its output layer's softmax or sigmoid left
    out (`logit`, what kerasvis's `.logit` and `.probability` scores read), checked against Keras on `inputs`."""

    def __init__(self, keras_model, inputs):
        self.output = TorchPort(keras_model).eval()
        self.logit = TorchPort(keras_model).eval()
        last = self.logit.blocks[TorchPort._key(keras_model.layers[-1].name)]
        assert isinstance(last, KerasLayer) and last.config.get("activation") in ("softmax", "sigmoid")
        last.act = torch.nn.Identity()
        with torch.no_grad():
            ours = self.output(nchw(inputs)).numpy()
        theirs = keras_model(inputs, training=False).numpy()
        error = np.abs(ours - theirs).max()
        assert error < 1e-5, f"{keras_model.name}: the PyTorch port differs from Keras by {error}"
        print(f"  PyTorch port of {keras_model.name}: max |torch - keras| = {error:.2e}")

    def for_score(self, score):
        return self.output if score == "output" else self.logit


# ------------------------------------------------------------------------------------------- Eigen-CAM's sign

SIGN_FLIPS = []
_original_projection = svd.get_2d_projection


def _projection_with_kerasvis_sign(activation_batch):
    """pytorch-grad-cam's projection with the first right singular vector's sign chosen so its components sum to a
    non-negative number (kerasvis's rule); records whether LAPACK's sign was flipped."""
    projections = _original_projection(activation_batch)
    batch = activation_batch.copy()
    batch[np.isnan(batch)] = 0
    for i, activations in enumerate(batch):
        reshaped = activations.reshape(activations.shape[0], -1).transpose()
        reshaped = reshaped - reshaped.mean(axis=0)
        _, _, vt = np.linalg.svd(reshaped, full_matrices=True)
        flip = vt[0].sum() < 0
        SIGN_FLIPS.append(bool(flip))
        if flip:
            projections[i] = -projections[i]
    return projections


for module in (pytorch_grad_cam.base_cam, pytorch_grad_cam.eigen_cam, pytorch_grad_cam.eigen_grad_cam,
               pytorch_grad_cam.hirescam, pytorch_grad_cam.layer_cam):
    module.get_2d_projection = _projection_with_kerasvis_sign


# ------------------------------------------------------------------------------------------- writing

CASES = []


def save(name, array, dtype=np.float16):
    np.save(os.path.join(OUT, name), np.asarray(array, dtype=dtype))
    return name


INPUTS = {"models/sequential_cnn.h5": "models/sequential_cnn.input.npy",
          "models/inception_v3_narrow.h5": "models/inception_v3_narrow.input.npy",
          "models/nested_mobilenet.h5": "models/nested_mobilenet.input.npy",
          "methods/binary_cnn.h5": "methods/binary_cnn.input.npy"}


def case(**fields):
    """Records a case: what was computed, by which library, and the file holding the result."""
    CASES.append(dict(fields, input=INPUTS[fields["model"]]))


def torch_targets(classes, score):
    """pytorch-grad-cam's targets for a kerasvis score (on `Ports.for_score(score)`)."""
    kind = {"output": ClassifierOutputTarget, "logit": ClassifierOutputTarget,
            "probability": ClassifierOutputSoftmaxTarget}[score]
    return [kind(c) for c in classes]


# ------------------------------------------------------------------------------------------- pytorch-grad-cam

def pytorch_grad_cam_cases(group, model_file, ports, x, layer_path, layer_address, classes, methods,
                           score="output", extra=None):
    """Runs each pytorch-grad-cam method on the port, writing the maps."""
    from pytorch_grad_cam import (AblationCAM, EigenCAM, EigenGradCAM, GradCAM, GradCAMPlusPlus, HiResCAM,
                                  LayerCAM, ScoreCAM, XGradCAM)
    classes_of = {"gradcam": GradCAM, "gradcam++": GradCAMPlusPlus, "hirescam": HiResCAM, "xgradcam": XGradCAM,
                  "layercam": LayerCAM, "scorecam": ScoreCAM, "ablationcam": AblationCAM, "eigencam": EigenCAM,
                  "eigengradcam": EigenGradCAM}
    for method, options in methods:
        options = dict(options)
        eigen_smooth = options.pop("eigen_smooth", False)
        aug_smooth = options.pop("aug_smooth", False)
        batch_size = options.pop("batch_size", None)
        torch_model = ports.for_score(score)
        cam = classes_of[method](model=torch_model, target_layers=[torch_model.block(layer_path)])
        if batch_size:
            cam.batch_size = batch_size
        flips_before = len(SIGN_FLIPS)
        maps = cam(input_tensor=nchw(x), targets=torch_targets(classes, score), eigen_smooth=eigen_smooth,
                   aug_smooth=aug_smooth)
        suffix = "".join(["_eigen" if eigen_smooth else "", "_aug" if aug_smooth else ""])
        name = f"{group}.ptgc.{method}{suffix}_{score}.npy"
        save(name, maps)
        case(group=group, model=model_file, library="pytorch-grad-cam", version=VERSIONS["grad-cam"],
             method=method, convention="pytorch-grad-cam", layer=layer_path, address=layer_address, classes=classes,
             score=score, eigen_smooth=eigen_smooth, aug_smooth=aug_smooth, batch_size=batch_size,
             sign_flipped=SIGN_FLIPS[flips_before:], expected=name, **(extra or {}))
        del cam


def guided_grad_cam_cases(group, model_file, ports, x, layer_path, layer_address, classes):
    """pytorch-grad-cam's recipe (its cam.py): the CAM (0...1, input size) times guided backprop, per channel."""
    from pytorch_grad_cam import GradCAM, GradCAMPlusPlus, GuidedBackpropReLUModel
    torch_model = ports.output
    for method, cam_class in [("guided-gradcam", GradCAM), ("guided-gradcam++", GradCAMPlusPlus)]:
        results = []
        for sample in range(x.shape[0]):
            one = nchw(x[sample:sample + 1])
            cam = cam_class(model=torch_model, target_layers=[torch_model.block(layer_path)])
            grayscale = cam(input_tensor=one, targets=[ClassifierOutputTarget(classes[sample])])[0]
            del cam
            guided = GuidedBackpropReLUModel(model=torch_model, device="cpu")(one, target_category=classes[sample])
            results.append(np.stack([grayscale] * guided.shape[-1], axis=-1) * guided)
        name = f"{group}.ptgc.{method}.npy"
        save(name, np.stack(results), np.float32)
        case(group=group, model=model_file, library="pytorch-grad-cam", version=VERSIONS["grad-cam"], method=method,
             convention="pytorch-grad-cam", layer=layer_path, address=layer_address, classes=classes, score="output",
             expected=name)


def combined_target_cases(group, model_file, ports, x, layer_path, layer_address):
    """Grad-CAM of several classes at once (the sum of their scores) and of a custom score (a margin between two
    classes), as pytorch-grad-cam takes any callable target."""
    from pytorch_grad_cam import GradCAM
    for kind, target in [("sum", lambda o: o[3] + o[7]), ("margin", lambda o: o[3] - o[7])]:
        cam = GradCAM(model=ports.output, target_layers=[ports.output.block(layer_path)])
        maps = cam(input_tensor=nchw(x), targets=[target] * x.shape[0])
        del cam
        name = save(f"{group}.ptgc.gradcam_{kind}_3_7.npy", maps)
        case(group=group, model=model_file, library="pytorch-grad-cam", version=VERSIONS["grad-cam"], method="gradcam",
             convention="pytorch-grad-cam", layer=layer_path, address=layer_address, classes=[3, 7], score="output",
             target_kind=kind, expected=name)


# ------------------------------------------------------------------------------------------- tf-keras-vis

def tf_keras_vis_cases(group, model_file, keras_model, x, layer_name, layer_address, classes, methods,
                       score="output"):
    from tf_keras_vis.gradcam import Gradcam
    from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
    from tf_keras_vis.layercam import Layercam
    from tf_keras_vis.scorecam import Scorecam
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
    from tf_keras_vis.utils.scores import BinaryScore, CategoricalScore
    for method, options in methods:
        options = dict(options)
        binary = options.pop("binary", None)
        modifier = ReplaceToLinear() if score == "logit" else None
        kind = {"gradcam": Gradcam, "gradcam++": GradcamPlusPlus, "layercam": Layercam, "scorecam": Scorecam}[method]
        visualizer = kind(keras_model, model_modifier=modifier, clone=True)
        target = BinaryScore(binary) if binary is not None else CategoricalScore(classes)
        maps = visualizer(target, x, penultimate_layer=layer_name, seek_penultimate_conv_layer=False, **options)
        suffix = "".join(f"_{k}{v}" for k, v in sorted(options.items()))
        if binary is not None:
            suffix += "_positive" if all(binary) else "_negative"
        name = f"{group}.tkv.{method}{suffix}_{score}.npy"
        save(name, maps)
        case(group=group, model=model_file, library="tf-keras-vis", version=VERSIONS["tf-keras-vis"], method=method,
             convention="tf-keras-vis", layer=layer_name, address=layer_address, classes=classes, score=score,
             binary=binary, max_n=options.get("max_N"), batch_size=options.get("batch_size"), expected=name)


def smoothgrad_cases(group, model_file, keras_model, x, classes, samples, noise_level, seed):
    """tf-keras-vis's Saliency with `smooth_samples` (SmoothGrad) and without (vanilla), and the noise it drew."""
    from tf_keras_vis.saliency import Saliency
    from tf_keras_vis.utils.scores import CategoricalScore
    saliency = Saliency(keras_model, clone=False)
    np.random.seed(seed)
    smooth = saliency(CategoricalScore(classes), x, smooth_samples=samples, smooth_noise=noise_level)
    np.random.seed(seed)
    noise = np.random.standard_normal((samples,) + x.shape).astype(np.float32)
    # The same draws rebuild tf-keras-vis's result (a check that the stored noise is the noise it used).
    sigma = noise_level * (x.max(axis=(1, 2, 3), keepdims=True) - x.min(axis=(1, 2, 3), keepdims=True))
    total = 0
    for i in range(samples):
        noisy = tf.constant((x + sigma * noise[i]).astype(np.float32))
        with tf.GradientTape() as tape:
            tape.watch(noisy)
            out = keras_model(noisy, training=False)
            value = tf.stack([out[j, c] for j, c in enumerate(classes)])
        total = total + np.abs(tape.gradient(value, noisy).numpy())
    rebuilt = total / samples
    rebuilt = rebuilt.max(axis=-1)
    low, high = rebuilt.min(axis=(1, 2), keepdims=True), rebuilt.max(axis=(1, 2), keepdims=True)
    rebuilt = (rebuilt - low) / (high - low + 1e-7)
    assert np.abs(rebuilt - smooth).max() < 1e-4, "the stored noise does not rebuild tf-keras-vis's SmoothGrad"
    noise_name = save(f"{group}.noise_{samples}.npy", noise, np.float32)
    name = save(f"{group}.tkv.smoothgrad.npy", smooth)
    case(group=group, model=model_file, library="tf-keras-vis", version=VERSIONS["tf-keras-vis"], method="smoothgrad",
         classes=classes, score="output", samples=samples, noise_level=noise_level, noise=noise_name, expected=name)
    vanilla = saliency(CategoricalScore(classes), x)
    name = save(f"{group}.tkv.saliency.npy", vanilla)
    case(group=group, model=model_file, library="tf-keras-vis", version=VERSIONS["tf-keras-vis"], method="vanilla",
         classes=classes, score="output", expected=name)


# ------------------------------------------------------------------------------------------- Captum

def captum_cases(group, model_file, ports, x, classes):
    from captum.attr import InputXGradient, IntegratedGradients
    torch_model = ports.output
    inputs = nchw(x).requires_grad_(True)
    targets = torch.tensor(classes)
    for method, steps in [("gausslegendre", 16), ("riemann_trapezoid", 12), ("riemann_middle", 8)]:
        attributions = IntegratedGradients(torch_model).attribute(
            inputs, baselines=0.5, target=targets, n_steps=steps, method=method)
        name = save(f"{group}.captum.ig_{method}.npy", nhwc(attributions.detach()), np.float32)
        case(group=group, model=model_file, library="captum", version=VERSIONS["captum"],
             method="integrated-gradients", classes=classes, score="output", steps=steps, rule=method, baseline=0.5,
             expected=name)
    attributions = InputXGradient(torch_model).attribute(inputs, target=targets)
    name = save(f"{group}.captum.input_x_gradient.npy", nhwc(attributions.detach()), np.float32)
    case(group=group, model=model_file, library="captum", version=VERSIONS["captum"], method="input-x-gradient",
         classes=classes, score="output", expected=name)


# ------------------------------------------------------------------------------------------- metrics

def rise_kernel(klen=11, nsig=5):
    """RISE's `gkern` (eclique/RISE, evaluation.py): gaussian_filter of a unit impulse, per channel."""
    import scipy.ndimage
    impulse = np.zeros((klen, klen))
    impulse[klen // 2, klen // 2] = 1
    return scipy.ndimage.gaussian_filter(impulse, nsig)


def rise_curve(model, image, saliency, klass, mode, step):
    """RISE's `CausalMetric.single_run` (the paper's evaluation code, restated with NumPy and PyTorch): the class
    probability while `step` pixels at a time move from the start image to the finish image, most salient first."""
    channels, height, width = image.shape[1:]
    pixels = height * width
    if mode == "deletion":
        start, finish = image.clone(), torch.zeros_like(image)
    else:
        kernel = torch.zeros((channels, channels, 11, 11))
        for c in range(channels):
            kernel[c, c] = torch.tensor(rise_kernel(), dtype=torch.float32)
        start, finish = F.conv2d(image, kernel, padding=5), image.clone()
    steps = (pixels + step - 1) // step
    # Ranked by saliency, largest first, ties by position (a stable sort; RISE's argsort leaves ties unordered).
    order = np.argsort(-saliency.reshape(-1), kind="stable")
    scores = []
    for i in range(steps + 1):
        with torch.no_grad():
            scores.append(float(torch.softmax(model(start), dim=1)[0, klass]))
        if i < steps:
            coords = order[step * i:step * (i + 1)]
            flat_start = start.reshape(1, channels, pixels)
            flat_start[0, :, coords] = finish.reshape(1, channels, pixels)[0, :, coords]
    auc = (sum(scores) - scores[0] / 2 - scores[-1] / 2) / (len(scores) - 1)
    return scores, auc


def metric_cases(ports, x, classes, map_file):
    """pytorch-grad-cam's metrics (ROAD with the imputation noise set to 0, CAM-multiply confidence) and RISE's
    deletion/insertion on the sequential_cnn port, for the stored Grad-CAM maps and a tie-free random map."""
    from pytorch_grad_cam.metrics.cam_mult_image import (CamMultImageConfidenceChange, DropInConfidence,
                                                         IncreaseInConfidence)
    from pytorch_grad_cam.metrics.perturbation_confidence import (AveragerAcrossThresholds,
                                                                  PerturbationConfidenceMetric,
                                                                  RemoveLeastRelevantFirst, RemoveMostRelevantFirst)
    from pytorch_grad_cam.metrics.road import NoisyLinearImputer
    cams = np.load(os.path.join(OUT, map_file)).astype(np.float32)
    random_maps = np.random.default_rng(74).uniform(0, 1, cams.shape).astype(np.float32)
    save("metrics.random_maps.npy", random_maps, np.float32)
    model = ports.output
    inputs = nchw(x)
    targets = [ClassifierOutputTarget(c) for c in classes]
    result = {"maps": map_file, "random_maps": "metrics.random_maps.npy", "classes": classes, "percentiles": list(range(10, 100, 10))}

    class ROADNoNoise:
        """`ROADMostRelevantFirst` / `ROADLeastRelevantFirst` with pytorch-grad-cam's imputer, noise 0."""
        def __init__(self, remove):
            self.remove = remove

        def __call__(self, percentile):
            return PerturbationConfidenceMetric(self.remove(percentile, NoisyLinearImputer(noise=0)))

    for label, maps in [("gradcam", cams), ("random", random_maps)]:
        entry = {}
        morf = AveragerAcrossThresholds(ROADNoNoise(RemoveMostRelevantFirst))(inputs, maps, targets, model)
        lerf = AveragerAcrossThresholds(ROADNoNoise(RemoveLeastRelevantFirst))(inputs, maps, targets, model)
        entry["road_morf"] = [float(v) for v in morf]
        entry["road_lerf"] = [float(v) for v in lerf]
        entry["road_combined"] = [float(v) for v in (lerf - morf) / 2]
        entry["cam_mult_change"] = [float(v) for v in CamMultImageConfidenceChange()(inputs, maps, targets, model)]
        entry["confidence_drop"] = [float(v) for v in DropInConfidence()(inputs, maps, targets, model)]
        entry["confidence_increase"] = [float(v) for v in IncreaseInConfidence()(inputs, maps, targets, model)]
        for mode in ["deletion", "insertion"]:
            curves, aucs = [], []
            for n in range(x.shape[0]):
                curve, auc = rise_curve(ports.logit, inputs[n:n + 1], maps[n], classes[n], mode, 28)
                curves.append(curve)
                aucs.append(auc)
            entry[mode] = aucs
            entry[mode + "_curves"] = curves
        result[label] = entry
    # One imputation (MoRF at the 70th percentile) as an image, to check the linear system itself.
    imputer = NoisyLinearImputer(noise=0)
    mask = np.float32(cams[0] < np.percentile(cams[0], 70))
    imputed = imputer(inputs[0], torch.from_numpy(mask))
    save("metrics.road_imputed_p70.npy", imputed.numpy().transpose(1, 2, 0), np.float32)
    result["imputed"] = "metrics.road_imputed_p70.npy"
    with open(os.path.join(OUT, "metrics.json"), "w") as f:
        json.dump(result, f, indent=1)


# ------------------------------------------------------------------------------------------- resizing

def resize_cases():
    """OpenCV's and PyTorch's bilinear resizing of small random maps (what the CAM pipelines use)."""
    import cv2
    rng = np.random.default_rng(70)
    entries = []
    for height, width, to_height, to_width in [(3, 3, 47, 47), (6, 6, 28, 28), (5, 7, 23, 17), (8, 8, 5, 6)]:
        source = rng.uniform(0, 1, (height, width)).astype(np.float32)
        stem = f"resize_{height}x{width}_to_{to_height}x{to_width}"
        save(f"{stem}.input.npy", source, np.float32)
        save(f"{stem}.opencv.npy", cv2.resize(source, (to_width, to_height)), np.float32)
        upsample = torch.nn.UpsamplingBilinear2d(size=(to_height, to_width))
        save(f"{stem}.torch.npy", upsample(torch.tensor(source)[None, None])[0, 0].numpy(), np.float32)
        entries.append({"stem": stem, "from": [height, width], "to": [to_height, to_width]})
    return entries


# ------------------------------------------------------------------------------------------- models

def binary_model():
    """A small binary classifier (sigmoid output) for BinaryScore / BinaryClassifierOutputTarget."""
    L = k2.layers
    k2.backend.clear_session()
    k2.utils.set_random_seed(71)
    model = k2.Sequential([
        k2.Input((20, 20, 3)),
        L.Conv2D(6, 3, activation="relu", name="conv_a"),
        L.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="conv_b"),
        L.GlobalAveragePooling2D(),
        L.Dense(1, activation="sigmoid", name="score"),
    ], name="binary_cnn")
    rng = np.random.default_rng(71)
    for weight in model.weights:
        value = weight.numpy()
        weight.assign((rng.standard_normal(value.shape) * (0.4 if "kernel" in weight.name else 0.1)).astype(np.float32))
    path = os.path.join(OUT, "binary_cnn.h5")
    model.save(path)
    return k2.models.load_model(path, compile=False)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        if name.endswith(".npy") or name.endswith(".json"):
            os.remove(os.path.join(OUT, name))
    print("versions:", VERSIONS)

    # sequential_cnn: 28x28x1, two samples, 16-channel feature maps.
    print("sequential_cnn")
    keras_model = k2.models.load_model(os.path.join(MODELS, "sequential_cnn.h5"), compile=False)
    x = np.load(os.path.join(MODELS, "sequential_cnn.input.npy"))
    ports = Ports(keras_model, x)
    classes = [3, 7]
    all_cams = [(m, {}) for m in ["gradcam", "gradcam++", "hirescam", "xgradcam", "layercam", "scorecam",
                                  "ablationcam", "eigencam", "eigengradcam"]]
    for layer, address in [("average_pooling2d", [5]), ("activation", [4])]:
        group = f"sequential_cnn.{layer}"
        pytorch_grad_cam_cases(group, "models/sequential_cnn.h5", ports, x, layer, address, classes,
                               all_cams if layer == "average_pooling2d" else all_cams[:2] + all_cams[6:7])
    group = "sequential_cnn.average_pooling2d"
    pytorch_grad_cam_cases(group, "models/sequential_cnn.h5", ports, x, "average_pooling2d", [5],
                           classes, [("gradcam", {"eigen_smooth": True}), ("layercam", {"eigen_smooth": True}),
                                     ("gradcam", {"aug_smooth": True}), ("scorecam", {"batch_size": 5})])
    for score in ["logit", "probability"]:
        pytorch_grad_cam_cases(group, "models/sequential_cnn.h5", ports, x, "average_pooling2d", [5],
                               classes, [("gradcam", {}), ("scorecam", {})], score=score)
    tf_keras_vis_cases(group, "models/sequential_cnn.h5", keras_model, x, "average_pooling2d", [5], classes,
                       [("gradcam", {}), ("gradcam++", {}), ("layercam", {}), ("scorecam", {}),
                        ("scorecam", {"max_N": 6, "batch_size": 4})])
    tf_keras_vis_cases(group, "models/sequential_cnn.h5", keras_model, x, "average_pooling2d", [5], classes,
                       [("gradcam", {}), ("gradcam++", {})], score="logit")
    guided_grad_cam_cases(group, "models/sequential_cnn.h5", ports, x, "average_pooling2d", [5], classes)
    combined_target_cases(group, "models/sequential_cnn.h5", ports, x, "average_pooling2d", [5])
    smoothgrad_cases("sequential_cnn", "models/sequential_cnn.h5", keras_model, x, classes, 6, 0.2, 72)
    captum_cases("sequential_cnn", "models/sequential_cnn.h5", ports, x, classes)
    metric_cases(ports, x, classes, "sequential_cnn.average_pooling2d.ptgc.gradcam_output.npy")

    # inception_v3_narrow: 139x139x3, mixed10 (3x3x128), one sample.
    print("inception_v3_narrow")
    keras_model = k2.models.load_model(os.path.join(MODELS, "inception_v3_narrow.h5"), compile=False)
    x = np.load(os.path.join(MODELS, "inception_v3_narrow.input.npy"))
    ports = Ports(keras_model, x)
    group = "inception_v3_narrow.mixed10"
    pytorch_grad_cam_cases(group, "models/inception_v3_narrow.h5", ports, x, "mixed10", [310], [4],
                           [(m, {}) for m in ["gradcam", "gradcam++", "hirescam", "xgradcam", "layercam", "scorecam",
                                              "ablationcam", "eigencam"]])
    tf_keras_vis_cases(group, "models/inception_v3_narrow.h5", keras_model, x, "mixed10", [310], [4],
                       [("gradcam++", {}), ("scorecam", {"max_N": 10})])

    # nested_mobilenet: Sequential([MobileNetV2 (nested), GlobalAveragePooling2D, Dense]); the automatic layer.
    print("nested_mobilenet")
    keras_model = k2.models.load_model(os.path.join(MODELS, "nested_mobilenet.h5"), compile=False)
    x = np.load(os.path.join(MODELS, "nested_mobilenet.input.npy"))
    ports = Ports(keras_model, x)
    inner = keras_model.layers[0]
    path = f"{inner.name}/out_relu"
    address = [0, [layer.name for layer in inner.layers].index("out_relu")]
    pytorch_grad_cam_cases("nested_mobilenet.out_relu", "models/nested_mobilenet.h5", ports, x, path, address, [1, 4], [(m, {}) for m in ["gradcam", "hirescam", "eigengradcam", "scorecam", "ablationcam"]]
                           + [("gradcam++", {"aug_smooth": True, "eigen_smooth": True})])

    # binary_cnn: BinaryScore / BinaryClassifierOutputTarget on a sigmoid output.
    print("binary_cnn")
    keras_model = binary_model()
    x = np.random.default_rng(73).uniform(-1, 1, (2, 20, 20, 3)).astype(np.float32)
    save("binary_cnn.input.npy", x, np.float32)
    ports = Ports(keras_model, x)
    for positive in [True, False]:
        tf_keras_vis_cases("binary_cnn.conv_b", "methods/binary_cnn.h5", keras_model, x, "conv_b", [1], [0],
                           [("gradcam", {"binary": [positive]})])
        maps = pytorch_grad_cam.GradCAM(model=ports.output, target_layers=[ports.output.block("conv_b")])(
            input_tensor=nchw(x), targets=[BinaryClassifierOutputTarget(1 if positive else 0)] * 2)
        name = save(f"binary_cnn.conv_b.ptgc.gradcam_{'positive' if positive else 'negative'}.npy", maps)
        case(group="binary_cnn.conv_b", model="methods/binary_cnn.h5", library="pytorch-grad-cam",
             version=VERSIONS["grad-cam"], method="gradcam", convention="pytorch-grad-cam", layer="conv_b", address=[1],
             classes=[0], score="output", binary=[positive], expected=name)

    resizes = resize_cases()
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"versions": VERSIONS, "cases": CASES, "resize": resizes}, f, indent=1)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"{len(CASES)} cases, {total / 1024:.0f} KiB in {OUT}")


if __name__ == "__main__":
    sys.exit(main())
