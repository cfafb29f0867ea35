import Foundation
import KerasRuntime

/// How the pixels of a sample are grouped into the features (superpixels) that LIME and Kernel SHAP switch on and
/// off (Captum's `feature_mask`, one segment index per pixel, shared by all channels).
public enum Segmentation: Sendable {
  /// A grid of about `segments` rectangular cells as square as the sample allows: `rows = round(sqrt(segments *
  /// H / W))`, `columns = round(segments / rows)` (each at least 1 and at most the pixels along its axis); pixel
  /// `(y, x)` is in cell `floor(y * rows / H) * columns + floor(x * columns / W)`.
  case grid(segments: Int)
  /// SLIC superpixels (Achanta et al., "SLIC Superpixels Compared to State-of-the-Art Superpixel Methods", TPAMI
  /// 2012) as `skimage.segmentation.slic(sample, n_segments=segments, compactness=compactness, start_label=0,
  /// channel_axis=-1)` computes them: about `segments` of them, each sample's own (see `slicSegments`).
  case slic(segments: Int, compactness: Double)
  /// Given segment indices 0, 1, ...: `(H, W)` for every sample or `(N, H, W)` one per sample.
  case mask(Tensor)

  /// The segment index of every pixel of sample `sample` (row-major `(H, W)`) and the number of features (the
  /// largest index + 1, as Captum counts them); `values` are the sample's pixels `(H, W, C)` (SLIC segments them).
  /// - Throws: `KerasVisError.invalidArgument` for a mask of another size or with negative or fractional indices,
  ///   or a grid of no segments.
  public func segments(
    height: Int, width: Int, sample: Int, count: Int, values: ArraySlice<Float> = []
  ) throws -> (indices: [Int], features: Int) {
    switch self {
    case .slic(let segments, let compactness):
      guard segments > 0, compactness > 0 else {
        throw KerasVisError.invalidArgument(
          "SLIC needs a positive number of segments and compactness (got \(segments), \(compactness))")
      }
      let channels = values.count / max(height * width, 1)
      guard channels > 0, channels * height * width == values.count else {
        throw KerasVisError.invalidArgument("SLIC needs the sample's \(height)x\(width) pixels")
      }
      let indices = slicSegments(
        Array(values), height: height, width: width, channels: channels, segments: segments,
        compactness: compactness)
      return (indices, (indices.max() ?? 0) + 1)
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
