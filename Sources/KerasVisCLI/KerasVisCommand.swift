import ArgumentParser
import Foundation

/// `kerasvis`: open Keras model files natively and explain their predictions.
@main
struct KerasVisCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kerasvis",
    abstract: "Open Keras model files natively and explain their predictions.",
    subcommands: [
      SummaryCommand.self, PredictCommand.self, CamCommand.self, SaliencyCommand.self, ActivationCommand.self,
      LayersCommand.self, FiltersCommand.self, ConvertCommand.self, BenchCommand.self, EvaluateCommand.self,
      CompareCommand.self, ReportCommand.self,
    ])
}

/// Prints `error` to standard error and exits with code 1 (a runtime failure; usage errors exit with 64).
func fail(_ error: Error) -> ExitCode {
  FileHandle.standardError.write(Data("kerasvis: error: \(error)\n".utf8))
  return ExitCode(1)
}
