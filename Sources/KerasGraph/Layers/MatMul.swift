/// The matrix product of the last two axes (`tf.linalg.matmul(a, b, transpose_a, transpose_b)`, Keras 3's
/// `ops.matmul`): `y[..., i, j] = sum_l a[..., i, l] b[..., l, j]`, after swapping the last two axes of an operand
/// whose `transpose` is set. The second operand is a second input of the same rank (at least 3, the same leading
/// axes: one product per batch element and leading position), or a constant matrix `(k, n)` stored in the file
/// (then `a` may have any rank from 2). Not a Keras layer class: what those operations import as.
public struct MatMul: LayerKind, Equatable {
  public static let kerasClassNames: [String] = []
  public static let operationNames = ["matmul"]

  /// Whether the first operand's last two axes are swapped first (`transpose_a`, `adjoint_a`).
  public var transposeA: Bool
  /// Whether the second operand's last two axes are swapped first (`transpose_b`, `adjoint_b`).
  public var transposeB: Bool
  /// The second operand when it is a constant: its row-major values and its shape (a matrix).
  public var constant: [Float]?
  /// The constant's shape, `(k, n)` (`(n, k)` with `transposeB`).
  public var constantShape: [Int]?

  public init(transposeA: Bool = false, transposeB: Bool = false, constant: [Float]? = nil, constantShape: [Int]? = nil)
  {
    self.transposeA = transposeA
    self.transposeB = transposeB
    self.constant = constant
    self.constantShape = constantShape
  }

  enum CodingKeys: String, CodingKey {
    case transposeA = "transpose_a"
    case transposeB = "transpose_b"
    case constant
    case constantShape = "constant_shape"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    transposeA = try container.bool(.transposeA, default: false)
    transposeB = try container.bool(.transposeB, default: false)
    constant = try container.floatList(.constant)
    constantShape = try container.value(.constantShape) == nil ? nil : try container.intList(.constantShape)
    guard (constant == nil) == (constantShape == nil) else {
      throw container.failure(.constantShape, "constant and constant_shape come together")
    }
    if let constant, let constantShape {
      guard constantShape.count == 2, constantShape.allSatisfy({ $0 >= 1 && $0 <= 1 << 24 }),
        constantShape[0] * constantShape[1] == constant.count
      else {
        throw container.failure(
          .constantShape, "\(constantShape) is not the shape of a matrix of \(constant.count) values")
      }
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(transposeA, forKey: .transposeA)
    try container.encode(transposeB, forKey: .transposeB)
    if let constant, let constantShape {
      try container.encode(JSONValue.floats(constant), forKey: .constant)
      try container.encode(constantShape, forKey: .constantShape)
    }
  }

  /// The product as an einsum over operands of these ranks (the second one the constant's when there is one):
  /// the leading axes shared, `mk,kn->mn` on the last two (`km` and `nk` when transposed).
  /// - Throws: `ShapeProblem` when the ranks do not fit.
  public func einsum(lhsRank: Int, rhsRank: Int) throws -> EinsumEquation {
    let (m, k, n): (Character, Character, Character) = ("M", "K", "N")
    let rhsTail = transposeB ? [n, k] : [k, n]
    if constant != nil {
      guard rhsRank == 2, lhsRank >= (transposeA ? 3 : 2) else {
        throw ShapeProblem(
          detail:
            "matmul of a rank-\(lhsRank) tensor\(transposeA ? " (transposed)" : "") with a rank-\(rhsRank) constant")
      }
    } else {
      guard lhsRank >= 3, lhsRank == rhsRank else {
        throw ShapeProblem(
          detail:
            "matmul of tensors of ranks \(lhsRank) and \(rhsRank) (both must have the same rank, at least 3: the batch and two matrix axes)"
        )
      }
    }
    guard lhsRank <= 22 else { throw ShapeProblem(detail: "matmul of a rank-\(lhsRank) tensor") }
    let leading = Array("abcdefghijklmnopqrstuv".prefix(lhsRank - 2))
    let lhs = leading + (transposeA ? [k, m] : [m, k])
    let rhs = (constant == nil ? leading : []) + rhsTail
    return EinsumEquation(lhs: lhs, rhs: rhs, output: leading + [m, n])
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, count: constant == nil ? 2 : 1)
    let rhs = constantShape.map { $0.map { Optional($0) } } ?? inputs[1].dimensions
    let equation = try einsum(lhsRank: inputs[0].rank, rhsRank: rhs.count)
    return [TensorShape(try equation.outputShape(lhs: inputs[0].dimensions, rhs: rhs))]
  }
}
