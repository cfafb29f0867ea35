/// CenterCrop: rows `(H - height) // 2` on and columns `(W - width) // 2` on when the input is at least
/// `(height, width)`; otherwise Keras's `smart_resize` (the largest centered window of the target's aspect
/// ratio, resized bilinearly).
public struct CenterCrop: CropKind, Equatable {
  public static let kerasClassNames = ["CenterCrop"]
  public static let operationNames = ["center_crop"]

  public var height: Int
  public var width: Int

  public init(height: Int, width: Int) {
    self.height = height
    self.width = width
  }

  public func window(inputHeight: Int, inputWidth: Int) -> ResizeWindow {
    guard inputHeight >= height, inputWidth >= width else {
      return .aspectCrop(inputHeight: inputHeight, inputWidth: inputWidth, height: height, width: width)
    }
    return ResizeWindow(
      top: (inputHeight - height) / 2, left: (inputWidth - width) / 2, height: height, width: width)
  }
}
