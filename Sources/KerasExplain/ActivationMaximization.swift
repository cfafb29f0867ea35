import Foundation
import KerasGraph
import KerasRuntime

/// keras-vis's `Jitter` input modifier: before every optimizer step, shifts the image by a random offset in
/// `-j...j` pixels along each image axis, as `scipy.ndimage.shift(img, offsets, mode='wrap', order=0)` does
/// (scipy's legacy `wrap` maps coordinates with period `n - 1`, not `n`; kept as keras-vis sees it).
public struct Jitter: Sendable, Equatable {
  /// The largest shift: a fraction of the image size when below 1, pixels otherwise (per axis, or one for both).
  public var amount: [Double]

  /// keras-vis's default is 0.05 (5% of the image size).
  public init(_ amount: Double = 0.05) {
    self.amount = [amount]
  }

  /// One amount per image axis (height, width).
  public init(amounts: [Double]) {
    self.amount = amounts
  }

  /// The largest shift in pixels for each image axis.
  func pixels(imageSize: [Int]) throws -> [Int] {
    guard amount.allSatisfy({ $0 >= 0 }) else { throw KerasVisError.invalidArgument("jitter must not be negative") }
    let amounts = amount.count == 1 ? Array(repeating: amount[0], count: imageSize.count) : amount
    guard amounts.count == imageSize.count else {
      throw KerasVisError.invalidArgument("jitter \(amount) does not match the \(imageSize.count) image axes")
    }
    return zip(amounts, imageSize).map { value, size in Int(value < 1 ? Double(size) * value : value) }
  }

  /// scipy's `wrap` coordinate mapping for an axis of `length`.
  static func wrapped(_ coordinate: Int, length: Int) -> Int {
    guard length > 1 else { return 0 }
    let period = length - 1
    if coordinate < 0 { return coordinate + period * (-coordinate / period + 1) }
    if coordinate > length - 1 { return coordinate - period * (coordinate / period) }
    return coordinate
  }

  /// Shifts every image of an `(N, H, W, C)` batch by `offsets` (rows, columns).
  static func shift(_ batch: Tensor, by offsets: [Int]) throws -> Tensor {
    let (count, height, width, channels) = (batch.shape[0], batch.shape[1], batch.shape[2], batch.shape[3])
    let source = batch.scalars
    var result = try Tensor(zeros: batch.shape)
    result.withUnsafeMutableBufferPointer { output in
      for n in 0..<count {
        for y in 0..<height {
          let sy = wrapped(y - offsets[0], length: height)
          for x in 0..<width {
            let sx = wrapped(x - offsets[1], length: width)
            let to = ((n * height + y) * width + x) * channels
            let from = ((n * height + sy) * width + sx) * channels
            for c in 0..<channels { output[to + c] = source[from + c] }
          }
        }
      }
    }
    return result
  }
}

/// The settings of keras-vis's `visualize_activation` (defaults are keras-vis's).
public struct ActivationMaximizationOptions: Sendable {
  /// Gradient-descent iterations (`max_iter`).
  public var iterations = 200
  /// The input range the result is scaled to, and the random seed image's centre (`input_range`).
  public var inputRange: ClosedRange<Float> = 0...255
  /// `act_max_weight`, `lp_norm_weight`, `tv_weight`.
  public var activationWeight: Float = 1
  public var lpNormWeight: Float = 10
  public var totalVariationWeight: Float = 10
  /// The L-p norm's p (keras-vis's LPNorm default 6) and the total variation's beta (default 2).
  public var lpNormPower: Float = 6
  public var totalVariationBeta: Float = 2
  /// Input modifiers (keras-vis's default is none; its examples use `Jitter`).
  public var jitter: Jitter?
  /// keras-vis's backprop and gradient modifiers (default none).
  public var backpropModifier: BackpropModifier?
  public var gradModifier: GradModifier?
  /// Swap the layer's softmax to linear first (keras-vis's advice for a final Dense layer).
  public var linear = false
  /// The seed of the random start image and the jitter.
  public var seed: UInt64 = 1337

