import KerasGraph

extension PlainKernels {
  /// Per-element indices for a normalization: the statistics group of each element (`statistics`, `count` groups)
  /// and the parameter (gamma/beta) it uses (`parameter`, `parameterCount` values).
  struct NormalizationGroups {
    var statistics: [Int]
    var count: Int
    var parameter: [Int]
    var parameterCount: Int
  }

  /// Groups for statistics over `axes` (each combination of the other axes is a group; the parameters have the
  /// shape of `axes`): LayerNormalization, UnitNormalization.
  static func groups(shape: [Int], axes: [Int]) -> NormalizationGroups {
    let normalized = Set(axes)
    let keptShape = shape.enumerated().map { normalized.contains($0.offset) ? 1 : $0.element }
    let parameterShape = shape.enumerated().map { normalized.contains($0.offset) ? $0.element : 1 }
    return NormalizationGroups(
      statistics: broadcastIndex(from: keptShape, to: shape), count: keptShape.reduce(1, *),
      parameter: broadcastIndex(from: parameterShape, to: shape), parameterCount: parameterShape.reduce(1, *))
  }

  /// Groups of GroupNormalization: per sample, `groupCount` groups of consecutive channels along `axis`; the
  /// parameters are per channel.
  static func channelGroups(shape: [Int], axis: Int, groupCount: Int) -> NormalizationGroups {
    let channels = shape[axis]
    let perGroup = channels / groupCount
    let inner = shape[(axis + 1)...].reduce(1, *)
    let outer = shape[1..<axis].reduce(1, *)
    let total = shape.reduce(1, *)
    var statistics = [Int](repeating: 0, count: total)
    var parameter = [Int](repeating: 0, count: total)
    var i = 0
    for n in 0..<shape[0] {
      for _ in 0..<outer {
        for c in 0..<channels {
          for _ in 0..<inner {
            statistics[i] = n * groupCount + c / perGroup
            parameter[i] = c
            i += 1
          }
        }
      }
    }
    return NormalizationGroups(
      statistics: statistics, count: shape[0] * groupCount, parameter: parameter, parameterCount: channels)
  }

  /// `y = (x - mean) * rsqrt(var + eps) * gamma + beta` per statistics group, as Keras computes it
  /// (`inv = rsqrt(var + eps) * gamma`, `y = x * inv + (beta - mean * inv)`); with `rms`,
  /// `y = x * rsqrt(var + eps) * gamma` (LayerNormalization's `rms_scaling`, which uses the variance).
  static func normalization(
    _ groups: NormalizationGroups, gamma: [Float], beta: [Float], epsilon: Float, rms: Bool, call: FlatCall,
    input: Int, builder: PlanBuilder
  ) throws -> Int {
    let shape = builder.values[input].shape
    guard gamma.count == groups.parameterCount, beta.count == groups.parameterCount else {
      throw TensorError.unsupportedLayer(layer: call.location, detail: "gamma/beta do not match the normalized axes")
    }
    let count = shape.reduce(1, *)
    let groupCount = groups.count
    let group = groups.statistics
    let parameter = groups.parameter
    let size = Float(count / max(groupCount, 1))
    func statistics(_ x: UnsafePointer<Float>) -> (mean: [Float], inverse: [Float]) {
      var mean = [Float](repeating: 0, count: groupCount)
      for i in 0..<count { mean[group[i]] += x[i] }
      for g in 0..<groupCount { mean[g] /= size }
      var variance = [Float](repeating: 0, count: groupCount)
      for i in 0..<count {
        let d = x[i] - mean[group[i]]
        variance[group[i]] += d * d
      }
      return (mean, variance.map { 1 / ($0 / size + epsilon).squareRoot() })
    }
    let step = try PlainStep(
      label: call.location.description, inputs: [input], outputShape: shape, builder: builder,
      forward: { inputs, output in
        let x = inputs[0]
        let (mean, inverse) = statistics(x)
        for i in 0..<count {
          let g = group[i]
          let p = parameter[i]
          if rms {
            output[i] = x[i] * inverse[g] * gamma[p]
          } else {
            let scale = inverse[g] * gamma[p]
            output[i] = x[i] * scale + (beta[p] - mean[g] * scale)
          }
        }
      },
      backward: { inputs, _, dy, dx in
        let x = inputs[0]
        let (mean, inverse) = statistics(x)
        // g = dy * gamma; standard: dx = inv (g - mean(g) - xhat mean(g xhat)); rms (variance-based):
        // dx = g inv - inv^3 (x - mean) sum(g x) / n.
        var sumG = [Float](repeating: 0, count: groupCount)
        var sumGX = [Float](repeating: 0, count: groupCount)
        for i in 0..<count {
          let g = dy[i] * gamma[parameter[i]]
          let k = group[i]
          sumG[k] += g
          sumGX[k] += rms ? g * x[i] : g * (x[i] - mean[k]) * inverse[k]
        }
        for i in 0..<count {
          let k = group[i]
          let g = dy[i] * gamma[parameter[i]]
          if rms {
            let s = inverse[k]
            dx[0][i] = g * s - s * s * s * (x[i] - mean[k]) * sumGX[k] / size
          } else {
            let xhat = (x[i] - mean[k]) * inverse[k]
            dx[0][i] = inverse[k] * (g - sumG[k] / size - xhat * sumGX[k] / size)
          }
        }
      })
    builder.steps.append(step)
    return step.outputs[0]
  }

