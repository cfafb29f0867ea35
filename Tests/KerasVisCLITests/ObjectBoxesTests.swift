import Foundation
import KerasVis
import Testing

/// Parses `text` as a box file named `boxes.json`.
private func table(_ text: String) throws -> ObjectBoxes {
  try ObjectBoxes.parse(Data(text.utf8), path: "boxes.json")
}

/// The error `body` throws, or nil when it throws none.
private func boxError(_ body: () throws -> Void) -> ObjectBoxesError? {
  do {
    try body()
    return nil
  } catch {
    return error as? ObjectBoxesError
  }
}

@Suite("Object-box files (--boxes): one box, a list, the original's size, errors naming the file and input")
struct ObjectBoxesTests {
  @Test("one box, a list of boxes, and either under \"boxes\" without a size are the model input's pixels")
  func unscaledForms() throws {
    let one = BoundingBox(x0: 10, y0: 12, x1: 40, y1: 44)
    for entry in ["[10, 12, 40, 44]", "[[10, 12, 40, 44]]", #"{"boxes": [10, 12, 40, 44]}"#] {
      let boxes = try table(#"{"cat.png": \#(entry)}"#).boxes(for: "cat.png", inputWidth: 64, inputHeight: 64)
      #expect(boxes == [one], "\(entry)")
    }
    let two = try table(#"{"cat.png": [[0, 0, 4, 4], [5.5, 6, 9, 10.2]]}"#)
      .boxes(for: "cat.png", inputWidth: 64, inputHeight: 64)
    // Fractional coordinates: the start rounded down, the end up.
    #expect(two == [BoundingBox(x0: 0, y0: 0, x1: 4, y1: 4), BoundingBox(x0: 5, y0: 6, x1: 9, y1: 11)])
  }

  @Test("{\"boxes\", \"width\", \"height\"}: boxes of a W x H original scaled to the model input")
  func scaledToInput() throws {
    let file = try table(#"{"photo.jpg": {"boxes": [[100, 50, 300, 250]], "width": 400, "height": 500}}"#)
    // x scaled by 64 / 400 = 0.16, y by 32 / 500 = 0.064: [16, 3.2, 48, 16] -> [16, 3, 48, 16].
    let boxes = try file.boxes(for: "photo.jpg", inputWidth: 64, inputHeight: 32)
    #expect(boxes == [BoundingBox(x0: 16, y0: 3, x1: 48, y1: 16)])
    // Only the width given: the rows are not scaled.
    let widthOnly = try table(#"{"photo.jpg": {"boxes": [100, 50, 300, 250], "width": 200}}"#)
      .boxes(for: "photo.jpg", inputWidth: 100, inputHeight: 32)
    #expect(widthOnly == [BoundingBox(x0: 50, y0: 50, x1: 150, y1: 250)])
  }

  @Test("an input is found by its path as given, else by its file name")
  func lookup() throws {
    let file = try table(#"{"a/cat.png": [0, 0, 2, 2], "cat.png": [1, 1, 3, 3]}"#)
    #expect(
      try file.boxes(for: "a/cat.png", inputWidth: 8, inputHeight: 8) == [BoundingBox(x0: 0, y0: 0, x1: 2, y1: 2)])
    #expect(
      try file.boxes(for: "b/cat.png", inputWidth: 8, inputHeight: 8) == [BoundingBox(x0: 1, y0: 1, x1: 3, y1: 3)])
  }

  @Test("errors name the file and the input: not an object, no entry, bad boxes, bad sizes")
  func errors() throws {
    let notObject = boxError { _ = try table("[[0, 0, 1, 1]]") }
    #expect(
      notObject.map { "\($0)" }?.contains("boxes.json: not an object-box file") == true,
      "\(String(describing: notObject))")
    let invalidJSON = boxError { _ = try table("{\"a.png\": [0, 0") }
    guard case .malformed(path: "boxes.json", let detail) = invalidJSON else {
      Issue.record("expected .malformed, got \(String(describing: invalidJSON))")
      return
    }
    #expect(detail.contains("invalid JSON"))
    let file = try table(
      #"""
      {"reversed.png": [40, 10, 10, 40], "three.png": [1, 2, 3], "word.png": "box", "empty.png": [],
       "size.png": {"boxes": [0, 0, 1, 1], "width": 0}, "key.png": {"boxes": [0, 0, 1, 1], "depth": 3},
       "noboxes.png": {"width": 10}}
      """#)
    let missing = boxError { _ = try file.boxes(for: "dir/other.png", inputWidth: 8, inputHeight: 8) }
    #expect(missing == .missingEntry(path: "boxes.json", input: "other.png"))
    #expect("\(missing!)" == "boxes.json: no entry for other.png")
    let expectations = [
      ("reversed.png", "got [40, 10, 10, 40]"), ("three.png", "got [1, 2, 3]"), ("word.png", "got \"box\""),
      ("empty.png", "empty"), ("size.png", "\"width\" must be the original's positive size, got 0"),
      ("key.png", "unknown key \"depth\""), ("noboxes.png", "got {"),
    ]
    for (input, needle) in expectations {
      let error = boxError { _ = try file.boxes(for: input, inputWidth: 8, inputHeight: 8) }
      guard case .invalidBox(path: "boxes.json", input: input, let detail) = error else {
        Issue.record("\(input): expected .invalidBox, got \(String(describing: error))")
        continue
      }
      #expect(detail.contains(needle), "\(input): \(detail)")
      #expect("\(error!)".hasPrefix("boxes.json: \(input): "))
    }
  }

  @Test("a file that cannot be read is named")
  func unreadable() {
    let error = boxError { _ = try ObjectBoxes.load(path: "/nonexistent/boxes.json") }
    guard case .unreadableFile(path: "/nonexistent/boxes.json", _) = error else {
      Issue.record("expected .unreadableFile, got \(String(describing: error))")
      return
    }
  }
}
