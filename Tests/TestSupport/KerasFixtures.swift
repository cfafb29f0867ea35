import Foundation

/// A Keras model fixture in `Tests/Fixtures/models`, written by `tools/make_fixtures.py`: the file, the
/// `model.to_json()` topology of a weights-only file, and the fixture name its report (`NAME.expected.json`),
/// stored inputs, outputs and gradients go by.
public struct KerasFixture: Sendable, CustomStringConvertible {
  public var file: String
  public var topology: String?
  public var name: String

  public init(_ file: String, topology: String? = nil, name: String) {
    self.file = file
    self.topology = topology
    self.name = name
  }

  /// Whether Keras's outputs are stored (`NAME.output_0.npy`).
  public var hasOutputs: Bool { FileManager.default.fileExists(atPath: fixturePath("\(name).output_0.npy")) }

  /// Whether tf.GradientTape's gradients are stored (`NAME.grad.json`).
  public var hasGradients: Bool { FileManager.default.fileExists(atPath: fixturePath("\(name).grad.json")) }

  public var description: String { file }
}

/// Every Keras model fixture, in one list: the import, forward and gradient suites take theirs from it (a new
/// fixture is one line here).
public let kerasFixtures: [KerasFixture] = [
  KerasFixture("inception_v3_narrow.h5", name: "inception_v3_narrow"),
  KerasFixture("sequential_cnn.h5", name: "sequential_cnn"),
  KerasFixture("nested_mobilenet.h5", name: "nested_mobilenet"),
  KerasFixture("weights_only.weights.h5", topology: "weights_only.json", name: "weights_only"),
  KerasFixture("weights_only_k3.weights.h5", topology: "weights_only_k3.json", name: "weights_only_k3"),
  KerasFixture("layer_zoo_k2.h5", name: "layer_zoo_k2"),
  KerasFixture("long_names.h5", name: "long_names"),
  KerasFixture("fully_convolutional.h5", name: "fully_convolutional"),
  KerasFixture("float16_dense.h5", name: "float16_dense"),
  KerasFixture("legacy_strings.h5", name: "legacy_strings"),
  KerasFixture("layer_zoo_k3.h5", name: "layer_zoo_k3"),
  KerasFixture("layer_zoo_k3.keras", name: "layer_zoo_k3"),
  KerasFixture("nested_k3.keras", name: "nested_k3"),
  KerasFixture("normalization_zoo_k2.h5", name: "normalization_zoo_k2"),
  KerasFixture("normalization_zoo_k3.h5", name: "normalization_zoo_k3"),
  KerasFixture("normalization_zoo_k3.keras", name: "normalization_zoo_k3"),
  KerasFixture("ops_zoo_k2.h5", name: "ops_zoo_k2"),
  KerasFixture("ops_zoo_k3.h5", name: "ops_zoo_k3"),
  KerasFixture("ops_zoo_k3.keras", name: "ops_zoo_k3"),
  KerasFixture("ops_more_k2.h5", name: "ops_more_k2"),
  KerasFixture("ops_more_k3.keras", name: "ops_more_k3"),
  KerasFixture("preprocessing_k2.h5", name: "preprocessing_k2"),
  KerasFixture("preprocessing_k3.h5", name: "preprocessing_k3"),
  KerasFixture("preprocessing_k3.keras", name: "preprocessing_k3"),
  KerasFixture("conv1d_zoo_k2.h5", name: "conv1d_zoo_k2"),
  KerasFixture("conv1d_zoo_k3.keras", name: "conv1d_zoo_k3"),
  KerasFixture("conv3d_zoo_k2.h5", name: "conv3d_zoo_k2"),
  KerasFixture("conv3d_zoo_k3.keras", name: "conv3d_zoo_k3"),
  KerasFixture("channels_first_k2.h5", name: "channels_first_k2"),
  KerasFixture("channels_first_k3.keras", name: "channels_first_k3"),
  KerasFixture("attention_zoo_k2.h5", name: "attention_zoo_k2"),
  KerasFixture("attention_zoo_k3.keras", name: "attention_zoo_k3"),
  KerasFixture("vit_k2.h5", name: "vit_k2"),
  KerasFixture("vit_k3.keras", name: "vit_k3"),
  KerasFixture("masked_attention_k2.h5", name: "masked_attention_k2"),
  KerasFixture("masked_attention_k3.keras", name: "masked_attention_k3"),
  KerasFixture("rnn_zoo_k2.h5", name: "rnn_zoo_k2"),
  KerasFixture("rnn_zoo_k3.keras", name: "rnn_zoo_k3"),
  KerasFixture("text_zoo_k2.h5", name: "text_zoo_k2"),
  KerasFixture("text_zoo_k3.keras", name: "text_zoo_k3"),
  KerasFixture("seq2seq_k2.h5", name: "seq2seq_k2"),
  KerasFixture("seq2seq_k3.keras", name: "seq2seq_k3"),
  KerasFixture("time_distributed_k2.h5", name: "time_distributed_k2"),
  KerasFixture("time_distributed_k3.keras", name: "time_distributed_k3"),
]
