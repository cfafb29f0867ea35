import Foundation

/// The result of one run of a program.
public struct RunResult: Sendable {
  /// The exit code (the signal's number when `signaled`).
  public var status: Int32
  /// Standard output.
  public var output: String
  /// Standard error.
  public var error: String
  /// Whether a signal ended the process.
  public var signaled: Bool
}

/// The `kerasvis` executable that SwiftPM built next to the test runner.
public func kerasvisExecutable() throws -> URL {
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

/// Runs `kerasvis` with `arguments` (and extra environment variables) as a subprocess and waits for it.
@discardableResult
public func kerasvis(_ arguments: [String], environment: [String: String] = [:]) throws -> RunResult {
  finish(try startKerasvis(arguments, environment: environment))
}

/// Runs `program` with `arguments` (and extra environment variables) and waits for it.
@discardableResult
public func run(_ program: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> RunResult {
  finish(try start(program, arguments, environment: environment))
}

/// Starts `kerasvis` with `arguments`; `finish` waits for it and collects its output.
public func startKerasvis(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
  try start(try kerasvisExecutable(), arguments, environment: environment)
}

/// Starts `program` with `arguments`, its standard output and error going to pipes that `finish` reads.
public func start(_ program: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> Process {
  let process = Process()
  process.executableURL = program
  process.arguments = arguments
  process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
  process.standardOutput = Pipe()
  process.standardError = Pipe()
  try process.run()
  return process
}

/// Waits for a process started by `start` and returns its exit code and output.
public func finish(_ process: Process) -> RunResult {
  // Standard error is read on another thread: a child that fills one pipe while the other is being read would
  // otherwise never exit.
  nonisolated(unsafe) var error = Data()
  let done = DispatchSemaphore(value: 0)
  DispatchQueue.global().async {
    error = (process.standardError as? Pipe)?.fileHandleForReading.readDataToEndOfFile() ?? Data()
    done.signal()
  }
  let output = (process.standardOutput as? Pipe)?.fileHandleForReading.readDataToEndOfFile() ?? Data()
  done.wait()
  process.waitUntilExit()
  return RunResult(
    status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
    error: String(decoding: error, as: UTF8.self), signaled: process.terminationReason == .uncaughtSignal)
}
