import KerasGraph
import KerasRuntime

/// ShapleyCAM (Cai et al., arXiv 2501.06261), as pytorch-grad-cam 1.5.7's `ShapleyCAM` computes it: channel weights
/// from the gradient `g = dS/dA` and the Hessian-vector product `H A` of the score with respect to the feature map,
/// `w_c = mean_{ij} (g - H A / 2)_{ijc}`, and the map `relu(sum_c w_c A_c)`, resized and scaled as Grad-CAM's.
///
/// `H A` is what PyTorch's double backward gives (`autograd.grad(grads, activations, grad_outputs=activations)`):
/// `d/dt g((1 + t) A)` at `t = 0`, in which ReLU masks, max-pooling routes and other piecewise-linear choices are
/// constants (their second derivatives are zero), so `H` holds only the curvature of smooth layers above `A` — for
/// a CNN head, the softmax of the score: with `.logit` scores over ReLU layers, ShapleyCAM is Grad-CAM.
///
/// kerasvis's runtime has no double backward; `H A` comes from first-order passes of the model with `A` substituted
/// as an input (`CompiledModel(graph:keeping:gradients:substituting:)`), in one of two ways, by what lies after the
/// layer (in call order, through nested models):
/// - no piecewise-linear kink (ReLU-like activations and layers, max pooling, Maximum/Minimum): central differences of
///   gradients, `H A = (g((1 + h) A) - g((1 - h) A)) / 2h`, `h = step` (1e-2): truncation `O(h^2)`, float32 rounding
///   about `1e-7 / h`; on the fixtures' heads (global average pooling, Dense, softmax) the maps at `h = 1e-2` are
///   within 2e-5 of those from PyTorch's exact product (4e-5 at 1e-3, 2e-4 at 3e-2).
/// - otherwise: a difference of gradients may straddle a kink, where one flipped ReLU moves `g` by O(1) and `H A` by
///   O(1/h), so the head is taken as piecewise linear under the smooth score: `H A = J^T (H_phi (J A))`, with `J` the
///   Jacobian of the tensor the score reads (before the model's own softmax or sigmoid, which joins the score
///   `phi`) with respect to `A` at the current masks. `J A` is exact, `sum(dz_k/dA * A)` from one backward pass per
///   value `z_k` of the read tensor (`request.batchSize` values a pass) when a sample reads at most 1024 values (a
///   classifier), else a central difference of forward passes (continuous, so a straddled kink costs only that
///   unit's share, O(h)); `H_phi (J A)` is exact for class and binary targets (the softmax's or sigmoid's second
///   derivative) and a central difference for custom targets; `J^T` is one more backward pass. Curvature of smooth
///   layers among the kinks (a sigmoid gate after a ReLU) is left out.
///
/// A ViT's token output is weighted on its patch grid (pytorch-grad-cam's `reshape_transform`), `H A` computed on
/// the tokens and reshaped alike.
public struct ShapleyCAM: ClassActivationMapping {
  /// The relative step `h` of the central differences.
  public var step: Float

  public var name: String { "shapleycam" }
  public var usesGradients: Bool { true }

  /// ShapleyCAM with central differences of relative step `step`.
  public init(step: Float = 1e-2) {
    self.step = step
  }

  public func weightedActivations(
    _ pass: TargetedPass, request: ExplanationRequest, explainer: Explainer
  ) throws -> Tensor {
    try explainer.requireChannelsLastInput(name, work: "substitutes the feature map of one channels-last input")
    let (activations, gradients) = try activationsAndGradients(pass)
    let product = try explainer.hessianActivationProduct(pass, request: request, step: step)
    let shape = FeatureMaps(activations)
    let (g, h) = (gradients.scalars, product.scalars)
    var weights = [Float](repeating: 0, count: shape.count * shape.channels)
    for n in 0..<shape.count {
      for p in 0..<shape.positions {
        for c in 0..<shape.channels {
          let i = shape.index(n, p, c)
          weights[n * shape.channels + c] += g[i] - 0.5 * h[i]
        }
      }
    }
    for i in weights.indices { weights[i] /= Float(shape.positions) }
    return try channelWeighted(activations, weights: weights)
  }
}

