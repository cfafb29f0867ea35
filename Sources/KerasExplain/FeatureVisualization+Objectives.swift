import Foundation
import KerasRuntime

/// What lucid-style feature visualization maximizes (lucent's `optvis.objectives`, with the sign flipped: these are
/// values to maximize, lucent's are losses to minimize). Layers are top-level indices; outputs channels-last.
public indirect enum FeatureObjective: Sendable {
  /// The mean of `channel` of `layer` (`objectives.channel`), over the batch or for sample `batch`.
  case channel(layer: Int, channel: Int, batch: Int? = nil)
  /// `channel` at one position (`objectives.neuron`; default the centre, `(size / 2)` along each axis).
  case neuron(layer: Int, channel: Int, x: Int? = nil, y: Int? = nil, batch: Int? = nil)
  /// The mean over positions of the cosine similarity of the channel vector with `direction`
  /// (`objectives.direction`).
  case direction(layer: Int, direction: [Float], batch: Int? = nil)
  /// A Dense output unit (its logit: the layer's softmax is swapped to linear).
  case classLogit(layer: Int, unit: Int, batch: Int? = nil)
  /// Minus the pairwise cosine similarity of the samples' Gram matrices, summed over pairs `i != j` and divided by
  /// the batch size (`objectives.diversity`, whose value lucent's examples subtract).
  case diversity(layer: Int)
  /// A sum of objectives.
  case sum([FeatureObjective])
  /// An objective times a weight.
  case scaled(FeatureObjective, Float)

  /// Adds two objectives.
  public static func + (lhs: FeatureObjective, rhs: FeatureObjective) -> FeatureObjective { .sum([lhs, rhs]) }
  /// Scales an objective.
  public static func * (weight: Float, objective: FeatureObjective) -> FeatureObjective { .scaled(objective, weight) }

  /// The layers the objective reads.
  var layers: Set<Int> {
    switch self {
    case .channel(let layer, _, _), .neuron(let layer, _, _, _, _), .direction(let layer, _, _),
      .classLogit(let layer, _, _), .diversity(let layer):
      return [layer]
    case .sum(let parts): return parts.reduce(into: Set<Int>()) { $0.formUnion($1.layers) }
    case .scaled(let part, _): return part.layers
    }
  }

  /// The layers whose softmax is swapped to linear.
  var linearLayers: Set<Int> {
    switch self {
    case .classLogit(let layer, _, _): return [layer]
    case .sum(let parts): return parts.reduce(into: Set<Int>()) { $0.formUnion($1.linearLayers) }
    case .scaled(let part, _): return part.linearLayers
    default: return []
    }
  }

  /// The objective's value and its gradient with respect to each layer output it reads (added into `gradients`).
  func evaluate(_ outputs: [Int: Tensor], gradients: inout [Int: [Float]], weight: Float = 1) throws -> Float {
    func output(_ layer: Int) throws -> Tensor {
      guard let tensor = outputs[layer] else { throw KerasVisError.invalidArgument("layer \(layer) was not computed") }
      return tensor
    }
    func add(_ layer: Int, _ index: Int, _ value: Float, count: Int) {
      if gradients[layer] == nil { gradients[layer] = [Float](repeating: 0, count: count) }
      gradients[layer]![index] += value
    }
    switch self {
    case .sum(let parts):
      return try parts.reduce(Float(0)) { $0 + (try $1.evaluate(outputs, gradients: &gradients, weight: weight)) }
    case .scaled(let part, let factor):
      return factor * (try part.evaluate(outputs, gradients: &gradients, weight: weight * factor))
    case .channel(let layer, let channel, let batch), .classLogit(let layer, let channel, let batch):
      return try Self.channelMean(try output(layer), layer: layer, channel: channel, batch: batch, position: nil) {
        add(layer, $0, weight * $1, count: $2)
      }
    case .neuron(let layer, let channel, let x, let y, let batch):
      let t = try output(layer)
      var position: Int?
      if t.shape.count == 4 {
        let (row, column) = (y ?? t.shape[1] / 2, x ?? t.shape[2] / 2)
        guard (0..<t.shape[1]).contains(row), (0..<t.shape[2]).contains(column) else {
          throw KerasVisError.invalidArgument("neuron (\(column), \(row)) is outside layer \(layer)'s \(t.shape)")
        }
        position = row * t.shape[2] + column
      }
      return try Self.channelMean(t, layer: layer, channel: channel, batch: batch, position: position) {
        add(layer, $0, weight * $1, count: $2)
      }
    case .direction(let layer, let direction, let batch):
      let t = try output(layer)
      let values = t.scalars
      let channels = t.shape.last ?? 1
      guard direction.count == channels else {
        throw KerasVisError.invalidArgument(
          "direction has \(direction.count) values; layer \(layer) has \(channels) channels")
      }
      let samples = t.shape[0], positions = t.count / max(channels * samples, 1)
      let chosen = batch.map { [$0] } ?? Array(0..<samples)
      let dNorm = max(direction.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-8)
      var total: Float = 0
      let share = 1 / Float(chosen.count * positions)
      for n in chosen {
        for p in 0..<positions {
          let base = (n * positions + p) * channels
          var (dot, squares) = (Float(0), Float(0))
          for c in 0..<channels {
            dot += values[base + c] * direction[c]
            squares += values[base + c] * values[base + c]
          }
          // torch's CosineSimilarity: dot / (max(|a|, eps) * max(|b|, eps)), eps 1e-8.
          let aNorm = max(squares.squareRoot(), 1e-8)
          total += dot / (aNorm * dNorm) * share
          for c in 0..<channels {
            let g = (direction[c] / (aNorm * dNorm) - dot * values[base + c] / (aNorm * aNorm * aNorm * dNorm)) * share
            add(layer, base + c, weight * g, count: t.count)
          }
        }
      }
      return total
    case .diversity(let layer):
      return try Self.diversity(try output(layer)) { add(layer, $0, weight * $1, count: $2) }
    }
  }

  private static func channelMean(
    _ t: Tensor, layer: Int, channel: Int, batch: Int?, position: Int?, add: (Int, Float, Int) -> Void
  ) throws -> Float {
    let channels = t.shape.last ?? 1
    guard (0..<channels).contains(channel) else {
      throw KerasVisError.invalidArgument("channel \(channel) is outside layer \(layer)'s \(channels) channels")
    }
    let samples = t.shape[0]
    if let batch, !(0..<samples).contains(batch) {
      throw KerasVisError.invalidArgument("batch \(batch) is outside the \(samples) images")
    }
    let positions = t.count / max(channels * samples, 1)
    let chosenSamples = batch.map { [$0] } ?? Array(0..<samples)
    let chosenPositions = position.map { [$0] } ?? Array(0..<positions)
    let share = 1 / Float(chosenSamples.count * chosenPositions.count)
    let values = t.scalars
    var total: Float = 0
    for n in chosenSamples {
      for p in chosenPositions {
        let index = (n * positions + p) * channels + channel
        total += values[index] * share
        add(index, share, t.count)
      }
    }
    return total
  }

  /// Gram matrices `G_n = A_n^T A_n` (channels x channels) normalized to unit Frobenius norm; value
  /// `-sum_{i != j} <G_i, G_j> / N`.
  private static func diversity(_ t: Tensor, add: (Int, Float, Int) -> Void) throws -> Float {
    let channels = t.shape.last ?? 1
    let samples = t.shape[0], positions = t.count / max(channels * samples, 1)
    let values = t.scalars
    var grams: [[Float]] = [], norms: [Float] = []
    for n in 0..<samples {
      var g = [Float](repeating: 0, count: channels * channels)
      for p in 0..<positions {
        let base = (n * positions + p) * channels
        for a in 0..<channels where values[base + a] != 0 {
          for b in 0..<channels { g[a * channels + b] += values[base + a] * values[base + b] }
        }
      }
      let norm = max(g.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
      grams.append(g.map { $0 / norm })
      norms.append(norm)
    }
    var value: Float = 0
    for i in 0..<samples {
      // d value / d Ĝ_i = -2 sum_{j != i} Ĝ_j / N (each pair counted twice).
      var upstream = [Float](repeating: 0, count: channels * channels)
      for j in 0..<samples where j != i {
        value -= zip(grams[i], grams[j]).reduce(0) { $0 + $1.0 * $1.1 } / Float(samples)
        for k in upstream.indices { upstream[k] -= 2 * grams[j][k] / Float(samples) }
      }
      // Through the normalization: dG = (U - Ĝ <U, Ĝ>) / |G|, then through G = A^T A: dA = A (dG + dG^T).
      let along = zip(upstream, grams[i]).reduce(0) { $0 + $1.0 * $1.1 }
      let dG = (0..<upstream.count).map { (upstream[$0] - grams[i][$0] * along) / norms[i] }
      for p in 0..<positions {
        let base = (i * positions + p) * channels
        for a in 0..<channels {
          var g: Float = 0
          for b in 0..<channels { g += values[base + b] * (dG[b * channels + a] + dG[a * channels + b]) }
          add(base + a, g, t.count)
        }
      }
    }
    return value
  }
}
