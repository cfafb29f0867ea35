/// The cell a recurrent layer runs at every time step (`h` the state, `x` the step's input, `W` the kernel, `U`
/// the recurrent kernel, `act` the activation, `σ` the recurrent activation):
/// - `simple` (SimpleRNN): `h' = act(x W + h U + b)`;
/// - `lstm` (LSTM, Hochreiter & Schmidhuber 1997; Keras's gate order i, f, c, o): `c' = σ(f) c + σ(i) act(c̃)`,
///   `h' = σ(o) act(c')`;
/// - `gru` (GRU, Cho et al., arXiv 1406.1078; Keras's gate order z, r, h): `h' = z h + (1 - z) act(x W_h + r ⊙
///   (h U_h + b_h'))` with `reset_after` (Keras's default, bias `(2, 3 units)`: input and recurrent biases), or
///   `act(x W_h + (r h) U_h + b_h)` without it (bias `(3 units)`).
public enum RecurrentCell: String, Sendable, Codable, Equatable {
  case simple
  case lstm
  case gru
  /// GRU with `reset_after=False`.
  case gruResetBefore

  /// How many gate blocks of `units` columns the kernels have.
  public var gateCount: Int {
    switch self {
    case .simple: return 1
    case .lstm: return 4
    case .gru, .gruResetBefore: return 3
    }
  }

  /// The number of state tensors (`return_state` returns them after the output).
  public var stateCount: Int { self == .lstm ? 2 : 1 }
}

/// What SimpleRNN, LSTM and GRU share: the cell, its width and activations, and how the sequence is run
/// (`return_sequences`, `return_state`, `go_backwards`, `zero_output_for_mask`). Input `(N, T, F)`; outputs
/// `(N, T, units)` with `returnSequences`, else `(N, units)`, then with `returnState` the final states
/// (`(N, units)` each: `h`, and `c` for an LSTM). Stateful layers are refused when decoded.
public protocol RecurrentKind: LayerKind {
  /// The options read from the config.
  var recurrence: Recurrence { get }
}

/// The fields of a recurrent layer's config (see `RecurrentKind`).
public struct Recurrence: Sendable, Equatable {
  public var cell: RecurrentCell
  public var units: Int
  public var activation: ActivationFunction
  public var recurrentActivation: ActivationFunction
  public var useBias: Bool
  public var returnSequences: Bool
  public var returnState: Bool
  public var goBackwards: Bool
  /// Whether a masked step outputs zeros (otherwise the previous step's output; states always carry over).
  public var zeroOutputForMask: Bool
  /// Whether the layer reads the mask reaching its input. Always in tf.keras; in Keras 3 not for a call with
  /// `initial_state=` tensors and no explicit `mask=`: Keras 3 fills in the mask only for a call with one tensor
  /// argument, though the mask still flows on to the outputs.
  public var appliesMask: Bool

  public init(
    cell: RecurrentCell, units: Int, activation: ActivationFunction = .tanh,
    recurrentActivation: ActivationFunction = .sigmoid, useBias: Bool = true, returnSequences: Bool = false,
    returnState: Bool = false, goBackwards: Bool = false, zeroOutputForMask: Bool = false, appliesMask: Bool = true
  ) {
    self.cell = cell
    self.units = units
    self.activation = activation
    self.recurrentActivation = recurrentActivation
    self.useBias = useBias
    self.returnSequences = returnSequences
    self.returnState = returnState
    self.goBackwards = goBackwards
    self.zeroOutputForMask = zeroOutputForMask
    self.appliesMask = appliesMask
  }

  enum CodingKeys: String, CodingKey {
    case units, activation, stateful, unroll
    case recurrentActivation = "recurrent_activation"
    case useBias = "use_bias"
    case returnSequences = "return_sequences"
    case returnState = "return_state"
    case goBackwards = "go_backwards"
    case zeroOutputForMask = "zero_output_for_mask"
    case resetAfter = "reset_after"
    case appliesMask = "applies_mask"
  }

