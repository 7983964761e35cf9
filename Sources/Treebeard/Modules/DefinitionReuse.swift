// Reusing the analyzed code of top-level definitions a reload did not change.

import Foundation
import OxurSyntax

/// The analyzed code of one top-level `def` and everything needed to decide that a later load
/// may run it again instead of analyzing the form anew. Immutable: versions share it.
///
/// Reuse requires the definition's lines to be byte for byte the same *at the same line and
/// column* (so every span in the code, and every source line an error quotes, is already the
/// new file's), and every question its analysis asked of the module (what each free name,
/// alias and macro head meant) to get the same answer now. Code that holds objects of its
/// version — a user macro's expansion, a struct layout, an own enum's variants — is never
/// recorded. A definition that moved is analyzed again: re-pointing spans would mean
/// rebuilding the nodes, which is the work being saved.
///
/// Spans keep their file's whole text alive, so reused code keeps the text of the load that
/// analyzed it. Code is reused for at most `DefinitionReuse.maximumAge` reloads after that, then
/// analyzed again: otherwise a long session editing a different function each time would keep
/// one old copy of a large file per function.
final class ReusableDefinition {
  let file: SourceFile
  /// The module's highest version number when this was analyzed (what `maximumAge` counts from).
  let analyzedAt: Int
  let line: Int
  let column: Int
  /// In `file`'s UTF-8: from the start of the definition's first line to its end or the end of
  /// its last token's line, whichever is later. The same bytes at the same line mean the same
  /// form, read from the same place, quoting the same lines.
  let bytes: Range<Int>
  /// Where the form starts and ends, counted from `bytes.lowerBound`, and the line and column
  /// just past its end (the same wherever the same bytes stand at the same line).
  let formStart: Int
  let formEnd: Int
  let endLine: Int
  let endColumn: Int
  let name: Symbol
  /// What `DefinitionScan` finds in the form (the name forward references resolve to).
  let scannedName: String?
  let code: TopLevelCode
  let fingerprint: UInt64?
  let resolutions: [Resolution]
  /// Call heads asked about as user macros while the module had none (`ResolutionLog`).
  let namesAskedAsMacrosWhileNone: MacroNameBits
  let documentation: Documentation?
  let externalUses: [ExternalUse]
  let unresolved: [(name: String, span: Span)]

  init(
    file: SourceFile, analyzedAt: Int, at place: TopLevelForm, bytes: Range<Int>, name: Symbol, scannedName: String?,
    code: TopLevelCode, fingerprint: UInt64?, resolutions: [Resolution], namesAskedAsMacrosWhileNone: MacroNameBits,
    documentation: Documentation?, externalUses: [ExternalUse], unresolved: [(name: String, span: Span)]
  ) {
    self.file = file
    self.analyzedAt = analyzedAt
    self.line = place.line
    self.column = place.column
    self.bytes = bytes
    self.formStart = place.start - bytes.lowerBound
    self.formEnd = place.end - bytes.lowerBound
    self.endLine = place.endLine
    self.endColumn = place.endColumn
    self.name = name
    self.scannedName = scannedName
    self.code = code
    self.fingerprint = fingerprint
    self.resolutions = resolutions
    self.namesAskedAsMacrosWhileNone = namesAskedAsMacrosWhileNone
    self.documentation = documentation
    self.externalUses = externalUses
    self.unresolved = unresolved
  }
}

/// Where each line of a source text starts, in UTF-8 bytes.
struct LineTable {
  private let starts: [Int]
  let byteCount: Int

  init(_ text: String) {
    var text = text
    var starts = [0]
    let count = text.withUTF8 { bytes -> Int in
      guard let base = bytes.baseAddress else { return 0 }
      var offset = 0
      while offset < bytes.count, let found = memchr(base + offset, 0x0A, bytes.count - offset) {
        offset = base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
        starts.append(offset)
      }
      return bytes.count
    }
    self.starts = starts
    self.byteCount = count
  }

  /// Offset of the first byte of 1-based `line`, nil when out of range.
  func start(of line: Int) -> Int? { line >= 1 && line <= starts.count ? starts[line - 1] : nil }

  /// Offset just past `line` (its newline included).
  func end(of line: Int) -> Int? {
    guard line >= 1, line <= starts.count else { return nil }
    return line < starts.count ? starts[line] : byteCount
  }
}

