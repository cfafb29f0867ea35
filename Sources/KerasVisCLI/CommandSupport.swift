import ArgumentParser
import Foundation
import KerasVis

/// A `kerasvis` subcommand whose failures are reported in one place: usage errors (`ValidationError`, a flag whose
/// value names nothing in the model) exit with 64 and the usage line; everything else (an unreadable file, a
/// model that cannot run) prints `kerasvis: error: ...` and exits with 1.
protocol KerasVisSubcommand: ParsableCommand {
  /// The command's work; throw freely.
  func execute() throws
}

extension KerasVisSubcommand {
  func run() throws {
    try reportingFailures(execute)
  }
}

/// Runs `body`, turning its errors into the exit behaviour `KerasVisSubcommand` describes.
func reportingFailures(_ body: () throws -> Void) throws {
  do {
    try body()
  } catch let error as ValidationError {
    throw error
  } catch let error as ExitCode {
    throw error
  } catch let error as CleanExit {
    throw error
  } catch let error as FlagValueError {
    throw ValidationError(error.description)
  } catch {
    throw fail(error)
  }
}

/// Prints `error` to standard error and returns exit code 1 (a runtime failure; usage errors exit with 64).
func fail(_ error: Error) -> ExitCode {
  FileHandle.standardError.write(Data("kerasvis: error: \(error)\n".utf8))
  return ExitCode(1)
}

/// Writes a `kerasvis: ...` note to standard error.
func note(_ message: String) {
  FileHandle.standardError.write(Data("kerasvis: \(message)\n".utf8))
}

/// A flag whose value does not fit the model (`--layer conv9` when there is no such layer): a usage error naming
/// the flag and its value.
struct FlagValueError: Error, CustomStringConvertible {
  /// The flag, with its dashes (`--penultimate`).
  var flag: String
  /// The value given.
  var value: String
  /// What is wrong with it.
  var problem: String

  var description: String { "\(flag) \(value): \(problem)" }
}

extension Graph {
  /// The address of the layer `reference` names (a name, a path through nested models, or an index into
  /// `model.layers`, negative from the end), as `flag` gave it.
  /// - Throws: `FlagValueError` naming the flag when no layer fits, or when `topLevel` and the layer is nested.
  func layerAddress(_ reference: String, flag: String, topLevel: Bool = false) throws -> [Int] {
    let address: [Int]
    do {
      address = try resolveLayer(reference)
    } catch {
      throw FlagValueError(flag: flag, value: reference, problem: "\(error)")
    }
    if topLevel && address.count != 1 {
      throw FlagValueError(
        flag: flag, value: reference, problem: "give a top-level layer (the nested model's own index)")
    }
    return address
  }

  /// The index in `model.layers` of the top-level layer `reference` names, as `flag` gave it.
  func topLevelLayer(_ reference: String, flag: String) throws -> Int {
    try layerAddress(reference, flag: flag, topLevel: true)[0]
  }
}
