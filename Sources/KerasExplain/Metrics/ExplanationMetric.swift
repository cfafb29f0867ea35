import KerasRuntime

/// An axis-aligned box in input pixels: columns `x0..<x1`, rows `y0..<y1`.
public struct BoundingBox: Sendable, Equatable, CustomStringConvertible {
  public var x0: Int
  public var y0: Int
  public var x1: Int
  public var y1: Int

  public init(x0: Int, y0: Int, x1: Int, y1: Int) {
    self.x0 = x0
    self.y0 = y0
    self.x1 = x1
    self.y1 = y1
  }

  public var description: String { "[\(x0), \(y0), \(x1), \(y1))" }
}

/// What a metric judges: the inputs, their explanation maps, the explained targets and, for localization
/// metrics, the annotated boxes.
public struct MetricInputs: Sendable {
  /// The model inputs, `(N, H, W, C)`.
  public var input: Tensor
  /// One map per input, `(N, H, W)`, larger where the explanation finds more evidence.
  public var maps: Tensor
  /// The explained target of every input.
  public var targets: [ExplanationTarget]
  /// The annotated object boxes of every input (pointing game), or nil.
  public var boxes: [[BoundingBox]]?

  public init(input: Tensor, maps: Tensor, targets: [ExplanationTarget], boxes: [[BoundingBox]]? = nil) {
    self.input = input
    self.maps = maps
    self.targets = targets
    self.boxes = boxes
  }

  /// The inputs of an explanation (its maps and resolved targets).
  public init(input: Tensor, explanation: Explanation, boxes: [[BoundingBox]]? = nil) throws {
    let batch = input.rank == explanation.maps.rank ? input : try input.reshaped([1] + input.shape)
    self.init(input: batch, maps: explanation.maps, targets: explanation.targets, boxes: boxes)
  }

  /// The number of inputs, `H`, `W`, `C`, checked against the maps and targets.
  /// - Throws: `KerasVisError.invalidArgument` when they disagree.
  func dimensions() throws -> (count: Int, height: Int, width: Int, channels: Int) {
    guard input.rank == 4, maps.rank == 3, maps.shape[0] == input.shape[0], maps.shape[1] == input.shape[1],
      maps.shape[2] == input.shape[2]
    else {
      throw KerasVisError.invalidArgument(
        "metrics need inputs (N, H, W, C) and maps (N, H, W): got \(input.shape) and \(maps.shape)")
    }
    guard targets.count == input.shape[0] else {
      throw KerasVisError.invalidArgument(
        "metrics need one target per input: got \(targets.count) for \(input.shape[0])")
    }
    return (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
  }

  /// Map `n` as a flat array.
  func map(_ n: Int, pixels: Int) -> ArraySlice<Float> {
    maps.withUnsafeBufferPointer { Array($0[(n * pixels)..<((n + 1) * pixels)]) }[...]
  }
}

/// A measure of how good explanations are: one value per input.
public protocol ExplanationMetric: Sendable {
  /// The column name `kerasvis evaluate` prints (`deletion`, `road-morf`).
  var name: String { get }
  /// Whether larger values are better.
  var largerIsBetter: Bool { get }
  /// The value for every input.
  func evaluate(_ inputs: MetricInputs, with explainer: Explainer) throws -> [Float]
}

/// The pointing game (Zhang et al., arXiv 1608.00507): a hit when the map's maximum (the first in row-major order,
/// as NumPy's `argmax`) lies within `tolerance` pixels (Euclidean) of an annotated box; the value is 1 for a hit,
/// 0 for a miss. The paper uses 15 pixels at 224x224.
public struct PointingGame: ExplanationMetric {
  public var tolerance: Double

  public var name: String { "pointing" }
  public var largerIsBetter: Bool { true }

  public init(tolerance: Double = 15) {
    self.tolerance = tolerance
  }

  public func evaluate(_ inputs: MetricInputs, with explainer: Explainer) throws -> [Float] {
    let (count, height, width, _) = try inputs.dimensions()
    guard let boxes = inputs.boxes, boxes.count == count else {
      throw KerasVisError.invalidArgument(
        "the pointing game needs boxes for every input (got \(inputs.boxes?.count ?? 0) of \(count))")
    }
    return (0..<count).map { n in
      let map = inputs.map(n, pixels: height * width)
      var best = map.startIndex
      for i in map.indices where map[i] > map[best] { best = i }
      let (y, x) = ((best - map.startIndex) / width, (best - map.startIndex) % width)
      return boxes[n].contains { hit(x: x, y: y, box: $0) } ? 1 : 0
    }
  }

  /// Whether pixel (x, y) lies within `tolerance` of the box.
  public func hit(x: Int, y: Int, box: BoundingBox) -> Bool {
    let dx = Double(max(box.x0 - x, 0, x - (box.x1 - 1)))
    let dy = Double(max(box.y0 - y, 0, y - (box.y1 - 1)))
    return (dx * dx + dy * dy).squareRoot() <= tolerance
  }
}

/// pytorch-grad-cam's `CamMultImageConfidenceChange` (after Chattopadhyay et al., arXiv 1710.11063): the score of
/// the input multiplied by its map (every channel) minus the score of the input, `S(x * m) - S(x)`. `drop` reports
/// `max(-(S(x * m) - S(x)), 0)` (`DropInConfidence`, smaller is better), `increase` reports 1 where the score rose
/// (`IncreaseInConfidence`, its mean is the fraction of inputs whose score rose).
public struct ConfidenceChange: ExplanationMetric {
  /// What is reported.
  public enum Report: String, Sendable, CaseIterable {
    case change, drop, increase
  }

  public var report: Report

  public var name: String { report == .change ? "cam-mult-change" : "confidence-\(report.rawValue)" }
  public var largerIsBetter: Bool { report != .drop }

  public init(_ report: Report) {
    self.report = report
  }

  public func evaluate(_ inputs: MetricInputs, with explainer: Explainer) throws -> [Float] {
    let (count, height, width, channels) = try inputs.dimensions()
    let before = try explainer.scores(of: inputs.input, targets: inputs.targets)
    let x = inputs.input.scalars
    let m = inputs.maps.scalars
    let after = try explainer.batchedScores(
      count: count, batchSize: 16, sampleShape: [height, width, channels], target: { inputs.targets[$0] }
    ) { n, buffer in
      for p in 0..<(height * width) {
        for c in 0..<channels {
          buffer[p * channels + c] = x[(n * height * width + p) * channels + c] * m[n * height * width + p]
        }
      }
    }
    return zip(after, before).map { after, before in
      let change = after - before
      switch report {
      case .change: return change
      case .drop: return max(-change, 0)
      case .increase: return change > 0 ? 1 : 0
      }
    }
  }
}

extension Explainer {
  /// The scores of `targets` (one for all inputs, or one per input) on a batch `(N, H, W, C)`, forward passes
  /// only, `batchSize` inputs at a time.
  public func scores(of input: Tensor, targets: [ExplanationTarget], batchSize: Int = 16) throws -> [Float] {
    let batch = try batched(input)
    let count = batch.shape[0]
    guard let expanded = try expandedTargets(targets, count: count) else { return [] }
    let size = batch.count / max(count, 1)
    return try batch.withUnsafeBufferPointer { values in
      try batchedScores(
        count: count, batchSize: batchSize, sampleShape: Array(batch.shape.dropFirst()), target: { expanded[$0] }
      ) { n, buffer in
        for i in 0..<size { buffer[i] = values[n * size + i] }
      }
    }
  }
}
