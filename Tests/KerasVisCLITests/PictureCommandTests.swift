import Foundation
import TestSupport
import Testing

private let sampleModel = samplePath("shapes_cnn.h5")
private let sampleImage = samplePath("images/triangle_0.png")

/// What a PNG's header says: size and colour type (0 gray, 2 RGB).
private struct PNGHeader: Equatable {
  var width: Int
  var height: Int
  var colorType: Int
}

/// Reads the signature and the IHDR chunk of the PNG at `path`.
private func pngHeader(_ path: String) throws -> PNGHeader {
  let bytes = try readBytes(path)
  try #require(bytes.count > 33)
  #expect(Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
  #expect(String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR")
  func bigEndian(_ offset: Int) -> Int { bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) } }
  return PNGHeader(width: bigEndian(16), height: bigEndian(20), colorType: Int(bytes[25]))
}

/// Whether kerasvis's own decoder (libpng, CRCs checked) reads the whole picture: `predict` loads it as a model
/// input (resized to the sample model's 64x64).
private func decodes(_ path: String) throws -> Bool {
  let result = try kerasvis(["predict", sampleModel, path, "--top", "1"])
  return result.status == 0 && result.output.contains("sample 0:")
}

@Suite("kerasvis layers")
struct LayersCommandTests {
  @Test("writes one titled grid per layer, stacked: the sizes add up and the PNG decodes")
  func stackedSections() throws {
    let folder = try ScratchFolder("pictures")
    defer { folder.cleanUp() }
    func draw(_ layers: [String], _ name: String) throws -> PNGHeader {
      let path = folder.path(name)
      let result = try kerasvis(["layers", sampleModel, sampleImage, "--layer"] + layers + ["--out", path])
      #expect(result.status == 0, "\(result.error)")
      #expect(result.output.contains("wrote \(path)"))
      #expect(try decodes(path))
      return try pngHeader(path)
    }
    let first = try draw(["conv1"], "conv1.png")
    let last = try draw(["last_conv"], "last.png")
    let both = try draw(["conv1", "last_conv"], "both.png")
    #expect(both.height == first.height + last.height)
    #expect(both.width == max(first.width, last.width))
    #expect(both.colorType == 0)
    // last_conv: 64 channels of 8x8 drawn 8x (64 pixels) in 8 columns with 4 pixels of padding.
    #expect(last.width == 8 * 64 + 9 * 4)
  }

  @Test("--max-channels and --tile-scale set the grid: 4 channels of 32x32 in 2 rows")
  func maxChannels() throws {
    let folder = try ScratchFolder("pictures")
    defer { folder.cleanUp() }
    let path = folder.path("conv1.png")
    let result = try kerasvis([
      "layers", sampleModel, sampleImage, "--layer", "conv1", "--max-channels", "4", "--tile-scale", "1", "--out", path,
    ])
    #expect(result.status == 0, "\(result.error)")
    #expect(result.output.contains("conv1 4 of 16 channels"))
    // Padding 4, a 7-pixel title line, 2 rows of (32-pixel tile + 9-pixel label line + padding).
    #expect(try pngHeader(path).height == 4 + (7 + 4) + 2 * (32 + 9 + 4))
  }

  @Test("a negative index in the attached form, and a .npy input on a fixture model")
  func indexAndArrayInput() throws {
    let folder = try ScratchFolder("pictures")
    defer { folder.cleanUp() }
    let path = folder.path("last.png")
    let byIndex = try kerasvis(["layers", sampleModel, sampleImage, "--layer=-3", "--out", path])
    #expect(byIndex.status == 0, "\(byIndex.error)")
    #expect(byIndex.output.contains("last_conv 64 of 64 channels"))

    let model = fixturePath("sequential_cnn.h5")
    let input = fixturePath("sequential_cnn.input.npy")
    let fixturePicture = folder.path("fixture.png")
    let array = try kerasvis(["layers", model, input, "--layer", "conv2d", "activation", "--out", fixturePicture])
    #expect(array.status == 0, "\(array.error)")
    #expect(array.output.contains("conv2d 8 of 8 channels, activation 16 of 16 channels"))
    #expect(try decodes(fixturePicture))
  }

  @Test("a bad layer exits 64 naming --layer; a missing image exits 1 naming the file")
  func errors() throws {
    let folder = try ScratchFolder("pictures")
    defer { folder.cleanUp() }
    let path = folder.path("never.png")
    let unknown = try kerasvis(["layers", sampleModel, sampleImage, "--layer", "conv_1", "--out", path])
    #expect(unknown.status == 64)
    #expect(unknown.error.contains("--layer conv_1"))
    #expect(unknown.error.contains("conv1"), "suggests the closest name")
    let dense = try kerasvis(["layers", sampleModel, sampleImage, "--layer", "predictions", "--out", path])
    #expect(dense.status == 64)
    #expect(dense.error.contains("--layer predictions"))
    #expect(dense.error.contains("(N, H, W, C)"))
    let outOfRange = try kerasvis(["layers", sampleModel, sampleImage, "--layer", "19", "--out", path])
    #expect(outOfRange.status == 64)
    #expect(outOfRange.error.contains("--layer 19"))
    expectUsageError(["layers", sampleModel, sampleImage, "--out", path], mentioning: "--layer")  // in process
    let missing = try kerasvis(["layers", sampleModel, "/no/such/picture.png", "--layer", "conv1", "--out", path])
    #expect(missing.status == 1)
    #expect(missing.error.contains("/no/such/picture.png"))
    #expect(!FileManager.default.fileExists(atPath: path))
  }
}

