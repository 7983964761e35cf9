// Module files read, hashed and parsed before their reload, on the caller's thread.

import Foundation

/// A module file read and parsed without the evaluator lock, for a reload that then runs only
/// the transaction under the lock. A file watcher prepares on its own thread, so a running
/// program waits only for analysis and evaluation, not for reading and parsing.
public struct PreparedModule: Sendable {
  let source: ModuleSource
  /// The file's absolute path.
  public var path: String { source.path }
  /// The content hash of the text that was read (compare with `ModuleInfo.contentHash`).
  public var contentHash: String { source.contentHash }
  /// The module its `(module …)` header names; nil without a header.
  public var declaredModule: String? { Runtime.headerName(of: source) }
}

extension Interpreter {
  /// Reads, hashes and parses a module file on this thread, taking no lock. A read error in the
  /// text is kept and reported by the reload, like any load failure; a missing or unreadable
  /// file throws `OxurError` here.
  public func prepare(path: String) throws -> PreparedModule {
    let runtime = self.runtime
    var source = try runtime.readModuleSource(runtime.absolutePath(path))
    source.parsed = runtime.parse(source)
    return PreparedModule(source: source)
  }

  /// Prepares an editor's buffer: `text` stands for the file at `path` (which need not be
  /// saved, or exist), so a reload runs exactly what the editor shows.
  public func prepare(path: String, text: String) -> PreparedModule {
    let runtime = self.runtime
    var source = ModuleSource(
      path: runtime.absolutePath(path), text: text, contentHash: ContentHash.of(Data(text.utf8)))
    source.parsed = runtime.parse(source)
    return PreparedModule(source: source)
  }

  /// Loads (first time) or reloads one prepared module as a transaction.
  @discardableResult
  public func load(prepared: PreparedModule, handle: EvaluationHandle? = nil) throws -> LoadOutcome {
    try evaluating(handle) { [runtime] machine in
      let mode: LoadMode = runtime.moduleLoaded(from: prepared.path) == nil ? .load : .reload
      return try runtime.loadModule(path: prepared.path, mode: mode, prepared: prepared.source, machine: machine)
    }
  }

  /// Reloads one prepared module as a transaction (as `reload(path:)`, without reading again).
  @discardableResult
  /// `report`, when given, is called with the outcomes (the module's, then its dependents') or
  /// the failure before the evaluator is given back, so what it prints comes before the answer
  /// of any evaluation that waited for this reload (a watcher's line before the REPL's next one).
  public func reload(
    prepared: PreparedModule, handle: EvaluationHandle? = nil, report: ReloadReport? = nil
  ) throws -> LoadOutcome {
    try evaluating(handle) { [runtime] machine in
      try Self.reporting(report) {
        let outcome = try runtime.loadModule(
          path: prepared.path, mode: .reload, prepared: prepared.source, machine: machine)
        return (outcome, [outcome] + outcome.dependents)
      }
    }
  }

  /// `reloadAll()`, with the prepared files used instead of reading them again.
  @discardableResult
  /// `report` as for `reload(prepared:handle:report:)`.
  public func reloadAll(
    prepared: [PreparedModule], handle: EvaluationHandle? = nil, report: ReloadReport? = nil
  ) throws -> [LoadOutcome] {
    let byPath = Dictionary(prepared.map { ($0.path, $0.source) }, uniquingKeysWith: { _, last in last })
    return try evaluating(handle) { [runtime] machine in
      try Self.reporting(report) {
        let outcomes = try runtime.reloadAll(directory: nil, prepared: byPath, machine: machine).outcomes
        return (outcomes, outcomes)
      }
    }
  }

  /// Told how a reload ended while its caller still holds the evaluator.
  public typealias ReloadReport = (Result<[LoadOutcome], any Error>) -> Void

  private static func reporting<T>(_ report: ReloadReport?, _ reload: () throws -> (T, [LoadOutcome])) throws -> T {
    do {
      let (result, outcomes) = try reload()
      report?(.success(outcomes))
      return result
    } catch {
      report?(.failure(error))
      throw error
    }
  }
}
