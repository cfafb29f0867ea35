import TestSupport
import Testing

@testable import Imaging

/// `keras.applications.imagenet_utils.preprocess_input` versus `PreprocessMode`, bit for bit (both are float32
/// arithmetic in the same order).
@Suite("preprocess_input")
struct PreprocessTests {
  @Test(arguments: ["tf", "caffe", "torch"])
  func matchesKeras(_ name: String) throws {
    let testCase = try #require(Manifest.shared.preprocess.first { $0.mode == name })
    let mode = try #require(PreprocessMode(rawValue: name))
    let input = try NPYArray(fixture: testCase.input, in: .images)
    let output = try mode.applied(to: try #require(input.float32), channels: 3)
    #expect(output == (try NPYArray(fixture: testCase.expected, in: .images)).float32)
    let batch = try NPYArray(fixture: testCase.batchInput, in: .images)
    #expect(batch.shape.count == 4)
    let batchOutput = try mode.applied(to: try #require(batch.float32), channels: 3)
    #expect(batchOutput == (try NPYArray(fixture: testCase.batchExpected, in: .images)).float32)
    let image = try FloatImage(width: input.shape[1], height: input.shape[0], channels: 3, values: input.float32 ?? [])
    #expect(try mode.applied(to: image).values == output)
  }

  @Test func noneLeavesValuesAlone() throws {
    #expect(try PreprocessMode.none.applied(to: [1, 2, 3], channels: 3) == [1, 2, 3])
    #expect(throws: ImagingError.self) { try PreprocessMode.caffe.applied(to: [1, 2], channels: 2) }
    #expect(throws: ImagingError.self) { try PreprocessMode.tf.applied(to: [1, 2], channels: 3) }
  }

  /// Model names as keras.applications builds them (Keras 3 and tf.keras), with the mode each application's own
  /// `preprocess_input` uses.
  @Test func modeByModelName() {
    let table: [(String, PreprocessMode?)] = [
      ("inception_v3", .tf), ("xception", .tf), ("mobilenet_1.00_224", .tf), ("mobilenetv2_1.00_224", .tf),
      ("MobileNetV3Small", PreprocessMode.none), ("MobilenetV3large", PreprocessMode.none),
      ("resnet50", .caffe), ("resnet101", .caffe), ("resnet152", .caffe), ("resnet50v2", .tf),
      ("vgg16", .caffe), ("vgg19", .caffe), ("densenet121", .torch), ("densenet201", .torch),
      ("efficientnetb0", PreprocessMode.none), ("efficientnetv2-b0", PreprocessMode.none),
      ("NASNet", .tf), ("nasnet_mobile", .tf), ("inception_resnet_v2", .tf),
      ("convnext_tiny", PreprocessMode.none), ("my_custom_model", nil),
    ]
    for (name, mode) in table {
      #expect(PreprocessMode.forModel(named: name) == mode, "\(name)")
    }
  }
}
