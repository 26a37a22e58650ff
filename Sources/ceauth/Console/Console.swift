import ArgumentParser
import CEAuthCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the console itself cannot do.
enum ConsoleError: Error, CustomStringConvertible {
    /// A question and no terminal to ask it on (a script must pass the flag that answers it).
    case noTerminal(String)

    var description: String {
        switch self {
        case .noTerminal(let text): return text
        }
    }
}

/// The executable's one output path. Every line for the person (stderr) and every line of
/// plain output (stdout) passes SafeText: characters that could drive the terminal are shown
/// escaped, the secrets are replaced, and only then is a long line shortened. JSON for scripts
/// goes through the JSON writer, which escapes the same characters inside strings.
struct Console: Sendable {
    let safe: SafeText
    /// --quiet: only errors (and lines marked essential) on stderr.
    var quiet = false

    /// Where the lines go (the process's stdout and stderr, or a test's).
    let io: CommandIO

    init(environment: [String: String], io: CommandIO = .process) {
        safe = SafeText(redactor: Redactor(environment: environment))
        self.io = io
    }

    /// Text as it is, to one stream.
    func write(_ text: String, to stream: OS.StandardStream) { io.write(text, stream) }

    /// A message for the person, on stderr (stdout is kept for what scripts read).
    func say(_ text: String, essential: Bool = false) {
        if quiet && !essential { return }
        write(safe.lines(text) + "\n", to: .error)
    }

    func fail(_ error: Error) {
        say("ceauth: error: \(error)", essential: true)
    }

    /// A line of plain output on stdout.
    func print(_ text: String) {
        write(safe.lines(text) + "\n", to: .output)
    }

    /// One JSON document on stdout.
    func json(_ value: LosslessJSON) {
        write(value.encoded() + "\n", to: .output)
    }

    /// One JSON array on stdout, the same bytes as `json(.array(items))`, written as it is made
    /// (a keyfile of 10,000 entries is never one tree in memory).
    func jsonArray(_ items: some Sequence<LosslessJSON>) {
        var chunk = "["
        for (offset, item) in items.enumerated() {
            if offset > 0 { chunk += "," }
            chunk += item.encoded()
            if chunk.utf8.count >= Self.chunkSize { write(chunk, to: .output); chunk = "" }
        }
        write(chunk + "]\n", to: .output)
    }

    private static let chunkSize = 65536

    /// A value the user asked for itself (a token, a header with the secrets), on stdout as it
    /// is: not redacted. Refused if it holds a character that could drive the terminal, which no
    /// real token or secret has (the keyfile was edited by hand, say).
    func printRequested(_ value: String, what: String, keyfile: String, checkOnly: Bool = false) throws {
        guard !value.unicodeScalars.contains(where: TerminalText.isUnsafe) else {
            throw KeyfileError.unsafeValue(path: keyfile, field: what)
        }
        if !checkOnly { write(value + "\n", to: .output) }
    }

    /// Asks `question` on the terminal (y/N); where there is none, the flag `orPass` must say it,
    /// since a script cannot answer. Declining is exit 1.
    func confirm(_ question: String, orPass flag: String, toDo: String, nothingDone: String, declined: String) throws {
        guard io.inputIsTerminal else {
            throw ConsoleError.noTerminal("there is no terminal to ask on, so \(nothingDone); pass \(flag) to \(toDo)")
        }
        write(safe.value(question) + " [y/N] ", to: .error)
        guard case .line(let line) = StandardInput.readLine(limit: 256),
              ["y", "yes"].contains(line.trimmingWhitespace().lowercased()) else {
            say(declined)
            throw ExitCode(1)
        }
    }
}
