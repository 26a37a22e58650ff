#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `--dry-run`: the request that would be sent, as text and as an equivalent curl command,
/// with each secret's value replaced by a reference to the variable that holds it
/// (`$CEAUTH_USER_SECRET`), so the output can be shown, logged or run as it is.
public enum DryRun {
    public static func describe(_ request: HTTPRequest, references: [(value: String, variable: String)]) -> String {
        let known = references.filter { !$0.value.isEmpty }.sorted { $0.value.utf8.count > $1.value.utf8.count }
        // Each secret becomes a placeholder no text contains (NUL), then its reference.
        func marked(_ text: String) -> String {
            known.enumerated().reduce(text) { Redactor.replaceBytes(in: $0, $1.element.value, with: "\u{0}\($1.offset)\u{0}") }
        }
        func referenced(_ text: String) -> String {
            known.enumerated().reduce(text) { Redactor.replaceBytes(in: $0, "\u{0}\($1.offset)\u{0}", with: "$" + $1.element.variable) }
        }
        let headers = request.headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: marked($0.value)) }
        let body = request.body.map { marked(String(decoding: $0, as: UTF8.self)) }
        var lines = ["\(request.method) \(request.url.absoluteString)"] + headers.map { "\($0.name): \(referenced($0.value))" }
        if let body { lines += ["", referenced(body)] }
        // In double quotes the shell expands the references and nothing else: every other
        // character it would read ($, `, ", \\) is escaped first.
        var curl = "curl -X \(request.method)"
        for header in headers { curl += " -H \"\(referenced(shellDoubleQuoted(header.name + ": " + header.value)))\"" }
        if let body { curl += " --data-binary \"\(referenced(shellDoubleQuoted(body)))\"" }
        curl += " '\(request.url.absoluteString.replacingBytes("'", with: "'\\''"))'"
        return (lines + ["", "# the same with curl:", curl]).joined(separator: "\n")
    }

    /// Escapes what the shell would interpret inside double quotes.
    static func shellDoubleQuoted(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\"", "\\", "`", "$": out += "\\" + String(character)
            default: out.append(character)
            }
        }
        return out
    }
}

extension String {
    func replacingBytes(_ needle: String, with replacement: String) -> String {
        Redactor.replaceBytes(in: self, needle, with: replacement)
    }
}
