import Foundation

/// Why a file the command line names could not be read: the system's reason, for the caller's own typed error.
struct FileReadFailure: Error {
  /// The reason, as the system words it (`The file doesn't exist.`).
  var reason: String
}

/// The bytes of the file at `path`.
/// - Throws: `FileReadFailure` with the system's reason.
func fileContents(_ path: String) throws(FileReadFailure) -> Data {
  do {
    return try Data(contentsOf: URL(fileURLWithPath: path))
  } catch {
    throw FileReadFailure(
      reason: (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription)
  }
}