  public init() {}
}

extension Explainer {
  /// keras-vis's `visualize_activation` (activation maximization, Erhan et al. 2009; regularizers after
  /// Mahendran & Vedaldi, arXiv 1512.02017): the input that maximizes the mean activation of `filterIndices` in
  /// `layerIdx`, found by minimizing `-w_am * mean(act) + w_lp * ||x||_p / D + w_tv * TV_beta(x) / D`
  /// (D = H * W * C) with L2-normalized gradients and RMSProp (decay 0.95) steps, keeping the input of the best
  /// loss, then `deprocess_input` into `inputRange`.
  /// - Parameters:
  ///   - seedInput: the start image `(H, W, C)`, or nil for keras-vis's random start (uniform noise scaled to mean
  ///     `mid(inputRange)` and standard deviation 5% of the range), seeded by `options.seed`.
  /// - Returns: `(H, W, C)` in `inputRange`.
  public func visualizeActivation(
    layerIdx: Int, filterIndices: [Int]?, seedInput: Tensor? = nil, options: ActivationMaximizationOptions = .init()
  ) throws -> Tensor {
    let layer = try LayerSearch.normalizedIndex(layerIdx, in: graph)
    guard options.iterations > 0 else { throw KerasVisError.invalidArgument("iterations must be positive") }
    guard let inputShape = graph.inputs.first?.shape, inputShape.rank == 4 else {
      throw KerasVisError.invalidInput("activation maximization needs a model taking images (N, H, W, C)")
    }
    var generator = SeededGenerator(state: options.seed)
    var image: Tensor
    if let seedInput {
      image = try batched(seedInput)
    } else {
      let shape =
        try [1]
        + inputShape.featureDimensions.map { dimension -> Int in
          guard let dimension else {
            throw KerasVisError.invalidInput("the model's input size is not fixed: give a seed input")
          }
          return dimension
        }
      let range = options.inputRange
      image = try randomArray(
        shape: shape, mean: (range.lowerBound + range.upperBound) / 2,
        standardDeviation: 0.05 * (range.upperBound - range.lowerBound), generator: &generator)
    }
    let jitterPixels = try options.jitter?.pixels(imageSize: [image.shape[1], image.shape[2]])
    var cache: [Float]?
    var bestLoss = Float.infinity
    var bestInput = image
    for _ in 0..<options.iterations {
      if let jitterPixels {
        let offsets = jitterPixels.map { Int.random(in: -$0...$0, using: &generator) }
        image = try Jitter.shift(image, by: offsets)
      }
      let (gradient, loss) = try lossAndGradient(image, layer: layer, filterIndices: filterIndices, options: options)
      var g = gradient.scalars
      // K.l2_normalize: x / sqrt(max(sum(x^2), 1e-12)).
      let norm = max(g.reduce(0) { $0 + $1 * $1 }, 1e-12).squareRoot()
      for i in g.indices { g[i] /= norm }
      if let modifier = options.gradModifier {
        g = modifier.apply(try Tensor(shape: gradient.shape, values: g)).scalars
      }
      var state = cache ?? [Float](repeating: 0, count: g.count)
      image.withUnsafeMutableBufferPointer { x in
        for i in g.indices {
          state[i] = 0.95 * state[i] + 0.05 * g[i] * g[i]
          x[i] += -g[i] / (state[i] + GradModifier.epsilon).squareRoot()
        }
      }
      cache = state
      if loss < bestLoss {
        bestLoss = loss
        bestInput = image
      }
    }
    return deprocessInput(try firstSample(bestInput), inputRange: options.inputRange)
  }

