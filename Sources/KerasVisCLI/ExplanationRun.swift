import ArgumentParser
import Foundation
import KerasVis

/// One `cam` or `saliency` run: the model, the explained layer, the inputs, and the one loop that explains each
/// input with a method (keras-vis's calls are methods too) and writes its map and picture.
struct ExplanationRun {
  /// The command, as output file names carry it (`photo.cam.png`).
  let command: String
  let options: ExplanationOptions
  let images: ImageInputOptions
  let graph: Graph
  let explainer: Explainer
  /// The explained layer (`--layer`), an index into `model.layers`.
  let layer: Int
  /// The class names of the explained layer's classes, when it is a model output and the names fit.
  let classNames: ClassLabels?
  /// `--classes`: the classes of each input.
  let classTable: InputClassTable?
  /// `--input` and `--input-value`: the model input the files feed, and the others' values.
  let inputChoice: ModelInputChoice

  /// Opens the model and resolves `--layer` and the class names.
  init(command: String, model: ModelOptions, options: ExplanationOptions, images: ImageInputOptions) throws {
    self.command = command
    self.options = options
    self.images = images
    graph = try model.load()
    inputChoice = try ModelInputChoice(options.inputChoice, graph: graph)
    let labels = try options.labels.labels(for: graph)
    layer = try graph.topLevelLayer(options.layer, flag: "--layer")
    explainer = Explainer(graph: graph, precision: options.arithmetic.precision)
    classNames = Self.names(labels, graph: graph, layer: layer)
    do {
      classTable = try options.classes.map { try InputClassTable(contentsOf: $0, labels: labels) }
    } catch {
      throw ValidationError("--classes \(error)")
    }
  }

  /// What to explain for `files`: `--classes`'s line for each, else `--filter` (or `--binary`) for all, else nil
  /// (each input's top class).
  ///
  /// With `readsLayer` the targets read `--layer`'s output (its classes or channels) instead of the model output.
  func targets(for files: [String], arguments: TargetArguments, readsLayer: Bool = false) throws
    -> [ExplanationTarget]?
  {
    let linear = options.linear
    let output = try arguments.outputIndex(in: graph)
    var targets: [ExplanationTarget]?
    if let classTable, arguments.binary == nil {
      targets = try files.flatMap { file in
        arguments.targets(filters: try classTable.classes(for: file), linear: linear, output: output) ?? []
      }
    } else {
      targets = arguments.targets(
        filters: options.filters.isEmpty ? nil : options.filters, linear: linear, output: output)
    }
    guard readsLayer else { return targets }
    return targets?.map { $0.reading(layer: [layer]) }
  }

  /// For the later methods: whether the targets read `--layer` instead of the model output (a layer other than the
  /// output, whose classes or channels must be named).
  /// - Throws: `ValidationError` naming `--layer` when such a layer is given without `--filter` or `--classes`.
  func methodReadsLayer(arguments: TargetArguments) throws -> Bool {
    if explainsModelOutput || options.layer == "-1" { return false }
    guard !options.filters.isEmpty || classTable != nil, arguments.binary == nil else {
      throw ValidationError(
        "--layer \(options.layer): \(graph.layers[layer].name) (index \(layer)) is not the model output; name its "
          + "classes or channels with --filter (or --classes)")
    }
    return true
  }

  /// `labels` when they name the classes of `layer` (a model output whose class count they fit), else nil.
  private static func names(_ labels: ClassLabels?, graph: Graph, layer: Int) -> ClassLabels? {
    let isOutput = graph.outputs.contains { source in
      if case .layerOutput(let index, _, _) = source { return index == layer }
      return false
    }
    guard isOutput, let names = labels else { return nil }
    guard let classes = graph.layers[layer].nodes.last?.outputShapes.first?.dimensions.last ?? nil else { return names }
    if !names.applies(toClassCount: classes) { return nil }
    if let warning = names.mismatch(classCount: classes) { note("warning: --labels \(warning)") }
    return names
  }

  /// Whether `--layer` names the model's (only) output layer, what the later methods explain.
  var explainsModelOutput: Bool {
    graph.outputs.count == 1
      && graph.outputs.contains { source in
        if case .layerOutput(let index, _, _) = source { return index == layer }
        return false
      }
  }

