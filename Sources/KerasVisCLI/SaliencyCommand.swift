import ArgumentParser
import Foundation
import KerasVis

/// `kerasvis saliency MODEL INPUT...`: keras-vis's saliency maps, or a later gradient method.
struct SaliencyCommand: KerasVisSubcommand {
  static let configuration = CommandConfiguration(
    commandName: "saliency",
    abstract: "Saliency maps as keras-vis's visualize_saliency computes them, or with --method a later method.",
    discussion: """
      With --method the map is normalize(max over channels of |attribution|) per input (for rise: the normalized \
      saliency; for the LRP methods lrp-* and deep-taylor: normalize(sum over channels of the relevance), with \
      --score logit the usual start); --npy writes it, and --inputs-per-pass inputs share a pass (the perturbation \
      methods occlusion, rise, lime and kernel-shap batch their perturbed inputs).

      A text model (its first layer an Embedding) is explained per token with --method vanilla, input-x-gradient or \
      integrated-gradients: the inputs are token ids (.npy (N, T) or (T), or a text file with one sequence of ids \
      per line), attributed at the Embedding output; one line per token is printed (position, id, attribution), \
      --json prints a JSON line per input, --npy writes the (N, T) attributions.

      A model with several inputs: the files feed --input (default the first), whose map is written; give every \
      other input's value with --input-value NAME=FILE.npy.
      """)

  @OptionGroup var model: ModelOptions
  @Argument(help: "Images (PNG, JPEG), .npy arrays, or folders of them.")
  var inputs: [String] = []
  @OptionGroup var explanation: ExplanationOptions
  @OptionGroup var images: ImageInputOptions

  @Flag(help: "Keep the channel axis (the map is (H, W, C) instead of the maximum over channels).")
  var keepdims = false

  @Option(
    help: ArgumentHelp("A later gradient or perturbation method instead of keras-vis's saliency.", valueName: "name"))
  var method: AttributionMethodName?

  @OptionGroup var target: TargetArguments
  @OptionGroup var gradientMethod: GradientMethodArguments

  @Flag(help: "Text models: print each input's per-token attributions as a JSON line.")
  var json = false

  func validate() throws {
    guard !inputs.isEmpty || explanation.inputsFrom != nil else { throw ValidationError("give at least one input") }
    if method == nil && target.binary != nil { throw ValidationError("--binary needs --method") }
    if method == nil && target.output != nil {
      throw ValidationError("--output needs --method (keras-vis's saliency explains --layer)")
    }
  }

  func execute() throws {
    let run = try ExplanationRun(command: "saliency", model: model, options: explanation, images: images)
    let files = try explanation.files(inputs)
    if TokenAttributionRun.isTextModel(run.graph) {
      guard let method else {
        throw ValidationError(
          "model '\(run.graph.name)' reads token ids with an Embedding layer: explain its tokens with --method "
            + "vanilla, input-x-gradient or integrated-gradients")
      }
      if explanation.out != nil {
        throw ValidationError(
          "--out draws pictures; a text model's token attributions are printed, or written with --npy")
      }
      let tokens = try TokenAttributionRun(run: run, method: method, arguments: gradientMethod)
      try tokens.explainAll(files, target: target, json: json)
      return
    }
    if json { throw ValidationError("--json prints a text model's token attributions; this model is not one") }
    if let method {
      let readsLayer = try run.methodReadsLayer(arguments: target)
      let outputIndex = try target.outputIndex(in: run.graph)
      try run.explainAll(
        files, method: MethodCatalog.method(method, options: MethodOptions(cam: nil, gradient: gradientMethod)),
        title: method.rawValue, featureLayer: nil, reportsLayer: false, batchSize: explanation.inputsPerPass,
        targets: { try run.targets(for: $0, arguments: target, readsLayer: readsLayer) },
        request: { input, targets in
          ExplanationRequest(
            input: input, targets: targets, layer: nil, target: target, cam: nil, outputIndex: outputIndex)
        })
      return
    }
    let saliency = KerasVisSaliency(
      layerIdx: run.layer, backpropModifier: explanation.backpropModifier,
      gradModifier: explanation.gradModifier(default: .absolute), keepdims: keepdims, linear: explanation.linear)
    try run.explainAll(
      files, method: saliency, title: explanation.methodTitle("saliency"), featureLayer: nil, reportsLayer: false,
      batchSize: 1, targets: { try run.targets(for: $0, arguments: target) },
      request: { input, targets in ExplanationRequest(input: input, targets: targets) })
  }
}