extension Explainer {
  /// `H A` for the pass's feature map `A` and targets (see `ShapleyCAM`), shaped as `A`. For a ViT's token output
  /// (which the pass holds as its patch grid), the product of the tokens, reshaped the same way (pytorch-grad-cam
  /// passes its `hvp` through the `reshape_transform`).
  /// - Throws: `KerasVisError.invalidArgument` for a pass without a layer.
  func hessianActivationProduct(_ pass: TargetedPass, request: ExplanationRequest, step: Float) throws -> Tensor {
    guard let layer = pass.layer, let activations = pass.activations else {
      throw KerasVisError.invalidArgument("shapleycam needs the feature map")
    }
    guard (graph.layer(atAddress: layer)?.outputShape?.rank ?? activations.rank) != activations.rank else {
      return try hessianProduct(pass, layer: layer, activations: activations, request: request, step: step)
    }
    let key = LayerOutputKey(address: layer)
    let tokens = try model(keeping: [key], linearLayer: nil, gradients: false).run([pass.input]).layer(layer)
    let product = try hessianProduct(pass, layer: layer, activations: tokens, request: request, step: step)
    guard let grid = try tokenGrid(product), grid.shape == activations.shape else {
      throw KerasVisError.unsuitableLayer(
        layer: try layerLocation(layer),
        detail: "shapleycam cannot reshape the tokens \(tokens.shape) to the feature map \(activations.shape)")
    }
    return grid
  }

  /// `H A` for the layer output `activations` at `layer` (see `ShapleyCAM`).
  private func hessianProduct(
    _ pass: TargetedPass, layer: [Int], activations: Tensor, request: ExplanationRequest, step: Float
  ) throws -> Tensor {
    var fixed = request
    fixed.targets = pass.targets
    var scoring = try TargetScoring(fixed, count: activations.shape[0], explainer: self)
    let key = LayerOutputKey(address: layer)
    let substitute = ModelTensor.input(graph.inputs.count)
    let a = activations.scalars
    func scaled(_ factor: Float) throws -> Tensor { try Tensor(shape: activations.shape) { a[$0] * factor } }

    guard try hasKinks(after: layer) else {
      let model = try substitutedModel(layer: key, linearLayer: scoring.reading.linearLayer, source: scoring.source)
      func gradient(_ factor: Float) throws -> [Float] {
        let (_, result) = try model.gradients([pass.input, try scaled(factor)], targets: [substitute]) { forward in
          [scoring.source.tensor: try scoring.seeds(for: forward)]
        }
        return result[0].scalars
      }
      let (plus, minus) = (try gradient(1 + step), try gradient(1 - step))
      return try Tensor(shape: activations.shape) { (plus[$0] - minus[$0]) / (2 * step) }
    }

    // A piecewise-linear head under the score: H A = J^T (H_phi (J A)), the model's own squashing in phi.
    let readAddress: [Int]?
    switch scoring.source {
    case .output(let index): readAddress = outputLayerAddress(index)
    case .layer(let address): readAddress = address
    }
    let function = readAddress.flatMap { graph.activation(ofLayerAt: $0) }
    let squashedByModel =
      scoring.reading.linearLayer == nil && !scoring.reading.appliesSoftmax
      && (function == .softmax || function == .sigmoid)
    let squashes = squashedByModel || scoring.reading.appliesSoftmax
    let model = try substitutedModel(
      layer: key, linearLayer: scoring.reading.linearLayer ?? (squashedByModel ? readAddress : nil),
      source: scoring.source)
    func read(_ factor: Float) throws -> Tensor {
      try scoring.source.value(in: try model.run([pass.input, try scaled(factor)]))
    }
    let center = try read(1)
    let direction: Tensor
    if center.count / max(center.shape[0], 1) <= Self.exactDirectionLimit {
      direction = try directionalDerivative(
        model, input: pass.input, activations: activations, source: scoring.source, readShape: center.shape,
        batchSize: request.batchSize)
    } else {
      let (zPlus, zMinus) = (try read(1 + step).scalars, try read(1 - step).scalars)
      direction = try Tensor(shape: center.shape) { (zPlus[$0] - zMinus[$0]) / (2 * step) }
    }
    var seeds: [Tensor] = []
    for (sample, target) in pass.targets.enumerated() {
      let z = try center.sample(sample).reshaped(Array(center.shape.dropFirst()))
      let v = try direction.sample(sample).reshaped(z.shape)
      let seed = try scoreHessianProduct(target, at: z, along: v, squashes: squashes, location: scoring.location)
      seeds.append(try seed.reshaped([1] + seed.shape))
    }
    let seed = try Tensor.concatenatingBatches(seeds)
    guard seed.scalars.contains(where: { $0 != 0 }) else { return try Tensor(zeros: activations.shape) }
    let (_, result) = try model.gradients([pass.input, activations], targets: [substitute]) { _ in
      [scoring.source.tensor: seed]
    }
    return result[0]
  }