  /// Decodes the fields of `cell`'s layer (`gru` reads `reset_after`, default true, into `gruResetBefore`).
  public init(cell: RecurrentCell, from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let context = decoder.layerContext
    if try container.bool(.stateful, default: false) {
      throw LayerConfigError(
        field: "stateful",
        detail:
          "stateful recurrent layers are not supported (their state lives between calls, outside the file); save the model with stateful=False"
      )
    }
    var cell = cell
    if cell == .gru, try !container.bool(.resetAfter, default: true) { cell = .gruResetBefore }
    self.cell = cell
    units = try container.positiveInt(.units)
    // Keras's defaults where the field is missing (a null activation is linear, as Keras reads it).
    activation = container.contains(.activation) ? try container.activation(.activation, context: context) : .tanh
    recurrentActivation =
      cell == .simple || !container.contains(.recurrentActivation)
      ? .sigmoid : try container.activation(.recurrentActivation, context: context)
    useBias = try container.bool(.useBias, default: true)
    returnSequences = try container.bool(.returnSequences, default: false)
    returnState = try container.bool(.returnState, default: false)
    goBackwards = try container.bool(.goBackwards, default: false)
    zeroOutputForMask = try container.bool(.zeroOutputForMask, default: false)
    if case .keras(let major)? = context?.source, major >= 3 {
      // Keras 3 fills in the mask only for a call with one tensor argument, unless one was passed.
      let explicitMask = (context?.arguments["mask"]).map { $0 != .null } ?? false
      let initialState = (context?.arguments["initial_state"]).map { $0 != .null } ?? false
      appliesMask = explicitMask || !initialState
    } else {
      appliesMask = try container.bool(.appliesMask, default: true)
    }
  }

  /// Writes the fields in Keras's form (the cell is implied by the op, `reset_after` written for a GRU).
  public func encodeFields(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(units, forKey: .units)
    try container.encode(activation, forKey: .activation)
    if cell != .simple { try container.encode(recurrentActivation, forKey: .recurrentActivation) }
    try container.encode(useBias, forKey: .useBias)
    try container.encode(returnSequences, forKey: .returnSequences)
    try container.encode(returnState, forKey: .returnState)
    try container.encode(goBackwards, forKey: .goBackwards)
    try container.encode(zeroOutputForMask, forKey: .zeroOutputForMask)
    if cell == .gru || cell == .gruResetBefore { try container.encode(cell == .gru, forKey: .resetAfter) }
    try container.encode(appliesMask, forKey: .appliesMask)
  }

  /// The output shapes for an input `(N, T, F)` (followed by the initial states, `(N, units)` each, when the
  /// call passed `initial_state`): the output, then the states with `returnState`.
  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    guard inputs.count == 1 || inputs.count == 1 + cell.stateCount else {
      throw ShapeProblem(
        detail: "expects an input and optionally \(cell.stateCount) initial state(s), got \(inputs.count) inputs")
    }
    for state in inputs.dropFirst() where state.rank != 2 || (state.last != nil && state.last != units) {
      throw ShapeProblem(detail: "an initial state of shape \(state) does not fit \(units) units")
    }
    guard inputs[0].rank == 3 else {
      throw ShapeProblem(detail: "a recurrent layer needs a rank-3 input (batch, steps, features), got \(inputs[0])")
    }
    _ = try channelCount(inputs[0])
    let batch = inputs[0].dimensions[0]
    let output =
      returnSequences
      ? TensorShape([batch, inputs[0].dimensions[1], units]) : TensorShape([batch, units])
    let states = returnState ? Array(repeating: TensorShape([batch, units]), count: cell.stateCount) : []
    return [output] + states
  }

  /// Keras's weights: `kernel (F, G units)`, `recurrent_kernel (units, G units)`, `bias` (`(G units)`, or
  /// `(2, 3 units)` for a GRU with `reset_after`), `G` the gate count.
  public func weightSpecifications(inputs: [TensorShape], prefix: String = "") throws -> [WeightSpecification] {
    let features = try channelCount(inputs[0])
    let width = cell.gateCount * units
    var specifications = [
      WeightSpecification(name: prefix + "kernel", shape: [features, width]),
      WeightSpecification(name: prefix + "recurrent_kernel", shape: [units, width]),
    ]
    if useBias {
      specifications.append(WeightSpecification(name: prefix + "bias", shape: cell == .gru ? [2, width] : [width]))
    }
    return specifications
  }
}

extension RecurrentKind {
  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try recurrence.outputShapes(inputs: inputs)
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    try recurrence.weightSpecifications(inputs: inputs)
  }

  public func encode(to encoder: any Encoder) throws {
    try recurrence.encodeFields(to: encoder)
  }

  /// Keras 3 keeps a recurrent layer's variables in its cell (`layers/lstm/cell/vars`).
  public var archiveVariableGroups: [String] { ["cell/vars"] }
}

/// A kind whose Keras 3 `.keras` variables sit in sub-groups of its layer group (a recurrent layer's `cell`, a
/// wrapper's inner layers) rather than in its own `vars`: the groups, relative to the layer's, in weight order.
public protocol ArchiveVariableGroups {
  var archiveVariableGroups: [String] { get }
}
