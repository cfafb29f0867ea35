import ArgumentParser
import Foundation
import KerasVis

/// `kerasvis cam MODEL INPUT...`: keras-vis's Grad-CAM, or a later CAM method.
struct CamCommand: KerasVisSubcommand {
  static let configuration = CommandConfiguration(
    commandName: "cam",
    abstract: "Grad-CAM heatmaps as keras-vis's visualize_cam computes them, or with --method a later CAM method.",
    discussion: """
      The penultimate layer defaults to keras-vis's automatic search (the nearest convolution or pooling layer \
      before --layer, skipping the one right before it); `kerasvis summary MODEL --cam-layers` lists the \
      candidates and `kerasvis compare` shows several side by side.

      With --method the map follows pytorch-grad-cam (or tf-keras-vis with --convention tf-keras-vis), the layer \
      defaults to the last spatial feature map (through nested models; reported on standard error), several \
      --filter classes are explained at once (their scores summed), and --inputs-per-pass inputs share a pass.

      A model with several inputs (with --method): the files feed --input (default the first), and the map resized \
      to that input is written; give every other input's value with --input-value NAME=FILE.npy.
      """)

  @OptionGroup var model: ModelOptions
  @Argument(help: "Images (PNG, JPEG), .npy arrays, or folders of them.")
  var inputs: [String] = []
  @OptionGroup var explanation: ExplanationOptions
  @OptionGroup var images: ImageInputOptions

  @Option(
    parsing: .unconditionalSingleValue,
    help: """
      The penultimate (feature map) layer: a name or index; with --method also a path into nested models \
      (model/layer), and given several times, one multi-layer CAM (pytorch-grad-cam's aggregate of the layers).
      """)
  var penultimate: [String] = []

  @Option(help: ArgumentHelp("A later CAM method instead of keras-vis's Grad-CAM.", valueName: "name"))
  var method: CAMMethodName?

  @OptionGroup var target: TargetArguments
  @OptionGroup var camMethod: CAMMethodArguments

  func validate() throws {
    guard !inputs.isEmpty || explanation.inputsFrom != nil else { throw ValidationError("give at least one input") }
    if penultimate.count > 1 && (method == nil || camMethod.convention != .pytorchGradCAM) {
      throw ValidationError(
        "--penultimate given \(penultimate.count) times (\(penultimate.joined(separator: ", "))): keras-vis's "
          + "Grad-CAM and tf-keras-vis explain one feature map (with --method, several layers make one "
          + "multi-layer CAM); `kerasvis compare MODEL IMAGE --penultimate \(penultimate.joined(separator: " "))` "
          + "shows each")
    }
    if method == nil && target.binary != nil { throw ValidationError("--binary needs --method") }
    if method == nil && target.output != nil {
      throw ValidationError("--output needs --method (keras-vis's Grad-CAM explains --layer)")
    }
  }

  func execute() throws {
    let run = try ExplanationRun(command: "cam", model: model, options: explanation, images: images)
    let files = try explanation.files(inputs)
    let reference = penultimate.first
    if let method {
      let readsLayer = try run.methodReadsLayer(arguments: target)
      let outputIndex = try target.outputIndex(in: run.graph)
      let featureLayers = try penultimate.map { try run.graph.layerAddress($0, flag: "--penultimate") }
      let featureLayer = featureLayers.first
      try run.explainAll(
        files, method: MethodCatalog.method(method, options: MethodOptions(cam: camMethod, gradient: nil)),
        title: method.rawValue, featureLayer: featureLayer, reportsLayer: true, batchSize: explanation.inputsPerPass,
        targets: { try run.targets(for: $0, arguments: target, readsLayer: readsLayer) },
        request: { input, targets in
          var request = ExplanationRequest(
            input: input, targets: targets, layer: featureLayer, target: target, cam: camMethod,
            outputIndex: outputIndex)
          request.layers = featureLayers.count > 1 ? featureLayers : []
          return request
        })
      return
    }
    guard run.graph.inputs.count == 1 else {
      throw ValidationError(
        "keras-vis's Grad-CAM explains a model with one input; model '\(run.graph.name)' has "
          + "\(run.graph.inputs.count): give --method (gradcam, gradcam++, ...), which maps each input")
    }
    let penultimateIndex = try reference.map { try run.graph.topLevelLayer($0, flag: "--penultimate") }
    if let index = penultimateIndex, index > run.layer {
      throw ValidationError(
        "--penultimate \(reference ?? "") (index \(index)) comes after --layer \(explanation.layer) (index \(run.layer))"
      )
    }
    let gradCAM = KerasVisGradCAM(
      layerIdx: run.layer, backpropModifier: explanation.backpropModifier,
      gradModifier: explanation.gradModifier(default: nil), linear: explanation.linear)
    let featureLayer = penultimateIndex.map { [$0] }
    try run.explainAll(
      files, method: gradCAM, title: explanation.methodTitle("Grad-CAM"), featureLayer: featureLayer,
      reportsLayer: false, batchSize: 1, targets: { try run.targets(for: $0, arguments: target) },
      request: { input, targets in ExplanationRequest(input: input, targets: targets, layer: featureLayer) })
  }
}
