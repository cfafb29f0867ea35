import Foundation
import TestSupport
import Testing

@testable import Imaging

/// Bilinear resizing written out (Pillow's triangle filter when enlarging: pixel centres at half-integers, the
/// weights of the source pixels inside the image renormalized at the edges), for checking the library against.
private func bilinear(_ map: [Float], width: Int, height: Int, x: Int, y: Int, toWidth: Int, toHeight: Int) -> Double {
  func weights(_ output: Int, source: Int, target: Int) -> [(Int, Double)] {
    let centre = (Double(output) + 0.5) * Double(source) / Double(target)
    let taps = (0..<source).compactMap { i -> (Int, Double)? in
      let w = 1 - abs(Double(i) + 0.5 - centre)
      return w > 0 ? (i, w) : nil
    }
    let total = taps.reduce(0) { $0 + $1.1 }
    return taps.map { ($0.0, $0.1 / total) }
  }
  var value = 0.0
  for (row, wy) in weights(y, source: height, target: toHeight) {
    for (column, wx) in weights(x, source: width, target: toWidth) {
      value += wy * wx * Double(map[row * width + column])
    }
  }
  return value
}

/// A photo-like RGB picture: a smooth gradient with a little texture.
private func photo(width: Int, height: Int) throws -> Image {
  var pixels: [UInt8] = []
  for y in 0..<height {
    for x in 0..<width {
      pixels += [UInt8((x * 255) / max(width - 1, 1)), UInt8((y * 255) / max(height - 1, 1)), UInt8((x * y) % 251)]
    }
  }
  return try Image(width: width, height: height, format: .rgb, pixels: pixels)
}

@Suite("Overlays at the photo's size, annotations")
struct PhotoOverlayTests {
  /// An 8x8 map (the model's input size) with values spread over 0...1.
  let map: [Float] = (0..<64).map { Float(($0 * 37) % 64) / 63 }

