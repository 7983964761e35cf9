// Text to Syntax: the whole of LANGUAGE.md §1, never trapping on any input.

/// A top-level form and its place in the text: bytes `start..<end`, starting at `line`:`column`.
/// `form` is nil when the reader was told to skip it.
public struct TopLevelForm: Sendable {
  public var form: Syntax?
  public let start: Int
  public let end: Int
  public let line: Int
  public let column: Int
  /// The line and column where `end` is (just past the form).
  public var endLine = 0
  public var endColumn = 0
  /// `readTopLevel`'s `skip` was asked about this form and did not vouch for it.
  public var skipDeclined = false
  /// The form's `SyntaxHash` as read, nil when it holds a name that looks like a gensym
  /// (definition fingerprints number those, so they walk the form instead).
  public var hash: UInt64? = nil
}

/// Reads Oxur source into forms. Works on UTF-8 bytes with every index checked.
public struct Reader {
  /// Deeper nesting than this is an error rather than a risk to the host's stack.
  public static let maximumNesting = 1000

  private let file: SourceFile
  private let bytes: [UInt8]
  private var position = 0
  private var line = 1
  private var column = 1
  private var nesting = 0
  /// Short ASCII names are made as small strings from their bytes (`name(_:small:)`); read
  /// once here, not at every atom (the flag is a lazily initialised global).
  private let smallNames = SmallUTF8.isLayoutVerified
  /// The `SyntaxHash` of the form `readForm` returned last.
  private var lastHash: UInt64 = 0
  /// A symbol read since this was cleared looks like a gensym (`SyntaxHash.isGensym`).
  private var sawGensym = false

  public init(_ file: SourceFile) {
    self.file = file
    self.bytes = Array(file.text.utf8)
  }

  /// Reads every form in the file.
  public static func readAll(_ file: SourceFile) throws(ReadError) -> [Syntax] {
    var reader = Reader(file)
    var forms: [Syntax] = []
    while let form = try reader.next() { forms.append(form) }
    return forms
  }

  /// Reads the file's top-level forms with where each starts and ends. At each form's start,
  /// `skip` may vouch for the text there (a reload whose previous version read the very same
  /// bytes at the same place): given the start's byte offset, line and column, it returns
  /// where the form ends (offset, and the line and column there), and the form is stepped
  /// over without being built.
  /// `expectedCount` is room to make at once (a reload expects about as many forms as before).
  public static func readTopLevel(
    _ file: SourceFile, expectedCount: Int = 0,
    skip: ((_ offset: Int, _ line: Int, _ column: Int) -> (end: Int, line: Int, column: Int)?)? = nil
  ) throws(ReadError) -> [TopLevelForm] {
    var reader = Reader(file)
    var forms: [TopLevelForm] = []
    // Bounded by the text: a form takes at least one byte.
    forms.reserveCapacity(min(max(0, expectedCount), reader.bytes.count))
    while true {
      try reader.skipAtmosphere()
      guard reader.peek() != nil else { return forms }
      let (start, line, column) = (reader.position, reader.line, reader.column)
      let offered = skip?(start, line, column)
      if let end = offered, end.end > start, end.end <= reader.bytes.count,
        end.line > line || (end.line == line && end.column > column)
      {
        reader.seek(offset: end.end, line: end.line, column: end.column)
        forms.append(
          TopLevelForm(
            form: nil, start: start, end: end.end, line: line, column: column, endLine: end.line,
            endColumn: end.column))
        continue
      }
      reader.sawGensym = false
      guard let form = try reader.readForm() else { continue }
      forms.append(
        TopLevelForm(
          form: form, start: start, end: reader.position, line: line, column: column, endLine: reader.line,
          endColumn: reader.column, skipDeclined: skip != nil, hash: reader.sawGensym ? nil : reader.lastHash))
    }
  }