  /// LayerNormalization over its axes (see `normalization`).
  static func layerNormalization(_ config: LayerNormalization, call: FlatCall, input: Int, builder: PlanBuilder)
    throws -> Int
  {
    let shape = builder.values[input].shape
    let axes = try normalizedAxes(call) { try config.normalizedAxes(rank: shape.count) }
    let groups = groups(shape: shape, axes: axes)
    let gamma =
      config.scale || config.rmsScaling
      ? try builder.weight("gamma", of: call) : [Float](repeating: 1, count: groups.parameterCount)
    let beta =
      config.center && !config.rmsScaling
      ? try builder.weight("beta", of: call) : [Float](repeating: 0, count: groups.parameterCount)
    if !config.rmsScaling, axes.sorted() == Array((shape.count - axes.count)..<shape.count),
      gamma.count == groups.parameterCount, beta.count == groups.parameterCount
    {
      // Over the trailing axes (every Transformer's): oneDNN's layer normalization over the rows.
      let step = try LayerNormalizationStep(
        label: call.location.description, input: input, gamma: gamma, beta: beta, epsilon: config.epsilon,
        builder: builder)
      builder.steps.append(step)
      return step.outputs[0]
    }
    return try normalization(
      groups, gamma: gamma, beta: beta, epsilon: config.epsilon, rms: config.rmsScaling, call: call, input: input,
      builder: builder)
  }

  /// GroupNormalization (arXiv 1803.08494): statistics per sample and group of channels (see `normalization`).
  static func groupNormalization(_ config: GroupNormalization, call: FlatCall, input: Int, builder: PlanBuilder)
    throws -> Int
  {
    let shape = builder.values[input].shape
    let axis = try normalizedAxes(call) { [try config.normalizedAxis(rank: shape.count)] }[0]
    let channels = shape[axis]
    let groups = channelGroups(shape: shape, axis: axis, groupCount: config.groupCount(channels: channels))
    let gamma = config.scale ? try builder.weight("gamma", of: call) : [Float](repeating: 1, count: channels)
    let beta = config.center ? try builder.weight("beta", of: call) : [Float](repeating: 0, count: channels)
    return try normalization(
      groups, gamma: gamma, beta: beta, epsilon: config.epsilon, rms: false, call: call, input: input,
      builder: builder)
  }

  /// UnitNormalization: `y = x / sqrt(max(sum(x^2), m))` over the axes, with gradient
  /// `dx = r g - r^3 x sum(g x)` where the clamp is inactive (r the inverse norm) and `r g` where it is.
  static func unitNormalization(_ config: UnitNormalization, call: FlatCall, input: Int, builder: PlanBuilder)
    throws -> Int
  {
    let shape = builder.values[input].shape
    let axes = try normalizedAxes(call) { try config.normalizedAxes(rank: shape.count) }
    let groups = groups(shape: shape, axes: axes)
    let count = shape.reduce(1, *)
    let group = groups.statistics
    let groupCount = groups.count
    let minimum = config.minimumSquaredNorm
    func inverseNorms(_ x: UnsafePointer<Float>) -> (inverse: [Float], clamped: [Bool]) {
      var sums = [Float](repeating: 0, count: groupCount)
      for i in 0..<count { sums[group[i]] += x[i] * x[i] }
      return (sums.map { 1 / max($0, minimum).squareRoot() }, sums.map { $0 <= minimum })
    }
    let step = try PlainStep(
      label: call.location.description, inputs: [input], outputShape: shape, builder: builder,
      forward: { inputs, output in
        let x = inputs[0]
        let (inverse, _) = inverseNorms(x)
        for i in 0..<count { output[i] = x[i] * inverse[group[i]] }
      },
      backward: { inputs, _, dy, dx in
        let x = inputs[0]
        let (inverse, clamped) = inverseNorms(x)
        var sumGX = [Float](repeating: 0, count: groupCount)
        for i in 0..<count { sumGX[group[i]] += dy[i] * x[i] }
        for i in 0..<count {
          let k = group[i]
          let r = inverse[k]
          dx[0][i] = clamped[k] ? dy[i] * r : dy[i] * r - r * r * r * x[i] * sumGX[k]
        }
      })
    builder.steps.append(step)
    return step.outputs[0]
  }

  /// BatchNormalization over an axis other than the last: `x * scale[a] + shift[a]`.
  static func batchNormalizationOnAxis(
    _ norm: BatchNormalization, axis: Int, call: FlatCall, input: Int, builder: PlanBuilder
  ) throws -> Int {
    let shape = builder.values[input].shape
    let channels = shape[axis]
    let (scale, shift) = try builder.batchNormalizationAffine(call.layer, norm, channels: channels)
    var parameterShape = [Int](repeating: 1, count: shape.count)
    parameterShape[axis] = channels
    let index = broadcastIndex(from: parameterShape, to: shape)
    let count = shape.reduce(1, *)
    let step = try PlainStep(
      label: call.location.description, inputs: [input], outputShape: shape, builder: builder,
      forward: { inputs, output in
        let x = inputs[0]
        for i in 0..<count { output[i] = x[i] * scale[index[i]] + shift[index[i]] }
      },
      backward: { _, _, dy, dx in
        for i in 0..<count { dx[0][i] = dy[i] * scale[index[i]] }
      })
    builder.steps.append(step)
    return step.outputs[0]
  }

  /// Axes from a layer's config, a shape problem reported against the layer.
  private static func normalizedAxes(_ call: FlatCall, _ body: () throws -> [Int]) throws -> [Int] {
    do { return try body() } catch {
      throw TensorError.unsupportedLayer(layer: call.location, detail: "\(error)")
    }
  }
}
