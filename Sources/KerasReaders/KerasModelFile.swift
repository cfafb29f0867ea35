import Foundation
import HDF5
import KerasGraph
import ZIPFoundation

/// The on-disk formats kerasvis reads.
public enum KerasFileFormat: String, Sendable {
  /// `model.save('m.h5')` from Keras 2.x or Keras 3 (legacy h5): `model_config` + `model_weights`.
  case fullModelH5 = "h5"
  /// `model.save_weights('w.h5')` with the architecture in a separate `model.to_json()` file.
  case weightsOnlyH5 = "weights-h5"
  /// Keras 3 `.keras` zip: `config.json` + `model.weights.h5`.
  case kerasArchive = "keras"
}

/// Limits that keep a hostile file from exhausting memory.
public enum KerasImportLimits {
  /// The largest `config.json`, `model_config` or topology file accepted, in bytes (default 256 MiB).
  nonisolated(unsafe) public static var maxConfigBytes = 256 << 20
  /// The largest `model.weights.h5` accepted inside a `.keras` archive, in bytes (default 8 GiB).
  nonisolated(unsafe) public static var maxArchiveMemberBytes = 8 << 30
}

/// Reads Keras model files into a `Graph`.
public enum KerasModelFile {
  /// Imports a Keras model file.
  /// - Parameters:
  ///   - path: a full-model `.h5` (Keras 2.x or 3 legacy), a weights-only `.h5` (with `topologyPath`), or a
  ///     Keras 3 `.keras` archive. The format is recognised from the file's bytes, not its extension.
  ///   - topologyPath: the `model.to_json()` file for a weights-only `.h5`; when given it also overrides a
  ///     full-model file's own config.
  ///   - registry: Swift implementations for custom layer classes.
  /// - Returns: the graph with every layer of `model.layers`, its weights and inferred output shapes.
  /// - Throws: `KerasImportError` naming the file and, where there is one, the layer at fault.
  public static func load(path: String, topologyPath: String? = nil, registry: LayerRegistry = LayerRegistry()) throws
    -> Graph
  {
    do {
      switch try detectFormat(path: path) {
      case .hdf5: return try loadH5(path: path, topologyPath: topologyPath, registry: registry)
      case .zip: return try loadArchive(path: path, topologyPath: topologyPath, registry: registry)
      }
    } catch let error as HDF5Error {
      throw KerasImportError.storage(detail: error.description)
    }
  }

  /// Which container a file is, judged by its first bytes.
  public static func format(ofFile path: String) throws -> KerasFileFormat {
    switch try detectFormat(path: path) {
    case .zip: return .kerasArchive
    case .hdf5:
      let file = try File(path: path)
      return try file.root.hasAttribute("model_config") ? .fullModelH5 : .weightsOnlyH5
    }
  }

  private enum Container { case hdf5, zip }

