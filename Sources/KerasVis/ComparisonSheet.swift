import Foundation
import Imaging
import KerasExplain
import KerasRuntime

/// The look of a ``ComparisonSheet``.
public struct ComparisonSheetStyle: Sendable, Equatable {
  /// The width of every picture on the sheet, in pixels (the height follows the photo's aspect ratio).
  public var panelWidth: Int
  /// The heatmaps' colormap.
  public var colormap: Colormap
  /// The heatmap's weight in keras-vis's `overlay` (0...1).
  public var alpha: Double
  /// The object boxes' outline colour (RGB).
  public var boxColor: [UInt8]

  /// A style: 320-pixel panels, jet, alpha 0.5, white box outlines.
  public init(
    panelWidth: Int = 320, colormap: Colormap = .jet, alpha: Double = 0.5, boxColor: [UInt8] = [255, 255, 255]
  ) {
    self.panelWidth = panelWidth
    self.colormap = colormap
    self.alpha = alpha
    self.boxColor = boxColor
  }
}

/// Where a ``ComparisonSheet`` puts things: one row per layer, the photo in the first column of the first row and
/// one column per method after it; every cell is a title block (black text on white) over a picture; under the
/// cells, the colormap's colour bar from 0 to 1.
/// All sizes in pixels; the sheet's background is white.
public struct ComparisonSheetLayout: Sendable, Equatable {
  /// Cells per row: 1 (the photo) + the methods.
  public var columns: Int
  /// Rows: one per layer.
  public var rows: Int
  /// A picture's width (``ComparisonSheetStyle/panelWidth``).
  public var pictureWidth: Int
  /// A picture's height: the photo's aspect ratio at ``pictureWidth``.
  public var pictureHeight: Int
  /// The bitmap font's pixel size: 2 for pictures 256 pixels wide or more, else 1.
  public var fontScale: Int
  /// Space around the sheet and between cells.
  public var padding: Int
  /// The lines of text every cell's title block holds.
  public var titleLines: Int
  /// The title block's height above each picture.
  public var titleHeight: Int
  /// The sheet's width.
  public var width: Int
  /// The colour bar's top row: under the last row of cells, in the first column, ``pictureWidth`` wide (value 0 at
  /// the left, 1 at the right), with `0`, `0.5` and `1` written under it.
  public var barY: Int
  /// The colour bar's height.
  public var barHeight: Int
  /// The sheet's height: the cells, then the colour bar and its labels.
  public var height: Int

  /// The layout for `rows` x `columns` cells of `pictureWidth` pictures of a `photoWidth` x `photoHeight` photo,
  /// with `titleLines` lines of title each.
  public init(rows: Int, columns: Int, pictureWidth: Int, photoWidth: Int, photoHeight: Int, titleLines: Int) {
    self.rows = rows
    self.columns = columns
    self.pictureWidth = pictureWidth
    pictureHeight = max(1, Int((Double(pictureWidth) * Double(photoHeight) / Double(max(photoWidth, 1))).rounded()))
    fontScale = pictureWidth >= 256 ? 2 : 1
    padding = 4 * fontScale
    self.titleLines = titleLines
    let lineHeight = (BitmapFont.glyphHeight + 3) * fontScale
    titleHeight = titleLines * lineHeight + padding
    width = padding + columns * (pictureWidth + padding)
    barY = padding + rows * (titleHeight + pictureHeight + padding)
    barHeight = 8 * fontScale
    height = barY + barHeight + (2 + BitmapFont.glyphHeight) * fontScale + padding
  }

  /// The characters of one title line that fit a picture's width.
  public var charactersPerLine: Int { max(1, (pictureWidth + fontScale) / (BitmapFont.advance * fontScale)) }

  /// The top-left corner of the cell at `row`, `column` (its title block's first line).
  public func cellOrigin(row: Int, column: Int) -> (x: Int, y: Int) {
    (padding + column * (pictureWidth + padding), padding + row * (titleHeight + pictureHeight + padding))
  }

  /// The top-left corner of the picture of the cell at `row`, `column`.
  public func pictureOrigin(row: Int, column: Int) -> (x: Int, y: Int) {
    let cell = cellOrigin(row: row, column: column)
    return (cell.x, cell.y + titleHeight)
  }
}

/// One picture answering "which layer (and method) should Grad-CAM use?": the photo and a titled overlay per
/// (layer, method) pair, each titled with the layer's name and index, the method, the class's name and score, and,
/// with object boxes, its pointing-game hit and deletion score, the boxes outlined (`kerasvis compare`).
///
/// ```swift
/// let sheet = try ComparisonSheet.make(
///   explainer: explainer, input: input, photo: photo, photoName: "cat.jpg",
///   layers: [[299], [310]], methods: [KerasVisGradCAM()], labels: .imageNet)
/// try sheet.render().writePNG(toFile: "sheet.png")
/// ```
public struct ComparisonSheet: Sendable {
  /// The picture the maps are drawn over (the photo at its own size, or the model-size picture); nil for an
  /// input that is not a picture (the maps are drawn alone).
  public var photo: Image?
  /// The input's name, in the photo's title.
  public var photoName: String
  /// The model input's width and height (the boxes' and maps' pixels).
  public var inputWidth: Int
  /// The model input's height.
  public var inputHeight: Int
  /// The explanations by layer (rows), then method (columns).
  public var panels: [[ExplainedPanel]]
  /// The input's object boxes in model-input pixels, or nil.
  public var boxes: [BoundingBox]?
  /// The class names used in titles, or nil.
  public var labels: ClassLabels?