  /// Moves to a position a `readTopLevel` reported (a form it skipped), to read it after all.
  public mutating func seek(offset: Int, line: Int, column: Int) {
    position = max(0, min(offset, bytes.count))
    self.line = line
    self.column = column
  }

  /// The text of the form that starts at `span`, exactly as written (for `(source name)`), or
  /// nil when no form starts there.
  public static func text(ofFormAt span: Span) -> String? {
    guard let file = span.file, span.isKnown else { return nil }
    var reader = Reader(file)
    while reader.line < span.line || (reader.line == span.line && reader.column < span.column) {
      guard reader.position < reader.bytes.count else { return nil }
      reader.advance()
    }
    let start = reader.position
    guard (try? reader.next()) != nil, start < reader.position, reader.position <= reader.bytes.count else {
      return nil
    }
    return String(decoding: reader.bytes[start..<reader.position], as: UTF8.self)
  }

  /// The next form, or nil at end of input.
  public mutating func next() throws(ReadError) -> Syntax? {
    while true {
      try skipAtmosphere()
      guard peek() != nil else { return nil }
      if let form = try readForm() { return form }
    }
  }

  // MARK: scanning

  private func peek(_ offset: Int = 0) -> UInt8? {
    let index = position + offset
    return index < bytes.count ? bytes[index] : nil
  }

  private var span: Span { Span(file: file, line: line, column: column) }

  private mutating func advance() {
    guard position < bytes.count else { return }
    let byte = bytes[position]
    position += 1
    if byte == 0x0A {
      line += 1
      column = 1
    } else if byte & 0xC0 != 0x80 {
      column += 1
    }
  }

