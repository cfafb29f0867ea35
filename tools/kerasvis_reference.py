"""A faithful TensorFlow 2 port of keras-vis 0.4 (raghakot/keras-vis), written from its source, to produce reference
numbers for kerasvis's tests. keras-vis itself needs TensorFlow 1 (`K.gradients`, `gradient_override_map`); here

- `K.gradients` becomes `tf.GradientTape` (gradients with respect to an intermediate layer's output come from a
  probe model returning that output and the explained layer's output in one pass);
- `modify_model_backprop` (save, reload under `gradient_override_map({'Relu': ...})`) becomes replacing the ReLU
  activations of the loaded model with `tf.custom_gradient` functions carrying keras-vis's guided/rectified rules
  (TF 2 Keras re-runs `layer.activation` on every call, so no reload is needed);
- `apply_modifications` after setting `activation = linear` likewise needs no reload.

Everything else (losses, gradient modifiers, normalization, the CAM weighting, `scipy.ndimage.zoom`, the RMSProp
optimizer with its best-loss bookkeeping, `deprocess_input`) follows keras-vis's code line by line.
"""

import numpy as np
import scipy.ndimage
import tensorflow as tf

EPSILON = 1e-7  # keras.backend.epsilon()


# --------------------------------------------------------------------------------------- backprop modifiers

@tf.custom_gradient
def _guided_relu(x):
    y = tf.nn.relu(x)

    def grad(dy):
        return tf.cast(dy > 0., dy.dtype) * tf.cast(y > 0., dy.dtype) * dy

    return y, grad


@tf.custom_gradient
def _rectified_relu(x):
    y = tf.nn.relu(x)

    def grad(dy):
        return tf.cast(dy > 0., dy.dtype) * dy

    return y, grad


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)


def modify_backprop(model, modifier, keras_module):
    """Replaces every ReLU op of `model` (Activation('relu'), activation='relu', plain ReLU layers) with one whose
    gradient follows keras-vis's `guided` or `rectified` rule. Returns a function undoing it."""
    if modifier is None:
        return lambda: None
    function = {"guided": _guided_relu, "rectified": _rectified_relu, "relu": _rectified_relu,
                "deconv": _rectified_relu}[modifier]
    relu = keras_module.activations.relu
    undo = []
    for layer in _all_layers(model):
        if getattr(layer, "activation", None) is relu:
            undo.append((layer, "activation", layer.activation))
            layer.activation = function
        elif layer.__class__.__name__ == "ReLU":
            config = layer.get_config()
            if config.get("max_value") is None and not config.get("negative_slope") and not config.get("threshold"):
                undo.append((layer, "call", layer.call))
                layer.call = lambda inputs, *args, **kwargs: function(inputs)

    def restore():
        for layer, attribute, value in undo:
            setattr(layer, attribute, value)
    return restore


def swap_to_linear(model, layer_idx, keras_module):
    """`model.layers[layer_idx].activation = activations.linear` (keras-vis's apply_modifications advice)."""
    layer = model.layers[layer_idx]
    original = layer.activation
    layer.activation = keras_module.activations.linear

    def restore():
        layer.activation = original
    return restore


# --------------------------------------------------------------------------------------- losses and modifiers

def activation_maximization_loss(layer_output, filter_indices):
    """keras-vis's ActivationMaximization.build_loss (channels_last)."""
    if filter_indices is None:
        return -tf.reduce_mean(layer_output)
    loss = 0.
    for idx in filter_indices:
        if len(layer_output.shape) == 2:
            loss += -tf.reduce_mean(layer_output[:, idx])
        else:
            loss += -tf.reduce_mean(layer_output[..., idx])
    return loss


GRAD_MODIFIERS = {
    None: lambda g: g,
    "absolute": np.abs,
    "negate": lambda g: -g,
    "invert": lambda g: 1. / (g + EPSILON),
    "relu": lambda g: np.where(g < 0., np.float32(0), g),
    "small_values": lambda g: np.abs(1. / (g + EPSILON)),
}


def normalize(array, min_value=0., max_value=1.):
    arr_min = np.min(array)
    arr_max = np.max(array)
    normalized = (array - arr_min) / (arr_max - arr_min + EPSILON)
    return (max_value - min_value) * normalized + min_value


def deprocess_input(input_array, input_range=(0, 255)):
    input_array = input_array.copy()
    input_array -= input_array.mean()
    input_array /= (input_array.std() + EPSILON)
    input_array *= 0.1
    input_array += 0.5
    input_array = np.clip(input_array, 0, 1)
    return (input_range[1] - input_range[0]) * input_array + input_range[0]


# --------------------------------------------------------------------------------------- layer search

CONV_CLASSES = {"Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "Conv3DTranspose", "SeparableConv1D",
                "SeparableConv2D", "DepthwiseConv2D"}
POOL_CLASSES = {"MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
                "AveragePooling3D"}


def find_penultimate_layer(model, layer_idx, penultimate_layer_idx):
    """keras-vis's _find_penultimate_layer, quirk included (model.layers[:layer_idx - 1])."""
    if penultimate_layer_idx is None:
        for idx in reversed(range(len(model.layers[:layer_idx - 1]))):
            layer = model.layers[idx]
            if layer.__class__.__name__ in CONV_CLASSES | POOL_CLASSES:
                penultimate_layer_idx = idx
                break
    if penultimate_layer_idx is None:
        raise ValueError(f"Unable to determine penultimate Conv or Pooling layer for layer_idx: {layer_idx}")
    if layer_idx < 0:
        layer_idx = len(model.layers) + layer_idx
    if penultimate_layer_idx > layer_idx:
        raise ValueError("penultimate_layer_idx needs to be before layer_idx")
    return penultimate_layer_idx


