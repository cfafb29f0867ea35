import ArgumentParser
import Foundation
import KerasVis

/// `kerasvis`: open Keras model files natively and explain their predictions.
@main
struct KerasVisCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kerasvis",
    abstract: "Open Keras model files natively and explain their predictions.",
    discussion: "Shell completion: kerasvis --generate-completion-script bash|zsh|fish (tools/install writes them).",
    version: "kerasvis \(KerasVisVersion.current)",
    subcommands: [
      SummaryCommand.self, PredictCommand.self, CamCommand.self, SaliencyCommand.self, ActivationCommand.self,
      LayersCommand.self, FiltersCommand.self, ConvertCommand.self, BenchCommand.self, EvaluateCommand.self,
      CompareCommand.self, ReportCommand.self,
    ])
}