  @Test(
    "an 8x8 map over a 40x30 photo: the photo's size, each pixel keras-vis's blend of the photo and the colored map",
    arguments: [(Colormap.jet, 0.5), (.turbo, 0.3), (.inferno, 0.8)])
  func overlayAtPhotoSize(_ colormap: Colormap, _ alpha: Double) throws {
    let picture = try photo(width: 40, height: 30)
    let result = try camOverlay(heatmap: map, heatmapWidth: 8, on: picture, alpha: alpha, colormap: colormap)
    #expect(result.width == 40 && result.height == 30 && result.format == .rgb)
    let heat = try coloredHeatmap(map, heatmapWidth: 8, width: 40, height: 30, colormap: colormap)
    #expect(heat.width == 40 && heat.height == 30)
    for (x, y) in [(0, 0), (2, 1), (7, 13), (22, 17), (39, 29), (31, 4), (12, 26)] {
      let value = bilinear(map, width: 8, height: 8, x: x, y: y, toWidth: 40, toHeight: 30)
      let color = colormap.color(for: Float(value))
      #expect(
        [heat[x: x, y: y, channel: 0], heat[x: x, y: y, channel: 1], heat[x: x, y: y, channel: 2]] == [
          color.red, color.green, color.blue,
        ])
      for (channel, top) in [color.red, color.green, color.blue].enumerated() {
        // keras-vis's overlay: array1 * alpha + array2 * (1 - alpha), truncated to uint8.
        let blend = Double(top) * alpha + Double(picture[x: x, y: y, channel: channel]) * (1 - alpha)
        #expect(result[x: x, y: y, channel: channel] == UInt8(blend), "pixel (\(x), \(y)) channel \(channel)")
      }
    }
  }

  @Test("the resize is smooth: neighbouring photo pixels differ by at most one map step over the scale")
  func resizeIsSmooth() throws {
    let values = try FloatImage(width: 8, height: 8, channels: 1, values: map)
      .resized(width: 40, height: 30, interpolation: .bilinear).values
    let step = 1.0 / 3.75  // the largest map difference is 1, spread over 3.75 rows (5 columns)
    for y in 0..<30 {
      for x in 1..<40 { #expect(abs(Double(values[y * 40 + x] - values[y * 40 + x - 1])) <= 1.0 / 5 + 1e-6) }
    }
    for y in 1..<30 {
      for x in 0..<40 { #expect(abs(Double(values[y * 40 + x] - values[(y - 1) * 40 + x])) <= step + 1e-6) }
    }
  }

  @Test("a gray photo is blended in RGB; a heatmap of the photo's size is not resized")
  func grayPhotoAndSameSize() throws {
    let gray = try Image(width: 8, height: 8, format: .gray, filledWith: 100)
    let result = try camOverlay(heatmap: map, heatmapWidth: 8, on: gray, alpha: 0.5, colormap: .gray)
    let v = map[9]
    let color = Colormap.gray.color(for: v)
    #expect(result.format == .rgb)
    #expect(result[x: 1, y: 1, channel: 0] == UInt8(Double(color.red) * 0.5 + 50))
    #expect(throws: ImagingError.self) { try coloredHeatmap([0, 1, 2], heatmapWidth: 2, width: 4, height: 4) }
    #expect(throws: ImagingError.self) { try coloredHeatmap(map, heatmapWidth: 8, width: 0, height: 4) }
  }

  @Test("annotate: a title strip above the picture and a colour bar beside it, the picture's pixels unchanged")
  func annotation() throws {
    let picture = try Image(width: 50, height: 40, format: .rgb, pixels: [UInt8](repeating: 0, count: 50 * 40 * 3))
      .recolored(red: 10, green: 200, blue: 30)
    let title = ["class 281 tabby 0.623", "Grad-CAM, layer conv1"]
    let result = try annotate(picture, title: title, colormap: .viridis)
    let layout = AnnotationLayout(pictureWidth: 50, pictureHeight: 40, title: title)
    #expect(result.width == layout.width && result.height == layout.height)
    #expect(result.height == 40 + layout.stripHeight)
    #expect(result.width > 50)
    #expect(layout.fontScale == 1 && layout.stripHeight > 2 * BitmapFont.glyphHeight)
    func rgb(_ x: Int, _ y: Int) -> [UInt8] { (0..<3).map { result[x: x, y: y, channel: $0] } }
    // The picture, shifted down by the strip.
    for (x, y) in [(0, 0), (49, 39), (25, 20)] { #expect(rgb(x, layout.stripHeight + y) == [10, 200, 30]) }
    // The strip: white paper and black text, never the picture.
    var ink = 0
    for y in 0..<layout.stripHeight {
      for x in 0..<result.width {
        let pixel = rgb(x, y)
        #expect(pixel == [255, 255, 255] || pixel == [0, 0, 0], "strip pixel (\(x), \(y)) is \(pixel)")
        if pixel == [0, 0, 0] { ink += 1 }
      }
    }
    #expect(ink > 100, "the title is drawn")
    // The bar: the colormap from 1 (top) to 0 (bottom), inside a frame.
    let middle = layout.barX + layout.barWidth / 2
    for value in [0.0, 0.25, 0.5, 0.75, 1.0] {
      let row = min(max(layout.barRow(for: value), layout.stripHeight + 1), layout.height - 2)
      let expected = Colormap.viridis.color(for: Float(layout.barValue(atRow: row)))
      #expect(rgb(middle, row) == [expected.red, expected.green, expected.blue], "bar at \(value)")
      #expect(rgb(middle, row) != [10, 200, 30])
    }
    #expect(layout.barValue(atRow: layout.stripHeight) == 1)
    #expect(layout.barValue(atRow: layout.stripHeight + layout.barHeight - 1) == 0)
    #expect(layout.ticks == [0, 0.25, 0.5, 0.75, 1])
    // Tick labels: ink right of the bar, beside the picture.
    let labelInk = (layout.stripHeight..<result.height).reduce(0) { count, y in
      count + ((layout.barX + layout.barWidth)..<result.width).filter { rgb($0, y) == [0, 0, 0] }.count
    }
    #expect(labelInk > 20)
  }

  @Test("the layout grows with the photo and wraps long titles at spaces")
  func layoutScalesAndWraps() {
    let photo = AnnotationLayout(pictureWidth: 640, pictureHeight: 480, title: ["class 2 triangle 0.961", "Grad-CAM"])
    #expect(photo.fontScale == 3)
    #expect(photo.ticks == [0, 0.25, 0.5, 0.75, 1])
    #expect(photo.stripHeight == 2 * 12 + 2 * 21 + 9)
    #expect(photo.height == 480 + photo.stripHeight)
    #expect(photo.titleLines == ["class 2 triangle 0.961", "Grad-CAM"])
    let small = AnnotationLayout(
      pictureWidth: 20, pictureHeight: 10, title: ["class 281 tabby 0.623 a_very_long_layer_name_that_cannot_wrap"])
    #expect(small.titleLines.count > 1)
    #expect(small.titleLines.joined(separator: " ") == "class 281 tabby 0.623 a_very_long_layer_name_that_cannot_wrap")
    #expect(small.width == BitmapFont.size(of: "a_very_long_layer_name_that_cannot_wrap").width + 2 * small.padding)
    #expect(small.barHeight == 2 * 7 + 2, "room for two tick labels beside a short picture")
    #expect(small.height == small.stripHeight + small.barHeight)
    #expect(AnnotationLayout.label(0.25) == "0.25" && AnnotationLayout.label(0.5) == "0.5")
    #expect(AnnotationLayout.label(1) == "1")
  }
}

extension Image {
  /// The image with every pixel set to one colour (an RGB image).
  fileprivate func recolored(red: UInt8, green: UInt8, blue: UInt8) -> Image {
    var copy = self
    for i in stride(from: 0, to: copy.pixels.count, by: 3) {
      copy.pixels[i] = red
      copy.pixels[i + 1] = green
      copy.pixels[i + 2] = blue
    }
    return copy
  }
}