  /// The weighted loss and its gradient with respect to the input.
  private func lossAndGradient(
    _ image: Tensor, layer: Int, filterIndices: [Int]?, options: ActivationMaximizationOptions
  ) throws -> (gradient: Tensor, loss: Float) {
    let objective = LayerOutputKey(address: [layer])
    let model = try self.model(keeping: [layer], linearLayer: options.linear ? layer : nil)
    var activation: Float = 0
    let (_, gradients) = try model.gradients(
      [image], targets: [.input(0)], rule: options.backpropModifier?.rule ?? .standard
    ) { forward in
      guard let output = forward.layers[objective] else { return [:] }
      let seed = try self.activationMaximizationSeed(output: output, filterIndices: filterIndices, layerIdx: layer)
      // ActivationMaximization's loss is -sum_f mean(output[..., f]); its gradient is -seed.
      activation = zip(seed.scalars, output.scalars).reduce(0) { $0 + $1.0 * $1.1 }
      var scaled = seed
      scaled.withUnsafeMutableBufferPointer { values in
        for i in values.indices { values[i] *= -options.activationWeight }
      }
      return [.layer(objective): scaled]
    }
    var gradient = gradients[0]
    let x = image.scalars
    let pixels = Float(image.count / image.shape[0])
    // L-p norm: (sum |x|^p)^(1/p) / D.
    let p = options.lpNormPower
    let sum = x.reduce(Float(0)) { $0 + pow(abs($1), p) }
    let lpNorm = pow(sum, 1 / p) / pixels
    // Total variation: sum over (h < H-1, w < W-1) of ((x[h+1,w] - x[h,w])^2 + (x[h,w+1] - x[h,w])^2)^(beta/2) / D.
    let (count, height, width, channels) = (image.shape[0], image.shape[1], image.shape[2], image.shape[3])
    let beta = options.totalVariationBeta
    var variation: Float = 0
    var tvGradient = [Float](repeating: 0, count: x.count)
    for n in 0..<count {
      for h in 0..<(height - 1) {
        for w in 0..<(width - 1) {
          for c in 0..<channels {
            let here = ((n * height + h) * width + w) * channels + c
            let below = here + width * channels
            let right = here + channels
            let down = x[below] - x[here]
            let across = x[right] - x[here]
            let t = down * down + across * across
            variation += pow(t, beta / 2)
            let dt = beta / 2 * (beta == 2 ? 1 : pow(t, beta / 2 - 1))
            tvGradient[below] += 2 * down * dt
            tvGradient[right] += 2 * across * dt
            tvGradient[here] -= 2 * (down + across) * dt
          }
        }
      }
    }
    variation /= pixels
    let lpScale = sum > 0 ? options.lpNormWeight / pixels * pow(sum, 1 / p - 1) : 0
    gradient.withUnsafeMutableBufferPointer { g in
      for i in g.indices {
        let magnitude = abs(x[i])
        let sign: Float = x[i] > 0 ? 1 : (x[i] < 0 ? -1 : 0)
        g[i] += lpScale * pow(magnitude, p - 1) * sign + options.totalVariationWeight / pixels * tvGradient[i]
      }
    }
    let loss =
      -options.activationWeight * activation + options.lpNormWeight * lpNorm
      + options.totalVariationWeight * variation
    return (gradient, loss)
  }

  /// keras-vis's `utils.random_array`: uniform noise rescaled to exactly `mean` and `standardDeviation`.
  private func randomArray(
    shape: [Int], mean: Float, standardDeviation: Float, generator: inout SeededGenerator
  ) throws -> Tensor {
    let count = shape.reduce(1, *)
    var values = (0..<count).map { _ in Double.random(in: 0..<1, using: &generator) }
    let average = values.reduce(0, +) / Double(count)
    let deviation = (values.reduce(0) { $0 + ($1 - average) * ($1 - average) } / Double(count)).squareRoot()
    values = values.map {
      ($0 - average) / (deviation + Double(GradModifier.epsilon)) * Double(standardDeviation) + Double(mean)
    }
    return try Tensor(shape: shape, values: values.map(Float.init))
  }
}
