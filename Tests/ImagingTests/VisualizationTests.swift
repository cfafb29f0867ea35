import Foundation
import TestSupport
import Testing

@testable import Imaging

/// Colormaps against matplotlib, overlay and stitch_images against keras-vis's formulas, grids and PNG output.
@Suite("Colormaps, overlays, grids, PNG encoding")
struct VisualizationTests {
  @Test(arguments: Colormap.allCases.map(\.rawValue))
  func colormapMatchesMatplotlib(_ name: String) throws {
    let testCase = try #require(Manifest.shared.colormaps.first { $0.name == name })
    let values = try #require(try NPYArray(fixture: testCase.input, in: .images).float32)
    let expected = try #require(try NPYArray(fixture: testCase.expected, in: .images).uint8)
    let image = try #require(Colormap(rawValue: name)).apply(to: values, width: values.count, height: 1)
    let diff = differences(image.pixels, expected)
    #expect(diff.count == 0, "\(diff.count) samples differ, by up to \(diff.maxDelta)")
  }

  @Test("the tables hold matplotlib's doubles (cmap._lut), alpha 1", arguments: Colormap.allCases.map(\.rawValue))
  func colormapTableEqualsMatplotlib(_ name: String) throws {
    let testCase = try #require(Manifest.shared.colormaps.first { $0.name == name })
    let table = try #require(Colormap(rawValue: name)).table
    #expect(table.count == 4 * Colormap.entryCount)
    for (entry, rgb) in zip(testCase.entries, testCase.rgb) {
      #expect(Array(table[(4 * entry)..<(4 * entry + 3)]) == rgb, "\(name) entry \(entry)")
    }
    #expect(stride(from: 3, to: table.count, by: 4).allSatisfy { table[$0] == 1 })
    #expect(testCase.entries.count >= 10)
  }

  @Test func colormapEdges() throws {
    #expect(Colormap.jet.entryIndex(for: 1.0) == 255)
    #expect(Colormap.jet.entryIndex(for: 0.5) == 128)
    #expect(Colormap.jet.entryIndex(for: -3) == 0)
    #expect(Colormap.jet.entryIndex(for: .nan) == nil)
    #expect(throws: ImagingError.self) { try Colormap.gray.apply(to: [0, 1], width: 3, height: 1) }
  }

