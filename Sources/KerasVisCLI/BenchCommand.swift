import ArgumentParser
import Foundation
import KerasVis

/// `kerasvis bench MODEL`: times forward passes on seeded random input (what `tools/bench` compares with
/// TensorFlow), or an explanation of it (`--task lrp`: what `tools/bench_lrp` compares with zennit).
struct BenchCommand: KerasVisSubcommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Time forward passes of a model on random input and print the timings as JSON.")

  @OptionGroup var model: ModelOptions

  @Option(help: "Batch size.")
  var batch = 1

  @Option(help: "Timed runs (after the warm-up runs).")
  var runs = 20

  @Option(help: "Untimed warm-up runs (the first builds the execution plan).")
  var warmup = 3

  /// What `bench` times.
  enum Task: String, ExpressibleByArgument, CaseIterable {
    case forward, cam, saliency, lrp
  }

  @Option(
    help: """
      What to time: forward, cam (keras-vis's visualize_cam), saliency (visualize_saliency) or lrp (the \
      relevance of the top class's logit by --method).
      """)
  var task: Task = .forward

  @Option(help: "lrp: the LRP method (lrp-epsilon-plus-flat, lrp-epsilon, deep-taylor, ...).")
  var method: AttributionMethodName = .lrpEpsilonPlusFlat

  @Option(parsing: .unconditional, help: "cam/saliency: the explained layer (default -1).")
  var layer = "-1"

  @Option(parsing: .unconditional, help: "cam: the penultimate layer (default keras-vis's automatic choice).")
  var penultimate: String?

  @Option(help: "cam/saliency: the explained class.")
  var filter = 0

  @Option(
    help: ArgumentHelp(
      "The input's height and width for a model that takes any size (MobileNetV3's (None, None, 3)).",
      valueName: "HxW"))
  var size: String?

  @Option(
    help: """
      Requests run at once on this many threads (each timed run is one request per thread, all sharing one \
      compiled model); the JSON adds peak RSS with them.
      """)
  var threads = 1

  @Flag(help: "Time loading the model file instead (each run opens it again); prints load times as JSON.")
  var loadOnly = false

  @OptionGroup var arithmetic: PrecisionOption

  func validate() throws {
    guard batch > 0, runs > 0, warmup >= 0 else { throw ValidationError("--batch and --runs must be positive") }
    guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1...256") }
    if task == .lrp, method.lrpComposite() == nil {
      throw ValidationError("--method \(method.rawValue) is not an LRP method")
    }
    if let size { _ = try ImageInputOptions.parseSize(size) }
  }

  func execute() throws {
    if loadOnly { return try timeLoading() }
    let loadStart = Date()
    let graph = try model.load()
    let loadSeconds = Date().timeIntervalSince(loadStart)
    let spatial = try size.map(ImageInputOptions.parseSize)
    let inputs = try graph.inputs.map { input -> Tensor in
      let features = input.shape.featureDimensions
      let shape =
        try [batch]
        + features.enumerated().map { axis, dimension in
          // --size fills the height and width of an image input (N, H, W, C) whose size is unknown.
          if let spatial, features.count == 3, axis < 2 {
            let given = axis == 0 ? spatial.height : spatial.width
            if let dimension, dimension != given {
              throw ValidationError("--size \(size ?? ""): the model's input \(input.shape) has a fixed size")
            }
            return given
          }
          guard let dimension else {
            throw ValidationError(
              "the model's input \(input.shape) has an unknown size; give --size HxW for its height and width")
          }
          return dimension
        }
      var state: UInt64 = 0x9E37_79B9_7F4A_7C15
      return try Tensor(shape: shape) { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(state >> 40) / Float(1 << 24) * 2 - 1
      }
    }
    let work = try makeWork(graph: graph, inputs: inputs)
    let firstStart = Date()
    try work()
    let firstSeconds = Date().timeIntervalSince(firstStart)
    for _ in 0..<max(warmup - 1, 0) { try work() }
    var times: [Double] = []
    for _ in 0..<runs {
      let start = Date()
      try concurrently(threads, work)
      times.append(Date().timeIntervalSince(start) * 1000)
    }
    let sorted = times.sorted()
    var members: JSONObject = [
      "model": .string(graph.name), "task": .string(task.rawValue), "batch": .double(Double(batch)),
      "threads": .double(Double(threads)),
      "precision": .string(arithmetic.precision.rawValue),
      "runs": .double(Double(runs)),
      "load_ms": .double(loadSeconds * 1000), "first_run_ms": .double(firstSeconds * 1000),
      "median_ms": .double(sorted[sorted.count / 2]), "min_ms": .double(sorted[0]),
      "mean_ms": .double(times.reduce(0, +) / Double(times.count)),
      "peak_rss_mb": .double(peakResidentMegabytes()),
    ]
    if task == .lrp { members["method"] = .string(method.rawValue) }
    print(JSONValue.object(members).jsonText)
    if ExecutionProfile.enabled {
      for (name, milliseconds) in ExecutionProfile.snapshot().sorted(by: { $0.value > $1.value }) {
        print(String(format: "%10.3f ms  %@", milliseconds / Double(runs + warmup), name))
      }
    }
  }
}

