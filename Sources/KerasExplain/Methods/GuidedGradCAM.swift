import KerasRuntime

/// Guided Grad-CAM and Guided Grad-CAM++ (Selvaraju et al., arXiv 1610.02391, section 3; Chattopadhyay et al.,
/// arXiv 1710.11063): the class activation map, upsampled to the input and scaled to 0...1, multiplied pixel by pixel
/// with guided backpropagation's input gradient (`GuidedBackpropagation`) of the same target, every channel:
/// `maps[n, i, j, c] = cam[n, i, j] * gb[n, i, j, c]` (pytorch-grad-cam's recipe in its `cam.py`, before
/// `deprocess_image`). `maps` and `attributions` are both that `(N, H, W, C)` product.
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
    let channels = guided.shape.last ?? 1
    let map = explanation.maps.scalars
    let g = guided.scalars
    let product = try Tensor(shape: guided.shape) { map[$0 / channels] * g[$0] }
    explanation.maps = product
    explanation.attributions = product
    return explanation
  }
}
