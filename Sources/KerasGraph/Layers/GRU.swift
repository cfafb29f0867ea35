/// GRU (see `RecurrentCell.gru` for the step it runs and `RecurrentKind` for inputs and outputs).
public struct GRU: RecurrentKind, ArchiveVariableGroups, Equatable {
  public static let kerasClassNames = ["GRU"]
  public static let operationNames = ["gru"]

  public var recurrence: Recurrence

  public init(_ recurrence: Recurrence) {
    self.recurrence = recurrence
  }

  public init(from decoder: any Decoder) throws {
    recurrence = try Recurrence(cell: .gru, from: decoder)
  }
}
