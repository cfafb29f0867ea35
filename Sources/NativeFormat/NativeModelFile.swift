import KerasGraph

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// How `NativeModelFile.write` stores a graph.
public struct NativeWriteOptions: Sendable {
  /// The element type of the stored weights: `.float32` (loaded in place, results bit for bit equal to the
  /// source), `.float16` or `.bfloat16` (half the size, converted to Float32 when loaded).
  public var dtype: NativeDType
  /// Whether every layer keeps its Keras `config` (`keras_config` in the graph), so that `Layer.config` of the
  /// loaded graph equals the imported one. kerasvis itself never reads it back (the normalized `op` describes the
  /// layer), except for custom layers, whose registered factories take their Keras config.
  public var includesKerasConfig: Bool

  /// Creates write options.
  public init(dtype: NativeDType = .float32, includesKerasConfig: Bool = true) {
    self.dtype = dtype
    self.includesKerasConfig = includesKerasConfig
  }
}

/// kerasvis's native model file: a safetensors file whose tensors are the weights and whose `__metadata__` holds
/// the graph (`kerasvis.graph`, a JSON text with `"format_version": 2`). Loading maps the file and uses Float32
/// weights in place, without libhdf5.
///
/// The graph description (all keys always present unless marked optional):
///
/// ```
/// root      = {"format_version": 2, "model": graph}
/// graph     = {"name", "kind": "Functional" | "Sequential", "inputs": [input], "outputs": [source],
///              "layers": [layer], "operations": [layer]}
/// input     = {"name", "shape": shape, "layer": index of its InputLayer | null}
/// layer     = {"index", "name", "class_name", "trainable", "op": op, "weights": [{"name", "tensor"}],
///              "nodes": [{"inputs": [source], "output_shapes": [shape], "arguments"?: object}],
///              "keras_config"?: the Keras config}
/// source    = {"input": i} | {"layer": l, "node": n, "tensor": t} | {"operation": o, "node": n, "tensor": t}
/// shape     = [null | int, ...] (batch first)
/// op        = {"op": one of LayerKinds' operation names ("conv2d", "dense", "group_normalization", ...),
///              ...the kind's Codable config in Keras's snake_case field names, e.g. "filters", "kernel_size": [3, 3];
///              "activation": name, for kinds that split it off; "model" has "graph": graph; "custom" has
///              "class_name" and "config"}
/// ```
///
/// Floats are written with the shortest text that reads back as the same Float32 (`NaN`, `Infinity` and
/// `-Infinity` as strings). Tensor names are `<layer path>/<weight name>` (`mobilenetv2_0.10_96/Conv1/kernel`),
/// in Keras's weight order; the graph refers to them by name. Version 1 (before layer kinds were Codable) differs
/// only in a few field names and forms (`axes` lists normalized to non-negative axes where version 2 writes Keras's
/// `axis`) and is still read; a version-2 file must hold every field its kind writes.
public enum NativeModelFile {
  /// The `__metadata__` key that holds the graph description.
  public static let graphMetadataKey = "kerasvis.graph"
  /// The newest graph format version this kerasvis reads and the one it writes.
  public static let formatVersion = 2

