/// One cell of a grid made by ``makeGrid(title:tiles:style:)``: a one- or three-channel value map and an optional
/// label printed under it.
public struct GridTile: Sendable, Equatable {
  /// The values (any range; each tile is normalized to 0...255 on its own).
  public var values: FloatImage
  /// Text printed under the tile, cut to the tile's width.
  public var label: String?

  /// A tile showing `values`, labelled `label`.
  public init(values: FloatImage, label: String? = nil) {
    self.values = values
    self.label = label
  }
}

/// Layout and colours for ``makeGrid(title:tiles:style:)``.
public struct GridStyle: Sendable, Equatable {
  /// Tiles per row; `nil` picks `ceil(sqrt(tile count))`.
  public var columns: Int?
  /// Pixels around the grid and between cells.
  public var padding: Int
  /// Each tile pixel becomes a `tileScale` x `tileScale` block (nearest neighbour), so 7x7 maps stay visible.
  public var tileScale: Int
  /// Font pixel size (1 draws the 5x7 glyphs as they are).
  public var fontScale: Int
  /// Background grey level.
  public var background: UInt8
  /// Text grey level.
  public var textColor: UInt8

  /// A style with the given settings (defaults: automatic columns, padding 4, scales 1, white background, black
  /// text).
  public init(
    columns: Int? = nil, padding: Int = 4, tileScale: Int = 1, fontScale: Int = 1, background: UInt8 = 255,
    textColor: UInt8 = 0
  ) {
    self.columns = columns
    self.padding = padding
    self.tileScale = tileScale
    self.fontScale = fontScale
    self.background = background
    self.textColor = textColor
  }
}

/// Scales `values` linearly so that their minimum becomes 0 and their maximum 255 (rounded to nearest); a constant
/// map becomes all 0. NaN and infinite values are ignored for the range and drawn as 0.
public func normalizedTo255(_ values: [Float]) -> [UInt8] {
  var low = Float.infinity
  var high = -Float.infinity
  for v in values where v.isFinite {
    low = min(low, v)
    high = max(high, v)
  }
  guard low < high else { return [UInt8](repeating: 0, count: values.count) }
  let range = Double(high) - Double(low)
  return values.map { v in
    guard v.isFinite else { return 0 }
    let scaled = (Double(v) - Double(low)) / range * 255
    return UInt8(max(0, min(255, scaled.rounded())))
  }
}

/// Composes tiles into one titled image: an optional title line, then the tiles row by row, each normalized to
/// 0...255 on its own, with its label under it. Used for layer outputs (one gray tile per channel, see
/// ``channelTiles(of:labelPrefix:)``) and filter kernels (RGB tiles, see
/// ``kernelTiles(kernel:height:width:inputChannels:outputChannels:inputChannel:)``).
///
/// Cells are as large as the largest tile (times `tileScale`); smaller tiles sit in their cell's top-left corner.
/// The result is gray when every tile has one channel and RGB when any tile has three.
/// - Throws: ``ImagingError/invalidArgument(_:)`` when there are no tiles, a tile has neither 1 nor 3 channels, or a
///   style value is out of range.
public func makeGrid(title: String? = nil, tiles: [GridTile], style: GridStyle = GridStyle()) throws -> Image {
  guard !tiles.isEmpty else { throw ImagingError.invalidArgument("a grid needs at least one tile") }
  guard style.padding >= 0, style.tileScale > 0, style.tileScale <= 64, style.fontScale > 0,
    style.fontScale <= 16, (style.columns ?? 1) > 0
  else {
    throw ImagingError.invalidArgument("grid style out of range: \(style)")
  }
  for (i, tile) in tiles.enumerated() where tile.values.channels != 1 && tile.values.channels != 3 {
    throw ImagingError.invalidArgument("tile \(i) has \(tile.values.channels) channels; grids take 1 or 3")
  }
  let format: PixelFormat = tiles.contains { $0.values.channels == 3 } ? .rgb : .gray
  let columns = min(tiles.count, style.columns ?? Int(Double(tiles.count).squareRoot().rounded(.up)))
  let rows = (tiles.count + columns - 1) / columns
  let scale = style.tileScale
  let cellWidth = (tiles.map(\.values.width).max() ?? 1) * scale
  let cellHeight = (tiles.map(\.values.height).max() ?? 1) * scale
  let textHeight = BitmapFont.glyphHeight * style.fontScale
  let hasLabels = tiles.contains { !($0.label ?? "").isEmpty }
  let labelBlock = hasLabels ? textHeight + 2 : 0
  let titleBlock = (title ?? "").isEmpty ? 0 : textHeight + style.padding
  let pad = style.padding
  let gridWidth = columns * cellWidth + (columns + 1) * pad
  let titleWidth = BitmapFont.size(of: title ?? "", scale: style.fontScale).width + 2 * pad
  let width = max(gridWidth, titleWidth)
  let height = pad + titleBlock + rows * (cellHeight + labelBlock) + rows * pad
  let (area, overflow) = width.multipliedReportingOverflow(by: height)
  guard !overflow, area <= 1 << 28, width > 0, height > 0 else {
    throw ImagingError.invalidArgument("grid of \(width)x\(height) pixels is too large")
  }
  var canvas = try Image(width: width, height: height, format: format, filledWith: style.background)
  let ink = [UInt8](repeating: style.textColor, count: format.channels)
  if let title, !title.isEmpty {
    canvas.drawText(title, x: pad, y: pad, color: ink, scale: style.fontScale)
  }
  let n = format.channels
  for (index, tile) in tiles.enumerated() {
    let row = index / columns
    let column = index % columns
    let originX = pad + column * (cellWidth + pad)
    let originY = pad + titleBlock + row * (cellHeight + labelBlock + pad)
    let map = tile.values
    let bytes = normalizedTo255(map.values)
    for y in 0..<(map.height * scale) {
      for x in 0..<(map.width * scale) {
        let source = ((y / scale) * map.width + x / scale) * map.channels
        let target = ((originY + y) * width + originX + x) * n
        for c in 0..<n {
          canvas.pixels[target + c] = bytes[source + (map.channels == 1 ? 0 : c)]
        }
      }
    }
    if let label = tile.label, !label.isEmpty {
      let fit = max(1, (cellWidth + 1) / (BitmapFont.advance * style.fontScale))
      canvas.drawText(
        String(label.prefix(fit)), x: originX, y: originY + cellHeight + 2, color: ink, scale: style.fontScale)
    }
  }
  return canvas
}

