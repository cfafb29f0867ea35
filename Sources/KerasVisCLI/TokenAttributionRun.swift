import ArgumentParser
import Foundation
import KerasVis

/// `kerasvis saliency TEXT_MODEL TOKENS --method M` for a model whose first layer is an Embedding: the token ids
/// have no gradient, so each token is attributed at the Embedding output (`Explainer.tokenAttributions`), printed
/// one line per token (position, id, attribution), as JSON lines with `--json`, or written `(N, T)` with `--npy`.
struct TokenAttributionRun {
  let run: ExplanationRun
  let method: TokenAttributionMethod
  /// The method's `--method` name, for output.
  let methodName: String

  /// Whether `graph` is a text model the command explains per token: one input, read first by an Embedding layer.
  static func isTextModel(_ graph: Graph) -> Bool {
    guard graph.inputs.count == 1, let first = graph.layers.first(where: { !$0.isInput }) else { return false }
    return first.kind is Embedding
  }

  /// The token method for `name`.
  /// - Throws: `ValidationError` naming `--method` for methods that need pixels or features.
  init(run: ExplanationRun, method name: AttributionMethodName, arguments: GradientMethodArguments) throws {
    self.run = run
    methodName = name.rawValue
    switch name {
    case .vanilla: method = .saliency
    case .inputXGradient: method = .inputXGradient
    case .integratedGradients:
      method = .integratedGradients(
        IntegratedGradients(steps: arguments.steps, baseline: .constant(arguments.baseline), rule: arguments.rule))
    default:
      throw ValidationError(
        "--method \(name.rawValue): model '\(run.graph.name)' reads token ids with an Embedding layer; its tokens are "
          + "explained with --method vanilla, input-x-gradient or integrated-gradients")
    }
  }

  /// The token ids of `file`: a `.npy` `(N, T)` or `(T)`, or a text file of ids (one sequence per line, separated
  /// by spaces or commas; every line as long).
  /// - Throws: `ValidationError` naming the file and line for text that is not ids.
  static func tokens(_ file: String) throws -> Tensor {
    if file.hasSuffix(".npy") { return try NPY.read(path: file) }
    let text: String
    do {
      text = try String(contentsOfFile: file, encoding: .utf8)
    } catch {
      throw ValidationError("\(file): cannot read it as a text file of token ids (\(error.localizedDescription))")
    }
    var rows: [[Float]] = []
    for (number, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" })
      if fields.isEmpty { continue }
      rows.append(
        try fields.map { field in
          guard let id = Int(field), id >= 0 else {
            throw ValidationError("\(file):\(number + 1): expected token ids (integers >= 0), got '\(field)'")
          }
          return Float(id)
        })
      if rows.count > 1 && rows.last?.count != rows[0].count {
        throw ValidationError(
          "\(file):\(number + 1): \(rows.last?.count ?? 0) ids; every line needs as many as the first (\(rows[0].count))"
        )
      }
    }
    guard let length = rows.first?.count else { throw ValidationError("\(file): no token ids") }
    return try Tensor(shape: [rows.count, length], values: rows.flatMap { $0 })
  }

  /// Explains every file and prints or writes the attributions; keeps going past a bad file, reporting the failures
  /// at the end.
  func explainAll(_ files: [String], target: TargetArguments, json: Bool) throws {
    guard !files.isEmpty else { throw ValidationError("no inputs") }
    let single = files.count == 1
    var failures: [(String, Error)] = []
    for file in files {
      do {
        let tokens = try Self.tokens(file)
        let result = try run.explainer.tokenAttributions(
          tokens: tokens, method: method, targets: try run.targets(for: [file], arguments: target))
        try write(result, tokens: tokens, file: file, json: json, single: single)
      } catch let error as ValidationError {
        throw error
      } catch {
        failures.append((file, error))
      }
    }
    guard failures.isEmpty else {
      for (file, error) in failures { note("error: \(file): \(error)") }
      if files.count > 1 { note("\(failures.count) of \(files.count) inputs failed") }
      throw ExitCode(1)
    }
  }

  /// Prints one file's attributions (text or JSON) and writes `--npy`.
  private func write(_ result: TokenAttributions, tokens: Tensor, file: String, json: Bool, single: Bool) throws {
    let (count, length) = (result.tokens.shape[0], result.tokens.shape.last ?? 0)
    let ids = tokens.scalars.map { Int($0.rounded()) }
    let values = result.tokens.scalars
    if let npy = run.options.npy {
      let path = try outputPath(npy, for: file, suffix: "saliency.npy", single: single)
      try NPY.write(result.tokens, to: path)
    }
    var samples: [JSONValue] = []
    for sample in 0..<count {
      let classes = result.targets[sample].classIndices ?? []
      let score = result.scores[sample]
      let positions = 0..<length
      if json {
        samples.append(
          .object([
            "classes": .ints(classes), "score": .double(Double(score)),
            "tokens": .array(
              positions.map { p in
                .object([
                  "position": .int(p), "id": .int(ids[sample * length + p]),
                  "attribution": .double(Double(values[sample * length + p])),
                ])
              }),
          ]))
        continue
      }
      let named = classes.map { index in run.classNames?[index].map { "\(index) \($0)" } ?? "\(index)" }
      print(
        "\(file): sample \(sample), class \(named.joined(separator: " + ")), score \(score), \(methodName) "
          + "(position id attribution)")
      for p in positions { print("\(p) \(ids[sample * length + p]) \(values[sample * length + p])") }
    }
    if json {
      print(
        JSONValue.object([
          "input": .string(file), "method": .string(methodName), "samples": .array(samples),
        ]).jsonText)
    }
  }
}
