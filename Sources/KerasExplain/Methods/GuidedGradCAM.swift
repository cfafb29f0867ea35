import KerasRuntime

/// Guided Grad-CAM and Guided Grad-CAM++ (Selvaraju et al., arXiv 1610.02391, section 3; Chattopadhyay et al.,
/// arXiv 1710.11063): the class activation map, upsampled to the input and scaled to 0...1, multiplied pixel by pixel
/// with guided backpropagation's input gradient (`GuidedBackpropagation`) of the same target, every channel:
/// `maps[n, i, j, c] = cam[n, i, j] * gb[n, i, j, c]` (pytorch-grad-cam's recipe in its `cam.py`, before
/// `deprocess_image`). `maps` and `attributions` are both that `(N, H, W, C)` product (`(N, C, H, W)` for a
/// channels_first model).
public struct GuidedCAM: ExplanationMethod {
  /// The class activation map method (`GradCAM()` or `GradCAMPlusPlus()`).
  public var cam: any ClassActivationMapping

  public var name: String { "guided-" + cam.name }
  public var usesLayer: Bool { true }

  public init(cam: any ClassActivationMapping = GradCAM()) {
    self.cam = cam
  }

  public func explain(_ request: ExplanationRequest, with explainer: Explainer) throws -> Explanation {
    var explanation = try cam.explain(request, with: explainer)
    let pass = try explainer.targetedPass(
      input: request.input, targets: explanation.targets, gradient: .input, rule: .guided)
    guard let guided = pass.gradients else { throw KerasVisError.invalidArgument("no guided gradient") }
    let map = explanation.maps.scalars
    let g = guided.scalars
    let product: Tensor
    if explainer.graph.channelLayout(ofInput: 0) == .channelsFirst, guided.rank >= 3 {
      // (N, C, H, W): the map of sample n, pixel p multiplies every channel plane.
      let (channels, pixels) = (guided.shape[1], guided.shape.dropFirst(2).reduce(1, *))
      product = try Tensor(shape: guided.shape) { map[($0 / (channels * pixels)) * pixels + $0 % pixels] * g[$0] }
    } else {
      let channels = guided.shape.last ?? 1
      product = try Tensor(shape: guided.shape) { map[$0 / channels] * g[$0] }
    }
    explanation.maps = product
    explanation.attributions = product
    return explanation
  }
}
