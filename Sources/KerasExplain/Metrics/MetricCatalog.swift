/// The metrics by the names `kerasvis evaluate --metric` accepts.
public enum MetricName: String, Sendable, CaseIterable {
  /// The pointing game (Zhang et al., "Top-down Neural Attention by Excitation Backprop", arXiv 1608.00507); needs
  /// object boxes.
  case pointing
  /// Deletion (Petsiuk et al., "RISE", arXiv 1806.07421): the area under the score curve as pixels are removed.
  case deletion
  /// Insertion (RISE): the area under the score curve as pixels are added to a blurred input.
  case insertion
  /// pytorch-grad-cam's CAM-multiply metric: the score's drop.
  case confidenceDrop = "confidence-drop"
  /// pytorch-grad-cam's CAM-multiply metric: how often the score rises.
  case confidenceIncrease = "confidence-increase"
  /// ROAD (Rong et al., "A Consistent and Efficient Evaluation Strategy for Attribution Methods", arXiv
  /// 2202.00449), most relevant first.
  case roadMorf = "road-morf"
  /// ROAD, least relevant first.
  case roadLerf = "road-lerf"
  /// ROAD, the difference of the two.
  case roadCombined = "road-combined"

  /// Whether the metric needs object boxes.
  public var needsBoxes: Bool { self == .pointing }

  /// The metric, with the settings of those that take any: the pointing game's `tolerance` in pixels, the causal
  /// metrics' `step` (pixels per step; nil: the input's width, as RISE) and `batchSize` (inputs per forward pass).
  public func metric(tolerance: Double = 15, step: Int? = nil, batchSize: Int = 16) -> any ExplanationMetric {
    switch self {
    case .pointing: return PointingGame(tolerance: tolerance)
    case .deletion: return CausalMetric(.deletion, step: step, batchSize: batchSize)
    case .insertion: return CausalMetric(.insertion, step: step, batchSize: batchSize)
    case .confidenceDrop: return ConfidenceChange(.drop)
    case .confidenceIncrease: return ConfidenceChange(.increase)
    case .roadMorf: return ROAD(.mostRelevantFirst)
    case .roadLerf: return ROAD(.leastRelevantFirst)
    case .roadCombined: return ROAD(.combined)
    }
  }
}
