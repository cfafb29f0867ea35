import Foundation
import TestSupport
import Testing

@testable import Imaging

/// Keras `loadImg` + `img_to_array` (Pillow 13 underneath) versus this module, sample for sample.
@Suite("load_img against Keras and Pillow")
struct LoadImageTests {
  /// PNG cases must match exactly: decoding, Pillow's conversions and Pillow's resampling are all integer-exact.
  /// JPEG cases also compare exactly: Pillow's bundled libjpeg-turbo 3.x and the system libjpeg-turbo 2.1.5 use the
  /// same default (islow) IDCT and fancy upsampling, and the fixtures show no difference. Should a different
  /// libjpeg ever be linked, JPEG cases would be the ones to relax (see `jpegTolerance`).
  static let jpegTolerance = 0

  @Test(arguments: Manifest.shared.loadImg)
  func matchesKeras(_ testCase: Manifest.LoadCase) throws {
    let mode = try #require(ColorMode(rawValue: testCase.colorMode))
    let interpolation = try #require(Interpolation(rawValue: testCase.interpolation))
    let target = testCase.target.map { TargetSize(height: $0[0], width: $0[1]) }
    let loaded = try loadImage(
      atPath: fixturePath(testCase.file, in: .images), colorMode: mode, targetSize: target,
      interpolation: interpolation,
      keepAspectRatio: testCase.keepAspectRatio)
    let expected = try NPYArray(fixture: testCase.expected, in: .images)
    #expect(expected.shape == [loaded.height, loaded.width, loaded.channels])
    let tolerance = testCase.file.hasSuffix(".jpg") ? Self.jpegTolerance : 0
    switch loaded {
    case .eightBit(let image):
      let want = try #require(expected.uint8, "Keras kept more than 8 bits but we did not")
      let diff = differences(image.pixels, want)
      #expect(diff.maxDelta <= tolerance, "\(diff.count) samples differ, by up to \(diff.maxDelta)")
    case .gray16(let image):
      #expect(testCase.pilMode == "I;16")
      // A 16-bit image whose values all fit in 8 bits is stored by the generator as uint8.
      let want = expected.uint16 ?? expected.uint8.map { $0.map(UInt16.init) } ?? []
      let diff = differences(image.samples, want)
      #expect(diff.count == 0, "\(diff.count) samples differ, by up to \(diff.maxDelta)")
    }
    // img_to_array: the float view holds the same values.
    let floats = loaded.floatImage()
    #expect(floats.values.count == loaded.width * loaded.height * loaded.channels)
  }

  @Test func modesMatchPillow() throws {
    let expectedModes: [String: SourceMode] = [
      "1": .bilevel, "L": .gray, "I;16": .gray16, "LA": .grayAlpha, "RGB": .rgb, "RGBA": .rgba, "P": .palette,
    ]
    for testCase in Manifest.shared.loadImg where testCase.target == nil && testCase.colorMode == "rgb" {
      let decoded = try DecodedImage(contentsOfFile: fixturePath(testCase.file, in: .images))
      #expect(expectedModes[testCase.pilMode] == decoded.mode, "\(testCase.file)")
    }
  }

  @Test func decodesFromDataAndIgnoresExtension() throws {
    let data = try Data(contentsOf: FixtureFolder.images.url("rgb8.png"))
    let fromData = try DecodedImage(data: data)
    let fromFile = try DecodedImage(contentsOfFile: fixturePath("png_named.jpg", in: .images))
    #expect(fromData.format == .png && fromFile.format == .png)
    #expect(fromData.image == fromFile.image)
    let jpeg = try DecodedImage(contentsOfFile: fixturePath("jpeg_named.png", in: .images))
    #expect(jpeg.format == .jpeg)
    let viaLoader = try loadImage(data: data, targetSize: TargetSize(height: 5, width: 6), interpolation: .bicubic)
    #expect(viaLoader.width == 6 && viaLoader.height == 5)
  }

  @Test func reportsLayoutDetails() throws {
    let interlaced = try DecodedImage(contentsOfFile: fixturePath("rgb8_interlaced.png", in: .images))
    #expect(interlaced.isInterlacedOrProgressive)
    let progressive = try DecodedImage(contentsOfFile: fixturePath("rgb_progressive.jpg", in: .images))
    #expect(progressive.isInterlacedOrProgressive && progressive.format == .jpeg)
    let gray16 = try DecodedImage(contentsOfFile: fixturePath("gray16.png", in: .images))
    #expect(gray16.bitDepth == 16 && gray16.gray16Image != nil)
    #expect(try DecodedImage(contentsOfFile: fixturePath("palette8_trns.png", in: .images)).hasTransparency)
    #expect(try !DecodedImage(contentsOfFile: fixturePath("palette4.png", in: .images)).hasTransparency)
  }

  @Test func keepAspectRatioBoxFollowsKeras() {
    // Keras: crop_height = min(h, w * th // tw), crop_width = min(w, h * tw // th), centred with // 2.
    let box = keepAspectRatioBox(sourceWidth: 23, sourceHeight: 17, target: TargetSize(height: 9, width: 9))
    #expect(box == ResizeBox(x0: 3, y0: 0, x1: 20, y1: 17))
    let tall = keepAspectRatioBox(sourceWidth: 23, sourceHeight: 17, target: TargetSize(height: 20, width: 8))
    #expect(tall == ResizeBox(x0: 8, y0: 0, x1: 14, y1: 17))
  }

  @Test func rejectsBadTargetSizes() throws {
    let path = fixturePath("rgb8.png", in: .images)
    #expect(throws: ImagingError.self) { try loadImage(atPath: path, targetSize: TargetSize(height: 0, width: 3)) }
    let image = try DecodedImage(contentsOfFile: path).image
    #expect(throws: ImagingError.self) {
      try image.resized(width: 4, height: 4, box: ResizeBox(x0: -1, y0: 0, x1: 4, y1: 4))
    }
    #expect(throws: ImagingError.self) {
      try image.resized(width: 4, height: 4, box: ResizeBox(x0: 0, y0: 0, x1: 24, y1: 4))
    }
  }
}
