/// An error raised by the HDF5 wrapper. Every case names the file and, where there is one, the object
/// (group, dataset or attribute path) at fault, plus libhdf5's own description of what went wrong.
public enum HDF5Error: Error, CustomStringConvertible, Equatable {
  /// The file does not exist or cannot be read.
  case fileNotFound(file: String)
  /// The file exists but is not an HDF5 file (wrong signature).
  case notHDF5(file: String)
  /// libhdf5 refused to open the file (truncated, corrupt, locked).
  case cannotOpen(file: String, reason: String)
  /// No group, dataset or attribute at `path`.
  case missingObject(file: String, path: String)
  /// The object exists but has a datatype or shape this wrapper cannot read as asked.
  case unsupportedType(file: String, path: String, detail: String)
  /// A read failed inside libhdf5 (corrupt data, truncated file).
  case readFailed(file: String, path: String, reason: String)
  /// The object claims more elements than the configured limit allows.
  case tooLarge(file: String, path: String, elements: Int, limit: Int)

  public var description: String {
    switch self {
    case .fileNotFound(let file):
      return "\(file): no such file"
    case .notHDF5(let file):
      return "\(file): not an HDF5 file (no HDF5 signature); expected a Keras .h5 file"
    case .cannotOpen(let file, let reason):
      return "\(file): cannot open as HDF5 (the file may be truncated or corrupt): \(reason)"
    case .missingObject(let file, let path):
      return "\(file): no object '\(path)'"
    case .unsupportedType(let file, let path, let detail):
      return "\(file): '\(path)': \(detail)"
    case .readFailed(let file, let path, let reason):
      return "\(file): reading '\(path)' failed (the file may be truncated or corrupt): \(reason)"
    case .tooLarge(let file, let path, let elements, let limit):
      return
        "\(file): '\(path)' claims \(elements) elements, more than the limit of \(limit); raise HDF5Limits.maxElements if the file is trusted"
    }
  }
}
