import Foundation
import KerasVis
import TestSupport
import Testing

/// The tiny keras.applications-named ImageNet classifier (`tools/make_label_fixtures.py`): a `mobilenet...` name
/// and 1000 classes, biased towards 281 (tabby), 282 (tiger_cat), 285 (Egyptian_cat).
private let imageNetModel = fixturePath("mobilenet_tiny_imagenet.h5")
private let sampleModel = samplePath("shapes_cnn.h5")
private let sampleImage = samplePath("images/triangle_0.png")

@Suite("Class names: ImageNet's for keras.applications models, --labels files")
struct ClassLabelsTests {
  @Test("the shipped ImageNet names are Keras's decode_predictions names")
  func imageNetNames() {
    let labels = ClassLabels.imageNet
    #expect(labels.count == 1000)
    #expect(labels.names.allSatisfy { $0 != nil })
    #expect(labels[0] == "tench" && labels[1] == "goldfish" && labels[281] == "tabby")
    #expect(labels[282] == "tiger_cat" && labels[285] == "Egyptian_cat" && labels[999] == "toilet_tissue")
    // imagenet_class_index.json names two classes "crane" (bird and machine) and two "maillot".
    #expect(labels[134] == "crane" && labels[517] == "crane" && labels[638] == "maillot" && labels[639] == "maillot")
    #expect(labels[1000] == nil && labels[-1] == nil)
    #expect(ClassLabels.imageNetWordNetID(281) == "n02123045" && ClassLabels.imageNetWordNetID(0) == "n01440764")
    #expect(labels.describe(281, score: 0.62318) == "281 tabby 0.62318")
  }

  @Test(
    "keras.applications names with 1000 classes get ImageNet's names",
    arguments: [
      ("inception_v3", 1000, true), ("mobilenetv2_1.00_224", 1000, true), ("resnet50", 1000, true),
      ("densenet121", 1000, true), ("efficientnetb0", 1000, true), ("vgg16", 1000, true),
      ("inception_v3", 10, false), ("shapes_cnn", 1000, false), ("my_classifier", 1000, false),
    ])
  func recognition(_ name: String, _ classes: Int, _ named: Bool) {
    #expect((ClassLabels.forModel(named: name, classCount: classes) == .imageNet) == named)
    #expect((ClassLabels.forModel(named: name, classCount: classes) == nil) == !named)
  }

  @Test("a model graph: the tiny mobilenet fixture is recognised, the sample is not")
  func recognitionOfGraphs() throws {
    #expect(ClassLabels.forModel(try ModelLoader.load(path: imageNetModel)) == .imageNet)
    #expect(ClassLabels.forModel(try ModelLoader.load(path: sampleModel)) == nil)
    #expect(ClassLabels.forModel(try ModelLoader.load(path: fixturePath("inception_v3_narrow.h5"))) == nil)
    let file = try ClassLabels.resolve(for: try ModelLoader.load(path: imageNetModel), file: nil)
    #expect(file == .imageNet)
    #expect(ClassLabels.imageNet.applies(toClassCount: 1000) && !ClassLabels.imageNet.applies(toClassCount: 3))
  }

  @Test("files: one name per line, a JSON list, a JSON object, Keras's imagenet_class_index.json")
  func files() throws {
    let folder = try ScratchFolder("labels")
    defer { folder.cleanUp() }
    func labels(_ text: String, _ name: String) throws -> ClassLabels {
      try Data(text.utf8).write(to: URL(fileURLWithPath: folder.path(name)))
      return try ClassLabels.load(path: folder.path(name))
    }
    let lines = try labels("circle\r\n  square \n\ntriangle\n\n\n", "lines.txt")
    #expect(lines.names == ["circle", "square", nil, "triangle"])
    #expect(lines.source == folder.path("lines.txt") && !lines.requiresMatchingCount)
    #expect(lines.applies(toClassCount: 1000))
    #expect(lines.mismatch(classCount: 3) == "\(folder.path("lines.txt")) names 4 classes; the output has 3")
    #expect(lines.mismatch(classCount: 4) == nil)
    #expect(try labels(#"["cat", "dog"]"#, "list.json").names == ["cat", "dog"])
    #expect(try labels(#" {"0": "cat", "2": "bird"} "#, "object.json").names == ["cat", nil, "bird"])
    let keras = try labels(#"{"0": ["n01440764", "tench"], "1": ["n01443537", "goldfish"]}"#, "keras.json")
    #expect(keras.names == ["tench", "goldfish"])
    #expect(keras.describe(1, score: 0.5) == "1 goldfish 0.50000")
    #expect(keras.describe(7, score: 0.5) == "7 0.50000")
  }

  @Test("bad files are refused, naming the file and what is wrong")
  func badFiles() throws {
    let folder = try ScratchFolder("labels")
    defer { folder.cleanUp() }
    func refusal(_ text: String, _ name: String) throws -> ClassLabelsError? {
      let path = folder.path(name)
      try Data(text.utf8).write(to: URL(fileURLWithPath: path))
      do {
        _ = try ClassLabels.load(path: path)
        return nil
      } catch {
        #expect(error.description.hasPrefix(path))
        return error
      }
    }
    guard case .malformed(_, let json) = try refusal(#"{"0": "cat",}"#, "broken.json") else {
      Issue.record("invalid JSON accepted")
      return
    }
    #expect(json.contains("invalid JSON") && json.contains("byte"))
    guard case .malformed(_, let key) = try refusal(#"{"cat": "0"}"#, "key.json") else {
      Issue.record("a non-index key accepted")
      return
    }
    #expect(key.contains(#"key "cat""#))
    guard case .malformed(_, let value) = try refusal(#"["cat", 3]"#, "value.json") else {
      Issue.record("a number accepted as a name")
      return
    }
    #expect(value.contains("entry 1 is the number 3"), "\(value)")
    #expect(try refusal(#"{"-1": "cat"}"#, "negative.json") != nil)
    #expect(try refusal(#"{"99999999": "cat"}"#, "huge.json") != nil)
    #expect(
      try refusal("\n \n", "empty.txt") == .malformed(path: folder.path("empty.txt"), detail: "it names no class"))
    #expect(try refusal(#"{"0": {"name": "cat"}}"#, "nested.json") != nil)
    do {
      _ = try ClassLabels.load(path: folder.path("missing.txt"))
      Issue.record("a missing file loaded")
    } catch {
      guard case .unreadableFile(let path, _) = error else {
        Issue.record("\(error)")
        return
      }
      #expect(path == folder.path("missing.txt"))
    }
  }