# --------------------------------------------------------------------------------------- visualizations

def _probe(model, tensors, keras_module):
    return keras_module.Model(model.inputs, tensors)


def _seed(model, seed_input):
    """keras-vis's Optimizer._get_seed_input: a batch axis added, and a float32 copy (`astype` copies, so the
    optimizer's in-place steps never reach the caller's array)."""
    seed_input = np.asarray(seed_input)
    if seed_input.ndim != len(model.inputs[0].shape):
        seed_input = np.expand_dims(seed_input, 0)
    return seed_input.astype(np.float32)


def visualize_saliency(model, layer_idx, filter_indices, seed_input, keras_module, backprop_modifier=None,
                       grad_modifier="absolute", keepdims=False, linear=False):
    restore_linear = swap_to_linear(model, layer_idx, keras_module) if linear else (lambda: None)
    restore_backprop = modify_backprop(model, backprop_modifier, keras_module)
    try:
        probe = _probe(model, model.layers[layer_idx].output, keras_module)
        x = tf.constant(_seed(model, seed_input))
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(x)
            overall_loss = -1 * activation_maximization_loss(probe(x, training=False), filter_indices)
        grads = tape.gradient(overall_loss, x).numpy()
    finally:
        restore_backprop()
        restore_linear()
    grads = GRAD_MODIFIERS[grad_modifier](grads)
    if not keepdims:
        grads = np.max(grads, axis=-1)
    return normalize(grads)[0]


def visualize_cam(model, layer_idx, filter_indices, seed_input, keras_module, penultimate_layer_idx=None,
                  backprop_modifier=None, grad_modifier=None, linear=False):
    """Returns (heatmap, penultimate layer index used)."""
    restore_linear = swap_to_linear(model, layer_idx, keras_module) if linear else (lambda: None)
    restore_backprop = modify_backprop(model, backprop_modifier, keras_module)
    try:
        penultimate_idx = find_penultimate_layer(model, layer_idx, penultimate_layer_idx)
        probe = _probe(model, [model.layers[penultimate_idx].output, model.layers[layer_idx].output], keras_module)
        x = tf.constant(_seed(model, seed_input))
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(x)
            penultimate_output, layer_output = probe(x, training=False)
            overall_loss = -1 * activation_maximization_loss(layer_output, filter_indices)
        grads = tape.gradient(overall_loss, penultimate_output).numpy()
        penultimate_output_value = penultimate_output.numpy()
    finally:
        restore_backprop()
        restore_linear()
    grads = GRAD_MODIFIERS[grad_modifier](grads)
    grads = grads / (np.max(grads) + EPSILON)
    other_axis = tuple(range(len(grads.shape) - 1))
    weights = np.mean(grads, axis=other_axis)
    output_dims = penultimate_output_value.shape[1:-1]
    heatmap = np.zeros(shape=output_dims, dtype=np.float32)
    for i, w in enumerate(weights):
        heatmap += w * penultimate_output_value[0, ..., i]
    heatmap = np.maximum(heatmap, 0)
    input_dims = tuple(model.inputs[0].shape[1:-1])
    zoom_factor = [i / (j * 1.0) for i, j in iter(zip(input_dims, output_dims))]
    heatmap = scipy.ndimage.zoom(heatmap, zoom_factor)
    return normalize(heatmap), penultimate_idx


def visualize_activation(model, layer_idx, filter_indices, seed_input, keras_module, max_iter=200,
                         input_range=(0, 255), act_max_weight=1, lp_norm_weight=10, tv_weight=10, linear=False):
    """keras-vis's visualize_activation with a given seed input and no input modifiers; returns the float image
    before keras-vis's final uint8 cast."""
    restore_linear = swap_to_linear(model, layer_idx, keras_module) if linear else (lambda: None)
    try:
        probe = _probe(model, model.layers[layer_idx].output, keras_module)
        seed = _seed(model, seed_input)
        image_dims = np.prod(seed.shape[1:])

        def losses(img):
            am = activation_maximization_loss(probe(img, training=False), filter_indices)
            lp = tf.pow(tf.reduce_sum(tf.pow(tf.abs(img), 6.)), 1. / 6.) / image_dims
            down = tf.square(img[:, 1:, :-1, :] - img[:, :-1, :-1, :])
            across = tf.square(img[:, :-1, 1:, :] - img[:, :-1, :-1, :])
            tv = tf.reduce_sum(tf.pow(down + across, 2. / 2.)) / image_dims
            return act_max_weight * am + lp_norm_weight * lp + tv_weight * tv

        cache = None
        best_loss = float("inf")
        best_input = None
        for _ in range(max_iter):
            x = tf.constant(seed)
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                tape.watch(x)
                overall_loss = losses(x)
            grads = tf.math.l2_normalize(tape.gradient(overall_loss, x)).numpy()
            if cache is None:
                cache = np.zeros_like(grads)
            cache = 0.95 * cache + (1 - 0.95) * grads ** 2
            step = -grads / np.sqrt(cache + EPSILON)
            seed += step
            overall_loss = overall_loss.numpy()
            if overall_loss < best_loss:
                best_loss = overall_loss.copy()
                best_input = seed.copy()
    finally:
        restore_linear()
    return deprocess_input(best_input[0], input_range)
