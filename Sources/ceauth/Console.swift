import CEAuthCore
import Foundation

/// The executable's one output path. Every line for the person (stderr) and every line of
/// plain output (stdout) passes SafeText: characters that could drive the terminal are shown
/// escaped, the secrets are replaced, and only then is a long line shortened. JSON for scripts
/// goes through the JSON writer, which escapes the same characters inside strings.
struct Console: Sendable {
    let safe: SafeText

    init(environment: [String: String]) {
        safe = SafeText(redactor: Redactor(environment: environment))
    }

    /// A message for the person, on stderr (stdout is kept for what scripts read).
    func say(_ text: String) {
        FileHandle.standardError.write(Data((safe.lines(text) + "\n").utf8))
    }

    func fail(_ error: Error) {
        say("ceauth: error: \(error)")
    }

    /// A line of plain output on stdout.
    func print(_ text: String) {
        FileHandle.standardOutput.write(Data((safe.lines(text) + "\n").utf8))
    }

    /// One JSON document on stdout.
    func json(_ value: LosslessJSON) {
        FileHandle.standardOutput.write(Data((value.encoded() + "\n").utf8))
    }
}
