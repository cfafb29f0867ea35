import Foundation
import Imaging
import KerasExplain
import KerasRuntime

/// Where ``ExplanationReport``'s page puts things, in CSS pixels: fixed sizes, so that the pictures' positions do
/// not depend on the browser's fonts. Every entry is a title line, then one row of pictures (the photo, the
/// overlays, the saliency map), each with a caption under it, then the tables.
public enum ExplanationReportLayout {
  /// Space around the page.
  public static let pagePadding = 16
  /// The page header's height (the report's title).
  public static let headerHeight = 48
  /// An entry's title line height (the input's name).
  public static let entryTitleHeight = 32
  /// Space between pictures in a row.
  public static let gap = 12
  /// A caption's height under each picture.
  public static let captionHeight = 64
  /// Space after each entry.
  public static let entrySpacing = 24

  /// The top-left corner of picture `index` (0: the photo, then the overlays, then the saliency map) of the first
  /// entry, for pictures `pictureWidth` wide.
  public static func firstEntryPicture(_ index: Int, pictureWidth: Int) -> (x: Int, y: Int) {
    (pagePadding + index * (pictureWidth + gap), pagePadding + headerHeight + entryTitleHeight)
  }
}

/// One input of an ``ExplanationReport``: its top classes, its explanations and saliency map.
public struct ReportEntry: Sendable {
  /// The input's name (its file name).
  public var name: String
  /// The photo at its own size, or nil for an input that is not a picture.
  public var photo: Image?
  /// The model input's width and height.
  public var inputWidth: Int
  /// The model input's height.
  public var inputHeight: Int
  /// The top classes: index and score, best first.
  public var topClasses: [(index: Int, score: Float)]
  /// One explanation per (layer, method) pair, layers first.
  public var panels: [ExplainedPanel]
  /// keras-vis's saliency map (`visualize_saliency`, |gradient| max over channels) of the explained class,
  /// `(H, W)`.
  public var saliency: Tensor
  /// The input's object boxes, or nil (then the metrics table is left out).
  public var boxes: [BoundingBox]?
}

/// A self-contained HTML page explaining a model's predictions on some images (`kerasvis report`): for each
/// image its top classes (index, name, score), an overlay per chosen (layer, method), a saliency map, and with
/// object boxes a metrics table (pointing game, deletion, insertion). ``write(to:)`` writes `index.html` with the
/// pictures beside it as PNG files (relative links, inline CSS, nothing external).
public struct ExplanationReport: Sendable {
  /// The page's title (the model's name).
  public var title: String
  /// The entries, in input order.
  public var entries: [ReportEntry]
  /// The class names, or nil.
  public var labels: ClassLabels?
  /// The width of every picture, in pixels (heights follow each photo's aspect ratio).
  public var pictureWidth: Int
  /// The heatmaps' colormap.
  public var colormap: Colormap

  /// A report of entries already computed.
  public init(
    title: String, entries: [ReportEntry], labels: ClassLabels? = nil, pictureWidth: Int = 256,
    colormap: Colormap = .jet
  ) {
    self.title = title
    self.entries = entries
    self.labels = labels
    self.pictureWidth = pictureWidth
    self.colormap = colormap
  }

