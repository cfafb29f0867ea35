import Foundation
import TestSupport
import Testing

@testable import Imaging

/// Pillow's `Image.resize` with explicit (fractional) boxes, and conversions, compared exactly.
@Suite("Pillow resize with boxes, conversions")
struct ResizeAndConvertTests {
  @Test(arguments: Manifest.shared.resizeBox)
  func boxResizeMatchesPillow(_ testCase: Manifest.BoxCase) throws {
    let format: PixelFormat = testCase.mode == "RGBA" ? .rgba : .rgb
    let image = try DecodedImage(contentsOfFile: fixturePath(testCase.file, in: .images)).converted(to: format)
    let box = ResizeBox(x0: testCase.box[0], y0: testCase.box[1], x1: testCase.box[2], y1: testCase.box[3])
    let resized = try image.resized(
      width: testCase.size[0], height: testCase.size[1],
      interpolation: try #require(Interpolation(rawValue: testCase.interpolation)), box: box)
    let expected = try NPYArray(fixture: testCase.expected, in: .images)
    #expect(expected.shape == [resized.height, resized.width, resized.channels])
    let diff = differences(resized.pixels, try #require(expected.uint8))
    #expect(diff.count == 0, "\(diff.count) samples differ, by up to \(diff.maxDelta)")
  }

  /// Pillow's `F`-mode resize (double accumulation stored as float32) is what `camOverlay` uses for heatmaps.
  @Test(arguments: ["nearest", "bilinear", "bicubic", "lanczos"])
  func floatResizeMatchesPillow(_ name: String) throws {
    let heat = try NPYArray(fixture: "expected/cam_heatmap.npy", in: .images)
    let map = try FloatImage(
      width: heat.shape[1], height: heat.shape[0], channels: 1, values: try #require(heat.float32))
    let expected = try NPYArray(fixture: try #require(Manifest.shared.overlay["float_\(name)"]), in: .images)
    let resized = try map.resized(width: 11, height: 3, interpolation: try #require(Interpolation(rawValue: name)))
    #expect(resized.values == expected.float32)
  }

  @Test func lumaIsPillowsFixedPoint() {
    // Pillow documents L = R*299/1000 + G*587/1000 + B*114/1000 but computes (19595 R + 38470 G + 7471 B + 0x8000)
    // >> 16; the loadImg fixtures (rgb -> grayscale) pin the latter. Spot-check that both differ somewhere, so the
    // fixture comparison is meaningful.
    var differing = 0
    for r in stride(from: 0, through: 255, by: 5) {
      for g in stride(from: 0, through: 255, by: 5) {
        for b in stride(from: 0, through: 255, by: 5) {
          let documented = (r * 299 + g * 587 + b * 114) / 1000
          if Int(luma(UInt8(r), UInt8(g), UInt8(b))) != documented { differing += 1 }
        }
      }
    }
    #expect(differing > 0)
  }

  @Test func imageConversionsFollowPillow() throws {
    let rgba = try Image(width: 2, height: 1, format: .rgba, pixels: [10, 200, 30, 0, 255, 128, 0, 77])
    #expect(rgba.converted(to: .rgb).pixels == [10, 200, 30, 255, 128, 0])
    #expect(rgba.converted(to: .gray).pixels == [luma(10, 200, 30), luma(255, 128, 0)])
    let gray = try Image(width: 2, height: 1, format: .gray, pixels: [7, 250])
    #expect(gray.converted(to: .rgba).pixels == [7, 7, 7, 255, 250, 250, 250, 255])
    // Premultiplying then unpremultiplying is lossy exactly as in Pillow (RGBA -> RGBa -> RGBA).
    let round = rgba.premultiplied().unpremultiplied()
    #expect(round.pixels[3] == 0 && round.pixels[7] == 77)
  }

  @Test func resizeValidatesArguments() throws {
    let image = try Image(width: 4, height: 3, format: .rgb)
    #expect(throws: ImagingError.self) { try image.resized(width: 0, height: 3) }
    #expect(throws: ImagingError.self) {
      try image.resized(width: 2, height: 2, box: ResizeBox(x0: 2, y0: 0, x1: 2, y1: 3))
    }
    #expect(try image.resized(width: 4, height: 3) == image)
    #expect(throws: ImagingError.self) { try Image(width: 2, height: 2, format: .rgb, pixels: [1, 2, 3]) }
    #expect(throws: ImagingError.self) { try Image(width: -1, height: 2, format: .gray) }
    #expect(throws: ImagingError.self) { try FloatImage(width: 2, height: 2, channels: 1, values: [1]) }
    #expect(throws: ImagingError.self) { try Gray16Image(width: 2, height: 1, samples: [1]) }
  }
}
