/// keras-vis's `vis.visualization.overlay(array1, array2, alpha)`: `array1 * alpha + array2 * (1 - alpha)` in
/// double precision, truncated back to `UInt8` (NumPy's `astype(uint8)`).
///
/// - Parameters:
///   - array1: the top image (the heatmap in keras-vis's examples).
///   - array2: the bottom image; same size and format as `array1`.
///   - alpha: the weight of `array1`, in 0...1.
/// - Throws: ``ImagingError/invalidArgument(_:)`` when `alpha` is outside 0...1 or the shapes differ (keras-vis
///   raises `ValueError` in both cases).
public func overlay(_ array1: Image, _ array2: Image, alpha: Double = 0.5) throws -> Image {
  guard alpha >= 0, alpha <= 1 else {
    throw ImagingError.invalidArgument("alpha \(alpha) must be between 0 and 1")
  }
  guard array1.width == array2.width, array1.height == array2.height, array1.format == array2.format else {
    throw ImagingError.invalidArgument(
      "overlay needs equal shapes, got \(array1.height)x\(array1.width)x\(array1.channels) and "
        + "\(array2.height)x\(array2.width)x\(array2.channels)")
  }
  let beta = 1.0 - alpha
  var out = [UInt8](repeating: 0, count: array1.pixels.count)
  for i in out.indices {
    let value = Double(array1.pixels[i]) * alpha + Double(array2.pixels[i]) * beta
    out[i] = UInt8(max(0, min(255, value)))
  }
  return Image(unchecked: array1.width, height: array1.height, format: array1.format, pixels: out)
}

/// A class-activation-map overlay as keras-vis's examples draw it: the heatmap coloured with `colormap`
/// (`np.uint8(cm.jet(heatmap)[..., :3] * 255)`), then ``overlay(_:_:alpha:)`` onto the image in RGB.
///
/// - Parameters:
///   - heatmap: one value per pixel, row by row, nominally in 0...1 (values outside are clamped by the colormap
///     lookup, NaN is drawn black).
///   - heatmapWidth: the heatmap's width; its height is `heatmap.count / heatmapWidth`.
///   - image: the picture underneath, of any size (a photo at its own size, or the model-size input); converted to
///     RGB first (alpha dropped, gray replicated).
///   - alpha: the heatmap's weight, in 0...1.
///   - colormap: the colormap (matplotlib `jet` by default).
/// - Returns: an RGB image of the image's size.
/// - Note: a heatmap of another size is first resized to the image size as
///   ``coloredHeatmap(_:heatmapWidth:width:height:colormap:)`` does (bilinear), which keras-vis leaves to the caller.
/// - Throws: ``ImagingError/invalidArgument(_:)`` for an empty or ragged heatmap or an `alpha` outside 0...1.
public func camOverlay(
  heatmap: [Float], heatmapWidth: Int, on image: Image, alpha: Double = 0.5, colormap: Colormap = .jet
) throws -> Image {
  let colored = try coloredHeatmap(
    heatmap, heatmapWidth: heatmapWidth, width: image.width, height: image.height, colormap: colormap)
  return try overlay(colored, image.converted(to: .rgb), alpha: alpha)
}

/// A heatmap resized to `width` x `height` and coloured with `colormap`: what ``camOverlay(heatmap:heatmapWidth:on:alpha:colormap:)``
/// blends over a picture, and what `--heatmap-only` writes.
///
/// The resize is Pillow's bilinear filter on 32-bit floats (`Image.fromarray(heatmap, "F").resize(size, BILINEAR)`):
/// when enlarging, each output pixel is the linear interpolation of the four nearest map pixels, with pixel centres
/// at half-integer positions (`(x + 0.5) * mapWidth / width - 0.5`) and the edge pixels extended; when shrinking,
/// a triangle filter as wide as the scale averages the pixels it covers. A heatmap already of that size is coloured
/// as it is.
/// - Throws: ``ImagingError/invalidArgument(_:)`` for an empty or ragged heatmap or a size that is not positive.
public func coloredHeatmap(
  _ heatmap: [Float], heatmapWidth: Int, width: Int, height: Int, colormap: Colormap = .jet
) throws -> Image {
  guard heatmapWidth > 0, !heatmap.isEmpty, heatmap.count % heatmapWidth == 0 else {
    throw ImagingError.invalidArgument("\(heatmap.count) heatmap values do not form rows of \(heatmapWidth)")
  }
  var map = try FloatImage(
    width: heatmapWidth, height: heatmap.count / heatmapWidth, channels: 1, values: heatmap)
  if map.width != width || map.height != height {
    map = try map.resized(width: width, height: height, interpolation: .bilinear)
  }
  return try colormap.apply(to: map)
}
