// Loading module files: path lookup, the module's name, reading, and running it into staging.

import Foundation
import OxurSyntax

/// What a module file is before it runs.
struct ModuleSource {
  let path: String
  let text: String
  let contentHash: String
  /// Time taken to read the file, counted in the read phase.
  var readMilliseconds: Double = 0
  /// Forms read ahead of the load, off the evaluator lock (a file watcher's thread).
  var parsed: ParsedSource? = nil
}

extension ModuleVersion {
  /// The text this version was loaded from, as a source to stage again (a macro user
  /// expanded anew, a rollback whose macros changed); nil when its text is not kept.
  var loadedSource: ModuleSource? {
    guard let path, let sourceFile else { return nil }
    return ModuleSource(path: path, text: sourceFile.text, contentHash: contentHash)
  }
}

/// A module file's text read into forms before its load (or the read error it gave).
struct ParsedSource: Sendable {
  let file: SourceFile
  let forms: ParsedForms
}

/// The forms, or the read error. Not a `Result`: instantiating `Result<…, ReadError>` checks
/// its `Error` requirement by scanning every protocol conformance in the executable, about
/// 0.3 M instructions (4 % of start-up), once per process at its first load.
enum ParsedForms: Sendable {
  case read([TopLevelForm])
  case failed(ReadError)

  func get() throws(ReadError) -> [TopLevelForm] {
    switch self {
    case .read(let forms): return forms
    case .failed(let error): throw error
    }
  }
}

extension Runtime {
  /// Absolute, standardised path.
  func absolutePath(_ path: String, relativeTo directory: String? = nil) -> String {
    FilePaths.standardized(path, relativeTo: directory ?? FileManager.default.currentDirectoryPath)
  }