@Suite("kerasvis filters")
struct FiltersCommandTests {
  @Test("first-layer kernels of an RGB model are RGB tiles: 16 filters of 5x5, drawn 4x, in one row")
  func firstLayerKernels() throws {
    let folder = try ScratchFolder("pictures")
    defer { folder.cleanUp() }
    let path = folder.path("conv1.png")
    let result = try kerasvis(["filters", sampleModel, "--layer", "conv1", "--out", path])
    #expect(result.status == 0, "\(result.error)")
    let header = try pngHeader(path)
    #expect(header == PNGHeader(width: 16 * 20 + 17 * 4, height: 4 + (7 + 4) + (20 + 9 + 4), colorType: 2))
    #expect(try decodes(path))
  }

  @Test("deeper kernels get one gray section per input channel (--max-channels), --max-filters tiles each")
  func deeperKernels() throws {
    let folder = try ScratchFolder("pictures")
    defer { folder.cleanUp() }
    func draw(_ extra: [String], _ name: String) throws -> PNGHeader {
      let path = folder.path(name)
      let result = try kerasvis(["filters", sampleModel, "--layer", "conv2", "--out", path] + extra)
      #expect(result.status == 0, "\(result.error)")
      return try pngHeader(path)
    }
    let four = try draw([], "four.png")
    let two = try draw(["--max-channels", "2"], "two.png")
    #expect(four.colorType == 0)
    #expect(four.height == 2 * two.height)
    // 3x3 kernels drawn 8x (24 pixels); 32 filters in rows of 16, or 5 filters in one row.
    let five = try draw(["--max-channels", "1", "--max-filters", "5"], "five.png")
    #expect(five.height == 4 + (7 + 4) + (24 + 9 + 4))
    #expect(two.height == 2 * (4 + (7 + 4) + 2 * (24 + 9 + 4)))

    let model = fixturePath("sequential_cnn.h5")
    let gray = folder.path("gray.png")
    let single = try kerasvis(["filters", model, "--layer", "0", "--out", gray])
    #expect(single.status == 0, "\(single.error)")
    let grayHeader = try pngHeader(gray)
    #expect(grayHeader.height == 4 + (7 + 4) + (24 + 9 + 4))
    #expect(grayHeader.width >= 8 * 24 + 9 * 4)
    #expect(grayHeader.colorType == 0)
  }

  @Test("transposed kernels are drawn per filter (Keras stores them filters first), depthwise ones per channel")
  func transposedAndDepthwise() throws {
    let folder = try ScratchFolder("pictures")
    defer { folder.cleanUp() }
    let model = fixturePath("layer_zoo_k2.h5")
    // conv2d_transpose's kernel is (3, 3, 6 filters, 8 inputs): 6 tiles of 3x3 drawn 40x (120 pixels).
    let transposed = folder.path("transposed.png")
    let result = try kerasvis([
      "filters", model, "--layer", "conv2d_transpose", "--max-channels", "1", "--tile-scale", "40", "--out", transposed,
    ])
    #expect(result.status == 0, "\(result.error)")
    #expect(try pngHeader(transposed) == PNGHeader(width: 6 * 120 + 7 * 4, height: 4 + 11 + 120 + 9 + 4, colorType: 0))
    // depthwise_conv2d's kernel is (3, 3, 16 inputs, multiplier 1): 16 tiles of 24 pixels in one row.
    let depthwise = folder.path("depthwise.png")
    let single = try kerasvis(["filters", model, "--layer", "depthwise_conv2d", "--out", depthwise])
    #expect(single.status == 0, "\(single.error)")
    #expect(try pngHeader(depthwise) == PNGHeader(width: 16 * 24 + 17 * 4, height: 4 + 11 + 24 + 9 + 4, colorType: 0))
  }

  @Test("--maximize draws one activation-maximization image per filter, at the model's input size")
  func maximize() throws {
    let folder = try ScratchFolder("pictures")
    defer { folder.cleanUp() }
    let path = folder.path("max.png")
    let result = try kerasvis([
      "filters", sampleModel, "--layer", "last_conv", "--maximize", "--max-filters", "2", "--iterations", "3",
      "--out", path,
    ])
    #expect(result.status == 0, "\(result.error)")
    let header = try pngHeader(path)
    #expect(header.colorType == 2)
    #expect(header.height == 4 + (7 + 4) + (64 + 9 + 4))
    #expect(header.width >= 2 * 64 + 3 * 4)
    #expect(try decodes(path))
  }

  @Test("layers without kernels, unknown names and misplaced flags exit 64 naming the flag")
  func errors() throws {
    let folder = try ScratchFolder("pictures")
    defer { folder.cleanUp() }
    let path = folder.path("never.png")
    let pooling = try kerasvis(["filters", sampleModel, "--layer", "pool2", "--out", path])
    #expect(pooling.status == 64)
    #expect(pooling.error.contains("--layer pool2"))
    #expect(pooling.error.contains("no convolution kernel"))
    let dense = try kerasvis(["filters", sampleModel, "--layer", "predictions", "--out", path])
    #expect(dense.status == 64)
    #expect(dense.error.contains("kernel [64, 3]"))
    let unknown = try kerasvis(["filters", sampleModel, "--layer", "convv2", "--out", path])
    #expect(unknown.status == 64)
    #expect(unknown.error.contains("--layer convv2"))
    expectUsageError(  // in process
      ["filters", sampleModel, "--layer", "conv1", "--iterations", "5", "--out", path],
      mentioning: "--iterations needs --maximize")
    let missingModel = try kerasvis(["filters", "/no/such/model.h5", "--layer", "conv1", "--out", path])
    #expect(missingModel.status == 1)
    #expect(missingModel.error.contains("/no/such/model.h5"))
    #expect(!FileManager.default.fileExists(atPath: path))
  }
}
