import KerasGraph
import KerasReaders
import NativeFormat

/// Opens any model file kerasvis reads, choosing the reader from the file's first bytes.
public enum ModelLoader {
  /// Loads a model: a native file (safetensors, recognised by an 8-byte length followed by `{`) through
  /// `NativeModelFile.load`, without libhdf5; anything else through `KerasModelFile.load`.
  /// - Parameters:
  ///   - path: a native file, a Keras `.h5` (full model or weights only) or a `.keras` archive.
  ///   - topologyPath: the `model.to_json()` file for a weights-only `.h5`; a native file holds its own graph, so
  ///     passing one with a native file is an error.
  ///   - registry: implementations of custom layer classes.
  /// - Throws: `NativeFormatError` or `KerasImportError`, naming the file.
  public static func load(path: String, topologyPath: String? = nil, registry: LayerRegistry = LayerRegistry())
    throws -> Graph
  {
    if NativeModelFile.isNativeFile(path: path) {
      if let topologyPath {
        throw NativeFormatError.invalidGraph(
          file: path, path: "",
          detail: "a native file holds its own graph; do not pass a topology file (\(topologyPath))")
      }
      return try NativeModelFile.load(path: path, registry: registry)
    }
    return try KerasModelFile.load(path: path, topologyPath: topologyPath, registry: registry)
  }

  /// Converts a Keras model file (or another native file) into a native file at `destination`.
  /// - Parameters:
  ///   - source: any file `ModelLoader.load` opens.
  ///   - topologyPath: the `model.to_json()` file for a weights-only `.h5`.
  ///   - destination: the file to write; it must not be `source` or `topologyPath` (also through links).
  ///   - options: the weights' dtype and whether Keras configs are kept.
  ///   - registry: implementations of custom layer classes.
  /// - Returns: the converted graph (as loaded from `source`).
  /// - Throws: `NativeFormatError.outputIsInput`, the source's import errors, or write errors.
  @discardableResult
  public static func convert(
    from source: String, topologyPath: String? = nil, to destination: String,
    options: NativeWriteOptions = NativeWriteOptions(), registry: LayerRegistry = LayerRegistry()
  ) throws -> Graph {
    for input in [source] + (topologyPath.map { [$0] } ?? []) where NativeModelFile.sameFile(input, destination) {
      throw NativeFormatError.outputIsInput(file: destination)
    }
    let graph = try ModelLoader.load(path: source, topologyPath: topologyPath, registry: registry)
    try NativeModelFile.write(graph, to: destination, options: options)
    return graph
  }

}