  /// A sheet of explanations already computed.
  public init(
    photo: Image?, photoName: String, inputWidth: Int, inputHeight: Int, panels: [[ExplainedPanel]],
    boxes: [BoundingBox]? = nil, labels: ClassLabels? = nil
  ) {
    self.photo = photo
    self.photoName = photoName
    self.inputWidth = inputWidth
    self.inputHeight = inputHeight
    self.panels = panels
    self.boxes = boxes
    self.labels = labels
  }

  /// Explains `input` with every method at every layer (``Explainer/explainPanel(input:layer:method:classIndex:boxes:metrics:)``;
  /// a nil layer is the method's automatic one) and collects the sheet; with `boxes`, each panel gets its
  /// pointing game (15-pixel tolerance) and deletion score.
  /// - Parameters:
  ///   - input: the model input, `(1, H, W, C)`.
  ///   - photo: the picture to draw over (see ``photo``).
  ///   - deletionStep: pixels the deletion metric removes per step (nil: the input's width, as RISE).
  /// - Throws: what the explanations and metrics throw; `KerasVisError.invalidArgument` for no layers or methods.
  public static func make(
    explainer: Explainer, input: Tensor, photo: Image?, photoName: String, layers: [[Int]?],
    methods: [any ExplanationMethod],
    classIndex: Int? = nil, boxes: [BoundingBox]? = nil, labels: ClassLabels? = nil, deletionStep: Int? = nil
  ) throws -> ComparisonSheet {
    guard !layers.isEmpty, !methods.isEmpty else {
      throw KerasVisError.invalidArgument("a comparison sheet needs at least one layer and one method")
    }
    let metrics = boxes == nil ? PanelMetrics.none : PanelMetrics(deletion: true, step: deletionStep)
    let panels = try layers.map { layer in
      try methods.map { method in
        try explainer.explainPanel(
          input: input, layer: layer, method: method, classIndex: classIndex, boxes: boxes, metrics: metrics)
      }
    }
    return ComparisonSheet(
      photo: photo, photoName: photoName, inputWidth: input.shape[input.rank - 2],
      inputHeight: input.shape[input.rank - 3], panels: panels, boxes: boxes, labels: labels)
  }

  /// The title of a panel: `conv2d_94 (299)`, the method, `class 281 tabby 0.623`, and with boxes
  /// `pointing hit` and `deletion 0.123` (smaller is better).
  public func title(of panel: ExplainedPanel) -> [String] {
    var lines = [panel.layerTitle, panel.method]
    var explained = "class \(panel.classIndex)"
    if let name = labels?[panel.classIndex] { explained += " \(name)" }
    if let score = panel.score { explained += " " + String(format: "%.3f", Double(score)) }
    lines.append(explained)
    if boxes != nil {
      if let pointing = panel.pointing { lines.append("pointing " + (pointing > 0 ? "hit" : "miss")) }
      if let deletion = panel.deletion { lines.append("deletion " + String(format: "%.3f", Double(deletion))) }
    }
    return lines
  }

  /// The photo's title: its name, its size, and the number of boxes.
  public var photoTitle: [String] {
    var lines = [photoName]
    if let photo { lines.append("photo \(photo.width)x\(photo.height)") }
    lines.append("input \(inputWidth)x\(inputHeight)")
    if let boxes { lines.append("\(boxes.count) box" + (boxes.count == 1 ? "" : "es")) }
    return lines
  }

  /// The layout of the rendered sheet in `style`.
  public func layout(style: ComparisonSheetStyle = ComparisonSheetStyle()) -> ComparisonSheetLayout {
    let columns = 1 + (panels.map(\.count).max() ?? 0)
    let probe = ComparisonSheetLayout(
      rows: panels.count, columns: columns, pictureWidth: style.panelWidth, photoWidth: photo?.width ?? inputWidth,
      photoHeight: photo?.height ?? inputHeight, titleLines: 0)
    let lines =
      ([photoTitle] + panels.joined().map(title(of:))).map {
        Self.wrap($0, width: probe.charactersPerLine).count
      }.max() ?? 0
    return ComparisonSheetLayout(
      rows: panels.count, columns: columns, pictureWidth: style.panelWidth, photoWidth: photo?.width ?? inputWidth,
      photoHeight: photo?.height ?? inputHeight, titleLines: lines)
  }

