// Load statistics: time per phase, the record each committed version keeps, and its Oxur map form.

import Dispatch
import Foundation

/// The phases of a load (DESIGN.md §8). Expand, analyze and evaluate alternate form by form, so
/// each is the sum over the module's top-level forms; evaluate includes loads its top level runs.
public enum LoadPhase: String, Sendable, CaseIterable {
  case read, expand, analyze, evaluate, commit
}

/// Milliseconds spent in each phase.
/// Plain fields, not a dictionary keyed by phase: forms are timed one by one, and the first
/// dictionary of a key type costs a scan of every protocol conformance in the executable
/// (about 390,000 instructions, 6 % of start-up).
public struct PhaseTimes: Sendable, Equatable {
  private var read: Double? = nil
  private var expand: Double? = nil
  private var analyze: Double? = nil
  private var evaluate: Double? = nil
  private var commit: Double? = nil

  public init() {}

  /// The phases timed so far.
  public var milliseconds: [LoadPhase: Double] {
    var all: [LoadPhase: Double] = [:]
    for phase in LoadPhase.allCases { if let value = stored(phase) { all[phase] = value } }
    return all
  }

  public subscript(phase: LoadPhase) -> Double { stored(phase) ?? 0 }

  private func stored(_ phase: LoadPhase) -> Double? {
    switch phase {
    case .read: return read
    case .expand: return expand
    case .analyze: return analyze
    case .evaluate: return evaluate
    case .commit: return commit
    }
  }

  mutating func add(_ phase: LoadPhase, _ value: Double) {
    switch phase {
    case .read: read = (read ?? 0) + value
    case .expand: expand = (expand ?? 0) + value
    case .analyze: analyze = (analyze ?? 0) + value
    case .evaluate: evaluate = (evaluate ?? 0) + value
    case .commit: commit = (commit ?? 0) + value
    }
  }

  /// Adds every phase `other` timed.
  mutating func add(_ other: PhaseTimes) {
    for phase in LoadPhase.allCases { if let value = other.stored(phase) { add(phase, value) } }
  }

  /// Rounded to the microsecond for the maps: more digits are noise.
  static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}

/// A monotonic clock reading, for timing phases.
struct Stopwatch {
  private var start = Stopwatch.now()

  var elapsedMilliseconds: Double {
    Double(Stopwatch.now() &- start) / 1_000_000
  }

  /// The monotonic clock in nanoseconds. Read directly: `DispatchTime.now()` cost three times
  /// as much, and a reload reads the clock three times per top-level form.
  static func now() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(truncatingIfNeeded: time.tv_sec) &* 1_000_000_000 &+ UInt64(truncatingIfNeeded: time.tv_nsec)
  }

  /// The milliseconds since the start or the last lap; the next lap starts now. One clock read
  /// per phase instead of two: a reload of 1,000 definitions times three phases of each.
  mutating func lap() -> Double {
    let now = Stopwatch.now()
    defer { start = now }
    return Double(now &- start) / 1_000_000
  }
}

/// What one committed load or reload of one module did: kept on its version (for `(history m)`)
/// and in the registry's recent list (for `(reload-stats)`).
public struct ReloadRecord: Sendable, Equatable {
  public let module: String
  public let version: Int
  public let at: Date
  public let contentHash: String
  /// The whole transaction's wall-clock time.
  public let milliseconds: Double
  public let phases: PhaseTimes
  public let changes: DefinitionChanges
  /// True for a first load (its definitions are not listed as added).
  public let isFirstLoad: Bool
  /// Definitions in the version, for a first load's history line.
  public let definitionCount: Int
  /// Every module committed in the same transaction, this one included: one array the
  /// transaction's records share (a list per record made a reload-all of thousands of
  /// modules keep a quadratic number of names).
  let committedTogether: [String]
  /// Other modules committed in the same transaction.
  public var dependents: [String] { committedTogether.filter { $0 != module } }
  public let warnings: [String]
  /// Definitions whose analyzed code was reused from the version replaced (DefinitionReuse.swift).
  public var reusedDefinitions = 0

  /// The map `(reload-stats)` returns.
  var value: Value {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    var phaseMap = PersistentMap.empty
    for phase in LoadPhase.allCases {
      phaseMap = phaseMap.assoc(.keyword(phase.rawValue), .float(PhaseTimes.rounded(phases[phase])))
    }
    func symbols(_ names: [String]) -> Value { Collections.vector(names.map { Value.symbol($0) }) }
    let pairs: [(String, Value)] = [
      ("module", .symbol(module)), ("version", .int(version)), ("at", .string(formatter.string(from: at))),
      ("hash", .string(String(contentHash.prefix(8)))), ("ms", .float(PhaseTimes.rounded(milliseconds))),
      ("phases", .map(phaseMap)),
      ("added", symbols(changes.added)), ("changed", symbols(changes.changed)), ("removed", symbols(changes.removed)),
      ("dependents", symbols(dependents)), ("reused", .int(reusedDefinitions)),
      ("warnings", Collections.vector(warnings.map { Value.string($0) })),
    ]
    var map = PersistentMap.empty
    for (key, value) in pairs { map = map.assoc(.keyword(key), value) }
    return .map(map)
  }
}

extension Registry {
  /// Keeps `record` in the recent list (bounded) for `(reload-stats)`.
  func remember(_ record: ReloadRecord) {
    records.append(record)
    if records.count > Registry.recordLimit { records.removeFirst(records.count - Registry.recordLimit) }
  }
}

/// Formats milliseconds as the reload lines print them: `1.2 ms`.
public enum Milliseconds {
  public static func text(_ value: Double) -> String { tenths(value) + " ms" }

  /// `value` to one decimal place (`4.1`). Not `String(format:)`: its variadic arguments are
  /// found by a dynamic cast that scanned the executable's conformance records, 0.2 M
  /// instructions per reload line, about 5 % of a reload of 1,000 one-line functions' own work.
  public static func tenths(_ value: Double) -> String {
    let scaled = (value * 10).rounded(.toNearestOrAwayFromZero)
    // Whole tenths fit an Int exactly up to 2^53; beyond that (or NaN) the plain description.
    guard scaled.magnitude < 0x1p53 else { return "\(value)" }
    let whole = Int(scaled)
    let sign = whole < 0 ? "-" : ""
    return "\(sign)\(whole.magnitude / 10).\(whole.magnitude % 10)"
  }
}
