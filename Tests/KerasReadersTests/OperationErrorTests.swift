import Foundation
import KerasGraph
import KerasReaders
import TestSupport
import Testing

/// Loads `NAME.weights.h5` with a copy of `NAME.json` whose layer list has `entry` appended (an operation or a
/// TFOpLambda reading the input `pixels`; it feeds no output, but every entry is decoded).
private func loadAppending(_ entry: [String: Any], to fixture: String) throws -> Graph {
  let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath(fixture + ".json")))
  var topology = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  var config = try #require(topology["config"] as? [String: Any])
  var layers = try #require(config["layers"] as? [[String: Any]])
  layers.append(entry)
  config["layers"] = layers
  topology["config"] = config
  let path = temporaryPath(".json")
  try JSONSerialization.data(withJSONObject: topology).write(to: URL(fileURLWithPath: path))
  defer { try? FileManager.default.removeItem(atPath: path) }
  return try KerasModelFile.load(path: fixturePath(fixture + ".weights.h5"), topologyPath: path)
}

/// Keras 3's serialized symbolic tensor for the input `pixels` of weights_only_k3.
private var pixels: [String: Any] {
  [
    "class_name": "__keras_tensor__",
    "config": ["shape": [NSNull(), 10, 10, 3], "dtype": "float32", "keras_history": ["pixels", 0, 0]],
  ]
}

/// A Keras 3 operation entry on `args`, with its module (as `.keras` writes it) or without (as `.h5` does).
private func operation(_ className: String, _ config: [String: Any], args: [Any], module: String?) -> [String: Any] {
  var entry: [String: Any] = [
    "class_name": className, "config": config, "name": config["name"] as? String ?? "",
    "inbound_nodes": [["args": args, "kwargs": [String: Any]()]],
  ]
  if let module { entry["module"] = module }
  return entry
}

/// A tf.keras TFOpLambda (or `className`) entry calling `function` on the input `pixels` with `kwargs`.
private func tfOpLambda(
  _ function: String, name: String, kwargs: [String: Any], className: String = "TFOpLambda"
) -> [String: Any] {
  [
    "class_name": className,
    "config": ["name": name, "trainable": true, "dtype": "float32", "function": function],
    "name": name, "inbound_nodes": [["pixels", 0, 0, kwargs]],
  ]
}

/// The error `load` throws, as text (an issue is recorded when it succeeds or throws something else).
private func errorText(_ load: () throws -> Graph) -> String {
  do {
    _ = try load()
    Issue.record("expected an error")
  } catch let error as KerasImportError {
    guard case .unsupportedLayer = error else {
      Issue.record("expected unsupportedLayer, got \(error)")
      return ""
    }
    return error.description
  } catch {
    Issue.record("expected a KerasImportError, got \(error)")
  }
  return ""
}