  /// The most values per sample of the tensor the score reads for which `J A` is computed exactly, one backward pass
  /// per value (a classifier's classes); larger outputs take central differences of forward passes.
  static let exactDirectionLimit = 1024

  /// `J A`, the derivative of the tensor the score reads (shaped `readShape`, `(N, ...)`) along `A`, at the current
  /// masks: for every value `z_k` of every sample, `sum(dz_k/dA * A)` from one backward pass of `model` (`A`
  /// substituted), `batchSize` values a pass.
  private func directionalDerivative(
    _ model: CompiledModel, input: Tensor, activations: Tensor, source: ScoreSource, readShape: [Int], batchSize: Int
  ) throws -> Tensor {
    let count = readShape[0]
    let units = readShape.dropFirst().reduce(1, *)
    let rows = (0..<count).flatMap { sample in (0..<units).map { (sample, $0) } }
    let a = activations.scalars
    let x = input.scalars
    let (perA, perX) = (activations.count / count, input.count / count)
    var result = [Float](repeating: 0, count: count * units)
    for start in stride(from: 0, to: rows.count, by: max(batchSize, 1)) {
      let chunk = rows[start..<min(start + max(batchSize, 1), rows.count)]
      let size = chunk.count
      var inputRows = [Float](repeating: 0, count: size * perX)
      var activationRows = [Float](repeating: 0, count: size * perA)
      var seed = [Float](repeating: 0, count: size * units)
      for (slot, (sample, unit)) in chunk.enumerated() {
        for i in 0..<perX { inputRows[slot * perX + i] = x[sample * perX + i] }
        for i in 0..<perA { activationRows[slot * perA + i] = a[sample * perA + i] }
        seed[slot * units + unit] = 1
      }
      let seeds = try Tensor(shape: [size] + readShape.dropFirst(), values: seed)
      let (_, gradients) = try model.gradients(
        [
          try Tensor(shape: [size] + input.shape.dropFirst(), values: inputRows),
          try Tensor(shape: [size] + activations.shape.dropFirst(), values: activationRows),
        ], targets: [.input(graph.inputs.count)]
      ) { _ in [source.tensor: seeds] }
      let g = gradients[0].scalars
      for (slot, (sample, unit)) in chunk.enumerated() {
        var total: Float = 0
        for i in 0..<perA { total += g[slot * perA + i] * activationRows[slot * perA + i] }
        result[sample * units + unit] = total
      }
    }
    return try Tensor(shape: readShape, values: result)
  }

