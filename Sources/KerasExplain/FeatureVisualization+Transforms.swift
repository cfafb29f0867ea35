import Foundation
import KerasRuntime

/// One of lucent's image transforms (`optvis.transform`) with its random draw fixed, as a linear map of each
/// `(H, W)` plane (plus a constant for padding): bilinear taps per output pixel, so its adjoint is exact.
public struct ImageTransform: Sendable {
  /// The plane size the transform takes and gives.
  public let inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int
  /// Four (source index, weight) taps per output pixel (index -1 for none) and a constant per output pixel.
  let indices: [Int32]
  let weights: [Float]
  let constants: [Float]

  private init(
    inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int,
    sample: (_ y: Int, _ x: Int) -> (sy: Double, sx: Double)?, constant: Float = 0
  ) {
    (self.inputHeight, self.inputWidth, self.outputHeight, self.outputWidth) =
      (inputHeight, inputWidth, outputHeight, outputWidth)
    var indices = [Int32](repeating: -1, count: outputHeight * outputWidth * 4)
    var weights = [Float](repeating: 0, count: indices.count)
    var constants = [Float](repeating: 0, count: outputHeight * outputWidth)
    for y in 0..<outputHeight {
      for x in 0..<outputWidth {
        let pixel = y * outputWidth + x
        guard let (sy, sx) = sample(y, x) else {
          constants[pixel] = constant
          continue
        }
        // Bilinear with zeros outside (grid_sample's padding_mode "zeros"; Upsample never samples outside).
        let (y0, x0) = (Int(sy.rounded(.down)), Int(sx.rounded(.down)))
        let (fy, fx) = (sy - Double(y0), sx - Double(x0))
        let corners = [
          (y0, x0, (1 - fy) * (1 - fx)), (y0, x0 + 1, (1 - fy) * fx), (y0 + 1, x0, fy * (1 - fx)),
          (y0 + 1, x0 + 1, fy * fx),
        ]
        for (t, (cy, cx, w)) in corners.enumerated()
        where cy >= 0 && cy < inputHeight && cx >= 0 && cx < inputWidth && w != 0 {
          indices[pixel * 4 + t] = Int32(cy * inputWidth + cx)
          weights[pixel * 4 + t] = Float(w)
        }
      }
    }
    (self.indices, self.weights, self.constants) = (indices, weights, constants)
  }

  /// lucent's `pad(w, mode="constant", constant_value=value)`: `w` pixels of `value` on every side.
  public static func pad(_ amount: Int, value: Float, height: Int, width: Int) -> ImageTransform {
    ImageTransform(
      inputHeight: height, inputWidth: width, outputHeight: height + 2 * amount, outputWidth: width + 2 * amount,
      sample: { y, x in
        let (sy, sx) = (y - amount, x - amount)
        return sy >= 0 && sy < height && sx >= 0 && sx < width ? (Double(sy), Double(sx)) : nil
      }, constant: value)
  }

  /// kornia 0.4's `warp_affine(src, M, dsize: (H, W))` as lucent calls it: `M` (2x3, source pixel to destination
  /// pixel) normalized with corner-aligned coordinates, then `affine_grid`/`grid_sample` with `align_corners=False`,
  /// bilinear, zeros outside. Output pixel `(x, y)` samples source pixel
  /// `M⁻¹((x + ½)(W - 1)/W, (y + ½)(H - 1)/H) · (W/(W - 1), H/(H - 1)) - ½`.
  public static func korniaWarp(_ m: [[Double]], height: Int, width: Int) -> ImageTransform {
    let det = m[0][0] * m[1][1] - m[0][1] * m[1][0]
    let inverse = [[m[1][1] / det, -m[0][1] / det], [-m[1][0] / det, m[0][0] / det]]
    let (sw, sh) = (Double(width - 1) / Double(width), Double(height - 1) / Double(height))
    return ImageTransform(
      inputHeight: height, inputWidth: width, outputHeight: height, outputWidth: width,
      sample: { y, x in
        let (px, py) = ((Double(x) + 0.5) * sw - m[0][2], (Double(y) + 0.5) * sh - m[1][2])
        let qx = inverse[0][0] * px + inverse[0][1] * py
        let qy = inverse[1][0] * px + inverse[1][1] * py
        return (qy / sh - 0.5, qx / sw - 0.5)
      })
  }

  /// lucent's `jitter`: kornia's `translate` by `(dx, dy)` pixels.
  public static func translate(dx: Int, dy: Int, height: Int, width: Int) -> ImageTransform {
    korniaWarp([[1, 0, Double(dx)], [0, 1, Double(dy)]], height: height, width: width)
  }

  /// lucent's `random_rotate` at `degrees`: kornia's `get_rotation_matrix2d` about `((W - 1)/2, (H - 1)/2)`
  /// (`[[a, b, (1 - a)cx - b cy], [-b, a, b cx + (1 - a)cy]]`, `a = cos`, `b = sin`), then ``korniaWarp(_:height:width:)``.
  public static func rotate(degrees: Double, height: Int, width: Int) -> ImageTransform {
    let angle = degrees * Double.pi / 180
    let (a, b) = (cos(angle), sin(angle))
    let (cx, cy) = (Double(width - 1) / 2, Double(height - 1) / 2)
    return korniaWarp(
      [[a, b, (1 - a) * cx - b * cy], [-b, a, b * cx + (1 - a) * cy]], height: height, width: width)
  }