/// Splits a layer output (HWC, one map per channel) into one gray tile per channel, labelled
/// `labelPrefix` followed by the channel index.
public func channelTiles(of featureMap: FloatImage, labelPrefix: String = "") -> [GridTile] {
  let c = featureMap.channels
  return (0..<c).map { channel in
    var values = [Float](repeating: 0, count: featureMap.width * featureMap.height)
    for i in values.indices { values[i] = featureMap.values[i * c + channel] }
    return GridTile(
      values: FloatImage(unchecked: featureMap.width, height: featureMap.height, channels: 1, values: values),
      label: "\(labelPrefix)\(channel)")
  }
}

/// Turns a Keras `Conv2D` kernel (shape `(height, width, inputChannels, outputChannels)`, C order) into one tile per
/// output filter, labelled with its index: RGB tiles when the kernel has 3 input channels and `inputChannel` is
/// `nil` (first-layer filters), gray tiles of input channel `inputChannel ?? 0` otherwise.
/// - Throws: ``ImagingError/invalidArgument(_:)`` when the sizes do not match `kernel.count` or `inputChannel` is
///   out of range.
public func kernelTiles(
  kernel: [Float], height: Int, width: Int, inputChannels: Int, outputChannels: Int, inputChannel: Int? = nil
) throws -> [GridTile] {
  let (hw, o1) = height.multipliedReportingOverflow(by: width)
  let (hwi, o2) = hw.multipliedReportingOverflow(by: inputChannels)
  let (total, o3) = hwi.multipliedReportingOverflow(by: outputChannels)
  guard height > 0, width > 0, inputChannels > 0, outputChannels > 0, !o1, !o2, !o3, total == kernel.count
  else {
    throw ImagingError.invalidArgument(
      "kernel of \(kernel.count) values is not \(height)x\(width)x\(inputChannels)x\(outputChannels)")
  }
  if let inputChannel, inputChannel < 0 || inputChannel >= inputChannels {
    throw ImagingError.invalidArgument("input channel \(inputChannel) out of 0..<\(inputChannels)")
  }
  let rgb = inputChannels == 3 && inputChannel == nil
  let channels = rgb ? 3 : 1
  let selected = inputChannel ?? 0
  return (0..<outputChannels).map { filter in
    var values = [Float](repeating: 0, count: height * width * channels)
    for y in 0..<height {
      for x in 0..<width {
        for c in 0..<channels {
          let input = rgb ? c : selected
          values[(y * width + x) * channels + c] =
            kernel[((y * width + x) * inputChannels + input) * outputChannels + filter]
        }
      }
    }
    return GridTile(
      values: FloatImage(unchecked: width, height: height, channels: channels, values: values), label: "\(filter)")
  }
}

/// keras-vis's `utils.stitch_images(images, margin, cols)`: images laid out left to right, `cols` per row, with
/// `margin` black pixels between them (none around); `nil` for no images.
/// - Throws: ``ImagingError/invalidArgument(_:)`` when the images differ in shape (NumPy fails there too) or
///   `margin`/`cols` is out of range.
public func stitchImages(_ images: [Image], margin: Int = 5, cols: Int = 5) throws -> Image? {
  guard let first = images.first else { return nil }
  guard margin >= 0, cols > 0 else {
    throw ImagingError.invalidArgument("margin \(margin) and cols \(cols) must be >= 0 and > 0")
  }
  for (i, image) in images.enumerated()
  where image.width != first.width || image.height != first.height || image.format != first.format {
    throw ImagingError.invalidArgument("image \(i) is not \(first.height)x\(first.width)x\(first.channels)")
  }
  let h = first.height
  let w = first.width
  let c = first.channels
  let rows = (images.count + cols - 1) / cols
  let columns = min(images.count, cols)
  let outWidth = columns * w + (columns - 1) * margin
  let outHeight = rows * h + (rows - 1) * margin
  var out = try Image(width: outWidth, height: outHeight, format: first.format, filledWith: 0)
  for (index, image) in images.enumerated() {
    let row = index / cols
    let column = index % cols
    for y in 0..<h {
      let target = (((h + margin) * row + y) * outWidth + (w + margin) * column) * c
      let source = y * w * c
      out.pixels.replaceSubrange(target..<(target + w * c), with: image.pixels[source..<(source + w * c)])
    }
  }
  return out
}