  /// The entry for one input: its top `topCount` classes (of the model's first output), the explanations of
  /// every (layer, method) pair (nil layer: the method's automatic one) of class `classIndex` (nil: the top
  /// class), keras-vis's saliency map of the same class, and with `boxes` the pointing game, deletion and
  /// insertion of each explanation.
  /// - Parameters:
  ///   - input: the model input, `(1, H, W, C)`.
  ///   - metricStep: pixels deletion and insertion move per step (nil: the input's width, as RISE).
  /// - Throws: what the explanations and metrics throw.
  public static func entry(
    explainer: Explainer, name: String, input: Tensor, photo: Image?, layers: [[Int]?],
    methods: [any ExplanationMethod],
    classIndex: Int? = nil, boxes: [BoundingBox]? = nil, topCount: Int = 5, metricStep: Int? = nil
  ) throws -> ReportEntry {
    let output = try explainer.layerOutput(layerIdx: -1, seedInput: input)
    var top: [(index: Int, score: Float)] = []
    if output.rank == 2 {
      let scores = Array(output.scalars.prefix(output.shape[1]))
      top = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        .prefix(max(topCount, 0)).map { ($0, scores[$0]) }
    }
    let metrics = boxes == nil ? PanelMetrics.none : PanelMetrics(deletion: true, insertion: true, step: metricStep)
    var panels: [ExplainedPanel] = []
    for layer in layers {
      for method in methods {
        panels.append(
          try explainer.explainPanel(
            input: input, layer: layer, method: method, classIndex: classIndex, boxes: boxes, metrics: metrics))
      }
    }
    let explained = classIndex ?? panels.first?.classIndex ?? top.first?.index ?? 0
    let saliency = try explainer.visualizeSaliency(layerIdx: -1, filterIndices: [explained], seedInput: input)
    return ReportEntry(
      name: name, photo: photo, inputWidth: input.shape[input.rank - 2], inputHeight: input.shape[input.rank - 3],
      topClasses: top, panels: panels, saliency: saliency, boxes: boxes)
  }

  /// The height of `entry`'s pictures: its photo's (or input's) aspect ratio at ``pictureWidth``.
  public func pictureHeight(of entry: ReportEntry) -> Int {
    let (width, height) = entry.photo.map { ($0.width, $0.height) } ?? (entry.inputWidth, entry.inputHeight)
    return max(1, Int((Double(pictureWidth) * Double(height) / Double(max(width, 1))).rounded()))
  }

  /// The pictures of `entry`, with their file names (`1-photo.png`, `1-overlay-1.png`, ..., `1-saliency.png` for
  /// entry 1) and captions, in page order; the photo and the overlays have the entry's boxes outlined.
  /// - Throws: `ImagingError` when a picture cannot be drawn.
  public func pictures(of entry: ReportEntry, number: Int) throws -> [(file: String, image: Image, caption: [String])] {
    let (width, height) = (pictureWidth, pictureHeight(of: entry))
    let background = try entry.photo.map {
      try $0.converted(to: .rgb).resized(width: width, height: height, interpolation: .bilinear)
    }
    let overlayStyle = HeatmapStyle(colormap: colormap, size: .input)
    func drawn(_ map: Tensor, alone: Bool) throws -> Image {
      if let background, !alone { return try ExplanationPicture.draw(map, picture: background, style: overlayStyle) }
      let (values, mapWidth, _) = ExplanationPicture.heatmap(of: map)
      return try coloredHeatmap(values, heatmapWidth: mapWidth, width: width, height: height, colormap: colormap)
    }
    func outlined(_ picture: Image) throws -> Image {
      try ExplanationPicture.outlining(
        picture, boxes: entry.boxes ?? [], inputWidth: entry.inputWidth, inputHeight: entry.inputHeight)
    }
    var result: [(String, Image, [String])] = []
    let photo = try outlined(background ?? Image(width: width, height: height, format: .rgb, filledWith: 200))
    result.append(("\(number)-photo.png", photo, [entry.name, "input \(entry.inputWidth)x\(entry.inputHeight)"]))
    for (index, panel) in entry.panels.enumerated() {
      var explained = "class \(panel.classIndex)"
      if let name = labels?[panel.classIndex] { explained += " \(name)" }
      if let score = panel.score { explained += " " + String(format: "%.3f", Double(score)) }
      result.append(
        (
          "\(number)-overlay-\(index + 1).png", try outlined(try drawn(panel.map, alone: false)),
          [panel.method, panel.layerTitle, explained]
        ))
    }
    result.append(("\(number)-saliency.png", try drawn(entry.saliency, alone: true), ["saliency (keras-vis)"]))
    return result
  }

