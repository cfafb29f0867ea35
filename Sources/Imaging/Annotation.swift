/// Where ``annotate(_:title:colormap:)`` puts things: a title strip above the picture and a vertical colour bar to
/// its right, on a white canvas. All sizes are in pixels; the picture's top-left corner is at (0, ``stripHeight``).
///
/// The font scale grows with the picture (1 up to 255 pixels on the shorter side, then one more per 128 pixels, at
/// most 4), and every other size is a multiple of it: padding `4 * scale`, text lines `7 * scale` high with
/// `3 * scale` between them, a bar `10 * scale` wide.
public struct AnnotationLayout: Sendable, Equatable {
  /// The bitmap font's pixel size.
  public var fontScale: Int
  /// Space around the title and between the picture and the bar.
  public var padding: Int
  /// The title, wrapped at spaces to fit the canvas (a word longer than the canvas widens it).
  public var titleLines: [String]
  /// The rows above the picture: padding, the title lines, padding.
  public var stripHeight: Int
  /// The picture's size.
  public var pictureWidth: Int
  /// The picture's height.
  public var pictureHeight: Int
  /// The colour bar's first column.
  public var barX: Int
  /// The colour bar's width.
  public var barWidth: Int
  /// The colour bar's height (the picture's, or enough for two tick labels when the picture is smaller); it starts
  /// at row ``stripHeight``, value 1 at the top and 0 at the bottom.
  public var barHeight: Int
  /// The values that get a tick and a label (0...1).
  public var ticks: [Double]
  /// The canvas width.
  public var width: Int
  /// The canvas height: ``stripHeight`` plus the picture's height (or the bar's, if taller).
  public var height: Int

  /// The layout for a `pictureWidth` x `pictureHeight` picture titled with `title` (one string per line, each
  /// wrapped to the canvas width).
  public init(pictureWidth: Int, pictureHeight: Int, title: [String]) {
    let scale = max(1, min(4, min(pictureWidth, pictureHeight) / 128))
    fontScale = scale
    padding = 4 * scale
    self.pictureWidth = pictureWidth
    self.pictureHeight = pictureHeight
    let textHeight = BitmapFont.glyphHeight * scale
    let labelGap = 2 * scale
    barWidth = 10 * scale
    barX = pictureWidth + padding
    // Tick marks (2 * scale), then 3 * scale of space before the labels, which are at most "0.25" wide.
    let labelWidth = BitmapFont.size(of: "0.25", scale: scale).width
    let contentWidth = barX + barWidth + 5 * scale + labelWidth + padding
    barHeight = max(pictureHeight, 2 * textHeight + labelGap)
    let spacing = textHeight + labelGap
    if barHeight - 1 >= 4 * spacing {
      ticks = [0, 0.25, 0.5, 0.75, 1]
    } else if barHeight - 1 >= 2 * spacing {
      ticks = [0, 0.5, 1]
    } else {
      ticks = [0, 1]
    }
    let available = contentWidth - 2 * padding
    titleLines = title.flatMap { AnnotationLayout.wrap($0, width: available, scale: scale) }
    let widest = titleLines.map { BitmapFont.size(of: $0, scale: scale).width }.max() ?? 0
    width = max(contentWidth, widest + 2 * padding)
    let lines = titleLines.count
    stripHeight = lines == 0 ? padding : 2 * padding + lines * textHeight + (lines - 1) * 3 * scale
    height = stripHeight + barHeight
  }

  /// The row of the bar where `value` (0...1) is drawn.
  public func barRow(for value: Double) -> Int {
    stripHeight + Int(((1 - min(1, max(0, value))) * Double(barHeight - 1)).rounded())
  }

  /// The value the bar shows on `row` (a row of the bar: ``stripHeight`` ..< ``stripHeight`` + ``barHeight``).
  public func barValue(atRow row: Int) -> Double {
    barHeight > 1 ? 1 - Double(row - stripHeight) / Double(barHeight - 1) : 1
  }

