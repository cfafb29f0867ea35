/// LSTM (see `RecurrentCell.lstm` for the step it runs and `RecurrentKind` for inputs and outputs).
public struct LSTM: RecurrentKind, ArchiveVariableGroups, Equatable {
  public static let kerasClassNames = ["LSTM"]
  public static let operationNames = ["lstm"]

  public var recurrence: Recurrence

  public init(_ recurrence: Recurrence) {
    self.recurrence = recurrence
  }

  public init(from decoder: any Decoder) throws {
    recurrence = try Recurrence(cell: .lstm, from: decoder)
  }
}
