// The watcher: a thread that notices saved module files and reloads them through Interpreter.

import Foundation
import Synchronization
import Treebeard

/// Watches the directories of loaded modules (or given trees) and reloads a module when its
/// file's content changes. File reading, hashing and debouncing happen on the watcher's
/// thread (files are read, hashed and parsed there, `Interpreter.prepare(path:)`); each reload
/// goes through the public `Interpreter.reload(prepared:)` / `reloadAll(prepared:)`,
/// which commit at a safe point of whatever program runs (the evaluator lock hands over there).
public final class Watcher: @unchecked Sendable {
  private let interpreter: Interpreter
  public let options: WatchOptions
  /// Guards the fields below, shared between the caller's thread and the watcher's.
  private let lock = NSLock()
  private var requests: [(path: String, recursive: Bool)] = []
  /// True while the watcher's thread adds taken requests to its source.
  private var applying = false
  /// Signalled when the watcher's thread has applied the requests it took.
  private let applied = NSCondition()
  private var followsLoadedModules = false
  private var watchedDirectories: Set<String> = []
  private var thread: Thread?
  private var finished: DispatchSemaphore?
  /// Raised by `stop()`; a new one for each start, so a late stop cannot end the next run.
  private var stopRequested = StopFlag()
  /// Reloads attempted (committed or not), for tests and the benchmark.
  private var attempts = 0

  public init(interpreter: Interpreter, options: WatchOptions = WatchOptions()) {
    self.interpreter = interpreter
    self.options = options
  }

  /// True while the watcher's thread runs.
  public var isWatching: Bool { lock.withLock { thread != nil } }

  /// How many reloads the watcher has attempted so far.
  public var reloadAttempts: Int { lock.withLock { attempts } }

  /// The directories watched now.
  public var directories: Set<String> { lock.withLock { watchedDirectories } }

  /// Watches the directory of every loaded module's file, and of modules loaded later.
  public func watchLoadedModules() throws {
    let directories = loadedModuleDirectories()
    guard !directories.isEmpty else {
      throw OxurError("watch", "no module loaded from a file: nothing to watch (load one first, or (watch \"dir\"))")
    }
    lock.withLock { followsLoadedModules = true }
    for directory in directories { request(directory, recursive: false) }
    start()
    waitUntilWatching()
  }

