/// The words of a command line as the hand-written fast paths (`ExecFastPath`,
/// `RunFastPath`) read them: `--name`, `--name VALUE`, `--name=VALUE`, operands, and
/// everything after `--`. Anything a fast path does not recognise makes it return nil, and
/// ArgumentParser then handles the whole command line with its usual messages.
struct LongOptionScanner {
    enum Word {
        /// `--name` or `--name=VALUE` (`inline` is the part after `=`).
        case option(name: String, inline: String?)
        /// A word not starting with `--` (may start with a single `-`).
        case operand(String)
        /// `--`: the words after it.
        case terminator(rest: [String])
    }

    private let args: ArraySlice<String>
    private var i: ArraySlice<String>.Index

    init(_ args: ArraySlice<String>) {
        self.args = args
        i = args.startIndex
    }

    /// The next word; nil after the last one (and after a terminator).
    mutating func next() -> Word? {
        guard i < args.endIndex else { return nil }
        let arg = args[i]
        i += 1
        if arg == "--" {
            defer { i = args.endIndex }
            return .terminator(rest: Array(args[i...]))
        }
        guard arg.hasPrefix("--") else { return .operand(arg) }
        let name = arg.dropFirst(2)
        guard let eq = name.firstIndex(of: "=") else { return .option(name: String(name), inline: nil) }
        return .option(name: String(name[..<eq]), inline: String(name[name.index(after: eq)...]))
    }

    /// An option's value: its inline `=VALUE`, else the next word (consumed); nil at the end.
    mutating func value(_ inline: String?) -> String? {
        if let inline { return inline }
        guard i < args.endIndex else { return nil }
        defer { i += 1 }
        return args[i]
    }
}
