import Foundation
import Imaging
import KerasGraph

/// Why a class-name file could not be used; each case names the file.
public enum ClassLabelsError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file could not be read (missing, a directory, no permission, not UTF-8 text).
  case unreadableFile(path: String, reason: String)
  /// The file is not one of the accepted layouts, or holds no names.
  case malformed(path: String, detail: String)

  /// A one-line explanation naming the file.
  public var description: String {
    switch self {
    case .unreadableFile(let path, let reason): return "\(path): cannot read class names: \(reason)"
    case .malformed(let path, let detail): return "\(path): not a class-name file: \(detail)"
    }
  }
}

/// The names of a classifier's output classes, by class index: the ImageNet names keras.applications' models
/// print (``imageNet``), or names read from a file (``load(path:)``).
///
/// ```swift
/// let labels = ClassLabels.forModel(graph)          // ImageNet names for a keras.applications model
/// labels?[281]                                      // "tabby"
/// let mine = try ClassLabels.load(path: "labels.txt")
/// ```
public struct ClassLabels: Sendable, Equatable {
  /// The names by class index; `nil` where the source names no class (a gap in a JSON object, an empty line).
  public let names: [String?]
  /// Where the names came from: a file's path, or `ImageNet (keras.applications)`.
  public let source: String
  /// Whether the names only fit outputs with exactly ``count`` classes (the ImageNet names); a file's names are
  /// used for any output, by index.
  public let requiresMatchingCount: Bool

  /// Names for classes `0..<names.count`.
  public init(names: [String?], source: String, requiresMatchingCount: Bool = false) {
    self.names = names
    self.source = source
    self.requiresMatchingCount = requiresMatchingCount
  }

  /// The number of class indices the labels cover (the largest named index plus one).
  public var count: Int { names.count }

  /// The name of class `index`, or `nil` when the labels do not name it (also for indices out of range).
  public subscript(index: Int) -> String? {
    names.indices.contains(index) ? names[index] : nil
  }

  /// The largest class index a file may name: a guard against a stray huge key allocating a huge table.
  public static let maximumIndex = 1 << 20

  // MARK: ImageNet

  /// The 1000 ImageNet classes as Keras's `decode_predictions` names them (`imagenet_class_index.json`: `tench`,
  /// `goldfish`, ..., `281 tabby`, `282 tiger_cat`, ...), shipped with the package.
  public static let imageNet = ClassLabels(
    names: ImageNetClasses.entries.map(\.name), source: "ImageNet (keras.applications)", requiresMatchingCount: true)

  /// The WordNet ID of ImageNet class `index` (`n02123045` for 281), as in `decode_predictions`'s tuples.
  public static func imageNetWordNetID(_ index: Int) -> String? {
    ImageNetClasses.entries.indices.contains(index) ? ImageNetClasses.entries[index].wordNetID : nil
  }

  /// The ImageNet names when `name` is a keras.applications model's name (the names whose preprocessing
  /// ``PreprocessMode/forModel(named:)`` recognises: `inception_v3`, `resnet50`, `mobilenetv2_1.00_224`, ...)
  /// and its output has the 1000 ImageNet classes; `nil` otherwise.
  public static func forModel(named name: String, classCount: Int) -> ClassLabels? {
    guard classCount == ImageNetClasses.entries.count, PreprocessMode.forModel(named: name) != nil else { return nil }
    return imageNet
  }

  /// The ImageNet names for a keras.applications model whose (first) output is `(N, 1000)`; `nil` otherwise.
  public static func forModel(_ graph: Graph) -> ClassLabels? {
    guard let shape = graph.outputShapes.first, shape.rank == 2, let classes = shape.dimensions[1] else {
      return nil
    }
    return forModel(named: graph.name, classCount: classes)
  }

  /// The names for `graph`'s classes: read from `file` when given (`--labels`), else the ImageNet names of a
  /// keras.applications model, else `nil`.
  /// - Throws: ``ClassLabelsError`` naming `file`.
  public static func resolve(for graph: Graph, file: String?) throws(ClassLabelsError) -> ClassLabels? {
    if let file { return try load(path: file) }
    return forModel(graph)
  }

  // MARK: Files