  /// Watches `directory` and every directory under it.
  public func watch(directory: String) throws {
    let path = URL(fileURLWithPath: directory).standardizedFileURL.path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw OxurError("watch", "watch: \(directory) is not a directory")
    }
    request(path, recursive: true)
    start()
    waitUntilWatching()
  }

  /// Returns once the watcher's thread watches every directory asked for, so a save made right
  /// after `watch` returns is seen. Bounded: from `(watch)` the thread may be waiting for the
  /// evaluator lock this thread holds, to finish a reload.
  private func waitUntilWatching() {
    let deadline = Date().addingTimeInterval(1)
    applied.lock()
    defer { applied.unlock() }
    while lock.withLock({ !requests.isEmpty || applying }) && Date() < deadline {
      _ = applied.wait(until: min(deadline, Date().addingTimeInterval(0.01)))
    }
  }

  /// Stops watching; returns once the watcher's thread has ended (or after a second).
  public func stop() {
    let waiting: DispatchSemaphore? = lock.withLock {
      defer {
        thread = nil
        finished = nil
        followsLoadedModules = false
        watchedDirectories = []
        requests = []
      }
      return thread == nil ? nil : finished
    }
    guard let waiting else { return }
    lock.withLock { stopRequested }.raise()
    // From `(unwatch)` this thread holds the evaluator lock a pending reload waits for: do not
    // wait for the watcher then (it ends after that reload).
    if interpreter.runtime.lock.isHeldByCurrentThread { return }
    _ = waiting.wait(timeout: .now() + 1)
  }

  private func request(_ directory: String, recursive: Bool) {
    lock.withLock {
      if watchedDirectories.insert(directory).inserted || recursive { requests.append((directory, recursive)) }
    }
  }

  /// With the directory of each symlinked module file's target: that is where it is edited.
  private func loadedModuleDirectories() -> Set<String> {
    Set(
      interpreter.modules().compactMap(\.path).flatMap { path -> [String] in
        let url = URL(fileURLWithPath: path)
        return [url.deletingLastPathComponent().path, url.resolvingSymlinksInPath().deletingLastPathComponent().path]
      })
  }

  private func start() {
    lock.lock()
    defer { lock.unlock() }
    if thread != nil { return }
    let stopRequested = StopFlag()
    self.stopRequested = stopRequested
    let done = DispatchSemaphore(value: 0)
    let source = options.backend.makeSource()
    let loop = WatchLoop(watcher: self, source: source)
    let made = Thread { [stopRequested] in
      loop.run(until: { stopRequested.isRaised })
      done.signal()
    }
    made.name = "treebeard-watch"
    thread = made
    finished = done
    made.start()
  }

  // MARK: the watcher thread's side

  /// Watches the directories asked for since the last call with `source`.
  fileprivate func applyRequests(to source: ChangeSource) {
    let taken: [(path: String, recursive: Bool)] = lock.withLock {
      defer {
        requests = []
        applying = true
      }
      return requests
    }
    for request in taken { source.add(directory: request.path, recursive: request.recursive) }
    lock.withLock { applying = false }
    applied.lock()
    applied.broadcast()
    applied.unlock()
  }

  /// After a reload (which may have imported modules from new places), watch their directories.
  fileprivate func followNewModules() {
    guard lock.withLock({ followsLoadedModules }) else { return }
    for directory in loadedModuleDirectories() { request(directory, recursive: false) }
  }

  fileprivate func countAttempt() { lock.withLock { attempts += 1 } }

  fileprivate var target: Interpreter { interpreter }
}

/// A flag one thread raises and another polls.
private final class StopFlag: Sendable {
  private let raised = Atomic<Bool>(false)
  func raise() { raised.store(true, ordering: .sequentiallyConsistent) }
  var isRaised: Bool { raised.load(ordering: .sequentiallyConsistent) }
}

/// The state only the watcher's thread touches: the source, pending paths, warnings given.
/// It holds its watcher strongly: a watcher runs until `stop()`, even if its creator lets go.
private final class WatchLoop: @unchecked Sendable {
  private let watcher: Watcher
  private let source: ChangeSource
  private var pending: Set<String> = []
  private var lastChange = Date.distantPast
  /// Module files already warned about (deleted, turned into a directory, unreadable): one
  /// warning each time, not one per event; forgotten once the file reads again.
  private var warnedDeleted: Set<String> = []
  /// Files whose header now names another module, and that name (warned about once).
  private var renamedWarnings: [String: String] = [:]
  /// The content hashes of saves that failed to reload, so touching one again says nothing new
  /// (until a reload commits: then it may load). Several per file: an in-place save seen
  /// half-way (the file emptied, then written) failed as an empty file, and when one hash was
  /// all that was kept the same broken content written back counted as news and was reported
  /// again. At most `failedHashesKept` per file.
  private var failedHashes: [String: [String]] = [:]
  private static let failedHashesKept = 8

  private func noteFailed(_ path: String, _ hash: String?) {
    guard let hash else { return }
    var known = failedHashes[path] ?? []
    guard !known.contains(hash) else { return }
    if known.count >= Self.failedHashesKept { known.removeFirst() }
    known.append(hash)
    failedHashes[path] = known
  }
  /// The files of loaded modules as of the last reload.
  private var loadedPaths: Set<String> = []
  /// Module files whose saved content is not loaded because the transaction it was part of
  /// failed (`b` saved together with a broken `a`). They go in again with the next save that
  /// brings something new, so fixing `a` loads `b` too instead of leaving its save unread.
  private var stale: Set<String> = []

