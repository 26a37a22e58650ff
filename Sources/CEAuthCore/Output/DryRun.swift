#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `--dry-run`: the request that would be sent, as text and as an equivalent curl command,
/// with each secret's value replaced by a reference to the variable that holds it
/// (`$CEAUTH_USER_SECRET`), so the output can be shown, logged or run as it is.
public enum DryRun {
    /// One request as --dry-run shows it: every secret a `$VARIABLE` reference.
    public struct Shown: Sendable {
        public var method: String
        public var url: String
        public var headers: [(name: String, value: String)]
        public var body: String?
        /// The same request as a curl command line.
        public var curl: String

        /// As text: the request line, headers, body, then the curl command.
        public var text: String {
            var lines = ["\(method) \(url)"] + headers.map { "\($0.name): \($0.value)" }
            if let body { lines += ["", body] }
            return (lines + ["", "# the same with curl:", curl]).joined(separator: "\n")
        }

        /// As JSON, for --dry-run --json: {method, url, headers, body, curl}.
        public var json: LosslessJSON {
            .object([
                .init("method", .string(JSONString(method))), .init("url", .string(JSONString(url))),
                .init("headers", .object(headers.map { .init($0.name, .string(JSONString($0.value))) })),
                .init("body", body.map { .string(JSONString($0)) } ?? .literal("null")),
                .init("curl", .string(JSONString(curl))),
            ])
        }
    }

    public static func describe(_ request: HTTPRequest, references: [(value: String, variable: String)]) -> String {
        show(request, references: references).text
    }

    public static func show(_ request: HTTPRequest, references: [(value: String, variable: String)]) -> Shown {
        // Each form the secret takes (JSON-escaped in a body, percent-encoded in a form) is
        // replaced, longest first.
        let known = references.filter { !$0.value.isEmpty }
            .flatMap { reference in Redactor.forms(reference.value).map { (value: $0, variable: reference.variable) } }
            .sorted { $0.value.utf8.count > $1.value.utf8.count }
        // Each secret becomes a placeholder no text contains (NUL), then its reference.
        func marked(_ text: String) -> String {
            known.enumerated().reduce(text) { Redactor.replaceBytes(in: $0, $1.element.value, with: "\u{0}\($1.offset)\u{0}") }
        }
        func referenced(_ text: String) -> String {
            known.enumerated().reduce(text) { Redactor.replaceBytes(in: $0, "\u{0}\($1.offset)\u{0}", with: "$" + $1.element.variable) }
        }
        let headers = request.headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: marked($0.value)) }
        let body = request.body.map { marked(String(decoding: $0, as: UTF8.self)) }
        // In double quotes the shell expands the references and nothing else: every other
        // character it would read ($, `, ", \\) is escaped first.
        var curl = "curl -X \(request.method)"
        for header in headers { curl += " -H \"\(referenced(shellDoubleQuoted(header.name + ": " + header.value)))\"" }
        if let body { curl += " --data-binary \"\(referenced(shellDoubleQuoted(body)))\"" }
        curl += " '\(request.url.absoluteString.replacingBytes("'", with: "'\\''"))'"
        return Shown(method: request.method, url: request.url.absoluteString,
                     headers: headers.map { ($0.name, referenced($0.value)) }, body: body.map(referenced), curl: curl)
    }

    /// The document --dry-run --json prints: the requests in order, and what else the command
    /// would do (`extra`: an authorization URL, a keyfile entry to remove).
    public static func document(_ requests: [Shown], extra: [LosslessJSON.Member] = []) -> LosslessJSON {
        .object([.init("dryRun", .literal("true"))] + extra + [.init("requests", .array(requests.map(\.json)))])
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
