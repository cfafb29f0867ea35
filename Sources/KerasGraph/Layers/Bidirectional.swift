/// Bidirectional: a recurrent layer run forwards and a copy run over the reversed sequence (Schuster & Paliwal
/// 1997), their outputs merged by `mergeMode` (`concat` on the last axis, `sum`, `mul`, `ave`, or nil: both
/// returned). With `return_sequences` the backward layer's sequence is flipped back to time order first, and both
/// layers output zeros at masked steps (Keras forces `zero_output_for_mask`). Outputs: the merged output (two with
/// a nil `mergeMode`), then with `return_state` the forward layer's states and the backward layer's. Weights: the
/// forward layer's as `forward_kernel`, ... then the backward layer's as `backward_kernel`, ...
public struct Bidirectional: LayerKind, ArchiveVariableGroups, Equatable {
  public static let kerasClassNames = ["Bidirectional"]
  public static let operationNames = ["bidirectional"]

  /// How the two directions' outputs are combined.
  public enum MergeMode: String, Sendable, Codable, Equatable {
    case concat, sum, mul, ave
  }

  public var forward: Recurrence
  public var backward: Recurrence
  /// nil returns both outputs separately.
  public var mergeMode: MergeMode?

  public init(forward: Recurrence, backward: Recurrence, mergeMode: MergeMode?) {
    self.forward = forward
    self.backward = backward
    self.mergeMode = mergeMode
  }

  enum CodingKeys: String, CodingKey {
    case layer
    case backwardLayer = "backward_layer"
    case mergeMode = "merge_mode"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let context = decoder.layerContext ?? LayerDecodingContext(file: "", source: .native)
    func recurrence(_ key: CodingKeys) throws -> Recurrence? {
      guard let value = try container.value(key) else { return nil }
      let kind: any LayerKind
      if context.source == .native {
        kind = try LayerKinds.decodeNative(operation: value, context: context).kind
      } else {
        guard let className = value["class_name"]?.string, let config = value["config"] else {
          throw LayerConfigError(field: container.fieldName(key), detail: "expected a layer with class_name and config")
        }
        kind =
          try LayerKinds.decodeKeras(
            className: className, registeredName: nil, config: config, context: context
          ).kind
      }
      guard let recurrent = kind as? any RecurrentKind else {
        throw LayerConfigError(
          field: container.fieldName(key), detail: "Bidirectional wraps SimpleRNN, LSTM or GRU, found \(type(of: kind))"
        )
      }
      return recurrent.recurrence
    }
    guard var forward = try recurrence(.layer) else { throw LayerConfigError(field: "layer", detail: "missing") }
    var backward = try recurrence(.backwardLayer) ?? forward
    if try container.value(.backwardLayer) == nil { backward.goBackwards = !forward.goBackwards }
    guard forward.returnSequences == backward.returnSequences, forward.returnState == backward.returnState,
      forward.cell.stateCount == backward.cell.stateCount
    else {
      throw LayerConfigError(
        field: "backward_layer", detail: "must match the forward layer's return_sequences, return_state and cell")
    }
    forward.zeroOutputForMask = forward.returnSequences
    backward.zeroOutputForMask = backward.returnSequences
    self.forward = forward
    self.backward = backward
    if let text = try container.value(.mergeMode)?.string {
      guard let mode = MergeMode(rawValue: text) else {
        throw LayerConfigError(field: "merge_mode", detail: "'\(text)' is not concat, sum, mul, ave or null")
      }
      mergeMode = mode
    } else {
      mergeMode = nil
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    func operation(_ recurrence: Recurrence) throws -> JSONValue {
      let kind: any LayerKind =
        switch recurrence.cell {
        case .simple: SimpleRNN(recurrence)
        case .lstm: LSTM(recurrence)
        case .gru, .gruResetBefore: GRU(recurrence)
        }
      return try LayerKinds.encodeNative(kind, activation: nil)
    }
    try container.encode(try operation(forward), forKey: .layer)
    try container.encode(try operation(backward), forKey: .backwardLayer)
    if let mergeMode {
      try container.encode(mergeMode, forKey: .mergeMode)
    } else {
      try container.encodeNil(forKey: .mergeMode)
    }
  }

  /// The inputs of each direction: the sequence, then (when the call passed `initial_state`) the first half of
  /// the states for the forward layer and the second half for the backward layer.
  public func directionInputs<Value>(_ inputs: [Value]) throws -> (forward: [Value], backward: [Value]) {
    guard let sequence = inputs.first else { throw ShapeProblem(detail: "expects an input") }
    let count = forward.cell.stateCount
    guard inputs.count == 1 || inputs.count == 1 + 2 * count else {
      throw ShapeProblem(
        detail: "expects an input and optionally \(2 * count) initial states, got \(inputs.count) inputs")
    }
    if inputs.count == 1 { return ([sequence], [sequence]) }
    return ([sequence] + inputs[1...count], [sequence] + inputs[(count + 1)...])
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    let (forwardInputs, backwardInputs) = try directionInputs(inputs)
    let forwardShapes = try forward.outputShapes(inputs: forwardInputs)
    let backwardShapes = try backward.outputShapes(inputs: backwardInputs)
    var output = forwardShapes[0]
    let outputs: [TensorShape]
    switch mergeMode {
    case .concat?:
      output.dimensions[output.rank - 1] = forward.units + backward.units
      outputs = [output]
    case nil:
      outputs = [forwardShapes[0], backwardShapes[0]]
    default:
      guard forward.units == backward.units else {
        throw ShapeProblem(detail: "merge_mode \(mergeMode?.rawValue ?? "") needs layers of equal units")
      }
      outputs = [output]
    }
    return outputs + forwardShapes.dropFirst() + backwardShapes.dropFirst()
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    try forward.weightSpecifications(inputs: inputs, prefix: "forward_")
      + backward.weightSpecifications(inputs: inputs, prefix: "backward_")
  }

  public var archiveVariableGroups: [String] { ["forward_layer/cell/vars", "backward_layer/cell/vars"] }
}
