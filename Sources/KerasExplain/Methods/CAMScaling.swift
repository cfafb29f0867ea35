import Foundation
import KerasRuntime

/// OpenCV's `cv2.resize(src, (toWidth, toHeight), interpolation=cv2.INTER_LINEAR)` of a float32 image, what
/// pytorch-grad-cam resizes maps with: output pixel `d` samples the input at `(d + 0.5) * in / out - 0.5` (pixel
/// centres aligned), clamped to the edge pixels, rows first, then columns.
/// - Shapes: `values` is `height * width`, row-major; the result is `toHeight * toWidth`.
public func openCVLinearResize(_ values: [Float], height: Int, width: Int, toHeight: Int, toWidth: Int) -> [Float] {
  func taps(input: Int, output: Int) -> [(index: Int, fraction: Float)] {
    let scale = 1 / (Double(output) / Double(input))
    return (0..<output).map { d in
      let position = Float((Double(d) + 0.5) * scale - 0.5)
      var index = Int(position.rounded(.down))
      var fraction = position - Float(index)
      if index < 0 {
        index = 0
        fraction = 0
      }
      if index >= input - 1 {
        index = input - 1
        fraction = 0
      }
      return (index, fraction)
    }
  }
  let columns = taps(input: width, output: toWidth)
  let rows = taps(input: height, output: toHeight)
  // Horizontal pass over every input row, then the vertical blend.
  var horizontal = [Float](repeating: 0, count: height * toWidth)
  for y in 0..<height {
    for (x, tap) in columns.enumerated() {
      let left = values[y * width + tap.index]
      let right = tap.index + 1 < width ? values[y * width + tap.index + 1] : left
      horizontal[y * toWidth + x] = left * (1 - tap.fraction) + right * tap.fraction
    }
  }
  var result = [Float](repeating: 0, count: toHeight * toWidth)
  for (y, tap) in rows.enumerated() {
    let below = min(tap.index + 1, height - 1)
    for x in 0..<toWidth {
      result[y * toWidth + x] =
        horizontal[tap.index * toWidth + x] * (1 - tap.fraction) + horizontal[below * toWidth + x] * tap.fraction
    }
  }
  return result
}

/// PyTorch's `UpsamplingBilinear2d(size=(toHeight, toWidth))` (bilinear, `align_corners=True`): output pixel `d`
/// samples the input at `d * (in - 1) / (out - 1)`, corner pixels aligned (Float32 arithmetic, as PyTorch's CPU
/// kernel).
public func alignedCornersLinearResize(
  _ values: [Float], height: Int, width: Int, toHeight: Int, toWidth: Int
) -> [Float] {
  func taps(input: Int, output: Int) -> [(index: Int, next: Int, fraction: Float)] {
    let scale: Float = output > 1 ? Float(input - 1) / Float(output - 1) : 0
    return (0..<output).map { d in
      let position = scale * Float(d)
      let index = min(Int(position), input - 1)
      let fraction = min(max(position - Float(index), 0), 1)
      return (index, index < input - 1 ? index + 1 : index, fraction)
    }
  }
  let columns = taps(input: width, output: toWidth)
  let rows = taps(input: height, output: toHeight)
  var result = [Float](repeating: 0, count: toHeight * toWidth)
  for (y, row) in rows.enumerated() {
    for (x, column) in columns.enumerated() {
      let top =
        values[row.index * width + column.index] * (1 - column.fraction)
        + values[row.index * width + column.next] * column.fraction
      let bottom =
        values[row.next * width + column.index] * (1 - column.fraction)
        + values[row.next * width + column.next] * column.fraction
      result[y * toWidth + x] = (1 - row.fraction) * top + row.fraction * bottom
    }
  }
  return result
}

/// pytorch-grad-cam's `scale_cam_image` of one map without resizing: `x - min(x)`, then `/ (1e-7 + max)`.
func shiftedToUnitRange(_ values: [Float]) -> [Float] {
  let low = values.min() ?? 0
  let shifted = values.map { $0 - low }
  let high = shifted.max() ?? 0
  return shifted.map { $0 / (1e-7 + high) }
}

/// tf-keras-vis's `normalize` of one map: `(x - min) / (max - min + 1e-7)`.
func minMaxNormalized(_ values: [Float]) -> [Float] {
  let low = values.min() ?? 0
  let high = values.max() ?? 0
  return values.map { ($0 - low) / (high - low + GradModifier.epsilon) }
}