  /// Writes `index.html` and the pictures into `directory` (created if missing).
  /// - Returns: the page's path.
  /// - Throws: file-system errors naming the path, and what drawing throws.
  @discardableResult
  public func write(to directory: String) throws -> String {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    var sections: [String] = []
    for (offset, entry) in entries.enumerated() {
      let pictures = try pictures(of: entry, number: offset + 1)
      for picture in pictures {
        try picture.image.writePNG(toFile: (directory as NSString).appendingPathComponent(picture.file))
      }
      sections.append(section(entry, pictures: pictures.map { ($0.file, $0.image, $0.caption) }))
    }
    let page = html(sections: sections)
    let path = (directory as NSString).appendingPathComponent("index.html")
    try Data(page.utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  /// `text` with `&`, `<`, `>`, `"` and `'` replaced by HTML character references.
  public static func escape(_ text: String) -> String {
    var result = ""
    for character in text {
      switch character {
      case "&": result += "&amp;"
      case "<": result += "&lt;"
      case ">": result += "&gt;"
      case "\"": result += "&quot;"
      case "'": result += "&#39;"
      default: result.append(character)
      }
    }
    return result
  }

  private func section(_ entry: ReportEntry, pictures: [(file: String, image: Image, caption: [String])]) -> String {
    let escape = Self.escape
    var html = "<section>\n<h2>\(escape(entry.name))</h2>\n<div class=\"row\">\n"
    for picture in pictures {
      html += "<figure><img src=\"\(escape(picture.file))\" width=\"\(picture.image.width)\" "
      html += "height=\"\(picture.image.height)\" alt=\"\(escape(picture.caption.joined(separator: ", ")))\">"
      html += "<figcaption>\(picture.caption.map(escape).joined(separator: "<br>"))</figcaption></figure>\n"
    }
    html += "</div>\n<div class=\"tables\">\n"
    if !entry.topClasses.isEmpty {
      let named = labels != nil
      html +=
        "<table><caption>Top classes</caption><tr><th>index</th>\(named ? "<th>name</th>" : "")<th>score</th></tr>\n"
      for (index, score) in entry.topClasses {
        html += "<tr><td>\(index)</td>" + (named ? "<td>\(escape(labels?[index] ?? ""))</td>" : "")
        html += "<td>\(String(format: "%.5f", Double(score)))</td></tr>\n"
      }
      html += "</table>\n"
    }
    if let boxes = entry.boxes {
      html += "<table><caption>Metrics (\(boxes.count) box\(boxes.count == 1 ? "" : "es"))</caption>"
      html += "<tr><th>method</th><th>layer</th><th>pointing &#8593;</th><th>deletion &#8595;</th>"
      html += "<th>insertion &#8593;</th></tr>\n"
      func value(_ number: Float?) -> String { number.map { String(format: "%.4f", Double($0)) } ?? "" }
      for panel in entry.panels {
        let pointing = panel.pointing.map { $0 > 0 ? "hit" : "miss" } ?? ""
        html += "<tr><td>\(escape(panel.method))</td><td>\(escape(panel.layerTitle))</td><td>\(pointing)</td>"
        html += "<td>\(value(panel.deletion))</td><td>\(value(panel.insertion))</td></tr>\n"
      }
      html += "</table>\n"
    }
    return html + "</div>\n</section>\n"
  }

  private func html(sections: [String]) -> String {
    let layout = ExplanationReportLayout.self
    let style = """
      * { margin: 0; padding: 0; box-sizing: border-box; }
      html, body { background: #ffffff; color: #111111; font: 13px/16px sans-serif; }
      body { padding: \(layout.pagePadding)px; }
      header { height: \(layout.headerHeight)px; overflow: hidden; }
      h1 { font-size: 20px; line-height: 28px; }
      h2 { height: \(layout.entryTitleHeight)px; overflow: hidden; font-size: 16px; line-height: 24px; }
      section { margin-bottom: \(layout.entrySpacing)px; }
      .row { display: flex; gap: \(layout.gap)px; align-items: flex-start; }
      figure { flex: none; width: \(pictureWidth)px; }
      figure img { display: block; }
      figcaption { height: \(layout.captionHeight)px; overflow: hidden; padding-top: 4px; }
      .tables { display: flex; gap: 24px; align-items: flex-start; }
      table { border-collapse: collapse; }
      caption { text-align: left; font-weight: bold; padding-bottom: 4px; }
      th, td { border: 1px solid #cccccc; padding: 2px 8px; text-align: left; }
      """
    return """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <title>\(Self.escape(title))</title>
      <style>
      \(style)
      </style>
      </head>
      <body>
      <header><h1>\(Self.escape(title))</h1></header>
      \(sections.joined())</body>
      </html>

      """
  }
}
