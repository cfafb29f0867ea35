import Foundation
import KerasRuntime

/// Where the test fixtures and the repository's sample files are.
public enum Fixtures {
  /// The repository's root folder.
  public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// `Tests/Fixtures`.
  public static let root = repository.appendingPathComponent("Tests/Fixtures")

  /// A path under `Tests/Fixtures` (e.g. `models/sequential_cnn.h5`, as the fixtures' own manifests name files).
  public static func path(_ relativePath: String) -> String { root.appendingPathComponent(relativePath).path }
}

/// The folders of `Tests/Fixtures` and the tools that write them.
public enum FixtureFolder: String, CaseIterable, Sendable {
  /// Real Keras models with their inputs, outputs, gradients and summaries (`tools/make_fixtures.py`).
  case models
  /// keras-vis's reference maps (`tools/make_fixtures.py`).
  case vis
  /// pytorch-grad-cam, tf-keras-vis and Captum references (`tools/make_method_fixtures.py`).
  case methods
  /// Pillow, Keras and matplotlib references (`tools/make_image_fixtures.py`).
  case images
  /// `scipy.ndimage.zoom` references (`tools/make_zoom_fixtures.py`).
  case zoom
  /// The malformed-file corpus (`tools/make_bad_inputs.py`).
  case bad
  /// Native files written by the format-version-1 writer, kept so that later readers are checked against them.
  case native
  /// h5py-written HDF5 files (`tools/make_hdf5_fixtures.py`).
  case hdf5
  /// The pointing-game pictures and boxes (`tools/make_samples.py`).
  case pointing

  /// The folder.
  public var url: URL { Fixtures.root.appendingPathComponent(rawValue) }

  /// A file in the folder.
  public func url(_ name: String) -> URL { url.appendingPathComponent(name) }
}

/// The path of the fixture file `name` in `folder`.
public func fixturePath(_ name: String, in folder: FixtureFolder) -> String { folder.url(name).path }

/// The path of the model fixture `name` (in `Tests/Fixtures/models`); a function of one argument, for `map`.
public func fixturePath(_ name: String) -> String { fixturePath(name, in: .models) }

/// The path of a file under `Samples/` (e.g. `shapes_cnn.h5`, `images/triangle_0.png`).
public func samplePath(_ relativePath: String) -> String {
  Fixtures.repository.appendingPathComponent("Samples").appendingPathComponent(relativePath).path
}

/// Reads the `.npy` fixture `name` in `folder` with the library's reader (`NPY.read`).
public func fixtureArray(_ name: String, in folder: FixtureFolder = .models) throws -> Tensor {
  try NPY.read(path: fixturePath(name, in: folder))
}

/// The stored inputs of a model fixture (`NAME.input.npy`, or `NAME.input_K.npy` for several).
public func fixtureInputs(_ name: String) throws -> [Tensor] {
  if FileManager.default.fileExists(atPath: fixturePath("\(name).input.npy")) {
    return [try fixtureArray("\(name).input.npy")]
  }
  var inputs: [Tensor] = []
  while FileManager.default.fileExists(atPath: fixturePath("\(name).input_\(inputs.count).npy")) {
    inputs.append(try fixtureArray("\(name).input_\(inputs.count).npy"))
  }
  return inputs
}

/// Keras's stored outputs of a model fixture (`NAME.output_K.npy`).
public func fixtureOutputs(_ name: String) throws -> [Tensor] {
  var outputs: [Tensor] = []
  while FileManager.default.fileExists(atPath: fixturePath("\(name).output_\(outputs.count).npy")) {
    outputs.append(try fixtureArray("\(name).output_\(outputs.count).npy"))
  }
  return outputs
}