  /// The sheet as an RGB picture (see ``ComparisonSheetLayout`` for where things are).
  /// - Throws: `ImagingError.invalidArgument` for a panel width below 16 or above 4096, an `alpha` outside 0...1,
  ///   or a sheet too large.
  public func render(style: ComparisonSheetStyle = ComparisonSheetStyle()) throws -> Image {
    guard (16...4096).contains(style.panelWidth) else {
      throw ImagingError.invalidArgument("panel width \(style.panelWidth) is outside 16...4096")
    }
    let layout = layout(style: style)
    let (area, overflow) = layout.width.multipliedReportingOverflow(by: layout.height)
    guard !overflow, area <= 1 << 28 else {
      throw ImagingError.invalidArgument("a sheet of \(layout.width)x\(layout.height) pixels is too large")
    }
    var canvas = [UInt8](repeating: 255, count: area * 3)
    let background = try photo.map {
      try $0.converted(to: .rgb).resized(
        width: layout.pictureWidth, height: layout.pictureHeight, interpolation: .bilinear)
    }
    func paste(_ picture: Image, row: Int, column: Int) throws {
      let origin = layout.pictureOrigin(row: row, column: column)
      let rgb = try ExplanationPicture.outlining(
        picture, boxes: boxes ?? [], inputWidth: inputWidth, inputHeight: inputHeight, color: style.boxColor)
      for y in 0..<min(rgb.height, layout.pictureHeight) {
        let source = y * rgb.width * 3
        let target = ((origin.y + y) * layout.width + origin.x) * 3
        let count = min(rgb.width, layout.pictureWidth) * 3
        canvas.replaceSubrange(target..<(target + count), with: rgb.pixels[source..<(source + count)])
      }
    }
    if let background {
      try paste(background, row: 0, column: 0)
    } else {
      let gray = try Image(width: layout.pictureWidth, height: layout.pictureHeight, format: .rgb, filledWith: 200)
      try paste(gray, row: 0, column: 0)
    }
    let heatmapStyle = HeatmapStyle(colormap: style.colormap, alpha: style.alpha, size: .input)
    for (row, line) in panels.enumerated() {
      for (index, panel) in line.enumerated() {
        let picture: Image
        if let background {
          picture = try ExplanationPicture.draw(panel.map, picture: background, style: heatmapStyle)
        } else {
          let (values, width, _) = ExplanationPicture.heatmap(of: panel.map)
          picture = try coloredHeatmap(
            values, heatmapWidth: width, width: layout.pictureWidth, height: layout.pictureHeight,
            colormap: style.colormap)
        }
        try paste(picture, row: row, column: index + 1)
      }
    }
    for x in 0..<layout.pictureWidth {
      let value = Float(x) / Float(max(layout.pictureWidth - 1, 1))
      let color = style.colormap.color(for: value)
      for y in layout.barY..<(layout.barY + layout.barHeight) {
        let base = (y * layout.width + layout.padding + x) * 3
        canvas.replaceSubrange(base..<(base + 3), with: [color.red, color.green, color.blue])
      }
    }
    var sheet = try Image(width: layout.width, height: layout.height, format: .rgb, pixels: canvas)
    let labelY = layout.barY + layout.barHeight + 2 * layout.fontScale
    for (value, label) in [(0.0, "0"), (0.5, "0.5"), (1.0, "1")] {
      let textWidth = BitmapFont.size(of: label, scale: layout.fontScale).width
      let center = layout.padding + Int(value * Double(layout.pictureWidth - 1))
      let x = max(layout.padding, min(layout.padding + layout.pictureWidth - textWidth, center - textWidth / 2))
      sheet.drawText(label, x: x, y: labelY, color: [0], scale: layout.fontScale)
    }
    func write(_ lines: [String], row: Int, column: Int) {
      let origin = layout.cellOrigin(row: row, column: column)
      let lineHeight = (BitmapFont.glyphHeight + 3) * layout.fontScale
      for (number, text) in Self.wrap(lines, width: layout.charactersPerLine).enumerated() {
        sheet.drawText(text, x: origin.x, y: origin.y + number * lineHeight, color: [0], scale: layout.fontScale)
      }
    }
    write(photoTitle, row: 0, column: 0)
    for (row, line) in panels.enumerated() {
      for (index, panel) in line.enumerated() { write(title(of: panel), row: row, column: index + 1) }
    }
    return sheet
  }

  /// `lines` broken at spaces into lines of at most `width` characters (a longer word is cut).
  static func wrap(_ lines: [String], width: Int) -> [String] {
    lines.flatMap { text -> [String] in
      var result: [String] = []
      var line = ""
      for word in text.split(separator: " ").map(String.init) {
        var word = word
        while word.count > width {
          if !line.isEmpty {
            result.append(line)
            line = ""
          }
          result.append(String(word.prefix(width)))
          word = String(word.dropFirst(width))
        }
        if line.isEmpty {
          line = word
        } else if line.count + 1 + word.count <= width {
          line += " " + word
        } else {
          result.append(line)
          line = word
        }
      }
      if !line.isEmpty || result.isEmpty { result.append(line) }
      return result
    }
  }
}