  @Test(arguments: [0.0, 0.25, 0.5, 0.7, 1.0])
  func overlayMatchesKerasVis(_ alpha: Double) throws {
    let a = try NPYArray(fixture: "expected/overlay_a.npy", in: .images)
    let b = try NPYArray(fixture: "expected/overlay_b.npy", in: .images)
    let first = try Image(width: a.shape[1], height: a.shape[0], format: .rgb, pixels: a.uint8 ?? [])
    let second = try Image(width: b.shape[1], height: b.shape[0], format: .rgb, pixels: b.uint8 ?? [])
    let expected = try NPYArray(fixture: try #require(Manifest.shared.overlay["overlay_\(alpha)"]), in: .images)
    #expect(try overlay(first, second, alpha: alpha).pixels == expected.uint8)
  }

  @Test func overlayRejectsBadArguments() throws {
    let a = try Image(width: 2, height: 2, format: .rgb)
    let b = try Image(width: 3, height: 2, format: .rgb)
    #expect(throws: ImagingError.self) { try overlay(a, b) }
    #expect(throws: ImagingError.self) { try overlay(a, a, alpha: 1.5) }
  }

  @Test(arguments: [0.5, 0.3])
  func camOverlayMatchesReference(_ alpha: Double) throws {
    let heat = try NPYArray(fixture: "expected/cam_heatmap.npy", in: .images)
    let image = try DecodedImage(contentsOfFile: fixturePath("rgb8.png", in: .images)).image
    let result = try camOverlay(
      heatmap: try #require(heat.float32), heatmapWidth: heat.shape[1], on: image, alpha: alpha)
    let expected = try NPYArray(fixture: try #require(Manifest.shared.overlay["cam_jet_\(alpha)"]), in: .images)
    #expect(result.pixels == expected.uint8)
    #expect(throws: ImagingError.self) { try camOverlay(heatmap: [0, 1, 2], heatmapWidth: 2, on: image) }
  }

  @Test(arguments: [(5, 5), (2, 3), (0, 7), (1, 10)])
  func stitchMatchesKerasVis(_ margin: Int, _ cols: Int) throws {
    let tiles = try NPYArray(fixture: "expected/stitch_tiles.npy", in: .images)
    let (n, h, w) = (tiles.shape[0], tiles.shape[1], tiles.shape[2])
    let all = try #require(tiles.uint8)
    let images = try (0..<n).map { i in
      try Image(width: w, height: h, format: .rgb, pixels: Array(all[(i * h * w * 3)..<((i + 1) * h * w * 3)]))
    }
    let expected = try NPYArray(fixture: try #require(Manifest.shared.overlay["stitch_\(margin)_\(cols)"]), in: .images)
    let stitched = try #require(try stitchImages(images, margin: margin, cols: cols))
    #expect([stitched.height, stitched.width, 3] == expected.shape)
    #expect(stitched.pixels == expected.uint8)
    #expect(try stitchImages([]) == nil)
  }

  @Test func gridLayoutAndNormalization() throws {
    // Two 3x2 gray tiles with different ranges: each is normalized on its own.
    let t1 = try FloatImage(width: 3, height: 2, channels: 1, values: [0, 1, 2, 3, 4, 5])
    let t2 = try FloatImage(width: 3, height: 2, channels: 1, values: [-10, -10, -10, -10, -10, 10])
    let style = GridStyle(columns: 2, padding: 2, tileScale: 2, background: 255, textColor: 0)
    let grid = try makeGrid(title: "AB", tiles: [GridTile(values: t1), GridTile(values: t2)], style: style)
    // Title block: 7 rows of text + padding 2; cells 6x4; two columns.
    let cellTop = 2 + 7 + 2
    #expect(grid.format == .gray)
    #expect(grid.width == 2 * 6 + 3 * 2)
    #expect(grid.height == cellTop + 4 + 2)
    #expect(grid[x: 2, y: cellTop, channel: 0] == 0)  // tile 1 minimum
    #expect(grid[x: 2 + 5, y: cellTop + 3, channel: 0] == 255)  // tile 1 maximum, scaled 2x
    #expect(grid[x: 2 + 4, y: cellTop, channel: 0] == 102)  // 2/5 * 255 rounded
    #expect(grid[x: 10 + 5, y: cellTop + 3, channel: 0] == 255)  // tile 2 maximum
    #expect(grid[x: 10, y: cellTop, channel: 0] == 0)
    // The title's first glyph "A" is drawn in text colour at the padding offset.
    for gy in 0..<7 {
      for gx in 0..<5 {
        let inked = BitmapFont.isInked("A", x: gx, y: gy)
        #expect((grid[x: 2 + gx, y: 2 + gy, channel: 0] == 0) == inked)
      }
    }
    #expect(throws: ImagingError.self) { try makeGrid(tiles: []) }
  }

  @Test func gridLabelsAndRGBKernels() throws {
    // A 2x2 kernel with 3 inputs and 4 filters (Keras layout h, w, in, out).
    let kernel = (0..<(2 * 2 * 3 * 4)).map { Float($0) }
    let tiles = try kernelTiles(kernel: kernel, height: 2, width: 2, inputChannels: 3, outputChannels: 4)
    #expect(tiles.count == 4 && tiles.allSatisfy { $0.values.channels == 3 })
    #expect(tiles[1].values.values[0] == kernel[1] && tiles[1].values.values[1] == kernel[4 + 1])
    let grid = try makeGrid(title: "conv1 kernels", tiles: tiles, style: GridStyle(tileScale: 8))
    #expect(grid.format == .rgb)
    #expect(grid.width == max(2 * 16 + 3 * 4, 13 * 6 - 1 + 8))
    let gray = try kernelTiles(
      kernel: kernel, height: 2, width: 2, inputChannels: 3, outputChannels: 4, inputChannel: 2)
    #expect(gray[0].values.channels == 1 && gray[0].values.values[0] == kernel[2 * 4])
    #expect(throws: ImagingError.self) {
      try kernelTiles(kernel: kernel, height: 3, width: 2, inputChannels: 3, outputChannels: 4)
    }
    let featureMap = try FloatImage(width: 2, height: 1, channels: 3, values: [1, 2, 3, 4, 5, 6])
    let channels = channelTiles(of: featureMap, labelPrefix: "ch")
    #expect(channels.map(\.label) == ["ch0", "ch1", "ch2"])
    #expect(channels[2].values.values == [3, 6])
  }

  @Test func fontCoversPrintableASCII() {
    var patterns = Set<[UInt8]>()
    for code in 33..<127 {
      let rows = Array(BitmapFont.rows(for: Character(UnicodeScalar(UInt8(code)))))
      #expect(rows.contains { $0 != 0 }, "glyph \(code) is empty")
      #expect(rows.allSatisfy { $0 < 32 })
      patterns.insert(rows)
    }
    #expect(patterns.count == 94)  // every printable glyph is distinct
    #expect(Array(BitmapFont.rows(for: "é")) == Array(BitmapFont.rows(for: "?")))
    #expect(BitmapFont.size(of: "abc", scale: 2) == (34, 14))
  }

  @Test(arguments: PixelFormat.allCases)
  func pngRoundTrip(_ format: PixelFormat) throws {
    let source = try DecodedImage(contentsOfFile: fixturePath("rgba8.png", in: .images)).converted(to: format)
    let data = try source.pngData()
    #expect(ImageFormat.detect(data) == .png)
    let decoded = try DecodedImage(data: data)
    #expect(decoded.converted(to: format) == source)
    let path = temporaryPath("-\(format).png")
    try source.writePNG(toFile: path)
    #expect(try DecodedImage(contentsOfFile: path).converted(to: format) == source)
    try? FileManager.default.removeItem(atPath: path)
    #expect(throws: ImagingError.self) { try source.writePNG(toFile: "/nonexistent-dir/x.png") }
  }
}
