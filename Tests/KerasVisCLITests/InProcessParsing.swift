import ArgumentParser
import Testing

@testable import KerasVisCLI

/// Parses `arguments` as the `kerasvis` executable does, in this process (each command's `validate()` included),
/// and returns the subcommand, which must be a `Command`.
func parseCommand<Command: ParsableCommand>(
  _ type: Command.Type, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation
) throws -> Command {
  let command = try KerasVisCommand.parseAsRoot(arguments)
  return try #require(command as? Command, "parsed as \(Swift.type(of: command))", sourceLocation: sourceLocation)
}

/// How `kerasvis ARGUMENTS` stops before running, parsed in this process: the exit code and the message the
/// executable prints (nil when the arguments parse and validate).
func usageError(_ arguments: [String]) -> (code: Int32, message: String)? {
  do {
    _ = try KerasVisCommand.parseAsRoot(arguments)
    return nil
  } catch {
    return (KerasVisCommand.exitCode(for: error).rawValue, KerasVisCommand.message(for: error))
  }
}

/// Expects `kerasvis ARGUMENTS` to be a usage error (exit code 64) whose message contains every one of `needles`.
func expectUsageError(
  _ arguments: [String], mentioning needles: String..., sourceLocation: SourceLocation = #_sourceLocation
) {
  guard let error = usageError(arguments) else {
    Issue.record("\(arguments) parsed without an error", sourceLocation: sourceLocation)
    return
  }
  #expect(error.code == 64, "\(arguments): exit code \(error.code), \(error.message)", sourceLocation: sourceLocation)
  for needle in needles {
    #expect(
      error.message.contains(needle), "\(arguments): '\(needle)' not in: \(error.message)",
      sourceLocation: sourceLocation)
  }
}