  /// Whether the file at `path` starts like a safetensors file: an 8-byte length, then `{`.
  public static func isNativeFile(path: String) -> Bool {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var head = [UInt8](repeating: 0, count: 9)
    let count = head.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, 9) }
    return count == 9 && head[8] == UInt8(ascii: "{")
  }

  /// Reads and validates the safetensors header of a file (tensors and metadata), without the graph.
  /// - Throws: `NativeFormatError`.
  public static func header(path: String) throws(NativeFormatError) -> SafetensorsHeader {
    let mapped = try MappedFile(path: path)
    return try SafetensorsHeader.parse(mapped.bytes, file: path)
  }

  /// Loads a native model file: maps it, checks the header and the graph, and returns the graph with weights that
  /// use the mapped Float32 data in place (F16 and BF16 weights are converted). libhdf5 is not used.
  /// - Parameters:
  ///   - path: the `.safetensors` file written by `write` or `kerasvis convert`.
  ///   - registry: Swift implementations for custom layer classes, as for `KerasModelFile.load`.
  /// - Throws: `NativeFormatError` naming the file.
  public static func load(path: String, registry: LayerRegistry = LayerRegistry()) throws(NativeFormatError) -> Graph {
    let mapped = try MappedFile(path: path)
    let header = try SafetensorsHeader.parse(mapped.bytes, file: path)
    guard let text = header.metadata[graphMetadataKey] else { throw .missingGraph(file: path) }
    let root: JSONValue
    do {
      root = try JSONValue.parseStrict(text)
    } catch {
      throw .invalidGraph(file: path, path: "", detail: "the graph description is not JSON: \(error)")
    }
    var tensors: [String: NativeTensorInfo] = [:]
    tensors.reserveCapacity(header.tensors.count)
    for tensor in header.tensors { tensors[tensor.name] = tensor }
    let decoder = GraphDecoder(
      file: path, registry: registry, tensors: tensors, storage: mapped, dataStart: header.dataStart)
    return try decoder.decodeRoot(root)
  }

  /// The header and tensor layout of `graph` as a native file (no I/O).
  static func layout(_ graph: Graph, options: NativeWriteOptions, file: String) throws(NativeFormatError) -> (
    header: [UInt8], tensors: [(NativeTensorInfo, Weight)]
  ) {
    var encoder = GraphEncoder(includesKerasConfig: options.includesKerasConfig)
    let description: JSONValue
    do {
      description = try encoder.encodeRoot(graph)
    } catch {
      throw .invalidGraph(file: file, path: "", detail: "the graph cannot be encoded: \(error)")
    }
    var offset = 0
    var tensors: [(NativeTensorInfo, Weight)] = []
    for (name, weight) in encoder.tensors {
      let size = weight.values.count * options.dtype.byteCount
      tensors.append(
        (
          NativeTensorInfo(
            name: name, dtype: options.dtype, shape: weight.shape, dataOffsets: offset..<(offset + size)), weight
        ))
      offset += size
    }
    let header = SafetensorsHeader.encode(
      tensors: tensors.map(\.0), metadata: [(graphMetadataKey, description.compactText)])
    return (header, tensors)
  }

  /// Writes `graph` as a native file. The bytes go to a temporary file in the destination's folder, which is
  /// renamed over `path` only when complete, so an interrupted write never leaves a partial file at `path`.
  /// - Throws: `NativeFormatError.ioFailure` naming the file.
  public static func write(_ graph: Graph, to path: String, options: NativeWriteOptions = NativeWriteOptions())
    throws(NativeFormatError)
  {
    let (header, tensors) = try layout(graph, options: options, file: path)
    let output = try AtomicFileWriter(destination: path)
    do {
      try output.write(header)
      for (tensor, weight) in tensors {
        try writeValues(weight.values, as: tensor.dtype, to: output)
      }
      try output.commit()
    } catch {
      output.abandon()
      throw error
    }
  }

  private static func writeValues(_ values: FloatBuffer, as dtype: NativeDType, to output: AtomicFileWriter)
    throws(NativeFormatError)
  {
    let chunk = 1 << 16
    var start = 0
    while start < values.count {
      let end = min(start + chunk, values.count)
      let slice = UnsafeBufferPointer(rebasing: values.buffer[start..<end])
      switch dtype {
      case .float32:
        #if _endian(little)
          try output.write(UnsafeRawBufferPointer(slice))
        #else
          try output.write(slice.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        #endif
      case .float16, .bfloat16:
        var bytes = [UInt8](repeating: 0, count: slice.count * 2)
        bytes.withUnsafeMutableBytes { buffer in
          for (position, value) in slice.enumerated() {
            let bits = dtype == .float16 ? HalfPrecision.halfBits(value) : HalfPrecision.bfloat16Bits(value)
            buffer.storeBytes(of: bits.littleEndian, toByteOffset: position * 2, as: UInt16.self)
          }
        }
        try output.write(bytes)
      }
      start = end
    }
  }

  /// Whether two paths name the same existing file (same device and inode, so links count).
  public static func sameFile(_ first: String, _ second: String) -> Bool {
    var a = stat()
    var b = stat()
    guard stat(first, &a) == 0, stat(second, &b) == 0 else { return false }
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino
  }
}
