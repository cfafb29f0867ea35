import KerasGraph

extension PlainKernels {
  /// One output row's (or column's) taps: input positions `lower` and `upper` (-1 outside the image, which reads
  /// the fill value) mixed as `lower + (upper - lower) * lerp`.
  struct ResizeTap: Equatable {
    var lower: Int
    var upper: Int
    var lerp: Float
  }

  /// The taps of `tf.image.resize` (half-pixel centers) along one axis, from `count` window positions starting at
  /// input position `start` (of `limit`) to `outCount` output positions. Bilinear:
  /// `in = (out + 0.5) * scale - 0.5`, `lower = max(floor(in), 0)`, `upper = min(ceil(in), count - 1)`,
  /// `lerp = in - floor(in)`; nearest: `min(floor((out + 0.5) * scale), count - 1)`; `scale = count / outCount` in
  /// float, as TensorFlow computes it.
  static func resizeTaps(
    start: Int, count: Int, limit: Int, outCount: Int, interpolation: ResizeInterpolation
  ) -> [ResizeTap] {
    let scale = Float(count) / Float(outCount)
    func inImage(_ position: Int) -> Int {
      let source = start + position
      return source >= 0 && source < limit ? source : -1
    }
    return (0..<outCount).map { position in
      switch interpolation {
      case .bilinear:
        let source = (Float(position) + 0.5) * scale - 0.5
        let floor = source.rounded(.down)
        return ResizeTap(
          lower: inImage(max(Int(floor), 0)), upper: inImage(min(Int(source.rounded(.up)), count - 1)),
          lerp: source - floor)
      case .nearest:
        let nearest = inImage(max(min(Int(((Float(position) + 0.5) * scale).rounded(.down)), count - 1), 0))
        return ResizeTap(lower: nearest, upper: nearest, lerp: 0)
      }
    }
  }

  /// `tf.image.resize(images[:, window], (out_h, out_w))` of an NHWC input, pixels outside the input reading
  /// `window.fillValue`: `top = tl + (tr - tl) * x_lerp`, `bottom = bl + (br - bl) * x_lerp`,
  /// `y = top + (bottom - top) * y_lerp` (TensorFlow's order of operations). The gradient goes to each tap inside
  /// the input with its weight (`(1 - y_lerp) * (1 - x_lerp)`, ...); a crop routes it to the kept pixels.
  static func resize(
    window: ResizeWindow, interpolation: ResizeInterpolation, label: String, input: Int, outputShape: [Int],
    builder: PlanBuilder
  ) throws -> Int {
    let inputShape = builder.values[input].shape
    let (height, width, channels) = (inputShape[1], inputShape[2], inputShape[3])
    guard window.height > 0, window.width > 0, outputShape.count == 4, outputShape[3] == channels else {
      throw TensorError.invalidShape(
        shape: inputShape, detail: "cannot be resized through \(window) to \(outputShape) in \(label)")
    }
    let ys = resizeTaps(
      start: window.top, count: window.height, limit: height, outCount: outputShape[1], interpolation: interpolation)
    let xs = resizeTaps(
      start: window.left, count: window.width, limit: width, outCount: outputShape[2], interpolation: interpolation)
    let batch = outputShape[0]
    let fill = window.fillValue
    let step = try PlainStep(
      label: label, inputs: [input], outputShape: outputShape, builder: builder,
      forward: { inputs, output in
        let source = inputs[0]
        var i = 0
        for n in 0..<batch {
          for y in ys {
            for x in xs {
              for c in 0..<channels {
                func at(_ row: Int, _ column: Int) -> Float {
                  row < 0 || column < 0 ? fill : source[((n * height + row) * width + column) * channels + c]
                }
                let top = at(y.lower, x.lower) + (at(y.lower, x.upper) - at(y.lower, x.lower)) * x.lerp
                let bottom = at(y.upper, x.lower) + (at(y.upper, x.upper) - at(y.upper, x.lower)) * x.lerp
                output[i] = top + (bottom - top) * y.lerp
                i += 1
              }
            }
          }
        }
      },
      backward: { _, _, dy, dx in
        var i = 0
        for n in 0..<batch {
          for y in ys {
            for x in xs {
              for c in 0..<channels {
                func add(_ row: Int, _ column: Int, _ value: Float) {
                  guard row >= 0, column >= 0 else { return }
                  dx[0][((n * height + row) * width + column) * channels + c] += value
                }
                let g = dy[i]
                add(y.lower, x.lower, g * (1 - y.lerp) * (1 - x.lerp))
                add(y.lower, x.upper, g * (1 - y.lerp) * x.lerp)
                add(y.upper, x.lower, g * y.lerp * (1 - x.lerp))
                add(y.upper, x.upper, g * y.lerp * x.lerp)
                i += 1
              }
            }
          }
        }
      })
    builder.steps.append(step)
    return step.outputs[0]
  }
}
