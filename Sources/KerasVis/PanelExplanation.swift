import Foundation
import Imaging
import KerasExplain
import KerasGraph
import KerasRuntime

/// Which metrics a panel is scored with (all need the object boxes of the input, except deletion and insertion).
public struct PanelMetrics: Sendable, Equatable {
  /// The pointing game (Zhang et al., arXiv 1608.00507), with this tolerance in pixels; nil for none.
  public var pointingTolerance: Double?
  /// The deletion metric (RISE, Petsiuk et al., arXiv 1806.07421).
  public var deletion: Bool
  /// The insertion metric (RISE).
  public var insertion: Bool
  /// Deletion/insertion: pixels moved per step (nil: the input's width, as RISE).
  public var step: Int?
  /// Inputs per forward pass for deletion and insertion.
  public var batchSize: Int

  /// No metrics.
  public static let none = PanelMetrics(pointingTolerance: nil, deletion: false, insertion: false)

  /// The metrics to compute; the pointing game's default tolerance is the paper's 15 pixels.
  public init(
    pointingTolerance: Double? = 15, deletion: Bool = true, insertion: Bool = false, step: Int? = nil,
    batchSize: Int = 16
  ) {
    self.pointingTolerance = pointingTolerance
    self.deletion = deletion
    self.insertion = insertion
    self.step = step
    self.batchSize = batchSize
  }
}

/// One (layer, method) explanation of one input, with what a panel's title says about it.
public struct ExplainedPanel: Sendable {
  /// The map at the model's input size, `(H, W)` in 0...1 (a gradient-valued map as its magnitudes).
  public var map: Tensor
  /// The feature-map layer used, by address through nested models.
  public var layer: [Int]
  /// The layer's path of names (`conv2d_94`, `model/out_relu`).
  public var layerName: String
  /// The method's name (``ExplanationMethod/name``: `Grad-CAM (keras-vis)`, `gradcam++`).
  public var method: String
  /// The explained class.
  public var classIndex: Int
  /// The class's score (the model output) on the input.
  public var score: Float?
  /// The pointing game: 1 for a hit, 0 for a miss (with boxes and ``PanelMetrics/pointingTolerance``).
  public var pointing: Float?
  /// The deletion score (the area under the score curve; smaller is better).
  public var deletion: Float?
  /// The insertion score (larger is better).
  public var insertion: Float?

  /// The layer as titles name it: `conv2d_94 (299)`, or `model/out_relu ([0, 151])` inside a nested model.
  public var layerTitle: String {
    layer.count == 1 ? "\(layerName) (\(layer[0]))" : "\(layerName) (\(layer))"
  }
}

extension Explainer {
  /// Explains the sample `input` with `method` through feature-map layer `layer` (an address; nil for the
  /// method's automatic layer), for class `classIndex` (nil: the top class of the model's first output), and
  /// scores the map with `metrics` (the pointing game only when `boxes` are given).
  /// - Parameters:
  ///   - input: `(1, H, W, C)` or `(H, W, C)`.
  ///   - boxes: the input's object boxes in model-input pixels, or nil.
  /// - Throws: `KerasVisError` for a batch of several samples, a layer keras-vis's Grad-CAM cannot use (nested, after the output layer, not a
  ///   feature map), and what the method or metrics throw.
  public func explainPanel(
    input: Tensor, layer: [Int]?, method: any ExplanationMethod, classIndex: Int? = nil, boxes: [BoundingBox]? = nil,
    metrics: PanelMetrics = .none
  ) throws -> ExplainedPanel {
    let batch = input.rank == 3 ? try input.reshaped([1] + input.shape) : input
    guard batch.rank == 4, batch.shape[0] == 1 else {
      throw KerasVisError.invalidInput("a panel explains one sample (1, H, W, C); got \(input.shape)")
    }
    let targets = classIndex.map { [ExplanationTarget.category($0, score: .output)] }
    let explanation = try explain(ExplanationRequest(input: batch, targets: targets, layer: layer), with: method)
    var map = try MetricInputs.metricMaps(explanation.maps)
    let address = try explanation.layer ?? layer ?? automaticCAMLayer()
    let explained = explanation.targets.first?.classIndices?.first ?? classIndex ?? 0
    let score = explanation.scores.first.flatMap { $0.isFinite ? $0 : nil }
    if map.rank == 3 { map = try map.reshaped(Array(map.shape.dropFirst())) }
    var panel = ExplainedPanel(
      map: map, layer: address, layerName: graph.path(ofAddress: address) ?? "\(address)", method: method.name,
      classIndex: explained, score: score)
    guard metrics != .none else { return panel }
    let inputs = MetricInputs(
      input: batch, maps: try map.reshaped([1] + map.shape), targets: [.category(explained, score: .output)],
      boxes: boxes.map { [$0] })
    if let tolerance = metrics.pointingTolerance, boxes != nil {
      panel.pointing = try PointingGame(tolerance: tolerance).evaluate(inputs, with: self).first
    }
    if metrics.deletion {
      panel.deletion = try CausalMetric(.deletion, step: metrics.step, batchSize: metrics.batchSize)
        .evaluate(inputs, with: self).first
    }
    if metrics.insertion {
      panel.insertion = try CausalMetric(.insertion, step: metrics.step, batchSize: metrics.batchSize)
        .evaluate(inputs, with: self).first
    }
    return panel
  }
}