  /// Explains every input with `method` and writes the outputs; shows progress on a terminal and keeps going past a
  /// bad file, reporting the failures at the end.
  ///
  /// - Parameters:
  ///   - title: the method as picture titles name it.
  ///   - featureLayer: the request's feature-map layer (nil: the method's own choice).
  ///   - reportsLayer: say on standard error which layer an automatic choice picked.
  ///   - targets: what to explain for a list of input files (nil: each input's top class).
  ///   - request: the request for a batch of inputs and their targets.
  func explainAll(
    _ files: [String], method: any ExplanationMethod, title: String, featureLayer: [Int]?, reportsLayer: Bool,
    batchSize: Int, targets: ([String]) throws -> [ExplanationTarget]?,
    request: (Tensor, [ExplanationTarget]?) -> ExplanationRequest
  ) throws {
    guard !files.isEmpty else { throw ValidationError("no inputs (a folder holds no PNG, JPEG or .npy files)") }
    let single = files.count == 1
    var loader: ModelInputLoader?
    var failures: [(String, Error)] = []
    var reported = false
    let progress = isatty(STDERR_FILENO) != 0 && files.count > 1
    var done = 0
    for batch in stride(from: 0, to: files.count, by: batchSize).map({
      Array(files[$0..<min($0 + batchSize, files.count)])
    }) {
      if progress {
        FileHandle.standardError.write(Data("\r[\(done + 1)/\(files.count)] \(batch[0])\u{1B}[K".utf8))
      }
      done += batch.count
      // Load each input on its own so that one bad file fails alone.
      var loaded: [LoadedInput] = []
      for file in batch {
        do {
          loaded.append(try load(file, loader: &loader))
        } catch let error as ValidationError {
          throw error
        } catch {
          failures.append((file, error))
        }
      }
      for group in Self.sameShapeGroups(loaded) {
        let names = group.map(\.file)
        do {
          let batchTargets = try targets(names)
          let input = group.count == 1 ? group[0].input : try Tensor.concatenatingBatches(group.map(\.input))
          let started = DispatchTime.now().uptimeNanoseconds
          var explanation = try explainer.explain(
            try fullRequest(request(input, batchTargets), feeding: input), with: method)
          if graph.inputs.count > 1 { explanation.maps = try shownMap(explanation, method: method) }
          if options.timings {
            let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6 / Double(group.count)
            for name in names {
              print(JSONValue.object(["input": .string(name), "ms": .double(milliseconds)]).jsonText)
            }
          }
          if batchTargets == nil && single { reportTopClass(explanation) }
          if reportsLayer, featureLayer == nil, method.usesLayer, !reported, let used = explanation.layer {
            reported = true
            note(
              "\(method.name) uses \(explainer.describeLayer(used)), the last feature map (name another with --penultimate)"
            )
          }
          var first = 0
          for item in group {
            let count = item.input.shape[0]
            try write(explanation, samples: first..<(first + count), for: item, title: title, single: single)
            first += count
          }
        } catch let error as ValidationError {
          throw error
        } catch {
          failures += names.map { ($0, error) }
        }
      }
    }
    if progress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    guard failures.isEmpty else {
      for (file, error) in failures { note("error: \(file): \(error)") }
      if files.count > 1 { note("\(failures.count) of \(files.count) inputs failed") }
      throw ExitCode(1)
    }
  }

  /// `request` with every model input: the files' batch at `--input`'s position and `--input-value`'s beside it.
  private func fullRequest(_ request: ExplanationRequest, feeding input: Tensor) throws -> ExplanationRequest {
    guard graph.inputs.count > 1 else { return request }
    var full = request
    full.inputs = try inputChoice.inputs(feeding: input, count: graph.inputs.count, graph: graph)
    return full
  }

  /// The map of `--input`'s model input.
  /// - Throws: `ValidationError` when the method gives none for it (a CAM for an input without spatial axes).
  private func shownMap(_ explanation: Explanation, method: any ExplanationMethod) throws -> Tensor {
    let input = graph.inputs[inputChoice.index]
    guard let map = explanation.map(ofInput: inputChoice.index) else {
      throw ValidationError(
        "\(method.name) gives no map for input '\(input.name)' \(input.shape) (a class activation map needs an input "
          + "with the feature map's spatial axes): choose another with --input")
    }
    return map
  }

  private func reportTopClass(_ explanation: Explanation) {
    let classes = explanation.targets.compactMap { $0.classIndices?.first }.map { index in
      classNames?[index].map { "\(index) \($0)" } ?? "\(index)"
    }
    guard !classes.isEmpty else { return }
    note(
      classes.count == 1
        ? "explaining class \(classes[0]) (the top class)"
        : "explaining the top class of each sample: \(classes.joined(separator: ", "))")
  }

  /// The map drawn for one sample `(1, ...)`: as it is, or for a 3-D model (input `(N, D, H, W, C)`) its volume as
  /// slices side by side.
  private func pictureMap(_ sample: Tensor) throws -> Tensor {
    let map = try sample.reshaped(Array(sample.shape.dropFirst()))
    if graph.inputs[inputChoice.index].shape.rank == 5, map.rank == 3 {
      return try ExplanationPicture.volumeMontage(map)
    }
    return map
  }

  /// Writes the maps of `samples` (one input file's samples) of `explanation` as `--npy`, `--out` (or a one-line
  /// summary): `(H, W)` for a file of one sample, `(n, H, W)` for a `.npy` batch.
  private func write(
    _ explanation: Explanation, samples: Range<Int>, for item: LoadedInput, title: String, single: Bool
  ) throws {
    let maps = try samples.map { try explanation.maps.sample($0) }
    let stacked = maps.count == 1 ? maps[0] : try Tensor.concatenatingBatches(maps)
    let map = maps.count == 1 ? try stacked.reshaped(Array(stacked.shape.dropFirst())) : stacked
    let position = samples.lowerBound  // the picture and its title show the file's first sample
    if let npy = options.npy {
      try NPY.write(map, to: try outputPath(npy, for: item.file, suffix: "\(command).npy", single: single))
    }
    if let out = options.out {
      var lines: [String]?
      if options.annotate {
        let classes = explanation.targets[position].classIndices ?? []
        let score = explanation.scores.indices.contains(position) ? explanation.scores[position] : .nan
        let layerName =
          explanation.layer.flatMap { graph.path(ofAddress: $0) } ?? graph.layers[layer].name
        lines = ExplanationPicture.title(
          classes: classes.map { ($0, classes.count == 1 && score.isFinite ? score : nil) }, labels: classNames,
          method: title, layer: layerName)
      }
      try ExplanationPicture.draw(
        try pictureMap(maps[0]), picture: item.picture, photo: item.photo,
        style: options.style, title: lines
      )
      .writePNG(toFile: try outputPath(out, for: item.file, suffix: "\(command).png", single: single))
    }
    if options.npy == nil && options.out == nil && !options.timings {
      let values = map.scalars
      print("\(item.file): \(command) map \(map.shape), mean \(values.reduce(0, +) / Float(max(values.count, 1)))")
    }
  }
}
