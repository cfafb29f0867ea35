import Foundation
import Testing

/// `Tests/Fixtures/models`.
let modelFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("Fixtures/models")

/// The path of a fixture model file.
func model(_ name: String) -> String { modelFixtures.appendingPathComponent(name).path }

/// A fresh temporary path ending in `suffix`.
func temporary(_ suffix: String) -> String {
  FileManager.default.temporaryDirectory.appendingPathComponent("kerasvis-cli-\(UUID().uuidString)\(suffix)").path
}

/// The `kerasvis` executable that SwiftPM built next to the test bundle.
func kerasvisExecutable() throws -> URL {
  var directory =
    Bundle.main.executableURL?.deletingLastPathComponent()
    ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  for _ in 0..<4 {
    let candidate = directory.appendingPathComponent("kerasvis")
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
      return candidate
    }
    directory = directory.deletingLastPathComponent()
  }
  throw CocoaError(.fileNoSuchFile)
}

/// Runs `kerasvis` with `arguments`; returns the exit code, standard output and standard error. Standard error is
/// read on another thread, so that a child filling one pipe cannot block on it while the other is read.
func kerasvis(_ arguments: [String]) throws -> (status: Int32, output: String, error: String, signaled: Bool) {
  let process = Process()
  process.executableURL = try kerasvisExecutable()
  process.arguments = arguments
  let output = Pipe()
  let error = Pipe()
  process.standardOutput = output
  process.standardError = error
  try process.run()
  nonisolated(unsafe) var errorData = Data()
  let done = DispatchSemaphore(value: 0)
  DispatchQueue.global().async {
    errorData = error.fileHandleForReading.readDataToEndOfFile()
    done.signal()
  }
  let outputData = output.fileHandleForReading.readDataToEndOfFile()
  done.wait()
  process.waitUntilExit()
  return (
    process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self),
    process.terminationReason == .uncaughtSignal
  )
}
