import KerasGraph
import Testing

private func context(major: Int, input: [Int?] = [nil, 20, 24, 3]) -> LayerDecodingContext {
  LayerDecodingContext(file: "model.keras", source: .keras(major: major), inputShapes: [TensorShape(input)])
}

private func decode(_ className: String, _ config: String, major: Int = 3, input: [Int?] = [nil, 20, 24, 3])
  throws -> any LayerKind
{
  try LayerKinds.decodeKeras(
    className: className, registeredName: nil, config: try JSONValue.parseStrict(config),
    context: context(major: major, input: input)
  ).kind
}

@Suite("Preprocessing layers at inference: augmentations, Resizing, CenterCrop, RandomCrop")
struct PreprocessingKindTests {
  @Test(
    "the random augmentations are Identity at inference (their call returns the input when training is false)",
    arguments: [
      "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast", "RandomBrightness",
      "RandomHeight", "RandomWidth",
    ])
  func augmentationsAreIdentity(className: String) throws {
    let kind = try decode(className, #"{"factor": 0.2, "seed": 3, "value_range": [0, 255], "mode": "horizontal"}"#)
    #expect(kind is Identity)
    #expect(try kind.outputShapes(inputs: [TensorShape([nil, 20, 24, 3])]) == [TensorShape([nil, 20, 24, 3])])
  }

  @Test("CenterCrop crops at (H - h) // 2 and smart-resizes an input smaller than the target")
  func centerCropWindows() throws {
    let crop = try #require(try decode("CenterCrop", #"{"height": 12, "width": 11}"#) as? CenterCrop)
    #expect(crop.window(inputHeight: 16, inputWidth: 16) == ResizeWindow(top: 2, left: 2, height: 12, width: 11))
    #expect(crop.window(inputHeight: 15, inputWidth: 14) == ResizeWindow(top: 1, left: 1, height: 12, width: 11))
    // 20x24 to 22x18: crop_h = min(20, 24 * 22 // 18 = 29), crop_w = min(24, 20 * 18 // 22 = 16), left = 4.
    let upsize = CenterCrop(height: 22, width: 18)
    #expect(upsize.window(inputHeight: 20, inputWidth: 24) == ResizeWindow(top: 0, left: 4, height: 20, width: 16))
    #expect(
      try crop.outputShapes(inputs: [TensorShape([nil, nil, nil, 3])]) == [TensorShape([nil, 12, 11, 3])])
  }

  @Test("Resizing: crop_to_aspect_ratio and pad_to_aspect_ratio windows, refused options name their field")
  func resizingOptions() throws {
    let aspect = try #require(
      try decode("Resizing", #"{"height": 10, "width": 6, "crop_to_aspect_ratio": true}"#) as? Resizing)
    #expect(aspect.window(inputHeight: 20, inputWidth: 24) == ResizeWindow(top: 0, left: 6, height: 20, width: 12))
    let pad = try #require(
      try decode(
        "Resizing", #"{"height": 10, "width": 5, "pad_to_aspect_ratio": true, "fill_value": 0.5, "antialias": false}"#)
        as? Resizing)
    #expect(
      pad.window(inputHeight: 20, inputWidth: 24)
        == ResizeWindow(top: -14, left: 0, height: 48, width: 24, fillValue: 0.5))
    for (config, field) in [
      (#"{"height": 4, "width": 4, "interpolation": "bicubic"}"#, "interpolation"),
      (#"{"height": 4, "width": 4, "antialias": true}"#, "antialias"),
      (#"{"height": 4, "width": 4, "fill_mode": "reflect", "pad_to_aspect_ratio": true}"#, "fill_mode"),
      (#"{"height": 0, "width": 4}"#, "height"),
      (#"{"height": 4, "width": 4, "data_format": "channels_first"}"#, "data_format"),
    ] {
      #expect {
        try decode("Resizing", config)
      } throws: { error in
        (error as? LayerConfigError)?.field == field
      }
    }
  }

  @Test("RandomCrop smart-resizes in tf-keras files; Keras 3 files are read only where it is the identity")
  func randomCrop() throws {
    let k2 = try #require(try decode("RandomCrop", #"{"height": 10, "width": 8}"#, major: 2) as? RandomCrop)
    #expect(k2.window(inputHeight: 12, inputWidth: 12) == ResizeWindow(top: 0, left: 1, height: 12, width: 9))
    #expect(try decode("RandomCrop", #"{"height": 20, "width": 24}"#, major: 3) is RandomCrop)
    #expect {
      try decode("RandomCrop", #"{"height": 10, "width": 8}"#, major: 3)
    } throws: { error in
      let text = "\(error)"
      return (error as? LayerConfigError)?.field == "height" && text.contains("unchanged at inference")
    }
  }
}
