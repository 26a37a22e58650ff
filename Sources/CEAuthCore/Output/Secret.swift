#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A secret string (user secret, organization secret, client secret, instance token) that
/// prints as `<redacted>` wherever it is interpolated, dumped or reflected, so a stray
/// log line or error message cannot leak it. Read `.value` only where it is sent.
public struct Secret: Sendable, Equatable {
    public let value: String

    public init(_ value: String) {
        self.value = value
    }
}

extension Secret: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

/// The last guard before a line reaches the terminal: any text from elsewhere (a server's
/// error message, say) that happens to contain one of the secrets has it replaced.
public struct Redactor: Sendable {
    private let values: [String]

    public init(_ secrets: [String]) {
        // Very short values would blank out ordinary words; real secrets are long (and the
        // secret variables refuse shorter ones: Settings.minimumSecretLength).
        values = Array(Set(secrets.filter { $0.utf8.count >= 6 }.flatMap(Self.forms))).sorted { $0.utf8.count > $1.utf8.count }
    }

    /// Every form a secret takes in what ceauth prints: as it is, JSON-escaped (both writers),
    /// percent- and form-encoded (a query, a form body), and escaped for the terminal.
    public static func forms(_ secret: String) -> [String] {
        let json = String(decoding: JSONValue.string(secret).encoded(), as: UTF8.self)
        let percent = FormEncoding.encode(secret)
        return Array(Set([secret, JSONString.escape(secret), String(json.dropFirst().dropLast()), percent,
                          percent.replacingBytes("%20", with: "+"), TerminalText.sanitize(secret, keepLayout: false)]))
    }

    /// The secrets named in the environment (`CEAUTH_USER_SECRET`, `CEAUTH_ORG_SECRET`,
    /// `CEAUTH_CLIENT_SECRET`), known even when the options around them are wrong.
    public init(environment: [String: String]) {
        self.init(Settings.Variable.secrets.compactMap { environment[$0] })
    }

    /// Matches bytes, not characters: a secret followed by a combining mark (`…a` + U+0301)
    /// forms another character, which a character-wise search would not find.
    public func redact(_ text: String) -> String {
        let learned = Self.learned.current
        // Longest first over both lists, so a secret inside another never leaves part of it.
        let all = learned.isEmpty ? values : (values + learned).sorted { $0.utf8.count > $1.utf8.count }
        // A text that holds none of them (nearly every one) is passed in one look at its bytes.
        guard Self.mayContain(text, any: all) else { return text }
        return all.reduce(text) { Self.replaceBytes(in: $0, $1, with: "<redacted>") }
    }

    /// False only when no needle occurs in the text. Each position is looked up by its two
    /// bytes in a table of the needles' first two (every needle has six or more bytes), and only
    /// the needles starting with them compared: one pass however many forms there are.
    static func mayContain(_ text: String, any needles: [String]) -> Bool {
        let needles = needles.map { Array($0.utf8) }.filter { !$0.isEmpty }
        guard !needles.isEmpty else { return false }
        var text = text
        return text.withUTF8 { bytes in
            // (A needle of one byte has no pair: "may" is always a safe answer.)
            guard needles.allSatisfy({ $0.count >= 2 }) else { return true }
            guard bytes.count >= 2 else { return false }
            var starts = [UInt64](repeating: 0, count: 1024)
            for needle in needles {
                let pair = Int(needle[0]) << 8 | Int(needle[1])
                starts[pair >> 6] |= 1 << UInt64(pair & 63)
            }
            // Eight positions at once where none holds a needle's first byte (when the needles
            // start with four bytes or fewer: the secrets' forms mostly share theirs).
            let firsts = Array(Set(needles.map { $0[0] })), end = bytes.count - 1
            // The four looked for (the last repeated when there are fewer).
            let (a, b, c, d) = (firsts[0], firsts[min(1, firsts.count - 1)], firsts[min(2, firsts.count - 1)], firsts[min(3, firsts.count - 1)])
            var at = 0
            while at < end {
                if firsts.count <= 4, end - at >= 8 {
                    let word = SWAR.word(bytes.baseAddress! + at)
                    let hits = SWAR.equal(word, a) | SWAR.equal(word, b) | SWAR.equal(word, c) | SWAR.equal(word, d)
                    if hits == 0 { at += 8; continue }
                    at += hits.trailingZeroBitCount >> 3
                }
                let pair = Int(bytes[at]) << 8 | Int(bytes[at + 1])
                if starts[pair >> 6] & (1 << UInt64(pair & 63)) != 0 {
                    for needle in needles where needle.count <= bytes.count - at && needle[0] == bytes[at] && needle[1] == bytes[at + 1] {
                        if UnsafeBufferPointer(rebasing: bytes[at..<(at + needle.count)]).elementsEqual(needle) { return true }
                    }
                }
                at += 1
            }
            return false
        }
    }

    /// Secrets that appear while the process runs (Google's tokens under --exchange local):
    /// every redactor of the process hides them from then on.
    public static func learn(_ secrets: [String]) {
        learned.with { list in
            for secret in secrets where secret.utf8.count >= 6 {
                for form in forms(secret) where !list.contains(form) { list.append(form) }
            }
        }
    }

    private static let learned = Locked<[String]>([])

    /// Every occurrence of `needle`'s UTF-8 bytes in `text` replaced by `replacement`.
    static func replaceBytes(in text: String, _ needle: String, with replacement: String) -> String {
        let bytes = Array(text.utf8), target = Array(needle.utf8), mark = Array(replacement.utf8)
        guard !target.isEmpty else { return text }
        var out: [UInt8] = []
        var index = 0
        var changed = false
        while index < bytes.count {
            if bytes[index] == target[0], bytes.count - index >= target.count,
               bytes[index..<(index + target.count)].elementsEqual(target) {
                out += mark
                index += target.count
                changed = true
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return changed ? String(decoding: out, as: UTF8.self) : text
    }
}
