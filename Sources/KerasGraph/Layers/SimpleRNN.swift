/// SimpleRNN (see `RecurrentCell.simple` for the step it runs and `RecurrentKind` for inputs and outputs).
public struct SimpleRNN: RecurrentKind, ArchiveVariableGroups, Equatable {
  public static let kerasClassNames = ["SimpleRNN"]
  public static let operationNames = ["simple_rnn"]

  public var recurrence: Recurrence

  public init(_ recurrence: Recurrence) {
    self.recurrence = recurrence
  }

  public init(from decoder: any Decoder) throws {
    recurrence = try Recurrence(cell: .simple, from: decoder)
  }
}
