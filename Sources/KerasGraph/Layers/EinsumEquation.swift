/// A two-operand einsum equation (`"abc,cd->abd"`, `"...b,bc->...c"`) as EinsumDense, Dot and the attention
/// layers use it: each operand and the output name their axes by letters; a letter in both operands and not in
/// the output is summed over; `...` stands for the axes an operand has beyond its letters (the same axes in the
/// output). Repeated letters within one operand (diagonals) and letters summed within one operand are refused.
public struct EinsumEquation: Sendable, Equatable, CustomStringConvertible {
  /// The letters of the two operands and the output, `...` expanded.
  public var lhs: [Character]
  public var rhs: [Character]
  public var output: [Character]

  public init(lhs: [Character], rhs: [Character], output: [Character]) {
    self.lhs = lhs
    self.rhs = rhs
    self.output = output
  }

  /// Parses `equation` for operands of ranks `lhsRank` and `rhsRank` (batch included), expanding `...` into
  /// letters the equation does not use.
  /// - Throws: `ShapeProblem` for a malformed equation or one that does not fit the ranks.
  public init(parsing equation: String, lhsRank: Int, rhsRank: Int) throws {
    let text = equation.filter { !$0.isWhitespace }
    let sides = text.components(separatedBy: "->")
    let operands = sides.first?.components(separatedBy: ",") ?? []
    guard sides.count == 2, operands.count == 2 else {
      throw ShapeProblem(detail: "einsum equation '\(equation)' is not of the form 'in1,in2->out'")
    }
    let used = Set(text.filter(\.isLetter))
    var fresh = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".filter { !used.contains($0) }.makeIterator()
    let ranks = [lhsRank, rhsRank]
    var ellipsis: [Character]?
    var expanded: [[Character]] = []
    for (position, operand) in operands.enumerated() {
      let parts = operand.components(separatedBy: "...")
      let letters = parts.joined()
      guard parts.count <= 2, letters.allSatisfy(\.isLetter) else {
        throw ShapeProblem(detail: "einsum equation '\(equation)': operand '\(operand)' is not letters and '...'")
      }
      let extra = ranks[position] - letters.count
      guard extra >= 0, parts.count == 2 || extra == 0 else {
        throw ShapeProblem(
          detail: "einsum equation '\(equation)': operand '\(operand)' does not fit a tensor of rank \(ranks[position])"
        )
      }
      if parts.count == 2 {
        if ellipsis == nil { ellipsis = (0..<extra).compactMap { _ in fresh.next() } }
        guard let axes = ellipsis, axes.count == extra else {
          throw ShapeProblem(detail: "einsum equation '\(equation)': the two '...' stand for different ranks")
        }
        expanded.append(Array(parts[0]) + axes + Array(parts[1]))
      } else {
        expanded.append(Array(letters))
      }
    }
    let outputParts = sides[1].components(separatedBy: "...")
    guard outputParts.count <= 2, outputParts.joined().allSatisfy(\.isLetter) else {
      throw ShapeProblem(detail: "einsum equation '\(equation)': output '\(sides[1])' is not letters and '...'")
    }
    let output =
      outputParts.count == 2
      ? Array(outputParts[0]) + (ellipsis ?? []) + Array(outputParts[1]) : Array(outputParts[0])
    self.init(lhs: expanded[0], rhs: expanded[1], output: output)
    try validate(equation)
  }

  private func validate(_ equation: String) throws {
    for (name, letters) in [("first operand", lhs), ("second operand", rhs), ("output", output)]
    where Set(letters).count != letters.count {
      throw ShapeProblem(
        detail: "einsum equation '\(equation)': the \(name) repeats a letter (diagonals are not supported)")
    }
    for letter in output where !lhs.contains(letter) && !rhs.contains(letter) {
      throw ShapeProblem(detail: "einsum equation '\(equation)': output letter '\(letter)' is in no operand")
    }
    for letter in lhs + rhs where !output.contains(letter) && !(lhs.contains(letter) && rhs.contains(letter)) {
      throw ShapeProblem(
        detail: "einsum equation '\(equation)': '\(letter)' is summed within one operand (not supported)")
    }
  }

  /// The size of each letter, from the operand shapes.
  /// - Throws: `ShapeProblem` when a letter has two different sizes or an unknown one.
  public func letterSizes(lhs lhsShape: [Int?], rhs rhsShape: [Int?]) throws -> [Character: Int?] {
    var sizes: [Character: Int?] = [:]
    for (letters, shape) in [(lhs, lhsShape), (rhs, rhsShape)] {
      for (letter, size) in zip(letters, shape) {
        if let known = sizes[letter] ?? nil, let size, known != size {
          throw ShapeProblem(
            detail: "einsum \(self): axis '\(letter)' is \(known) in one operand and \(size) in the other")
        }
        if sizes[letter] == nil || sizes[letter]! == nil { sizes[letter] = size }
      }
    }
    return sizes
  }

  /// The output shape for operands of these shapes.
  public func outputShape(lhs lhsShape: [Int?], rhs rhsShape: [Int?]) throws -> [Int?] {
    let sizes = try letterSizes(lhs: lhsShape, rhs: rhsShape)
    return output.map { sizes[$0] ?? nil }
  }

  /// `abc,cd->abd`.
  public var description: String { String(lhs) + "," + String(rhs) + "->" + String(output) }
}
