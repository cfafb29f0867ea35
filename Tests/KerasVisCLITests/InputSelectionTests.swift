import Foundation
import KerasVis
import TestSupport
import Testing

@Suite("inputs: folders, --inputs-from, --shard, --classes")
struct InputSelectionTests {
  private let images = Fixtures.repository.appendingPathComponent("Samples/images").path
  private let model = Fixtures.repository.appendingPathComponent("Samples/shapes_cnn.h5").path

  @Test("a folder expands to its images, a list file adds its lines; shards hold every file once")
  func filesAndShards() throws {
    let folder = try ScratchFolder("inputs")
    defer { folder.cleanUp() }
    let list = folder.path("list.txt")
    try "# extra inputs\n\n  \(images)/circle_0.png  \nmissing.png\n".write(
      toFile: list, atomically: true, encoding: .utf8)
    let files = try InputSelection.files([images], listFile: list)
    #expect(files.count == 8)
    #expect(files.first?.hasSuffix("circle_0.png") == true && files.last == "missing.png")
    var seen: [String] = []
    for index in 0..<3 {
      let shard = InputSelection.shard(files, index: index, count: 3)
      #expect(shard.count == (index < 2 ? 3 : 2))
      seen += shard
    }
    #expect(seen.sorted() == files.sorted())
    #expect(try InputSelection.parseShard("2/5") == (2, 5))
    for bad in ["5/5", "-1/3", "1", "a/b", "1/0"] {
      #expect(throws: InputSelectionError.invalidShard(bad)) { try InputSelection.parseShard(bad) }
    }
    #expect(throws: InputSelectionError.self) { try InputSelection.files([], listFile: folder.path("none.txt")) }
  }

  @Test("a class table: indices, names, several classes, a header; errors name the file and line")
  func classTable() throws {
    let labels = ClassLabels(names: ["circle", "square", "triangle"], source: "test")
    let table = try InputClassTable(
      parsing: "input,class\nimages/a.png, 2\nb.png,square\nc.png,0,1\n", path: "c.csv", labels: labels)
    #expect(try table.classes(for: "images/a.png") == [2])
    #expect(try table.classes(for: "elsewhere/a.png") == [2])
    #expect(try table.classes(for: "b.png") == [1])
    #expect(try table.classes(for: "c.png") == [0, 1])
    #expect(throws: InputSelectionError.missingClass(input: "d.png", path: "c.csv")) {
      try table.classes(for: "x/d.png")
    }
    #expect(throws: InputSelectionError.unknownClass(path: "c.csv", line: 2, name: "hexagon")) {
      try InputClassTable(parsing: "a.png,1\nb.png,hexagon\n", path: "c.csv", labels: labels)
    }
    #expect(
      throws: InputSelectionError.malformedLine(
        path: "c.csv", line: 1, text: "a.png", expected: "input,class[,class...]")
    ) {
      try InputClassTable(parsing: "a.png\n", path: "c.csv", labels: nil)
    }
  }

  @Test("cam --classes explains each input's own class: the maps equal --filter's one input at a time")
  func perInputClasses() throws {
    let folder = try ScratchFolder("classes")
    defer { folder.cleanUp() }
    let table = folder.path("classes.csv")
    try "circle_0.png,1\nsquare_0.png,2\ntriangle_0.png,0\n".write(toFile: table, atomically: true, encoding: .utf8)
    let list = folder.path("list.txt")
    try ["circle_0.png", "square_0.png", "triangle_0.png"].map { "\(images)/\($0)" }.joined(separator: "\n")
      .write(toFile: list, atomically: true, encoding: .utf8)
    let result = try kerasvis([
      "cam", model, "--inputs-from", list, "--classes", table, "--npy", folder.path("maps") + "/",
    ])
    #expect(result.status == 0, "\(result.error)")
    for (name, filter) in [("circle_0", 1), ("square_0", 2), ("triangle_0", 0)] {
      let single = folder.path("\(name).npy")
      let one = try kerasvis(["cam", model, "\(images)/\(name).png", "--filter", "\(filter)", "--npy", single])
      #expect(one.status == 0, "\(one.error)")
      let batched = try NPY.read(path: folder.path("maps/\(name).cam.npy"))
      #expect(batched.scalars == (try NPY.read(path: single)).scalars, "\(name)")
    }
    let missing = try kerasvis(["cam", model, images, "--classes", table, "--npy", folder.path("partial") + "/"])
    #expect(missing.status == 1)
    #expect(missing.error.contains("has no line for circle_1.png"))
    #expect(missing.error.contains("3 of 6 inputs failed"))
  }

  @Test("--shard K/N: the shards' outputs together are the whole run's, each file once")
  func shards() throws {
    let folder = try ScratchFolder("shards")
    defer { folder.cleanUp() }
    var written: [String] = []
    for index in 0..<2 {
      let out = folder.path("shard\(index)")
      let result = try kerasvis(["cam", model, images, "--shard", "\(index)/2", "--npy", out + "/"])
      #expect(result.status == 0, "\(result.error)")
      written += try FileManager.default.contentsOfDirectory(atPath: out)
    }
    #expect(written.count == 6 && Set(written).count == 6)
  }

  @Test("--method with --inputs-per-pass: inputs share a pass and get the maps they get one at a time")
  func batchedInputs() throws {
    let folder = try ScratchFolder("batch")
    defer { folder.cleanUp() }
    for size in [1, 4] {
      let result = try kerasvis([
        "cam", model, images, "--method", "gradcam", "--inputs-per-pass", "\(size)", "--npy",
        folder.path("b\(size)") + "/",
      ])
      #expect(result.status == 0, "\(result.error)")
    }
    for name in try FileManager.default.contentsOfDirectory(atPath: folder.path("b1")) {
      let one = try NPY.read(path: folder.path("b1/\(name)"))
      let four = try NPY.read(path: folder.path("b4/\(name)"))
      // The same arithmetic on a batch of 4 instead of 1: oneDNN may block the batch differently (float32 sums in
      // another order), and the maps are scaled to 0...1.
      expectAllClose(four, one, rtol: 0, atol: 1e-5, name)
    }
  }

  @Test("--version and the shell completion scripts")
  func versionAndCompletion() throws {
    let version = try kerasvis(["--version"])
    #expect(version.status == 0 && version.output.contains("kerasvis \(KerasVisVersion.current)"))
    for shell in ["bash", "zsh", "fish"] {
      let script = try kerasvis(["--generate-completion-script", shell])
      #expect(
        script.status == 0 && script.output.contains("saliency") && script.output.contains("gradcam++"), "\(shell)")
    }
  }
}