  /// `text` broken at spaces into lines at most `width` pixels wide (a longer word stays whole).
  static func wrap(_ text: String, width: Int, scale: Int) -> [String] {
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ") {
      let candidate = line.isEmpty ? String(word) : line + " " + word
      if line.isEmpty || BitmapFont.size(of: candidate, scale: scale).width <= width {
        line = candidate
      } else {
        lines.append(line)
        line = String(word)
      }
    }
    if !line.isEmpty { lines.append(line) }
    return lines
  }

  /// The tick label of `value`: `0`, `0.25`, `0.5`, `0.75`, `1`.
  static func label(_ value: Double) -> String {
    if value == value.rounded() { return String(Int(value)) }
    var text = String(format: "%.2f", value)
    while text.hasSuffix("0") { text.removeLast() }
    return text
  }
}

/// A picture with a title strip above it and a colour bar beside it, as ``AnnotationLayout`` places them: the title
/// in black on white (say the class, its score, the method and the layer), and `colormap` from 0 (bottom) to 1 (top)
/// with tick marks and labels. The picture's pixels are copied unchanged (converted to RGB).
/// - Parameters:
///   - picture: the heatmap or the overlay.
///   - title: the lines of the title (wrapped at spaces when wider than the canvas); characters outside printable
///     ASCII are drawn as `?`.
///   - colormap: the colormap of the picture's heatmap.
/// - Throws: ``ImagingError/invalidArgument(_:)`` when the canvas would be too large.
public func annotate(_ picture: Image, title: [String], colormap: Colormap = .jet) throws -> Image {
  let layout = AnnotationLayout(pictureWidth: picture.width, pictureHeight: picture.height, title: title)
  let (area, overflow) = layout.width.multipliedReportingOverflow(by: layout.height)
  guard !overflow, area <= 1 << 28 else {
    throw ImagingError.invalidArgument("annotated picture of \(layout.width)x\(layout.height) pixels is too large")
  }
  var canvas = try Image(width: layout.width, height: layout.height, format: .rgb, filledWith: 255)
  let rgb = picture.converted(to: .rgb)
  for y in 0..<picture.height {
    let source = y * picture.width * 3
    let target = (layout.stripHeight + y) * layout.width * 3
    canvas.pixels.replaceSubrange(
      target..<(target + picture.width * 3), with: rgb.pixels[source..<(source + picture.width * 3)])
  }
  let scale = layout.fontScale
  let textHeight = BitmapFont.glyphHeight * scale
  let ink: [UInt8] = [0, 0, 0]
  for (line, text) in layout.titleLines.enumerated() {
    canvas.drawText(
      text, x: layout.padding, y: layout.padding + line * (textHeight + 3 * scale), color: ink, scale: scale)
  }
  // The bar, framed in dark gray (inside its own columns and rows).
  let frame: UInt8 = 64
  for row in layout.stripHeight..<(layout.stripHeight + layout.barHeight) {
    let color = colormap.color(for: Float(layout.barValue(atRow: row)))
    let edgeRow = row == layout.stripHeight || row == layout.stripHeight + layout.barHeight - 1
    for x in layout.barX..<(layout.barX + layout.barWidth) {
      let edge = edgeRow || x == layout.barX || x == layout.barX + layout.barWidth - 1
      let base = (row * layout.width + x) * 3
      canvas.pixels[base] = edge ? frame : color.red
      canvas.pixels[base + 1] = edge ? frame : color.green
      canvas.pixels[base + 2] = edge ? frame : color.blue
    }
  }
  let tickX = layout.barX + layout.barWidth
  for value in layout.ticks {
    let row = layout.barRow(for: value)
    for dy in 0..<scale {
      let y = min(layout.height - 1, row + dy - scale / 2)
      for x in tickX..<(tickX + 2 * scale) {
        let base = (y * layout.width + x) * 3
        canvas.pixels.replaceSubrange(base..<(base + 3), with: ink)
      }
    }
    let top = min(layout.height - textHeight, max(0, row - textHeight / 2))
    canvas.drawText(AnnotationLayout.label(value), x: tickX + 5 * scale, y: top, color: ink, scale: scale)
  }
  return canvas
}
