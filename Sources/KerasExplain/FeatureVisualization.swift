import Foundation
import KerasGraph
import KerasRuntime

/// How an image in 0...1 becomes the model's input: input channel `c` is `rgb[order[c]] * scale[c] + offset[c]`
/// (a keras.applications `preprocess_input` mode after mapping 0...1 to 0...255 is such a map).
public struct InputMapping: Sendable, Equatable {
  /// The source channel of each input channel (caffe mode reverses RGB to BGR).
  public var order: [Int]
  /// Per input channel: scale and offset.
  public var scale: [Float], offset: [Float]

  /// A map with one scale and offset for every one of `channels` channels.
  public init(channels: Int, scale: Float, offset: Float) {
    order = Array(0..<channels)
    self.scale = Array(repeating: scale, count: channels)
    self.offset = Array(repeating: offset, count: channels)
  }

  /// A map per channel.
  public init(order: [Int], scale: [Float], offset: [Float]) {
    (self.order, self.scale, self.offset) = (order, scale, offset)
  }

  /// 0...1 to 0...255: for models that take pixels as they are.
  public static func pixels(channels: Int) -> InputMapping { InputMapping(channels: channels, scale: 255, offset: 0) }
}

/// Adam (Kingma & Ba, arXiv 1412.6980) as `torch.optim.Adam` computes it: `m = b1 m + (1 - b1) g`,
/// `v = b2 v + (1 - b2) g^2`, `p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`.
public struct AdamOptimizer: Sendable {
  /// Learning rate, betas and epsilon (torch's defaults but lucent's learning rate 0.05).
  public var learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
  private var m: [Float] = [], v: [Float] = [], step = 0

  /// An optimizer with `learningRate`.
  public init(learningRate: Float = 0.05) { self.learningRate = learningRate }

  /// One step on `parameters` with `gradient` (of the loss to minimize).
  public mutating func step(_ parameters: inout [Float], gradient: [Float]) {
    if m.count != parameters.count {
      m = [Float](repeating: 0, count: parameters.count)
      v = m
    }
    step += 1
    let correction1 = 1 - pow(beta1, Float(step))
    let correction2Root = (1 - pow(beta2, Float(step))).squareRoot()
    let stepSize = learningRate / correction1
    for i in parameters.indices {
      m[i] = m[i] * beta1 + (1 - beta1) * gradient[i]
      v[i] = v[i] * beta2 + (1 - beta2) * gradient[i] * gradient[i]
      parameters[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2Root + epsilon)
    }
  }
}

/// The settings of lucid-style feature visualization (defaults are lucent's `render_vis`).
public struct FeatureVisualizationOptions: Sendable {
  /// Optimizer steps (lucent's `thresholds=(512,)`).
  public var iterations = 512
  /// Adam's learning rate.
  public var learningRate: Float = 0.05
  /// Images optimized together (the batch objectives index).
  public var batch = 1
  /// The initial spectrum's standard deviation (`sd`) and the 1/f decay power.
  public var standardDeviation: Float = 0.01
  public var decayPower: Double = 1
  /// Colour decorrelation and lucent's standard transforms (transformation robustness).
  public var decorrelate = true
  public var transforms = true
  /// The map from 0...1 to the model's input (default 0...255).
  public var inputMapping: InputMapping?
  /// The seed of the initial spectrum and the transforms' draws.
  public var seed: UInt64 = 1337
  /// Swap the activation of the objective's layer to linear: maximize the pre-activation (lucid's `_pre_relu`
  /// layers), which a ReLU that is zero everywhere at the start cannot block.
  public var linear = false
  /// Keep the images every this many steps (for an animation).
  public var snapshotInterval: Int?

  public init() {}
}

/// The result of ``Explainer/visualizeFeature(_:options:progress:)``.
public struct FeatureVisualization: Sendable {
  /// The images `(N, H, W, C)` in 0...1.
  public var images: Tensor
  /// The model inputs the images make `(N, H, W, C)`.
  public var inputs: Tensor
  /// The objective after every step.
  public var objectiveValues: [Float]
  /// Images `(N, H, W, C)` in 0...1 every `snapshotInterval` steps.
  public var snapshots: [Tensor]
}

