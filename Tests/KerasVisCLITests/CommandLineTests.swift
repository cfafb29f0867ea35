import Foundation
import KerasVis
import TestSupport
import Testing

@Suite("kerasvis summary")
struct SummaryCommandTests {
  @Test("--json lists every layer with index, name, class, output shape, params and inbound, as Keras does")
  func jsonMatchesKeras() throws {
    let result = try kerasvis(["summary", fixturePath("inception_v3_narrow.h5"), "--json"])
    #expect(result.status == 0, "\(result.error)")
    let summary = try JSONValue.parse(Data(result.output.utf8))
    let layers = try #require(summary["layers"]?.array)
    let expected = try JSONValue.parse(
      Data(contentsOf: FixtureFolder.models.url("inception_v3_narrow.expected.json")))
    let keras = try #require(expected["layers"]?.array)
    #expect(layers.count == keras.count)
    for (row, reference) in zip(layers, keras) {
      for key in ["index", "name", "class", "output_shape", "params", "inbound"] {
        #expect(row[key] == reference[key], "\(key) of \(reference["name"]?.string ?? "?")")
      }
    }
    #expect(layers[299]["name"]?.string == "conv2d_94")
    #expect(layers[0]["output_shape"]?[0] == .null)
  }

  @Test("the table shows the index column and the layer names")
  func table() throws {
    let result = try kerasvis(["summary", fixturePath("sequential_cnn.h5")])
    #expect(result.status == 0)
    #expect(result.output.contains("Index"))
    #expect(result.output.contains("renamed_conv (Conv2D)"))
    #expect(result.output.contains("Total params:"))
  }

  @Test("a weights-only file takes --topology; without it the error names the flag")
  func topology() throws {
    let weights = fixturePath("weights_only.weights.h5")
    let missing = try kerasvis(["summary", weights])
    #expect(missing.status == 1)
    #expect(missing.error.contains("--topology"))
    let ok = try kerasvis(["summary", weights, "--topology", fixturePath("weights_only.json"), "--json"])
    #expect(ok.status == 0, "\(ok.error)")
  }

  @Test("bad input exits non-zero with a message naming the file")
  func badInput() throws {
    let missing = try kerasvis(["summary", "/no/such/model.h5"])
    #expect(missing.status == 1)
    #expect(missing.error.contains("/no/such/model.h5"))
    let usage = try kerasvis(["summary"])
    #expect(usage.status == 64)
  }

  @Test("--nested lists inner layers by path")
  func nested() throws {
    let result = try kerasvis(["summary", fixturePath("nested_mobilenet.h5"), "--nested", "--json"])
    #expect(result.status == 0)
    let summary = try JSONValue.parse(Data(result.output.utf8))
    let names = try #require(summary["layers"]?.array).compactMap { $0["name"]?.string }
    #expect(names.contains { $0.hasSuffix("/block_16_project") })
  }
}

@Suite("kerasvis bench")
struct BenchCommandTests {
  @Test("a model that takes any size needs --size HxW, which sets the input's height and width")
  func sizeForAnySizeModel() throws {
    let model = fixturePath("fully_convolutional.h5")
    let missing = try kerasvis(["bench", model, "--runs", "1", "--warmup", "0"])
    #expect(missing.status != 0)
    #expect(missing.error.contains("--size"), "\(missing.error)")
    let sized = try kerasvis(["bench", model, "--size", "24x20", "--runs", "1", "--warmup", "0"])
    #expect(sized.status == 0, "\(sized.error)")
    let report = try JSONValue.parse(Data(sized.output.utf8))
    #expect(report["runs"]?.int == 1)
    let fixed = try kerasvis(["bench", fixturePath("sequential_cnn.h5"), "--size", "10x10", "--runs", "1"])
    #expect(fixed.status != 0)
    #expect(fixed.error.contains("fixed size"), "\(fixed.error)")
  }

  @Test("--task lrp times the relevance of the top class by --method and reports it as the task")
  func lrpTask() throws {
    let result = try kerasvis([
      "bench", fixturePath("sequential_cnn.h5"), "--task", "lrp", "--method", "lrp-z-plus", "--runs", "2",
      "--warmup", "1",
    ])
    #expect(result.status == 0, "\(result.error)")
    let report = try JSONValue.parse(Data(result.output.utf8))
    #expect(report["task"]?.string == "lrp" && report["runs"]?.int == 2)
    #expect((report["median_ms"]?.number ?? 0) > 0)
  }
}
