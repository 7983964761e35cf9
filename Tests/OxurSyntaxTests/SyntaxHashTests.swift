// The reader's structural hashes: equal to a walk of what it read, blind to layout, and never a gensym's.

import Testing

@testable import OxurSyntax

@Suite struct SyntaxHashTests {
  static func read(_ text: String) throws -> [TopLevelForm] {
    try Reader.readTopLevel(SourceFile(name: "t.oxur", text: text))
  }

  /// Every kind of form the reader builds, its wrappers and dispatches included: the hash it
  /// computes while reading is the hash of walking the form it returns.
  @Test func theReadersHashIsTheWalksHash() throws {
    let text = """
      (defn f [x] (+ x 1 2))
      (def m {:a 1 "b" 2.5 \\c nil}) #{1 2 3} [true false ##Inf ##-Inf ##NaN]
      'quoted `(a ~b ~@c) @atom (calc:add 1 2) :kw "ünïcödé" a-name-longer-than-fifteen-bytes
      (x #_ (dropped) y) #_ 7 (f 1234567890123456789 -3 0x1F 1e3 2.5e-3)
      \\newline \\é ()
      """
    let forms = try Self.read(text)
    #expect(forms.count == 16)
    for place in forms {
      let form = try #require(place.form)
      #expect(place.hash == SyntaxHash.of(form), "\(form.kind)")
    }
  }

  /// Layout and comments are not part of a form; its contents and their order are.
  @Test func layoutIsIgnoredAndContentsCount() throws {
    func hash(_ text: String) throws -> UInt64? { try Self.read(text).first?.hash }
    let plain = try hash("(defn f [x] (+ x 1))")
    #expect(plain != nil)
    #expect(try hash("(defn f\n  ;; a comment\n  [x]\n  (+ x 1))   ; trailing") == plain)
    #expect(try hash("(defn f [x] (+ x 2))") != plain)
    #expect(try hash("(defn f [x] (+ 1 x))") != plain)
    #expect(try hash("(defn f [x] [+ x 1])") != plain)
    #expect(try hash("(defn f [x] (+ x 1) nil)") != plain)
    #expect(try hash("(defn f [x] (+ x \"1\"))") != plain)
    #expect(try hash("(defn f [x] (+ x :1))") == hash("(defn f [x] (+ x :1))"))
    #expect(try hash("(a:b)") != hash("(b)"))
    #expect(try hash("(ab)") != hash("(a b)"))
    #expect(try hash("[1 [2]]") != hash("[[1] 2]"))
  }

  /// A name shaped like a gensym leaves the form without a read hash: definition fingerprints
  /// number gensyms, which only a walk does.
  @Test func gensymLikeNamesLeaveNoHash() throws {
    for text in ["(let [x__12__auto__ 1] x__12__auto__)", "(f G__7)", "(G__7:f)", "(m:x__3)"] {
      #expect(try Self.read(text).first?.hash == nil, "\(text)")
    }
    for text in ["(f f123)", "(f x_1)", "(f __)", "(f a__b)", "(f _7)"] {
      #expect(try Self.read(text).first?.hash != nil, "\(text)")
    }
  }

  /// A text hashes the same from a small string's words as from its bytes, at every length.
  @Test func textHashesTheSameFromWordsAndBytes() {
    var samples = (0...40).map { String(repeating: "a", count: $0) }
    samples += ["ünï", "abcdefghijklmné", "日本語のテキスト", "a\u{0}b"]
    for text in samples {
      let fromBytes = Array(text.utf8).withUnsafeBufferPointer { SyntaxHash.bytes($0) }
      #expect(SyntaxHash.text(text) == fromBytes, "\(text)")
      #expect(SyntaxHash.text(text, layoutVerified: false) == fromBytes, "\(text)")
    }
    #expect(SyntaxHash.text("") != SyntaxHash.text("\u{0}"))
    #expect(SyntaxHash.text("abcdefgh") != SyntaxHash.text("abcdefgh\u{0}"))
  }

  /// Random text, valid or not: whatever reads, reads with its walk's hash.
  @Test func randomTextHashesAsItsWalk() {
    var generator = SystemRandomNumberGenerator()
    let alphabet = Array("()[]{}#_'`~@^\\\" ;:abcxyz0123456789-+.\n\t,é".unicodeScalars)
    for _ in 0..<2000 {
      let length = Int.random(in: 1...40, using: &generator)
      var text = ""
      for _ in 0..<length {
        text.unicodeScalars.append(alphabet[Int.random(in: 0..<alphabet.count, using: &generator)])
      }
      guard let forms = try? Self.read(text) else { continue }
      for place in forms {
        guard let form = place.form, let hash = place.hash else { continue }
        #expect(hash == SyntaxHash.of(form), "\(text)")
      }
    }
  }
}