/// One module's staging against the version it replaces: finds the code that can be reused.
/// Reused definitions are not timed one by one (two clock reads cost more than checking one):
/// `stageModule` counts the time its forms took beyond the timed phases as evaluation.
struct DefinitionReuse {
  private let previous: [SourceLine: ReusableDefinition]
  let file: SourceFile
  let lines: LineTable
  /// The module's highest version number now.
  let generation: Int
  /// Reloads after its analysis that code may be reused for (see `ReusableDefinition`): twice
  /// the default history, so the kept versions share at most two generations of code.
  static let maximumAge = 32

  init(previous: ModuleVersion?, file: SourceFile, generation: Int) {
    self.previous = previous?.reusable ?? [:]
    self.file = file
    self.lines = LineTable(file.text)
    self.generation = generation
  }

  /// The bytes a definition at `place` is compared by (see `ReusableDefinition.bytes`).
  func region(of place: TopLevelForm, form: Syntax) -> Range<Int>? {
    // A form on one line has its last token on that line: no walk down to find it.
    let lastTokenLine =
      place.endLine == place.line && place.endLine > 0 ? place.line : DefinitionReuse.lastTokenLine(of: form)
    guard let start = lines.start(of: place.line), let lastLine = lines.end(of: lastTokenLine), start <= place.start
    else { return nil }
    return start..<max(lastLine, place.end)
  }

  /// The line of the last token: tokens come in reading order, so it is the last element's,
  /// all the way down. No span in the form points past it.
  static func lastTokenLine(of form: Syntax) -> Int {
    var current = form
    while true {
      switch current.kind {
      case .list(let items), .vector(let items), .map(let items), .set(let items):
        guard let last = items.last else { return current.span.line }
        current = last
      default:
        return current.span.line
      }
    }
  }

  /// The recorded definition whose bytes stand unchanged at this line and column of the new
  /// text, starting at `offset`, and where its form ends here.
  func unchanged(offset: Int, line: Int, column: Int) -> (recorded: ReusableDefinition, end: Int)? {
    guard let recorded = previous[SourceLine(line)], recorded.column == column, recorded.file.name == file.name,
      generation - recorded.analyzedAt < DefinitionReuse.maximumAge,
      let start = lines.start(of: line), start + recorded.formStart == offset,
      start + recorded.bytes.count <= lines.byteCount,
      DefinitionReuse.sameBytes(recorded.file.text, recorded.bytes, file.text, start..<(start + recorded.bytes.count))
    else { return nil }
    return (recorded, start + recorded.formEnd)
  }

  /// Where a skipped form ends, for the reader (`unchanged`, with the end's line and column).
  func skip(offset: Int, line: Int, column: Int) -> (end: Int, line: Int, column: Int)? {
    guard let (recorded, end) = unchanged(offset: offset, line: line, column: column), recorded.endLine > 0 else {
      return nil
    }
    return (end, recorded.endLine, recorded.endColumn)
  }

  /// The recorded definition that may stand for `place` (already read: a prepared source).
  func candidate(for place: TopLevelForm) -> ReusableDefinition? {
    guard let (recorded, end) = unchanged(offset: place.start, line: place.line, column: place.column),
      end == place.end
    else { return nil }
    return recorded
  }

  /// Skipped forms' recorded definitions (a skip was vouched for by `unchanged`).
  func recorded(at line: Int) -> ReusableDefinition? { previous[SourceLine(line)] }

  /// How many definitions the previous version recorded (about as many forms as it read).
  var recordedCount: Int { previous.count }

  static func sameBytes(_ a: String, _ aRange: Range<Int>, _ b: String, _ bRange: Range<Int>) -> Bool {
    var a = a
    var b = b
    return a.withUTF8 { aBytes in
      b.withUTF8 { bBytes in
        guard aRange.lowerBound >= 0, bRange.lowerBound >= 0, aRange.upperBound <= aBytes.count,
          bRange.upperBound <= bBytes.count, aRange.count == bRange.count
        else { return false }
        guard let aBase = aBytes.baseAddress, let bBase = bBytes.baseAddress else { return aRange.isEmpty }
        return memcmp(aBase + aRange.lowerBound, bBase + bRange.lowerBound, aRange.count) == 0
      }
    }
  }
}

