import Foundation
import KerasExplain
import KerasGraph

/// Why an object-box file (`--boxes`) could not be used; each case names the file, and the input where one is at
/// fault.
public enum ObjectBoxesError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file could not be read (missing, a directory, no permission).
  case unreadableFile(path: String, reason: String)
  /// The file is not a JSON object from input name to boxes.
  case malformed(path: String, detail: String)
  /// The file has no entry for the input (neither its path nor its file name).
  case missingEntry(path: String, input: String)
  /// An input's entry holds something that is not a box `[x0, y0, x1, y1]` with `x0 < x1` and `y0 < y1`.
  case invalidBox(path: String, input: String, detail: String)

  /// A one-line explanation naming the file (and the input).
  public var description: String {
    switch self {
    case .unreadableFile(let path, let reason): return "\(path): cannot read object boxes: \(reason)"
    case .malformed(let path, let detail): return "\(path): not an object-box file: \(detail)"
    case .missingEntry(let path, let input): return "\(path): no entry for \(input)"
    case .invalidBox(let path, let input, let detail): return "\(path): \(input): \(detail)"
    }
  }
}

/// Annotated object boxes per input, as `kerasvis evaluate --boxes`, `compare --boxes` and `report --boxes` read
/// them: a JSON object from input file name (or path) to
/// - one box `[x0, y0, x1, y1]` (x1, y1 exclusive) in pixels of the model input,
/// - a list of such boxes,
/// - or `{"boxes": [...], "width": W, "height": H}`: boxes (one or a list) in pixels of a W x H original, scaled to
///   the model input (`width` and `height` may be left out: then that axis is not scaled).
///
/// ```swift
/// let table = try ObjectBoxes.load(path: "boxes.json")        // {"cat.jpg": {"boxes": [[10, 20, 200, 180]], "width": 640, "height": 480}}
/// let boxes = try table.boxes(for: "photos/cat.jpg", inputWidth: 299, inputHeight: 299)
/// ```
public struct ObjectBoxes: Sendable, Equatable {
  /// The file the boxes came from (named in errors).
  public let path: String
  /// The entries by input name, as written.
  public let entries: JSONObject

  /// Boxes read from `entries`; `path` names their file in errors.
  public init(entries: JSONObject, path: String) {
    self.entries = entries
    self.path = path
  }

  /// Reads the box file at `path`.
  /// - Throws: ``ObjectBoxesError`` naming `path`: unreadable, invalid JSON, or not a JSON object.
  public static func load(path: String) throws(ObjectBoxesError) -> ObjectBoxes {
    let data: Data
    do {
      data = try fileContents(path)
    } catch {
      throw .unreadableFile(path: path, reason: error.reason)
    }
    return try parse(data, path: path)
  }

  /// Boxes from a file's bytes; `path` names the file in errors.
  /// - Throws: ``ObjectBoxesError/malformed(path:detail:)`` for text that is not a JSON object.
  public static func parse(_ data: Data, path: String) throws(ObjectBoxesError) -> ObjectBoxes {
    guard let text = String(data: data, encoding: .utf8) else {
      throw .malformed(path: path, detail: "not UTF-8 text")
    }
    let value: JSONValue
    do {
      value = try JSONValue.parseStrict(text)
    } catch {
      throw .malformed(path: path, detail: "invalid JSON: \(error)")
    }
    guard let object = value.object else {
      throw .malformed(path: path, detail: "expected a JSON object from input name to boxes, got a JSON \(value.kind)")
    }
    return ObjectBoxes(entries: object, path: path)
  }

  /// The entry of `input`: by its path as given, else by its file name.
  public func entry(for input: String) -> JSONValue? {
    entries[input] ?? entries[(input as NSString).lastPathComponent]
  }

  /// The boxes of `input` in pixels of a `inputWidth` x `inputHeight` model input: the entry's boxes, scaled by
  /// `inputWidth / width` and `inputHeight / height` when the entry gives the original's size, with the start
  /// rounded down and the end rounded up (so a scaled box still covers its object).
  /// - Throws: ``ObjectBoxesError/missingEntry(path:input:)`` when the file has no entry for `input`,
  ///   ``ObjectBoxesError/invalidBox(path:input:detail:)`` for an entry that is not one box, a list of boxes, or
  ///   the `{"boxes", "width", "height"}` form with a positive size.
  public func boxes(for input: String, inputWidth: Int, inputHeight: Int) throws(ObjectBoxesError) -> [BoundingBox] {
    let name = (input as NSString).lastPathComponent
    guard let entry = entry(for: input) else { throw .missingEntry(path: path, input: name) }
    let expected = "expected a box [x0, y0, x1, y1] with x0 < x1 and y0 < y1, a list of them, or "
    let form = #"{"boxes": [...], "width": W, "height": H}"#
    var list: [JSONValue]
    var (scaleX, scaleY) = (1.0, 1.0)
    if let array = entry.array {
      list = array
    } else if let object = entry.object {
      guard let boxes = object["boxes"]?.array else {
        throw .invalidBox(path: path, input: name, detail: expected + form + ", got \(entry.jsonText)")
      }
      list = boxes
      for key in object.keys where !["boxes", "width", "height"].contains(key) {
        throw .invalidBox(path: path, input: name, detail: "unknown key \"\(key)\" (expected \(form))")
      }
      func scale(_ key: String, _ size: Int) throws(ObjectBoxesError) -> Double {
        guard let value = object[key] else { return 1 }
        guard let original = value.number, original.isFinite, original > 0 else {
          throw .invalidBox(
            path: path, input: name, detail: "\"\(key)\" must be the original's positive size, got \(value.jsonText)"
          )
        }
        return Double(size) / original
      }
      scaleX = try scale("width", inputWidth)
      scaleY = try scale("height", inputHeight)
    } else {
      throw .invalidBox(path: path, input: name, detail: expected + form + ", got \(entry.jsonText)")
    }
    // One box `[x0, y0, x1, y1]` stands for a list of one.
    // (A flat list of another length is one bad box, reported whole.)
    if !list.isEmpty, list.allSatisfy({ $0.number != nil }) { list = [.array(list)] }
    guard !list.isEmpty else { throw .invalidBox(path: path, input: name, detail: "the list of boxes is empty") }
    var result: [BoundingBox] = []
    for box in list {
      let numbers = (box.array ?? []).compactMap { $0.number }
      guard numbers.count == 4, box.array?.count == 4, numbers.allSatisfy(\.isFinite), numbers[0] < numbers[2],
        numbers[1] < numbers[3]
      else {
        throw .invalidBox(path: path, input: name, detail: expected + form + ", got \(box.jsonText)")
      }
      func pixel(_ value: Double, _ rule: FloatingPointRoundingRule) -> Int {
        Int(max(-1e9, min(1e9, value.rounded(rule))))
      }
      result.append(
        BoundingBox(
          x0: pixel(numbers[0] * scaleX, .down), y0: pixel(numbers[1] * scaleY, .down),
          x1: pixel(numbers[2] * scaleX, .up), y1: pixel(numbers[3] * scaleY, .up)))
    }
    return result
  }
}