  init(watcher: Watcher, source: ChangeSource) {
    self.watcher = watcher
    self.source = source
  }

  func run(until stopped: () -> Bool) {
    let debounce = watcher.options.debounce
    while !stopped() {
      watcher.applyRequests(to: source)
      let quietUntil = lastChange.addingTimeInterval(debounce)
      // Short waits so `stop()` and new directories are noticed promptly.
      let timeout = pending.isEmpty ? 0.1 : max(0, min(0.1, quietUntil.timeIntervalSinceNow))
      // Only module files count: a program's log or output file in the same directory, written
      // all the time, must not keep the debounce from ever going quiet.
      let changed = source.waitForChanges(timeout: timeout).filter(isModuleFile)
      if !changed.isEmpty {
        pending.formUnion(changed)
        lastChange = Date()
        continue
      }
      if !pending.isEmpty, Date() >= lastChange.addingTimeInterval(debounce), !stopped() {
        let paths = pending
        pending = []
        reload(paths)
      }
    }
    source.close()
  }

  /// Module files end in `.oxur`; a module loaded from another name is known by its path.
  private func isModuleFile(_ path: String) -> Bool {
    path.hasSuffix(".oxur") || loadedPaths.contains(path)
  }

  /// Reloads the loaded modules among `paths` whose content differs from the loaded version.
  private func reload(_ paths: Set<String>) {
    let interpreter = watcher.target
    // A module loaded through a symlink changes at its target's path: known by both, read by
    // its own (the path it was loaded from, or the loader would see another file claim it).
    // A file whose `(module …)` header changed loads as another module, and the old one stays,
    // both claiming the path: the file belongs to the one loaded from it last (what it held
    // last), or its unchanged saves reloaded and its failures named the other.
    var byPath: [String: ModuleInfo] = [:]
    /// Every module each path was loaded as (a header changed and loaded by hand: two).
    var namesByPath: [String: Set<String>] = [:]
    for module in interpreter.modules() {
      guard let path = module.path else { continue }
      namesByPath[path, default: []].insert(module.name)
      for key in Set([path, URL(fileURLWithPath: path).resolvingSymlinksInPath().path]) {
        if let claimant = byPath[key], claimant.loadedAt > module.loadedAt { continue }
        byPath[key] = module
      }
    }
    loadedPaths = Set(byPath.keys)
    var changed: [String] = []
    var hashes: [String: String] = [:]
    var prepared: [PreparedModule] = []
    var retried: [PreparedModule] = []
    /// Saves that cannot even be prepared (not UTF-8), with why.
    var unpreparable: [(module: ModuleInfo, why: String)] = []
    // A new or unrelated file is not ours; a stale one is looked at again.
    stale = stale.filter { byPath[$0] != nil }
    let modulePaths = Set(paths.compactMap { byPath[$0]?.path }).union(stale)
    for path in modulePaths.sorted() {
      guard let module = byPath[path] else { continue }
      guard let data = FileManager.default.contents(atPath: path) else {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
          // Unreadable for a moment (a save in flight) says nothing; a directory or a file this
          // process may not read stays so until someone acts, which they must be told, once.
          let why =
            isDirectory.boolValue
            ? "is now a directory" : FileManager.default.isReadableFile(atPath: path) ? nil : "cannot be read"
          if let why, warnedDeleted.insert(path).inserted {
            interpreter.runtime.reportProblem(
              "⚠ \(display(path)) \(why); \(module.name) version \(module.version) keeps answering\n")
            interpreter.runtime.errorOutput.flush()
          }
          continue
        }
        if warnedDeleted.insert(path).inserted {
          interpreter.runtime.reportProblem(
            "⚠ \(display(path)) was deleted; \(module.name) version \(module.version) keeps answering\n")
          interpreter.runtime.errorOutput.flush()
        }
        continue
      }
      warnedDeleted.remove(path)
      let hash = ContentHash.of(data)
      if hash == module.contentHash {
        stale.remove(path)
        continue
      }
      // Content already known to fail is news to nobody: it only goes in again beside news.
      let isNews = failedHashes[path]?.contains(hash) != true
      if !isNews && !stale.contains(path) { continue }
      // Read and parsed here, on the watcher's thread: the running program waits only for
      // the transaction itself.
      let ready: PreparedModule
      do { ready = try interpreter.prepare(path: path) } catch {
        // The same bytes still there: not a save caught moving but one that is no module text
        // (not UTF-8). It is a broken save like any other, and fails the saves made with it.
        if isNews, let again = FileManager.default.contents(atPath: path), ContentHash.of(again) == hash {
          noteFailed(path, hash)
          stale.insert(path)
          unpreparable.append((module, (error as? OxurError).map(ErrorRenderer.summary) ?? "\(error)"))
        }
        continue
      }
      guard ready.contentHash == hash else { continue }
      // A header renamed (mid-edit, or for good) is not a reload of this module, nor a load of
      // another: every name typed on the way was loaded as a module of its own. As reload-all
      // does, the module stays and the save waits for its header to come back.
      if let declared = ready.declaredModule, declared != module.name, namesByPath[path]?.contains(declared) != true {
        if renamedWarnings[path] != declared {
          renamedWarnings[path] = declared
          interpreter.runtime.reportProblem(
            "⚠ \(display(path)) now declares module \(declared); keeping \(module.name) version \(module.version)"
              + " (load the file to add \(declared))\n")
          interpreter.runtime.errorOutput.flush()
        }
        continue
      }
      renamedWarnings[path] = nil
      hashes[path] = hash
      if isNews {
        changed.append(path)
        prepared.append(ready)
      } else {
        retried.append(ready)
      }
    }
    if let broken = unpreparable.first {
      // One transaction for the files saved together, as when one fails to analyze: none loads,
      // and the others wait (stale) for the next save that brings news.
      for path in changed { noteFailed(path, hashes[path]) }
      stale.formUnion(changed)
      let held = unpreparable.map(\.module) + changed.compactMap { byPath[$0] }
      let kept =
        held.count == 1
        ? "✗ Module not reloaded (keeping version \(broken.module.version))"
        : "✗ No module reloaded (keeping " + held.map { "\($0.name) v\($0.version)" }.joined(separator: ", ") + ")"
      interpreter.runtime.reportProblem(unpreparable.map { "✗ \($0.why)\n" }.joined() + kept + "\n")
      interpreter.runtime.errorOutput.flush()
      return
    }
    guard !changed.isEmpty else { return }
    // The stale files with the news first (what they waited for may have come); if that fails,
    // the news alone, as if nothing were stale, so one broken file does not hold back the rest.
    wasInterrupted = false
    if !retried.isEmpty, commit(prepared + retried, interpreter: interpreter, reportingFailure: false) {
      stale.subtract(retried.map(\.path))
      return
    }
    // Stopped by Ctrl-C: not run again alone (an endless top level would need a second one),
    // and not remembered as failed content: the same save, saved again, is tried again.
    if !wasInterrupted, commit(prepared, interpreter: interpreter, reportingFailure: true) { return }
    stale.formUnion(changed)
    if !wasInterrupted {
      // The content this pass read failed; a later save (another hash) is tried again, and
      // these go in again beside it.
      for path in changed { noteFailed(path, hashes[path]) }
    }
  }

  /// Set by `commit`: its last reload was stopped by an interrupt (`Interpreter.sessionReloads`).
  private var wasInterrupted = false

  /// Reloads `prepared` in one transaction and prints its lines; false when it failed (the
  /// failure printed when `reportingFailure`, an interrupt always). The lines print before the
  /// evaluator is given back, so an entry that waited for the reload answers after them.
  private func commit(_ prepared: [PreparedModule], interpreter: Interpreter, reportingFailure: Bool) -> Bool {
    let runtime = interpreter.runtime
    watcher.countAttempt()
    let start = DispatchTime.now().uptimeNanoseconds
    // Under the session's reload handle: the REPL's or the program's Ctrl-C stops a saved
    // top level that never ends (the reload rolls back) instead of leaving it the evaluator.
    let handle = interpreter.sessionReloads
    handle.reset()
    wasInterrupted = false
    var reported = false
    let report: Interpreter.ReloadReport = { result in
      reported = true
      switch result {
      case .success(let outcomes):
        let measured = Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
        // What the reload might break elsewhere, as `(reload)` says it (DESIGN.md §6): one
        // module's outcome carries its whole transaction's, several modules' each their own.
        let warnings =
          prepared.count == 1
          ? outcomes.first.map { $0.warnings + $0.breakageWarnings } ?? [] : outcomes.flatMap(\.breakageWarnings)
        // Written while the evaluator is held: a stalled log pipe stops the program for as long
        // as the write waits, so thousands of lines are summed up (the record keeps them all).
        let shown = warnings.prefix(Self.warningsShown).map { $0 + "\n" }.joined()
        let more = warnings.count - Self.warningsShown
        let rest = more > 0 ? "⚠ … and \(more) more: (reload-stats '\(outcomes.first?.module ?? "")) lists them\n" : ""
        if !warnings.isEmpty { runtime.reportProblem(shown + rest) }
        runtime.output.write(ReloadLine.lines(outcomes, measured: measured).map { $0 + "\n" }.joined())
        runtime.output.flush()
      case .failure(let error):
        Self.reportFailure(error, runtime: runtime, reportingFailure: reportingFailure)
      }
    }
    do {
      if prepared.count == 1, let only = prepared.first {
        try interpreter.reload(prepared: only, handle: handle, report: report)
      } else {
        // Several files at once (a branch switch, a refactoring): one all-or-nothing transaction.
        try interpreter.reloadAll(prepared: prepared, handle: handle, report: report)
      }
      // A commit may be what a failed save lacked (a name it imports from the module just
      // reloaded): saving that file again, unchanged, must try it again.
      failedHashes = [:]
      stale.subtract(prepared.map(\.path))
      watcher.followNewModules()
      return true
    } catch {
      wasInterrupted = Self.isInterrupt(error)
      // Stopped while it waited for the evaluator: nothing ran, nothing was printed yet.
      if !reported { Self.reportFailure(error, runtime: runtime, reportingFailure: reportingFailure) }
    }
    return false
  }

  /// Warnings a reload prints before summing up the rest.
  static let warningsShown = 20

  private static func isInterrupt(_ error: any Error) -> Bool {
    if let failure = error as? LoadFailure { return failure.error.kind == "interrupted" }
    return (error as? OxurError)?.kind == "interrupted"
  }

  /// The failure when `reportingFailure`; an interrupted reload also says it may be retried,
  /// whether or not its failure is reported (it is not tried again alone this time).
  private static func reportFailure(_ error: any Error, runtime: Runtime, reportingFailure: Bool) {
    if reportingFailure {
      if let failure = error as? LoadFailure {
        runtime.reportProblem(failure.report + "\n")
      } else {
        runtime.reportProblem("✗ Auto-reload failed: \(error)\n")
      }
    }
    if isInterrupt(error) {
      runtime.reportProblem("✗ Auto-reload interrupted (nothing changed); save again to retry\n")
    }
    runtime.errorOutput.flush()
  }

  private func display(_ path: String) -> String {
    let directory = FileManager.default.currentDirectoryPath + "/"
    return path.hasPrefix(directory) ? String(path.dropFirst(directory.count)) : path
  }
}