  /// Reads class names from a file in one of three layouts, recognised from its first character:
  /// - a JSON list of names, `["cat", "dog"]` (index = position);
  /// - a JSON object from class index to name, `{"0": "cat", "1": "dog"}`, where a name may also be a list
  ///   whose last element is the name, as in Keras's `imagenet_class_index.json` (`{"0": ["n01440764", "tench"]}`);
  /// - otherwise one name per line (index = line number from 0; surrounding spaces, `\r` and trailing empty lines
  ///   are dropped, an empty line in between leaves its class unnamed).
  /// - Throws: ``ClassLabelsError`` naming `path`: unreadable, invalid JSON (with the byte offset), a key that is
  ///   not a class index, a value that is not a name, or no names at all.
  public static func load(path: String) throws(ClassLabelsError) -> ClassLabels {
    let data: Data
    do {
      data = try fileContents(path)
    } catch {
      throw .unreadableFile(path: path, reason: error.reason)
    }
    return try parse(data, path: path)
  }

  /// Class names from a file's bytes; `path` names the file in errors and becomes ``source``.
  /// - Throws: ``ClassLabelsError``, see ``load(path:)``.
  public static func parse(_ data: Data, path: String) throws(ClassLabelsError) -> ClassLabels {
    guard let text = String(data: data, encoding: .utf8) else {
      throw .unreadableFile(path: path, reason: "not UTF-8 text")
    }
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    let names: [String?]
    if trimmed.hasPrefix("[") || trimmed.hasPrefix("{") {
      let value: JSONValue
      do {
        value = try JSONValue.parseStrict(trimmed)
      } catch {
        throw .malformed(path: path, detail: "invalid JSON: \(error)")
      }
      names = try jsonNames(value, path: path)
    } else {
      // "\r\n" is one Character in Swift: split the scalars, so that Windows line ends split too.
      var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map {
        String(String.UnicodeScalarView($0)).trimmingCharacters(
          in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
      }
      while lines.last?.isEmpty == true { lines.removeLast() }
      names = lines.map { $0.isEmpty ? nil : $0 }
    }
    guard names.contains(where: { $0 != nil }) else { throw .malformed(path: path, detail: "it names no class") }
    return ClassLabels(names: names, source: path)
  }

  private static func jsonNames(_ value: JSONValue, path: String) throws(ClassLabelsError) -> [String?] {
    func name(_ entry: JSONValue, at place: String) throws(ClassLabelsError) -> String {
      if let text = entry.string { return text }
      if let text = entry.array?.last?.string { return text }
      throw .malformed(path: path, detail: "\(place) is \(entry.kind), not a name (a string, or a list ending in one)")
    }
    if let list = value.array {
      var names: [String?] = []
      for (index, entry) in list.enumerated() { names.append(try name(entry, at: "entry \(index)")) }
      return names
    }
    guard let object = value.object else { throw .malformed(path: path, detail: "JSON \(value.kind)") }
    var named: [(Int, String)] = []
    for member in object {
      guard let index = Int(member.key), index >= 0, index <= maximumIndex, String(index) == member.key else {
        throw .malformed(
          path: path, detail: "key \"\(member.key)\" is not a class index (0...\(maximumIndex), written in decimal)")
      }
      named.append((index, try name(member.value, at: "class \(member.key)")))
    }
    var names = [String?](repeating: nil, count: (named.map(\.0).max() ?? -1) + 1)
    for (index, text) in named { names[index] = text }
    return names
  }

  // MARK: Describing classes

  /// `281 tabby 0.62318` (index, name, score with 5 decimals), or `281 0.62318` when the class has no name.
  public func describe(_ index: Int, score: Float) -> String {
    let value = String(format: "%.5f", Double(score))
    guard let name = self[index] else { return "\(index) \(value)" }
    return "\(index) \(name) \(value)"
  }

  /// Whether these names are used for an output of `classCount` classes (always, unless
  /// ``requiresMatchingCount`` and the counts differ).
  public func applies(toClassCount classCount: Int) -> Bool {
    !requiresMatchingCount || classCount == count
  }

  /// A warning when the labels cover a different number of classes than an output has (`nil` when they agree).
  public func mismatch(classCount: Int) -> String? {
    guard count != classCount else { return nil }
    return "\(source) names \(count) classes; the output has \(classCount)"
  }
}
