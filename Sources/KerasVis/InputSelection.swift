import Foundation

/// What went wrong choosing the inputs of a run: a list file, a class table or a shard that cannot be used.
public enum InputSelectionError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A file (`--inputs-from`, `--classes`) could not be read.
  case unreadable(path: String, reason: String)
  /// A line of a class table is not `input,class[,class...]`.
  case malformedLine(path: String, line: Int, text: String, expected: String)
  /// A class name that the labels do not hold.
  case unknownClass(path: String, line: Int, name: String)
  /// `K/N` that is not a shard (`0 <= K < N`).
  case invalidShard(String)
  /// An input without an entry in the class table.
  case missingClass(input: String, path: String)

  public var description: String {
    switch self {
    case .unreadable(let path, let reason): return "\(path): cannot read it (\(reason))"
    case .malformedLine(let path, let line, let text, let expected):
      return "\(path):\(line): expected \(expected), got '\(text)'"
    case .unknownClass(let path, let line, let name):
      return "\(path):\(line): no class is named '\(name)' (give its index, or --labels with that name)"
    case .invalidShard(let text): return "expected K/N with 0 <= K < N (e.g. 0/4), got '\(text)'"
    case .missingClass(let input, let path): return "\(path) has no line for \(input)"
    }
  }
}

/// The inputs of a run: image and `.npy` files named directly, found in folders, or listed in a file, optionally
/// one shard of them, so that a scheduler (Slurm array jobs, Kubernetes indexed Jobs, GNU parallel) can spread a
/// large data set over machines, each writing its own outputs.
public enum InputSelection {
  /// The file extensions a folder contributes.
  public static let extensions: Set<String> = ["png", "jpg", "jpeg", "npy"]

  /// `arguments` with each folder replaced by its PNG, JPEG and `.npy` files (sorted by name), followed by the
  /// paths listed one per line in `listFile` (blank lines and lines starting with `#` skipped; relative paths are
  /// taken from the current directory).
  public static func files(_ arguments: [String], listFile: String? = nil) throws(InputSelectionError) -> [String] {
    var listed: [String] = []
    if let listFile {
      let text: String
      do {
        text = String(decoding: try fileContents(listFile), as: UTF8.self)
      } catch {
        throw .unreadable(path: listFile, reason: error.reason)
      }
      listed = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }
    return (arguments + listed).flatMap { argument -> [String] in
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory.boolValue,
        let names = try? FileManager.default.contentsOfDirectory(atPath: argument)
      else { return [argument] }
      return names.filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
        .map { (argument as NSString).appendingPathComponent($0) }
    }
  }

  /// Shard `index` of `count` (`0 <= index < count`) of `files`: every `count`-th file starting at `index`, so that
  /// the shards together hold every file once and are as even as possible.
  public static func shard<Element>(_ files: [Element], index: Int, count: Int) -> [Element] {
    files.enumerated().filter { $0.offset % count == index }.map(\.element)
  }

  /// `K/N` (`3/8`) as a shard index and count.
  public static func parseShard(_ text: String) throws(InputSelectionError) -> (index: Int, count: Int) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { Int($0) }
    guard parts.count == 2, let index = parts[0], let count = parts[1], count > 0, (0..<count).contains(index) else {
      throw .invalidShard(text)
    }
    return (index, count)
  }
}

/// The classes to explain for each input, read from a CSV file of `input,class` lines (`photo.jpg,281`), where a
/// class is an index or a name the labels hold (`tabby`), and several classes (`photo.jpg,281,285`) are explained
/// at once. A first line `input,class` is a header and skipped.
public struct InputClassTable: Sendable, Equatable {
  /// The file the table came from.
  public let path: String
  /// The classes by input, keyed by the input as written and by its file name.
  private var classesByInput: [String: [Int]] = [:]

  /// Reads the table at `path`, resolving class names with `labels`.
  public init(contentsOf path: String, labels: ClassLabels?) throws(InputSelectionError) {
    let text: String
    do {
      text = String(decoding: try fileContents(path), as: UTF8.self)
    } catch {
      throw .unreadable(path: path, reason: error.reason)
    }
    try self.init(parsing: text, path: path, labels: labels)
  }

  /// Parses a table's text (`path` names it in errors).
  public init(parsing text: String, path: String, labels: ClassLabels?) throws(InputSelectionError) {
    self.path = path
    var namesToIndex: [String: Int] = [:]
    for (index, name) in (labels?.names ?? []).enumerated() {
      if let name, namesToIndex[name] == nil { namesToIndex[name] = index }
    }
    for (number, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
      let line = rawLine.trimmingCharacters(in: .whitespaces)
      if line.isEmpty || line.hasPrefix("#") { continue }
      let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
      }
      if number == 0 && fields.count == 2 && fields[0].lowercased() == "input" && fields[1].lowercased() == "class" {
        continue
      }
      guard fields.count >= 2, !fields[0].isEmpty, fields.dropFirst().allSatisfy({ !$0.isEmpty }) else {
        throw .malformedLine(path: path, line: number + 1, text: line, expected: "input,class[,class...]")
      }
      let classes = try fields.dropFirst().map { field throws(InputSelectionError) -> Int in
        if let index = Int(field) { return index }
        guard let index = namesToIndex[field] else {
          throw .unknownClass(path: path, line: number + 1, name: field)
        }
        return index
      }
      classesByInput[fields[0]] = classes
      let fileName = (fields[0] as NSString).lastPathComponent
      if classesByInput[fileName] == nil { classesByInput[fileName] = classes }
    }
  }

  /// The classes for `input` (looked up by its path as given, then by its file name).
  /// - Throws: `InputSelectionError.missingClass` when the table has no line for it.
  public func classes(for input: String) throws(InputSelectionError) -> [Int] {
    guard let classes = classesByInput[input] ?? classesByInput[(input as NSString).lastPathComponent] else {
      throw .missingClass(input: (input as NSString).lastPathComponent, path: path)
    }
    return classes
  }
}
