// Module file paths made absolute and standard by their text alone.

enum FilePaths {
  /// `path`, made absolute against `base` when relative, without `.`, `..` and empty components:
  /// what `URL.standardizedFileURL.path` gives for a file path (it resolves no symbolic links
  /// either). Computed on the text: URL's path handling builds a `Set<UInt8>`, and the first set
  /// of that type scans every protocol conformance in the executable (6 % of start-up).
  static func standardized(_ path: String, relativeTo base: String) -> String {
    let joined = path.hasPrefix("/") ? path : base + "/" + path
    var parts: [Substring] = []
    for part in joined.split(separator: "/", omittingEmptySubsequences: true) {
      if part == "." { continue }
      if part == ".." {
        if !parts.isEmpty { parts.removeLast() }
        continue
      }
      parts.append(part)
    }
    // Appended one by one, each as a String: `joined(separator:)` over substrings, and `+=` of
    // a Substring, ran unspecialised, and the latter's first call looked its associated types
    // up by scanning every conformance in the executable (270,000 instructions, 11 % of start-up).
    guard !parts.isEmpty else { return "/" }
    var result = ""
    for part in parts {
      result += "/"
      result += String(part)
    }
    return result
  }

  /// The last component without its extension (`/a/b/geometry.oxur` is `geometry`), as
  /// `URL.deletingPathExtension().lastPathComponent` gives it for a file path.
  static func baseName(_ path: String) -> String {
    let last = path.split(separator: "/", omittingEmptySubsequences: true).last ?? ""
    guard let dot = last.lastIndex(of: "."), dot != last.startIndex else { return String(last) }
    return String(last[..<dot])
  }
}
