import Imaging
import KerasExplain

extension ExplanationPicture {
  /// `picture` with the outlines of `boxes` drawn over it, 2 pixels wide inside each box, in `color` (RGB): the
  /// boxes are in pixels of a `inputWidth` x `inputHeight` model input and are scaled to the picture's size (the
  /// model input is the photo resized, so the same scale maps both). Parts outside the picture are clipped.
  /// - Returns: an RGB picture of the same size.
  /// - Throws: `ImagingError` only if the picture cannot be rebuilt (it can, for any valid picture).
  public static func outlining(
    _ picture: Image, boxes: [BoundingBox], inputWidth: Int, inputHeight: Int, color: [UInt8] = [255, 255, 255]
  ) throws -> Image {
    let rgb = picture.converted(to: .rgb)
    guard !boxes.isEmpty, rgb.width > 0, rgb.height > 0 else { return rgb }
    var pixels = rgb.pixels
    let scaleX = Double(rgb.width) / Double(max(inputWidth, 1))
    let scaleY = Double(rgb.height) / Double(max(inputHeight, 1))
    let ink = (0..<3).map { color.isEmpty ? 255 : color[min($0, color.count - 1)] }
    func clamp(_ value: Double, _ limit: Int) -> Int { max(0, min(limit - 1, Int(max(-1e9, min(1e9, value))))) }
    for box in boxes {
      let x0 = clamp((Double(box.x0) * scaleX).rounded(.down), rgb.width)
      let x1 = clamp((Double(box.x1) * scaleX).rounded(.up) - 1, rgb.width)
      let y0 = clamp((Double(box.y0) * scaleY).rounded(.down), rgb.height)
      let y1 = clamp((Double(box.y1) * scaleY).rounded(.up) - 1, rgb.height)
      guard x0 <= x1, y0 <= y1 else { continue }
      for y in y0...y1 {
        for x in x0...x1 where x - x0 < 2 || x1 - x < 2 || y - y0 < 2 || y1 - y < 2 {
          let base = (y * rgb.width + x) * 3
          pixels.replaceSubrange(base..<(base + 3), with: ink)
        }
      }
    }
    return try Image(width: rgb.width, height: rgb.height, format: .rgb, pixels: pixels)
  }
}