  /// torch's `Upsample(size: (H', W'), mode: bilinear, align_corners: true)`: output `i` samples `i (H - 1)/(H' - 1)`.
  public static func resize(height: Int, width: Int, toHeight: Int, toWidth: Int) -> ImageTransform {
    let ry = toHeight > 1 ? Double(height - 1) / Double(toHeight - 1) : 0
    let rx = toWidth > 1 ? Double(width - 1) / Double(toWidth - 1) : 0
    return ImageTransform(
      inputHeight: height, inputWidth: width, outputHeight: toHeight, outputWidth: toWidth,
      sample: { y, x in (Double(y) * ry, Double(x) * rx) })
  }

  /// lucent's `random_scale` at `scale`: resize to `ceil(scale · H) x ceil(scale · W)` (``resize``), then
  /// `F.pad(_, [pad_y, pad_x] * 2)` with zeros: left `pad_y`, right `pad_x`, top `pad_y`, bottom `pad_x`, where
  /// `pad = max(0, ceil((size - scaled) / 2))`.
  public static func scale(_ scale: Double, height: Int, width: Int) -> ImageTransform {
    let (sh, sw) = (Int((scale * Double(height)).rounded(.up)), Int((scale * Double(width)).rounded(.up)))
    let padX = max(0, Int((Double(width - sw) / 2).rounded(.up)))
    let padY = max(0, Int((Double(height - sh) / 2).rounded(.up)))
    let ry = sh > 1 ? Double(height - 1) / Double(sh - 1) : 0
    let rx = sw > 1 ? Double(width - 1) / Double(sw - 1) : 0
    return ImageTransform(
      inputHeight: height, inputWidth: width, outputHeight: sh + padY + padX, outputWidth: sw + padY + padX,
      sample: { y, x in
        let (uy, ux) = (y - padY, x - padY)
        return uy >= 0 && uy < sh && ux >= 0 && ux < sw ? (Double(uy) * ry, Double(ux) * rx) : nil
      })
  }

  /// The transform applied to `planes` planes stored one after another.
  public func apply(_ values: [Float], planes: Int) -> [Float] {
    let (inSize, outSize) = (inputHeight * inputWidth, outputHeight * outputWidth)
    var result = [Float](repeating: 0, count: planes * outSize)
    for plane in 0..<planes {
      for pixel in 0..<outSize {
        var sum = constants[pixel]
        for t in 0..<4 where indices[pixel * 4 + t] >= 0 {
          sum += weights[pixel * 4 + t] * values[plane * inSize + Int(indices[pixel * 4 + t])]
        }
        result[plane * outSize + pixel] = sum
      }
    }
    return result
  }

  /// The adjoint of ``apply(_:planes:)``'s linear part: the gradient with respect to the input planes.
  public func adjoint(_ gradient: [Float], planes: Int) -> [Float] {
    let (inSize, outSize) = (inputHeight * inputWidth, outputHeight * outputWidth)
    var result = [Float](repeating: 0, count: planes * inSize)
    for plane in 0..<planes {
      for pixel in 0..<outSize {
        let g = gradient[plane * outSize + pixel]
        for t in 0..<4 where indices[pixel * 4 + t] >= 0 {
          result[plane * inSize + Int(indices[pixel * 4 + t])] += weights[pixel * 4 + t] * g
        }
      }
    }
    return result
  }

  /// lucent's `transform.standard_transforms` at one random draw, then a resize to the model's input size (lucent's
  /// `render_vis` upsamples to 224 with `align_corners=True`; a Keras model takes its own fixed size): pad(12,
  /// constant 0.5), jitter(8), random_scale(1 + (i - 5)/50, i < 11), random_rotate(-10...10 and five more 0),
  /// jitter(4). Draws as `np.random.choice` makes them, from `generator`.
  public static func standard(
    height: Int, width: Int, outputHeight: Int, outputWidth: Int, generator: inout SeededGenerator
  ) -> [ImageTransform] {
    var chain: [ImageTransform] = [pad(12, value: 0.5, height: height, width: width)]
    func next() -> (Int, Int) { (chain.last?.outputHeight ?? height, chain.last?.outputWidth ?? width) }
    var (h, w) = next()
    let (dx, dy) = (Int.random(in: 0..<8, using: &generator), Int.random(in: 0..<8, using: &generator))
    chain.append(translate(dx: dx, dy: dy, height: h, width: w))
    let scales = (0..<11).map { 1 + Double($0 - 5) / 50 }
    chain.append(scale(scales[Int.random(in: 0..<scales.count, using: &generator)], height: h, width: w))
    (h, w) = next()
    let angles = Array(-10...10) + Array(repeating: 0, count: 5)
    chain.append(
      rotate(degrees: Double(angles[Int.random(in: 0..<angles.count, using: &generator)]), height: h, width: w))
    let (dx2, dy2) = (Int.random(in: 0..<4, using: &generator), Int.random(in: 0..<4, using: &generator))
    chain.append(translate(dx: dx2, dy: dy2, height: h, width: w))
    chain.append(resize(height: h, width: w, toHeight: outputHeight, toWidth: outputWidth))
    return chain
  }
}