extension Explainer {
  /// Lucid-style feature visualization (Olah, Mordvintsev & Schubert, "Feature Visualization", Distill 2017; as
  /// lucent's `render_vis`): maximizes `objective` over a Fourier-space image with 1/f scaling and decorrelated
  /// colours (``FourierImage``), seen through lucent's random transforms (``ImageTransform/standard``), with Adam.
  /// Gradients flow from the model input through the input map, the transforms, the sigmoid, the decorrelation
  /// and the inverse FFT to the spectrum.
  /// - Parameter progress: called after every step with the step number (1-based).
  public func visualizeFeature(
    _ objective: FeatureObjective, options: FeatureVisualizationOptions = .init(), progress: ((Int) -> Void)? = nil
  ) throws -> FeatureVisualization {
    guard options.iterations > 0, options.batch > 0 else {
      throw KerasVisError.invalidArgument("iterations and batch must be positive")
    }
    guard let shape = graph.inputs.first?.shape, shape.rank == 4,
      let height = shape.dimensions[1], let width = shape.dimensions[2], let channels = shape.dimensions[3]
    else { throw KerasVisError.invalidInput("feature visualization needs a model taking images of a fixed size") }
    let layers = try objective.layers.map { try LayerSearch.normalizedIndex($0, in: graph) }
    let linear = objective.linearLayers.union(options.linear ? Set(layers) : [])
    guard linear.count <= 1 else {
      throw KerasVisError.invalidArgument("one layer at a time can be swapped to linear (class logits, --linear)")
    }
    let mapping = options.inputMapping ?? .pixels(channels: channels)
    guard mapping.order.count == channels, mapping.scale.count == channels, mapping.offset.count == channels,
      mapping.order.allSatisfy({ (0..<channels).contains($0) })
    else { throw KerasVisError.invalidArgument("the input map does not have the model's \(channels) channels") }
    let model = try self.model(keeping: layers, linearLayer: linear.first)
    let count = options.batch
    let parameterization = try FourierImage(
      count: count, channels: channels, height: height, width: width, decayPower: options.decayPower,
      decorrelate: options.decorrelate)
    var generator = SeededGenerator(state: options.seed)
    var spectrum = (0..<parameterization.spectrumCount).map { _ in
      // Box-Muller normal draws, times sd (lucent: torch.randn * sd).
      let u = Double.random(in: Double.ulpOfOne..<1, using: &generator)
      let v = Double.random(in: 0..<1, using: &generator)
      return Float((-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)) * options.standardDeviation
    }
    var adam = AdamOptimizer(learningRate: options.learningRate)
    var values: [Float] = [], snapshots: [Tensor] = []
    let planes = count * channels
    for step in 1...options.iterations {
      let image = parameterization.image(spectrum)
      let chain =
        options.transforms
        ? ImageTransform.standard(
          height: height, width: width, outputHeight: height, outputWidth: width, generator: &generator) : []
      let transformed = chain.reduce(image) { $1.apply($0, planes: planes) }
      let input = try Self.mappedInput(transformed, count: count, height: height, width: width, mapping: mapping)
      var value: Float = 0
      let (_, gradients) = try model.gradients([input], targets: [.input(0)]) { forward in
        var outputs: [Int: Tensor] = [:]
        for layer in layers { outputs[layer] = forward.layers[LayerOutputKey(address: [layer])] }
        var upstream: [Int: [Float]] = [:]
        value = try objective.evaluate(outputs, gradients: &upstream)
        var seeds: [ModelTensor: Tensor] = [:]
        for (layer, g) in upstream {
          guard let out = outputs[layer] else { continue }
          // The loss is -objective.
          seeds[.layer(LayerOutputKey(address: [layer]))] = try Tensor(shape: out.shape, values: g.map { -$0 })
        }
        return seeds
      }
      values.append(value)
      var g = Self.mappedInputAdjoint(
        gradients[0].scalars, count: count, height: height, width: width, mapping: mapping)
      for transform in chain.reversed() { g = transform.adjoint(g, planes: planes) }
      adam.step(&spectrum, gradient: parameterization.imageAdjoint(g, image: image))
      if let interval = options.snapshotInterval, interval > 0, step % interval == 0 || step == 1 {
        snapshots.append(
          try Self.channelsLast(parameterization.image(spectrum), count: count, height: height, width: width))
      }
      progress?(step)
    }
    let final = parameterization.image(spectrum)
    return FeatureVisualization(
      images: try Self.channelsLast(final, count: count, height: height, width: width),
      inputs: try Self.mappedInput(final, count: count, height: height, width: width, mapping: mapping),
      objectiveValues: values, snapshots: snapshots)
  }

  /// `(N, C, H, W)` planes to an `(N, H, W, C)` tensor.
  static func channelsLast(_ planes: [Float], count: Int, height: Int, width: Int) throws -> Tensor {
    let channels = planes.count / max(count * height * width, 1)
    return try Tensor(shape: [count, height, width, channels]) { i in
      let c = i % channels, p = (i / channels) % (height * width), n = i / (channels * height * width)
      return planes[(n * channels + c) * height * width + p]
    }
  }

  /// `(N, C, H, W)` planes in 0...1 to the model's `(N, H, W, C)` input through `mapping`.
  static func mappedInput(_ planes: [Float], count: Int, height: Int, width: Int, mapping: InputMapping) throws
    -> Tensor
  {
    let channels = mapping.order.count
    return try Tensor(shape: [count, height, width, channels]) { i in
      let c = i % channels, p = (i / channels) % (height * width), n = i / (channels * height * width)
      return planes[(n * channels + mapping.order[c]) * height * width + p] * mapping.scale[c] + mapping.offset[c]
    }
  }

  /// The adjoint of ``mappedInput``: an `(N, H, W, C)` gradient to `(N, C, H, W)` planes.
  static func mappedInputAdjoint(_ gradient: [Float], count: Int, height: Int, width: Int, mapping: InputMapping)
    -> [Float]
  {
    let channels = mapping.order.count
    var planes = [Float](repeating: 0, count: gradient.count)
    for i in gradient.indices {
      let c = i % channels, p = (i / channels) % (height * width), n = i / (channels * height * width)
      planes[(n * channels + mapping.order[c]) * height * width + p] += gradient[i] * mapping.scale[c]
    }
    return planes
  }
}