extension Convention {
  /// Resizes one ReLU'd map over the spatial axes `shape` (a length; height and width; depth, height and width)
  /// to `target` and scales it to 0...1 the way the convention's library does: `finalScaling(resizedMap(...))`.
  /// A 1-D map is the 2-D map of one row (tf-keras-vis's 1-D zoom; pytorch-grad-cam has no 1-D maps, this is its
  /// `cv2.resize` of that row). A 3-D map is zoomed as both libraries do: tf-keras-vis `zoom(cam, factors,
  /// order=1)`, then `normalize`; pytorch-grad-cam's `scale_cam_image`: `scipy.ndimage.zoom(x, factors)` (cubic)
  /// of the map scaled to 0...1, then ReLU and 0...1 again.
  /// - Throws: `KerasVisError.invalidArgument` when the ranks differ or the zoom cannot produce the size.
  func scaledMap(_ map: [Float], shape: [Int], to target: [Int]) throws -> [Float] {
    finalScaling(try resizedMap(map, shape: shape, to: target))
  }

  /// The last step of a map's scaling, after `resizedMap`: pytorch-grad-cam's ReLU and `scale_cam_image` (in
  /// `aggregate_multi_layers`), tf-keras-vis's `normalize`.
  func finalScaling(_ resized: [Float]) -> [Float] {
    self == .pytorchGradCAM ? shiftedToUnitRange(resized.map { max($0, 0) }) : minMaxNormalized(resized)
  }

  /// One ReLU'd map resized to `target` before the final scaling: pytorch-grad-cam's `scale_cam_image(cam,
  /// target_size)` of one target layer (0...1, then resized), tf-keras-vis's zoom.
  /// - Throws: `KerasVisError.invalidArgument` when the ranks differ or the zoom cannot produce the size.
  func resizedMap(_ map: [Float], shape: [Int], to target: [Int]) throws -> [Float] {
    guard shape.count == target.count else {
      throw KerasVisError.invalidArgument("cannot resize a map over \(shape) to \(target)")
    }
    switch shape.count {
    case 1: return try resizedMap(map, height: 1, width: shape[0], toHeight: 1, toWidth: target[0])
    case 2: return try resizedMap(map, height: shape[0], width: shape[1], toHeight: target[0], toWidth: target[1])
    case 3:
      let factors = (
        Double(target[0]) / Double(shape[0]), Double(target[1]) / Double(shape[1]), Double(target[2]) / Double(shape[2])
      )
      let source = self == .pytorchGradCAM ? shiftedToUnitRange(map) : map
      let zoomed: [Float]
      do {
        zoomed = try splineZoom(
          volume: source, depth: shape[0], height: shape[1], width: shape[2], factors: factors,
          order: self == .pytorchGradCAM ? 3 : 1
        ).values
      } catch {
        throw KerasVisError.invalidArgument("cannot resize the \(shape) map to \(target): \(error)")
      }
      guard zoomed.count == target.reduce(1, *) else {
        throw KerasVisError.invalidArgument(
          "scipy's zoom turns the \(shape) map into \(zoomed.count) values, not \(target)")
      }
      return zoomed
    default:
      throw KerasVisError.invalidArgument("maps over \(shape.count) spatial axes cannot be resized")
    }
  }

  /// Resizes one ReLU'd map `(height, width)` to the input size and scales it to 0...1 the way the convention's
  /// library does (see `Convention`).
  /// - Throws: `KerasVisError.invalidArgument` when scipy's zoom cannot produce the size.
  func scaledMap(_ map: [Float], height: Int, width: Int, toHeight: Int, toWidth: Int) throws -> [Float] {
    finalScaling(try resizedMap(map, height: height, width: width, toHeight: toHeight, toWidth: toWidth))
  }

  /// One ReLU'd map `(height, width)` resized to the input size before the final scaling (see `resizedMap`).
  func resizedMap(_ map: [Float], height: Int, width: Int, toHeight: Int, toWidth: Int) throws -> [Float] {
    switch self {
    case .pytorchGradCAM:
      return openCVLinearResize(
        shiftedToUnitRange(map), height: height, width: width, toHeight: toHeight, toWidth: toWidth)
    case .tfKerasVis:
      let zoomed: [Float]
      do {
        zoomed = try splineZoom(
          map, height: height, width: width,
          factors: (Double(toHeight) / Double(height), Double(toWidth) / Double(width)), order: 1
        ).values
      } catch {
        throw KerasVisError.invalidArgument(
          "cannot resize the \(height)x\(width) map to \(toHeight)x\(toWidth): \(error)")
      }
      guard zoomed.count == toHeight * toWidth else {
        throw KerasVisError.invalidArgument(
          "scipy's zoom turns the \(height)x\(width) map into \(zoomed.count) values, not \(toHeight)x\(toWidth)")
      }
      return zoomed
    }
  }
}
