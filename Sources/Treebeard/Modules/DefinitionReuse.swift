// Reusing the analyzed code of top-level definitions a reload did not change.

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
final class ReusableDefinition {
  let file: SourceFile
  let line: Int
  let column: Int
  /// The definition's lines, first token to last, in `file`'s UTF-8.
  let bytes: Range<Int>
  let name: Symbol
  let code: TopLevelCode
  let fingerprint: UInt64?
  let resolutions: [(query: ResolutionQuery, answer: ResolutionAnswer)]
  let documentation: Documentation?
  let externalUses: [ExternalUse]
  let unresolved: [(name: String, span: Span)]

  init(
    file: SourceFile, line: Int, column: Int, bytes: Range<Int>, name: Symbol, code: TopLevelCode,
    fingerprint: UInt64?, resolutions: [(query: ResolutionQuery, answer: ResolutionAnswer)],
    documentation: Documentation?, externalUses: [ExternalUse], unresolved: [(name: String, span: Span)]
  ) {
    self.file = file
    self.line = line
    self.column = column
    self.bytes = bytes
    self.name = name
    self.code = code
    self.fingerprint = fingerprint
    self.resolutions = resolutions
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
    var starts = [0]
    var count = 0
    for byte in text.utf8 {
      count += 1
      if byte == 0x0A { starts.append(count) }
    }
    self.starts = starts
    self.byteCount = count
  }

  var lineCount: Int { starts.count }

  /// Bytes of lines `first...last` (1-based), newline of the last included; nil when out of range.
  func bytes(lines first: Int, through last: Int) -> Range<Int>? {
    guard first >= 1, last >= first, last <= starts.count else { return nil }
    let end = last < starts.count ? starts[last] : byteCount
    return starts[first - 1]..<end
  }
}

/// One module's staging against the version it replaces: finds the code that can be reused.
/// Reused definitions are not timed one by one (two clock reads cost more than checking one):
/// `stageModule` counts the time its forms took beyond the timed phases as evaluation.
struct DefinitionReuse {
  private let previous: [Int: ReusableDefinition]
  let file: SourceFile
  let lines: LineTable

  init(previous: ModuleVersion?, file: SourceFile) {
    self.previous = previous?.reusable ?? [:]
    self.file = file
    self.lines = LineTable(file.text)
  }

  /// The whole lines from `form`'s first token to its last. Every span in its code points into
  /// them, and what follows the last token (closing brackets, space, comments) cannot change
  /// what the form reads as: so the same bytes here, at the same place, mean the same code.
  func region(of form: Syntax) -> Range<Int>? {
    lines.bytes(lines: form.span.line, through: DefinitionReuse.lastTokenLine(of: form))
  }

  /// The line of the last token: tokens come in reading order, so it is the last element's,
  /// all the way down.
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

  /// Recorded code for `form` whose text and position are unchanged, if any. The caller
  /// still checks that its resolutions hold.
  func candidate(for form: Syntax) -> ReusableDefinition? {
    let span = form.span
    guard let recorded = previous[span.line], recorded.column == span.column, recorded.file.name == file.name,
      let region = region(of: form), region.count == recorded.bytes.count
    else { return nil }
    return DefinitionReuse.sameBytes(recorded.file.text, recorded.bytes, file.text, region) ? recorded : nil
  }

  static func sameBytes(_ a: String, _ aRange: Range<Int>, _ b: String, _ bRange: Range<Int>) -> Bool {
    var a = a
    var b = b
    let equal = a.withUTF8 { aBytes in
      b.withUTF8 { bBytes in
        guard aRange.upperBound <= aBytes.count, bRange.upperBound <= bBytes.count else { return false }
        return aBytes[aRange].elementsEqual(bBytes[bRange])
      }
    }
    return equal
  }
}

extension Runtime {
  /// Runs a top-level form of a module being staged: its recorded code when the reuse rules allow,
  /// else expanded and analyzed as usual, recording what its analysis asked for the next load.
  func stageTopLevelForm(
    _ form: Syntax, reuse: DefinitionReuse, analyzer: Analyzer, staging: ModuleVersion, machine: Machine
  ) throws {
    if let recorded = reuse.candidate(for: form), analyzer.stillResolves(recorded.resolutions) {
      analyzer.knownNames.insert(recorded.name.name)
      if let documentation = recorded.documentation { staging.documentation[recorded.name] = documentation }
      staging.externalUses += recorded.externalUses
      analyzer.unresolved += recorded.unresolved
      if let fingerprint = recorded.fingerprint { staging.recordFingerprint(name: recorded.name, hash: fingerprint) }
      staging.reusable[recorded.line] = recorded
      staging.reusedDefinitions += 1
      _ = try run(recorded.code, machine: machine)
      return
    }
    let log = ResolutionLog()
    let externalUsesBefore = staging.externalUses.count
    let unresolvedBefore = analyzer.unresolved.count
    analyzer.resolutionLog = log
    defer { analyzer.resolutionLog = nil }
    _ = try evaluateTopLevel(form, analyzer: analyzer, machine: machine)
    guard !log.blocked, log.definitions == 1, log.analyzed.count == 1, let (expanded, code) = log.analyzed.first,
      let items = expanded.listElements, items.count >= 2, let head = items[0].symbolName,
      head == "def" || head == "defonce", let name = items[1].symbolName,
      let region = reuse.region(of: form), form.span.file === reuse.file,
      staging.externalUses.count >= externalUsesBefore, analyzer.unresolved.count >= unresolvedBefore
    else { return }
    let symbol = Symbol.intern(name)
    staging.reusable[form.span.line] = ReusableDefinition(
      file: reuse.file, line: form.span.line, column: form.span.column, bytes: region, name: symbol, code: code,
      fingerprint: staging.fingerprints[symbol], resolutions: log.distinctEntries(),
      documentation: staging.documentation[symbol], externalUses: Array(staging.externalUses[externalUsesBefore...]),
      unresolved: Array(analyzer.unresolved[unresolvedBefore...]))
  }
}