  @Test("predict prints index, name and score for a keras.applications ImageNet model, and --json has \"name\"")
  func predictImageNetNames() throws {
    let result = try kerasvis(["predict", imageNetModel, sampleImage, "--top", "3"])
    #expect(result.status == 0, "\(result.error)")
    let lines = result.output.split(separator: "\n").map(String.init)
    #expect(lines.first == "output: shape [1, 1000]")
    #expect(lines.dropFirst().first == "  sample 0:")
    let entries = lines.dropFirst(2).map { $0.trimmingCharacters(in: .whitespaces).split(separator: " ") }
    #expect(entries.map { $0.prefix(2).joined(separator: " ") } == ["281 tabby", "282 tiger_cat", "285 Egyptian_cat"])
    let scores = entries.compactMap { $0.last.flatMap { Float($0) } }
    #expect(scores.count == 3 && scores == scores.sorted(by: >) && scores[0] > 0 && scores[0] < 1)

    let json = try kerasvis(["predict", imageNetModel, sampleImage, "--top", "2", "--json"])
    #expect(json.status == 0, "\(json.error)")
    let parsed = try JSONValue.parse(Data(json.output.utf8))
    let top = try #require(parsed["outputs"]?[0]?["top"]?[0]?.array)
    #expect(top.map { $0["name"]?.string } == ["tabby", "tiger_cat"])
    #expect(top.map { $0["class"]?.int } == [281, 282])
    #expect(top[0]["score"]?.number.map { abs($0 - Double(scores[0])) < 1e-5 } == true)
  }

  @Test("--labels FILE names any model's classes on predict; without names the output stays as it was")
  func predictWithLabelsFile() throws {
    let folder = try ScratchFolder("labels")
    defer { folder.cleanUp() }
    let text = folder.path("shapes.txt")
    let json = folder.path("shapes.json")
    try Data("circle\nsquare\ntriangle\n".utf8).write(to: URL(fileURLWithPath: text))
    try Data(#"{"0": "circle", "1": "square", "2": "triangle"}"#.utf8).write(to: URL(fileURLWithPath: json))
    for file in [text, json] {
      let result = try kerasvis(["predict", sampleModel, sampleImage, "--labels", file])
      #expect(result.status == 0, "\(result.error)")
      #expect(result.output.contains("    2 triangle 0."), "\(result.output)")
      #expect(result.output.contains(" circle ") && result.output.contains(" square "))
    }
    let plain = try kerasvis(["predict", sampleModel, sampleImage, "--top", "1"])
    #expect(plain.output.contains("sample 0: 2 ("), "\(plain.output)")
    let jsonOutput = try kerasvis(["predict", sampleModel, sampleImage, "--top", "1", "--json", "--labels", text])
    #expect(jsonOutput.output.contains(#""name": "triangle""#), "\(jsonOutput.output)")
    let unnamed = try kerasvis(["predict", sampleModel, sampleImage, "--top", "1", "--json"])
    #expect(!unnamed.output.contains(#""name""#))

    let short = folder.path("two.txt")
    try Data("circle\nsquare\n".utf8).write(to: URL(fileURLWithPath: short))
    let warned = try kerasvis(["predict", sampleModel, sampleImage, "--labels", short])
    #expect(warned.status == 0)
    #expect(warned.error.contains("warning: --labels \(short) names 2 classes; the output has 3"))
    #expect(warned.output.contains("    2 0."), "an unnamed class keeps its index and score")

    let missing = try kerasvis(["predict", sampleModel, sampleImage, "--labels", folder.path("none.txt")])
    #expect(missing.status == 1)
    #expect(missing.error.contains("--labels \(folder.path("none.txt")): cannot read class names"))
  }
}
