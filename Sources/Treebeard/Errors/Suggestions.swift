// "Did you mean …?" for unknown names: the closest known name by edit distance.

public enum Suggestions {
  /// The candidate closest to `name` (at most 2 edits; 1 for names of 4 characters or fewer),
  /// or nil. Ties go to the alphabetically first, so the hint is stable.
  public static func closest(to name: String, among candidates: some Sequence<String>) -> String? {
    let limit = name.count <= 4 ? 1 : 2
    let target = Array(name)
    var best: (distance: Int, name: String)? = nil
    // A one- or two-letter name is one edit from every other short name: `p` was offered `*`.
    // Such a name is offered only candidates that share a letter with it.
    let short = target.count <= 2
    for candidate in candidates where candidate != name && abs(candidate.count - target.count) <= limit {
      if short && !candidate.contains(where: target.contains) { continue }
      let distance = editDistance(target, Array(candidate), limit: limit)
      guard distance <= limit else { continue }
      if let current = best, current.distance < distance || (current.distance == distance && current.name < candidate) {
        continue
      }
      best = (distance, candidate)
    }
    return best?.name
  }

  /// " (did you mean square?)", or "" when nothing is close.
  static func hint(for name: String, among candidates: some Sequence<String>) -> String {
    closest(to: name, among: candidates).map { " (did you mean \($0)?)" } ?? ""
  }

  /// " (module b defines no g)" for `b:g`, with "; did you mean b:h?" when one of the names b
  /// offers is close: prelude names and the caller's own are no answer to a qualified name.
  static func qualifiedHint(module: String, name: String, among offered: some Sequence<String>) -> String {
    let close = closest(to: name, among: offered).map { "; did you mean \(module):\($0)?" } ?? ""
    return " (module \(module) defines no \(name)\(close))"
  }

  /// Levenshtein distance, giving up (returning limit + 1) once every path exceeds `limit`.
  private static func editDistance(_ a: [Character], _ b: [Character], limit: Int) -> Int {
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
      var current = [i] + Array(repeating: 0, count: b.count)
      var rowMinimum = current[0]
      for j in stride(from: 1, through: b.count, by: 1) {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        rowMinimum = min(rowMinimum, current[j])
      }
      if rowMinimum > limit { return limit + 1 }
      previous = current
    }
    return a.isEmpty ? b.count : previous[b.count]
  }
}
