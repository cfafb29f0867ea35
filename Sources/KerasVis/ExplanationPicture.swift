import Imaging
import KerasRuntime

/// The picture an explanation's heatmap is drawn over.
public enum OverlaySize: String, Sendable, Equatable, CaseIterable {
  /// The photo at its own size: the map (at the model's input size) is resized bilinearly to the photo's width and
  /// height, then blended over the original photo.
  case photo
  /// The model-size input picture (the photo as `load_img` resized it for the model), as keras-vis's examples draw.
  case input
}

/// How an explanation map becomes a picture (`kerasvis cam`/`saliency --out`).
public struct HeatmapStyle: Sendable, Equatable {
  /// The colormap (matplotlib's `jet` by default, as keras-vis's examples use).
  public var colormap: Colormap
  /// The heatmap's weight in keras-vis's `overlay` (0...1).
  public var alpha: Double
  /// Whether to draw the coloured map alone, without the picture underneath (still at the picture's size).
  public var heatmapOnly: Bool
  /// The photo's own size, or the model's input size.
  public var size: OverlaySize
  /// How many times larger than that size the picture is drawn (1...16), the picture enlarged with Pillow's
  /// bicubic filter first: small inputs (a 64x64 sample, a 28x28 digit) become pictures a person can see.
  public var zoom: Int

  /// A style; the defaults are jet, alpha 0.5, the overlay, at the photo's size, not enlarged.
  public init(
    colormap: Colormap = .jet, alpha: Double = 0.5, heatmapOnly: Bool = false, size: OverlaySize = .photo,
    zoom: Int = 1
  ) {
    self.colormap = colormap
    self.alpha = alpha
    self.heatmapOnly = heatmapOnly
    self.size = size
    self.zoom = zoom
  }
}

/// Explanation maps drawn as pictures: coloured, resized to the photo, blended over it, and optionally titled with
/// a colour bar.
public enum ExplanationPicture {
  /// A 3-D model's volume map `(D, H, W)` as one picture: its D depth slices side by side, `(H, D * W)`, so that
  /// ``draw(_:picture:photo:style:title:)`` shows every slice (a volume has no photo underneath).
  public static func volumeMontage(_ map: Tensor) throws -> Tensor {
    guard map.rank == 3 else { return map }
    let (depth, height, width) = (map.shape[0], map.shape[1], map.shape[2])
    let values = map.scalars
    return try Tensor(shape: [height, depth * width]) { position in
      let (y, x) = (position / (depth * width), position % (depth * width))
      return values[((x / width) * height + y) * width + x % width]
    }
  }

  /// The values drawn for a map: `(H, W)` as it is, `(H, W, C)` the maximum over channels (a saliency map kept with
  /// `keepdims`, Guided Grad-CAM); any other shape as one row.
  public static func heatmap(of map: Tensor) -> (values: [Float], width: Int, height: Int) {
    let shape = map.shape
    let values = map.scalars
    switch shape.count {
    case 2 where shape[0] > 0 && shape[1] > 0:
      return (values, shape[1], shape[0])
    case 3 where shape[0] > 0 && shape[1] > 0 && shape[2] > 0:
      let (height, width, channels) = (shape[0], shape[1], shape[2])
      var maxima = [Float](repeating: 0, count: height * width)
      for p in maxima.indices {
        maxima[p] = values[(p * channels)..<((p + 1) * channels)].max() ?? 0
      }
      return (maxima, width, height)
    default:
      return (values, max(values.count, 1), 1)
    }
  }

  /// The picture of `map` in `style`.
  /// - Parameters:
  ///   - map: the explanation map at the model's input size (see ``heatmap(of:)`` for the shapes drawn).
  ///   - picture: the model-size input picture, or nil (a `.npy` input: no picture).
  ///   - photo: the photo at its own size, or nil; with ``OverlaySize/photo`` the heatmap is drawn at its size.
  ///   - style: colormap, alpha, overlay or heatmap alone, and size.
  ///   - title: with a title (even empty), ``annotate(_:title:colormap:)`` adds the title strip and a colour bar.
  /// - Returns: the overlay (or coloured map) at the photo's size (``OverlaySize/photo`` and a photo), else at the
  ///   picture's size, else at the map's own size.
  /// - Throws: `ImagingError.invalidArgument` for an empty map or an `alpha` outside 0...1.
  public static func draw(
    _ map: Tensor, picture: Image?, photo: Image? = nil, style: HeatmapStyle = HeatmapStyle(), title: [String]? = nil
  ) throws -> Image {
    let (values, width, height) = heatmap(of: map)
    guard !values.isEmpty else { throw ImagingError.invalidArgument("the map \(map.shape) is empty") }
    guard (1...16).contains(style.zoom) else {
      throw ImagingError.invalidArgument("the zoom must be in 1...16, got \(style.zoom)")
    }
    var background = style.size == .photo ? (photo ?? picture) : picture
    if let image = background, style.zoom > 1 {
      background = try image.resized(
        width: image.width * style.zoom, height: image.height * style.zoom, interpolation: .bicubic)
    }
    let drawn: Image
    if let background, !style.heatmapOnly {
      drawn = try camOverlay(
        heatmap: values, heatmapWidth: width, on: background, alpha: style.alpha, colormap: style.colormap)
    } else {
      drawn = try coloredHeatmap(
        values, heatmapWidth: width, width: background?.width ?? width * style.zoom,
        height: background?.height ?? height * style.zoom, colormap: style.colormap)
    }
    guard let title else { return drawn }
    return try annotate(drawn, title: title, colormap: style.colormap)
  }

  /// The title of an annotated explanation: the explained classes with their names (when `labels` has them) and
  /// scores, then the method and the layer.
  ///
  /// `["class 281 tabby 0.623", "gradcam, layer conv_pw_13_relu"]` (scores with 3 decimals); several classes read
  /// `classes 281 tabby 0.623 + 282 tiger_cat 0.200`; a score that is not known is left out.
  /// - Parameters:
  ///   - classes: the explained class (or channel) indices, with their scores where known.
  ///   - labels: the class names, or nil.
  ///   - method: the method's name.
  ///   - layer: the layer the map comes from (a CAM's feature map, a saliency map's explained layer), or nil.
  public static func title(
    classes: [(index: Int, score: Float?)], labels: ClassLabels?, method: String, layer: String?
  ) -> [String] {
    var lines: [String] = []
    if !classes.isEmpty {
      let parts = classes.map { entry -> String in
        var text = "\(entry.index)"
        if let name = labels?[entry.index] { text += " \(name)" }
        if let score = entry.score { text += " \(String(format: "%.3f", Double(score)))" }
        return text
      }
      lines.append((classes.count == 1 ? "class " : "classes ") + parts.joined(separator: " + "))
    }
    lines.append(layer.map { "\(method), layer \($0)" } ?? method)
    return lines
  }
}
