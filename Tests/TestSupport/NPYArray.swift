import Foundation
import KerasRuntime

/// A `.npy` file read by the library's reader (`NPY.decode`) that also knows the stored dtype, for fixtures whose
/// element type is part of what they say (8-bit or 16-bit pixels, float32 maps).
public struct NPYArray: Sendable {
  /// NumPy's dtype string, e.g. `|u1`, `<u2`, `<f4`.
  public let dtype: String
  /// The values, as the library reads them (every uint8, uint16 and float32 value exactly).
  public let tensor: Tensor

  public var shape: [Int] { tensor.shape }

  /// The values of a uint8 array (nil for another dtype).
  public var uint8: [UInt8]? { dtype.dropFirst() == "u1" ? tensor.scalars.map { UInt8($0) } : nil }
  /// The values of a uint16 array (nil for another dtype).
  public var uint16: [UInt16]? { dtype.dropFirst() == "u2" ? tensor.scalars.map { UInt16($0) } : nil }
  /// The values of a float32 array (nil for another dtype).
  public var float32: [Float]? { dtype.dropFirst() == "f4" ? tensor.scalars : nil }

  /// Reads the `.npy` file at `path`.
  public init(path: String) throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    tensor = try NPY.decode(data, file: path)
    // NPY.decode has checked the magic and the header; the dtype is the header's 'descr' string.
    let header = String(decoding: data.prefix(4096), as: UTF8.self)
    guard let key = header.range(of: "'descr':"),
      let open = header[key.upperBound...].firstIndex(where: { $0 == "'" || $0 == "\"" }),
      let close = header[header.index(after: open)...].firstIndex(of: header[open])
    else { throw TensorError.npy(file: path, detail: "no 'descr' in the header") }
    dtype = String(header[header.index(after: open)..<close])
  }

  /// Reads the fixture `name` of `folder`.
  public init(fixture name: String, in folder: FixtureFolder) throws {
    try self.init(path: fixturePath(name, in: folder))
  }
}