@Suite("Unsupported operations name themselves and their arguments in words")
struct OperationErrorTests {
  @Test("a Keras 3 operation between tensors: its module and class, arguments in words, no layer index")
  func kerasOperationBetweenTensors() throws {
    let text = errorText {
      try loadAppending(
        operation("Divide", ["name": "divide"], args: [pixels, pixels], module: "keras.src.ops.numpy"),
        to: "weights_only_k3")
    }
    #expect(text.contains("operation 'divide' (Divide) cannot be imported"), "\(text)")
    #expect(
      text.contains(
        "the Keras operation keras.src.ops.numpy.Divide with arguments (a tensor, a tensor) is not supported"),
      "\(text)")
    #expect(!text.contains("layer '") && !text.contains("index"), "\(text)")
    #expect(!text.contains("PositionalArgument") && !text.contains("KerasModel"), "\(text)")
  }

  @Test("a known Keras 3 operation with arguments it cannot take says why; an .h5 operation has no module")
  func kerasOperationArguments() throws {
    let mean = errorText {
      try loadAppending(
        operation(
          "Mean", ["name": "mean", "axis": NSNull(), "keepdims": false], args: [pixels], module: "keras.src.ops.numpy"),
        to: "weights_only_k3")
    }
    #expect(
      mean.contains(
        "is not supported: a reduction over every axis"),
      "\(mean)")
    // JSONSerialization writes the config's fields in any order.
    #expect(
      mean.contains("with arguments (a tensor; ") && mean.contains("axis: none") && mean.contains("keepdims: false"))
    let cumsum = errorText {
      try loadAppending(
        operation("Cumsum", ["name": "cumsum", "axis": 1], args: [pixels, 2.5], module: nil), to: "weights_only_k3")
    }
    #expect(
      cumsum.contains(
        "operation 'cumsum' (Cumsum) cannot be imported: the Keras operation Cumsum with arguments (a tensor, the number 2.5; axis: the number 1) is not supported"
      ), "\(cumsum)")
  }

  @Test("a TFOpLambda names the TensorFlow function and its arguments in words")
  func tfOpLambdaErrors() throws {
    let unknown = errorText {
      try loadAppending(
        tfOpLambda(
          "math.divide_no_nan", name: "tf.math.divide_no_nan", kwargs: ["y": ["pixels", 0, 0], "name": NSNull()]),
        to: "weights_only")
    }
    #expect(
      unknown.contains(
        "layer 'tf.math.divide_no_nan' (index 5, TFOpLambda) cannot be imported: the TensorFlow function tf.math.divide_no_nan with arguments (a tensor, y: a tensor) is not supported"
      ), "\(unknown)")
    let reshape = errorText {
      try loadAppending(tfOpLambda("reshape", name: "tf.reshape", kwargs: ["shape": [2, 300]]), to: "weights_only")
    }
    #expect(
      reshape.contains(
        "the TensorFlow function tf.reshape with arguments (a tensor, shape: the list [2,300]) is not supported: shape is the list [2,300]; only a list of sizes whose first (batch) entry is -1 is supported"
      ), "\(reshape)")
  }

  @Test("stack, split, slicing, matmul and resize name the argument that does not fit")
  func structureOperationErrors() throws {
    let split = errorText {
      try loadAppending(
        tfOpLambda("split", name: "tf.split", kwargs: ["num_or_size_splits": 2, "axis": 0]), to: "weights_only")
    }
    // JSONSerialization writes the kwargs in any order.
    #expect(split.contains("the TensorFlow function tf.split with arguments (a tensor, "), "\(split)")
    #expect(split.contains("num_or_size_splits: the number 2") && split.contains("axis: the number 0"), "\(split)")
    #expect(split.contains(") is not supported: axis 0 splits the batch axis"), "\(split)")
    let uneven = errorText {
      try loadAppending(
        tfOpLambda("split", name: "tf.split", kwargs: ["num_or_size_splits": 2, "axis": -1]), to: "weights_only")
    }
    #expect(uneven.contains("is not supported: an axis of size 3 does not split into 2 equal parts"), "\(uneven)")
    let slice: [String: Any] = ["start": NSNull(), "stop": NSNull(), "step": NSNull()]
    let fancy = errorText {
      try loadAppending(
        tfOpLambda(
          "__operators__.getitem", name: "tf.__operators__.getitem", kwargs: ["slice_spec": [slice, [0, 1]]],
          className: "SlicingOpLambda"), to: "weights_only")
    }
    #expect(
      fancy.contains(
        "layer 'tf.__operators__.getitem' (index 5, SlicingOpLambda) cannot be imported: the TensorFlow function tf.__operators__.getitem with arguments (a tensor, slice_spec: a list (the slice :, the list [0,1])) is not supported: slice_spec entry 1 is the list [0,1]; only integers, slices of integers, None and ... are supported"
      ), "\(fancy)")
    let bicubic = errorText {
      try loadAppending(
        tfOpLambda("image.resize", name: "tf.image.resize", kwargs: ["size": [4, 4], "method": "bicubic"]),
        to: "weights_only")
    }
    #expect(
      bicubic.contains(
        "is not supported: method is the string 'bicubic'; only 'bilinear' and 'nearest' are supported"),
      "\(bicubic)")
    let cube = [[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]
    let matmul = errorText {
      try loadAppending(
        operation(
          "Matmul", ["name": "matmul"],
          args: [pixels, ["class_name": "__numpy__", "config": ["value": cube, "dtype": "float32"]]],
          module: "keras.src.ops.numpy"), to: "weights_only_k3")
    }
    #expect(
      matmul.contains(
        "the Keras operation keras.src.ops.numpy.Matmul with arguments (a tensor, a constant array) is not supported: the second operand is a constant of shape [2, 2, 2]; only a constant matrix (rank 2) is supported"
      ), "\(matmul)")
    let batch = errorText {
      try loadAppending(
        operation(
          "GetItem", ["name": "get_item"],
          args: [pixels, ["class_name": "__slice__", "config": ["start": 1, "stop": NSNull(), "step": NSNull()]]],
          module: "keras.src.ops.numpy"), to: "weights_only_k3")
    }
    #expect(
      batch.contains(
        "GetItem with arguments (a tensor, the slice 1:) is not supported: the key [1:] slices the batch axis"),
      "\(batch)")
    let antialias = errorText {
      try loadAppending(
        operation(
          "Resize", ["name": "resize", "size": [4, 4], "interpolation": "bilinear", "antialias": true],
          args: [pixels], module: "keras.src.ops.image"), to: "weights_only_k3")
    }
    #expect(antialias.contains("is not supported: antialias is true; only false is supported"), "\(antialias)")
  }
}
