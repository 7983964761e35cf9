// The default order of `sort`: a total order over values of every kind.

import Testing

@testable import Treebeard

@Suite struct SortOrderTests {
  /// Every pair answers opposite ways round, and no three values form a cycle. Grouping by each
  /// value's type name broke this twice: Float sorted before `fn` and Int after it while
  /// 2 < 2.5, and vectors and lists compared element by element across the strings and maps
  /// that sort between "list" and "vector".
  @Test func theDefaultOrderIsTransitiveOverMixedKinds() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    let mixed = try interpreter.eval(
      """
      [2 2.5 -1 0.0 ##NaN ##Inf 7 "a" "b" "" \\a \\z :k :a 'sym nil true false
       9007199254740993 9007199254740992.0 9007199254740992 9223372036854775807 9.3e18 -9.3e18 ##-Inf
       [1] [0 5] [] (list 2) (list) (list 1 1) {:a 1} {} #{1} #{} (fn [] 1) + (atom 1)]
      """)
    guard case .vector(let vector) = mixed else {
      Issue.record("not a vector: \(mixed.printed)")
      return
    }
    let values = vector.elements
    var order = SortOrder(machine: try interpreter.runtime.makeMachine())
    var table: [[Int]] = []
    for a in values { table.append(try values.map { b in try order.compare(a, b) }) }
    for i in values.indices {
      for j in values.indices {
        #expect(table[i][j] == -table[j][i], "\(values[i].printed) vs \(values[j].printed)")
        for k in values.indices where table[i][j] <= 0 && table[j][k] <= 0 {
          #expect(
            table[i][k] <= 0,
            "\(values[i].printed) ≤ \(values[j].printed) ≤ \(values[k].printed), but not the first ≤ the last")
        }
      }
    }
  }

  /// The groups in their places: numbers by value (NaN first) where Int sorts among the type
  /// names, vectors and lists together where vector does.
  @Test func mixedKindsSortInTheirGroupsPlaces() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    let sorted = try interpreter.eval(#"(sort [[1] "a" (list 2) 3 ##NaN 1.5 -1 :k \c nil [0]])"#)
    #expect(sorted.printed == #"[\c ##NaN -1 1.5 3 :k nil "a" [0] [1] (2)]"#)
  }
}