  private static func detectFormat(path: String) throws -> Container {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
      let handle = FileHandle(forReadingAtPath: path)
    else { throw KerasImportError.fileNotFound(file: path) }
    defer { try? handle.close() }
    let head = (try? handle.read(upToCount: 8)) ?? Data()
    if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .zip }
    if head.starts(with: [0x89, 0x48, 0x44, 0x46]) { return .hdf5 }
    // HDF5 allows a user block before the superblock (at 512, 1024, ... bytes); let libhdf5 decide.
    if (try? File(path: path)) != nil { return .hdf5 }
    if head.isEmpty { throw KerasImportError.unrecognizedFormat(file: path, detail: "the file is empty") }
    throw KerasImportError.unrecognizedFormat(file: path, detail: "neither an HDF5 file nor a zip archive")
  }

  private static func readTopology(_ path: String) throws -> JSONValue {
    guard FileManager.default.fileExists(atPath: path) else { throw KerasImportError.fileNotFound(file: path) }
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    if let size = attributes?[.size] as? Int, size > KerasImportLimits.maxConfigBytes {
      throw KerasImportError.invalidModelConfig(
        file: path, detail: "the topology file is \(size) bytes, over the limit of \(KerasImportLimits.maxConfigBytes)")
    }
    guard let data = FileManager.default.contents(atPath: path) else { throw KerasImportError.fileNotFound(file: path) }
    return try parseJSON(data, file: path)
  }

  private static func parseJSON(_ data: Data, file: String) throws -> JSONValue {
    guard data.count <= KerasImportLimits.maxConfigBytes else {
      throw KerasImportError.invalidModelConfig(
        file: file, detail: "the config is \(data.count) bytes, over the limit of \(KerasImportLimits.maxConfigBytes)")
    }
    do {
      return try JSONValue.parse(data)
    } catch {
      throw KerasImportError.invalidJSON(file: file, detail: String(describing: error).prefix(300).description)
    }
  }

  /// 2 or 3, from a `keras_version` string, or from the config's shape when the version is missing.
  static func kerasMajorVersion(version: String?, config: JSONValue) -> Int {
    if let version, let major = Int(version.split(separator: ".").first ?? "") { return major >= 3 ? 3 : 2 }
    return config["module"] != nil || config["config"]?["layers"]?[0]?["module"] != nil ? 3 : 2
  }

  private static func loadH5(path: String, topologyPath: String?, registry: LayerRegistry) throws -> Graph {
    let file = try File(path: path)
    let root = try file.root
    let config: JSONValue
    let configFile: String
    if let topologyPath {
      config = try readTopology(topologyPath)
      configFile = topologyPath
    } else if root.hasAttribute("model_config") {
      let text = try root.stringAttribute("model_config")
      config = try parseJSON(Data(text.utf8), file: path)
      configFile = path
    } else {
      throw KerasImportError.missingTopology(file: path)
    }
    let weightsGroup = root.memberKind("model_weights") == .group ? try root.group("model_weights") : root
    let legacyLayout = weightsGroup.hasAttribute("layer_names") || weightsGroup.hasAttribute("layer_names0")
    // `save_weights('w.weights.h5')` in Keras 3 (and tf-keras 2.13+) writes the `.keras` archive's weight layout.
    let archiveLayout = !legacyLayout && root.memberKind("layers") == .group
    guard legacyLayout || archiveLayout else {
      throw KerasImportError.unrecognizedFormat(
        file: path, detail: "an HDF5 file without Keras weights (no layer_names attribute and no 'layers' group)")
    }
    let version =
      (try? root.stringAttribute("keras_version")) ?? (try? weightsGroup.stringAttribute("keras_version"))
      ?? config["keras_version"]?.string
    var graph = try buildGraph(
      config: config, configFile: configFile, kerasMajorVersion: kerasMajorVersion(version: version, config: config),
      registry: registry)
    if archiveLayout {
      try ArchiveWeightLoader(file: path, root: root).load(into: &graph)
    } else {
      try LegacyWeightLoader(file: path, group: weightsGroup).load(into: &graph)
    }
    return graph
  }

  private static func loadArchive(path: String, topologyPath: String?, registry: LayerRegistry) throws -> Graph {
    let archive: Archive
    do {
      archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
    } catch {
      throw KerasImportError.invalidArchive(file: path, detail: "not a readable zip archive (\(error))")
    }
    func member(_ name: String, limit: Int) throws -> Data {
      guard let entry = archive[name] else {
        throw KerasImportError.invalidArchive(file: path, detail: "it has no member '\(name)'")
      }
      guard entry.uncompressedSize <= UInt64(limit) else {
        throw KerasImportError.invalidArchive(
          file: path, detail: "member '\(name)' is \(entry.uncompressedSize) bytes, over the limit of \(limit)")
      }
      var data = Data()
      do {
        _ = try archive.extract(entry, skipCRC32: false) { chunk in
          guard data.count + chunk.count <= limit else { throw CocoaError(.fileReadTooLarge) }
          data.append(chunk)
        }
      } catch {
        throw KerasImportError.invalidArchive(file: path, detail: "member '\(name)' cannot be extracted (\(error))")
      }
      return data
    }
    let config =
      try topologyPath.map(readTopology)
      ?? parseJSON(try member("config.json", limit: KerasImportLimits.maxConfigBytes), file: path + ":config.json")
    var version: String?
    if archive["metadata.json"] != nil,
      let metadata = try? JSONValue.parse(member("metadata.json", limit: 1 << 20))
    {
      version = metadata["keras_version"]?.string
    }
    var graph = try buildGraph(
      config: config, configFile: path, kerasMajorVersion: kerasMajorVersion(version: version ?? "3", config: config),
      registry: registry)
    let weightsName = path + ":model.weights.h5"
    let weights = try File(
      image: try member("model.weights.h5", limit: KerasImportLimits.maxArchiveMemberBytes), name: weightsName)
    try ArchiveWeightLoader(file: weightsName, root: try weights.root).load(into: &graph)
    return graph
  }

  /// Builds the graph from a parsed config (no weights attached).
  static func buildGraph(config: JSONValue, configFile: String, kerasMajorVersion: Int, registry: LayerRegistry) throws
    -> Graph
  {
    let builder = GraphBuilder(file: configFile, kerasMajorVersion: kerasMajorVersion, registry: registry)
    let graph = try builder.build(try builder.parser.parseModel(config))
    do {
      try graph.validate()
    } catch {
      throw KerasImportError.invalidGraph(file: configFile, layer: error.layer, detail: error.detail)
    }
    return graph
  }
}

extension KerasModelFile {
  /// The architecture described by a model config (`model.to_json()`, a `.keras` archive's `config.json`, or an
  /// `.h5` file's `model_config`), without weights: layers, connections and inferred output shapes.
  /// - Parameters:
  ///   - data: the JSON text.
  ///   - source: how errors name it.
  ///   - kerasMajorVersion: 2 or 3, or nil to judge from the config (`module` fields mean Keras 3).
  /// - Throws: `KerasImportError` naming the source and, where there is one, the layer at fault.
  public static func architecture(
    fromConfigJSON data: Data, source: String = "<config>", kerasMajorVersion: Int? = nil,
    registry: LayerRegistry = LayerRegistry()
  ) throws -> Graph {
    let config = try parseJSON(data, file: source)
    let major = kerasMajorVersion ?? self.kerasMajorVersion(version: config["keras_version"]?.string, config: config)
    return try buildGraph(config: config, configFile: source, kerasMajorVersion: major, registry: registry)
  }
}
