import Foundation

/// A fresh folder under the system's temporary folder, removed by `cleanUp()`.
public struct ScratchFolder: Sendable {
  public let url: URL

  /// Creates `kerasvis-LABEL-UUID` in the temporary folder.
  public init(_ label: String = "scratch") throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("kerasvis-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  /// The path of `name` in the folder.
  public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

  /// Removes the folder and everything in it.
  public func cleanUp() { try? FileManager.default.removeItem(at: url) }

  /// The names of the files in the folder (hidden ones included).
  public func contents() -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
  }
}

/// A fresh path in the system's temporary folder ending in `suffix` (nothing is created there).
public func temporaryPath(_ suffix: String) -> String {
  FileManager.default.temporaryDirectory.appendingPathComponent("kerasvis-\(UUID().uuidString)\(suffix)").path
}

/// Reads a whole file.
public func readBytes(_ path: String) throws -> [UInt8] {
  [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Writes bytes to a file.
public func write(_ bytes: [UInt8], to path: String) throws {
  try Data(bytes).write(to: URL(fileURLWithPath: path))
}