  private static func isWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D || byte == 0x2C || byte == 0x0C
  }

  /// Bytes that end a token (this is the reader's innermost loop): a switch, because a static
  /// table costs a lazy-initialisation check and a bounds check per byte.
  @inline(__always) private static func isDelimiter(_ byte: UInt8) -> Bool {
    switch byte {
    case 0x20, 0x0A, 0x09, 0x0D, 0x2C, 0x0C, 0x28, 0x29, 0x5B, 0x5D, 0x7B, 0x7D, 0x22, 0x3B, 0x27, 0x60, 0x7E, 0x40,
      0x5E:
      return true
    default:
      return false
    }
  }

  /// Whether `byte` ends a token: what the set! pre-scan (`AssignmentScan`) must agree with
  /// when it tells a qualified symbol's colon (`m:f`, `m#:f`) from a keyword's.
  public static func endsToken(_ byte: UInt8) -> Bool { isDelimiter(byte) }

  /// Skips whitespace, commas and `;` comments.
  private mutating func skipAtmosphere() throws(ReadError) {
    while let byte = peek() {
      if Reader.isWhitespace(byte) {
        advance()
      } else if byte == UInt8(ascii: ";") {
        while let b = peek(), b != 0x0A { advance() }
      } else {
        return
      }
    }
  }

  /// Reads one form; returns nil when the text was a `#_` discard.
  private mutating func readForm() throws(ReadError) -> Syntax? {
    guard let byte = peek() else { throw ReadError("unexpected end of input", span, incomplete: true) }
    let start = span
    switch byte {
    case UInt8(ascii: "("):
      return Syntax(.list(try readSequence(closing: UInt8(ascii: ")"), opened: "(", tag: .list)), start)
    case UInt8(ascii: "["):
      return Syntax(.vector(try readSequence(closing: UInt8(ascii: "]"), opened: "[", tag: .vector)), start)
    case UInt8(ascii: "{"):
      let items = try readSequence(closing: UInt8(ascii: "}"), opened: "{", tag: .map)
      if items.count % 2 != 0 {
        throw ReadError("a map literal needs an even number of forms, got \(items.count)", start)
      }
      return Syntax(.map(items), start)
    case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
      advance()
      throw ReadError("unexpected '\(Character(Unicode.Scalar(byte)))'", start)
    case UInt8(ascii: "\""):
      let text = try readString()
      lastHash = SyntaxHash.mix(SyntaxHash.start(.string), SyntaxHash.text(text, layoutVerified: smallNames))
      return Syntax(.string(text), start)
    case UInt8(ascii: "'"):
      return try readWrapped("quote", start)
    case UInt8(ascii: "`"):
      return try readWrapped("quasiquote", start)
    case UInt8(ascii: "@"):
      return try readWrapped("deref", start)
    case UInt8(ascii: "~"):
      if peek(1) == UInt8(ascii: "@") {
        advance()
        return try readWrapped("unquote-splicing", start)
      }
      return try readWrapped("unquote", start)
    case UInt8(ascii: "\\"):
      let char = try readChar()
      lastHash = SyntaxHash.mix(SyntaxHash.start(.char), UInt64(char.value))
      return Syntax(.char(char), start)
    case UInt8(ascii: "#"):
      return try readDispatch(start)
    case UInt8(ascii: "^"):
      advance()
      throw ReadError("unexpected '^' (metadata is not supported)", start)
    default:
      return try readAtom(start)
    }
  }

  private mutating func readWrapped(_ head: String, _ start: Span) throws(ReadError) -> Syntax {
    advance()
    try enterNesting(start)
    defer { nesting -= 1 }
    while true {
      try skipAtmosphere()
      guard peek() != nil else {
        throw ReadError("expected a form after \(head)", start, incomplete: true)
      }
      if let form = try readForm() {
        let headHash = SyntaxHash.symbol(module: nil, name: head, layoutVerified: smallNames)
        let state = SyntaxHash.mix(SyntaxHash.mix(SyntaxHash.start(.list), headHash), lastHash)
        lastHash = SyntaxHash.finish(state, count: 2)
        return Syntax(.list([Syntax.symbol(head, start), form]), start)
      }
    }
  }

  private mutating func enterNesting(_ start: Span) throws(ReadError) {
    nesting += 1
    if nesting > Reader.maximumNesting {
      throw ReadError("forms nested deeper than \(Reader.maximumNesting) levels", start)
    }
    // A level costs two or three host frames (about 9 KiB in a debug build): 1,000 levels
    // overflowed a debug build's 8 MiB main thread, and would a 512 KiB worker's in any build.
    // Asked every 16 levels, which `stackMargin` leaves room for.
    if nesting & 15 == 0 && ThreadStack.isLow(margin: Reader.stackMargin) {
      throw ReadError(
        "forms nested too deeply for this thread's stack (\(nesting) levels)", start, exhaustedStack: true)
    }
  }

  /// Stack kept free below the reader: 16 levels of its deepest frames in a debug build, and
  /// room for whoever catches the error.
  static let stackMargin: UInt = 256 << 10

  /// `closing` as a byte: `Character.asciiValue` cost ~300 instructions per list read.
  /// Sets `lastHash` to the sequence's (`tag` says which kind it is).
  private mutating func readSequence(closing close: UInt8, opened: String, tag: SyntaxHash.Tag) throws(ReadError)
    -> [Syntax]
  {
    let start = span
    advance()
    try enterNesting(start)
    defer { nesting -= 1 }
    var items: [Syntax] = []
    items.reserveCapacity(4)
    var state = SyntaxHash.start(tag)
    var nextMemoryCheck = ReaderMemory.firstCheck
    while true {
      try skipAtmosphere()
      guard let byte = peek() else {
        throw ReadError("unclosed '\(opened)' opened at \(start.line):\(start.column)", start, incomplete: true)
      }
      if byte == close {
        advance()
        lastHash = SyntaxHash.finish(state, count: items.count)
        return items
      }
      if byte == UInt8(ascii: ")") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}") {
        let here = span
        advance()
        throw ReadError(
          "unexpected '\(Character(Unicode.Scalar(byte)))' (expected '\(Character(Unicode.Scalar(close)))' to close '\(opened)' from \(start.line):\(start.column))",
          here)
      }
      if let form = try readForm() {
        if items.count == nextMemoryCheck {
          // The next growth doubles the elements, while the old block is still held.
          nextMemoryCheck = items.count &* 2
          let bytes = items.count.multipliedReportingOverflow(by: 3 * MemoryLayout<Syntax>.stride)
          if let why = ReaderMemory.refusal(bytes: bytes.overflow ? Int.max : bytes.partialValue) {
            throw ReadError("'\(opened)' holds more forms than fit: \(why)", start)
          }
        }
        items.append(form)
        state = SyntaxHash.mix(state, lastHash)
      }
    }
  }

  private mutating func readDispatch(_ start: Span) throws(ReadError) -> Syntax? {
    switch peek(1) {
    case UInt8(ascii: "{"):
      advance()
      return Syntax(.set(try readSequence(closing: UInt8(ascii: "}"), opened: "#{", tag: .set)), start)
    case UInt8(ascii: "_"):
      advance()
      advance()
      try enterNesting(start)
      defer { nesting -= 1 }
      try skipAtmosphere()
      guard peek() != nil else { throw ReadError("expected a form after #_", start, incomplete: true) }
      _ = try readForm()
      return nil
    case UInt8(ascii: "#"):
      advance()
      advance()
      let token = readToken()
      switch token {
      case "Inf", "-Inf", "NaN":
        let value: Double = token == "Inf" ? .infinity : token == "-Inf" ? -.infinity : .nan
        lastHash = SyntaxHash.mix(SyntaxHash.start(.float), value.bitPattern)
        return Syntax(.float(value), start)
      default: throw ReadError("unknown symbolic value ##\(token)", start)
      }
    default:
      advance()
      throw ReadError("unexpected '#'", start)
    }
  }

  /// Reads bytes up to a delimiter as a string (always valid UTF-8 boundaries: delimiters are ASCII).
  private mutating func readToken() -> String {
    let begin = position
    while let byte = peek(), !Reader.isDelimiter(byte) { advance() }
    return String(decoding: bytes[begin..<position], as: UTF8.self)
  }

  private mutating func readString() throws(ReadError) -> String {
    let start = span
    advance()
    var scalars = String.UnicodeScalarView()
    var pending: [UInt8] = []
    func flush() {
      if !pending.isEmpty {
        scalars.append(contentsOf: String(decoding: pending, as: UTF8.self).unicodeScalars)
        pending.removeAll(keepingCapacity: true)
      }
    }
    while true {
      guard let byte = peek() else { throw ReadError("unclosed string", start, incomplete: true) }
      if byte == UInt8(ascii: "\"") {
        advance()
        flush()
        return String(scalars)
      }
      if byte == UInt8(ascii: "\\") {
        let escapeSpan = span
        advance()
        guard let code = peek() else { throw ReadError("unclosed string", start, incomplete: true) }
        advance()
        flush()
        switch code {
        case UInt8(ascii: "n"): scalars.append("\n")
        case UInt8(ascii: "t"): scalars.append("\t")
        case UInt8(ascii: "r"): scalars.append("\r")
        case UInt8(ascii: "0"): scalars.append("\0")
        case UInt8(ascii: "\""): scalars.append("\"")
        case UInt8(ascii: "\\"): scalars.append("\\")
        case UInt8(ascii: "u"): scalars.append(try readUnicodeEscape(escapeSpan))
        default:
          throw ReadError("unknown escape '\\\(Character(Unicode.Scalar(code)))' in string", escapeSpan)
        }
        continue
      }
      pending.append(byte)
      advance()
    }
  }

  /// Reads `{hex}` after `\u`.
  private mutating func readUnicodeEscape(_ start: Span) throws(ReadError) -> Unicode.Scalar {
    guard peek() == UInt8(ascii: "{") else { throw ReadError("expected '{' after \\u", start) }
    advance()
    var digits = ""
    while let byte = peek(), byte != UInt8(ascii: "}") {
      guard digits.count < 8, byte < 0x80, Character(Unicode.Scalar(byte)).isHexDigit else {
        throw ReadError("invalid unicode escape", start)
      }
      digits.append(Character(Unicode.Scalar(byte)))
      advance()
    }
    guard peek() == UInt8(ascii: "}") else { throw ReadError("unclosed unicode escape", start, incomplete: true) }
    advance()
    guard let value = UInt32(digits, radix: 16), let scalar = Unicode.Scalar(value) else {
      throw ReadError("invalid unicode escape \\u{\(digits)}", start)
    }
    return scalar
  }

  private static let namedChars: [String: Unicode.Scalar] = [
    "newline": "\n", "space": " ", "tab": "\t", "return": "\r", "nul": "\0", "backspace": "\u{8}",
    "formfeed": "\u{C}",
  ]

  private mutating func readChar() throws(ReadError) -> Unicode.Scalar {
    let start = span
    advance()
    guard let first = peek() else { throw ReadError("expected a character after \\", start, incomplete: true) }
    if Reader.isDelimiter(first) {
      advance()
      return Unicode.Scalar(first)
    }
    if first == UInt8(ascii: "u"), peek(1) == UInt8(ascii: "{") {
      advance()
      return try readUnicodeEscape(start)
    }
    let token = readToken()
    let scalars = Array(token.unicodeScalars)
    if scalars.count == 1, let only = scalars.first { return only }
    if let named = Reader.namedChars[token] { return named }
    throw ReadError("unknown character literal \\\(token)", start)
  }

  private mutating func readAtom(_ start: Span) throws(ReadError) -> Syntax {
    let begin = position
    while let byte = peek(), !Reader.isDelimiter(byte) { advance() }
    guard begin < position else {
      advance()
      throw ReadError("unexpected character", start)
    }
    let end = position
    // The token is read through a pointer into `bytes`: an `ArraySlice` of it retained and
    // released the whole text's buffer, atomically, for every atom read.
    let atom = bytes.withUnsafeBufferPointer { whole in
      Reader.atomKind(UnsafeBufferPointer(rebasing: whole[begin..<end]), smallNames: smallNames)
    }
    // Consumed, so the kind moves into the syntax instead of being copied and the atom destroyed.
    switch consume atom {
    case .kind(let kind, let hash, let gensymLike):
      lastHash = hash
      if gensymLike { sawGensym = true }
      return Syntax(kind, start)
    case .number:
      let token = bytes.withUnsafeBufferPointer { String(decoding: $0[begin..<end], as: UTF8.self) }
      if let number = try Reader.parseNumber(token, start) {
        lastHash = SyntaxHash.atom(number, layoutVerified: smallNames) ?? 0
        return Syntax(number, start)
      }
      let other = bytes.withUnsafeBufferPointer { whole in
        Reader.nonNumberKind(UnsafeBufferPointer(rebasing: whole[begin..<end]), smallNames: smallNames)
      }
      guard case .kind(let kind, let hash, let gensymLike) = other else {
        throw ReadError("a keyword needs a name after ':'", start)
      }
      lastHash = hash
      if gensymLike { sawGensym = true }
      return Syntax(kind, start)
    case .emptyKeyword:
      throw ReadError("a keyword needs a name after ':'", start)
    }
  }

  /// What an atom's bytes read as, or that they must be parsed as a number (which may throw).
  private enum Atom {
    /// With its `SyntaxHash`, and whether it names something that looks like a gensym.
    case kind(Syntax.Kind, hash: UInt64, gensymLike: Bool)
    case number
    case emptyKeyword
  }

  private static func atomKind(_ token: UnsafeBufferPointer<UInt8>, smallNames: Bool) -> Atom {
    guard let first = token.first else { return .emptyKeyword }
    if let small = Reader.plainDecimal(token) {
      return .kind(
        .int(small), hash: SyntaxHash.mix(SyntaxHash.start(.int), UInt64(bitPattern: Int64(small))), gensymLike: false)
    }
    // Only a token starting with a digit, or a sign then a digit, can be a number.
    let second = token.count > 1 ? token[1] : 0
    let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    if isDigit(first) || ((first == UInt8(ascii: "-") || first == UInt8(ascii: "+")) && isDigit(second)) {
      return .number
    }
    return nonNumberKind(token, smallNames: smallNames)
  }

  private static func nonNumberKind(_ token: UnsafeBufferPointer<UInt8>, smallNames: Bool) -> Atom {
    guard let first = token.first else { return .emptyKeyword }
    switch token.count {
    case 3 where Reader.matches(token, "nil"): return .kind(.nil, hash: SyntaxHash.start(.nil), gensymLike: false)
    case 4 where Reader.matches(token, "true"):
      return .kind(.bool(true), hash: SyntaxHash.start(.true), gensymLike: false)
    case 5 where Reader.matches(token, "false"):
      return .kind(.bool(false), hash: SyntaxHash.start(.false), gensymLike: false)
    default: break
    }
    if first == UInt8(ascii: ":") {
      guard token.count > 1 else { return .emptyKeyword }
      let (text, hash) = Reader.name(UnsafeBufferPointer(rebasing: token[1...]), small: smallNames)
      return .kind(.keyword(text), hash: SyntaxHash.mix(SyntaxHash.start(.keyword), hash), gensymLike: false)
    }
    if let colon = token.firstIndex(of: UInt8(ascii: ":")), colon != 0, colon + 1 != token.count {
      let moduleBytes = UnsafeBufferPointer(rebasing: token[..<colon])
      let nameBytes = UnsafeBufferPointer(rebasing: token[(colon + 1)...])
      let (module, moduleHash) = Reader.name(moduleBytes, small: smallNames)
      let (name, nameHash) = Reader.name(nameBytes, small: smallNames)
      return .kind(
        .symbol(module: module, name: name), hash: SyntaxHash.symbol(moduleText: moduleHash, nameText: nameHash),
        gensymLike: SyntaxHash.mayBeGensym(moduleBytes) || SyntaxHash.mayBeGensym(nameBytes))
    }
    let (name, hash) = Reader.name(token, small: smallNames)
    return .kind(
      .symbol(module: nil, name: name), hash: SyntaxHash.symbol(moduleText: nil, nameText: hash),
      gensymLike: SyntaxHash.mayBeGensym(token))
  }

  /// A symbol's or keyword's text. An ASCII name of up to 15 bytes (nearly every name) becomes
  /// a small string from its bytes directly: the public initialiser validated and copied each
  /// for about 250 instructions, five times for a one-line `defn`. Other names (and a process
  /// whose String layout is not the one `SmallUTF8` checks: `small` false) take the public
  /// initialiser.
  /// With the text's `SyntaxHash.text`: for an ASCII name from the same words; for another,
  /// from the string made (whose bytes are the token's unless it was not valid UTF-8).
  static func name(_ token: UnsafeBufferPointer<UInt8>, small: Bool) -> (String, UInt64) {
    guard small, token.count <= SmallUTF8.capacity, let base = token.baseAddress else {
      let made = String(decoding: token, as: UTF8.self)
      return (made, SyntaxHash.text(made, layoutVerified: small))
    }
    // The bytes into two zeroed words (little-endian: byte i at bits 8i of the pair).
    var words: (UInt64, UInt64) = (0, 0)
    withUnsafeMutableBytes(of: &words) { $0.baseAddress?.copyMemory(from: base, byteCount: token.count) }
    guard (words.0 | words.1) & 0x8080_8080_8080_8080 == 0 else {
      let made = String(decoding: token, as: UTF8.self)
      return (made, SyntaxHash.text(made, layoutVerified: small))
    }
    return (
      SmallUTF8.string(low: words.0, high: words.1, count: token.count, isASCII: true),
      SyntaxHash.smallText(low: words.0, high: words.1, count: token.count)
    )
  }

  /// A token of at most 18 decimal digits after an optional `-`: read without making a String
  /// (most numbers in code). Anything else goes through `parseNumber`.
  @inline(__always) static func plainDecimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    var digits = bytes[...]
    let negative = digits.first == UInt8(ascii: "-")
    if negative { digits = digits.dropFirst() }
    guard !digits.isEmpty, digits.count <= 18 else { return nil }
    var value = 0
    for byte in digits {
      guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
      value = value &* 10 &+ Int(byte &- UInt8(ascii: "0"))
    }
    return negative ? -value : value
  }

  /// Byte comparison with an ASCII word (cheaper than a generic `elementsEqual`).
  @inline(__always) static func matches(_ bytes: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
    guard bytes.count == word.utf8CodeUnitCount else { return false }
    let pointer = word.utf8Start
    var offset = 0
    for byte in bytes {
      if byte != pointer[offset] { return false }
      offset += 1
    }
    return true
  }

  /// Parses Int and Float literals from the token's bytes; nil when the token is not a number.
  static func parseNumber(_ token: String, _ span: Span) throws(ReadError) -> Syntax.Kind? {
    var bytes = Array(token.utf8)
    var negative = false
    var start = 0
    if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
      negative = sign == UInt8(ascii: "-")
      start = 1
    }
    func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    guard start < bytes.count, isDigit(bytes[start]) else { return nil }
    bytes.removeAll { $0 == UInt8(ascii: "_") }
    var radix: UInt64 = 10
    if bytes.count >= start + 2, bytes[start] == UInt8(ascii: "0") {
      switch bytes[start + 1] | 0x20 {
      case UInt8(ascii: "x"): radix = 16
      case UInt8(ascii: "b"): radix = 2
      case UInt8(ascii: "o"): radix = 8
      default: break
      }
      if radix != 10 { start += 2 }
    }
    let digits = bytes[start...]
    let isFloat = radix == 10 && digits.contains { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }
    if isFloat {
      let allowed = digits.allSatisfy {
        isDigit($0) || $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") || $0 == UInt8(ascii: "+")
          || $0 == UInt8(ascii: "-")
      }
      guard allowed, let value = Double(String(decoding: digits, as: UTF8.self)) else {
        throw ReadError("invalid number \(token)", span)
      }
      return .float(negative ? -value : value)
    }
    guard !digits.isEmpty else { throw ReadError("invalid number \(token)", span) }
    var magnitude: UInt64 = 0
    for byte in digits {
      let digit: UInt64
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt64(byte - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt64(byte - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt64(byte - UInt8(ascii: "A") + 10)
      default: throw ReadError("invalid number \(token)", span)
      }
      guard digit < radix else { throw ReadError("invalid number \(token)", span) }
      let (shifted, overflowMultiply) = magnitude.multipliedReportingOverflow(by: radix)
      let (next, overflowAdd) = shifted.addingReportingOverflow(digit)
      if overflowMultiply || overflowAdd {
        throw ReadError("integer literal \(token) does not fit in 64 bits", span)
      }
      magnitude = next
    }
    if negative {
      if magnitude == UInt64(Int64.max) + 1 { return .int(Int.min) }
      guard magnitude <= UInt64(Int64.max) else {
        throw ReadError("integer literal \(token) does not fit in 64 bits", span)
      }
      return .int(-Int(magnitude))
    }
    guard magnitude <= UInt64(Int64.max) else {
      throw ReadError("integer literal \(token) does not fit in 64 bits", span)
    }
    return .int(Int(magnitude))
  }
}