  /// `H_phi v` for one sample's read tensor `z`, with `phi(z) = target(squashed(z))` (or `target(z)`): exact for class
  /// and binary targets (linear in what they read), a central difference of the target's gradient for custom ones.
  private func scoreHessianProduct(
    _ target: ExplanationTarget, at z: Tensor, along v: Tensor, squashes: Bool, location: LayerLocation
  ) throws -> Tensor {
    func gradient(_ point: Tensor) throws -> Tensor {
      let read = squashes ? try squashed(point) : point
      let seed = try target.evaluate(read, layer: location).gradient
      return squashes ? try unsquashedGradient(seed, probabilities: read) : seed
    }
    let (zs, vs) = (z.scalars, v.scalars)
    if case .custom = target.kind {
      let largest = vs.map(abs).max() ?? 0
      guard largest > 0 else { return try Tensor(zeros: z.shape) }
      let delta = 1e-2 / largest
      let plus = try gradient(try Tensor(shape: z.shape) { zs[$0] + delta * vs[$0] }).scalars
      let minus = try gradient(try Tensor(shape: z.shape) { zs[$0] - delta * vs[$0] }).scalars
      return try Tensor(shape: z.shape) { (plus[$0] - minus[$0]) / (2 * delta) }
    }
    guard squashes else { return try Tensor(zeros: z.shape) }
    let p = try squashed(z).scalars
    let t = try target.evaluate(try squashed(z), layer: location).gradient.scalars
    let classes = z.shape.last ?? 1
    var result = [Float](repeating: 0, count: zs.count)
    if classes == 1 {
      // phi' = t p (1 - p); its derivative along v: t (1 - 2p) p (1 - p) v.
      for i in zs.indices { result[i] = t[i] * (1 - 2 * p[i]) * p[i] * (1 - p[i]) * vs[i] }
      return try Tensor(shape: z.shape, values: result)
    }
    // phi' = p (t - p.t); with q = dp = p (v - p.v): q (t - p.t) - p (q.t), per softmax row.
    for start in stride(from: 0, to: zs.count, by: classes) {
      let row = start..<(start + classes)
      var (pv, pt) = (Float(0), Float(0))
      for i in row {
        pv += p[i] * vs[i]
        pt += p[i] * t[i]
      }
      var qt: Float = 0
      for i in row { qt += p[i] * (vs[i] - pv) * t[i] }
      for i in row { result[i] = p[i] * (vs[i] - pv) * (t[i] - pt) - p[i] * qt }
    }
    return try Tensor(shape: z.shape, values: result)
  }

  /// The model with the output of `layer` substituted by an extra input, the activation of `linearLayer` swapped to
  /// linear, keeping what the targets read; compiled once per configuration.
  private func substitutedModel(layer: LayerOutputKey, linearLayer: [Int]?, source: ScoreSource) throws
    -> CompiledModel
  {
    let key = "shapleycam:\(layer.address):\(linearLayer.map { "\($0)" } ?? "-"):\(source)"
    return try cachedModel(key: key) {
      var target = graph
      if let linearLayer { target = try target.replacingActivation(ofLayerAt: linearLayer, with: .linear) }
      return CompiledModel(
        graph: target, keeping: source.keptLayer.map { [$0] } ?? [], gradients: true, inputGradients: true,
        precision: precision, substituting: [layer])
    }
  }

  /// Whether a layer after the one at `address` (in call order, through nested models) is piecewise linear with a
  /// kink: a ReLU-like activation or layer, max pooling, Maximum or Minimum.
  func hasKinks(after address: [Int]) throws -> Bool {
    var calls: [(address: [Int], layer: Layer)] = []
    func visit(_ graph: Graph, prefix: [Int]) throws {
      for call in try graph.callOrder() {
        guard case .layer(let index, let node) = call, node == 0 else { continue }
        let layer = graph.layers[index]
        if let inner = layer.nestedGraph {
          try visit(inner, prefix: prefix + [index])
        } else {
          calls.append((prefix + [index], layer))
        }
      }
    }
    try visit(graph, prefix: [])
    guard let position = calls.firstIndex(where: { $0.address == address }) else { return true }
    let kinked: Set<ActivationFunction> = [
      .relu, .relu6, .leakyReLU, .hardSigmoid, .hardSigmoidKeras2, .hardTanh, .hardSilu, .softShrink, .hardShrink,
      .sparseSigmoid, .sparsemax,
    ]
    return calls[(position + 1)...].contains { _, layer in
      if let function = layer.activation, kinked.contains(function) { return true }
      switch layer.kind {
      case is ReLU, is LeakyReLU, is PReLU: return true
      case let activation as Activation: return kinked.contains(activation.function)
      case let pooling as any PoolingKind: return type(of: pooling).takesMaximum
      case let pooling as any GlobalPoolingKind: return type(of: pooling).takesMaximum
      case let merge as Merge: return merge.operation == .maximum || merge.operation == .minimum
      default: return false
      }
    }
  }
}
