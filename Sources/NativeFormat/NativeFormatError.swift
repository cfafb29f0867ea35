/// An error reading or writing a kerasvis native model file (a safetensors file with the graph in its metadata).
/// Every case names the file.
public enum NativeFormatError: Error, CustomStringConvertible, Equatable {
  /// The file does not exist or is a directory.
  case fileNotFound(file: String)
  /// The operating system refused to open, map or write the file.
  case ioFailure(file: String, detail: String)
  /// The file is shorter than the 8-byte header length.
  case truncated(file: String, size: Int)
  /// The header length points past the end of the file.
  case headerLengthOutOfRange(file: String, headerLength: UInt64, fileSize: Int)
  /// The header is longer than the limit (`NativeFormatLimits.maximumHeaderBytes`).
  case headerTooLarge(file: String, headerLength: Int, limit: Int)
  /// The header is not JSON (or not UTF-8).
  case invalidHeaderJSON(file: String, detail: String)
  /// The header is JSON but not an object.
  case headerNotObject(file: String, found: String)
  /// A tensor's entry lacks `dtype`, `shape` or `data_offsets`, or has them of the wrong type.
  case invalidTensorEntry(file: String, tensor: String, detail: String)
  /// A tensor's dtype is not a safetensors dtype.
  case unknownDType(file: String, tensor: String, dtype: String)
  /// A tensor's dtype is a safetensors dtype that cannot hold weights (kerasvis reads F32, F16 and BF16).
  case unsupportedDType(file: String, tensor: String, dtype: String)
  /// A tensor's byte range ends past the data section.
  case offsetsOutOfRange(file: String, tensor: String, offsets: [UInt64], dataSize: Int)
  /// Two tensors share bytes.
  case overlappingTensors(file: String, first: String, second: String)
  /// Bytes of the data section belong to no tensor (the format allows no holes).
  case unindexedData(file: String, range: Range<Int>)
  /// A tensor's shape and dtype imply a different byte count than its offsets.
  case sizeMismatch(file: String, tensor: String, shape: [Int], dtype: String, byteCount: Int)
  /// `__metadata__` is not an object of strings.
  case invalidMetadata(file: String, detail: String)
  /// The file is a safetensors file without a kerasvis graph (`kerasvis.graph` in `__metadata__`).
  case missingGraph(file: String)
  /// The graph was written by a newer kerasvis.
  case unsupportedFormatVersion(file: String, found: Int, supported: Int)
  /// The graph description is malformed at `path` (a JSON path such as `model.layers[3].op.filters`).
  case invalidGraph(file: String, path: String, detail: String)
  /// The graph names a tensor that the file does not hold.
  case missingTensor(file: String, layer: String, tensor: String)
  /// The graph contradicts itself (shapes, connections or weights that do not fit the operations).
  case inconsistentGraph(file: String, layer: String, detail: String)
  /// A layer uses a custom class for which no implementation is registered.
  case customLayerNotRegistered(file: String, layer: String, className: String)
  /// `convert` was asked to write over one of its own inputs.
  case outputIsInput(file: String)

  /// The message: the file, then what is wrong with it.
  public var description: String {
    switch self {
    case .fileNotFound(let file):
      return "\(file): no such file"
    case .ioFailure(let file, let detail):
      return "\(file): \(detail)"
    case .truncated(let file, let size):
      return "\(file): not a native model file: \(size) bytes is too short for the 8-byte header length"
    case .headerLengthOutOfRange(let file, let headerLength, let fileSize):
      return "\(file): the header length \(headerLength) points past the end of the \(fileSize)-byte file"
    case .headerTooLarge(let file, let headerLength, let limit):
      return "\(file): the header is \(headerLength) bytes, over the limit of \(limit)"
    case .invalidHeaderJSON(let file, let detail):
      return "\(file): the safetensors header is not valid JSON: \(detail)"
    case .headerNotObject(let file, let found):
      return "\(file): the safetensors header must be a JSON object, found \(found)"
    case .invalidTensorEntry(let file, let tensor, let detail):
      return "\(file): tensor '\(tensor)': \(detail)"
    case .unknownDType(let file, let tensor, let dtype):
      return "\(file): tensor '\(tensor)' has the unknown dtype '\(dtype)'"
    case .unsupportedDType(let file, let tensor, let dtype):
      return "\(file): tensor '\(tensor)' has dtype \(dtype); kerasvis reads weights stored as F32, F16 or BF16"
    case .offsetsOutOfRange(let file, let tensor, let offsets, let dataSize):
      return "\(file): tensor '\(tensor)' has data_offsets \(offsets) outside the \(dataSize)-byte data section"
    case .overlappingTensors(let file, let first, let second):
      return "\(file): tensors '\(first)' and '\(second)' overlap"
    case .unindexedData(let file, let range):
      return "\(file): bytes \(range.lowerBound)..<\(range.upperBound) of the data section belong to no tensor"
    case .sizeMismatch(let file, let tensor, let shape, let dtype, let byteCount):
      return "\(file): tensor '\(tensor)' has shape \(shape) of \(dtype) but \(byteCount) bytes of data"
    case .invalidMetadata(let file, let detail):
      return "\(file): __metadata__ \(detail)"
    case .missingGraph(let file):
      return
        "\(file): a safetensors file without a kerasvis graph (no '\(NativeModelFile.graphMetadataKey)' in "
        + "__metadata__); convert the Keras model with kerasvis convert"
    case .unsupportedFormatVersion(let file, let found, let supported):
      return
        "\(file): the graph has format_version \(found), but this kerasvis reads versions up to \(supported); "
        + "use a newer kerasvis"
    case .invalidGraph(let file, let path, let detail):
      return "\(file): graph field '\(path)': \(detail)"
    case .missingTensor(let file, let layer, let tensor):
      return "\(file): layer '\(layer)' uses tensor '\(tensor)', which the file does not hold"
    case .inconsistentGraph(let file, let layer, let detail):
      return "\(file): layer '\(layer)': \(detail)"
    case .customLayerNotRegistered(let file, let layer, let className):
      return
        "\(file): layer '\(layer)' has the custom class '\(className)'; register a Swift implementation with "
        + "LayerRegistry.register(className: \"\(className)\")"
    case .outputIsInput(let file):
      return "\(file): the output file is one of the inputs; choose another output path"
    }
  }
}
