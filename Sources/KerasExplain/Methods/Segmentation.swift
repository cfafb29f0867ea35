import Foundation
import KerasRuntime

/// How the pixels of a sample are grouped into the features (superpixels) that LIME and Kernel SHAP switch on and
/// off (Captum's `feature_mask`, one segment index per pixel, shared by all channels).
public enum Segmentation: Sendable {
  /// A grid of about `segments` rectangular cells as square as the sample allows: `rows = round(sqrt(segments *
  /// H / W))`, `columns = round(segments / rows)` (each at least 1 and at most the pixels along its axis); pixel
  /// `(y, x)` is in cell `floor(y * rows / H) * columns + floor(x * columns / W)`.
  case grid(segments: Int)
  /// Given segment indices 0, 1, ...: `(H, W)` for every sample or `(N, H, W)` one per sample.
  case mask(Tensor)

  /// The segment index of every pixel of sample `sample` (row-major `(H, W)`) and the number of features (the
  /// largest index + 1, as Captum counts them).
  /// - Throws: `KerasVisError.invalidArgument` for a mask of another size or with negative or fractional indices,
  ///   or a grid of no segments.
  public func segments(height: Int, width: Int, sample: Int, count: Int) throws -> (indices: [Int], features: Int) {
    switch self {
    case .grid(let segments):
      guard segments > 0 else {
        throw KerasVisError.invalidArgument("the grid segmentation needs at least one segment (got \(segments))")
      }
      let rows = min(max(Int((Double(segments) * Double(height) / Double(width)).squareRoot().rounded()), 1), height)
      let columns = min(max(Int((Double(segments) / Double(rows)).rounded()), 1), width)
      var indices: [Int] = []
      indices.reserveCapacity(height * width)
      for y in 0..<height {
        for x in 0..<width { indices.append((y * rows / height) * columns + x * columns / width) }
      }
      return (indices, rows * columns)
    case .mask(let mask):
      let pixels = height * width
      let offset: Int
      if mask.count == pixels {
        offset = 0
      } else if mask.count == count * pixels {
        offset = sample * pixels
      } else {
        throw KerasVisError.invalidArgument(
          "the feature mask has shape \(mask.shape); it must be (\(height), \(width)) or (\(count), \(height), "
            + "\(width))")
      }
      let values = mask.scalars[offset..<(offset + pixels)]
      guard values.allSatisfy({ $0 >= 0 && $0 == $0.rounded() && $0 < 16_777_216 }) else {
        throw KerasVisError.invalidArgument("the feature mask's segment indices must be whole numbers from 0")
      }
      let indices = values.map { Int($0) }
      return (indices, (indices.max() ?? 0) + 1)
    }
  }
}
