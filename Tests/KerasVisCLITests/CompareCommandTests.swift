import Foundation
import KerasVis
import TestSupport
import Testing

@testable import KerasVisCLI

private let sampleModel = samplePath("shapes_cnn.h5")
private let sampleImage = samplePath("images/triangle_0.png")

/// A PNG written by kerasvis, decoded as RGB.
private func picture(_ path: String) throws -> Image {
  try DecodedImage(contentsOfFile: path).converted(to: .rgb)
}

/// The `width` x `height` block of `image` at (`x`, `y`), as RGB bytes.
func block(_ image: Image, x: Int, y: Int, width: Int, height: Int) -> [UInt8] {
  (y..<(y + height)).flatMap { row in
    let start = (row * image.width + x) * 3
    return Array(image.pixels[start..<(start + width * 3)])
  }
}

@Suite("kerasvis compare: one sheet of layers and methods")
struct CompareCommandTests {
  @Test("the sheet has a row per layer and a column per method after the photo, laid out as ComparisonSheetLayout says")
  func sheetLayout() throws {
    let folder = try ScratchFolder("compare")
    defer { folder.cleanUp() }
    let out = folder.path("sheet.png")
    let result = try kerasvis([
      "compare", sampleModel, sampleImage, "--penultimate", "conv4", "last_conv", "--method", "gradcam",
      "gradcam++", "--out", out,
    ])
    #expect(result.status == 0, "\(result.error)")
    // One line per panel: layer name and index, method, class and score.
    let lines = result.output.split(separator: "\n").map(String.init)
    #expect(lines.filter { $0.hasPrefix("conv4 (13) | gradcam") }.count == 2, "\(result.output)")
    #expect(lines.filter { $0.hasPrefix("last_conv (16) | gradcam") }.count == 2, "\(result.output)")
    let sheet = try picture(out)
    // 2 rows, 1 + 2 columns of 320-pixel pictures of the 64x64 photo, 3 title lines (layer, method, class).
    let layout = ComparisonSheetLayout(
      rows: 2, columns: 3, pictureWidth: 320, photoWidth: 64, photoHeight: 64, titleLines: 3)
    #expect(sheet.width == layout.width && sheet.height == layout.height, "\(sheet.width)x\(sheet.height)")
    // Cells, then the colour bar (16 rows) and its labels (2 + 7 rows at font scale 2) and the padding.
    #expect(layout.width == 8 + 3 * 328 && layout.height == 8 + 2 * (68 + 320 + 8) + 16 + 18 + 8)
    // The colour bar is jet from 0 (left) to 1 (right).
    for (x, value) in [(0, Float(0)), (layout.pictureWidth - 1, 1)] {
      let color = Colormap.jet.color(for: value)
      #expect(
        block(sheet, x: layout.padding + x, y: layout.barY + 4, width: 1, height: 1) == [
          color.red, color.green, color.blue,
        ])
    }
    let side = layout.pictureWidth
    // The photo, enlarged to the panel size, in the first cell; the cell under it is blank.
    let photo = try picture(sampleImage).resized(width: side, height: side, interpolation: .bilinear)
    let origin = layout.pictureOrigin(row: 0, column: 0)
    #expect(block(sheet, x: origin.x, y: origin.y, width: side, height: side) == photo.pixels)
    let empty = layout.pictureOrigin(row: 1, column: 0)
    #expect(block(sheet, x: empty.x, y: empty.y, width: side, height: side).allSatisfy { $0 == 255 })
    // Every panel is an overlay (not the photo, not blank), and the two layers' maps differ.
    var panels: [[UInt8]] = []
    for row in 0..<2 {
      for column in 1...2 {
        let corner = layout.pictureOrigin(row: row, column: column)
        let pixels = block(sheet, x: corner.x, y: corner.y, width: side, height: side)
        #expect(pixels != photo.pixels && !pixels.allSatisfy { $0 == 255 }, "panel \(row), \(column)")
        panels.append(pixels)
      }
    }
    #expect(panels[0] != panels[2], "conv4 and last_conv drew the same Grad-CAM")
    // Titles are drawn in black above each picture.
    let title = layout.cellOrigin(row: 1, column: 1)
    let strip = block(sheet, x: title.x, y: title.y, width: side, height: layout.titleHeight - layout.padding)
    #expect(strip.contains(0) && strip.contains(255))
  }

  @Test("a panel's map is keras-vis's visualize_cam at that layer; a catalog method's is explain(with:)")
  func panelMaps() throws {
    let graph = try ModelLoader.load(path: sampleModel)
    let explainer = Explainer(graph: graph)
    let input = try ModelInputLoader(graph: graph).load(path: sampleImage)
    let top = try explainer.topClass(layerIdx: -1, seedInput: input)
    let panel = try explainer.explainPanel(input: input, layer: [13], method: KerasVisGradCAM())
    let reference = try explainer.visualizeCam(
      layerIdx: -1, filterIndices: [top], seedInput: input, penultimateLayerIdx: 13)
    #expect(panel.classIndex == top && panel.layerTitle == "conv4 (13)" && panel.map.shape == [64, 64])
    #expect(panel.map.scalars == reference.scalars)
    let automatic = try explainer.explainPanel(input: input, layer: nil, method: KerasVisGradCAM())
    #expect(automatic.layer == [16], "keras-vis's search picks last_conv")
    let method = try MethodCatalog.method(named: "gradcam++")
    let catalog = try explainer.explainPanel(input: input, layer: [16], method: method)
    let expected = try explainer.explain(ExplanationRequest(input: input, layer: [16]), with: method).maps
    #expect(catalog.map.scalars == expected.scalars && catalog.method == "gradcam++")
    // The score is the model output of the class; the method's forward pass and layerOutput's may compile the
    // model differently (fused activations), so float32 rounding differences are allowed.
    let output = try explainer.layerOutput(layerIdx: -1, seedInput: input).scalars[top]
    let closeness = allClose([try #require(catalog.score)], [output], rtol: 1e-5, atol: 1e-6)
    #expect(closeness.holds, "\(closeness)")
  }

  @Test("with --boxes each panel shows its pointing-game hit and deletion score, and the box is outlined")
  func boxes() throws {
    let folder = try ScratchFolder("compare")
    defer { folder.cleanUp() }
    let boxes = folder.path("boxes.json")
    try Data(#"{"triangle_0.png": [16, 16, 48, 48]}"#.utf8).write(to: URL(fileURLWithPath: boxes))
    let out = folder.path("sheet.png")
    let result = try kerasvis([
      "compare", sampleModel, sampleImage, "--boxes", boxes, "--out", out, "--panel-width", "128",
    ])
    #expect(result.status == 0, "\(result.error)")
    #expect(result.output.contains("| pointing hit | deletion 0."), "\(result.output)")
    let sheet = try picture(out)
    // 128-pixel pictures: font scale 1; title lines: layer, method, class, pointing, deletion.
    let graph = try ModelLoader.load(path: sampleModel)
    let input = try ModelInputLoader(graph: graph).load(path: sampleImage)
    let made = try ComparisonSheet.make(
      explainer: Explainer(graph: graph), input: input, photo: try picture(sampleImage), photoName: "triangle_0.png",
      layers: [nil], methods: [KerasVisGradCAM()], boxes: [BoundingBox(x0: 16, y0: 16, x1: 48, y1: 48)])
    let layout = made.layout(style: ComparisonSheetStyle(panelWidth: 128))
    #expect(sheet.width == layout.width && sheet.height == layout.height)
    #expect(layout.columns == 2 && layout.rows == 1 && layout.titleLines == 5)
    // The box [16, 48) in the 64-pixel input is [32, 96) at 128 pixels: its outline is white on both pictures.
    for column in 0..<2 {
      let origin = layout.pictureOrigin(row: 0, column: column)
      let edge = block(sheet, x: origin.x + 32, y: origin.y + 32, width: 64, height: 2)
      #expect(edge.allSatisfy { $0 == 255 }, "column \(column)")
      let inside = block(sheet, x: origin.x + 40, y: origin.y + 40, width: 48, height: 48)
      #expect(!inside.allSatisfy { $0 == 255 })
    }
  }

  @Test("a wrong layer name, a gradient method and a bad panel width are usage errors naming the flag")
  func usageErrors() throws {
    let result = try kerasvis([
      "compare", sampleModel, sampleImage, "--penultimate", "last_cnv", "--out", temporaryPath(".png"),
    ])
    #expect(result.status == 64, "\(result.error)")
    #expect(result.error.contains("--penultimate last_cnv"), "\(result.error)")
    #expect(result.error.contains("last_conv"), "the message suggests the closest name: \(result.error)")
    expectUsageError(
      ["compare", sampleModel, sampleImage, "--method", "smoothgrad"],
      mentioning: "'smoothgrad' is invalid for '--method", "gradcam++")
    expectUsageError(["compare", sampleModel, sampleImage, "--panel-width", "4"], mentioning: "--panel-width")
    expectUsageError(["compare", sampleModel, sampleImage, "--step", "0"], mentioning: "--step")
    // Several layers after one flag; a negative index attached with "=".
    let parsed = try parseCommand(
      CompareCommand.self, ["compare", sampleModel, sampleImage, "--penultimate", "conv4", "13", "--penultimate=-3"])
    #expect(parsed.panels.penultimate == ["conv4", "13", "-3"])
    expectUsageError(
      ["report", sampleModel, sampleImage, "--out", "x", "--method", "vanilla"],
      mentioning: "'vanilla' is invalid for '--method")
    let missing = try kerasvis([
      "report", sampleModel, sampleImage, "--out", temporaryPath(""), "--penultimate", "nope",
    ])
    #expect(missing.status == 64 && missing.error.contains("--penultimate nope"), "\(missing.error)")
  }

  @Test("a keras.applications model's panels and report name ImageNet classes; --labels names others")
  func classNames() throws {
    let folder = try ScratchFolder("compare")
    defer { folder.cleanUp() }
    // The tiny ImageNet-named classifier (tools/make_label_fixtures.py), biased towards 281 tabby.
    let imageNetModel = fixturePath("mobilenet_tiny_imagenet.h5")
    let sheet = try kerasvis(["compare", imageNetModel, sampleImage, "--out", folder.path("sheet.png")])
    #expect(sheet.status == 0, "\(sheet.error)")
    #expect(sheet.output.contains("conv1 (1) | Grad-CAM (keras-vis) | class 281 tabby 0."), "\(sheet.output)")
    let report = try kerasvis(["report", imageNetModel, sampleImage, "--out", folder.path("report")])
    #expect(report.status == 0, "\(report.error)")
    let html = try String(contentsOfFile: folder.path("report/index.html"), encoding: .utf8)
    #expect(html.contains("<td>281</td><td>tabby</td>") && html.contains("<td>282</td><td>tiger_cat</td>"))
    let labels = folder.path("labels.txt")
    try Data("circle\nsquare\ntriangle\n".utf8).write(to: URL(fileURLWithPath: labels))
    let named = try kerasvis(["compare", sampleModel, sampleImage, "--labels", labels, "--out", folder.path("s.png")])
    #expect(named.output.contains("| class 2 triangle 0.960"), "\(named.output)")
  }

  @Test("summary --cam-layers points to kerasvis compare")
  func summaryHint() throws {
    let result = try kerasvis(["summary", sampleModel, "--cam-layers"])
    #expect(result.status == 0)
    #expect(
      result.output.contains("kerasvis compare \(sampleModel) IMAGE --penultimate conv4 last_conv"), "\(result.output)")
  }
}