extension Runtime {
  /// Runs a top-level form of a module being staged: its recorded code when the reuse rules allow,
  /// else expanded and analyzed as usual, recording what its analysis asked for the next load.
  /// A form the reader skipped is read now if its recorded code no longer holds.
  func stageTopLevelForm(
    _ place: TopLevelForm, scanned: DefinitionScan.DefinedName?, reuse: DefinitionReuse, reader: inout Reader?,
    analyzer: Analyzer,
    staging: ModuleVersion, machine: Machine
  ) throws {
    // A load whose forms call nothing passes no other safe point: Ctrl-C during it was kept
    // pending and then dropped as the load's evaluation ended, and `run` went on to `main`.
    // Reported at the form about to run.
    do { try machine.checkInterrupt() } catch let error as OxurError {
      throw error.located(Span(file: reuse.file, line: place.line, column: place.column))
    }
    // A form the reader was offered to skip and did not has no candidate (the same check failed).
    let recorded =
      place.form == nil
      ? reuse.recorded(at: place.line) : place.skipDeclined ? nil : reuse.candidate(for: place)
    if let recorded, analyzer.noneIsAMacro(recorded.namesAskedAsMacrosWhileNone),
      analyzer.stillResolves(recorded.resolutions)
    {
      // A skipped form's scanned name is known already; others' (a prepared source) not always.
      if place.form != nil || recorded.scannedName != recorded.name.name {
        analyzer.knownNames.insert(recorded.name.name)
      }
      staging.recordFacts(of: recorded.name, fingerprint: recorded.fingerprint, documentation: recorded.documentation)
      // Most definitions have neither: appending nothing still cost ~160 instructions each.
      if !recorded.externalUses.isEmpty { staging.externalUses += recorded.externalUses }
      if !recorded.unresolved.isEmpty { analyzer.unresolved += recorded.unresolved }
      staging.reusable[SourceLine(recorded.line)] = recorded
      staging.reusedDefinitions += 1
      do { _ = try run(recorded.code, machine: machine) } catch let error as OxurError {
        throw error.located(recorded.code.node.span)
      }
      return
    }
    let form: Syntax
    if let read = place.form {
      form = read
    } else {
      if reader == nil { reader = Reader(reuse.file) }
      reader?.seek(offset: place.start, line: place.line, column: place.column)
      let read: Syntax?
      do { read = try reader?.next() } catch { throw OxurError.read(error) }
      guard let read else { throw OxurError("internal", "a skipped form could not be read again", span: .unknown) }
      form = read
    }
    let log = ResolutionLog()
    let externalUsesBefore = staging.externalUses.count
    let unresolvedBefore = analyzer.unresolved.count
    analyzer.resolutionLog = log
    analyzer.sourceMayAssign =
      !form.span.isIn(reuse.file)
      || AssignmentScan.mayFindAssignments(inSource: reuse.file.text, place.start..<place.end)
    analyzer.readHash = place.form == nil ? nil : place.hash
    defer {
      analyzer.resolutionLog = nil
      analyzer.sourceMayAssign = true
      analyzer.readHash = nil
    }
    // An error that knows no place of its own (an interrupt at a safe point, a host
    // builtin's) is reported at the top-level form that was running.
    do { _ = try evaluateTopLevel(form, analyzer: analyzer, machine: machine) } catch let error as OxurError {
      throw error.located(form.span)
    }
    guard !log.blocked, log.definitions == 1, log.analyzedCount == 1, let analyzed = log.firstAnalyzed,
      let items = analyzed.form.listElements, items.count >= 2, let head = items[0].symbolName,
      head == "def" || head == "defonce" || head == "defn", let name = items[1].symbolName,
      let region = reuse.region(of: place, form: form), form.span.isIn(reuse.file),
      staging.externalUses.count >= externalUsesBefore, analyzer.unresolved.count >= unresolvedBefore
    else { return }
    let scanned = scanned ?? DefinitionScan.definedName(in: form)
    guard !scanned.several else { return }
    let symbol = Symbol.intern(name, reusing: log.definedSymbol)
    let facts = staging.facts[symbol]
    staging.reusable[SourceLine(place.line)] = ReusableDefinition(
      file: reuse.file, analyzedAt: reuse.generation, at: place, bytes: region, name: symbol,
      scannedName: scanned.name, code: analyzed.code,
      fingerprint: facts?.fingerprint, resolutions: log.distinctEntries(),
      namesAskedAsMacrosWhileNone: log.namesAskedAsMacrosWhileNone,
      documentation: facts?.documentation,
      externalUses: Array(staging.externalUses[externalUsesBefore...]),
      unresolved: Array(analyzer.unresolved[unresolvedBefore...]))
  }
}

/// A line number as a table key: hashed with a multiply-xorshift mix instead of SipHash, which
/// was two look-ups of about 150 instructions per definition at every reload.
struct SourceLine: Hashable {
  let number: Int
  init(_ number: Int) { self.number = number }
  func _rawHashValue(seed: Int) -> Int { identityHash(number, seed: seed) }
}