  /// Reads a module file, with one clear message for each way that fails.
  func readModuleSource(_ path: String) throws -> ModuleSource {
    let clock = Stopwatch()
    if path.utf8.contains(0) { throw OxurError("load", "a path cannot contain a NUL character") }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw OxurError("load", "file not found: \(path)")
    }
    if isDirectory.boolValue { throw OxurError("load", "\(path) is a directory, not a module file") }
    // A FIFO or a device read as "permission denied" (Foundation will not read them whole).
    // `stat` follows a symbolic link to the file it names, as loading does.
    if !FileContents.isRegularFile(path) {
      throw OxurError("load", "\(path) is not a regular file (a pipe or a device), not a module file")
    }
    guard FileManager.default.isReadableFile(atPath: path), let data = FileManager.default.contents(atPath: path) else {
      throw OxurError("load", "cannot read \(path): permission denied")
    }
    guard let text = String(data: data, encoding: .utf8) else { throw notUTF8(path, data) }
    return ModuleSource(
      path: path, text: text, contentHash: ContentHash.of(data), readMilliseconds: clock.elapsedMilliseconds)
  }

  /// Placed at the first byte that is not UTF-8, its line shown decoded with replacement
  /// characters: a save in another encoding said only "not valid UTF-8", not where.
  private func notUTF8(_ path: String, _ data: Data) -> OxurError {
    var (line, column) = (1, 1)
    var parser = Unicode.UTF8.ForwardParser()
    var bytes = data.makeIterator()
    while case .valid(let scalar) = parser.parseScalar(from: &bytes) {
      if scalar.count == 1 && scalar.first == UInt8(ascii: "\n") {
        (line, column) = (line + 1, 1)
      } else {
        column += 1
      }
    }
    let file = SourceFile(name: displayName(path), text: String(decoding: data, as: UTF8.self))
    return OxurError("load", "\(path) is not valid UTF-8 text", span: Span(file: file, line: line, column: column))
  }

  /// The module a file defines: its `(module …)` header, else its base name. Reads only the
  /// first form, so a file broken further down still names its module.
  func moduleName(of source: ModuleSource) -> String {
    Runtime.headerName(of: source) ?? FilePaths.baseName(source.path)
  }

  /// The module a file's `(module name)` header names; nil without one.
  static func headerName(of source: ModuleSource) -> String? {
    var reader = Reader(SourceFile(name: source.path, text: source.text))
    guard let first = try? reader.next(), case .list(let items) = first.kind, items.count == 2,
      items[0].symbolName == "module", case .symbol(nil, let name) = items[1].kind
    else { return nil }
    return name
  }

  /// A load error about the module a file names, placed at its header (else its first line):
  /// made here, while the file the span points into is alive, so the error keeps it.
  func errorAtHeader(of source: ModuleSource, _ message: String) -> OxurError {
    let file = SourceFile(name: displayName(source.path), text: source.text)
    var reader = Reader(file)
    if let first = try? reader.next(), first.isCall(to: "module") {
      return OxurError("load", message, span: first.span)
    }
    return OxurError("load", message, span: Span(file: file, line: 1, column: 1))
  }

  /// Runs a module file into a staging version inside the open transaction.
  func stageModule(
    _ source: ModuleSource, name: String, reason: LoadTransaction.Reason, machine: Machine
  ) throws {
    guard let transaction else { throw OxurError("internal", "stageModule outside a transaction") }
    HostHooks.beforeStaging(name)
    let entry = registry.entry(name)
    let staging = ModuleVersion(name: name, number: 0, path: source.path, contentHash: source.contentHash)
    if let previous = entry.current { staging.reserveCapacity(like: previous) }
    transaction.stage(entry, staging, reason: reason)
    transaction.stagingNow.insert(name)
    defer { transaction.stagingNow.remove(name) }
    let clock = Stopwatch()
    let file = source.parsed?.file ?? SourceFile(name: displayName(source.path), text: source.text)
    staging.sourceFile = file
    let reuse = DefinitionReuse(
      previous: transaction.previousVersion(of: name), file: file, generation: entry.highestVersion)
    // Forms the previous version read from the very same bytes at the same place are not
    // built again (their code may be reused; if not, they are read then).
    var forms: [TopLevelForm]
    do throws(ReadError) {
      if let parsed = source.parsed {
        forms = try parsed.forms.get()
      } else {
        forms = try Reader.readTopLevel(file, expectedCount: reuse.recordedCount + 16) {
          reuse.skip(offset: $0, line: $1, column: $2)
        }
      }
    } catch { throw OxurError.read(error) }
    let scan = DefinitionScan.names(in: forms)
    var knownNames = scan.names
    // Skipped forms' names are added one by one: growing the set a rehash at a time cost
    // more than the insertions (one-function edit of 1,000 functions).
    knownNames.reserveCapacity(forms.count)
    for place in forms where place.form == nil {
      if let scanned = reuse.recorded(at: place.line)?.scannedName { knownNames.insert(scanned) }
    }
    transaction.addTime(.read, module: name, source.readMilliseconds + clock.elapsedMilliseconds)
    let analyzer = Analyzer(runtime: self, machine: machine, entry: entry, knownNames: knownNames)
    let formsClock = Stopwatch()
    let timedBefore = transaction.phases[name] ?? PhaseTimes()
    var reader: Reader? = nil
    let stagingBefore = (machine.stagingModule, machine.stagingDepth)
    (machine.stagingModule, machine.stagingDepth) = (name, machine.depth)
    defer { (machine.stagingModule, machine.stagingDepth) = stagingBefore }
    var scannedNext = 0
    for index in forms.indices {
      let place = forms[index]
      var scanned: DefinitionScan.DefinedName? = nil
      if scannedNext < scan.scanned.count, scan.scanned[scannedNext].index == index {
        scanned = scan.scanned[scannedNext].defined
        scannedNext += 1
      }
      // Each form's syntax is freed as soon as it is staged, while it is still in the cache:
      // freeing a thousand forms' syntax after the last one touched every object again, cold.
      forms[index].form = nil
      if index == 0, let header = place.form, header.isCall(to: "module") {
        try Analyzer.checkModuleHeader(header)
        continue
      }
      try stageTopLevelForm(
        place, scanned: scanned, reuse: reuse, reader: &reader, analyzer: analyzer, staging: staging,
        machine: machine)
    }
    let timedAfter = transaction.phases[name] ?? PhaseTimes()
    let timed = [LoadPhase.expand, .analyze, .evaluate].reduce(0.0) { $0 + timedAfter[$1] - timedBefore[$1] }
    transaction.addTime(.evaluate, module: name, max(0, formsClock.elapsedMilliseconds - timed))
    // Forms that expand nothing add no expansion time; the phase is still reported.
    transaction.addTime(.expand, module: name, 0)
    for (name, span) in analyzer.unresolved where staging.bindings[Symbol.intern(name)] == nil {
      throw OxurError("unknown-name", "unknown name: \(name)\(knownNameHint(name, in: staging))", span: span)
    }
    staging.shareOrderWhenEqual()
  }

  /// Reads a module's text into forms. Touches no interpreter state, so it may run on any
  /// thread without the evaluator lock.
  /// Nil when the text nests too deeply for this thread's stack (a watcher's or a server's
  /// thread has far less than the evaluator's): the load then reads it again on its own stack,
  /// so where a file is prepared never decides whether it loads.
  func parse(_ source: ModuleSource) -> ParsedSource? {
    let file = SourceFile(name: displayName(source.path), text: source.text)
    do throws(ReadError) { return ParsedSource(file: file, forms: .read(try Reader.readTopLevel(file))) } catch {
      if error.exhaustedStack { return nil }
      return ParsedSource(file: file, forms: .failed(error))
    }
  }

  /// Paths in messages: relative to the working directory when inside it.
  func displayName(_ path: String) -> String {
    let directory = FileManager.default.currentDirectoryPath + "/"
    return path.hasPrefix(directory) ? String(path.dropFirst(directory.count)) : path
  }

  /// `import`: loads `module` from beside the importing file or the load path, unless loaded.
  func ensureLoaded(module: String, importedFrom: String?, span: Span, machine: Machine) throws {
    if transaction?.isStaging(module) == true { return }
    if let transaction, let pending = transaction.pendingSources[module] {
      try stageModule(pending.source, name: module, reason: pending.reason, machine: machine)
      return
    }
    if let current = registry.existingEntry(module)?.current, current.number > 0 { return }
    let fileName = module.replacingOccurrences(of: ".", with: "/") + ".oxur"
    var candidates: [String] = []
    if let importedFrom {
      candidates.append(
        URL(fileURLWithPath: importedFrom).deletingLastPathComponent().appendingPathComponent(fileName).path)
    }
    candidates.append(contentsOf: loadPath.map { URL(fileURLWithPath: $0).appendingPathComponent(fileName).path })
    candidates.append(absolutePath(fileName))
    guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
      throw OxurError(
        "load", "cannot import \(module): no \(fileName) beside the importing file or on the load path", span: span)
    }
    let source = try readModuleSource(absolutePath(path))
    let declared = moduleName(of: source)
    guard declared == module else {
      throw OxurError("load", "\(path) defines module \(declared), not \(module)", span: span)
    }
    // Inside a load this joins its transaction; otherwise it is a transaction of its own.
    _ = try loadTransaction(sources: [(source, module)], reason: .imported, announce: true, machine: machine)
  }

  /// Runs a whole transaction over the given files: stage all, then commit all or roll back all.
  /// Inside an open transaction (a nested load) the files join it instead; `reason` says why
  /// they are there.
  func loadTransaction(
    sources: [(ModuleSource, String)], reason: LoadTransaction.Reason = .requested, macroUsers: Set<String> = [],
    dryRun: Bool = false, force: Bool = false, announce: Bool = false, started: Stopwatch = Stopwatch(),
    machine: Machine
  ) throws -> [CommittedModule] {
    if let transaction {
      if dryRun { throw OxurError("load", "a dry run cannot run inside another load") }
      try transaction.refuseInHook("load or reload modules")
      if transaction.isRollback {
        // A rollback restores code; it takes no file's present text into its commit. A top
        // level it runs again (a re-expansion) keeps the modules it loads as they are, and one
        // it would load for the first time is refused, as an import of it is.
        for (_, name) in sources where !transaction.isStaging(name) && registry.existingEntry(name)?.current == nil {
          let loader = machine.stagingModule.map { "the restored top level of \($0)" } ?? "the restored code"
          throw OxurError("rollback", "\(loader) loads \(name), which is not loaded now; load it first")
        }
        return []
      }
      // A load inside a load joins it. Staging a module twice means a file (re)loads itself,
      // directly or through others: that recursed until the host stack overflowed.
      transaction.nestedLoads += 1
      defer { transaction.nestedLoads -= 1 }
      do {
        for (source, name) in sources {
          if transaction.isStaging(name) {
            // Staged and done already (a deeper nested reload-all reached it first): loaded in
            // this transaction. Only a module whose staging is still running loads itself.
            guard transaction.stagingNow.contains(name) else { continue }
            throw OxurError("load", "module \(name) is already being loaded (a file that loads itself)")
          }
          // Depth, not the number staged: a script's top level may reload-all thousands of files.
          if transaction.nestedLoads > LoadTransaction.maximumNesting {
            throw OxurError("load", "loads nested more than \(LoadTransaction.maximumNesting) deep")
          }
          if let loader = machine.stagingModule, loader != name { transaction.loaders[name] = loader }
          try stageModule(
            source, name: name, reason: reason == .requested ? .loadedByTopLevel : reason, machine: machine)
        }
      } catch {
        if transaction.nestedFailure == nil { transaction.nestedFailure = error }
        throw error
      }
      return []
    }
    let opened = LoadTransaction(currentModule: machine.currentModule, keepsOldLayouts: force)
    transaction = opened
    defer { transaction = nil }
    for (source, name) in sources where opened.pendingSources[name] == nil {
      let why = macroUsers.contains(name) ? compileTimeReason(name, changing: sources.map(\.1)) : reason
      opened.pendingSources[name] = (source, why)
    }
    let plan = try stageAndPlan(opened, machine: machine) {
      for (source, name) in sources {
        // Loaded already by a top level staged before it (a `(reload-all)` there, an import):
        // staged twice, it was committed twice, and `(rollback)` then undid neither.
        if opened.isStaging(name) { continue }
        try stageModule(source, name: name, reason: opened.pendingSources[name]?.reason ?? reason, machine: machine)
      }
    }
    if dryRun {
      // Everything up to the commit ran; now undo it exactly, as a failed load would.
      let checked = Set(opened.staged.filter { $0.staging.checkRan }.map(\.entry.name))
      let migrations = opened.migrations
      let providers = Dictionary(
        opened.staged.map { ($0.entry.name, opened.providers(of: $0)) }, uniquingKeysWith: { first, _ in first })
      opened.rollback()
      machine.currentModule = opened.savedCurrentModule
      return plan.items.map {
        CommittedModule(
          name: $0.name, version: $0.version, isReload: $0.isReload, reason: $0.reason,
          providers: providers[$0.name] ?? [], changes: $0.changes,
          warnings: $0.warnings, milliseconds: started.elapsedMilliseconds, checked: checked.contains($0.name),
          migrations: migrations[$0.name] ?? [])
      }
    }
    // Warnings never block, and show before the new code becomes current (DESIGN.md §6) when
    // Oxur code asked for the load; an embedding host gets them in the outcome and decides.
    if announce { for warning in plan.warnings { machine.reportProblem(warning + "\n") } }
    let committed = opened.commit(
      historyLimit: registry.historyLimit, plan: plan, registry: registry, started: started)
    RetiredVersions.release(opened.takeRetired(), lock: lock)
    return committed
  }

  /// Why a module expanded with others' macros or layouts joins their reload.
  func compileTimeReason(_ module: String, changing: [String]) -> LoadTransaction.Reason {
    guard let current = registry.existingEntry(module)?.current else { return .usesChangedMacros }
    if Set(changing).isDisjoint(with: current.macroSources.keys) && !current.layoutSources.isDisjoint(with: changing) {
      return .usesChangedLayouts
    }
    return .usesChangedMacros
  }

  /// Runs `stage` in the open transaction, then everything that must hold before a commit —
  /// no nested load failed, names of other modules exist, every `--check--` passes — and
  /// returns the plan. Any failure rolls the transaction back exactly and rethrows.
  func stageAndPlan(_ opened: LoadTransaction, machine: Machine, _ stage: () throws -> Void) throws -> ReloadPlan {
    do {
      try stage()
      if let failure = opened.nestedFailure { throw failure }
      try checkExternalUses(opened)
      try checkImportCycles(opened)
      try checkCompileTimeCycles(opened)
      try migrateInstances(opened, machine: machine)
      try runChecks(opened, machine: machine)
      // A hook that caught the refusal of a load it asked for (`refuseInHook`).
      if let failure = opened.nestedFailure { throw failure }
      return opened.plan(registry: registry, display: displayName, onStacks: functionsOnStacks(of:))
    } catch {
      opened.rollback()
      machine.currentModule = opened.savedCurrentModule
      throw error
    }
  }

  /// Every name the staged code uses from another module that is loaded (or staged with it)
  /// must exist and be exported there: a typo in `m:f` or `:refer [f]` fails the load, not a
  /// call an hour later. Modules not loaded at all are left to run time.
  func checkExternalUses(_ transaction: LoadTransaction) throws {
    for item in transaction.staged {
      for use in item.staging.externalUses {
        guard let target = registry.existingEntry(use.module)?.current else { continue }
        guard target.provides(use.name) else {
          let offered = (Array(target.bindings.keys) + Array(target.macros.keys)).filter(target.isExported).map(\.name)
          let hint = Suggestions.qualifiedHint(module: use.module, name: use.name.name, among: offered)
          throw OxurError("unknown-name", "unknown name: \(use.module):\(use.name.name)\(hint)", span: use.span)
        }
        // A macro is expanded, never called or passed: a use as a value is a mistake, and a call
        // was analyzed before its module (staged in the same transaction, after this one)
        // defined the macro. Either would fail every time it ran.
        if use.isValue, target.bindings[use.name] == nil, target.macros[use.name] != nil {
          let name = "\(use.module):\(use.name.name)"
          throw OxurError(
            "load",
            use.argumentCount == nil
              ? "\(name) is a macro, not a value: only a call (\(name) …) can use it"
              : "\(name) is a macro, but this code was expanded before \(use.module) defined it; "
                + "(import \(use.module)) to load it first",
            span: use.span)
        }
        if !target.isExported(use.name) {
          throw OxurError("unknown-name", "\(use.name.name) is not exported by module \(use.module)", span: use.span)
        }
      }
    }
  }

  /// " (did you mean …?)" over what code in `version` can name: its definitions and macros,
  /// the prelude, and loaded modules.
  func knownNameHint(_ name: String, in version: ModuleVersion) -> String {
    let own = version.bindings.keys.map(\.name) + version.macros.keys.map(\.name)
    return Suggestions.hint(for: name, among: own + prelude.keys + registry.loadedModules.map(\.name))
  }
}
