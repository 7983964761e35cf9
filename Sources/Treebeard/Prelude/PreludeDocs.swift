// One-line documentation of every prelude builtin, special form and core macro, for (doc …) and (apropos …).

/// name → (arglists, one-line doc). Arglists as a user writes them: "[coll]", "[f coll] [f init coll]".
enum PreludeDocs {
  static let entries: [String: (arglists: String, doc: String)] = [
    "%assert": (
      "[ok form message]",
      "Internal helper used by the assert expansion: an :assertion error if ok is falsy"
    ),
    "%concat-list": ("[& colls]", "Internal helper used by the quasiquote expansion: splices ~@ parts into a list"),
    "%concat-vector": ("[& colls]", "Internal helper used by the quasiquote expansion: splices ~@ parts into a vector"),
    "%embedded value": (
      "[index]",
      "Internal to macro expansion: a runtime value spliced into code, kept by index (no name source can write)"
    ),
    "%each": ("[f coll]", "Internal helper used by the doseq expansion: calls f on each element and returns nil"),
    "%in-module": ("[name]", "Internal helper used by the in-module expansion: makes name (created if new) current"),
    "%time": (
      "[thunk]",
      "Internal helper used by the time expansion: calls thunk, prints the elapsed ms, returns its value"
    ),
    "*": ("[& numbers]", "Product of the numbers; (*) is 1; integer overflow is an error, not a wrap"),
    "+": ("[& numbers]", "Sum of the numbers; (+) is 0; integer overflow is an error, not a wrap"),
    "-": ("[x & more]", "Subtracts the rest from x, or negates a lone x; integer overflow is an error"),
    "->": ("[x & forms]", "Threads x as the first argument through each form: (-> x (f a) g) is (g (f x a))"),
    "->>": ("[x & forms]", "Threads x as the last argument through each form: (->> x (f a) g) is (g (f a x))"),
    "/": ("[x & more]", "Divides x by the rest: Int/Int truncates toward zero, a Float gives a Float; (/ x) is 1.0/x"),
    "<": ("[x & more]", "True if the arguments strictly increase; numbers, strings, chars or keywords"),
    "<=": ("[x & more]", "True if the arguments never decrease; numbers, strings, chars or keywords"),
    "=": ("[x & more]", "True if all the arguments are structurally equal"),
    ">": ("[x & more]", "True if the arguments strictly decrease; numbers, strings, chars or keywords"),
    ">=": ("[x & more]", "True if the arguments never increase; numbers, strings, chars or keywords"),
    "abs": ("[x]", "Absolute value of a number; the smallest Int overflows"),
    "and": ("[& exprs]", "Short-circuit and: the first falsy value, else the last; (and) is true"),
    "apply": ("[f coll] [f x & more]", "Calls f with the given arguments followed by the elements of the last one"),
    "apropos": ("[text]", "A sorted vector of the symbols of known names containing the string text (any case)"),
    "args": ("[]", "The command-line arguments after treebeard run FILE, as a vector of strings"),
    "assert": ("[expr] [expr message]", "An :assertion error if expr is falsy, else nil"),
    "assoc": ("[coll k v & kvs]", "Sets map keys, vector indices (up to the end) or struct fields; nil becomes a map"),
    "assoc-in": ("[m path v]", "assoc along a path of keys, creating maps as needed"),
    "atom": ("[x]", "A new atom holding x"),
    "atom?": ("[x]", "True if x is an atom"),
    "bool?": ("[x]", "True if x is true or false"),
    "ceil": ("[x]", "The smallest whole number not below x, as a Float"),
    "char": ("[code]", "The char with that Unicode code point; a non-scalar value is a :type error"),
    "char-code": ("[c]", "A char's Unicode code point, as an Int"),
    "char?": ("[x]", "True if x is a char"),
    "coll?": ("[x]", "True if x is a list, vector, map or set"),
    "comment": ("[& forms]", "Ignores its forms, unevaluated, and returns nil"),
    "comp": ("[& fs]", "Composes functions right to left; (comp) returns its first argument"),
    "concat": ("[& colls]", "A vector of the elements of all the arguments, in order"),
    "cond": (
      "[& test-expr-pairs]",
      "The expr of the first truthy test, or nil; :else serves as a last test; pairs only"
    ),
    "conj": (
      "[coll & xs]",
      "Adds xs: end of a vector, front of a list, into a set, [k v] into a map; nil gives a list"
    ),
    "cons": ("[x coll]", "A list of x followed by the elements of coll"),
    "constantly": ("[x]", "A function that takes any arguments and returns x"),
    "contains?": (
      "[coll key]",
      "True if a map has the key, a set the element, a vector the index or a struct the field"
    ),
    "count": ("[coll]", "The number of elements; nil is 0 and a string counts Unicode scalars"),
    "dec": ("[x]", "x minus 1; integer overflow is an error"),
    "def": (
      "[name] [name value] [name doc value]",
      "Defines a global in the current module, keeping doc for (doc name); returns the symbol"
    ),
    "defenum": ("[Name & variants]", "Defines an enum: (Variant fields…) gives a constructor, a bare Variant a value"),
    "define": (
      "[(name & params) & body] [name value]",
      "Scheme spelling: (define (f x) …) is defn, (define x v) is def"
    ),
    "defmacro": (
      "[name doc? [params] & body]",
      "Defines a macro in the current module (doc kept for (doc name)); returns its symbol"
    ),
    "defn": (
      "[name doc? attrs? [params] & body] [name ([params] & body) …]",
      "Defines a named function, (def name doc? (fn …)); the attribute map is ignored"
    ),
    "defn-": (
      "[name doc? attrs? [params] & body] [name ([params] & body) …]",
      "The same as defn; the function is not private (use export)"
    ),
    "defonce": (
      "[name value]",
      "Like def, but evaluates value only if name has no defonce value yet; survives reloads"
    ),
    "defstruct": ("[Name & fields]", "Defines a struct type, get-field accessors and a Name? predicate; returns Name"),
    "deps": ("[module]", "Prints a module's imports, importers and macro/struct edges; the bare name is not evaluated"),
    "deref": ("[atom]", "The atom's current value; @a is (deref a)"),
    "dir": ("[module]", "Prints the exported names of a loaded module, one a line; the bare name is not evaluated"),
    "disj": ("[set & xs]", "The set without the given elements"),
    "dissoc": ("[m & keys]", "The map without the given keys; nil stays nil"),
    "distinct": ("[coll]", "The elements with duplicates removed, first occurrence kept"),
    "do": ("[& exprs]", "Evaluates exprs in order and returns the last value; (do) is nil"),
    "doc": ("[name]", "Prints the arglists and doc of a name (bare, not evaluated; module:name works)"),
    "doseq": ("[[x coll …] & body]", "Runs body for each combination of the bindings (patterns allowed); returns nil"),
    "dotimes": ("[[i n] & body]", "Runs body with i bound to 0 … n-1; returns nil"),
    "drop": ("[n coll]", "All but the first n elements, as a vector"),
    "drop-while": ("[pred coll]", "The elements from the first one for which pred is falsy"),
    "empty?": ("[coll]", "True if coll has no elements (nil and the empty string are empty)"),
    "ends-with?": ("[s suffix]", "True if string s ends with suffix"),
    "even?": ("[n]", "True if the Int n is even; a Float is a :type error"),
    "every?": ("[pred coll]", "True if pred is truthy for every element (true for an empty coll)"),
    "exit": ("[] [code]", "Flushes output and ends the program with code, 0 to 255 (default 0); catch cannot stop it"),
    "export": ("[& names]", "Limits which of this module's definitions other modules may use"),
    "filter": ("[pred coll]", "A vector of the elements for which pred is truthy"),
    "filterv": ("[pred coll]", "The same as filter: a vector of the elements for which pred is truthy"),
    "first": ("[coll]", "The first element, or nil"),
    "flatten": ("[coll]", "A vector of the leaves of nested lists and vectors"),
    "float": ("[x]", "The number x as a Float"),
    "float?": ("[x]", "True if x is a Float"),
    "floor": ("[x]", "The largest whole number not above x, as a Float"),
    "flush": ("[]", "Writes out buffered output now; returns nil"),
    "fn": (
      "[name? [params] & body] [name? ([params] & body) …]",
      "A closure; several ([params] body…) clauses give several arities"
    ),
    "fn?": ("[x]", "True if x is a closure, builtin, function reference or enum constructor (not a keyword or map)"),
    "for": (
      "[[x coll :when t :let [y e] :while w …] expr]",
      "A vector of expr for each combination; :when filters, :while stops, :let binds"
    ),
    "format": (
      "[template & args]",
      "Rust-style: {} display, {:?} readable, {{ and }} literal braces; the argument count must match"
    ),
    "frequencies": ("[coll]", "A map from each element to the number of times it occurs"),
    "gensym": ("[] [prefix]", "A fresh unique symbol, with an optional prefix (default G__)"),
    "get": (
      "[coll key] [coll key default]",
      "Map value, vector or string index, set member or struct field; else default or nil"
    ),
    "get-in": ("[m path] [m path default]", "get along a path of keys; default (or nil) when a step is missing"),
    "group-by": ("[f coll]", "A map from (f x) to a vector of the elements with that key"),
    "hash-map": ("[& kvs]", "A map from key/value arguments; an odd count is an :arity error"),
    "hash-set": ("[& xs]", "A set of the arguments"),
    "history": ("[module]", "Prints every kept version of a module; the bare name is not evaluated"),
    "history-limit": (
      "[] [n]",
      "How many replaced versions each module keeps for rollback (default 16); with n, sets it (0 keeps every one; a lower limit drops the oldest at once)"
    ),
    "identity": ("[x]", "Returns x"),
    "if": ("[test then] [test then else]", "then if test is truthy (not nil or false), else the else branch or nil"),
    "if-let": (
      "[[pattern value] then] [[pattern value] then else]",
      "then with pattern bound if value is truthy, else the else branch or nil"
    ),
    "if-not": (
      "[test then] [test then else]",
      "then if test is falsy, else the else branch or nil: (if test else then)"
    ),
    "import": (
      "[module] [module :as alias :refer [names]]",
      "Declares a dependency on a module, loading it in the same transaction if needed"
    ),
    "in-module": ("[name]", "Compiles the following forms into module name (not evaluated), creating it if needed"),
    "inc": ("[x]", "x plus 1; integer overflow is an error"),
    "includes?": ("[s sub]", "True if string s contains sub (always true for an empty sub)"),
    "int": ("[x]", "A Float truncated toward zero, or a char's code point; a Float out of Int range overflows"),
    "int?": ("[x]", "True if x is an Int"),
    "interleave": ("[c1 c2]", "The elements of two sequences alternately, stopping at the shorter"),
    "into": ("[to from]", "conj every element of from into to (nil becomes a list)"),
    "join": ("[coll] [sep coll]", "The display forms of the elements joined by sep (default: nothing); nil is empty"),
    "compare": ("[a b]", "-1, 0 or 1: the order sort uses, over values of any kind"),
    "keep": ("[f coll]", "A vector of the non-nil results of (f x)"),
    "keys": ("[m]", "A map's keys as a vector, in hash order; nil gives []"),
    "keyword": ("[name]", "A keyword from a string (a keyword is returned as is); an empty name is a :type error"),
    "keyword?": ("[x]", "True if x is a keyword"),
    "last": ("[coll]", "The last element, or nil"),
    "let": ("[[pattern value …] & body]", "Binds patterns to values in sequence, then evaluates the body"),
    "list": ("[& xs]", "A list of the arguments"),
    "list?": ("[x]", "True if x is a list"),
    "load": (
      "[path]",
      "Loads a module file as one transaction and prints the outcome; failures are reported, not thrown"
    ),
    "loop": ("[[name init …] & body]", "Like let, but recur in tail position jumps back with new values"),
    "lower-case": ("[s]", "The string s in lower case"),
    "macroexpand": ("[form]", "Expands a quoted form's head macro repeatedly, until the head is not a macro"),
    "macroexpand-1": ("[form]", "Expands a quoted form's head macro once"),
    "map": (
      "[f coll] [f coll & colls]",
      "A vector of (f x) for each element, or of f over parallel elements (to the shortest)"
    ),
    "map-indexed": ("[f coll]", "A vector of (f index x) for each element"),
    "map?": ("[x]", "True if x is a map"),
    "mapv": (
      "[f coll] [f coll & colls]",
      "The same as map: a vector of (f x) for each element, or over parallel elements"
    ),
    "match": (
      "[value & clauses]",
      "The body of the first (pattern :when guard? body…) clause that matches; else :no-match"
    ),
    "max": ("[x & more]", "The largest of the numbers, returned as given (Int or Float)"),
    "merge": ("[& maps]", "Maps merged left to right, later keys winning; nil arguments are skipped; (merge) is {}"),
    "min": ("[x & more]", "The smallest of the numbers, returned as given (Int or Float)"),
    "mod": ("[a b]", "Modulus with the sign of the divisor b; an Int division by zero is an error"),
    "module": ("[name]", "Names the module of the file it heads; it must be the file's first form"),
    "modules": ("[]", "Prints the table of loaded modules"),
    "name": ("[x]", "The name of a keyword or symbol as a string; a string is returned unchanged"),
    "neg?": ("[x]", "True if the number x is below zero"),
    "next": ("[coll]", "All but the first element as a vector, or nil when nothing remains"),
    "nil?": ("[x]", "True if x is nil"),
    "not": ("[x]", "True if x is nil or false, else false"),
    "not=": ("[x & more]", "True if some two neighbouring arguments differ: (not (= x & more))"),
    "now-ms": ("[]", "Wall-clock time in milliseconds since 1970"),
    "now-ns": ("[]", "A monotonic clock in nanoseconds, for measuring intervals"),
    "nth": ("[coll i] [coll i default]", "The element at index i; out of range is an error unless a default is given"),
    "number?": ("[x]", "True if x is an Int or a Float"),
    "odd?": ("[n]", "True if the Int n is odd; a Float is a :type error"),
    "or": ("[& exprs]", "Short-circuit or: the first truthy value, else the last; (or) is nil"),
    "panic": ("[x]", "Raises a :panic error whose message is the display form of x"),
    "parse-float": ("[s]", "(Ok x) for a decimal or exponent Float (spaces trimmed), else (Err message)"),
    "parse-int": ("[s]", "(Ok n) for an integer (surrounding spaces allowed), else (Err message)"),
    "partial": ("[f & args]", "f with its first arguments fixed"),
    "partition": ("[n coll]", "Vectors of n consecutive elements, an incomplete tail dropped; n must be positive"),
    "pos?": ("[x]", "True if the number x is above zero"),
    "pr": ("[& xs]", "Prints readable forms separated by spaces, without a newline; returns nil"),
    "pr-str": ("[& xs]", "What pr would print, as a string"),
    "print": ("[& xs]", "Prints display forms separated by spaces, without a newline; returns nil"),
    "println": ("[& xs]", "Prints display forms separated by spaces, then a newline; returns nil"),
    "prn": ("[& xs]", "Prints readable forms separated by spaces, then a newline; returns nil"),
    "quasiquote": ("[form]", "A template, written `form: form unevaluated except for its ~x and ~@xs parts"),
    "quot": ("[a b]", "Quotient truncated toward zero (Floats give a Float); an Int division by zero is an error"),
    "quote": ("[form]", "form unevaluated, as data; written 'form"),
    "range": (
      "[end] [start end] [start end step]",
      "A vector of Ints from start (default 0) up to but not including end; step 0 is an error"
    ),
    "recur": ("[& values]", "Jumps to the nearest loop or fn with new values; tail position only, exact count"),
    "reduce": (
      "[f coll] [f init coll]",
      "Left fold; without init the first element starts, and (reduce f []) calls (f)"
    ),
    "reload": (
      "[path] [path :dry-run] [path :force]",
      "Reloads a module file and prints what changed; :dry-run only plans, :force keeps old layouts"
    ),
    "reload-all": (
      "[] [dir] [:quiet] [dir :quiet]",
      "Reloads every loaded module whose file changed (dir: loads new files too), all or nothing"
    ),
    "reload-stats": (
      "[] [module]",
      "The recent load records as maps, or the latest one of module (bare name, not evaluated)"
    ),
    "rem": ("[a b]", "Remainder with the sign of the dividend a; an Int division by zero is an error"),
    "remove": ("[pred coll]", "A vector of the elements for which pred is falsy"),
    "repeat": ("[n x]", "A vector of n copies of x (at most 100,000,000)"),
    "replace": ("[s old new]", "The string s with every occurrence of old replaced by new"),
    "reset!": ("[atom x]", "Sets the atom to x and returns x"),
    "rest": ("[coll]", "All but the first element, as a vector (also for lists)"),
    "reverse": ("[coll]", "The elements in reverse order, as a vector"),
    "rollback": (
      "[] [module] [module version]",
      "Undoes the last commit, or restores module's previous or given kept version"
    ),
    "round": ("[x]", "The nearest whole number to x as a Float, halves away from zero: (round 2.5) is 3.0"),
    "second": ("[coll]", "The second element, or nil"),
    "seq?": ("[x]", "True if x is a list (the same as list?)"),
    "set": ("[coll]", "A set of the elements of coll"),
    "set!": ("[name value]", "Assigns a local or a module global (another module's if exported) and returns value"),
    "set?": ("[x]", "True if x is a set"),
    "sleep": ("[ms]", "Flushes output, waits ms (an integer ≥ 0) milliseconds, interruptibly; returns nil"),
    "slurp": ("[path]", "A file's contents as a UTF-8 string; failure is an :io error"),
    "some": ("[pred coll]", "The first truthy result of (pred x), or nil"),
    "some?": ("[x]", "True if x is not nil"),
    "sort": (
      "[coll] [comp coll]",
      "Stable sort, natural order or by a comparator returning a boolean (less) or an Int"
    ),
    "sort-by": ("[f coll]", "Stable sort by the natural order of (f x)"),
    "source": ("[name]", "Prints the Oxur source of a definition (bare name, not evaluated); builtins have none"),
    "spit": ("[path x]", "Writes the display form of x to a file, replacing it; returns nil; failure is :io"),
    "split": ("[s sep]", "A vector of the parts of s between seps, empty ones kept; an empty sep splits into chars"),
    "sqrt": ("[x]", "Square root of a number as a Float (NaN for a negative number)"),
    "starts-with?": ("[s prefix]", "True if string s starts with prefix"),
    "str": ("[& xs]", "The display forms of the arguments concatenated; nil is skipped"),
    "string?": ("[x]", "True if x is a string"),
    "struct": (
      "[Name & field-values]",
      "An instance of a struct type: (struct Point :x 1 :y 2); every field exactly once"
    ),
    "struct?": ("[x]", "True if x is a struct instance"),
    "subs": ("[s start] [s start end]", "Substring by Unicode-scalar index [start, end); out of range is an error"),
    "swap!": (
      "[atom f & args]",
      "Sets the atom to (f old args…), retried if another thread changed it, and returns it"
    ),
    "symbol": ("[name]", "A symbol from a string; an empty name is a :type error"),
    "symbol?": ("[x]", "True if x is a symbol"),
    "take": ("[n coll]", "The first n elements, as a vector"),
    "take-while": ("[pred coll]", "The leading elements for which pred is truthy"),
    "throw": ("[value]", "Throws any value; a try's catch receives it unchanged"),
    "time": ("[expr]", "Evaluates expr, prints Elapsed: N ms and returns its value"),
    "trim": ("[s]", "The string s without whitespace and newlines at both ends"),
    "try": (
      "[& body (catch e handler…)? (finally cleanup…)?]",
      "Evaluates body; catch gets a thrown value or an error map; finally always runs"
    ),
    "type-of": ("[x]", "The kind of x as a keyword: :int, :string, :vector, :struct, …"),
    "unless": ("[test & body]", "Evaluates body when test is falsy, else nil"),
    "unload": ("[module]", "Removes a module that nothing imports; the bare name is not evaluated"),
    "unquote": ("[form]", "~form inside a quasiquote: evaluates form; an error elsewhere"),
    "unquote-splicing": ("[form]", "~@form inside a quasiquote: splices the elements of form; an error elsewhere"),
    "unwatch": ("[]", "REPL only: stops the file watcher started by watch"),
    "update": ("[m k f & args]", "Sets k to (f old args…), where old is the current value or nil"),
    "update-in": ("[m path f & args]", "update along a path of keys, creating maps as needed"),
    "upper-case": ("[s]", "The string s in upper case"),
    "vals": ("[m]", "A map's values as a vector, in hash order; nil gives []"),
    "vec": ("[coll]", "A vector of the elements of coll"),
    "vector": ("[& xs]", "A vector of the arguments"),
    "vector?": ("[x]", "True if x is a vector"),
    "watch": ("[] [dir]", "REPL only: reloads loaded modules (or files under dir) when saved; (unwatch) stops"),
    "when": ("[test & body]", "Evaluates body when test is truthy, else nil"),
    "when-let": ("[[pattern value] & body]", "Evaluates body with pattern bound when value is truthy, else nil"),
    "when-not": ("[test & body]", "Evaluates body when test is falsy, else nil (the same as unless)"),
    "while": ("[test & body]", "Evaluates body repeatedly while test is truthy; returns nil"),
    "zero?": ("[x]", "True if the number x is zero"),
    "zipmap": ("[keys vals]", "A map pairing keys with vals, stopping at the shorter"),
    "read-line": (
      "[]", "The next line of standard input (or the nREPL client's stdin) without its newline; nil at end"
    ),
    // Processes (docs/processes.md).
    "alive?": ("[pid]", "False once the process has ended"),
    "await": ("[pid] [pid ms]", "The process's result, or its error thrown here; past ms a :timeout error"),
    "kill": ("[pid]", "Stops the process (at once if blocked, else at its next safe point); true if alive"),
    "kill-all": ("[]", "Kills every spawned process except the caller; returns how many were alive"),
    "processes": ("[]", "A vector of maps: :pid, :function, :state, and :result or :error once ended"),
    "receive": (
      "[& (pattern :when guard? body…) (after ms body…)?]",
      "Takes the first mailbox message a clause matches; waits, or runs after past ms"
    ),
    "self": ("[]", "The pid of the process evaluating it (the REPL and main are a process too)"),
    "send": ("[pid message]", "Puts message in the process's mailbox; true if it was alive"),
    "spawn": ("[f & args]", "Starts (f args…) as a new process and returns its pid at once"),
  ]
}