/// Runs `work` once on each of `count` threads at the same time, rethrowing the first failure.
func concurrently(_ count: Int, _ work: @escaping @Sendable () throws -> Void) throws {
  guard count > 1 else { return try work() }
  final class FirstFailure: @unchecked Sendable {
    let lock = NSLock()
    var error: Error?
  }
  let failure = FirstFailure()
  DispatchQueue.concurrentPerform(iterations: count) { _ in
    do {
      try work()
    } catch {
      failure.lock.lock()
      if failure.error == nil { failure.error = error }
      failure.lock.unlock()
    }
  }
  if let error = failure.error { throw error }
}

extension BenchCommand {
  /// The timed work: a forward pass, or one keras-vis explanation of the first input.
  func makeWork(graph: Graph, inputs: [Tensor]) throws -> @Sendable () throws -> Void {
    if task == .forward {
      let compiled = CompiledModel(graph: graph, precision: arithmetic.precision)
      return { _ = try compiled.predict(inputs) }
    }
    let explainer = Explainer(graph: graph, precision: arithmetic.precision)
    let layerIndex = try graph.topLevelLayer(layer, flag: "--layer")
    let penultimateIndex = try penultimate.map { try graph.topLevelLayer($0, flag: "--penultimate") }
    let seed = inputs[0]
    if task == .lrp, let composite = method.lrpComposite() {
      let lrp = LayerwiseRelevancePropagation(name: method.rawValue, composite: composite)
      var logit = ExplanationRequest(input: seed)
      logit.defaultScore = .logit
      let request = logit
      return { _ = try lrp.attributions(request, with: explainer) }
    }
    if task == .cam {
      return {
        _ = try explainer.visualizeCam(
          layerIdx: layerIndex, filterIndices: [filter], seedInput: seed, penultimateLayerIdx: penultimateIndex)
      }
    }
    return { _ = try explainer.visualizeSaliency(layerIdx: layerIndex, filterIndices: [filter], seedInput: seed) }
  }

  /// `--load-only`: opens the model `warmup` times untimed, then `runs` times timed.
  func timeLoading() throws {
    for _ in 0..<warmup { _ = try model.load() }
    var times: [Double] = []
    var name = ""
    for _ in 0..<runs {
      let start = Date()
      let graph = try model.load()
      times.append(Date().timeIntervalSince(start) * 1000)
      name = graph.name
    }
    let sorted = times.sorted()
    let report: JSONValue = .object([
      "model": .string(name), "file": .string(model.model), "runs": .double(Double(runs)),
      "median_ms": .double(sorted[sorted.count / 2]), "min_ms": .double(sorted[0]),
      "mean_ms": .double(times.reduce(0, +) / Double(times.count)), "peak_rss_mb": .double(peakResidentMegabytes()),
    ])
    print(report.jsonText)
  }
}

/// The process's peak resident set size in MiB (`getrusage`).
func peakResidentMegabytes() -> Double {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return Double(usage.ru_maxrss) / 1024
}
